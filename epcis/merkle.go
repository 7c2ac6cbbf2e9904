// SPDX-License-Identifier: Apache-2.0

package epcis

import (
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	merkleproof "github.com/transparency-dev/merkle/proof"

	"github.com/traceledger/traceledger/proof"
)

// Anchoring many events under one root (AnchorRoot): an RFC 6962 Merkle
// tree whose leaf i is the 32-byte digest of the i-th Event Hash ID. Leaf
// hash SHA-256(0x00 || digest), interior node SHA-256(0x01 || left ||
// right), as for the ledger's own log, so proof.VerifyInclusion checks the
// proofs made here. The tree is built with transparency-dev/merkle's
// compact range over package proof's hash functions; the inclusion paths
// come from its proof package, and each is checked with
// proof.VerifyInclusion before it is handed out.

// MaxAnchorLeaves is the most event hashes one AnchorRoot may cover.
const MaxAnchorLeaves = 1_000_000

// AnchorTree is a Merkle tree over event hash digests, kept in memory by
// the enterprise that anchors its root.
type AnchorTree struct {
	// nodes[level][index] are the hashes of the perfect subtrees (level 0:
	// the leaf hashes), as the compact range reported them while it grew.
	nodes [][][32]byte
	size  uint64
	root  [32]byte
}

// hashChildren is proof.NodeHash in the form transparency-dev/merkle takes.
func hashChildren(l, r []byte) []byte {
	h := proof.NodeHash([32]byte(l), [32]byte(r))
	return h[:]
}

// NewAnchorTree builds the tree over digests (in the enterprise's order).
func NewAnchorTree(digests [][32]byte) (*AnchorTree, error) {
	if len(digests) == 0 {
		return nil, fmt.Errorf("epcis: an anchor tree needs at least one event hash")
	}
	t := &AnchorTree{size: uint64(len(digests))}
	record := func(id compact.NodeID, hash []byte) {
		for uint(len(t.nodes)) <= id.Level {
			t.nodes = append(t.nodes, nil)
		}
		level := t.nodes[id.Level]
		for uint64(len(level)) <= id.Index {
			level = append(level, [32]byte{})
		}
		level[id.Index] = [32]byte(hash)
		t.nodes[id.Level] = level
	}
	rf := &compact.RangeFactory{Hash: hashChildren}
	r := rf.NewEmptyRange(0)
	for i := range digests {
		leaf := proof.LeafHash(digests[i][:])
		if err := r.Append(leaf[:], record); err != nil {
			return nil, fmt.Errorf("epcis: anchor tree leaf %d: %w", i, err)
		}
	}
	root, err := r.GetRootHash(nil)
	if err != nil {
		return nil, fmt.Errorf("epcis: anchor tree root: %w", err)
	}
	t.root = [32]byte(root)
	return t, nil
}

// Size is the number of leaves.
func (t *AnchorTree) Size() int { return int(t.size) }

// Root is the RFC 6962 root hash.
func (t *AnchorTree) Root() [32]byte { return t.root }

// Prove returns the RFC 6962 inclusion proof of leaf index, hashes ordered
// from the leaf up (verify with proof.VerifyInclusion).
func (t *AnchorTree) Prove(index int) ([][]byte, error) {
	if index < 0 || index >= t.Size() {
		return nil, fmt.Errorf("epcis: leaf %d is outside a tree of %d leaves", index, t.Size())
	}
	nodes, err := merkleproof.Inclusion(uint64(index), t.size)
	if err != nil {
		return nil, fmt.Errorf("epcis: inclusion proof of leaf %d: %w", index, err)
	}
	hashes := make([][]byte, len(nodes.IDs))
	for i, id := range nodes.IDs {
		if id.Level >= uint(len(t.nodes)) || id.Index >= uint64(len(t.nodes[id.Level])) {
			return nil, fmt.Errorf("epcis: anchor tree has no node %d at level %d", id.Index, id.Level)
		}
		h := t.nodes[id.Level][id.Index] // a copy: callers may change the path
		hashes[i] = h[:]
	}
	path, err := nodes.Rehash(hashes, hashChildren)
	if err != nil {
		return nil, fmt.Errorf("epcis: inclusion proof of leaf %d: %w", index, err)
	}
	if err := proof.VerifyInclusion(t.nodes[0][index], uint64(index), t.size, path, t.root); err != nil {
		return nil, fmt.Errorf("epcis: inclusion proof of leaf %d does not verify: %w", index, err)
	}
	return path, nil
}

// AnchorLeafHash is the leaf hash of an Event Hash ID digest.
func AnchorLeafHash(digest [32]byte) [32]byte { return proof.LeafHash(digest[:]) }
