// SPDX-License-Identifier: Apache-2.0

package smt

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/traceledger/traceledger/proof"
)

// benchLeaves returns n random leaves.
func benchLeaves(n int, seed uint64) []Leaf {
	r := rand.New(rand.NewPCG(seed, seed))
	leaves := make([]Leaf, n)
	for i := range leaves {
		leaves[i] = Leaf{randHash(r), randHash(r)}
	}
	return leaves
}

// benchTree builds a tree of n random keys and returns it with its keys.
func benchTree(b *testing.B, n int) (*Tree, [][32]byte) {
	b.Helper()
	leaves := benchLeaves(n, 42)
	keys := make([][32]byte, n)
	for i := range leaves {
		keys[i] = leaves[i].KeyHash
	}
	tr, err := Build(leaves)
	if err != nil {
		b.Fatal(err)
	}
	return tr, keys
}

const blockSize = 10_000

// benchBlock returns a block of blockSize changes: 70% new values for
// distinct existing keys, 30% new keys (appended to keys).
func benchBlock(r *rand.Rand, keys *[][32]byte) []Change {
	cs := make([]Change, 0, blockSize)
	seen := make(map[int]bool, blockSize)
	existing := len(*keys)
	for len(cs) < blockSize*7/10 {
		i := r.IntN(existing)
		if !seen[i] {
			seen[i] = true
			cs = append(cs, Change{KeyHash: (*keys)[i], ValueHash: randHash(r)})
		}
	}
	for len(cs) < blockSize {
		k := randHash(r)
		*keys = append(*keys, k)
		cs = append(cs, Change{KeyHash: k, ValueHash: randHash(r)})
	}
	return cs
}

// BenchmarkUpdate applies blocks of 10,000 changes (70% existing keys, 30%
// new) to maps of 100k and 1M keys, keeping the previous version alive as the
// node does, with the top subtrees hashed in parallel or sequentially. Besides
// wall-clock figures it reports the CPU time of the whole process (GC
// included) per block, which other load on the machine does not inflate.
func BenchmarkUpdate(b *testing.B) {
	for _, size := range []int{100_000, 1_000_000} {
		base, baseKeys := benchTree(b, size)
		for _, parallel := range []bool{true, false} {
			mode := map[bool]string{true: "parallel", false: "sequential"}[parallel]
			b.Run(fmt.Sprintf("keys=%dk/%s", size/1000, mode), func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, uint64(size)))
				keys := slices.Clip(baseKeys)
				tr, prev := base, base
				var cpu time.Duration
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					cs := benchBlock(r, &keys)
					b.StartTimer()
					c0 := processCPU()
					next, err := tr.update(cs, parallel)
					if err != nil {
						b.Fatal(err)
					}
					cpu += processCPU() - c0
					prev, tr = tr, next
				}
				b.ReportMetric(float64(b.N*blockSize)/b.Elapsed().Seconds(), "updates/s")
				b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/block")
				b.ReportMetric(float64(cpu.Microseconds())/1e3/float64(b.N), "cpu-ms/block")
				runtime.KeepAlive(prev)
			})
		}
	}
}

// BenchmarkProve proves random present keys of a 1M-key map, and verifies
// such proofs with package proof.
func BenchmarkProve(b *testing.B) {
	tr, keys := benchTree(b, 1_000_000)
	root := tr.Root()
	r := rand.New(rand.NewPCG(2, 2))
	b.Run("prove", func(b *testing.B) {
		size := 0
		for i := 0; i < b.N; i++ {
			p := tr.Prove(keys[r.IntN(len(keys))])
			size += p.Size()
		}
		b.ReportMetric(float64(size)/float64(b.N), "proof-bytes")
	})
	b.Run("verify", func(b *testing.B) {
		k := keys[r.IntN(len(keys))]
		v, _ := tr.Get(k)
		p := tr.Prove(k)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := proof.VerifyMapMembershipHash(root, k, v, p); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkBuild rebuilds a 1M-key map from an unsorted list, as at startup.
func BenchmarkBuild(b *testing.B) {
	const n = 1_000_000
	leaves := benchLeaves(n, 7)
	work := make([]Leaf, n)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		copy(work, leaves)
		b.StartTimer()
		if _, err := Build(work); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "keys/s")
}

// BenchmarkMemory reports the live heap per key of a 1M-key map, and the
// extra heap that one 10,000-change block keeps while both versions live.
func BenchmarkMemory(b *testing.B) {
	const n = 1_000_000
	var perKey, perBlock float64
	for i := 0; i < b.N; i++ {
		var before, built, updated runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		tr, keys := benchTree(b, n)
		keys = slices.Clip(keys)
		r := rand.New(rand.NewPCG(3, 3))
		cs := benchBlock(r, &keys)
		keys = nil
		runtime.GC()
		runtime.ReadMemStats(&built)
		next, err := tr.Update(cs)
		if err != nil {
			b.Fatal(err)
		}
		cs = nil
		runtime.GC()
		runtime.ReadMemStats(&updated)
		perKey = float64(built.HeapAlloc-before.HeapAlloc-uint64(cap(cs))*0) / n
		perBlock = float64(updated.HeapAlloc - built.HeapAlloc)
		runtime.KeepAlive(tr)
		runtime.KeepAlive(next)
	}
	b.ReportMetric(perKey, "bytes/key")
	b.ReportMetric(perBlock/(1<<20), "MiB/extra-version")
}
