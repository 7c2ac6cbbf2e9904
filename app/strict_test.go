// SPDX-License-Identifier: Apache-2.0

package app

import (
	"context"
	"crypto/ed25519"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// TestStrictDecoding (issue 16): a transaction has one encoding. A copy of
// a signed transaction with unknown fields outside the signature, unread
// fields inside the signed body or a message, or fields out of order is
// refused with tx_not_canonical in CheckTx and in the block, and changes
// nothing; the canonical original is then accepted.
func TestStrictDecoding(t *testing.T) {
	f := newFixture(t)
	at := blockTime(1).Add(-60e9)
	good := signTx(t, f.farm, 0, testChainID, eventMsg("urn:x:strict", "harvest", at))
	var tx tlv1.Tx
	if err := tx.Unmarshal(good); err != nil {
		t.Fatal(err)
	}
	// signBody signs body bytes as they are.
	signBody := func(body []byte) []byte {
		out, err := (&tlv1.Tx{BodyBytes: body, Signature: ed25519.Sign(f.farm, tlv1.SignBytes(body))}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	// appendField appends field 15 (bytes) with content to a message.
	appendField := func(b []byte, content string) []byte {
		return append(append(append([]byte(nil), b...), 15<<3|2, byte(len(content))), content...)
	}
	var body tlv1.TxBody
	if err := body.Unmarshal(tx.BodyBytes); err != nil {
		t.Fatal(err)
	}
	msgBytes, err := body.Messages[0].Marshal()
	if err != nil {
		t.Fatal(err)
	}
	// The body again, with an unknown field inside its record_event
	// message (field 4 of TxBody is the message list).
	evBytes, _ := body.Messages[0].GetRecordEvent().Marshal()
	innerMsg := append([]byte{1<<3 | 2, byte(len(evBytes) + 8)}, appendField(evBytes, "unread")...)
	innerBody := body
	innerBody.Messages = nil
	ib, _ := innerBody.Marshal()
	ib = append(append(ib, 4<<3|2, byte(len(innerMsg))), innerMsg...)
	// The body with its fields out of order: the message list first.
	reordered := append(append([]byte{4<<3 | 2, byte(len(msgBytes))}, msgBytes...), ib[:len(ib)-len(innerMsg)-2]...)

	for _, tc := range []struct {
		name string
		raw  []byte
	}{
		{"unknown field outside the signature", appendField(good, "203 KB of unsigned content")},
		{"unknown field in the signed body", signBody(appendField(tx.BodyBytes, "unread"))},
		{"unknown field in a message", signBody(ib)},
		{"body fields out of order", signBody(reordered)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := openApp(t, "", nil)
			defer a.Close()
			initChain(t, a, f)
			chk, err := a.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: tc.raw, Type: abci.CheckTxType_New})
			if err != nil {
				t.Fatal(err)
			}
			if tlv1.Code(chk.Code) != tlv1.CodeTxNotCanonical {
				t.Fatalf("CheckTx: code %d %s, want %d", chk.Code, chk.Log, tlv1.CodeTxNotCanonical)
			}
			res, err := finalize(t, a, 1, [][]byte{tc.raw, good})
			if err != nil {
				t.Fatal(err)
			}
			if tlv1.Code(res.TxResults[0].Code) != tlv1.CodeTxNotCanonical {
				t.Fatalf("FinalizeBlock: code %d %s, want %d", res.TxResults[0].Code, res.TxResults[0].Log, tlv1.CodeTxNotCanonical)
			}
			// Nothing was spent: the canonical original, sequence 0, commits.
			if res.TxResults[1].Code != 0 {
				t.Fatalf("the canonical transaction after it: code %d %s", res.TxResults[1].Code, res.TxResults[1].Log)
			}
		})
	}
}

// FuzzDecodeTxStrict: whatever the decoder accepts is the canonical
// encoding of what it decoded, outside and inside the signature.
func FuzzDecodeTxStrict(f *testing.F) {
	fx := newFixture(f)
	f.Add(signTx(f, fx.farm, 0, testChainID, eventMsg("urn:x:fuzz", "harvest", blockTime(1))))
	f.Add(append(signTx(f, fx.farm, 0, testChainID, eventMsg("urn:x:fuzz", "harvest", blockTime(1))), 15<<3|2, 1, 'x'))
	f.Add([]byte{0x0a, 0x00})
	a := openApp(f, "", nil)
	defer a.Close()
	f.Fuzz(func(t *testing.T, raw []byte) {
		d, err := decodeTx(a.handlers, raw, testChainID, 1<<20, 1000)
		if err != nil {
			return
		}
		tb, _ := d.tx.Marshal()
		bb, _ := d.body.Marshal()
		if string(tb) != string(raw) || string(bb) != string(d.tx.BodyBytes) {
			t.Fatalf("accepted a non-canonical transaction: %x", raw)
		}
	})
}
