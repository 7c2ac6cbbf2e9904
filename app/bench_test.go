// SPDX-License-Identifier: Apache-2.0

package app

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io/fs"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/traceledger/traceledger/proof"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// benchTxs signs n single-event transactions from key starting at seq, over
// lots distinct subjects.
func benchTxs(b *testing.B, key ed25519.PrivateKey, seq uint64, n, lots int, at time.Time) [][]byte {
	txs := make([][]byte, n)
	for i := range txs {
		subject := fmt.Sprintf("urn:epc:class:lgtin:6901234.500012.B%d", (int(seq)+i)%lots)
		txs[i] = signTx(b, key, seq+uint64(i), testChainID, eventMsg(subject, "shipping", at))
	}
	return txs
}

// BenchmarkFinalizeBlock executes and commits blocks of N single-event
// transactions (signature verification included: nothing is cached) on a
// badger database on disk. Reported: events/s on this benchmark's one
// goroutine.
//
// With checked=true every transaction first passed CheckTx (outside the
// timer), as in a node whose mempool admitted it: FinalizeBlock then skips
// the signature it already verified.
func BenchmarkFinalizeBlock(b *testing.B) {
	for _, bc := range []struct {
		n       int
		checked bool
	}{{100, false}, {1000, false}, {1000, true}} {
		n := bc.n
		b.Run(fmt.Sprintf("txs=%d/checked=%v", n, bc.checked), func(b *testing.B) {
			f := newFixture(b)
			a := openApp(b, b.TempDir(), nil)
			defer a.Close()
			initChain(b, a, f)
			blocks := make([][][]byte, b.N)
			for i := range blocks {
				blocks[i] = benchTxs(b, f.farm, uint64(i*n), n, 10_000, blockTime(int64(i+1)))
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if bc.checked {
					b.StopTimer()
					for _, tx := range blocks[i] {
						if r, _ := a.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: tx}); r.Code != 0 {
							b.Fatal(r.Log)
						}
					}
					b.StartTimer()
				}
				res, err := finalize(b, a, int64(i+1), blocks[i])
				if err != nil {
					b.Fatal(err)
				}
				if res.TxResults[n-1].Code != 0 {
					b.Fatalf("tx rejected: %s", res.TxResults[n-1].Log)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkInclusionProof builds a record's inclusion proof from badger
// (the query path) and verifies it with package proof, in a log of 100,000
// records.
func BenchmarkInclusionProof(b *testing.B) {
	a, _ := filledApp(b, b.TempDir(), 100_000)
	defer a.Close()
	c := a.latest()
	v := a.st.viewAt(c.info.Height)
	defer v.discard()
	var root [32]byte
	copy(root[:], c.info.LogRoot)
	b.Run("build", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := inclusionProof(v, uint64(i*7919)%c.info.LogSize, c.info.LogSize); err != nil {
				b.Fatal(err)
			}
		}
	})
	idx := c.info.LogSize / 3
	p, err := inclusionProof(v, idx, c.info.LogSize)
	if err != nil {
		b.Fatal(err)
	}
	rec, _ := v.record(idx)
	leaf := proof.LeafHash(rec)
	b.Run("verify", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := proof.VerifyInclusion(leaf, idx, c.info.LogSize, p.Hashes, root); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(p.Hashes)*32), "proof-bytes")
	})
}

// filledApp commits events events in blocks of 1,000 (10 events per
// transaction) and returns the app.
func filledApp(b testing.TB, dir string, events int) (*App, int64) {
	f := newFixture(b)
	a := openApp(b, dir, nil)
	initChain(b, a, f)
	const perTx, perBlock = 10, 100
	h := int64(0)
	seq := uint64(0)
	for done := 0; done < events; {
		h++
		at := blockTime(h)
		txs := make([][]byte, 0, perBlock)
		for t := 0; t < perBlock && done < events; t++ {
			msgs := make([]*tlv1.Msg, 0, perTx)
			for m := 0; m < perTx && done < events; m++ {
				msgs = append(msgs, eventMsg(fmt.Sprintf("urn:epc:id:sgtin:6901234.500012.%d", done), "commissioning", at))
				done++
			}
			txs = append(txs, signTx(b, f.farm, seq, testChainID, msgs...))
			seq++
		}
		res, err := finalize(b, a, h, txs)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range res.TxResults {
			if r.Code != 0 {
				b.Fatal(r.Log)
			}
		}
	}
	return a, h
}

// BenchmarkStateBytesPerEvent commits 100,000 events (each a new subject,
// the worst case for the map) and reports the app database's size on disk
// per event after badger has flushed.
func BenchmarkStateBytesPerEvent(b *testing.B) {
	const events = 100_000
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		a, _ := filledApp(b, dir, events)
		if err := a.Close(); err != nil {
			b.Fatal(err)
		}
		var size int64
		filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if fi, err := d.Info(); err == nil {
					if st, ok := fi.Sys().(*syscall.Stat_t); ok {
						size += st.Blocks * 512 // allocated, as du counts: badger preallocates sparse files
					}
				}
			}
			return nil
		})
		b.ReportMetric(float64(size)/events, "bytes/event")
	}
}
