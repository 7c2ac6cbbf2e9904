// SPDX-License-Identifier: Apache-2.0

package smt

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	traceledgerv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// ErrDuplicateKey reports a key hash that appears twice in one Build or
// Update.
var ErrDuplicateKey = errors.New("smt: duplicate key hash")

// Leaf is one entry of the map: the SHA-256 of a key and of its value.
type Leaf struct {
	KeyHash, ValueHash [32]byte
}

// Change sets the value hash of a key hash, or deletes the key.
type Change struct {
	KeyHash, ValueHash [32]byte
	// Delete removes KeyHash; ValueHash is then ignored. Deleting a key
	// that is not in the tree is a no-op.
	Delete bool
}

// Tree is one immutable version of the map. The zero value is the empty map,
// as New returns. A *Tree is never modified after creation, so any number of
// goroutines may read it concurrently.
type Tree struct {
	root node
	n    int
}

// node is a subtree: nil (empty), *leafNode, *innerNode, *leftOnly or
// *rightOnly.
type node interface {
	isNode()
}

// leafNode is a key alone in its subtree. Its hash is recomputed on demand:
// it is needed only by a leaf's parent and by proofs, and caching it would
// cost 32 more bytes per key.
type leafNode struct {
	key, value [32]byte
}

// innerNode is a subtree with keys on both sides; it caches its hash.
type innerNode struct {
	hash        [32]byte
	left, right node
}

// leftOnly and rightOnly are subtrees with two or more keys that all lie on
// one side (their other child is empty). In a tree of random keys they are
// about 44% as many as the keys, so they cache no hash: 16 bytes instead of
// 64, and their hash, one SHA-256 over the child's, is recomputed when a
// parent or a proof needs it. Their child is never empty nor a leaf.
type leftOnly struct{ child node }

// rightOnly is leftOnly with the keys on the right side.
type rightOnly struct{ child node }

func (*leafNode) isNode()  {}
func (*innerNode) isNode() {}
func (*leftOnly) isNode()  {}
func (*rightOnly) isNode() {}

// children returns the children of an interior node (of any kind).
func children(n node) (l, r node) {
	switch x := n.(type) {
	case *innerNode:
		return x.left, x.right
	case *leftOnly:
		return x.child, nil
	case *rightOnly:
		return nil, x.child
	}
	return nil, nil
}

// Parallel hashing: below this depth, subtrees with at least parallelMin
// changes or leaves are processed in their own goroutine, so up to
// 2^parallelDepth subtrees run at once. Each result goes to a fixed place, so
// the tree does not depend on scheduling.
const (
	parallelDepth = 4
	parallelMin   = 2048
)

// New returns the empty map.
func New() *Tree {
	return &Tree{}
}

// Root returns the root hash of the map; the empty map has 32 zero bytes.
func (t *Tree) Root() [32]byte {
	return hashOf(t.root)
}

// Len returns the number of keys in the map.
func (t *Tree) Len() int {
	return t.n
}

// Get returns the value hash stored for keyHash and whether it is present.
func (t *Tree) Get(keyHash [32]byte) (valueHash [32]byte, ok bool) {
	n := t.root
	for depth := 0; ; depth++ {
		switch x := n.(type) {
		case nil:
			return valueHash, false
		case *leafNode:
			if x.key == keyHash {
				return x.value, true
			}
			return valueHash, false
		default:
			l, r := children(n)
			if bit(&keyHash, depth) == 0 {
				n = l
			} else {
				n = r
			}
		}
	}
}

// Prove returns the proof for keyHash as docs/PROOFS.md describes: a
// membership proof when the key is present (the terminal is its leaf), an
// absence proof otherwise (the terminal is empty or another key's leaf).
// Package proof verifies it.
func (t *Tree) Prove(keyHash [32]byte) *traceledgerv1.MapProof {
	var (
		bitmap [32]byte
		sibs   [256][32]byte
		nsib   int
		depth  int
		term   *leafNode
	)
	n := t.root
walk:
	for {
		switch x := n.(type) {
		case nil:
			break walk
		case *leafNode:
			term = x
			break walk
		default:
			l, r := children(n)
			var sib node
			if bit(&keyHash, depth) == 0 {
				n, sib = l, r
			} else {
				n, sib = r, l
			}
			if sib == nil {
				bitmap[depth/8] |= 1 << (depth % 8)
			} else {
				sibs[nsib] = hashOf(sib)
				nsib++
			}
			depth++
		}
	}
	p := &traceledgerv1.MapProof{Depth: uint32(depth)}
	if depth > 0 {
		p.EmptySiblings = slices.Clone(bitmap[:(depth+7)/8])
	}
	if nsib > 0 {
		buf := make([]byte, nsib*32)
		p.Siblings = make([][]byte, nsib)
		for i := range nsib {
			copy(buf[i*32:], sibs[i][:])
			p.Siblings[i] = buf[i*32 : (i+1)*32 : (i+1)*32]
		}
	}
	if term != nil {
		buf := make([]byte, 64)
		copy(buf, term.key[:])
		copy(buf[32:], term.value[:])
		p.LeafKeyHash, p.LeafValueHash = buf[:32:32], buf[32:]
	}
	return p
}

// Build returns the tree holding exactly leaves, given in any order. It sorts
// leaves in place (to avoid copying millions of entries) and builds the tree
// bottom-up in one pass. A key hash that appears twice is an error wrapping
// ErrDuplicateKey.
func Build(leaves []Leaf) (*Tree, error) {
	parallel := runtime.GOMAXPROCS(0) > 1
	sortLeaves(leaves, parallel)
	for i := 1; i < len(leaves); i++ {
		if leaves[i].KeyHash == leaves[i-1].KeyHash {
			return nil, fmt.Errorf("%w: %x", ErrDuplicateKey, leaves[i].KeyHash)
		}
	}
	nodes := make([]*leafNode, len(leaves))
	for i := range leaves {
		nodes[i] = &leafNode{key: leaves[i].KeyHash, value: leaves[i].ValueHash}
	}
	return &Tree{root: build(0, nodes, parallel), n: len(leaves)}, nil
}

// sortLeaves sorts leaves by key hash. Large inputs first go through one
// in-place bucket pass on the first byte; the 256 buckets are then sorted
// independently, by several goroutines when parallel is set. The result is
// the same whatever the scheduling.
func sortLeaves(leaves []Leaf, parallel bool) {
	cmp := func(a, b Leaf) int { return compareKeys(&a.KeyHash, &b.KeyHash) }
	if len(leaves) < 1<<14 {
		slices.SortFunc(leaves, cmp)
		return
	}
	var start, next [257]int
	for i := range leaves {
		start[int(leaves[i].KeyHash[0])+1]++
	}
	for b := 1; b <= 256; b++ {
		start[b] += start[b-1]
	}
	next = start
	for b := range 256 {
		for next[b] < start[b+1] {
			c := int(leaves[next[b]].KeyHash[0])
			if c == b {
				next[b]++
				continue
			}
			leaves[next[b]], leaves[next[c]] = leaves[next[c]], leaves[next[b]]
			next[c]++
		}
	}
	workers := 1
	if parallel {
		workers = runtime.GOMAXPROCS(0)
	}
	var bucket atomic.Int32
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for b := int(bucket.Add(1)) - 1; b < 256; b = int(bucket.Add(1)) - 1 {
				slices.SortFunc(leaves[start[b]:start[b+1]], cmp)
			}
		})
	}
	wg.Wait()
}

// Update applies one block of changes at once and returns the new version;
// t itself is unchanged and stays usable. The changes may come in any order
// (Update sorts a copy); a key hash that appears twice is an error wrapping
// ErrDuplicateKey. Setting a key to its current value hash and deleting an
// absent key are no-ops. One recursive descent over the sorted changes
// rebuilds every node on their paths exactly once and hashes it once
// (one-sided nodes, which cache no hash, are hashed when their parent is).
// Near the root, large batches are split across goroutines, one subtree
// each; the result does not depend on scheduling. With no changes Update
// returns t.
func (t *Tree) Update(changes []Change) (*Tree, error) {
	return t.update(changes, runtime.GOMAXPROCS(0) > 1)
}

// update is Update with parallel hashing of the top subtrees on or off.
func (t *Tree) update(changes []Change, parallel bool) (*Tree, error) {
	if len(changes) == 0 {
		return t, nil
	}
	cs := slices.Clone(changes)
	slices.SortFunc(cs, func(a, b Change) int { return compareKeys(&a.KeyHash, &b.KeyHash) })
	for i := 1; i < len(cs); i++ {
		if cs[i].KeyHash == cs[i-1].KeyHash {
			return nil, fmt.Errorf("%w: %x", ErrDuplicateKey, cs[i].KeyHash)
		}
	}
	root, delta := update(t.root, 0, cs, parallel)
	return &Tree{root: root, n: t.n + delta}, nil
}

// update applies the sorted changes cs, which all lie under n at depth, and
// returns the new subtree and the change in its number of keys.
func update(n node, depth int, cs []Change, parallel bool) (node, int) {
	switch x := n.(type) {
	case nil:
		nodes := make([]*leafNode, 0, len(cs))
		for i := range cs {
			if !cs[i].Delete {
				nodes = append(nodes, &leafNode{key: cs[i].KeyHash, value: cs[i].ValueHash})
			}
		}
		return build(depth, nodes, parallel), len(nodes)
	case *leafNode:
		return updateLeaf(x, depth, cs, parallel)
	}
	ol, or := children(n)
	l, r := ol, or
	var dl, dr int
	switch s := splitChanges(cs, depth); {
	case s == 0:
		r, dr = update(or, depth+1, cs, parallel)
	case s == len(cs):
		l, dl = update(ol, depth+1, cs, parallel)
	case parallel && depth < parallelDepth && len(cs) >= parallelMin:
		var wg sync.WaitGroup
		wg.Go(func() { l, dl = update(ol, depth+1, cs[:s], parallel) })
		r, dr = update(or, depth+1, cs[s:], parallel)
		wg.Wait()
	default:
		l, dl = update(ol, depth+1, cs[:s], parallel)
		r, dr = update(or, depth+1, cs[s:], parallel)
	}
	if l == ol && r == or {
		return n, 0
	}
	return join(l, r), dl + dr
}

// updateLeaf applies the sorted changes cs to the subtree at depth that holds
// only the leaf lf.
func updateLeaf(lf *leafNode, depth int, cs []Change, parallel bool) (node, int) {
	if len(cs) == 1 {
		c := &cs[0]
		switch {
		case c.KeyHash == lf.key && c.Delete:
			return nil, -1
		case c.KeyHash == lf.key && c.ValueHash == lf.value, c.Delete:
			return lf, 0
		case c.KeyHash == lf.key:
			return &leafNode{key: c.KeyHash, value: c.ValueHash}, 0
		}
		return pair(depth, lf, &leafNode{key: c.KeyHash, value: c.ValueHash}), 1
	}
	nodes := make([]*leafNode, 0, len(cs)+1)
	placed, delta := false, 0
	for i := range cs {
		c := &cs[i]
		if !placed && compareKeys(&lf.key, &c.KeyHash) < 0 {
			nodes = append(nodes, lf)
			placed = true
		}
		switch {
		case c.KeyHash == lf.key:
			placed = true
			switch {
			case c.Delete:
				delta--
			case c.ValueHash == lf.value:
				nodes = append(nodes, lf)
			default:
				nodes = append(nodes, &leafNode{key: c.KeyHash, value: c.ValueHash})
			}
		case !c.Delete:
			nodes = append(nodes, &leafNode{key: c.KeyHash, value: c.ValueHash})
			delta++
		}
	}
	if !placed {
		nodes = append(nodes, lf)
	}
	return build(depth, nodes, parallel), delta
}

// pair returns the subtree at depth holding the two leaves a and b, whose key
// hashes differ.
func pair(depth int, a, b *leafNode) node {
	d := depth
	for bit(&a.key, d) == bit(&b.key, d) {
		d++
	}
	if bit(&a.key, d) == 1 {
		a, b = b, a
	}
	n := join(a, b)
	for d--; d >= depth; d-- {
		if bit(&a.key, d) == 0 {
			n = join(n, nil)
		} else {
			n = join(nil, n)
		}
	}
	return n
}

// build returns the subtree at depth holding the leaves nodes, sorted by key
// hash, distinct, and all sharing the first depth bits.
func build(depth int, nodes []*leafNode, parallel bool) node {
	switch len(nodes) {
	case 0:
		return nil
	case 1:
		return nodes[0]
	}
	s := splitLeaves(nodes, depth)
	var l, r node
	if parallel && depth < parallelDepth && len(nodes) >= parallelMin && s > 0 && s < len(nodes) {
		var wg sync.WaitGroup
		wg.Go(func() { l = build(depth+1, nodes[:s], parallel) })
		r = build(depth+1, nodes[s:], parallel)
		wg.Wait()
	} else {
		l = build(depth+1, nodes[:s], parallel)
		r = build(depth+1, nodes[s:], parallel)
	}
	return join(l, r)
}

// join returns the canonical subtree with children l and r: empty when both
// are empty, a lone leaf moved up, a one-sided node, or an interior node with
// its hash.
func join(l, r node) node {
	switch {
	case l == nil && r == nil:
		return nil
	case r == nil:
		if _, ok := l.(*leafNode); ok {
			return l
		}
		return &leftOnly{l}
	case l == nil:
		if _, ok := r.(*leafNode); ok {
			return r
		}
		return &rightOnly{r}
	}
	return &innerNode{hash: nodeHash(hashOf(l), hashOf(r)), left: l, right: r}
}

// splitChanges returns the index of the first change with bit depth set.
func splitChanges(cs []Change, depth int) int {
	lo, hi := 0, len(cs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if bit(&cs[m].KeyHash, depth) == 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// splitLeaves returns the index of the first leaf with bit depth set.
func splitLeaves(nodes []*leafNode, depth int) int {
	lo, hi := 0, len(nodes)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if bit(&nodes[m].key, depth) == 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// bit returns bit i of k, bit 0 being the most significant bit of k[0].
func bit(k *[32]byte, i int) byte {
	return k[i>>3] >> (7 - i&7) & 1
}

// compareKeys orders key hashes as big-endian numbers.
func compareKeys(a, b *[32]byte) int {
	for i := 0; i < 32; i += 8 {
		x, y := binary.BigEndian.Uint64(a[i:]), binary.BigEndian.Uint64(b[i:])
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
	}
	return 0
}

// hashOf returns the hash of a subtree.
func hashOf(n node) [32]byte {
	switch x := n.(type) {
	case *innerNode:
		return x.hash
	case *leafNode:
		return leafHash(&x.key, &x.value)
	case *leftOnly:
		return nodeHash(hashOf(x.child), [32]byte{})
	case *rightOnly:
		return nodeHash([32]byte{}, hashOf(x.child))
	}
	return [32]byte{}
}

// leafHash is SHA-256(0x00 || k || v).
func leafHash(k, v *[32]byte) [32]byte {
	var buf [65]byte
	copy(buf[1:], k[:])
	copy(buf[33:], v[:])
	return sha256.Sum256(buf[:])
}

// nodeHash is SHA-256(0x01 || l || r).
func nodeHash(l, r [32]byte) [32]byte {
	var buf [65]byte
	buf[0] = 0x01
	copy(buf[1:], l[:])
	copy(buf[33:], r[:])
	return sha256.Sum256(buf[:])
}
