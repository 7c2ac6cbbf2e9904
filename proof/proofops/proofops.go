// SPDX-License-Identifier: Apache-2.0

// Package proofops verifies standard-format record proofs: CometBFT
// ProofOps of type "simple:v" that chain a record to the app hash
// (docs/PROOFS.md), as the app answers them at the abci_query path
// traceledgerv1.PathStoreRecords. CometBFT's light-client proxy verifies
// them with merkle.DefaultProofRuntime; VerifyRecord runs the same
// verification and also checks the proof's shape. The hashes are package
// proof's; this package is the CometBFT encoding of them.
package proofops

import (
	"bytes"
	"fmt"

	"github.com/cometbft/cometbft/crypto/merkle"
	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"

	"github.com/traceledger/traceledger/proof"
)

// RecordKeyPath returns the Merkle key path CometBFT's light-client proxy
// (rpc.DefaultMerkleKeyPathFn) builds for the record at index:
// "/records/<url-escaped u64be(index)>".
func RecordKeyPath(index uint64) string {
	kp := merkle.KeyPath{}
	kp = kp.AppendKey([]byte(proof.AppHashRecordsKey), merkle.KeyEncodingURL)
	kp = kp.AppendKey(proof.RecordsKey(index), merkle.KeyEncodingURL)
	return kp.String()
}

// VerifyRecord checks that ops prove record at log index index
// under appHash: exactly two "simple:v" operators, the first keyed
// u64be(index) at position index of the records tree, the second keyed
// "records" at position 2 of the 3 app-hash entries, verified by CometBFT's
// default proof runtime against appHash. Errors wrap proof.ErrMalformedProof or
// proof.ErrRootMismatch.
func VerifyRecord(ops *cmtcrypto.ProofOps, appHash []byte, index uint64, record []byte) error {
	if ops == nil || len(ops.Ops) != 2 {
		n := 0
		if ops != nil {
			n = len(ops.Ops)
		}
		return fmt.Errorf("%w: record proof has %d operators, want 2", proof.ErrMalformedProof, n)
	}
	want := []struct {
		key   []byte
		total int64
		index int64
	}{
		{proof.RecordsKey(index), -1, int64(index)},
		{[]byte(proof.AppHashRecordsKey), proof.AppHashEntries, proof.RecordsStoreIndex},
	}
	for i, op := range ops.Ops {
		if op.Type != merkle.ProofOpValue {
			return fmt.Errorf("%w: operator %d has type %q, want %q", proof.ErrMalformedProof, i, op.Type, merkle.ProofOpValue)
		}
		dec, err := merkle.ValueOpDecoder(op)
		if err != nil {
			return fmt.Errorf("%w: operator %d: %v", proof.ErrMalformedProof, i, err)
		}
		vop := dec.(merkle.ValueOp)
		if !bytes.Equal(vop.GetKey(), want[i].key) {
			return fmt.Errorf("%w: operator %d has key %X, want %X", proof.ErrMalformedProof, i, vop.GetKey(), want[i].key)
		}
		// The operator's data repeats its key; CometBFT ignores that copy,
		// a well-formed proof has it equal.
		var inner cmtcrypto.ValueOp
		if err := inner.Unmarshal(op.Data); err != nil || !bytes.Equal(inner.Key, op.Key) {
			return fmt.Errorf("%w: operator %d's data names key %X, the operator %X", proof.ErrMalformedProof, i, inner.Key, op.Key)
		}
		if vop.Proof.Index != want[i].index || (want[i].total >= 0 && vop.Proof.Total != want[i].total) {
			return fmt.Errorf("%w: operator %d proves position %d of %d, want position %d", proof.ErrMalformedProof, i, vop.Proof.Index, vop.Proof.Total, want[i].index)
		}
	}
	if err := merkle.DefaultProofRuntime().VerifyValue(ops, appHash, RecordKeyPath(index), record); err != nil {
		return fmt.Errorf("%w: record %d: %v", proof.ErrRootMismatch, index, err)
	}
	return nil
}
