// SPDX-License-Identifier: Apache-2.0

package app

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// TestBadInput checks every kind of bad transaction: each is rejected by
// CheckTx and by FinalizeBlock with its stable code and a message saying
// what was wrong, and a block holding it has the same app hash as an empty
// block.
func TestBadInput(t *testing.T) {
	f := newFixture(t)
	at := blockTime(2)
	good := func(seq uint64) []byte {
		return signTx(t, f.farm, seq, testChainID, eventMsg("urn:epc:class:lgtin:6901234.500012.L", "harvest", at))
	}
	stranger := keyFromSeed(77)
	badSig := func() []byte {
		var tx tlv1.Tx
		if err := tx.Unmarshal(good(1)); err != nil {
			t.Fatal(err)
		}
		tx.Signature[0] ^= 1
		raw, _ := tx.Marshal()
		return raw
	}
	big := strings.Repeat("x", 300_000)
	cases := []struct {
		name     string
		tx       []byte
		code     tlv1.Code
		fragment string
	}{
		{"garbage bytes", []byte{0xde, 0xad, 0xbe, 0xef, 0x99}, tlv1.CodeTxDecode, "not a Tx"},
		{"truncated protobuf", good(1)[:40], tlv1.CodeTxDecode, "protobuf"},
		{"wrong chain id", signTx(t, f.farm, 1, "other-chain", eventMsg("urn:x:1", "harvest", at)), tlv1.CodeWrongChainID, `"other-chain"`},
		{"unknown signer", signTx(t, stranger, 0, testChainID, eventMsg("urn:x:1", "harvest", at)), tlv1.CodeUnknownSigner, "not a registered key"},
		{"bad signature", badSig(), tlv1.CodeBadSignature, "does not verify"},
		{"replayed sequence", good(0), tlv1.CodeSequenceReplayed, "already used"},
		{"skipped sequence", good(5), tlv1.CodeSequenceGap, "skips ahead"},
		{"oversized transaction", signTx(t, f.farm, 1, testChainID, &tlv1.Msg{Sum: &tlv1.Msg_RecordEvent{RecordEvent: &tlv1.RecordEvent{Subject: "urn:x:1", EventType: "t", EventTimeMs: 1, PayloadSha256: make([]byte, 32), Note: big}}}), tlv1.CodeTxTooLarge, "limit is"},
		{"empty message list", signTx(t, f.farm, 1, testChainID), tlv1.CodeEmptyTx, "at least one message"},
		{"empty message", signTx(t, f.farm, 1, testChainID, &tlv1.Msg{}), tlv1.CodeUnknownMessage, "messages[0]"},
		{"bad payload hash", signTx(t, f.farm, 1, testChainID, &tlv1.Msg{Sum: &tlv1.Msg_RecordEvent{RecordEvent: &tlv1.RecordEvent{Subject: "urn:x:1", EventType: "t", EventTimeMs: 1, PayloadSha256: []byte{1}}}}), tlv1.CodeInvalidMessage, "payload_sha256"},
		{"subject not a URI", signTx(t, f.farm, 1, testChainID, eventMsg("not a uri", "harvest", at)), tlv1.CodeEPCISInvalidIdentifier, "subject"},
		{"reserved subject", signTx(t, f.farm, 1, testChainID, eventMsg("participant:farm", "harvest", at)), tlv1.CodeInvalidMessage, "reserved"},
		{"unauthorized role", signTx(t, f.admin, 0, testChainID, eventMsg("urn:x:1", "harvest", at)), tlv1.CodeUnauthorized, "may not be sent"},
	}

	// base: genesis plus block 1 with one good tx (sequence 0 used).
	setup := func() (*App, []byte) {
		a := openApp(t, "", nil)
		initChain(t, a, f)
		if r, err := finalize(t, a, 1, [][]byte{good(0)}); err != nil || r.TxResults[0].Code != 0 {
			t.Fatalf("setup block: %v %v", err, r)
		}
		empty, err := a.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: 2, Time: blockTime(2)})
		if err != nil {
			t.Fatal(err)
		}
		return a, empty.AppHash
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, emptyHash := setup()
			defer a.Close()
			chk, err := a.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: tc.tx, Type: abci.CheckTxType_New})
			if err != nil {
				t.Fatal(err)
			}
			if tlv1.Code(chk.Code) != tc.code || chk.Codespace != tlv1.Codespace || !strings.Contains(chk.Log, tc.fragment) {
				t.Errorf("CheckTx: code %d (%s) log %q; want code %d (%s) with %q", chk.Code, tlv1.Code(chk.Code), chk.Log, tc.code, tc.code, tc.fragment)
			}
			res, err := a.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: 2, Time: blockTime(2), Txs: [][]byte{tc.tx}})
			if err != nil {
				t.Fatal(err)
			}
			got := res.TxResults[0]
			if tlv1.Code(got.Code) != tc.code || !strings.Contains(got.Log, tc.fragment) {
				t.Errorf("FinalizeBlock: code %d log %q; want code %d with %q", got.Code, got.Log, tc.code, tc.fragment)
			}
			if !bytes.Equal(res.AppHash, emptyHash) {
				t.Errorf("a rejected transaction changed the app hash")
			}
		})
	}
}

// TestAtomicTx: a transaction whose second message is rejected records
// nothing, and its sequence is not consumed.
func TestAtomicTx(t *testing.T) {
	f := newFixture(t)
	a := openApp(t, "", nil)
	defer a.Close()
	initChain(t, a, f)
	at := blockTime(1)
	bad := &tlv1.Msg{Sum: &tlv1.Msg_RecordEvent{RecordEvent: &tlv1.RecordEvent{Subject: "urn:x:1", EventType: "t", EventTimeMs: at.Add(48 * 3600e9).UnixMilli(), PayloadSha256: make([]byte, 32)}}}
	tx := signTx(t, f.farm, 0, testChainID, eventMsg("urn:x:1", "harvest", at), bad)
	empty, _ := a.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: 1, Time: at})
	res, err := a.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: 1, Time: at, Txs: [][]byte{tx}})
	if err != nil {
		t.Fatal(err)
	}
	if tlv1.Code(res.TxResults[0].Code) != tlv1.CodeEventInFuture || !strings.Contains(res.TxResults[0].Log, "messages[1]") {
		t.Fatalf("got code %d %q, want event_in_future at messages[1]", res.TxResults[0].Code, res.TxResults[0].Log)
	}
	if !bytes.Equal(res.AppHash, empty.AppHash) {
		t.Fatal("half of a rejected transaction was applied")
	}
	// The same sequence still works for a good transaction.
	res, _ = a.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: 1, Time: at, Txs: [][]byte{signTx(t, f.farm, 0, testChainID, eventMsg("urn:x:1", "harvest", at))}})
	if res.TxResults[0].Code != 0 {
		t.Fatalf("sequence 0 after a rejected tx: %s", res.TxResults[0].Log)
	}
}

// TestCheckTxPendingSequences: the mempool admits consecutive sequences
// before they commit, and refuses a duplicate.
func TestCheckTxPendingSequences(t *testing.T) {
	f := newFixture(t)
	a := openApp(t, "", nil)
	defer a.Close()
	initChain(t, a, f)
	if _, err := finalize(t, a, 1, nil); err != nil {
		t.Fatal(err)
	}
	at := blockTime(1)
	for seq := uint64(0); seq < 3; seq++ {
		r, _ := a.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: signTx(t, f.farm, seq, testChainID, eventMsg("urn:x:1", "harvest", at))})
		if r.Code != 0 {
			t.Fatalf("seq %d: %s", seq, r.Log)
		}
	}
	r, _ := a.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: signTx(t, f.farm, 1, testChainID, eventMsg("urn:x:2", "harvest", at))})
	if tlv1.Code(r.Code) != tlv1.CodeSequenceReplayed {
		t.Fatalf("duplicate pending sequence: code %d %q", r.Code, r.Log)
	}
	_ = ed25519.PublicKeySize
}

// TestCheckTxBeforeFirstBlock: between InitChain and the first Commit the
// mempool checks against the genesis state.
func TestCheckTxBeforeFirstBlock(t *testing.T) {
	f := newFixture(t)
	a := openApp(t, "", nil)
	defer a.Close()
	if r, _ := a.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: signTx(t, f.farm, 0, testChainID, eventMsg("urn:x:1", "harvest", blockTime(1)))}); tlv1.Code(r.Code) != tlv1.CodeInternal {
		t.Fatalf("before InitChain: code %d", r.Code)
	}
	initChain(t, a, f)
	r, _ := a.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: signTx(t, f.farm, 0, testChainID, eventMsg("urn:x:1", "harvest", blockTime(1)))})
	if r.Code != 0 {
		t.Fatalf("after InitChain: %s", r.Log)
	}
	r, _ = a.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: signTx(t, keyFromSeed(50), 0, testChainID, eventMsg("urn:x:1", "harvest", blockTime(1)))})
	if tlv1.Code(r.Code) != tlv1.CodeUnknownSigner {
		t.Fatalf("unknown signer after InitChain: code %d", r.Code)
	}
}
