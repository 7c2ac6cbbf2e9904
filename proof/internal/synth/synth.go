// SPDX-License-Identifier: Apache-2.0

// Package synth builds synthetic ledger states for the tests and benchmarks
// of package proof and its sub-packages: a log of records, some about one
// subject, the map with that subject's head, the records tree and honest
// answers about them, all built with the reference trees of package
// reftree; and streamed inclusion paths in logs too large to keep.
package synth

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/traceledger/traceledger/proof"
	"github.com/traceledger/traceledger/proof/internal/reftree"
	traceledgerv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Subject is the subject whose history a State holds.
const Subject = "urn:epc:class:lgtin:6901234.500012.LOT7"

// subjectIndexes are the log indexes of Subject's records.
var subjectIndexes = []uint64{2, 5, 6, 9}

// SubjectIndexes returns the log indexes of Subject's records.
func SubjectIndexes() []uint64 { return slices.Clone(subjectIndexes) }

// State is a ledger state of 11 records, four of them about Subject.
type State struct {
	Records     [][]byte
	LogLeaves   [][32]byte
	RecLeaves   [][32]byte
	MapLeaves   []reftree.MapLeaf
	LogRoot     [32]byte
	RecordsRoot [32]byte
	MapRoot     [32]byte
	Height      int64
}

// New returns the state at height.
func New(t testing.TB, height int64) *State {
	t.Helper()
	return NewRecall(t, height, -1)
}

// NewRecall is New where the record at recallAt (one of SubjectIndexes;
// -1: none) is a recall naming the subject.
func NewRecall(t testing.TB, height int64, recallAt int64) *State {
	t.Helper()
	s := &State{Height: height}
	var chain []byte
	isSubject := map[uint64]bool{}
	for _, i := range subjectIndexes {
		isSubject[i] = true
	}
	for i := uint64(0); i < 11; i++ {
		subject := fmt.Sprintf("urn:epc:class:lgtin:6901234.500012.OTHER%d", i)
		if isSubject[i] {
			subject = Subject
		}
		rec := &traceledgerv1.Record{Height: int64(i/3 + 1), TimeMs: 1_790_000_000_000 + int64(i), Signer: "farm", SignerKey: "k",
			Body: &traceledgerv1.Record_Event{Event: &traceledgerv1.RecordEvent{Subject: subject, EventType: fmt.Sprintf("step%d", i),
				EventTimeMs: 1_789_000_000_000, PayloadSha256: bytes.Repeat([]byte{byte(i)}, 32)}}}
		if int64(i) == recallAt {
			rec.Body = &traceledgerv1.Record_Credit{Credit: &traceledgerv1.CreditRecord{Body: &traceledgerv1.CreditRecord_Recall{Recall: &traceledgerv1.Recall{
				Body: &traceledgerv1.InitiateRecall{Id: "R-1", Enterprise: "farm", Lots: []string{subject}}, OrderedBy: "agri"}}}}
		}
		bz, err := rec.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		s.Records = append(s.Records, bz)
		s.LogLeaves = append(s.LogLeaves, proof.LeafHash(bz))
		s.RecLeaves = append(s.RecLeaves, proof.RecordsLeafHash(i, bz))
		if isSubject[i] {
			c := proof.ChainHash(chain, proof.LeafHash(bz))
			chain = c[:]
		}
	}
	head := &traceledgerv1.Head{Count: uint64(len(subjectIndexes)), LastIndex: subjectIndexes[len(subjectIndexes)-1], ChainHash: chain}
	hb, err := head.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	s.MapLeaves = reftree.SortMap([]reftree.MapLeaf{
		{K: proof.MapKeyHash([]byte(traceledgerv1.HeadKey(Subject))), V: proof.MapValueHash(hb)},
		reftree.KV(traceledgerv1.ParticipantKey("farm"), "farm record"),
		reftree.KV(traceledgerv1.HeadKey("urn:epc:class:lgtin:6901234.500012.OTHER0"), "other head"),
		reftree.KV(traceledgerv1.KeyParams, "{}"),
	})
	s.LogRoot, s.RecordsRoot, s.MapRoot = reftree.MTH(s.LogLeaves), reftree.MTH(s.RecLeaves), reftree.MapHash(s.MapLeaves, 0)
	return s
}

// AppHash is the state's app hash.
func (s *State) AppHash() [32]byte {
	return proof.AppHash(uint64(len(s.Records)), s.LogRoot, s.MapRoot, s.RecordsRoot)
}

// Roots are the state's roots.
func (s *State) Roots() *traceledgerv1.StateRoots {
	return &traceledgerv1.StateRoots{Height: s.Height, LogSize: uint64(len(s.Records)), LogRoot: s.LogRoot[:], MapRoot: s.MapRoot[:], RecordsRoot: s.RecordsRoot[:]}
}

// Value proves key (present or absent) in the map; value is what the
// answer claims.
func (s *State) Value(key string, value []byte) *traceledgerv1.ProvenValue {
	return &traceledgerv1.ProvenValue{Key: key, Value: value, Proof: reftree.MapProve(s.MapLeaves, proof.MapKeyHash([]byte(key)))}
}

// History is the honest history answer for subject.
func (s *State) History(t testing.TB, subject string) *traceledgerv1.HistoryResponse {
	t.Helper()
	resp := &traceledgerv1.HistoryResponse{Roots: s.Roots()}
	if subject != Subject {
		resp.Head = s.Value(traceledgerv1.HeadKey(subject), nil)
		return resp
	}
	var chain []byte
	for _, i := range subjectIndexes {
		c := proof.ChainHash(chain, s.LogLeaves[i])
		chain = c[:]
		resp.Records = append(resp.Records, &traceledgerv1.ProvenRecord{Index: i, Record: s.Records[i],
			Inclusion: &traceledgerv1.LogInclusionProof{Index: i, Size_: uint64(len(s.Records)), Hashes: reftree.Path(int(i), s.LogLeaves)}})
	}
	head := &traceledgerv1.Head{Count: uint64(len(subjectIndexes)), LastIndex: subjectIndexes[len(subjectIndexes)-1], ChainHash: chain}
	hb, _ := head.Marshal()
	resp.Head = s.Value(traceledgerv1.HeadKey(subject), hb)
	return resp
}

// HistoryPage is the honest answer to the history request req for
// Subject, built from the whole history as a node builds it: the records
// at the positions req selects, the chain value before them and the leaf
// hashes after them up to the head or the anchor.
func (s *State) HistoryPage(t testing.TB, req *traceledgerv1.HistoryRequest) *traceledgerv1.HistoryResponse {
	t.Helper()
	full := s.History(t, Subject)
	b, err := proof.HistoryPageBounds(req, uint64(len(subjectIndexes)))
	if err != nil {
		t.Fatal(err)
	}
	resp := &traceledgerv1.HistoryResponse{Roots: full.Roots, Head: full.Head, Offset: b.Start, Records: full.Records[b.Start:b.End]}
	var chain []byte
	for _, i := range subjectIndexes[:b.Start] {
		c := proof.ChainHash(chain, s.LogLeaves[i])
		chain = c[:]
	}
	resp.ChainBefore = chain
	for _, i := range subjectIndexes[b.End:b.SuffixEnd] {
		resp.SuffixLeafHashes = append(resp.SuffixLeafHashes, slices.Clone(s.LogLeaves[i][:]))
	}
	return resp
}

// ChainAt is Subject's chain value over its first n records (empty for 0).
func (s *State) ChainAt(n int) []byte {
	var chain []byte
	for _, i := range subjectIndexes[:n] {
		c := proof.ChainHash(chain, s.LogLeaves[i])
		chain = c[:]
	}
	return chain
}
