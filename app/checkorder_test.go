// SPDX-License-Identifier: Apache-2.0

package app

import (
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/traceledger/traceledger/client"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// TestCheckTxOrder: issue 16, finding 8. CheckTx looks the signer up, and
// checks key status and sequence, before it validates the messages (an
// EPCIS event's hash ID is recomputed) and before the signature: an EPCIS
// batch whose event's hash ID is wrong gets the signer's code from CheckTx
// when the signer is unknown or its sequence used, and the EPCIS code when
// the signer is fine. Block execution keeps its order (a consensus rule),
// so the same transaction in a block gets the message's code; a valid
// transaction is admitted and committed as before.
func TestCheckTxOrder(t *testing.T) {
	f := newFixture(t)
	a := openApp(t, "", nil)
	defer a.Close()
	initChain(t, a, f)
	at := blockTime(1)
	good := prepared(t, epcisDoc(at, 3), client.ImportPublic)
	bad := make([]*tlv1.RecordEPCISEvent, len(good))
	for i := range good {
		bad[i] = clone(t, good[i])
	}
	bad[1].HashId = good[0].HashId // the hash ID is not this event's
	// The code the bad batch gets on its own, from a registered signer.
	badCode := func() tlv1.Code {
		r, err := a.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: signTx(t, f.farm, 0, testChainID, batchMsg(bad...)), Type: abci.CheckTxType_New})
		if err != nil {
			t.Fatal(err)
		}
		return tlv1.Code(r.Code)
	}()
	if badCode == tlv1.CodeOK || badCode == tlv1.CodeUnknownSigner {
		t.Fatalf("the bad batch from the farm got %d, want an EPCIS code", badCode)
	}
	stranger := keyFromSeed(77)
	cases := []struct {
		name        string
		tx          []byte
		check       tlv1.Code // CheckTx's code
		deliverCode tlv1.Code // the code in a block
	}{
		{"unknown signer, bad event", signTx(t, stranger, 0, testChainID, batchMsg(bad...)), tlv1.CodeUnknownSigner, badCode},
		{"sequence gap, bad event", signTx(t, f.market, 5, testChainID, batchMsg(bad...)), tlv1.CodeSequenceGap, badCode},
		{"bad signature, bad event", func() []byte {
			tx := signTx(t, f.market, 0, testChainID, batchMsg(bad...))
			tx[len(tx)-1] ^= 1 // the signature is the last field
			return tx
		}(), badCode, badCode},
		{"valid", signTx(t, f.farm, 0, testChainID, batchMsg(good...)), tlv1.CodeOK, tlv1.CodeOK},
	}
	var block [][]byte
	for _, tc := range cases {
		r, err := a.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: tc.tx, Type: abci.CheckTxType_New})
		if err != nil {
			t.Fatal(err)
		}
		if tlv1.Code(r.Code) != tc.check {
			t.Errorf("%s: CheckTx code %d (%s), want %d", tc.name, r.Code, r.Log, tc.check)
		}
		block = append(block, tc.tx)
	}
	res, err := finalize(t, a, 1, block)
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range cases {
		if got := tlv1.Code(res.TxResults[i].Code); got != tc.deliverCode {
			t.Errorf("%s: block code %d (%s), want %d", tc.name, got, res.TxResults[i].Log, tc.deliverCode)
		}
	}
}
