// SPDX-License-Identifier: Apache-2.0

package proof

import (
	"bytes"
	"testing"

	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"

	traceledgerv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// FuzzVerifyBundle decodes and verifies arbitrary documents: no input may
// panic, and a nil error always comes with a verified report.
func FuzzVerifyBundle(f *testing.F) {
	b, root, _ := honestBundle(f)
	var buf bytes.Buffer
	if err := b.Encode(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(`{"format":"traceledger-proof-bundle","version":1,"light_blocks":[{}]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		bd, err := DecodeBundle(bytes.NewReader(data))
		if err != nil {
			return
		}
		rep, err := VerifyBundle(bd, root, HeaderOptions{})
		if err == nil && (rep == nil || !rep.Verified || len(rep.Errors) != 0) {
			t.Fatalf("nil error but report %+v", rep)
		}
	})
}

// FuzzVerifyRecordProofOps runs the ProofOps verifier on arbitrary
// operators: no panic, and acceptance only for the honest record.
func FuzzVerifyRecordProofOps(f *testing.F) {
	s := newSynthState(f, 1)
	idx := uint64(3)
	top := AppHashLeaves(uint64(len(s.records)), s.logRoot, s.mapRoot, s.recordsRoot)
	logMap := NodeHash(top[0], top[1])
	app := s.appHash()
	ops := recordOpsForTest(idx, s.records[idx], uint64(len(s.records)), refPath(int(idx), s.recLeaves), top[RecordsStoreIndex], logMap)
	raw, err := ops.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	if err := VerifyRecordProofOps(ops, app[:], idx, s.records[idx]); err != nil {
		f.Fatalf("honest ops: %v", err)
	}
	f.Add(raw, s.records[idx])
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, data, record []byte) {
		var ops cmtcrypto.ProofOps
		if err := ops.Unmarshal(data); err != nil {
			return
		}
		if err := VerifyRecordProofOps(&ops, app[:], idx, record); err == nil && !bytes.Equal(record, s.records[idx]) {
			t.Fatalf("accepted record %x for index %d", record, idx)
		}
	})
}

// FuzzVerifyRootsConsistency: no panic; acceptance implies the sizes are
// ordered.
func FuzzVerifyRootsConsistency(f *testing.F) {
	leaves := refLeaves(9)
	r1, r2 := refMTH(leaves[:4]), refMTH(leaves)
	p := joinProof(refConsistency(4, leaves))
	f.Add(uint64(4), uint64(9), r1[:], r2[:], p, p)
	f.Add(uint64(0), uint64(9), []byte{}, r2[:], []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, s1, s2 uint64, root1, root2, lp, rp []byte) {
		old := &traceledgerv1.StateRoots{LogSize: s1, LogRoot: root1, RecordsRoot: root1}
		cur := &traceledgerv1.StateRoots{LogSize: s2, LogRoot: root2, RecordsRoot: root2}
		err := VerifyRootsConsistency(old, cur,
			&traceledgerv1.LogConsistencyProof{Size1: s1, Size2: s2, Hashes: splitProof(lp)},
			&traceledgerv1.LogConsistencyProof{Size1: s1, Size2: s2, Hashes: splitProof(rp)})
		if err == nil && s1 > s2 {
			t.Fatalf("accepted sizes %d -> %d", s1, s2)
		}
	})
}

// FuzzVerifyHistory checks arbitrary history answers: no panic, and an
// accepted answer is complete by construction (count and chain hash).
func FuzzVerifyHistory(f *testing.F) {
	s := newSynthState(f, 1)
	hist := s.history(f, synthSubject)
	raw, err := hist.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	absent, _ := s.history(f, "nobody").Marshal()
	f.Add(absent)
	f.Fuzz(func(t *testing.T, data []byte) {
		var resp traceledgerv1.HistoryResponse
		if err := resp.Unmarshal(data); err != nil {
			return
		}
		vh, err := VerifyHistory(synthSubject, HeadKey(synthSubject), &resp)
		if err != nil {
			return
		}
		if vh.Head != nil && uint64(len(vh.Records)) != vh.Head.Count {
			t.Fatalf("accepted %d records for a head of %d", len(vh.Records), vh.Head.Count)
		}
	})
}
