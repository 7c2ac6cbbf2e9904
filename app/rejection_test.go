// SPDX-License-Identifier: Apache-2.0

package app

import (
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/traceledger/traceledger/client"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// rejectionOf decodes a result's data as a Rejection.
func rejectionOf(t *testing.T, data []byte) *tlv1.Rejection {
	t.Helper()
	var r tlv1.Rejection
	if err := r.Unmarshal(data); err != nil {
		t.Fatalf("result data is not a Rejection: %v", err)
	}
	return &r
}

// TestRecordEventIdempotent (issue 12): an event already recorded by the
// same signer (same canonical subject, type, event time and payload hash)
// is refused with event_duplicate and the existing record's index in the
// result data, whatever spelling of the subject or note the retry carries;
// an event that differs in any identity field is recorded.
func TestRecordEventIdempotent(t *testing.T) {
	f := newFixture(t)
	a := openApp(t, "", nil)
	defer a.Close()
	initChain(t, a, f)
	at := blockTime(1).Add(-30 * 60e9)
	urn := "urn:epc:class:lgtin:6901234.500012.RETRY"
	first := eventMsg(urn, "harvest", at)
	res, err := finalize(t, a, 1, [][]byte{signTx(t, f.farm, 0, testChainID, first)})
	if err != nil || res.TxResults[0].Code != 0 {
		t.Fatalf("first record: %v %+v", err, res.TxResults)
	}
	log0 := client.RecordIndexes(res.TxResults[0].Events)
	if len(log0) != 1 {
		t.Fatalf("first record's events name no index: %+v", res.TxResults[0].Events)
	}
	e := first.GetRecordEvent()
	variant := func(edit func(*tlv1.RecordEvent)) *tlv1.Msg {
		c := *e
		edit(&c)
		return &tlv1.Msg{Sum: &tlv1.Msg_RecordEvent{RecordEvent: &c}}
	}
	seq := uint64(1) // a refused transaction spends no sequence
	for i, tc := range []struct {
		name string
		msg  *tlv1.Msg
		dup  bool
	}{
		{"the same event again", first, true},
		{"another note", variant(func(c *tlv1.RecordEvent) { c.Note = "retry" }), true},
		{"the Digital Link spelling", variant(func(c *tlv1.RecordEvent) { c.Subject = mustCanonical(urn) }), true},
		{"another event time", variant(func(c *tlv1.RecordEvent) { c.EventTimeMs++ }), false},
		{"another type", variant(func(c *tlv1.RecordEvent) { c.EventType = "packing" }), false},
		{"another payload", variant(func(c *tlv1.RecordEvent) { c.PayloadSha256 = make([]byte, 32) }), false},
		{"another lot", variant(func(c *tlv1.RecordEvent) { c.Subject = urn + "2" }), false},
	} {
		h := int64(i + 2)
		res, err := finalize(t, a, h, [][]byte{signTx(t, f.farm, seq, testChainID, tc.msg)})
		if err != nil {
			t.Fatal(err)
		}
		r := res.TxResults[0]
		if r.Code == 0 {
			seq++
		}
		if !tc.dup {
			if r.Code != 0 {
				t.Errorf("%s: code %d %s, want recorded", tc.name, r.Code, r.Log)
			}
			continue
		}
		if tlv1.Code(r.Code) != tlv1.CodeEventDuplicate {
			t.Errorf("%s: code %d %s, want %d (event_duplicate)", tc.name, r.Code, r.Log, tlv1.CodeEventDuplicate)
			continue
		}
		rj := rejectionOf(t, r.Data)
		if rj.Code != r.Code || rj.ExistingIndex == nil || *rj.ExistingIndex != log0[0] || rj.Message == nil || *rj.Message != 0 {
			t.Errorf("%s: rejection data %+v, want code %d, message 0, existing index %d", tc.name, rj, r.Code, log0[0])
		}
	}
}

// TestRejectionFacts: the facts clients act on travel in the result data
// (never parsed from the log): the next sequence of a replay or gap, in
// CheckTx and in the block; the failing event of a batch.
func TestRejectionFacts(t *testing.T) {
	f := newFixture(t)
	a := openApp(t, "", nil)
	defer a.Close()
	initChain(t, a, f)
	at := blockTime(1).Add(-30 * 60e9)
	if res, err := finalize(t, a, 1, [][]byte{signTx(t, f.farm, 0, testChainID, eventMsg("urn:x:facts", "a", at))}); err != nil || res.TxResults[0].Code != 0 {
		t.Fatalf("setup: %v %+v", err, res)
	}
	for _, tc := range []struct {
		name string
		seq  uint64
		code tlv1.Code
	}{{"replay", 0, tlv1.CodeSequenceReplayed}, {"gap", 5, tlv1.CodeSequenceGap}} {
		tx := signTx(t, f.farm, tc.seq, testChainID, eventMsg("urn:x:facts", "b", at))
		chk, err := a.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: tx, Type: abci.CheckTxType_New})
		if err != nil {
			t.Fatal(err)
		}
		res, err := finalize(t, a, 2, [][]byte{tx})
		if err != nil {
			t.Fatal(err)
		}
		for stage, got := range map[string]struct {
			code uint32
			data []byte
		}{"CheckTx": {chk.Code, chk.Data}, "FinalizeBlock": {res.TxResults[0].Code, res.TxResults[0].Data}} {
			if tlv1.Code(got.code) != tc.code {
				t.Errorf("%s %s: code %d, want %d", tc.name, stage, got.code, tc.code)
				continue
			}
			rj := rejectionOf(t, got.data)
			if rj.NextSequence == nil || *rj.NextSequence != 1 || rj.Message != nil {
				t.Errorf("%s %s: rejection %+v, want next_sequence 1 and no message", tc.name, stage, rj)
			}
		}
	}

	good := prepared(t, epcisDoc(blockTime(3), 4), client.ImportPublic)
	bad := clone(t, good[2])
	bad.HashId = "ni:///sha-256;" + "00"
	batch := batchMsg(good[0], good[1], bad, good[3])
	chk, err := a.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: signTx(t, f.farm, 1, testChainID, batch), Type: abci.CheckTxType_New})
	if err != nil {
		t.Fatal(err)
	}
	if chk.Code == 0 {
		t.Fatal("a batch with a malformed hash id was admitted")
	}
	rj := rejectionOf(t, chk.Data)
	if rj.BatchEvent == nil || *rj.BatchEvent != 2 || rj.Message == nil || *rj.Message != 0 {
		t.Errorf("batch refusal %+v (%s), want batch_event 2 of message 0", rj, chk.Log)
	}
}
