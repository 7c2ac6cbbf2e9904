// SPDX-License-Identifier: Apache-2.0

package proof

import (
	"encoding/hex"
	"errors"
	"fmt"
	"testing"

	"github.com/traceledger/traceledger/proof/internal/reftree"
	traceledgerv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// errAny in a test table accepts any non-nil error.
var errAny = errors.New("any error")

// errorMatches reports whether err is what a test table wants: nil, any
// error (errAny), or an error wrapping want.
func errorMatches(err, want error) bool {
	switch want {
	case nil:
		return err == nil
	case errAny:
		return err != nil
	}
	return errors.Is(err, want)
}

func mustHex32(t testing.TB, s string) [32]byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	var h [32]byte
	copy(h[:], b)
	return h
}

func TestHashes(t *testing.T) {
	// Known values, computed independently with Python's hashlib.
	tests := []struct {
		name string
		got  [32]byte
		want string
	}{
		{"empty log root", EmptyLogRoot(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"leaf of empty data", LeafHash(nil), "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"},
		{"leaf of 0x00", LeafHash([]byte{0}), "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"},
		{"node of two empty leaves", NodeHash(LeafHash(nil), LeafHash(nil)),
			"fe43d66afa4a9a5c4f9c9da89f4ffb52635c8f342e7ffb731d68e36c5982072a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if want := mustHex32(t, tc.want); tc.got != want {
				t.Errorf("got %x, want %x", tc.got, want)
			}
		})
	}
}

func TestRefTreeKnownRoot(t *testing.T) {
	// The 8-leaf tree of RFC 6962 test data (leaves "", 00, 10, 2021, 3031,
	// 40414243, 5051525354555657, 606162636465666768696a6b6c6d6e6f).
	inputs := []string{"", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"}
	roots := []string{
		"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
		"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
		"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
		"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	}
	var leaves [][32]byte
	for i, in := range inputs {
		b, _ := hex.DecodeString(in)
		leaves = append(leaves, LeafHash(b))
		if got, want := reftree.MTH(leaves), mustHex32(t, roots[i]); got != want {
			t.Fatalf("size %d: root %x, want %x", i+1, got, want)
		}
	}
}

func TestVerifyInclusionAllSizes(t *testing.T) {
	leaves := reftree.Leaves(70)
	for size := 1; size <= len(leaves); size++ {
		root := reftree.MTH(leaves[:size])
		for i := 0; i < size; i++ {
			p := reftree.Path(i, leaves[:size])
			if err := VerifyInclusion(leaves[i], uint64(i), uint64(size), p, root); err != nil {
				t.Fatalf("size %d index %d: %v", size, i, err)
			}
			got, err := RootFromInclusion(leaves[i], uint64(i), uint64(size), p)
			if err != nil || got != root {
				t.Fatalf("RootFromInclusion size %d index %d: %x, %v", size, i, got, err)
			}
		}
	}
}

func TestVerifyInclusionErrors(t *testing.T) {
	leaves := reftree.Leaves(7)
	root := reftree.MTH(leaves)
	p := reftree.Path(2, leaves)
	short := append([]byte(nil), p[0][:31]...)
	tests := []struct {
		name  string
		leaf  [32]byte
		index uint64
		size  uint64
		proof [][]byte
		root  [32]byte
		want  error
	}{
		{"valid", leaves[2], 2, 7, p, root, nil},
		{"empty tree", leaves[2], 0, 0, nil, EmptyLogRoot(), ErrOutOfRange},
		{"index equals size", leaves[2], 7, 7, p, root, ErrOutOfRange},
		{"index far beyond", leaves[2], ^uint64(0), 7, p, root, ErrOutOfRange},
		{"wrong leaf", leaves[3], 2, 7, p, root, ErrRootMismatch},
		{"wrong index", leaves[2], 3, 7, p, root, ErrRootMismatch},
		{"wrong root", leaves[2], 2, 7, p, leaves[0], ErrRootMismatch},
		{"proof too short", leaves[2], 2, 7, p[:2], root, ErrMalformedProof},
		{"proof too long", leaves[2], 2, 7, append(reftree.CloneProof(p), p[0]), root, ErrMalformedProof},
		{"short hash", leaves[2], 2, 7, [][]byte{short, p[1], p[2]}, root, ErrMalformedProof},
		{"nil hash", leaves[2], 2, 7, [][]byte{p[0], nil, p[2]}, root, ErrMalformedProof},
		{"size one with proof", leaves[0], 0, 1, p[:1], leaves[0], ErrMalformedProof},
		{"size one", leaves[0], 0, 1, nil, leaves[0], nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifyInclusion(tc.leaf, tc.index, tc.size, tc.proof, tc.root)
			if !errorMatches(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestVerifyInclusionProofMessage(t *testing.T) {
	leaves := reftree.Leaves(5)
	root := reftree.MTH(leaves)
	msg := &traceledgerv1.LogInclusionProof{Index: 4, Size_: 5, Hashes: reftree.Path(4, leaves)}
	if err := VerifyInclusionProof(leaves[4], msg, root); err != nil {
		t.Fatal(err)
	}
	if err := VerifyInclusionProof(leaves[4], nil, root); !errors.Is(err, ErrMalformedProof) {
		t.Fatalf("nil message: %v", err)
	}
}

// flipEach calls check once for every single-byte change of every buffer.
func flipEach(bufs [][]byte, check func(desc string)) {
	for bi, b := range bufs {
		for i := range b {
			b[i] ^= 0xff
			check(fmt.Sprintf("buffer %d byte %d", bi, i))
			b[i] ^= 0xff
		}
	}
}

func TestInclusionTamper(t *testing.T) {
	leaves := reftree.Leaves(21)
	for _, size := range []int{1, 2, 3, 8, 13, 21} {
		for i := 0; i < size; i++ {
			leaf := leaves[i]
			root := reftree.MTH(leaves[:size])
			p := reftree.CloneProof(reftree.Path(i, leaves[:size]))
			bufs := append([][]byte{leaf[:], root[:]}, p...)
			flipEach(bufs, func(desc string) {
				if err := VerifyInclusion(leaf, uint64(i), uint64(size), p, root); err == nil {
					t.Errorf("size %d index %d: tampered %s verified", size, i, desc)
				}
			})
			if err := VerifyInclusion(leaf, uint64(i), uint64(size), p, root); err != nil {
				t.Fatalf("size %d index %d: restored proof fails: %v", size, i, err)
			}
		}
	}
}

func TestVerifyConsistencyAllSizes(t *testing.T) {
	leaves := reftree.Leaves(40)
	for s2 := 1; s2 <= len(leaves); s2++ {
		root2 := reftree.MTH(leaves[:s2])
		for s1 := 1; s1 <= s2; s1++ {
			root1 := reftree.MTH(leaves[:s1])
			p := reftree.Consistency(s1, leaves[:s2])
			if err := VerifyConsistency(uint64(s1), uint64(s2), p, root1, root2); err != nil {
				t.Fatalf("sizes %d -> %d: %v", s1, s2, err)
			}
		}
	}
}

func TestVerifyConsistencyErrors(t *testing.T) {
	leaves := reftree.Leaves(11)
	r6, r11 := reftree.MTH(leaves[:6]), reftree.MTH(leaves)
	r4 := reftree.MTH(leaves[:4])
	p := reftree.Consistency(6, leaves)
	p4 := reftree.Consistency(4, leaves)
	tests := []struct {
		name         string
		size1, size2 uint64
		proof        [][]byte
		root1, root2 [32]byte
		want         error
	}{
		{"valid", 6, 11, p, r6, r11, nil},
		{"valid power of two", 4, 11, p4, r4, r11, nil},
		{"equal sizes", 11, 11, nil, r11, r11, nil},
		{"equal sizes roots differ", 11, 11, nil, r11, r6, ErrRootMismatch},
		{"equal sizes with proof", 11, 11, p[:1], r11, r11, ErrMalformedProof},
		{"from empty", 0, 11, nil, EmptyLogRoot(), r11, ErrOutOfRange},
		{"from empty to empty", 0, 0, nil, EmptyLogRoot(), EmptyLogRoot(), ErrOutOfRange},
		{"shrinking", 11, 6, p, r11, r6, ErrOutOfRange},
		{"empty proof", 6, 11, nil, r6, r11, ErrMalformedProof},
		{"truncated", 6, 11, p[:len(p)-1], r6, r11, ErrMalformedProof},
		{"padded", 6, 11, append(reftree.CloneProof(p), p[0]), r6, r11, ErrMalformedProof},
		{"short hash", 6, 11, [][]byte{p[0][:31]}, r6, r11, ErrMalformedProof},
		{"wrong root1", 6, 11, p, r4, r11, ErrRootMismatch},
		{"wrong root2", 6, 11, p, r6, r4, ErrRootMismatch},
		{"swapped roots", 6, 11, p, r11, r6, ErrRootMismatch},
		{"wrong size1", 5, 11, p, r6, r11, errAny},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifyConsistency(tc.size1, tc.size2, tc.proof, tc.root1, tc.root2)
			if !errorMatches(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	msg := &traceledgerv1.LogConsistencyProof{Size1: 6, Size2: 11, Hashes: p}
	if err := VerifyConsistencyProof(msg, r6, r11); err != nil {
		t.Fatalf("message: %v", err)
	}
	if err := VerifyConsistencyProof(nil, r6, r11); !errors.Is(err, ErrMalformedProof) {
		t.Fatalf("nil message: %v", err)
	}
}

func TestConsistencyTamper(t *testing.T) {
	leaves := reftree.Leaves(19)
	for _, s2 := range []int{2, 3, 7, 8, 12, 19} {
		for s1 := 1; s1 < s2; s1++ {
			root1, root2 := reftree.MTH(leaves[:s1]), reftree.MTH(leaves[:s2])
			p := reftree.CloneProof(reftree.Consistency(s1, leaves[:s2]))
			bufs := append([][]byte{root1[:], root2[:]}, p...)
			flipEach(bufs, func(desc string) {
				if err := VerifyConsistency(uint64(s1), uint64(s2), p, root1, root2); err == nil {
					t.Errorf("sizes %d -> %d: tampered %s verified", s1, s2, desc)
				}
			})
			if err := VerifyConsistency(uint64(s1), uint64(s2), p, root1, root2); err != nil {
				t.Fatalf("sizes %d -> %d: restored proof fails: %v", s1, s2, err)
			}
		}
	}
}
