// SPDX-License-Identifier: Apache-2.0

package proof

import (
	"bytes"
	"crypto/sha256"
	"slices"

	traceledgerv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// This file holds a naive reference of the authenticated map for tests,
// written straight from the definition in docs/PROOFS.md: recursion over a
// sorted list of leaves.

type refLeaf struct{ k, v [32]byte }

// refMap sorts leaves by key hash.
func refMap(leaves []refLeaf) []refLeaf {
	out := slices.Clone(leaves)
	slices.SortFunc(out, func(a, b refLeaf) int { return bytes.Compare(a.k[:], b.k[:]) })
	return out
}

// refSplitAt returns the position of the first leaf with bit depth set.
func refSplitAt(leaves []refLeaf, depth int) int {
	for i, l := range leaves {
		if keyBit(l.k, depth) == 1 {
			return i
		}
	}
	return len(leaves)
}

// refMapHash hashes the subtree at depth holding the sorted leaves.
func refMapHash(leaves []refLeaf, depth int) [32]byte {
	switch len(leaves) {
	case 0:
		return [32]byte{}
	case 1:
		var b []byte
		b = append(b, 0)
		b = append(b, leaves[0].k[:]...)
		b = append(b, leaves[0].v[:]...)
		return sha256.Sum256(b)
	}
	s := refSplitAt(leaves, depth)
	l, r := refMapHash(leaves[:s], depth+1), refMapHash(leaves[s:], depth+1)
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}

// refMapProve builds the proof for key hash k over the sorted leaves.
func refMapProve(leaves []refLeaf, k [32]byte) *traceledgerv1.MapProof {
	p := &traceledgerv1.MapProof{}
	var bitmap []byte
	depth := 0
	for len(leaves) > 1 {
		if depth%8 == 0 {
			bitmap = append(bitmap, 0)
		}
		s := refSplitAt(leaves, depth)
		var sib []refLeaf
		if keyBit(k, depth) == 0 {
			sib, leaves = leaves[s:], leaves[:s]
		} else {
			sib, leaves = leaves[:s], leaves[s:]
		}
		if len(sib) == 0 {
			bitmap[depth/8] |= 1 << (depth % 8)
		} else {
			h := refMapHash(sib, depth+1)
			p.Siblings = append(p.Siblings, h[:])
		}
		depth++
	}
	p.Depth = uint32(depth)
	p.EmptySiblings = bitmap
	if len(leaves) == 1 {
		p.LeafKeyHash = append([]byte(nil), leaves[0].k[:]...)
		p.LeafValueHash = append([]byte(nil), leaves[0].v[:]...)
	}
	return p
}

// refKV returns the leaf for key and value strings.
func refKV(key, value string) refLeaf {
	return refLeaf{MapKeyHash([]byte(key)), MapValueHash([]byte(value))}
}

// cloneMapProof deep-copies a map proof.
func cloneMapProof(p *traceledgerv1.MapProof) *traceledgerv1.MapProof {
	return &traceledgerv1.MapProof{
		Depth:         p.Depth,
		EmptySiblings: slices.Clone(p.EmptySiblings),
		Siblings:      cloneProof(p.Siblings),
		LeafKeyHash:   slices.Clone(p.LeafKeyHash),
		LeafValueHash: slices.Clone(p.LeafValueHash),
	}
}
