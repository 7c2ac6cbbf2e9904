// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"context"
	"strconv"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/traceledger/traceledger/app"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// TestGeneratorsAcceptedByTheApp runs transactions of every generator
// through a real application (its database in a temporary directory): all
// must be accepted, with one record per event.
func TestGeneratorsAcceptedByTheApp(t *testing.T) {
	cl, err := InitTraceLedger(t.TempDir(), ClusterOptions{Validators: 1, Signers: 2})
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(app.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	doc := cl.Genesis
	if _, err := a.InitChain(ctx, &abci.RequestInitChain{ChainId: doc.ChainID, Time: doc.GenesisTime, InitialHeight: 1, AppStateBytes: doc.AppState}); err != nil {
		t.Fatal(err)
	}
	batch, err := NewEPCISBatchGen(doc.ChainID, cl.Keys[1], 1, 100, 0, "t")
	if err != nil {
		t.Fatal(err)
	}
	gens := []struct {
		name   string
		g      Generator
		events int
	}{
		{"RecordEvent x1", NewEventGen(doc.ChainID, cl.Keys[0], 0, 1, 0, "t"), 1},
		{"RecordEvent x100", NewEventGen(doc.ChainID, cl.Keys[0], 0, 100, 2, "t2"), 100},
		{"RecordEventBatch of 100", batch, 100},
	}
	h := int64(0)
	for _, tc := range gens {
		txs, err := tc.g.Next(2)
		if err != nil {
			t.Fatal(err)
		}
		h++
		res, err := a.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Height: h, Time: doc.GenesisTime.Add(time.Duration(h) * time.Second), Txs: [][]byte{txs[0].Raw, txs[1].Raw}})
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res.TxResults {
			if r.Code != 0 {
				t.Fatalf("%s: tx %d rejected: %s", tc.name, i, r.Log)
			}
			if got := recordsIn(t, r.Events); got != tc.events {
				t.Fatalf("%s: tx %d's ABCI events name %d records for %d events", tc.name, i, got, tc.events)
			}
		}
		if _, err := a.Commit(ctx, &abci.RequestCommit{}); err != nil {
			t.Fatal(err)
		}
	}
}

// recordsIn counts the records a transaction's ABCI events describe: one
// per tlv1.EventRecord, count per tlv1.EventRecords (a batch).
func recordsIn(t *testing.T, events []abci.Event) int {
	t.Helper()
	n := 0
	for _, e := range events {
		switch e.Type {
		case tlv1.EventRecord:
			n++
		case tlv1.EventRecords:
			for _, a := range e.Attributes {
				if a.Key == tlv1.AttrCount {
					c, err := strconv.Atoi(a.Value)
					if err != nil {
						t.Fatalf("%s count %q: %v", e.Type, a.Value, err)
					}
					n += c
				}
			}
		}
	}
	return n
}
