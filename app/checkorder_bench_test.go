// SPDX-License-Identifier: Apache-2.0

package app

import (
	"context"
	"runtime"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/traceledger/traceledger/client"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// BenchmarkJunkHeavyEPCIS measures the refusal of junk from unregistered
// keys carrying heavy EPCIS content (a batch of 1,000 public events, about
// 400 KB, each a distinct transaction from a distinct key, so no cache
// helps): "validate-first" is the order CheckTx had before issue 16's
// finding 8 (every message validated, each event's hash ID recomputed,
// then the signer looked up), "checktx" is CheckTx now (the signer is
// looked up first). Both refuse with 4 unknown_signer; the ratio of their
// ns/op is the saving. A registered sender's valid batch
// (BenchmarkCheckTxBatch) pays what it paid before.
func BenchmarkJunkHeavyEPCIS(b *testing.B) {
	for _, order := range []string{"validate-first", "checktx"} {
		b.Run(order, func(b *testing.B) {
			f := bigTxFixture(b)
			a := openApp(b, "", nil)
			defer a.Close()
			initChain(b, a, f)
			if _, err := finalize(b, a, 1, nil); err != nil {
				b.Fatal(err)
			}
			txs := make([][]byte, b.N)
			for i := range txs {
				key := keyFromSeed(byte(100 + i%100))
				txs[i] = signTx(b, key, uint64(i), testChainID, batchMsg(benchEvents(b, 1000, i*1000, blockTime(1), client.ImportPublic)...))
			}
			cs, err := a.checkState()
			if err != nil {
				b.Fatal(err)
			}
			runtime.GC()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var code tlv1.Code
				if order == "checktx" {
					r, err := a.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: txs[i], Type: abci.CheckTxType_New})
					if err != nil {
						b.Fatal(err)
					}
					code = tlv1.Code(r.Code)
				} else {
					d, err := decodeTx(a.handlers, txs[i], cs.chainID, cs.params.MaxTxBytes, cs.params.MaxMsgsPerTx)
					if err == nil {
						a.checkMu.Lock()
						r, release := a.checkReader(cs)
						_, _, err = authSigner(r, d.body.Signer, d.body.Sequence, func(k *tlv1.Key) uint64 { return k.Sequence })
						release()
						a.checkMu.Unlock()
					}
					code = CodeOf(err)
				}
				if code != tlv1.CodeUnknownSigner {
					b.Fatalf("junk got code %d, want %d", code, tlv1.CodeUnknownSigner)
				}
			}
		})
	}
}
