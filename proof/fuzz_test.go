// SPDX-License-Identifier: Apache-2.0

package proof

import (
	"fmt"
	"testing"

	"github.com/traceledger/traceledger/proof/internal/reftree"
	traceledgerv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// splitProof cuts blob into 32-byte hashes; a shorter tail becomes a last,
// malformed hash so that the fuzzer also reaches the length checks.
func splitProof(blob []byte) [][]byte {
	var out [][]byte
	for len(blob) > 0 {
		n := min(len(blob), HashSize)
		out = append(out, blob[:n])
		blob = blob[n:]
	}
	return out
}

func joinProof(p [][]byte) []byte {
	var out []byte
	for _, h := range p {
		out = append(out, h...)
	}
	return out
}

func to32(b []byte) [32]byte {
	var h [32]byte
	copy(h[:], b)
	return h
}

func FuzzVerifyInclusion(f *testing.F) {
	leaves := reftree.Leaves(13)
	for _, size := range []int{1, 2, 5, 13} {
		root := reftree.MTH(leaves[:size])
		for i := 0; i < size; i += 2 {
			f.Add(leaves[i][:], uint64(i), uint64(size), joinProof(reftree.Path(i, leaves[:size])), root[:])
		}
	}
	f.Add([]byte{}, uint64(0), uint64(0), []byte{1, 2, 3}, []byte{})
	f.Add(leaves[0][:], ^uint64(0), ^uint64(0), []byte{}, leaves[0][:])
	f.Fuzz(func(t *testing.T, leaf []byte, index, size uint64, blob, root []byte) {
		p := splitProof(blob)
		err := VerifyInclusion(to32(leaf), index, size, p, to32(root))
		got, rerr := RootFromInclusion(to32(leaf), index, size, p)
		if (err == nil) != (rerr == nil && got == to32(root)) {
			t.Fatalf("VerifyInclusion = %v but RootFromInclusion = %x, %v", err, got, rerr)
		}
		if err == nil && index >= size {
			t.Fatal("accepted index not below size")
		}
	})
}

func FuzzVerifyConsistency(f *testing.F) {
	leaves := reftree.Leaves(13)
	for _, s2 := range []int{1, 2, 5, 8, 13} {
		for s1 := 1; s1 <= s2; s1 += 2 {
			r1, r2 := reftree.MTH(leaves[:s1]), reftree.MTH(leaves[:s2])
			f.Add(uint64(s1), uint64(s2), joinProof(reftree.Consistency(s1, leaves[:s2])), r1[:], r2[:])
		}
	}
	f.Add(uint64(0), uint64(0), []byte{}, []byte{}, []byte{})
	f.Add(^uint64(0)-1, ^uint64(0), make([]byte, 70), []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, size1, size2 uint64, blob, root1, root2 []byte) {
		err := VerifyConsistency(size1, size2, splitProof(blob), to32(root1), to32(root2))
		if err == nil && (size1 == 0 || size1 > size2) {
			t.Fatalf("accepted sizes %d -> %d", size1, size2)
		}
	})
}

func FuzzVerifyMap(f *testing.F) {
	leaves, root := mapFixture(30)
	for i := 0; i < 30; i += 4 {
		key := []byte(fmt.Sprintf("key-%d", i))
		b, err := reftree.MapProve(leaves, MapKeyHash(key)).Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(root[:], key, []byte(fmt.Sprintf("value-%d", i)), b)
	}
	b, _ := reftree.MapProve(leaves, MapKeyHash([]byte("missing"))).Marshal()
	f.Add(root[:], []byte("missing"), []byte{}, b)
	a, bk, _ := deepKeys()
	deep := reftree.SortMap([]reftree.MapLeaf{{K: a, V: a}, {K: bk, V: bk}})
	deepRoot := reftree.MapHash(deep, 0)
	b, _ = reftree.MapProve(deep, a).Marshal()
	f.Add(deepRoot[:], []byte{}, []byte{}, b)
	f.Add([]byte{}, []byte{}, []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, rootBytes, key, value, proofBytes []byte) {
		var p traceledgerv1.MapProof
		if err := p.Unmarshal(proofBytes); err != nil {
			return
		}
		root := to32(rootBytes)
		member := VerifyMapMembership(root, key, value, &p)
		absent := VerifyMapAbsence(root, key, &p)
		if member == nil && absent == nil {
			t.Fatal("one proof shows both membership and absence")
		}
		got, err := MapRootFromProof(MapKeyHash(key), &p)
		if (member == nil || absent == nil) && (err != nil || got != root) {
			t.Fatalf("verified, but MapRootFromProof = %x, %v", got, err)
		}
		// The hash-level verifiers see the raw key bytes as a key hash.
		_ = VerifyMapAbsenceHash(root, to32(key), &p)
		_ = VerifyMapMembershipHash(root, to32(key), to32(value), &p)
	})
}

func FuzzAppHashOf(f *testing.F) {
	h := make([]byte, 32)
	b, _ := (&traceledgerv1.StateRoots{Height: 3, LogSize: 9, LogRoot: h, MapRoot: h, RecordsRoot: h}).Marshal()
	f.Add(b)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var r traceledgerv1.StateRoots
		if err := r.Unmarshal(data); err != nil {
			return
		}
		got, err := AppHashOf(&r)
		if err == nil && got != AppHash(r.LogSize, to32(r.LogRoot), to32(r.MapRoot), to32(r.RecordsRoot)) {
			t.Fatal("AppHashOf disagrees with AppHash")
		}
		if err == nil && (len(r.LogRoot) != 32 || len(r.MapRoot) != 32 || len(r.RecordsRoot) != 32) {
			t.Fatal("accepted roots of wrong length")
		}
	})
}

// FuzzVerifyRootsConsistency: no panic; acceptance implies the sizes are
// ordered.
func FuzzVerifyRootsConsistency(f *testing.F) {
	leaves := reftree.Leaves(9)
	r1, r2 := reftree.MTH(leaves[:4]), reftree.MTH(leaves)
	p := joinProof(reftree.Consistency(4, leaves))
	f.Add(uint64(4), uint64(9), r1[:], r2[:], p, p)
	f.Add(uint64(0), uint64(9), []byte{}, r2[:], []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, s1, s2 uint64, root1, root2, lp, rp []byte) {
		old := &traceledgerv1.StateRoots{LogSize: s1, LogRoot: root1, RecordsRoot: root1}
		cur := &traceledgerv1.StateRoots{LogSize: s2, LogRoot: root2, RecordsRoot: root2}
		err := VerifyRootsConsistency(old, cur,
			&traceledgerv1.LogConsistencyProof{Size1: s1, Size2: s2, Hashes: splitProof(lp)},
			&traceledgerv1.LogConsistencyProof{Size1: s1, Size2: s2, Hashes: splitProof(rp)})
		if err == nil && s1 > s2 {
			t.Fatalf("accepted sizes %d -> %d", s1, s2)
		}
	})
}
