// SPDX-License-Identifier: Apache-2.0

package proofops

import (
	"bytes"
	"errors"
	"testing"

	"github.com/cometbft/cometbft/crypto/merkle"
	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"

	"github.com/traceledger/traceledger/proof"
	"github.com/traceledger/traceledger/proof/internal/reftree"
	"github.com/traceledger/traceledger/proof/internal/synth"
)

// recordOpsForTest builds standard ProofOps for record index the way the
// app documents them (docs/PROOFS.md), from reference paths.
func recordOpsForTest(index uint64, record []byte, size uint64, aunts [][]byte, recordsLeaf, logMap [32]byte) *cmtcrypto.ProofOps {
	leaf := proof.RecordsLeafHash(index, record)
	op1 := merkle.NewValueOp(proof.RecordsKey(index), &merkle.Proof{Total: int64(size), Index: int64(index), LeafHash: leaf[:], Aunts: aunts})
	op2 := merkle.NewValueOp([]byte(proof.AppHashRecordsKey), &merkle.Proof{Total: proof.AppHashEntries, Index: proof.RecordsStoreIndex, LeafHash: recordsLeaf[:], Aunts: [][]byte{logMap[:]}})
	return &cmtcrypto.ProofOps{Ops: []cmtcrypto.ProofOp{op1.ProofOp(), op2.ProofOp()}}
}

// TestRecordProofOpsEveryIndex builds and verifies the standard-format
// proof of every record of a synthetic log, and checks that it does not
// prove another index, another record or another app hash.
func TestRecordProofOpsEveryIndex(t *testing.T) {
	s := synth.New(t, 1)
	size := uint64(len(s.Records))
	top := proof.AppHashLeaves(size, s.LogRoot, s.MapRoot, s.RecordsRoot)
	logMap := proof.NodeHash(top[0], top[1])
	app := s.AppHash()
	for i := uint64(0); i < size; i++ {
		ops := recordOpsForTest(i, s.Records[i], size, reftree.Path(int(i), s.RecLeaves), top[proof.RecordsStoreIndex], logMap)
		if err := VerifyRecord(ops, app[:], i, s.Records[i]); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		other := (i + 1) % size
		tests := []struct {
			name   string
			index  uint64
			record []byte
			app    []byte
		}{
			{"other index", other, s.Records[i], app[:]},
			{"other record", i, s.Records[other], app[:]},
			{"other app hash", i, s.Records[i], bytes.Repeat([]byte{1}, 32)},
		}
		for _, tc := range tests {
			if err := VerifyRecord(ops, tc.app, tc.index, tc.record); err == nil {
				t.Fatalf("record %d: %s accepted", i, tc.name)
			}
		}
	}
}

func TestRecordProofOpsShape(t *testing.T) {
	s := synth.New(t, 1)
	size := uint64(len(s.Records))
	top := proof.AppHashLeaves(size, s.LogRoot, s.MapRoot, s.RecordsRoot)
	logMap := proof.NodeHash(top[0], top[1])
	app := s.AppHash()
	good := func() *cmtcrypto.ProofOps {
		return recordOpsForTest(4, s.Records[4], size, reftree.Path(4, s.RecLeaves), top[proof.RecordsStoreIndex], logMap)
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
			if err := VerifyRecord(o, app[:], 4, s.Records[4]); !errors.Is(err, proof.ErrMalformedProof) && !errors.Is(err, proof.ErrRootMismatch) {
				t.Fatalf("got %v", err)
			}
		})
	}
	if err := VerifyRecord(nil, app[:], 4, s.Records[4]); !errors.Is(err, proof.ErrMalformedProof) {
		t.Fatalf("nil ops: %v", err)
	}
}

// TestAppHashIsCometBFTSimpleRoot checks the app hash against CometBFT's own
// simple Merkle tree over the key/value entries, the structure its ValueOp
// proofs assume.
func TestAppHashIsCometBFTSimpleRoot(t *testing.T) {
	lr, mr, rr := proof.LeafHash([]byte("l")), proof.LeafHash([]byte("m")), proof.LeafHash([]byte("r"))
	logValue := append([]byte{0, 0, 0, 0, 0, 0, 0, 42}, lr[:]...)
	entries := [][]byte{
		proof.KVEntry([]byte("log"), proof.MapValueHash(logValue)),
		proof.KVEntry([]byte("map"), proof.MapValueHash(mr[:])),
		proof.KVEntry([]byte("records"), proof.MapValueHash(rr[:])),
	}
	want := merkle.HashFromByteSlices(entries)
	got := proof.AppHash(42, lr, mr, rr)
	if !bytes.Equal(got[:], want) {
		t.Fatalf("AppHash = %x, CometBFT's simple root = %x", got, want)
	}
}

// FuzzVerifyRecordProofOps runs the ProofOps verifier on arbitrary
// operators: no panic, and acceptance only for the honest record.
func FuzzVerifyRecordProofOps(f *testing.F) {
	s := synth.New(f, 1)
	idx := uint64(3)
	top := proof.AppHashLeaves(uint64(len(s.Records)), s.LogRoot, s.MapRoot, s.RecordsRoot)
	logMap := proof.NodeHash(top[0], top[1])
	app := s.AppHash()
	ops := recordOpsForTest(idx, s.Records[idx], uint64(len(s.Records)), reftree.Path(int(idx), s.RecLeaves), top[proof.RecordsStoreIndex], logMap)
	raw, err := ops.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	if err := VerifyRecord(ops, app[:], idx, s.Records[idx]); err != nil {
		f.Fatalf("honest ops: %v", err)
	}
	f.Add(raw, s.Records[idx])
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, data, record []byte) {
		var ops cmtcrypto.ProofOps
		if err := ops.Unmarshal(data); err != nil {
			return
		}
		if err := VerifyRecord(&ops, app[:], idx, record); err == nil && !bytes.Equal(record, s.Records[idx]) {
			t.Fatalf("accepted record %x for index %d", record, idx)
		}
	})
}
