// SPDX-License-Identifier: Apache-2.0

package app

import (
	"bytes"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/traceledger/traceledger/proof"
)

// TestTreeNodesBelowStoredLevel: the log and the records tree store no
// perfect subtrees below storedLevel (they are recomputed from the
// records) and the log caches its upper levels; inclusion proofs of every
// record in both trees, built twice (the second time from the cache), are
// identical and verify with package proof against the committed roots.
func TestTreeNodesBelowStoredLevel(t *testing.T) {
	a, _ := filledApp(t, "", 1000) // levels 0..9: the cache holds 6..9
	defer a.Close()
	c := a.latest()
	v := a.st.viewAt(c.info.Height)
	defer v.discard()

	for _, prefix := range []byte{prefixNode, prefixRecordsNode} {
		it := v.txn.NewIterator(badger.IteratorOptions{Prefix: []byte{prefix}})
		stored := 0
		for it.Rewind(); it.Valid(); it.Next() {
			if k := it.Item().Key(); len(k) > 1 && k[1] < storedLevel {
				t.Errorf("a node of level %d is stored under %x", k[1], k)
			}
			stored++
		}
		it.Close()
		// 1000 leaves: 250 + 125 + 62 + 31 + 15 + 7 + 3 + 1 perfect subtrees of levels 2 to 9.
		if stored != 494 {
			t.Errorf("prefix %q: %d nodes stored, want the 494 of levels 2 to 9", prefix, stored)
		}
	}

	var logRoot, recordsRoot [32]byte
	copy(logRoot[:], c.info.LogRoot)
	copy(recordsRoot[:], c.info.RecordsRoot)
	size := c.info.LogSize
	for pass := 0; pass < 2; pass++ {
		for idx := uint64(0); idx < size; idx++ {
			rec, err := v.record(idx)
			if err != nil {
				t.Fatal(err)
			}
			p, err := inclusionProof(v, idx, size)
			if err != nil {
				t.Fatalf("pass %d, record %d: %v", pass, idx, err)
			}
			again, err := inclusionProof(v, idx, size)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Hashes) != len(again.Hashes) {
				t.Fatalf("record %d: proofs of %d and %d hashes", idx, len(p.Hashes), len(again.Hashes))
			}
			for i := range p.Hashes {
				if !bytes.Equal(p.Hashes[i], again.Hashes[i]) {
					t.Fatalf("record %d: proofs differ at %d", idx, i)
				}
			}
			if err := proof.VerifyInclusion(proof.LeafHash(rec), idx, size, p.Hashes, logRoot); err != nil {
				t.Fatalf("pass %d, log proof of record %d: %v", pass, idx, err)
			}
			rp, err := recordsInclusion(v, idx, size)
			if err != nil {
				t.Fatalf("records tree, record %d: %v", idx, err)
			}
			if err := proof.VerifyInclusion(proof.RecordsLeafHash(idx, rec), idx, size, rp, recordsRoot); err != nil {
				t.Fatalf("pass %d, records-tree proof of record %d: %v", pass, idx, err)
			}
		}
	}
	v.nodes.mu.RLock()
	cached := len(v.nodes.m)
	v.nodes.mu.RUnlock()
	// 15 nodes at level 6, 7 at 7, 3 at 8, 1 at 9.
	if cached != 26 {
		t.Errorf("the cache holds %d nodes, want the 26 perfect subtrees of levels 6 to 9", cached)
	}
}
