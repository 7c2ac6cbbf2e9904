// SPDX-License-Identifier: Apache-2.0

package app

import (
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	merkleproof "github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/traceledger/traceledger/proof"
)

// The ledger keeps two append-only RFC 6962 trees over the same records in
// the same order: the log (leaf = SHA-256(0x00 || record), log.go) and the
// records tree (leaf = CometBFT's simple:v form, proofquery.go). They
// differ only in the leaf hash and where their perfect subtrees are
// stored, so one appender serves both.

var rangeFactory = &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}

// treeNode is a perfect-subtree hash completed by an append.
type treeNode struct {
	level uint
	index uint64
	hash  []byte
}

// treeAppender extends one of the trees during a block without touching
// storage: the right edge as a compact range (one hash per perfect
// subtree, O(log n)), and the subtrees of storedLevel and up that appends
// complete, which Commit stores (the lower ones are recomputed from the
// records when a proof needs them).
type treeAppender struct {
	name  string // "log" or "records tree", for errors
	rng   *compact.Range
	nodes []treeNode
}

// newTreeAppender restores a tree of size leaves from its committed compact
// range. The hashes are copied: compact.Range reuses its slice.
func newTreeAppender(name string, size uint64, hashes [][]byte) (*treeAppender, error) {
	cp := make([][]byte, len(hashes))
	copy(cp, hashes)
	rng, err := rangeFactory.NewRange(0, size, cp)
	if err != nil {
		return nil, fmt.Errorf("restore %s range at size %d: %w", name, size, err)
	}
	return &treeAppender{name: name, rng: rng}, nil
}

// emptyTree is the appender of a tree with no leaves, which cannot fail.
func emptyTree(name string) *treeAppender {
	return &treeAppender{name: name, rng: rangeFactory.NewEmptyRange(0)}
}

// size is the number of leaves including those appended so far.
func (a *treeAppender) size() uint64 { return a.rng.End() }

// append adds a leaf hash and records the subtrees it completes from
// storedLevel up.
func (a *treeAppender) append(leafHash []byte) error {
	err := a.rng.Append(leafHash, func(id compact.NodeID, hash []byte) {
		if id.Level >= storedLevel {
			a.nodes = append(a.nodes, treeNode{level: id.Level, index: id.Index, hash: hash})
		}
	})
	if err != nil {
		return fmt.Errorf("append to the %s at size %d: %w", a.name, a.rng.End(), err)
	}
	return nil
}

// root is the RFC 6962 root of the tree as it stands (SHA-256 of nothing
// for an empty tree).
func (a *treeAppender) root() ([32]byte, error) {
	var out [32]byte
	if a.rng.End() == 0 {
		return proof.EmptyLogRoot(), nil
	}
	h, err := a.rng.GetRootHash(nil)
	if err != nil {
		return out, fmt.Errorf("%s root: %w", a.name, err)
	}
	copy(out[:], h)
	return out, nil
}

// hashes is the compact range to persist.
func (a *treeAppender) hashes() [][]byte { return a.rng.Hashes() }

// fetchNodes assembles an RFC 6962 proof from perfect-subtree hashes read
// with get (the log's or the records tree's).
func fetchNodes(nodes merkleproof.Nodes, get func(level uint, index uint64) ([]byte, error)) ([][]byte, error) {
	hashes := make([][]byte, len(nodes.IDs))
	for i, id := range nodes.IDs {
		h, err := get(id.Level, id.Index)
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
