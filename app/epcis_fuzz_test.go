// SPDX-License-Identifier: Apache-2.0

package app

import (
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/traceledger/traceledger/client"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// FuzzEPCISBatch decodes arbitrary bytes as a RecordEventBatch, signs it
// and runs it through CheckTx and FinalizeBlock: no panic, no internal
// error, the same verdict from both for stateless rejections, and a
// rejected batch leaves the app hash of an empty block.
func FuzzEPCISBatch(f *testing.F) {
	fx := newFixture(f)
	at := blockTime(2)
	for _, mode := range []client.ImportMode{client.ImportPublic, client.ImportHashed} {
		b := &tlv1.RecordEventBatch{Events: prepared(f, epcisDoc(at, 2), mode)}
		bz, err := b.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(bz)
	}
	f.Add([]byte{0x0a, 0x00})
	a := openApp(f, "", nil)
	defer a.Close()
	initChain(f, a, fx)
	if _, err := finalize(f, a, 1, nil); err != nil {
		f.Fatal(err)
	}
	empty, err := a.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: 2, Time: at})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var b tlv1.RecordEventBatch
		if b.Unmarshal(data) != nil {
			return
		}
		tx := signTx(t, fx.farm, 0, testChainID, batchMsg(b.Events...))
		chk, err := a.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: tx})
		if err != nil {
			t.Fatal(err)
		}
		if tlv1.Code(chk.Code) == tlv1.CodeInternal {
			t.Fatalf("CheckTx: internal error: %s", chk.Log)
		}
		res, err := a.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: 2, Time: at, Txs: [][]byte{tx}})
		if err != nil {
			t.Fatal(err)
		}
		got := res.TxResults[0]
		if tlv1.Code(got.Code) == tlv1.CodeInternal {
			t.Fatalf("FinalizeBlock: internal error: %s", got.Log)
		}
		if chk.Code != 0 && got.Code != chk.Code && tlv1.Code(chk.Code) != tlv1.CodeSequenceReplayed {
			t.Fatalf("CheckTx said %d (%s), FinalizeBlock %d (%s)", chk.Code, chk.Log, got.Code, got.Log)
		}
		if got.Code != 0 && string(res.AppHash) != string(empty.AppHash) {
			t.Fatalf("rejected batch (code %d) changed the app hash", got.Code)
		}
	})
}
