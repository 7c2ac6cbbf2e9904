// SPDX-License-Identifier: Apache-2.0

package app

import (
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// FuzzCheckTx feeds arbitrary bytes to CheckTx and FinalizeBlock: they must
// never panic, must reject with a defined code, and a rejected transaction
// must leave the app hash of an empty block unchanged.
func FuzzCheckTx(f *testing.F) {
	fx := newFixture(f)
	at := blockTime(2)
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0x00})
	f.Add(signTx(f, fx.farm, 1, testChainID, eventMsg("urn:x:1", "harvest", at)))
	f.Add(signTx(f, fx.farm, 0, testChainID, eventMsg("urn:x:1", "harvest", at)))
	f.Add(signTx(f, fx.admin, 0, testChainID))
	a := openApp(f, "", nil)
	defer a.Close()
	initChain(f, a, fx)
	if _, err := finalize(f, a, 1, [][]byte{signTx(f, fx.farm, 0, testChainID, eventMsg("urn:x:1", "harvest", blockTime(1)))}); err != nil {
		f.Fatal(err)
	}
	empty, err := a.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: 2, Time: at})
	if err != nil {
		f.Fatal(err)
	}
	known := map[tlv1.Code]bool{}
	for _, c := range tlv1.Codes() {
		known[c] = true
	}
	f.Fuzz(func(t *testing.T, tx []byte) {
		chk, err := a.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: tx})
		if err != nil {
			t.Fatal(err)
		}
		if !known[tlv1.Code(chk.Code)] || chk.Code == uint32(tlv1.CodeInternal) {
			t.Fatalf("CheckTx returned code %d: %s", chk.Code, chk.Log)
		}
		res, err := a.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: 2, Time: at, Txs: [][]byte{tx}})
		if err != nil {
			t.Fatal(err)
		}
		if res.TxResults[0].Code != 0 && string(res.AppHash) != string(empty.AppHash) {
			t.Fatalf("rejected tx (code %d) changed the app hash", res.TxResults[0].Code)
		}
	})
}
