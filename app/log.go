// SPDX-License-Identifier: Apache-2.0

package app

import (
	"fmt"

	merkleproof "github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// The append-only log is an RFC 6962 Merkle tree, extended by a
// treeAppender (tree.go); the perfect subtrees of storedLevel and up that
// appends complete are stored in badger under 'n', which is what inclusion
// and consistency proofs need (view.node recomputes the lower ones).

// leafHashOf is the RFC 6962 leaf hash of a record.
func leafHashOf(record []byte) []byte { return rfc6962.DefaultHasher.HashLeaf(record) }

// inclusionProof builds the proof of leaf index in the log of size leaves
// from the stored subtree hashes.
func inclusionProof(v *view, index, size uint64) (*tlv1.LogInclusionProof, error) {
	nodes, err := merkleproof.Inclusion(index, size)
	if err != nil {
		return nil, fmt.Errorf("inclusion proof of %d in %d: %w", index, size, err)
	}
	hashes, err := fetchNodes(nodes, v.node)
	if err != nil {
		return nil, err
	}
	return &tlv1.LogInclusionProof{Index: index, Size_: size, Hashes: hashes}, nil
}

// consistencyProof builds the proof that the log of size1 is a prefix of the
// log of size2.
func consistencyProof(v *view, size1, size2 uint64) (*tlv1.LogConsistencyProof, error) {
	nodes, err := merkleproof.Consistency(size1, size2)
	if err != nil {
		return nil, fmt.Errorf("consistency proof %d..%d: %w", size1, size2, err)
	}
	hashes, err := fetchNodes(nodes, v.node)
	if err != nil {
		return nil, err
	}
	return &tlv1.LogConsistencyProof{Size1: size1, Size2: size2, Hashes: hashes}, nil
}
