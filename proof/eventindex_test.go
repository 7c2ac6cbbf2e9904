// SPDX-License-Identifier: Apache-2.0

package proof_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/traceledger/traceledger/proof"
	"github.com/traceledger/traceledger/proof/internal/reftree"
	traceledgerv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// eventHashID is the Event Hash ID the synthetic event states are about.
const eventHashID = "ni:///sha-256;1111111111111111111111111111111111111111111111111111111111111111?ver=CBV2.0"

// eventState is a log of six records in which records 1 and 4 record
// eventHashID, by the market and then the farm, and a map whose
// "event/<hash id>" value is index (nil: the honest index of those two).
type eventState struct {
	records [][]byte
	leaves  [][32]byte
	mapL    []reftree.MapLeaf
	roots   *traceledgerv1.StateRoots
	value   []byte
}

func newEventState(t testing.TB, index func(honest []*traceledgerv1.EPCISIndexEntry) []*traceledgerv1.EPCISIndexEntry) *eventState {
	t.Helper()
	s := &eventState{}
	var honest []*traceledgerv1.EPCISIndexEntry
	for i := uint64(0); i < 6; i++ {
		rec := &traceledgerv1.Record{Height: int64(i + 1), Signer: "farm", SignerKey: "k",
			Body: &traceledgerv1.Record_Event{Event: &traceledgerv1.RecordEvent{Subject: "urn:x:lot", EventType: fmt.Sprintf("step%d", i)}}}
		if i == 1 || i == 4 {
			if i == 1 {
				rec.Signer = "market"
			}
			rec.Body = &traceledgerv1.Record_Epcis{Epcis: &traceledgerv1.EPCISRecord{HashId: eventHashID, Subjects: []string{"urn:x:lot"},
				Kind: &traceledgerv1.EPCISRecord_Hashed{Hashed: &traceledgerv1.HashedEvent{PayloadSha256: bytes.Repeat([]byte{byte(i)}, 32)}}}}
		}
		bz, err := rec.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		s.records = append(s.records, bz)
		s.leaves = append(s.leaves, proof.LeafHash(bz))
		if i == 1 || i == 4 {
			honest = append(honest, &traceledgerv1.EPCISIndexEntry{Index: i, LeafHash: s.leaves[i][:], Signer: rec.Signer})
		}
	}
	entries := honest
	if index != nil {
		entries = index(honest)
	}
	var err error
	if s.value, err = (&traceledgerv1.EPCISEventIndex{Entries: entries}).Marshal(); err != nil {
		t.Fatal(err)
	}
	s.mapL = reftree.SortMap([]reftree.MapLeaf{
		{K: proof.MapKeyHash([]byte(traceledgerv1.EventKey(eventHashID))), V: proof.MapValueHash(s.value)},
		reftree.KV(traceledgerv1.ParticipantKey("farm"), "farm record"),
		reftree.KV(traceledgerv1.KeyParams, "{}"),
	})
	logRoot, mapRoot := reftree.MTH(s.leaves), reftree.MapHash(s.mapL, 0)
	s.roots = &traceledgerv1.StateRoots{Height: 3, LogSize: uint64(len(s.records)), LogRoot: logRoot[:], MapRoot: mapRoot[:], RecordsRoot: make([]byte, 32)}
	return s
}

// answer is the answer a node gives for hashID, with the records at the
// log indexes given (nil: those the index names).
func (s *eventState) answer(hashID string, at []uint64) *traceledgerv1.EventResponse {
	key := traceledgerv1.EventKey(hashID)
	resp := &traceledgerv1.EventResponse{Roots: s.roots}
	if hashID != eventHashID {
		resp.Entry = &traceledgerv1.ProvenValue{Key: key, Proof: reftree.MapProve(s.mapL, proof.MapKeyHash([]byte(key)))}
		return resp
	}
	resp.Entry = &traceledgerv1.ProvenValue{Key: key, Value: s.value, Proof: reftree.MapProve(s.mapL, proof.MapKeyHash([]byte(key)))}
	if at == nil {
		var index traceledgerv1.EPCISEventIndex
		index.Unmarshal(s.value)
		for _, e := range index.Entries {
			at = append(at, e.Index)
		}
	}
	for _, i := range at {
		resp.Records = append(resp.Records, &traceledgerv1.ProvenRecord{Index: i, Record: s.records[i],
			Inclusion: &traceledgerv1.LogInclusionProof{Index: i, Size_: uint64(len(s.records)), Hashes: reftree.Path(int(i), s.leaves)}})
	}
	return resp
}

// TestVerifyEventAnswer checks the honest answers (two recordings, and an
// absence) and that every way of hiding, adding, swapping or misattributing
// a recording fails, also when the map itself holds a malformed index.
func TestVerifyEventAnswer(t *testing.T) {
	honest := newEventState(t, nil)
	entries, vrs, err := proof.VerifyEventAnswer(eventHashID, honest.answer(eventHashID, nil))
	if err != nil || len(entries) != 2 || len(vrs) != 2 || entries[0].Signer != "market" || entries[1].Signer != "farm" || vrs[0].Index != 1 || vrs[1].Index != 4 {
		t.Fatalf("honest answer: %v %v %v", entries, vrs, err)
	}
	other := "ni:///sha-256;2222222222222222222222222222222222222222222222222222222222222222?ver=CBV2.0"
	if entries, vrs, err := proof.VerifyEventAnswer(other, honest.answer(other, nil)); err != nil || entries != nil || vrs != nil {
		t.Fatalf("absent event: %v %v %v", entries, vrs, err)
	}
	// entry is an index entry for the record at log index i (the records
	// are the same in every eventState).
	entry := func(i uint64, signer string) *traceledgerv1.EPCISIndexEntry {
		return &traceledgerv1.EPCISIndexEntry{Index: i, LeafHash: honest.leaves[i][:], Signer: signer}
	}
	withIndex := func(entries ...*traceledgerv1.EPCISIndexEntry) *traceledgerv1.EventResponse {
		s := newEventState(t, func([]*traceledgerv1.EPCISIndexEntry) []*traceledgerv1.EPCISIndexEntry { return entries })
		return s.answer(eventHashID, nil)
	}
	bad := []struct {
		name string
		resp func() *traceledgerv1.EventResponse
		want error
	}{
		{"a recording hidden", func() *traceledgerv1.EventResponse { return honest.answer(eventHashID, []uint64{1}) }, proof.ErrAnswerMismatch},
		{"an extra record", func() *traceledgerv1.EventResponse { return honest.answer(eventHashID, []uint64{1, 4, 4}) }, proof.ErrAnswerMismatch},
		{"recordings swapped", func() *traceledgerv1.EventResponse { return honest.answer(eventHashID, []uint64{4, 1}) }, proof.ErrAnswerMismatch},
		{"another record in place of one", func() *traceledgerv1.EventResponse {
			r := honest.answer(eventHashID, nil)
			r.Records[1] = honest.answer(eventHashID, []uint64{2}).Records[0]
			r.Records[1].Index = 4
			return r
		}, nil},
		{"records with an absence", func() *traceledgerv1.EventResponse {
			r := honest.answer(other, nil)
			r.Records = honest.answer(eventHashID, nil).Records
			return r
		}, proof.ErrAnswerMismatch},
		{"the answer for another key", func() *traceledgerv1.EventResponse { return honest.answer(eventHashID, nil) }, proof.ErrAnswerMismatch},
		{"an index naming another signer than the record's", func() *traceledgerv1.EventResponse {
			return withIndex(entry(1, "market"), entry(4, "pharmacy"))
		}, proof.ErrAnswerMismatch},
		{"an index naming one participant twice", func() *traceledgerv1.EventResponse {
			return withIndex(entry(1, "market"), entry(4, "market"))
		}, proof.ErrMalformedProof},
		{"an index out of log order", func() *traceledgerv1.EventResponse {
			return withIndex(entry(4, "farm"), entry(1, "market"))
		}, proof.ErrMalformedProof},
		{"an index pointing at a record of another kind", func() *traceledgerv1.EventResponse {
			return withIndex(entry(1, "market"), entry(2, "farm"))
		}, proof.ErrAnswerMismatch},
		{"an empty index", func() *traceledgerv1.EventResponse {
			s := newEventState(t, func([]*traceledgerv1.EPCISIndexEntry) []*traceledgerv1.EPCISIndexEntry { return nil })
			r := s.answer(eventHashID, nil)
			r.Entry.Value = []byte{} // an empty value reads as an absence, whose proof fails
			return r
		}, nil},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			resp := tc.resp()
			id := eventHashID
			if tc.name == "the answer for another key" {
				id = other
			}
			_, _, err := proof.VerifyEventAnswer(id, resp)
			if err == nil {
				t.Fatal("verified")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
		})
	}
}

func TestDecodeEventIndex(t *testing.T) {
	h := bytes.Repeat([]byte{7}, 32)
	e := func(i uint64, signer string) *traceledgerv1.EPCISIndexEntry {
		return &traceledgerv1.EPCISIndexEntry{Index: i, LeafHash: h, Signer: signer}
	}
	many := make([]*traceledgerv1.EPCISIndexEntry, traceledgerv1.MaxEventRecorders+1)
	for i := range many {
		many[i] = e(uint64(i), fmt.Sprintf("p%d", i))
	}
	cases := []struct {
		name    string
		entries []*traceledgerv1.EPCISIndexEntry
		ok      bool
	}{
		{"one", []*traceledgerv1.EPCISIndexEntry{e(3, "farm")}, true},
		{"two in log order", []*traceledgerv1.EPCISIndexEntry{e(3, "market"), e(9, "farm")}, true},
		{"the most", many[:traceledgerv1.MaxEventRecorders], true},
		{"none", nil, false},
		{"one too many", many, false},
		{"same index twice", []*traceledgerv1.EPCISIndexEntry{e(3, "market"), e(3, "farm")}, false},
		{"out of order", []*traceledgerv1.EPCISIndexEntry{e(9, "market"), e(3, "farm")}, false},
		{"one signer twice", []*traceledgerv1.EPCISIndexEntry{e(3, "farm"), e(9, "farm")}, false},
		{"no signer", []*traceledgerv1.EPCISIndexEntry{e(3, "")}, false},
		{"short leaf hash", []*traceledgerv1.EPCISIndexEntry{{Index: 3, LeafHash: h[:31], Signer: "farm"}}, false},
	}
	for _, tc := range cases {
		bz, err := (&traceledgerv1.EPCISEventIndex{Entries: tc.entries}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		got, err := proof.DecodeEventIndex(bz)
		if tc.ok != (err == nil) || (tc.ok && len(got) != len(tc.entries)) {
			t.Errorf("%s: %d entries, %v; want ok=%v", tc.name, len(got), err, tc.ok)
		}
		if err != nil && !errors.Is(err, proof.ErrMalformedProof) {
			t.Errorf("%s: %v does not wrap ErrMalformedProof", tc.name, err)
		}
	}
	if _, err := proof.DecodeEventIndex([]byte{0xff}); err == nil {
		t.Error("garbage decoded")
	}
}

// FuzzDecodeEventIndex: no input panics, and an accepted index has the
// shape the state machine writes.
func FuzzDecodeEventIndex(f *testing.F) {
	s := newEventState(f, nil)
	f.Add(s.value)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := proof.DecodeEventIndex(data)
		if err != nil {
			return
		}
		if len(entries) == 0 || len(entries) > traceledgerv1.MaxEventRecorders {
			t.Fatalf("accepted %d entries", len(entries))
		}
		seen := map[string]bool{}
		for i, e := range entries {
			if seen[e.Signer] || e.Signer == "" || len(e.LeafHash) != 32 || (i > 0 && e.Index <= entries[i-1].Index) {
				t.Fatalf("accepted entry %d %+v", i, e)
			}
			seen[e.Signer] = true
		}
	})
}

// FuzzVerifyEventAnswer: no answer panics, and an accepted one has a
// record per entry, each the EPCIS record of the hash ID asked about,
// signed by the entry's participant, at the entry's index.
func FuzzVerifyEventAnswer(f *testing.F) {
	s := newEventState(f, nil)
	for _, r := range []*traceledgerv1.EventResponse{s.answer(eventHashID, nil), s.answer(eventHashID, []uint64{4, 1})} {
		bz, err := r.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(bz)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var resp traceledgerv1.EventResponse
		if resp.Unmarshal(data) != nil {
			return
		}
		entries, vrs, err := proof.VerifyEventAnswer(eventHashID, &resp)
		if err != nil {
			return
		}
		if len(entries) != len(vrs) {
			t.Fatalf("%d entries, %d records", len(entries), len(vrs))
		}
		for i, vr := range vrs {
			if vr.Index != entries[i].Index || vr.Record.Signer != entries[i].Signer || vr.Record.GetEpcis().GetHashId() != eventHashID {
				t.Fatalf("accepted record %d: %+v for entry %+v", i, vr.Record, entries[i])
			}
		}
	})
}
