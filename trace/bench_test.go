// SPDX-License-Identifier: Apache-2.0

package trace

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// synthetic builds an in-memory index of n events shaped like a food
// chain, with a fixed seed: input lots used on harvests, harvests
// processed into product lots, product lots labelled into items, items
// packed into cases, cases shipped, items sold. Proportions per 1,000,000
// events: 20,000 harvest transformations (each from one of 1,000 input
// lots and a seed lot), 50,000 processing transformations (two harvests
// each), 50,000 labelling object events (ten items each: 500,000 items),
// 100,000 aggregations (five items per case), 100,000 shipments (one case
// each), the rest retail sales (one item each).
func synthetic(n int) (*Index, []string) {
	r := rand.New(rand.NewPCG(1, 2))
	x := NewIndex(nil)
	scale := func(k int) int { return k * n / 1_000_000 }
	nInput, nHarvest, nLot := max(scale(1000), 1), max(scale(20_000), 1), max(scale(50_000), 1)
	nAgg, nShip := scale(100_000), scale(100_000)
	for i := range 40 {
		x.AddParticipant(&tlv1.Participant{Id: fmt.Sprintf("p%d", i), DivisionCode: fmt.Sprintf("52%02d02", i%9+1)})
	}
	var idx uint64
	emit := func(signer int, typ tlv1.EPCISEventType, disp string, ids ...ID) {
		idx++
		e := &Event{Index: idx, Kind: KindEPCIS, Signer: fmt.Sprintf("p%d", signer), Type: typ, IDs: ids, Disposition: disp}
		add(x, e)
	}
	inputs := make([]string, nInput)
	for i := range inputs {
		inputs[i] = fmt.Sprintf("urn:x:input:%d", i)
	}
	harvests := make([]string, nHarvest)
	for i := range harvests {
		harvests[i] = fmt.Sprintf("urn:x:harvest:%d", i)
		emit(r.IntN(10), trf, "", in(inputs[r.IntN(nInput)]), in("urn:x:seed:"+fmt.Sprint(i%97)), out(harvests[i]))
	}
	var items []string
	for i := range nLot {
		lot := fmt.Sprintf("urn:x:lot:%d", i)
		emit(10+r.IntN(10), trf, "", in(harvests[r.IntN(nHarvest)]), in(harvests[r.IntN(nHarvest)]), out(lot))
		ids := []ID{cls(lot)}
		for j := range 10 {
			it := fmt.Sprintf("urn:x:item:%d.%d", i, j)
			items = append(items, it)
			ids = append(ids, ins(it))
		}
		emit(10+r.IntN(10), obj, "active", ids...)
	}
	cases := make([]string, nAgg)
	for i := range cases {
		cases[i] = fmt.Sprintf("urn:x:case:%d", i)
		ids := []ID{par(cases[i])}
		for j := range 5 {
			ids = append(ids, chi(items[(i*5+j)%len(items)]))
		}
		emit(10+r.IntN(10), agg, "", ids...)
	}
	for i := range nShip {
		emit(20+r.IntN(10), obj, "in_transit", ins(cases[i%len(cases)]))
	}
	for int(idx) < n {
		emit(30+r.IntN(10), obj, "sellable_accessible", ins(items[r.IntN(len(items))]))
	}
	return x, inputs
}

// BenchmarkTraceForward1M: trace forward from an input lot over a
// synthetic index of 1,000,000 events (the index is built once, outside
// the timer; the walk is the graph code's own, over decoded events, with
// no network and no proof checking: those happen when histories are
// fetched, once per identifier).
func BenchmarkTraceForward1M(b *testing.B) {
	benchForward(b, 1_000_000)
}

// BenchmarkTraceForward100k is the same at 100,000 events.
func BenchmarkTraceForward100k(b *testing.B) {
	benchForward(b, 100_000)
}

// BenchmarkTraceForwardSeed1M walks from a seed lot, an input shared by
// 1/97 of all harvests: a large recall (about 1 % of the graph).
func BenchmarkTraceForwardSeed1M(b *testing.B) {
	benchForwardFrom(b, 1_000_000, func([]string) []string { return []string{"urn:x:seed:0", "urn:x:seed:1", "urn:x:seed:2"} })
}

func benchForward(b *testing.B, n int) {
	benchForwardFrom(b, n, func(inputs []string) []string { return inputs })
}

func benchForwardFrom(b *testing.B, n int, roots func([]string) []string) {
	x, inputs := synthetic(n)
	inputs = roots(inputs)
	runtime.GC()
	ctx := context.Background()
	var nodes, edges, parts int
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		g, err := x.Walk(ctx, inputs[i%len(inputs)], Forward)
		if err != nil {
			b.Fatal(err)
		}
		nodes, edges, parts = nodes+len(g.Nodes), edges+len(g.Edges), parts+len(g.Participants)
	}
	b.ReportMetric(float64(nodes)/float64(b.N), "nodes/op")
	b.ReportMetric(float64(edges)/float64(b.N), "edges/op")
	b.ReportMetric(float64(parts)/float64(b.N), "participants/op")
}

// TestSyntheticShape keeps the benchmark's graph honest at a small size:
// the event count is exact and a forward walk reaches items and cases.
func TestSyntheticShape(t *testing.T) {
	x, inputs := synthetic(10_000)
	n := map[uint64]bool{}
	for _, e := range x.subjects {
		for _, ev := range e.events {
			n[ev.Index] = true
		}
	}
	if len(n) != 10_000 {
		t.Fatalf("%d events, want 10000", len(n))
	}
	reached := 0
	for _, in := range inputs {
		g, err := x.Walk(context.Background(), in, Forward)
		if err != nil {
			t.Fatal(err)
		}
		reached += len(g.Nodes)
	}
	if reached < 10*len(inputs) {
		t.Fatalf("forward walks reach %d nodes in all, too few for a supply chain", reached)
	}
}

// BenchmarkBuildIndex1M measures building the synthetic 1,000,000-event
// index (the benchmark's set-up, reported for scale; run with -benchtime 1x).
func BenchmarkBuildIndex1M(b *testing.B) {
	for b.Loop() {
		x, _ := synthetic(1_000_000)
		b.ReportMetric(float64(len(x.subjects)), "subjects")
	}
}
