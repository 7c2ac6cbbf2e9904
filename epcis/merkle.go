// SPDX-License-Identifier: Apache-2.0

package epcis

import (
	"fmt"

	"github.com/traceledger/traceledger/proof"
)

// Anchoring many events under one root (AnchorRoot): an RFC 6962 Merkle
// tree whose leaf i is the 32-byte digest of the i-th Event Hash ID. Leaf
// hash SHA-256(0x00 || digest), interior node SHA-256(0x01 || left ||
// right), as for the ledger's own log, so proof.VerifyInclusion checks the
// proofs made here.

// MaxAnchorLeaves is the most event hashes one AnchorRoot may cover.
const MaxAnchorLeaves = 1_000_000

// AnchorTree is a Merkle tree over event hash digests, kept in memory by
// the enterprise that anchors its root.
type AnchorTree struct {
	// levels[0] are the leaf hashes; the last level holds the root.
	levels [][][32]byte
}

// NewAnchorTree builds the tree over digests (in the enterprise's order).
func NewAnchorTree(digests [][32]byte) (*AnchorTree, error) {
	if len(digests) == 0 {
		return nil, fmt.Errorf("epcis: an anchor tree needs at least one event hash")
	}
	level := make([][32]byte, len(digests))
	for i := range digests {
		level[i] = proof.LeafHash(digests[i][:])
	}
	t := &AnchorTree{levels: [][][32]byte{level}}
	for len(level) > 1 {
		next := make([][32]byte, (len(level)+1)/2)
		for i := 0; i+1 < len(level); i += 2 {
			next[i/2] = proof.NodeHash(level[i], level[i+1])
		}
		if len(level)%2 == 1 {
			next[len(next)-1] = level[len(level)-1] // promoted: RFC 6962's unbalanced right edge
		}
		t.levels = append(t.levels, next)
		level = next
	}
	return t, nil
}

// Size is the number of leaves.
func (t *AnchorTree) Size() int { return len(t.levels[0]) }

// Root is the RFC 6962 root hash.
func (t *AnchorTree) Root() [32]byte { return t.levels[len(t.levels)-1][0] }

// Prove returns the RFC 6962 inclusion proof of leaf index, hashes ordered
// from the leaf up (verify with proof.VerifyInclusion).
func (t *AnchorTree) Prove(index int) ([][]byte, error) {
	if index < 0 || index >= t.Size() {
		return nil, fmt.Errorf("epcis: leaf %d is outside a tree of %d leaves", index, t.Size())
	}
	var out [][]byte
	i := index
	for _, level := range t.levels[:len(t.levels)-1] {
		sib := i ^ 1
		if sib < len(level) {
			h := level[sib]
			out = append(out, h[:])
		}
		i /= 2
	}
	return out, nil
}

// AnchorLeafHash is the leaf hash of an Event Hash ID digest.
func AnchorLeafHash(digest [32]byte) [32]byte { return proof.LeafHash(digest[:]) }
