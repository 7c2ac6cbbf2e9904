// SPDX-License-Identifier: Apache-2.0

package proof

import (
	"bytes"
	"errors"
	"testing"

	"github.com/cometbft/cometbft/crypto/merkle"
	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
)

// recordOpsForTest builds standard ProofOps for record index the way the
// app documents them (docs/PROOFS.md), from reference paths.
func recordOpsForTest(index uint64, record []byte, size uint64, aunts [][]byte, recordsLeaf, logMap [32]byte) *cmtcrypto.ProofOps {
	leaf := RecordsLeafHash(index, record)
	op1 := merkle.NewValueOp(RecordsKey(index), &merkle.Proof{Total: int64(size), Index: int64(index), LeafHash: leaf[:], Aunts: aunts})
	op2 := merkle.NewValueOp([]byte(AppHashRecordsKey), &merkle.Proof{Total: AppHashEntries, Index: RecordsStoreIndex, LeafHash: recordsLeaf[:], Aunts: [][]byte{logMap[:]}})
	return &cmtcrypto.ProofOps{Ops: []cmtcrypto.ProofOp{op1.ProofOp(), op2.ProofOp()}}
}

// TestRecordProofOpsEveryIndex builds and verifies the standard-format
// proof of every record of a synthetic log, and checks that it does not
// prove another index, another record or another app hash.
func TestRecordProofOpsEveryIndex(t *testing.T) {
	s := newSynthState(t, 1)
	size := uint64(len(s.records))
	top := AppHashLeaves(size, s.logRoot, s.mapRoot, s.recordsRoot)
	logMap := NodeHash(top[0], top[1])
	app := s.appHash()
	for i := uint64(0); i < size; i++ {
		ops := recordOpsForTest(i, s.records[i], size, refPath(int(i), s.recLeaves), top[RecordsStoreIndex], logMap)
		if err := VerifyRecordProofOps(ops, app[:], i, s.records[i]); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		other := (i + 1) % size
		tests := []struct {
			name   string
			index  uint64
			record []byte
			app    []byte
		}{
			{"other index", other, s.records[i], app[:]},
			{"other record", i, s.records[other], app[:]},
			{"other app hash", i, s.records[i], bytes.Repeat([]byte{1}, 32)},
		}
		for _, tc := range tests {
			if err := VerifyRecordProofOps(ops, tc.app, tc.index, tc.record); err == nil {
				t.Fatalf("record %d: %s accepted", i, tc.name)
			}
		}
	}
}

func TestRecordProofOpsShape(t *testing.T) {
	s := newSynthState(t, 1)
	size := uint64(len(s.records))
	top := AppHashLeaves(size, s.logRoot, s.mapRoot, s.recordsRoot)
	logMap := NodeHash(top[0], top[1])
	app := s.appHash()
	good := func() *cmtcrypto.ProofOps {
		return recordOpsForTest(4, s.records[4], size, refPath(4, s.recLeaves), top[RecordsStoreIndex], logMap)
	}
	tests := []struct {
		name string
		mut  func(*cmtcrypto.ProofOps)
	}{
		{"no operators", func(o *cmtcrypto.ProofOps) { o.Ops = nil }},
		{"one operator", func(o *cmtcrypto.ProofOps) { o.Ops = o.Ops[:1] }},
		{"three operators", func(o *cmtcrypto.ProofOps) { o.Ops = append(o.Ops, o.Ops[1]) }},
		{"other type", func(o *cmtcrypto.ProofOps) { o.Ops[1].Type = "ics23:iavl" }},
		{"other store key", func(o *cmtcrypto.ProofOps) { o.Ops[1].Key = []byte("map") }},
		{"garbage data", func(o *cmtcrypto.ProofOps) { o.Ops[0].Data = []byte{0xff, 0x01} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := good()
			tc.mut(o)
			if err := VerifyRecordProofOps(o, app[:], 4, s.records[4]); !errors.Is(err, ErrMalformedProof) && !errors.Is(err, ErrRootMismatch) {
				t.Fatalf("got %v", err)
			}
		})
	}
	if err := VerifyRecordProofOps(nil, app[:], 4, s.records[4]); !errors.Is(err, ErrMalformedProof) {
		t.Fatalf("nil ops: %v", err)
	}
}
