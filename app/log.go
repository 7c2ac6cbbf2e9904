// SPDX-License-Identifier: Apache-2.0

package app

import (
	"crypto/sha256"
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	merkleproof "github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// The append-only log is an RFC 6962 Merkle tree. Its right edge is kept as
// a compact range (one hash per perfect subtree, O(log n)); every perfect
// subtree completed by an append is stored in badger under 'n', which is
// exactly what inclusion and consistency proofs need.

var rangeFactory = &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}

// logNode is a perfect-subtree hash completed by an append.
type logNode struct {
	level uint
	index uint64
	hash  []byte
}

// logAppender extends the log during one block without touching storage.
type logAppender struct {
	rng   *compact.Range
	nodes []logNode
}

// newLogAppender starts from the committed compact range of a log of size
// leaves. The hashes are copied: compact.Range reuses its slice.
func newLogAppender(size uint64, hashes [][]byte) (*logAppender, error) {
	cp := make([][]byte, len(hashes))
	copy(cp, hashes)
	rng, err := rangeFactory.NewRange(0, size, cp)
	if err != nil {
		return nil, fmt.Errorf("restore log range at size %d: %w", size, err)
	}
	return &logAppender{rng: rng}, nil
}

// size is the number of leaves including those appended so far.
func (a *logAppender) size() uint64 { return a.rng.End() }

// append adds a leaf hash and records the subtrees it completes from
// storedLevel up (view.node recomputes the lower ones from the records).
func (a *logAppender) append(leafHash []byte) error {
	return a.rng.Append(leafHash, func(id compact.NodeID, hash []byte) {
		if id.Level >= storedLevel {
			a.nodes = append(a.nodes, logNode{level: id.Level, index: id.Index, hash: hash})
		}
	})
}

// root is the RFC 6962 root of the log as it stands.
func (a *logAppender) root() ([]byte, error) {
	if a.rng.End() == 0 {
		return emptyLogRoot(), nil
	}
	return a.rng.GetRootHash(nil)
}

// hashes is the compact range to persist.
func (a *logAppender) hashes() [][]byte { return a.rng.Hashes() }

func emptyLogRoot() []byte {
	h := sha256.Sum256(nil)
	return h[:]
}

// leafHashOf is the RFC 6962 leaf hash of a record.
func leafHashOf(record []byte) []byte { return rfc6962.DefaultHasher.HashLeaf(record) }

// inclusionProof builds the proof of leaf index in the log of size leaves
// from the stored subtree hashes.
func inclusionProof(v *view, index, size uint64) (*tlv1.LogInclusionProof, error) {
	nodes, err := merkleproof.Inclusion(index, size)
	if err != nil {
		return nil, fmt.Errorf("inclusion proof of %d in %d: %w", index, size, err)
	}
	hashes, err := fetchProof(v, nodes)
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
	hashes, err := fetchProof(v, nodes)
	if err != nil {
		return nil, err
	}
	return &tlv1.LogConsistencyProof{Size1: size1, Size2: size2, Hashes: hashes}, nil
}

func fetchProof(v *view, nodes merkleproof.Nodes) ([][]byte, error) {
	hashes := make([][]byte, len(nodes.IDs))
	for i, id := range nodes.IDs {
		h, err := v.node(id.Level, id.Index)
		if err != nil {
			return nil, err
		}
		hashes[i] = h
	}
	out, err := nodes.Rehash(hashes, rfc6962.DefaultHasher.HashChildren)
	if err != nil {
		return nil, fmt.Errorf("assemble proof: %w", err)
	}
	return out, nil
}
