// SPDX-License-Identifier: Apache-2.0

package reftree

import (
	"bytes"
	"crypto/sha256"
	"slices"

	traceledgerv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// MapLeaf is a map leaf: key hash K and value hash V.
type MapLeaf struct{ K, V [32]byte }

// SortMap returns leaves sorted by key hash, the order MapHash and
// MapProve expect.
func SortMap(leaves []MapLeaf) []MapLeaf {
	out := slices.Clone(leaves)
	slices.SortFunc(out, func(a, b MapLeaf) int { return bytes.Compare(a.K[:], b.K[:]) })
	return out
}

// bit returns bit i of key hash k, bit 0 being the most significant bit of
// k[0].
func bit(k [32]byte, i int) uint {
	return uint(k[i/8]>>(7-i%8)) & 1
}

// splitAt returns the position of the first leaf with bit depth set.
func splitAt(leaves []MapLeaf, depth int) int {
	for i, l := range leaves {
		if bit(l.K, depth) == 1 {
			return i
		}
	}
	return len(leaves)
}

// MapHash hashes the subtree at depth holding the sorted leaves.
func MapHash(leaves []MapLeaf, depth int) [32]byte {
	switch len(leaves) {
	case 0:
		return [32]byte{}
	case 1:
		var b []byte
		b = append(b, 0)
		b = append(b, leaves[0].K[:]...)
		b = append(b, leaves[0].V[:]...)
		return sha256.Sum256(b)
	}
	s := splitAt(leaves, depth)
	l, r := MapHash(leaves[:s], depth+1), MapHash(leaves[s:], depth+1)
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}

// MapProve builds the proof for key hash k over the sorted leaves.
func MapProve(leaves []MapLeaf, k [32]byte) *traceledgerv1.MapProof {
	p := &traceledgerv1.MapProof{}
	var bitmap []byte
	depth := 0
	for len(leaves) > 1 {
		if depth%8 == 0 {
			bitmap = append(bitmap, 0)
		}
		s := splitAt(leaves, depth)
		var sib []MapLeaf
		if bit(k, depth) == 0 {
			sib, leaves = leaves[s:], leaves[:s]
		} else {
			sib, leaves = leaves[:s], leaves[s:]
		}
		if len(sib) == 0 {
			bitmap[depth/8] |= 1 << (depth % 8)
		} else {
			h := MapHash(sib, depth+1)
			p.Siblings = append(p.Siblings, h[:])
		}
		depth++
	}
	p.Depth = uint32(depth)
	p.EmptySiblings = bitmap
	if len(leaves) == 1 {
		p.LeafKeyHash = append([]byte(nil), leaves[0].K[:]...)
		p.LeafValueHash = append([]byte(nil), leaves[0].V[:]...)
	}
	return p
}

// KeyHash is the map key hash SHA-256(key).
func KeyHash(key []byte) [32]byte { return sha256.Sum256(key) }

// KV returns the leaf for key and value strings: SHA-256 of each.
func KV(key, value string) MapLeaf {
	return MapLeaf{sha256.Sum256([]byte(key)), sha256.Sum256([]byte(value))}
}

// CloneMapProof deep-copies a map proof.
func CloneMapProof(p *traceledgerv1.MapProof) *traceledgerv1.MapProof {
	return &traceledgerv1.MapProof{
		Depth:         p.Depth,
		EmptySiblings: slices.Clone(p.EmptySiblings),
		Siblings:      CloneProof(p.Siblings),
		LeafKeyHash:   slices.Clone(p.LeafKeyHash),
		LeafValueHash: slices.Clone(p.LeafValueHash),
	}
}
