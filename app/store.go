// SPDX-License-Identifier: Apache-2.0

package app

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/dgraph-io/badger/v4"
	"github.com/transparency-dev/merkle/rfc6962"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// The application's badger database runs in managed mode: everything block H
// writes is written at version H, and the commit marker (CommitInfo) is
// written last at the same version. A reader at version H sees exactly the
// state committed at H, so a crash in the middle of Commit leaves nothing
// visible: on restart the marker still names H-1, CometBFT replays block H,
// and the replay rewrites the same keys with the same values.
//
// Key layout (one prefix byte each):
//
//	'c'                                  -> CommitInfo (the commit marker)
//	'm' key                              -> authenticated-map value
//	'r' u64be(index)                     -> log record bytes
//	'n' u8(level) u64be(index)           -> hash of a perfect log subtree of level >= storedLevel
//	                                        (lower ones are recomputed from the records; databases
//	                                        written before issue 8 also hold levels 0 and 1)
//	'h' leafHash                         -> u64be(index)
//	'x' u16be(len) subject u64be(n)      -> u64be(log index of the subject's n-th record, n from 0)
//	'k' u8(level) u64be(index)           -> records-tree node (app/proofquery.go)
//	'l' ...                              -> node-local facts, in no snapshot (app/snapshot.go)
const (
	prefixCommit  = 'c'
	prefixMap     = 'm'
	prefixRecord  = 'r'
	prefixNode    = 'n'
	prefixLeaf    = 'h'
	prefixHistory = 'x'
)

var keyCommit = []byte{prefixCommit}

func mapKey(key string) []byte {
	b := make([]byte, 1+len(key))
	b[0] = prefixMap
	copy(b[1:], key)
	return b
}

func recordKey(index uint64) []byte {
	b := make([]byte, 9)
	b[0] = prefixRecord
	binary.BigEndian.PutUint64(b[1:], index)
	return b
}

func nodeKey(level uint, index uint64) []byte {
	b := make([]byte, 10)
	b[0] = prefixNode
	b[1] = byte(level)
	binary.BigEndian.PutUint64(b[2:], index)
	return b
}

func leafKey(leafHash []byte) []byte {
	b := make([]byte, 1+len(leafHash))
	b[0] = prefixLeaf
	copy(b[1:], leafHash)
	return b
}

func historyKey(subject string, n uint64) []byte {
	b := make([]byte, 0, 1+2+len(subject)+8)
	b = append(b, prefixHistory)
	b = binary.BigEndian.AppendUint16(b, uint16(len(subject)))
	b = append(b, subject...)
	return binary.BigEndian.AppendUint64(b, n)
}

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// store wraps the badger database.
type store struct {
	db    *badger.DB
	nodes *nodeCache // upper log nodes, shared by every view

	pinMu sync.Mutex
	pins  map[uint64]int // versions a snapshot or a backup is reading (snapshot.go)
}

// openStore opens (or creates) the badger database in dir.
func openStore(dir string, inMemory bool) (*store, error) {
	opts := badger.DefaultOptions(dir).
		WithLogger(nil).
		WithNumVersionsToKeep(1).
		WithDetectConflicts(false)
	if inMemory {
		opts = opts.WithDir("").WithValueDir("").WithInMemory(true)
	}
	db, err := badger.OpenManaged(opts)
	if err != nil {
		return nil, fmt.Errorf("open app database %s: %w", dir, err)
	}
	return &store{db: db, nodes: newNodeCache()}, nil
}

func (s *store) close() error { return s.db.Close() }

// lastCommit returns the newest commit marker, or nil on a fresh database.
func (s *store) lastCommit() (*tlv1.CommitInfo, error) {
	txn := s.db.NewTransactionAt(math.MaxUint64, false)
	defer txn.Discard()
	item, err := txn.Get(keyCommit)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read commit marker: %w", err)
	}
	var ci tlv1.CommitInfo
	if err := item.Value(func(v []byte) error { return ci.Unmarshal(v) }); err != nil {
		return nil, fmt.Errorf("decode commit marker: %w", err)
	}
	if int64(item.Version()) != ci.Height {
		return nil, fmt.Errorf("commit marker at version %d names height %d", item.Version(), ci.Height)
	}
	return &ci, nil
}

// view is a read-only snapshot of the state committed at one height.
type view struct {
	txn   *badger.Txn
	nodes *nodeCache
}

// viewAt opens a snapshot at height. Callers must call discard.
func (s *store) viewAt(height int64) *view {
	return &view{txn: s.db.NewTransactionAt(uint64(height), false), nodes: s.nodes}
}

func (v *view) discard() { v.txn.Discard() }

// get returns a copy of the value at key, or nil when it is absent.
func (v *view) get(key []byte) ([]byte, error) {
	item, err := v.txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if item.IsDeletedOrExpired() {
		return nil, nil
	}
	return item.ValueCopy(nil)
}

func (v *view) mapValue(key string) ([]byte, error) {
	b, err := v.get(mapKey(key))
	if err != nil {
		return nil, fmt.Errorf("read map key %q: %w", key, err)
	}
	return b, nil
}

func (v *view) record(index uint64) ([]byte, error) {
	b, err := v.get(recordKey(index))
	if err != nil {
		return nil, fmt.Errorf("read record %d: %w", index, err)
	}
	return b, nil
}

// storedLevel is the lowest level of perfect subtrees the log and the
// records tree keep in storage. Leaves and level-1 nodes are recomputed
// from the records when a proof needs them (at most two adjacent records).
// Storing them cost two badger writes per record (the log's leaf, half a
// level-1 node in each tree) for hashes a proof needs only a few of;
// without them BenchmarkStateBytesPerEvent went from 324.9 to 235.0 bytes
// per event (issue 8).
const storedLevel = 2

// node returns the hash of the perfect log subtree (level, index): from
// the records below storedLevel, else stored (and, for the upper levels,
// cached: a perfect subtree's hash never changes).
func (v *view) node(level uint, index uint64) ([]byte, error) {
	if level < storedLevel {
		return v.subtreeFromRecords(level, index, func(_ uint64, rec []byte) []byte { return leafHashOf(rec) })
	}
	if h := v.nodes.get(level, index); h != nil {
		return h, nil
	}
	b, err := v.get(nodeKey(level, index))
	if err != nil {
		return nil, fmt.Errorf("read log node (%d,%d): %w", level, index, err)
	}
	if b == nil {
		return nil, fmt.Errorf("log node (%d,%d) missing", level, index)
	}
	v.nodes.put(level, index, b)
	return b, nil
}

// subtreeFromRecords hashes the perfect subtree (level, index) of an
// RFC 6962 tree whose leaf i is leaf(i, record i).
func (v *view) subtreeFromRecords(level uint, index uint64, leaf func(i uint64, rec []byte) []byte) ([]byte, error) {
	first, n := index<<level, uint64(1)<<level
	hashes := make([][]byte, 0, n)
	for i := first; i < first+n; i++ {
		rec, err := v.record(i)
		if err != nil {
			return nil, err
		}
		if rec == nil {
			return nil, fmt.Errorf("subtree (%d,%d): record %d missing from storage", level, index, i)
		}
		hashes = append(hashes, leaf(i, rec))
	}
	for len(hashes) > 1 {
		for j := 0; j < len(hashes)/2; j++ {
			hashes[j] = rfc6962.DefaultHasher.HashChildren(hashes[2*j], hashes[2*j+1])
		}
		hashes = hashes[:len(hashes)/2]
	}
	return hashes[0], nil
}

func (v *view) indexOfLeaf(leafHash []byte) (uint64, bool, error) {
	b, err := v.get(leafKey(leafHash))
	if err != nil || b == nil {
		return 0, false, err
	}
	return binary.BigEndian.Uint64(b), true, nil
}

func (v *view) historyIndex(subject string, n uint64) (uint64, error) {
	b, err := v.get(historyKey(subject, n))
	if err != nil {
		return 0, fmt.Errorf("read history %q #%d: %w", subject, n, err)
	}
	if len(b) != 8 {
		return 0, fmt.Errorf("history %q #%d missing", subject, n)
	}
	return binary.BigEndian.Uint64(b), nil
}

// forEachMapEntry calls fn for every map entry at the snapshot, in key order.
func (v *view) forEachMapEntry(fn func(key string, value []byte) error) error {
	it := v.txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, PrefetchSize: 256, Prefix: []byte{prefixMap}})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		if item.IsDeletedOrExpired() {
			continue
		}
		key := string(item.Key()[1:])
		if err := item.Value(func(val []byte) error { return fn(key, val) }); err != nil {
			return err
		}
	}
	return nil
}

// write is everything one block changes, applied by commit.
type write struct {
	sets    []kv
	deletes [][]byte
}

type kv struct{ k, v []byte }

func (w *write) set(k, v []byte) { w.sets = append(w.sets, kv{k, v}) }
func (w *write) del(k []byte)    { w.deletes = append(w.deletes, k) }

// commit writes w and then the marker ci, all at version ci.Height, and
// syncs. Until the marker is durable nothing of w is visible to a reader at
// a committed height. beforeMarker, if set, runs between the two (tests use
// it to simulate a crash there).
func (s *store) commit(w *write, ci *tlv1.CommitInfo, beforeMarker func() error) error {
	version := uint64(ci.Height)
	wb := s.db.NewWriteBatchAt(version)
	for _, e := range w.sets {
		if err := wb.Set(e.k, e.v); err != nil {
			wb.Cancel()
			return fmt.Errorf("stage write: %w", err)
		}
	}
	for _, k := range w.deletes {
		if err := wb.Delete(k); err != nil {
			wb.Cancel()
			return fmt.Errorf("stage delete: %w", err)
		}
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("write block %d: %w", ci.Height, err)
	}
	if beforeMarker != nil {
		if err := beforeMarker(); err != nil {
			return err
		}
	}
	marker, err := ci.Marshal()
	if err != nil {
		return fmt.Errorf("encode commit marker: %w", err)
	}
	txn := s.db.NewTransactionAt(math.MaxUint64, true)
	defer txn.Discard()
	if err := txn.Set(keyCommit, marker); err != nil {
		return fmt.Errorf("stage commit marker: %w", err)
	}
	if err := txn.CommitAt(version, nil); err != nil {
		return fmt.Errorf("write commit marker %d: %w", ci.Height, err)
	}
	if err := s.db.Sync(); err != nil {
		return fmt.Errorf("sync app database: %w", err)
	}
	// Versions older than the previous height are no longer readable by
	// queries; let compaction drop them.
	if ci.Height > 1 {
		s.db.SetDiscardTs(s.discardTs(version - 1))
	}
	return nil
}
