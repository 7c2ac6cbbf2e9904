// SPDX-License-Identifier: Apache-2.0

package app

import (
	"bytes"
	"encoding/hex"
	"slices"
	"testing"
	"time"

	"github.com/traceledger/traceledger/client"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// TestAppHashGolden pins the app hash of two fixed ledgers: a 60-block
// chain of event batches from two signers with replays and garbage mixed
// in (makeChain, seed 42) and a 3,000-event ledger (filledApp). Issue 8's
// optimizations were required to leave every app hash unchanged; these
// values were computed at commit 913f7e6, before them, and are the same
// after. A change that alters them changes the protocol: it needs a new
// app-hash version and a note in docs/PROOFS.md, not a new constant here.
//
// App protocol version 2 (issues 12, 16 and 20) changed both on purpose:
//   - record_event subjects are filed under their canonical identifier (the
//     fixtures name their lots as EPC URIs, so the heads moved to Digital
//     Link keys);
//   - every recorded event gets a "trace/<digest>" entry that makes a retry
//     a duplicate (so makeChain gives each event its own type: its old
//     chain repeated identical events);
//   - the chain parameters at "params" are a protobuf tlv1.ChainParams
//     instead of genesis JSON;
//   - every department's validator key is remembered at "valkey/<key id>",
//     so that it never becomes a participant key.
//
// Version 1's values were df863370... (chain) and 21db324b... (filled).
//
// App protocol version 3 (issue 16, finding 4) changed the EPCIS event
// index: "event/<hash id>" holds an EPCISEventIndex (every participant's
// recording, with its signer) instead of one EPCISIndexEntry, and a second
// participant's recording of a hash ID is accepted. The chain and the
// filled ledger record no EPCIS event (record_event only), so their values
// did not move; TestAppHashGoldenEPCIS pins a ledger that does.
func TestAppHashGolden(t *testing.T) {
	const (
		wantChain  = "b88fa6c3615fc38a1a1db686888a9239e4aefb198a766f7763966a4d5928f0cf"
		wantFilled = "9651a061c660a269e0b5d54dd160c95d02f2a27e54ed417b20a9736dcf3cd88c"
	)
	f := newFixture(t)
	a := openApp(t, t.TempDir(), nil)
	defer a.Close()
	initChain(t, a, f)
	var last []byte
	for i, txs := range makeChain(t, f, 60, 42).blocks {
		res, err := finalize(t, a, int64(i+1), txs)
		if err != nil {
			t.Fatal(err)
		}
		last = res.AppHash
	}
	if got := hex.EncodeToString(last); got != wantChain {
		t.Errorf("app hash after the 60-block chain = %s, want %s", got, wantChain)
	}
	b, _ := filledApp(t, t.TempDir(), 3000)
	defer b.Close()
	if got := hex.EncodeToString(b.latest().info.AppHash); got != wantFilled {
		t.Errorf("app hash of the 3,000-event ledger = %s, want %s", got, wantFilled)
	}
}

// epcisGoldenLedger records a fixed EPCIS ledger and returns its last app
// hash and every transaction result code: public events in a batch, hashed
// events, two participants recording the same events (the farm's public
// events by the market, the market's hashed event by the farm), a
// participant repeating its own event, and an anchor.
func epcisGoldenLedger(t *testing.T) ([]byte, []uint32) {
	t.Helper()
	f := newFixture(t)
	a := openApp(t, "", nil)
	defer a.Close()
	initChain(t, a, f)
	at := blockTime(1)
	pub := prepared(t, epcisDoc(at, 5), client.ImportPublic)
	hashed := prepared(t, epcisDoc(at.Add(-time.Hour), 2), client.ImportHashed)
	anchor := &tlv1.Msg{Sum: &tlv1.Msg_AnchorRoot{AnchorRoot: &tlv1.AnchorRoot{Root: bytes.Repeat([]byte{5}, 32), LeafCount: 9, Source: "urn:epc:id:giai:6901234.COLD1"}}}
	blocks := [][][]byte{
		{signTx(t, f.farm, 0, testChainID, batchMsg(pub...)), signTx(t, f.market, 0, testChainID, eventMsgOf(hashed[0]))},
		{signTx(t, f.market, 1, testChainID, batchMsg(pub[1], pub[3])), signTx(t, f.farm, 1, testChainID, eventMsgOf(hashed[0])),
			signTx(t, f.farm, 2, testChainID, eventMsgOf(pub[0]))},
		{signTx(t, f.market, 2, testChainID, anchor, eventMsgOf(hashed[1]))},
	}
	var last []byte
	var codes []uint32
	for i, txs := range blocks {
		res, err := finalize(t, a, int64(i+1), txs)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res.TxResults {
			codes = append(codes, r.Code)
		}
		last = res.AppHash
	}
	return last, codes
}

// TestAppHashGoldenEPCIS pins the app hash of epcisGoldenLedger and its
// result codes. Under app protocol 2 the same blocks gave d9834c7b...
// with codes [0 0 65 65 7 7]: the market's and the farm's recordings of
// each other's events were refused as duplicates (and the signers' next
// sequences then skipped ahead). Under protocol 3 only the farm repeating
// its own event is refused.
func TestAppHashGoldenEPCIS(t *testing.T) {
	const want = "f291717ce9d00117a7935a5003be94949e2f2b7095fd2cd21f85b6f8ff0dd48c"
	h, codes := epcisGoldenLedger(t)
	if wantCodes := []uint32{0, 0, 0, 0, uint32(tlv1.CodeEPCISDuplicateEvent), 0}; !slices.Equal(codes, wantCodes) {
		t.Errorf("result codes %v, want %v", codes, wantCodes)
	}
	if got := hex.EncodeToString(h); got != want {
		t.Errorf("app hash of the EPCIS ledger = %s, want %s", got, want)
	}
}
