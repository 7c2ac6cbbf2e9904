// SPDX-License-Identifier: Apache-2.0

package epcis

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"
)

// anchorDigests is n distinct event-hash digests.
func anchorDigests(n int) [][32]byte {
	out := make([][32]byte, n)
	var b [8]byte
	for i := range out {
		binary.BigEndian.PutUint64(b[:], uint64(i))
		out[i] = sha256.Sum256(b[:])
	}
	return out
}

// BenchmarkAnchorTreeBuild builds the tree over 1,000,000 leaves (the
// largest anchor), the cost of 'anchor submit' and 'anchor prove'.
func BenchmarkAnchorTreeBuild(b *testing.B) {
	d := anchorDigests(MaxAnchorLeaves)
	b.ResetTimer()
	for range b.N {
		if _, err := NewAnchorTree(d); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAnchorTreeProve is one inclusion path from that tree.
func BenchmarkAnchorTreeProve(b *testing.B) {
	t, err := NewAnchorTree(anchorDigests(MaxAnchorLeaves))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		if _, err := t.Prove(i % MaxAnchorLeaves); err != nil {
			b.Fatal(err)
		}
	}
}
