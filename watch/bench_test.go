// SPDX-License-Identifier: Apache-2.0

package watch

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/traceledger/traceledger/client"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// BenchmarkWatch fills a real one-department node with trace events
// (TL_WATCH_EVENTS, default 20,000; five per lot: planting, harvest,
// shipping, receiving, retail_selling, so three in five are movements that
// the recall and suspension rules trace back), measuring the network's
// commit rate while it fills, then a fresh watcher reads, verifies and
// evaluates the whole log: once with no rule enabled (the verified read
// alone) and once with the default rule set. docs/PERFORMANCE.md.
func BenchmarkWatch(b *testing.B) {
	events := 20000
	if s := os.Getenv("TL_WATCH_EVENTS"); s != "" {
		events, _ = strconv.Atoi(s)
	}
	const perTx = 500
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	n := startNet(b, ctx)
	steps := []string{"planting", "harvest", "shipping", "receiving", "retail_selling"}
	start := time.Now()
	var pending [][]byte
	for done := 0; done < events; done += perTx {
		msgs := make([]*tlv1.Msg, 0, perTx)
		for i := done; i < done+perTx && i < events; i++ {
			var seed [8]byte
			binary.BigEndian.PutUint64(seed[:], uint64(i))
			sum := sha256.Sum256(seed[:])
			msgs = append(msgs, &tlv1.Msg{Sum: &tlv1.Msg_RecordEvent{RecordEvent: &tlv1.RecordEvent{
				Subject: fmt.Sprintf("urn:epc:id:sgtin:6901234.000001.B%d", i/5), EventType: steps[i%5],
				EventTimeMs: time.Now().Add(-time.Hour).UnixMilli(), PayloadSha256: sum[:]}}})
		}
		tx, err := client.BuildTx(n.doc.ChainID, n.farm, uint64(done/perTx), msgs...)
		if err != nil {
			b.Fatal(err)
		}
		res, err := n.c.RPC().BroadcastTxSync(ctx, tx)
		if err != nil || res.Code != 0 {
			b.Fatalf("broadcast: %v %+v", err, res)
		}
		pending = append(pending, res.Hash)
	}
	for _, h := range pending {
		if _, err := n.c.WaitTx(ctx, h); err != nil {
			b.Fatalf("commit: %v", err)
		}
	}
	commitRate := float64(events) / time.Since(start).Seconds()
	b.ReportMetric(commitRate, "committed-events/s")
	for _, tc := range []struct {
		name  string
		rules string
	}{
		{"read", `{"format":1,"version":"none","rules":[]}`},
		{"default-rules", DefaultRuleSet},
	} {
		rs, err := ParseRuleSet([]byte(tc.rules))
		if err != nil {
			b.Fatal(err)
		}
		c, err := client.New(n.url, n.doc)
		if err != nil {
			b.Fatal(err)
		}
		w, err := New(Config{Rules: rs}, NewClientSource(c))
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		rep, err := w.Step(ctx)
		if err != nil {
			b.Fatal(err)
		}
		rate := float64(rep.Records) / time.Since(t0).Seconds()
		b.ReportMetric(rate, tc.name+"-records/s")
		b.ReportMetric(rate/commitRate, tc.name+"/commit")
		b.Logf("%s: %d records in %s: %.0f records/s, %.2fx the commit rate (%.0f events/s), %d alerts",
			tc.name, rep.Records, time.Since(t0).Round(time.Millisecond), rate, rate/commitRate, commitRate, len(rep.Alerts))
	}
}
