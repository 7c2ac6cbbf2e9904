// SPDX-License-Identifier: Apache-2.0

package app

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/genesis"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// eventAnswer queries /epcis/event for hashID and verifies the answer
// against the latest committed app hash.
func eventAnswer(t *testing.T, a *App, hashID string) (*tlv1.EventResponse, *client.VerifiedEvent) {
	t.Helper()
	qr, bz := query(t, a, tlv1.PathEPCISEvent, &tlv1.EventRequest{HashId: hashID}, 0)
	if qr.Code != 0 {
		t.Fatalf("event query: %s", qr.Log)
	}
	var resp tlv1.EventResponse
	if err := resp.Unmarshal(bz); err != nil {
		t.Fatal(err)
	}
	verifyAppHash(t, resp.Roots, a.latest().info.AppHash)
	ve, err := client.VerifyEventResponse(hashID, &resp)
	if err != nil {
		t.Fatal(err)
	}
	return &resp, ve
}

// signers lists a verified event's recorders in order.
func signers(ve *client.VerifiedEvent) string {
	if ve == nil {
		return ""
	}
	var out []string
	for _, r := range ve.Recordings {
		out = append(out, r.Signer)
	}
	return strings.Join(out, ",")
}

// TestEPCISRecorders is issue 16's finding 4: an enterprise recorded a
// partner's event first and the partner's own recording was refused as a
// duplicate. An Event Hash ID belongs to nobody: the market recording the
// farm's event first decides nothing for the farm; both recordings are
// listed, in log order, each proven; only the same participant recording
// it again is a duplicate (code 65, existing_index its own record).
func TestEPCISRecorders(t *testing.T) {
	f := newFixture(t)
	a := openApp(t, "", nil)
	defer a.Close()
	initChain(t, a, f)
	at := blockTime(1)
	evs := prepared(t, epcisDoc(at, 3), client.ImportPublic)
	hashed := prepared(t, epcisDoc(at, 3), client.ImportHashed)
	ev := evs[0]
	codes := func(h int64, txs ...[]byte) []uint32 {
		t.Helper()
		res, err := finalize(t, a, h, txs)
		if err != nil {
			t.Fatal(err)
		}
		var out []uint32
		for _, r := range res.TxResults {
			out = append(out, r.Code)
		}
		return out
	}

	// The market records the farm's event first, the farm then records it.
	if got := codes(1, signTx(t, f.market, 0, testChainID, eventMsgOf(ev))); got[0] != 0 {
		t.Fatalf("market's recording: code %d", got[0])
	}
	if _, ve := eventAnswer(t, a, ev.HashId); signers(ve) != "market" {
		t.Fatalf("after the market: recorders %q", signers(ve))
	}
	if got := codes(2, signTx(t, f.farm, 0, testChainID, batchMsg(ev, evs[1]))); got[0] != 0 {
		t.Fatalf("farm's recording after the market's: code %d, want 0 (another participant's recording does not count)", got[0])
	}
	resp, ve := eventAnswer(t, a, ev.HashId)
	if signers(ve) != "market,farm" || ve.Recordings[0].Index >= ve.Recordings[1].Index {
		t.Fatalf("recorders %q (indexes %d, %d), want market then farm in log order", signers(ve), ve.Recordings[0].Index, ve.Recordings[1].Index)
	}
	farmIndex := ve.Recordings[1].Index
	if r := ve.By("farm"); r == nil || r.Record.Signer != "farm" || r.EPCIS.HashId != ev.HashId || ve.By("nobody") != nil {
		t.Fatalf("By: %+v", r)
	}

	// Both recordings are in the history of the event's identifier.
	subject := ve.Recordings[0].EPCIS.Subjects[0]
	_, bz := query(t, a, tlv1.PathHistory, &tlv1.HistoryRequest{Subject: subject}, 0)
	var hr tlv1.HistoryResponse
	hr.Unmarshal(bz)
	if h, err := client.VerifyHistory(subject, tlv1.HeadKey(subject), &hr); err != nil || len(h.Records) != 2 {
		t.Fatalf("history of %s: %v records, %v", subject, h, err)
	}

	// An answer that hides, reorders or duplicates a recording fails.
	tamper := []struct {
		name string
		edit func(r *tlv1.EventResponse)
	}{
		{"a recording hidden", func(r *tlv1.EventResponse) { r.Records = r.Records[:1] }},
		{"recordings swapped", func(r *tlv1.EventResponse) { r.Records[0], r.Records[1] = r.Records[1], r.Records[0] }},
		{"one recording twice", func(r *tlv1.EventResponse) { r.Records[1] = r.Records[0] }},
		{"an extra record", func(r *tlv1.EventResponse) { r.Records = append(r.Records, r.Records[1]) }},
	}
	for _, tc := range tamper {
		var cp tlv1.EventResponse
		bz, _ := resp.Marshal()
		cp.Unmarshal(bz)
		tc.edit(&cp)
		if _, err := client.VerifyEventResponse(ev.HashId, &cp); err == nil {
			t.Errorf("%s: verified", tc.name)
		}
	}

	// The same participant again: a duplicate naming its own record, alone
	// or in a batch, public or hashed (the hash ID is the identity).
	for i, tx := range [][]byte{
		signTx(t, f.farm, 1, testChainID, eventMsgOf(ev)),
		signTx(t, f.farm, 1, testChainID, batchMsg(evs[2], hashed[0])),
	} {
		res, err := finalize(t, a, int64(3+i), [][]byte{tx})
		if err != nil {
			t.Fatal(err)
		}
		r := res.TxResults[0]
		if tlv1.Code(r.Code) != tlv1.CodeEPCISDuplicateEvent || !strings.Contains(r.Log, "farm already recorded") {
			t.Fatalf("farm again (%d): code %d %s, want %d", i, r.Code, r.Log, tlv1.CodeEPCISDuplicateEvent)
		}
		if rj := rejectionOf(t, r.Data); rj.ExistingIndex == nil || *rj.ExistingIndex != farmIndex {
			t.Fatalf("farm again (%d): rejection %+v, want existing_index %d (the farm's record, not the market's)", i, rj, farmIndex)
		}
	}
	// A batch naming one hash ID twice stays a duplicate, even for a
	// participant that has not recorded it.
	if got := codes(5, signTx(t, f.market, 1, testChainID, batchMsg(evs[1], evs[1]))); tlv1.Code(got[0]) != tlv1.CodeEPCISDuplicateEvent {
		t.Fatalf("a batch with one event twice: code %d", got[0])
	}
	// The market's hashed recording of an event the farm recorded in full.
	if got := codes(6, signTx(t, f.market, 1, testChainID, eventMsgOf(hashed[1]))); got[0] != 0 {
		t.Fatalf("market's hashed recording of the farm's public event: code %d", got[0])
	}
	if _, ve := eventAnswer(t, a, evs[1].HashId); signers(ve) != "farm,market" || ve.Recordings[0].EPCIS.GetPublic() == nil || ve.Recordings[1].EPCIS.GetHashed() == nil {
		t.Fatalf("public and hashed recordings: %q", signers(ve))
	}

	// Known answers per recorder.
	for _, tc := range []struct {
		recorder string
		want     string
	}{{"", "true true false"}, {"farm", "true true false"}, {"market", "true true false"}, {"nobody", "false false false"}} {
		_, bz := query(t, a, tlv1.PathEPCISKnown, &tlv1.KnownRequest{HashIds: []string{ev.HashId, evs[1].HashId, evs[2].HashId}, Recorder: tc.recorder}, 0)
		var kr tlv1.KnownResponse
		kr.Unmarshal(bz)
		if got := strings.Trim(fmt.Sprint(kr.Known), "[]"); got != tc.want {
			t.Errorf("known by %q: %s, want %s", tc.recorder, got, tc.want)
		}
	}
}

// TestEPCISRecordersBound: at most MaxEventRecorders participants record
// one hash ID; the next is refused with code 69 and the index stays as it
// was.
func TestEPCISRecordersBound(t *testing.T) {
	n := tlv1.MaxEventRecorders + 1
	admin := keyFromSeed(3)
	pub := func(k ed25519.PrivateKey) []byte { return k.Public().(ed25519.PublicKey) }
	st := genesis.AppState{
		Departments: []genesis.Department{{ID: "agri", Name: "Agriculture", ValidatorPubKey: pub(keyFromSeed(9)), Power: 10, AdminKeys: [][]byte{pub(admin)}, DivisionCode: "520000"}},
		Params:      genesis.DefaultParams(),
	}
	keys := make([]ed25519.PrivateKey, n)
	for i := range keys {
		keys[i] = keyFromSeed(byte(100 + i))
		body := fmt.Sprintf("91520100MA%07d", i)
		check, _ := genesis.CreditCodeCheckChar(body)
		st.Participants = append(st.Participants, genesis.Participant{ID: fmt.Sprintf("e%02d", i), Name: "E", Role: "enterprise", Department: "agri",
			CreditCode: body + string(check), Keys: [][]byte{pub(keys[i])}})
	}
	bz, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	a := openApp(t, "", nil)
	defer a.Close()
	initChain(t, a, &fixture{appState: bz})
	ev := prepared(t, epcisDoc(blockTime(1).Add(-time.Minute), 1), client.ImportHashed)[0]
	txs := make([][]byte, n)
	for i := range txs {
		txs[i] = signTx(t, keys[i], 0, testChainID, eventMsgOf(ev))
	}
	res, err := finalize(t, a, 1, txs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res.TxResults {
		if i < tlv1.MaxEventRecorders && r.Code != 0 {
			t.Fatalf("recorder %d: code %d %s", i, r.Code, r.Log)
		}
		if i == tlv1.MaxEventRecorders && (tlv1.Code(r.Code) != tlv1.CodeEPCISEventRecorders || !strings.Contains(r.Log, fmt.Sprintf("by %d participants", tlv1.MaxEventRecorders))) {
			t.Fatalf("recorder %d: code %d %s, want %d", i, r.Code, r.Log, tlv1.CodeEPCISEventRecorders)
		}
	}
	_, ve := eventAnswer(t, a, ev.HashId)
	if len(ve.Recordings) != tlv1.MaxEventRecorders || ve.Recordings[0].Signer != "e00" || ve.By(fmt.Sprintf("e%02d", n-1)) != nil {
		t.Fatalf("%d recordings (first %s), want %d without the refused one", len(ve.Recordings), ve.Recordings[0].Signer, tlv1.MaxEventRecorders)
	}
}
