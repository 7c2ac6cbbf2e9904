// SPDX-License-Identifier: Apache-2.0

package proof

import (
	"testing"
)

func TestChainHash(t *testing.T) {
	l1, l2 := LeafHash([]byte("r1")), LeafHash([]byte("r2"))
	// Expected values computed independently with Python's hashlib.
	c1 := mustHex32(t, "af6ac2beb844fbe6bddc6d13524b7789e33f9fb88aca7fef5c4cbd905628792b")
	c2 := mustHex32(t, "e592966bb1ef29c45d1e8d1021c09829965032e1ebf66e1853bed1c2bbf459a7")
	if got := ChainHash(nil, l1); got != c1 {
		t.Fatalf("chain_1 = %x, want %x", got, c1)
	}
	if got := ChainHash(c1[:], l2); got != c2 {
		t.Fatalf("chain_2 = %x, want %x", got, c2)
	}

	tests := []struct {
		name   string
		leaves [][32]byte
		count  uint64
		want   []byte
		err    error
	}{
		{"two records", [][32]byte{l1, l2}, 2, c2[:], nil},
		{"one record", [][32]byte{l1}, 1, c1[:], nil},
		{"no records", nil, 0, nil, nil},
		{"no records but a hash", nil, 0, c1[:], ErrChainMismatch},
		{"count too high", [][32]byte{l1}, 2, c1[:], ErrChainMismatch},
		{"count too low", [][32]byte{l1, l2}, 1, c2[:], ErrChainMismatch},
		{"missing record", [][32]byte{l2}, 1, c2[:], ErrChainMismatch},
		{"reordered", [][32]byte{l2, l1}, 2, c2[:], ErrChainMismatch},
		{"truncated chain hash", [][32]byte{l1, l2}, 2, c2[:31], ErrChainMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := VerifyChain(tc.leaves, tc.count, tc.want); !errorMatches(err, tc.err) {
				t.Fatalf("got %v, want %v", err, tc.err)
			}
		})
	}
}
