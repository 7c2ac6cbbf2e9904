// SPDX-License-Identifier: Apache-2.0

package app

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// snapBenchBlocks builds blocks of 100 transactions of 10 events (each a
// new subject, the worst case for the map) up to events.
func snapBenchBlocks(b testing.TB, f *fixture, events int) [][][]byte {
	var blocks [][][]byte
	seq := uint64(0)
	for done, h := 0, int64(1); done < events; h++ {
		at := blockTime(h)
		var txs [][]byte
		for t := 0; t < 100 && done < events; t++ {
			msgs := make([]*tlv1.Msg, 0, 10)
			for m := 0; m < 10 && done < events; m++ {
				msgs = append(msgs, eventMsg(fmt.Sprintf("urn:epc:id:sgtin:6901234.500012.%d", done), "commissioning", at))
				done++
			}
			txs = append(txs, signTx(b, f.farm, seq, testChainID, msgs...))
			seq++
		}
		blocks = append(blocks, txs)
	}
	return blocks
}

// runBlocks executes blocks on a, returning each block's FinalizeBlock +
// Commit time.
func runBlocks(b testing.TB, a *App, blocks [][][]byte) ([]time.Duration, map[uint64][]byte) {
	out := make([]time.Duration, len(blocks))
	hashes := map[uint64][]byte{}
	for i, txs := range blocks {
		start := time.Now()
		r, err := finalize(b, a, int64(i+1), txs)
		if err != nil {
			b.Fatal(err)
		}
		out[i] = time.Since(start)
		hashes[uint64(i+1)] = r.AppHash
	}
	return out, hashes
}

func quantile(ds []time.Duration, q float64) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// BenchmarkSnapshotVsReplay measures, in one run on a ledger of 100,000
// events (badger on disk), the time a new node needs before it serves
// queries: replaying every block into a fresh app against restoring the
// latest snapshot (chunks already fetched; the network transfer is not in
// it); the snapshot's size per event; and the block time (FinalizeBlock +
// Commit) with snapshots every 10 heights against none.
func BenchmarkSnapshotVsReplay(b *testing.B) {
	const events = 100_000
	f := newFixture(b)
	blocks := snapBenchBlocks(b, f, events)
	for i := 0; i < b.N; i++ {
		open := func(interval uint64) *App {
			a, err := newApp(Options{Dir: b.TempDir(), SnapshotInterval: interval}, testHooks{})
			if err != nil {
				b.Fatal(err)
			}
			initChain(b, a, f)
			return a
		}
		// Block time without snapshots; this is also the replay.
		off := open(0)
		replayStart := time.Now()
		tOff, _ := runBlocks(b, off, blocks)
		replay := time.Since(replayStart)
		off.Close()

		on := open(10)
		tOn, hashes := runBlocks(b, on, blocks)
		on.snaps.wait()
		ls, err := on.ListSnapshots(context.Background(), &abci.RequestListSnapshots{})
		if err != nil || len(ls.Snapshots) == 0 {
			b.Fatalf("no snapshot: %v", err)
		}
		sn := ls.Snapshots[0]
		var chunks [][]byte
		var bytes int
		for c := uint32(0); c < sn.Chunks; c++ {
			r, _ := on.LoadSnapshotChunk(context.Background(), &abci.RequestLoadSnapshotChunk{Height: sn.Height, Format: sn.Format, Chunk: c})
			chunks = append(chunks, r.Chunk)
			bytes += len(r.Chunk)
		}
		appHash := hashes[sn.Height] // a snapshot due while one is written is skipped
		on.Close()

		dst, err := newApp(Options{Dir: b.TempDir()}, testHooks{})
		if err != nil {
			b.Fatal(err)
		}
		restoreStart := time.Now()
		if r, _ := dst.OfferSnapshot(context.Background(), &abci.RequestOfferSnapshot{Snapshot: sn, AppHash: appHash}); r.Result != abci.ResponseOfferSnapshot_ACCEPT {
			b.Fatal(r.Result)
		}
		offered := time.Since(restoreStart)
		var lastChunk time.Duration
		for c, ch := range chunks {
			if c == len(chunks)-1 {
				lastChunk = time.Since(restoreStart)
			}
			if r, _ := dst.ApplySnapshotChunk(context.Background(), &abci.RequestApplySnapshotChunk{Index: uint32(c), Chunk: ch}); r.Result != abci.ResponseApplySnapshotChunk_ACCEPT {
				b.Fatal(r.Result)
			}
		}
		restore := time.Since(restoreStart)
		b.ReportMetric(offered.Seconds(), "restore-offer-s")
		b.ReportMetric((lastChunk - offered).Seconds(), "restore-write-s")
		b.ReportMetric((restore - lastChunk).Seconds(), "restore-verify-s")
		dst.Close()

		b.ReportMetric(replay.Seconds(), "replay-s")
		b.ReportMetric(restore.Seconds(), "restore-s")
		b.ReportMetric(replay.Seconds()/restore.Seconds(), "replay/restore")
		b.ReportMetric(float64(bytes)/events, "snapshot-bytes/event")
		b.ReportMetric(float64(len(chunks)), "chunks")
		b.ReportMetric(float64(len(ls.Snapshots)), "snapshots-kept")
		b.ReportMetric(float64(sn.Height), "snapshot-height")
		b.ReportMetric(float64(quantile(tOff, 0.5).Microseconds())/1000, "block-p50-off-ms")
		b.ReportMetric(float64(quantile(tOn, 0.5).Microseconds())/1000, "block-p50-on-ms")
		b.ReportMetric(float64(quantile(tOff, 0.99).Microseconds())/1000, "block-p99-off-ms")
		b.ReportMetric(float64(quantile(tOn, 0.99).Microseconds())/1000, "block-p99-on-ms")
	}
}
