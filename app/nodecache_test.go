package app

import (
	"bytes"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/traceledger/traceledger/proof"
)

// TestLogProofsWithoutStoredLeaves: the log stores no leaf hashes (level 0)
// and caches its upper levels; inclusion proofs of every record, built from
// storage and then from the cache, are identical and verify with package
// proof against the committed root.
func TestLogProofsWithoutStoredLeaves(t *testing.T) {
	a, _ := filledApp(t, "", 1000) // levels 0..9: the cache holds 6..9
	defer a.Close()
	c := a.latest()
	v := a.st.viewAt(c.info.Height)
	defer v.discard()

	it := v.txn.NewIterator(badger.IteratorOptions{Prefix: []byte{prefixNode}})
	stored := 0
	for it.Rewind(); it.Valid(); it.Next() {
		if k := it.Item().Key(); len(k) > 1 && k[1] == 0 {
			t.Fatalf("a leaf hash is stored under %x", k)
		}
		stored++
	}
	it.Close()
	if stored == 0 {
		t.Fatal("no log nodes stored at all")
	}

	var root [32]byte
	copy(root[:], c.info.LogRoot)
	size := c.info.LogSize
	for pass := 0; pass < 2; pass++ {
		for idx := uint64(0); idx < size; idx++ {
			p, err := inclusionProof(v, idx, size)
			if err != nil {
				t.Fatalf("pass %d, record %d: %v", pass, idx, err)
			}
			again, err := inclusionProof(v, idx, size)
			if err != nil {
				t.Fatal(err)
			}
			for i := range p.Hashes {
				if !bytes.Equal(p.Hashes[i], again.Hashes[i]) {
					t.Fatalf("record %d: proofs differ at %d", idx, i)
				}
			}
			rec, err := v.record(idx)
			if err != nil {
				t.Fatal(err)
			}
			if err := proof.VerifyInclusion(proof.LeafHash(rec), idx, size, p.Hashes, root); err != nil {
				t.Fatalf("pass %d, record %d: %v", pass, idx, err)
			}
		}
	}
	v.nodes.mu.RLock()
	cached := len(v.nodes.m)
	v.nodes.mu.RUnlock()
	// 1000 records: 15 nodes at level 6, 7 at 7, 3 at 8, 1 at 9.
	if cached != 26 {
		t.Errorf("the cache holds %d nodes, want the 26 perfect subtrees of levels 6 to 9", cached)
	}
}
