// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"bytes"
	"crypto/ed25519"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

func TestPercentile(t *testing.T) {
	ten := []float64{10, 1, 9, 2, 8, 3, 7, 4, 6, 5}
	for _, tc := range []struct {
		name string
		xs   []float64
		p    float64
		want float64
	}{
		{"empty", nil, 50, 0},
		{"one", []float64{42}, 99, 42},
		{"p50 of 1..10", ten, 50, 5},
		{"p90 of 1..10", ten, 90, 9},
		{"p95 of 1..10 rounds up", ten, 95, 10},
		{"p0 is the minimum", ten, 0, 1},
		{"p100 is the maximum", ten, 100, 10},
		{"p1 of 1..10", ten, 1, 1},
		{"p11 of 1..10", ten, 11, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Percentile(tc.xs, tc.p); got != tc.want {
				t.Fatalf("Percentile(%v, %v) = %v, want %v", tc.xs, tc.p, got, tc.want)
			}
		})
	}
	if ten[0] != 10 {
		t.Fatal("Percentile sorted its input in place")
	}
	l := SummariseLatency([]float64{100, 1, 50, 99, 2})
	if l.N != 5 || l.P50 != 50 || l.P99 != 100 || l.Max != 100 {
		t.Fatalf("SummariseLatency = %+v", l)
	}
}

func h(b byte) TxHash { return TxHash{b} }

// TestTrackerCountsFromBlocks feeds synthetic submissions and blocks and
// checks counts, events, windows and latencies.
func TestTrackerCountsFromBlocks(t *testing.T) {
	t0 := time.Unix(1000, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	tr := NewTracker()
	tr.Sent(h(1), ms(0), 1)
	tr.Sent(h(2), ms(100), 100)
	tr.Sent(h(3), ms(200), 1)
	tr.Sent(h(3), ms(900), 1) // a retry keeps the first time
	tr.Sent(h(4), ms(300), 1000)
	if tr.Pending() != 4 {
		t.Fatalf("pending %d, want 4", tr.Pending())
	}
	// Block 5 holds 1, 2 and a transaction someone else sent (h(9)).
	tr.Block(BlockObs{Height: 5, Seen: ms(500), Txs: []TxHash{h(1), h(9), h(2)}})
	// Block 6 holds 3; seen twice (a reconnect): counted once.
	tr.Block(BlockObs{Height: 6, Seen: ms(1200), Txs: []TxHash{h(3)}})
	tr.Block(BlockObs{Height: 6, Seen: ms(1300), Txs: []TxHash{h(3)}})
	// Block 7 is empty.
	tr.Block(BlockObs{Height: 7, Seen: ms(1500)})
	// Block 8 holds h(4), rejected by the application: not committed.
	tr.Block(BlockObs{Height: 8, Seen: ms(1600), Txs: []TxHash{h(4)}, Failed: []bool{true}})
	if tr.Pending() != 1 {
		t.Fatalf("pending %d, want 1 (h(4) never committed)", tr.Pending())
	}
	if w := tr.Window(ms(1600), ms(1601)); w.Blocks != 1 || w.Txs != 0 || w.Failed != 1 || w.Events != 0 {
		t.Fatalf("block with a rejected tx: %+v", w)
	}
	for _, tc := range []struct {
		name                     string
		from, to                 time.Time
		blocks, txs, known, evts int
		lat                      []float64
	}{
		{"all", ms(0), ms(2000), 4, 4, 3, 102, []float64{500, 400, 1000}},
		{"first block only", ms(0), ms(1000), 1, 3, 2, 101, []float64{500, 400}},
		{"end is exclusive", ms(0), ms(500), 0, 0, 0, 0, nil},
		{"start is inclusive", ms(500), ms(501), 1, 3, 2, 101, []float64{500, 400}},
		{"second, empty and rejected blocks", ms(1000), ms(2000), 3, 1, 1, 1, []float64{1000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := tr.Window(tc.from, tc.to)
			if w.Blocks != tc.blocks || w.Txs != tc.txs || w.KnownTxs != tc.known || w.Events != tc.evts {
				t.Fatalf("window = %d blocks %d txs %d known %d events, want %d %d %d %d", w.Blocks, w.Txs, w.KnownTxs, w.Events, tc.blocks, tc.txs, tc.known, tc.evts)
			}
			if len(w.Latencies) != len(tc.lat) {
				t.Fatalf("latencies %v, want %v", w.Latencies, tc.lat)
			}
			for i := range tc.lat {
				if math.Abs(w.Latencies[i]-tc.lat[i]) > 1e-9 {
					t.Fatalf("latencies %v, want %v", w.Latencies, tc.lat)
				}
			}
		})
	}
	w := tr.Window(ms(0), ms(2000))
	if got := w.TxPerSec(); got != 2 {
		t.Fatalf("tx/s %v, want 2 (4 txs in 2 s)", got)
	}
	if got := w.EventsPerSec(); got != 51 {
		t.Fatalf("events/s %v, want 51", got)
	}
	if txs, ev := tr.Totals(); txs != 4 || ev != 102 {
		t.Fatalf("totals %d %d", txs, ev)
	}
	if tr.MaxHeight() != 8 {
		t.Fatalf("max height %d", tr.MaxHeight())
	}
}

func TestParseProc(t *testing.T) {
	// A command name with spaces and parentheses, as the kernel writes it.
	stat := "4242 (trace (ledger) x) S 1 4242 4242 0 -1 4194304 100 0 0 0 250 75 0 0 20 0 12 0 100 1000000 500 18446744073709551615"
	u, err := parseStat(stat)
	if err != nil {
		t.Fatal(err)
	}
	if u.CPUSeconds != 3.25 {
		t.Fatalf("cpu %v, want 3.25 (325 ticks)", u.CPUSeconds)
	}
	for _, bad := range []string{"", "1 (x) S 1 2", "1 (x) S 1 2 3 4 5 6 7 8 9 a b c"} {
		if _, err := parseStat(bad); err == nil {
			t.Errorf("parseStat(%q) accepted", bad)
		}
	}
	if got := parseRSS("Name:\tx\nVmRSS:\t  2048 kB\nThreads: 3\n"); got != 2048*1024 {
		t.Fatalf("rss %d", got)
	}
	if got := parseRSS("Name:\tx\n"); got != 0 {
		t.Fatalf("rss without VmRSS %d", got)
	}
	// This process is real: CPU and RSS are positive.
	self, err := ReadProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if self.RSSBytes <= 0 {
		t.Fatalf("own RSS %d", self.RSSBytes)
	}
}

func TestDiskUsage(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a"), bytes.Repeat([]byte{1}, 64<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	// A sparse file: large apparent size, nothing allocated.
	f, _ := os.Create(filepath.Join(dir, "sparse"))
	f.Truncate(1 << 30)
	f.Close()
	n, err := DiskUsage(dir)
	if err != nil {
		t.Fatal(err)
	}
	if n < 64<<10 || n > 1<<20 {
		t.Fatalf("disk usage %d, want about 64 KiB (sparse file not counted)", n)
	}
}

func TestGenerators(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	for _, per := range []int{1, 100} {
		g := NewEventGen("chain", key, 3, per, 7, "r1")
		txs, err := g.Next(3)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range txs {
			var tx tlv1.Tx
			var body tlv1.TxBody
			if err := tx.Unmarshal(p.Raw); err != nil {
				t.Fatal(err)
			}
			if err := body.Unmarshal(tx.BodyBytes); err != nil {
				t.Fatal(err)
			}
			if body.Sequence != uint64(7+i) || p.Seq != body.Sequence || len(body.Messages) != per || p.Events != per {
				t.Fatalf("tx %d: sequence %d seq %d messages %d events %d", i, body.Sequence, p.Seq, len(body.Messages), p.Events)
			}
			if !ed25519.Verify(key.Public().(ed25519.PublicKey), tlv1.SignBytes(tx.BodyBytes), tx.Signature) {
				t.Fatal("signature does not verify")
			}
			if got := body.Messages[0].GetRecordEvent().Subject; got != Subject("r1", 3, uint64(i*per)) {
				t.Fatalf("subject %q", got)
			}
		}
	}
	kv, err := NewKVGen(2, 230, "r").Next(5)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[TxHash]bool{}
	for _, p := range kv {
		if len(p.Raw) != 230 || bytes.Count(p.Raw, []byte("=")) != 1 || bytes.Contains(p.Raw, []byte(":")) || seen[p.Hash] {
			t.Fatalf("kvstore tx %q", p.Raw)
		}
		seen[p.Hash] = true
	}
	if _, err := NewKVGen(2, 5, "r").Next(1); err == nil {
		t.Fatal("a kvstore tx smaller than its key was built")
	}
}

func TestLaneResync(t *testing.T) {
	mk := func(seqs ...uint64) []PreTx {
		out := make([]PreTx, len(seqs))
		for i, s := range seqs {
			out[i] = PreTx{Seq: s, Hash: TxHash{byte(s)}}
		}
		return out
	}
	seqs := func(p []PreTx) []uint64 {
		var out []uint64
		for _, x := range p {
			out = append(out, x.Seq)
		}
		return out
	}
	for _, tc := range []struct {
		name       string
		done, txs  []uint64
		next       uint64
		ok         bool
		wantDone   []uint64
		wantQueued []uint64
	}{
		{"lost two: resend them", []uint64{0, 1, 2, 3}, []uint64{4, 5}, 2, true, []uint64{0, 1}, []uint64{2, 3, 4, 5}},
		{"already committed: skip", []uint64{0, 1}, []uint64{2, 3}, 3, true, []uint64{0, 1, 2}, []uint64{3}},
		{"unknown next: give up", []uint64{5, 6}, []uint64{7}, 2, false, []uint64{5, 6}, []uint64{7}},
		{"no disagreement", []uint64{0}, []uint64{1}, 1, false, []uint64{0}, []uint64{1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := &Lane{done: mk(tc.done...), Txs: mk(tc.txs...)}
			if ok := l.resync(l.Txs[0], tc.next); ok != tc.ok {
				t.Fatalf("resync = %v", ok)
			}
			if g := seqs(l.done); !equalU(g, tc.wantDone) {
				t.Fatalf("done %v, want %v", g, tc.wantDone)
			}
			if g := seqs(l.Txs); !equalU(g, tc.wantQueued) {
				t.Fatalf("queued %v, want %v", g, tc.wantQueued)
			}
		})
	}
	next := uint64(525)
	n, ok := sequenceRefusal(&CheckTxError{Code: 7, Log: "reworded: the next is 1", Rejection: &tlv1.Rejection{Code: 7, NextSequence: &next}})
	if !ok || n != 525 {
		t.Fatalf("sequenceRefusal = %d %v, want 525 from the data", n, ok)
	}
	if _, ok := sequenceRefusal(&CheckTxError{Code: 3, Rejection: &tlv1.Rejection{Code: 3, NextSequence: &next}}); ok {
		t.Fatal("another code was taken for a sequence refusal")
	}
	if _, ok := sequenceRefusal(&CheckTxError{Code: 7, Log: "the next is 5"}); ok {
		t.Fatal("a refusal without data was read from its wording")
	}
}

func equalU(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func sampleResult() *Result {
	mk := func(name string, per int, pts [][3]float64) ModeResult {
		m := ModeResult{Name: name, Kind: KindTraceLedger, EventsPerTx: per, TxBytes: 230}
		if name == ModeKVStore {
			m.Kind = KindKVStore
		}
		for _, p := range pts {
			s := Step{OfferedEventsPerSec: p[0], OfferedTxPerSec: p[0] / float64(per), CommittedEventsPerSec: p[1], CommittedTxPerSec: p[1] / float64(per),
				Latency: Latency{N: 10, P50: p[2], P99: 3 * p[2]}}
			m.Steps = append(m.Steps, s)
			if s.CommittedEventsPerSec > m.Max.CommittedEventsPerSec {
				m.Max = s
			}
		}
		half := m.Steps[0]
		m.Half = &half
		m.Nodes = []NodeResult{{Name: "n", AppBytesPerEvent: 280, HomeBytesPerEvent: 1000}}
		m.TotalEvents = 1000
		return m
	}
	res := &Result{Started: time.Unix(0, 0).UTC(), CometBFT: "v0.39.4", Machine: Machine{CPUs: 2},
		Config: ResultConfig{Validators: 4, TimeoutCommitMs: 200}}
	res.Modes = []ModeResult{
		mk(ModeKVStore, 1, [][3]float64{{1000, 1000, 300}, {2000, 2000, 400}, {4000, 3000, 2000}}),
		mk(ModeSingle, 1, [][3]float64{{1000, 1000, 350}, {2000, 1900, 600}, {4000, 2400, 3000}}),
		mk(ModeBatch1000, 1000, [][3]float64{{4000, 4000, 500}, {20000, 20000, 900}, {40000, 27000, 2500}}),
	}
	res.Targets = Evaluate(res)
	return res
}

func TestEvaluateAndSummary(t *testing.T) {
	res := sampleResult()
	byName := map[string]Target{}
	for _, tg := range res.Targets {
		byName[tg.Name] = tg
	}
	for _, tc := range []struct {
		name string
		met  *bool
	}{
		{"one signed event per tx vs kvstore tx/s", met(false)}, // 2400 < 3000
		{"batched events per second", met(true)},                // 27,000
		{"latency at half of max load, single", met(true)},      // 350 / 1050 ms
		{"latency at half of max load, batch100", nil},
		{"app state per hashed event", met(true)},
		{"throughput with the prefilled ledger vs empty", nil},
	} {
		got, ok := byName[tc.name]
		if !ok {
			t.Fatalf("no target %q", tc.name)
		}
		if (got.Met == nil) != (tc.met == nil) || got.Met != nil && *got.Met != *tc.met {
			t.Errorf("%s: met %v, want %v (got %q)", tc.name, got.Met, tc.met, got.Got)
		}
	}
	var buf bytes.Buffer
	WriteSummary(&buf, res)
	out := buf.String()
	for _, want := range []string{"kvstore", "single", "batch1000", "0.80", "NOT MET", "MET"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if lines := strings.Count(out, "\n"); lines > 30 {
		t.Errorf("summary is %d lines, more than one screen", lines)
	}
}

func TestWritePlot(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plot.png")
	if err := WritePlot(path, sampleResult()); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	if b.Dx() != 1400 || b.Dy() != 660 {
		t.Fatalf("plot is %v", b)
	}
	// The series are drawn: every mode's colour appears.
	found := map[[3]uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			found[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
		}
	}
	for _, m := range sampleResult().Modes {
		c := modeColor(m.Name)
		if !found[[3]uint32{uint32(c.R), uint32(c.G), uint32(c.B)}] {
			t.Errorf("colour %v not drawn", c)
		}
	}
}
