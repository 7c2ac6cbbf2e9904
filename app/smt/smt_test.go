// SPDX-License-Identifier: Apache-2.0

package smt

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/traceledger/traceledger/proof"
	traceledgerv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// ---- Reference implementation -------------------------------------------
//
// refRoot computes the map root straight from the definition in
// docs/PROOFS.md by recursion over the sorted list of leaves. It shares no
// code with the tree.

func refSorted(m map[[32]byte][32]byte) []Leaf {
	out := make([]Leaf, 0, len(m))
	for k, v := range m {
		out = append(out, Leaf{k, v})
	}
	slices.SortFunc(out, func(a, b Leaf) int { return bytes.Compare(a.KeyHash[:], b.KeyHash[:]) })
	return out
}

func refBit(k [32]byte, i int) int {
	return int(k[i/8]>>(7-i%8)) & 1
}

func refRootAt(leaves []Leaf, depth int) [32]byte {
	switch len(leaves) {
	case 0:
		return [32]byte{}
	case 1:
		return sha256.Sum256(slices.Concat([]byte{0}, leaves[0].KeyHash[:], leaves[0].ValueHash[:]))
	}
	s := 0
	for s < len(leaves) && refBit(leaves[s].KeyHash, depth) == 0 {
		s++
	}
	l, r := refRootAt(leaves[:s], depth+1), refRootAt(leaves[s:], depth+1)
	return sha256.Sum256(slices.Concat([]byte{1}, l[:], r[:]))
}

func refRoot(m map[[32]byte][32]byte) [32]byte {
	return refRootAt(refSorted(m), 0)
}

// ---- Helpers -------------------------------------------------------------

func randHash(r *rand.Rand) [32]byte {
	var h [32]byte
	for i := 0; i < 32; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8; j++ {
			h[i+j] = byte(v >> (8 * j))
		}
	}
	return h
}

// nearHash returns a hash that shares a long prefix with k, so that trees get
// deep paths and long chains of one-sided interior nodes.
func nearHash(r *rand.Rand, k [32]byte) [32]byte {
	b := 200 + r.IntN(56)
	k[b/8] ^= 1 << (7 - b%8)
	return k
}

func mustUpdate(t testing.TB, tr *Tree, cs []Change) *Tree {
	t.Helper()
	next, err := tr.Update(cs)
	if err != nil {
		t.Fatal(err)
	}
	return next
}

func mustBuild(t testing.TB, leaves []Leaf) *Tree {
	t.Helper()
	tr, err := Build(leaves)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// checkProofs verifies membership of every key of model (up to limit) and
// absence of extra random keys and of near misses, with package proof.
func checkProofs(t *testing.T, r *rand.Rand, tr *Tree, model map[[32]byte][32]byte, limit int) {
	t.Helper()
	root := tr.Root()
	i := 0
	for k, v := range model {
		if i++; i > limit {
			break
		}
		if err := proof.VerifyMapMembershipHash(root, k, v, tr.Prove(k)); err != nil {
			t.Fatalf("membership of %x: %v", k, err)
		}
		if got, ok := tr.Get(k); !ok || got != v {
			t.Fatalf("Get(%x) = %x, %v; want %x", k, got, ok, v)
		}
		nk := nearHash(r, k)
		if _, present := model[nk]; !present {
			if err := proof.VerifyMapAbsenceHash(root, nk, tr.Prove(nk)); err != nil {
				t.Fatalf("absence of near key %x: %v", nk, err)
			}
		}
	}
	for range 20 {
		k := randHash(r)
		if err := proof.VerifyMapAbsenceHash(root, k, tr.Prove(k)); err != nil {
			t.Fatalf("absence of %x: %v", k, err)
		}
		if _, ok := tr.Get(k); ok {
			t.Fatalf("Get(%x) found an absent key", k)
		}
	}
}

// checkShape checks the canonical layout of the subtree n at depth whose keys
// all share the first depth bits of prefix and the cached hashes, and returns
// its number of keys and its hash, computed bottom-up.
func checkShape(t *testing.T, n node, depth int, prefix [32]byte) (int, [32]byte) {
	switch x := n.(type) {
	case nil:
		return 0, [32]byte{}
	case *leafNode:
		for i := 0; i < depth; i++ {
			if refBit(x.key, i) != refBit(prefix, i) {
				t.Fatalf("leaf %x misplaced at depth %d", x.key, depth)
			}
		}
		return 1, leafHash(&x.key, &x.value)
	case *innerNode:
		if x.left == nil || x.right == nil {
			t.Fatalf("inner node at depth %d with an empty child", depth)
		}
	case *leftOnly, *rightOnly:
		l, r := children(n)
		c := l
		if c == nil {
			c = r
		}
		if _, isLeaf := c.(*leafNode); isLeaf || c == nil {
			t.Fatalf("one-sided node at depth %d over %T", depth, c)
		}
	}
	l, r := children(n)
	right := prefix
	right[depth/8] |= 1 << (7 - depth%8)
	left := prefix
	left[depth/8] &^= 1 << (7 - depth%8)
	nl, hl := checkShape(t, l, depth+1, left)
	nr, hr := checkShape(t, r, depth+1, right)
	if nl+nr < 2 {
		t.Fatalf("interior node at depth %d holds %d keys", depth, nl+nr)
	}
	h := nodeHash(hl, hr)
	if x, ok := n.(*innerNode); ok && x.hash != h {
		t.Fatalf("stale hash at depth %d", depth)
	}
	return nl + nr, h
}

// ---- Tests ---------------------------------------------------------------

func TestEmpty(t *testing.T) {
	tr := New()
	if tr.Root() != ([32]byte{}) || tr.Len() != 0 {
		t.Fatalf("empty tree: root %x, len %d", tr.Root(), tr.Len())
	}
	k := sha256.Sum256([]byte("k"))
	p := tr.Prove(k)
	if p.Depth != 0 || len(p.EmptySiblings) != 0 || len(p.Siblings) != 0 || p.LeafKeyHash != nil {
		t.Fatalf("empty-tree proof %+v", p)
	}
	if err := proof.VerifyMapAbsenceHash(tr.Root(), k, p); err != nil {
		t.Fatal(err)
	}
	bt := mustBuild(t, nil)
	if bt.Root() != tr.Root() || bt.Len() != 0 {
		t.Fatal("Build(nil) differs from New()")
	}
	if same := mustUpdate(t, tr, nil); same != tr {
		t.Fatal("Update with no changes returned a new tree")
	}
}

func TestSmallCases(t *testing.T) {
	k := func(s string) [32]byte { return sha256.Sum256([]byte(s)) }
	var zero, one, two, three [32]byte
	one[31], two[31], three[31] = 1, 2, 3
	hi := zero
	hi[0] = 0x80
	tests := []struct {
		name      string
		batches   [][]Change
		wantLen   int
		wantDepth map[[32]byte]uint32 // proof depth per key, when given
	}{
		{name: "one key", batches: [][]Change{{{KeyHash: k("a"), ValueHash: k("1")}}}, wantLen: 1,
			wantDepth: map[[32]byte]uint32{k("a"): 0}},
		{name: "two keys differing at bit 255", batches: [][]Change{{{KeyHash: zero}, {KeyHash: one}}}, wantLen: 2,
			wantDepth: map[[32]byte]uint32{zero: 256, one: 256}},
		{name: "two keys differing at bit 0", batches: [][]Change{{{KeyHash: zero}, {KeyHash: hi}}}, wantLen: 2,
			wantDepth: map[[32]byte]uint32{zero: 1, hi: 1}},
		{name: "deep pair then collapse", batches: [][]Change{
			{{KeyHash: zero}, {KeyHash: one}, {KeyHash: hi}},
			{{KeyHash: one, Delete: true}},
		}, wantLen: 2, wantDepth: map[[32]byte]uint32{zero: 1, hi: 1}},
		{name: "collapse to root leaf", batches: [][]Change{
			{{KeyHash: zero}, {KeyHash: one}, {KeyHash: two}, {KeyHash: three}},
			{{KeyHash: one, Delete: true}, {KeyHash: two, Delete: true}, {KeyHash: three, Delete: true}},
		}, wantLen: 1, wantDepth: map[[32]byte]uint32{zero: 0}},
		{name: "insert one by one", batches: [][]Change{
			{{KeyHash: two}}, {{KeyHash: zero}}, {{KeyHash: three}}, {{KeyHash: one}},
		}, wantLen: 4, wantDepth: map[[32]byte]uint32{zero: 256, one: 256, two: 256, three: 256}},
		{name: "delete absent is a no-op", batches: [][]Change{
			{{KeyHash: k("a")}}, {{KeyHash: k("b"), Delete: true}},
		}, wantLen: 1, wantDepth: map[[32]byte]uint32{k("a"): 0}},
		{name: "delete all", batches: [][]Change{
			{{KeyHash: k("a")}, {KeyHash: k("b")}, {KeyHash: k("c")}},
			{{KeyHash: k("a"), Delete: true}, {KeyHash: k("b"), Delete: true}, {KeyHash: k("c"), Delete: true}},
		}, wantLen: 0},
		{name: "insert and delete in one batch of a leaf", batches: [][]Change{
			{{KeyHash: zero, ValueHash: k("v")}},
			{{KeyHash: zero, Delete: true}, {KeyHash: one, ValueHash: k("w")}, {KeyHash: hi, Delete: true}},
		}, wantLen: 1, wantDepth: map[[32]byte]uint32{one: 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := New()
			model := map[[32]byte][32]byte{}
			for _, b := range tc.batches {
				tr = mustUpdate(t, tr, b)
				for _, c := range b {
					if c.Delete {
						delete(model, c.KeyHash)
					} else {
						model[c.KeyHash] = c.ValueHash
					}
				}
			}
			if tr.Len() != tc.wantLen || len(model) != tc.wantLen {
				t.Fatalf("Len = %d, model %d, want %d", tr.Len(), len(model), tc.wantLen)
			}
			if got, want := tr.Root(), refRoot(model); got != want {
				t.Fatalf("root %x, reference %x", got, want)
			}
			for key, d := range tc.wantDepth {
				p := tr.Prove(key)
				if p.Depth != d {
					t.Errorf("proof depth of %x = %d, want %d", key, p.Depth, d)
				}
				if err := proof.VerifyMapMembershipHash(tr.Root(), key, model[key], p); err != nil {
					t.Errorf("membership of %x: %v", key, err)
				}
			}
			checkProofs(t, rand.New(rand.NewPCG(1, 2)), tr, model, 100)
		})
	}
}

func TestDuplicateKeys(t *testing.T) {
	k := sha256.Sum256([]byte("k"))
	if _, err := New().Update([]Change{{KeyHash: k}, {KeyHash: k, Delete: true}}); !errors.Is(err, ErrDuplicateKey) {
		t.Fatalf("Update: %v", err)
	}
	if _, err := Build([]Leaf{{KeyHash: k}, {KeyHash: k}}); !errors.Is(err, ErrDuplicateKey) {
		t.Fatalf("Build: %v", err)
	}
}

// randomBatch returns a batch of distinct keys: updates, same-value updates
// and deletes of present keys, inserts of new random and near keys, and
// deletes of absent keys.
func randomBatch(r *rand.Rand, model map[[32]byte][32]byte, keys *[][32]byte, size int) []Change {
	seen := map[[32]byte]bool{}
	var cs []Change
	add := func(c Change) {
		if !seen[c.KeyHash] {
			seen[c.KeyHash] = true
			cs = append(cs, c)
		}
	}
	for len(cs) < size {
		switch x := r.IntN(10); {
		case x < 3 && len(*keys) > 0:
			k := (*keys)[r.IntN(len(*keys))]
			if _, ok := model[k]; ok {
				add(Change{KeyHash: k, ValueHash: randHash(r)})
			}
		case x < 4 && len(*keys) > 0:
			k := (*keys)[r.IntN(len(*keys))]
			if v, ok := model[k]; ok {
				add(Change{KeyHash: k, ValueHash: v})
			}
		case x < 6 && len(*keys) > 0:
			add(Change{KeyHash: (*keys)[r.IntN(len(*keys))], Delete: true})
		case x < 7:
			add(Change{KeyHash: randHash(r), Delete: true})
		case x < 8 && len(*keys) > 0:
			k := nearHash(r, (*keys)[r.IntN(len(*keys))])
			*keys = append(*keys, k)
			add(Change{KeyHash: k, ValueHash: randHash(r)})
		default:
			k := randHash(r)
			*keys = append(*keys, k)
			add(Change{KeyHash: k, ValueHash: randHash(r)})
		}
	}
	return cs
}

func applyModel(model map[[32]byte][32]byte, cs []Change) {
	for _, c := range cs {
		if c.Delete {
			delete(model, c.KeyHash)
		} else {
			model[c.KeyHash] = c.ValueHash
		}
	}
}

func TestRandomBatchesAgainstReference(t *testing.T) {
	for seed := uint64(1); seed <= 8; seed++ {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 99))
			model := map[[32]byte][32]byte{}
			var keys [][32]byte
			tr := New()
			type version struct {
				tree  *Tree
				root  [32]byte
				n     int
				model map[[32]byte][32]byte
			}
			var versions []version
			for b := 0; b < 30; b++ {
				size := 1 + r.IntN(60)
				if b%7 == 3 {
					size = 400
				}
				cs := randomBatch(r, model, &keys, size)
				tr = mustUpdate(t, tr, cs)
				applyModel(model, cs)
				want := refRoot(model)
				if tr.Root() != want || tr.Len() != len(model) {
					t.Fatalf("batch %d: root %x len %d, reference %x len %d", b, tr.Root(), tr.Len(), want, len(model))
				}
				if bt := mustBuild(t, refSorted(model)); bt.Root() != want || bt.Len() != len(model) {
					t.Fatalf("batch %d: Build root %x, reference %x", b, bt.Root(), want)
				}
				if got, h := checkShape(t, tr.root, 0, [32]byte{}); got != len(model) || h != want {
					t.Fatalf("batch %d: tree holds %d keys with hash %x, model %d", b, got, h, len(model))
				}
				versions = append(versions, version{tr, want, len(model), mapsClone(model)})
			}
			for i, v := range versions {
				if v.tree.Root() != v.root || v.tree.Len() != v.n {
					t.Fatalf("version %d changed: root %x, want %x", i, v.tree.Root(), v.root)
				}
				if i%5 == 0 {
					checkProofs(t, r, v.tree, v.model, 200)
				}
			}
		})
	}
}

func mapsClone(m map[[32]byte][32]byte) map[[32]byte][32]byte {
	out := make(map[[32]byte][32]byte, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func TestCanonicalAcrossOrdersAndBatches(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	var leaves []Leaf
	for i := 0; i < 3000; i++ {
		k := randHash(r)
		leaves = append(leaves, Leaf{k, randHash(r)})
		if i%10 == 0 {
			leaves = append(leaves, Leaf{nearHash(r, k), randHash(r)})
		}
	}
	model := map[[32]byte][32]byte{}
	for _, l := range leaves {
		model[l.KeyHash] = l.ValueHash
	}
	want := refRoot(model)
	for _, batch := range []int{1, 7, 100, 1000, len(leaves)} {
		order := slices.Clone(leaves)
		r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		tr := New()
		for i := 0; i < len(order); i += batch {
			var cs []Change
			for _, l := range order[i:min(i+batch, len(order))] {
				cs = append(cs, Change{KeyHash: l.KeyHash, ValueHash: l.ValueHash})
			}
			tr = mustUpdate(t, tr, cs)
		}
		if tr.Root() != want || tr.Len() != len(model) {
			t.Fatalf("batch %d: root %x, want %x", batch, tr.Root(), want)
		}
		// Insert extra keys and delete them again: the shape must come back.
		var extra, undo []Change
		for range 500 {
			k := nearHash(r, order[r.IntN(len(order))].KeyHash)
			if _, ok := model[k]; ok || slices.ContainsFunc(extra, func(c Change) bool { return c.KeyHash == k }) {
				continue
			}
			extra = append(extra, Change{KeyHash: k, ValueHash: randHash(r)})
			undo = append(undo, Change{KeyHash: k, Delete: true})
		}
		tr = mustUpdate(t, mustUpdate(t, tr, extra), undo)
		if tr.Root() != want || tr.Len() != len(model) {
			t.Fatalf("batch %d: after insert and delete, root %x, want %x", batch, tr.Root(), want)
		}
	}
	// Deleting every key gives the empty tree.
	var all []Change
	for k := range model {
		all = append(all, Change{KeyHash: k, Delete: true})
	}
	empty := mustUpdate(t, mustBuild(t, slices.Clone(leaves)), all)
	if empty.Root() != ([32]byte{}) || empty.Len() != 0 || empty.root != nil {
		t.Fatalf("after deleting all: root %x, len %d", empty.Root(), empty.Len())
	}
}

func TestParallelMatchesSequential(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	leaves := make([]Leaf, 60000)
	for i := range leaves {
		leaves[i] = Leaf{randHash(r), randHash(r)}
	}
	nodes := make([]*leafNode, len(leaves))
	sorted := slices.Clone(leaves)
	slices.SortFunc(sorted, func(a, b Leaf) int { return bytes.Compare(a.KeyHash[:], b.KeyHash[:]) })
	for i := range sorted {
		nodes[i] = &leafNode{key: sorted[i].KeyHash, value: sorted[i].ValueHash}
	}
	seqRoot := hashOf(build(0, nodes, false))
	parRoot := hashOf(build(0, nodes, true))
	if seqRoot != parRoot {
		t.Fatalf("build: sequential %x, parallel %x", seqRoot, parRoot)
	}
	base := &Tree{root: build(0, nodes, true), n: len(nodes)}
	var cs []Change
	for i := 0; i < 40000; i++ {
		switch {
		case i%4 == 0:
			cs = append(cs, Change{KeyHash: leaves[i].KeyHash, Delete: true})
		case i%4 == 1:
			cs = append(cs, Change{KeyHash: leaves[i].KeyHash, ValueHash: randHash(r)})
		default:
			cs = append(cs, Change{KeyHash: randHash(r), ValueHash: randHash(r)})
		}
	}
	seq, err := base.update(cs, false)
	if err != nil {
		t.Fatal(err)
	}
	par, err := base.update(cs, true)
	if err != nil {
		t.Fatal(err)
	}
	if seq.Root() != par.Root() || seq.Len() != par.Len() {
		t.Fatalf("update: sequential %x/%d, parallel %x/%d", seq.Root(), seq.Len(), par.Root(), par.Len())
	}
}

func TestProofTamper(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var leaves []Leaf
	model := map[[32]byte][32]byte{}
	for i := 0; i < 200; i++ {
		l := Leaf{randHash(r), randHash(r)}
		leaves = append(leaves, l)
		model[l.KeyHash] = l.ValueHash
	}
	tr := mustBuild(t, leaves)
	root := tr.Root()
	flip := func(bufs [][]byte, check func(string)) {
		for bi, b := range bufs {
			for i := range b {
				b[i] ^= 0x01
				check(fmt.Sprintf("buffer %d byte %d", bi, i))
				b[i] ^= 0x01
			}
		}
	}
	buffers := func(p *traceledgerv1.MapProof, extra ...[]byte) [][]byte {
		return append(append([][]byte{p.EmptySiblings, p.LeafKeyHash, p.LeafValueHash}, p.Siblings...), extra...)
	}
	for i, l := range leaves[:20] {
		p := tr.Prove(l.KeyHash)
		k, v := l.KeyHash, l.ValueHash
		flip(buffers(p, root[:], k[:], v[:]), func(desc string) {
			if err := proof.VerifyMapMembershipHash(root, k, v, p); err == nil {
				t.Errorf("leaf %d: tampered %s still verifies", i, desc)
			}
		})
		if err := proof.VerifyMapMembershipHash(root, k, v, p); err != nil {
			t.Fatalf("leaf %d: %v", i, err)
		}
		// A membership proof is no absence proof, and the reverse.
		if err := proof.VerifyMapAbsenceHash(root, k, p); !errors.Is(err, proof.ErrKeyPresent) {
			t.Fatalf("leaf %d: absence with membership proof: %v", i, err)
		}
	}
	for i := 0; i < 20; i++ {
		k := randHash(r)
		if i%2 == 0 {
			k = nearHash(r, leaves[i].KeyHash) // absence ending at a leaf
		}
		p := tr.Prove(k)
		flip(buffers(p, root[:]), func(desc string) {
			if err := proof.VerifyMapAbsenceHash(root, k, p); err == nil {
				t.Errorf("absent %d: tampered %s still verifies", i, desc)
			}
		})
		if err := proof.VerifyMapAbsenceHash(root, k, p); err != nil {
			t.Fatalf("absent %d: %v", i, err)
		}
		if err := proof.VerifyMapMembershipHash(root, k, [32]byte{}, p); !errors.Is(err, proof.ErrKeyMismatch) {
			t.Fatalf("absent %d: membership with absence proof: %v", i, err)
		}
	}
}

func TestConcurrentReaders(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	model := map[[32]byte][32]byte{}
	var keys [][32]byte
	cs := randomBatch(r, model, &keys, 3000)
	tr := mustUpdate(t, New(), cs)
	applyModel(model, cs)
	root := tr.Root()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			i := 0
			for k, v := range model {
				if i++; i%4 != g {
					continue
				}
				if err := proof.VerifyMapMembershipHash(root, k, v, tr.Prove(k)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	next := tr
	for range 5 {
		next = mustUpdate(t, next, randomBatch(r, map[[32]byte][32]byte{}, &keys, 2000))
	}
	wg.Wait()
	if tr.Root() != root {
		t.Fatal("old version changed")
	}
}

func TestSortLeaves(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 11))
	for _, n := range []int{0, 1, 100, 1 << 14, 50000} {
		for _, parallel := range []bool{false, true} {
			leaves := make([]Leaf, n)
			for i := range leaves {
				leaves[i] = Leaf{randHash(r), randHash(r)}
				if i%3 == 0 {
					leaves[i].KeyHash[0] = 7 // a crowded bucket
				}
			}
			want := slices.Clone(leaves)
			slices.SortFunc(want, func(a, b Leaf) int { return bytes.Compare(a.KeyHash[:], b.KeyHash[:]) })
			sortLeaves(leaves, parallel)
			if !slices.Equal(leaves, want) {
				t.Fatalf("n=%d parallel=%v: not sorted", n, parallel)
			}
		}
	}
}
