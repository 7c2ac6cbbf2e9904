// SPDX-License-Identifier: Apache-2.0

package app

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/genesis"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// bigTxFixture is the test fixture with params.max_tx_bytes raised to 1 MiB,
// so that a batch of 1,000 public events (about 400 bytes each) fits in one
// transaction.
func bigTxFixture(t testing.TB) *fixture {
	f := newFixture(t)
	var st genesis.AppState
	if err := json.Unmarshal(f.appState, &st); err != nil {
		t.Fatal(err)
	}
	st.Params.MaxTxBytes = 1 << 20
	bz, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	f.appState = bz
	return f
}

// benchEvents builds n distinct ObjectEvents (one serial each, all of one
// lot, as a packing line emits them) as RecordEPCISEvent messages.
func benchEvents(t testing.TB, n, offset int, at time.Time, mode client.ImportMode) []*tlv1.RecordEPCISEvent {
	var b strings.Builder
	b.WriteString(`{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"ex": "https://ns.example.com/farm/"}],
  "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-01T00:00:00Z", "epcisBody": {"eventList": [`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"type": "ObjectEvent", "eventTime": %q, "eventTimeZoneOffset": "+08:00",
  "epcList": ["urn:epc:id:sgtin:6901234.000012.%d"],
  "quantityList": [{"epcClass": "urn:epc:class:lgtin:6901234.000012.LOT%d", "quantity": 1, "uom": "KGM"}],
  "action": "ADD", "bizStep": "commissioning", "disposition": "active",
  "readPoint": {"id": "urn:epc:id:sgln:6901234.00001.0"}, "bizLocation": {"id": "urn:epc:id:sgln:6901234.00001.0"},
  "ex:line": "3"}`, at.Add(-time.Duration(i)*time.Millisecond).UTC().Format(time.RFC3339Nano), offset+i, (offset+i)/10_000)
	}
	b.WriteString(`]}}`)
	return prepared(t, b.String(), mode)
}

// BenchmarkRecordEventBatch executes and commits blocks of RecordEventBatch
// transactions (1,000 events each, 5 per block) on badger on disk:
// decoding, signature verification, the checks (for public events the Event
// Hash ID recomputed from the typed event), records, histories (each event
// extends the history of its serial and of its lot) and the map entry
// "event/<hash id>". Reported: committed events per second of wall-clock
// time and per CPU second of the process (FinalizeBlock + Commit only).
//
// "public-after-checktx" is the usual case on a validator: the
// transactions went through this node's CheckTx (not timed) before the
// block, so their checks are cached and the hash is not recomputed.
func BenchmarkRecordEventBatch(b *testing.B) {
	const perTx, txsPerBlock = 1000, 5
	for _, mode := range []struct {
		name    string
		mode    client.ImportMode
		checkTx bool
	}{{"hashed", client.ImportHashed, false}, {"public", client.ImportPublic, false},
		{"hashed-after-checktx", client.ImportHashed, true}, {"public-after-checktx", client.ImportPublic, true}} {
		b.Run(mode.name, func(b *testing.B) {
			f := bigTxFixture(b)
			a := openApp(b, b.TempDir(), nil)
			defer a.Close()
			initChain(b, a, f)
			blocks := make([][][]byte, b.N)
			bytesPerBlock := 0
			for i := range blocks {
				at := blockTime(int64(i + 1))
				for j := 0; j < txsPerBlock; j++ {
					evs := benchEvents(b, perTx, (i*txsPerBlock+j)*perTx, at, mode.mode)
					tx := signTx(b, f.farm, uint64(i*txsPerBlock+j), testChainID, batchMsg(evs...))
					blocks[i] = append(blocks[i], tx)
					bytesPerBlock += len(tx)
				}
			}
			runtime.GC() // the setup's garbage is not the benchmark's
			var cpu time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if mode.checkTx {
					b.StopTimer()
					for _, tx := range blocks[i] {
						if r, err := a.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: tx, Type: abci.CheckTxType_New}); err != nil || r.Code != 0 {
							b.Fatalf("CheckTx: %v %s", err, r.Log)
						}
					}
					b.StartTimer()
				}
				c0 := epcisCPU()
				res, err := finalize(b, a, int64(i+1), blocks[i])
				cpu += epcisCPU() - c0
				if err != nil {
					b.Fatal(err)
				}
				for _, r := range res.TxResults {
					if r.Code != 0 {
						b.Fatalf("tx rejected: %s", r.Log)
					}
				}
			}
			events := float64(b.N * perTx * txsPerBlock)
			b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
			if cpu > 0 {
				b.ReportMetric(events/cpu.Seconds(), "events/cpu-s")
			}
			b.ReportMetric(float64(bytesPerBlock)/events, "tx-bytes/event")
		})
	}
}

// BenchmarkCheckTxBatch measures the mempool's admission of 1,000-event
// batches (decode, signature, stateless checks including the hash).
func BenchmarkCheckTxBatch(b *testing.B) {
	for _, mode := range []struct {
		name string
		mode client.ImportMode
	}{{"hashed", client.ImportHashed}, {"public", client.ImportPublic}} {
		b.Run(mode.name, func(b *testing.B) {
			f := bigTxFixture(b)
			a := openApp(b, "", nil)
			defer a.Close()
			initChain(b, a, f)
			if _, err := finalize(b, a, 1, nil); err != nil {
				b.Fatal(err)
			}
			txs := make([][]byte, b.N)
			for i := range txs {
				txs[i] = signTx(b, f.farm, uint64(i), testChainID, batchMsg(benchEvents(b, 1000, i*1000, blockTime(1), mode.mode)...))
			}
			runtime.GC()
			cpu0 := epcisCPU()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r, err := a.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: txs[i], Type: abci.CheckTxType_New})
				if err != nil || r.Code != 0 {
					b.Fatalf("CheckTx: %v %s", err, r.Log)
				}
			}
			b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "events/s")
			if cpu := epcisCPU() - cpu0; cpu > 0 {
				b.ReportMetric(float64(b.N*1000)/cpu.Seconds(), "events/cpu-s")
			}
		})
	}
}
