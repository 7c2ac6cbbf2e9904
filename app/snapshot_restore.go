// SPDX-License-Identifier: Apache-2.0

package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/dgraph-io/badger/v4"

	"github.com/traceledger/traceledger/proof"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// restoreSlot is the restore in progress, if any. CometBFT offers one
// snapshot at a time on the snapshot connection; a second offer replaces
// (and wipes) the first.
type restoreSlot struct {
	mu   sync.Mutex
	r    *restoring
	done *restoring // the restore that completed, for chunks re-sent after it
}

// restoring is the state of one restore.
type restoring struct {
	meta    *snapshotMeta
	height  uint64
	appHash []byte // the app hash CometBFT's light client verified
	hashes  [][]byte
	applied []bool
	left    int
	marker  []byte // the commit marker entry, written last
}

// decodeMarker decodes a stored commit marker.
func decodeMarker(v []byte) (*tlv1.CommitInfo, error) {
	var ci tlv1.CommitInfo
	if err := ci.Unmarshal(v); err != nil {
		return nil, fmt.Errorf("decode commit marker: %w", err)
	}
	return &ci, nil
}

// ListSnapshots lists the snapshots this node serves, newest first.
func (a *App) ListSnapshots(context.Context, *abci.RequestListSnapshots) (*abci.ResponseListSnapshots, error) {
	resp := &abci.ResponseListSnapshots{}
	if a.snaps == nil {
		return resp, nil
	}
	metas, err := a.snaps.list()
	if err != nil {
		return nil, err
	}
	for _, m := range metas {
		h, err := m.hash()
		if err != nil {
			continue
		}
		mj, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		resp.Snapshots = append(resp.Snapshots, &abci.Snapshot{Height: m.Height, Format: m.Format, Chunks: uint32(len(m.ChunkHashes)), Hash: h, Metadata: mj})
	}
	return resp, nil
}

// LoadSnapshotChunk returns one chunk of a served snapshot (empty when it
// is not here, which CometBFT takes as "ask another peer").
func (a *App) LoadSnapshotChunk(_ context.Context, req *abci.RequestLoadSnapshotChunk) (*abci.ResponseLoadSnapshotChunk, error) {
	if a.snaps == nil {
		return &abci.ResponseLoadSnapshotChunk{}, nil
	}
	b, err := a.snaps.chunk(req.Height, req.Format, req.Chunk)
	if err != nil {
		a.logger.Error("load snapshot chunk", "height", req.Height, "chunk", req.Chunk, "err", err)
		return &abci.ResponseLoadSnapshotChunk{}, nil
	}
	return &abci.ResponseLoadSnapshotChunk{Chunk: b}, nil
}

// OfferSnapshot starts restoring a snapshot into this node's empty
// database. req.AppHash is the app hash of the height after the
// snapshot's header, which CometBFT's light client verified; the restored
// state must hash to it. A second offer resets the restore in progress.
func (a *App) OfferSnapshot(_ context.Context, req *abci.RequestOfferSnapshot) (*abci.ResponseOfferSnapshot, error) {
	res := func(r abci.ResponseOfferSnapshot_Result) (*abci.ResponseOfferSnapshot, error) {
		return &abci.ResponseOfferSnapshot{Result: r}, nil
	}
	sn := req.Snapshot
	if sn == nil {
		return res(abci.ResponseOfferSnapshot_REJECT)
	}
	if sn.Format != SnapshotFormat {
		return res(abci.ResponseOfferSnapshot_REJECT_FORMAT)
	}
	if a.latest() != nil {
		a.logger.Error("snapshot offered to a node that already has state", "height", sn.Height)
		return res(abci.ResponseOfferSnapshot_ABORT)
	}
	meta, hashes, err := checkOffer(sn, req.AppHash)
	if err != nil {
		a.logger.Info("snapshot refused", "height", sn.Height, "err", err)
		return res(abci.ResponseOfferSnapshot_REJECT)
	}
	slot := a.snapSlot()
	slot.mu.Lock()
	defer slot.mu.Unlock()
	if err := a.wipe(); err != nil {
		return nil, err
	}
	slot.r = &restoring{meta: meta, height: sn.Height, appHash: append([]byte(nil), req.AppHash...), hashes: hashes, applied: make([]bool, len(hashes)), left: len(hashes)}
	a.logger.Info("restoring snapshot", "height", sn.Height, "chunks", len(hashes))
	return res(abci.ResponseOfferSnapshot_ACCEPT)
}

// checkOffer decodes and checks a snapshot's metadata against its header
// fields and the verified app hash.
func checkOffer(sn *abci.Snapshot, appHash []byte) (*snapshotMeta, [][]byte, error) {
	var meta snapshotMeta
	if err := json.Unmarshal(sn.Metadata, &meta); err != nil {
		return nil, nil, fmt.Errorf("metadata: %w", err)
	}
	if meta.Format != sn.Format || meta.Height != sn.Height || int(sn.Chunks) != len(meta.ChunkHashes) || sn.Chunks == 0 {
		return nil, nil, fmt.Errorf("metadata (format %d, height %d, %d chunks) does not match the snapshot (format %d, height %d, %d chunks)",
			meta.Format, meta.Height, len(meta.ChunkHashes), sn.Format, sn.Height, sn.Chunks)
	}
	h, err := meta.hash()
	if err != nil {
		return nil, nil, err
	}
	if !bytes.Equal(h, sn.Hash) {
		return nil, nil, fmt.Errorf("snapshot hash %X is not the hash of its chunk hashes %X", sn.Hash, h)
	}
	if meta.AppHash != hex.EncodeToString(appHash) {
		return nil, nil, fmt.Errorf("snapshot claims app hash %s, the verified header says %X", meta.AppHash, appHash)
	}
	hashes := make([][]byte, len(meta.ChunkHashes))
	for i, c := range meta.ChunkHashes {
		hashes[i], _ = hex.DecodeString(c) // checked by hash()
	}
	return &meta, hashes, nil
}

// snapSlot is the restore slot (a zero one when snapshots are not set up).
func (a *App) snapSlot() *restoreSlot { return &a.snaps.restore }

// wipe empties the database for a fresh restore.
func (a *App) wipe() error {
	if err := a.st.db.DropAll(); err != nil {
		return fmt.Errorf("empty the app database for a restore: %w", err)
	}
	a.st.nodes = newNodeCache()
	return nil
}

// ApplySnapshotChunk checks a chunk against its hash in the metadata and
// writes its entries. A chunk with the wrong hash is fetched again from
// another peer; a chunk applied twice (refetched after a timeout) is
// accepted without writing again. After the last chunk the restored state
// is verified (verifyRestored) and becomes the committed state.
func (a *App) ApplySnapshotChunk(_ context.Context, req *abci.RequestApplySnapshotChunk) (*abci.ResponseApplySnapshotChunk, error) {
	res := func(r abci.ResponseApplySnapshotChunk_Result) (*abci.ResponseApplySnapshotChunk, error) {
		return &abci.ResponseApplySnapshotChunk{Result: r}, nil
	}
	slot := a.snapSlot()
	slot.mu.Lock()
	defer slot.mu.Unlock()
	r := slot.r
	if r == nil {
		// A chunk refetched after a timeout can arrive after the last one
		// completed the restore: it changes nothing.
		if d := slot.done; d != nil && int(req.Index) < len(d.hashes) {
			if sum := sha256.Sum256(req.Chunk); bytes.Equal(sum[:], d.hashes[req.Index]) {
				return res(abci.ResponseApplySnapshotChunk_ACCEPT)
			}
		}
		return res(abci.ResponseApplySnapshotChunk_ABORT)
	}
	if int(req.Index) >= len(r.hashes) {
		return res(abci.ResponseApplySnapshotChunk_REJECT_SNAPSHOT)
	}
	sum := sha256.Sum256(req.Chunk)
	if !bytes.Equal(sum[:], r.hashes[req.Index]) {
		a.logger.Info("snapshot chunk refused: wrong hash; fetching it again from another peer", "height", r.height, "chunk", req.Index, "sender", req.Sender)
		resp := &abci.ResponseApplySnapshotChunk{Result: abci.ResponseApplySnapshotChunk_RETRY, RefetchChunks: []uint32{req.Index}}
		if req.Sender != "" {
			resp.RejectSenders = []string{req.Sender}
		}
		return resp, nil
	}
	if r.applied[req.Index] {
		return res(abci.ResponseApplySnapshotChunk_ACCEPT)
	}
	if err := a.writeChunk(r, req.Chunk); err != nil {
		a.logger.Error("snapshot chunk unusable", "height", r.height, "chunk", req.Index, "err", err)
		a.abortRestore(slot)
		return res(abci.ResponseApplySnapshotChunk_REJECT_SNAPSHOT)
	}
	r.applied[req.Index] = true
	r.left--
	if r.left > 0 {
		return res(abci.ResponseApplySnapshotChunk_ACCEPT)
	}
	c, err := a.finishRestore(r)
	if err != nil {
		a.logger.Error("restored snapshot refused", "height", r.height, "err", err)
		a.abortRestore(slot)
		return res(abci.ResponseApplySnapshotChunk_REJECT_SNAPSHOT)
	}
	a.mu.Lock()
	a.cur, a.prev = c, nil
	a.mu.Unlock()
	if c.appVersion != 0 { // a state past a governed upgrade keeps its version
		a.appVersion.Store(c.appVersion)
	}
	slot.r, slot.done = nil, r
	a.snaps.restoredFrom.Store(int64(r.height))
	a.logger.Info("snapshot restored", "height", r.height, "app_hash", fmt.Sprintf("%X", c.info.AppHash), "log_size", c.info.LogSize)
	return res(abci.ResponseApplySnapshotChunk_ACCEPT)
}

// abortRestore drops a refused restore and what it wrote.
func (a *App) abortRestore(slot *restoreSlot) {
	slot.r = nil
	if err := a.wipe(); err != nil {
		a.logger.Error("wipe after a refused snapshot", "err", err)
	}
}

// writeChunk decodes a chunk's entries and writes them at the snapshot's
// version; the commit marker is held back until the state is verified.
func (a *App) writeChunk(r *restoring, chunk []byte) error {
	wb := a.st.db.NewWriteBatchAt(r.height)
	defer wb.Cancel()
	err := decodeEntries(chunk, func(k, v []byte) error {
		if !knownPrefix(k[0]) {
			return fmt.Errorf("key %x has a prefix this version does not know", k)
		}
		if bytes.Equal(k, keyCommit) {
			r.marker = append([]byte(nil), v...)
			return nil
		}
		return wb.Set(append([]byte(nil), k...), append([]byte(nil), v...))
	})
	if err != nil {
		return err
	}
	return wb.Flush()
}

// decodeEntries calls fn for each entry of a chunk (appendEntry's form);
// keys are never empty. k and v alias chunk.
func decodeEntries(chunk []byte, fn func(k, v []byte) error) error {
	for p := chunk; len(p) > 0; {
		k, rest, err := readField(p)
		if err != nil {
			return fmt.Errorf("key: %w", err)
		}
		v, rest, err := readField(rest)
		if err != nil {
			return fmt.Errorf("value of %x: %w", k, err)
		}
		p = rest
		if len(k) == 0 {
			return errors.New("empty key")
		}
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// readField reads one uvarint-length-prefixed field.
func readField(p []byte) ([]byte, []byte, error) {
	n, w := binary.Uvarint(p)
	if w <= 0 || n > uint64(len(p)-w) {
		return nil, nil, errors.New("truncated entry")
	}
	return p[w : w+int(n)], p[w+int(n):], nil
}

// knownPrefix reports whether b is a key prefix of this state format
// (store.go, proofquery.go). A prefix added to the state must be added
// here and to verifyRestored.
func knownPrefix(b byte) bool {
	switch b {
	case prefixCommit, prefixMap, prefixRecord, prefixNode, prefixLeaf, prefixHistory, prefixRecordsNode:
		return true
	}
	return false
}

// finishRestore verifies the restored state and writes the commit marker.
func (a *App) finishRestore(r *restoring) (*committed, error) {
	if r.marker == nil {
		return nil, errors.New("no commit marker in the snapshot")
	}
	ci, err := decodeMarker(r.marker)
	if err != nil {
		return nil, err
	}
	if uint64(ci.Height) != r.height {
		return nil, fmt.Errorf("commit marker names height %d, the snapshot is of %d", ci.Height, r.height)
	}
	if !bytes.Equal(ci.AppHash, r.appHash) {
		return nil, fmt.Errorf("commit marker's app hash %X is not the verified %X", ci.AppHash, r.appHash)
	}
	if err := a.verifyRestored(ci); err != nil {
		return nil, err
	}
	c, err := a.loadCommitted(ci) // rebuilds the map and checks its root
	if err != nil {
		return nil, err
	}
	var logRoot, recRoot, mapRoot [32]byte
	copy(logRoot[:], ci.LogRoot)
	copy(recRoot[:], ci.RecordsRoot)
	copy(mapRoot[:], ci.MapRoot)
	if uint64(c.tree.Len()) != ci.MapSize {
		return nil, fmt.Errorf("map has %d entries, the commit marker says %d", c.tree.Len(), ci.MapSize)
	}
	if h := proof.AppHash(ci.LogSize, logRoot, mapRoot, recRoot); !bytes.Equal(h[:], r.appHash) {
		return nil, fmt.Errorf("restored state hashes to %X, the verified app hash is %X", h, r.appHash)
	}
	txn := a.st.db.NewTransactionAt(r.height, true)
	defer txn.Discard()
	if err := txn.Set(keyCommit, r.marker); err != nil {
		return nil, err
	}
	if err := txn.Set(keyRestored, u64(r.height)); err != nil {
		return nil, err
	}
	if err := txn.CommitAt(r.height, nil); err != nil {
		return nil, fmt.Errorf("write commit marker: %w", err)
	}
	if err := a.st.db.Sync(); err != nil {
		return nil, fmt.Errorf("sync app database: %w", err)
	}
	return c, nil
}

// verifyRestored recomputes, from the restored records alone, the log and
// the records tree (roots, compact ranges, every stored subtree node), the
// leaf index, and every history (index rows, chain hash, count and last
// index against the subject's head in the map), and compares them with
// what the snapshot wrote and ci commits to. The map is checked by
// loadCommitted. Nothing a later proof reads is taken on trust. Every
// prefix is read once in key order (random reads made a restore about as
// slow as a replay): the records first, keeping their leaf hashes and the
// computed nodes in memory, then each derived prefix against them.
func (a *App) verifyRestored(ci *tlv1.CommitInfo) error {
	v := a.st.viewAt(ci.Height)
	defer v.discard()
	lg, recs := emptyTree("log"), emptyTree("records tree")
	leaves := make([][32]byte, 0, ci.LogSize)
	lastOf := make(map[[32]byte]uint64, ci.LogSize) // leaf hash -> its last record
	computed := [2]map[nodeID][]byte{{}, {}}        // log, records tree
	keep := func(i int, t *treeAppender) {
		for _, nd := range t.nodes {
			computed[i][nodeID{nd.level, nd.index}] = nd.hash
		}
		t.nodes = t.nodes[:0]
	}
	err := v.iterate(prefixRecord, func(k, rec []byte) error {
		n := uint64(len(leaves))
		if len(k) != 9 || binary.BigEndian.Uint64(k[1:]) != n {
			return fmt.Errorf("record key %x out of order (expected index %d)", k, n)
		}
		var leaf [32]byte
		copy(leaf[:], leafHashOf(rec))
		if err := lg.append(leaf[:]); err != nil {
			return err
		}
		rl := proof.RecordsLeafHash(n, rec)
		if err := recs.append(rl[:]); err != nil {
			return err
		}
		leaves = append(leaves, leaf)
		lastOf[leaf] = n
		keep(0, lg)
		keep(1, recs)
		return nil
	})
	if err != nil {
		return err
	}
	if uint64(len(leaves)) != ci.LogSize {
		return fmt.Errorf("snapshot holds %d records, the log has %d", len(leaves), ci.LogSize)
	}
	for _, t := range []struct {
		a    *treeAppender
		root []byte
		rng  [][]byte
	}{{lg, ci.LogRoot, ci.LogRange}, {recs, ci.RecordsRoot, ci.RecordsRange}} {
		root, err := t.a.root()
		if err != nil {
			return err
		}
		if !bytes.Equal(root[:], t.root) {
			return fmt.Errorf("%s root from the records is %X, the commit marker says %X", t.a.name, root, t.root)
		}
		got := t.a.hashes()
		if len(got) != len(t.rng) {
			return fmt.Errorf("%s range has %d hashes, the commit marker %d", t.a.name, len(got), len(t.rng))
		}
		for i := range got {
			if !bytes.Equal(got[i], t.rng[i]) {
				return fmt.Errorf("%s range hash %d differs from the commit marker", t.a.name, i)
			}
		}
	}
	// Stored nodes: each one computed, equal, and none missing. Levels
	// below storedLevel (databases written before issue 8) are never read.
	for i, p := range []byte{prefixNode, prefixRecordsNode} {
		seen := 0
		err := v.iterate(p, func(k, val []byte) error {
			if len(k) != 10 {
				return fmt.Errorf("tree node key %x malformed", k)
			}
			if k[1] < storedLevel {
				return nil
			}
			want, ok := computed[i][nodeID{uint(k[1]), binary.BigEndian.Uint64(k[2:])}]
			if !ok || !bytes.Equal(want, val) {
				return fmt.Errorf("tree node %x in the snapshot is not the one the records give", k)
			}
			seen++
			return nil
		})
		if err != nil {
			return err
		}
		if seen != len(computed[i]) {
			return fmt.Errorf("snapshot holds %d nodes under prefix %q, the records give %d", seen, p, len(computed[i]))
		}
	}
	// The leaf index: one row per distinct leaf, naming its last record.
	seen := 0
	err = v.iterate(prefixLeaf, func(k, val []byte) error {
		var leaf [32]byte
		if len(k) != 33 || len(val) != 8 {
			return fmt.Errorf("leaf index row %x malformed", k)
		}
		copy(leaf[:], k[1:])
		if idx, ok := lastOf[leaf]; !ok || idx != binary.BigEndian.Uint64(val) {
			return fmt.Errorf("leaf index row %x names record %x, the records give %d", k, val, idx)
		}
		seen++
		return nil
	})
	if err != nil {
		return err
	}
	if seen != len(lastOf) {
		return fmt.Errorf("snapshot holds %d leaf index rows, the records give %d", seen, len(lastOf))
	}
	return a.verifyHistories(v, leaves)
}

// verifyHistories checks every history index row: rows of a subject are
// numbered from 0, point at records in increasing order, and their chain
// hash, count and last index are the subject's head in the map; and every
// head has its rows.
func (a *App) verifyHistories(v *view, leaves [][32]byte) error {
	var subject string
	var have bool
	var n, last uint64
	var chain []byte
	var subjects uint64
	end := func() error {
		if !have {
			return nil
		}
		subjects++
		b, err := v.mapValue(tlv1.HeadKey(subject))
		if err != nil {
			return err
		}
		var h tlv1.Head
		if b == nil {
			return fmt.Errorf("history of %q has no head in the map", subject)
		}
		if err := h.Unmarshal(b); err != nil {
			return fmt.Errorf("decode head of %q: %w", subject, err)
		}
		if h.Count != n || h.LastIndex != last || !bytes.Equal(h.ChainHash, chain) {
			return fmt.Errorf("history of %q (%d rows, last %d) does not match its head (%d records, last %d, chain hash)", subject, n, last, h.Count, h.LastIndex)
		}
		return nil
	}
	err := v.iterate(prefixHistory, func(k, val []byte) error {
		if len(k) < 1+2+8 || len(val) != 8 {
			return fmt.Errorf("history row %x malformed", k)
		}
		l := int(binary.BigEndian.Uint16(k[1:3]))
		if len(k) != 1+2+l+8 {
			return fmt.Errorf("history row %x malformed", k)
		}
		s, row, idx := string(k[3:3+l]), binary.BigEndian.Uint64(k[3+l:]), binary.BigEndian.Uint64(val)
		if !have || s != subject {
			if err := end(); err != nil {
				return err
			}
			subject, have, n, chain = s, true, 0, nil
		} else if idx <= last {
			return fmt.Errorf("history of %q: row %d points at record %d, not after %d", s, row, idx, last)
		}
		if row != n {
			return fmt.Errorf("history of %q: row %d where %d was expected", s, row, n)
		}
		if idx >= uint64(len(leaves)) {
			return fmt.Errorf("history of %q: record %d missing", s, idx)
		}
		chain = chainHash(chain, leaves[idx][:])
		n, last = n+1, idx
		return nil
	})
	if err != nil {
		return err
	}
	if err := end(); err != nil {
		return err
	}
	heads := uint64(0)
	err = v.forEachMapKeyWithPrefix(tlv1.HeadKey(""), func() { heads++ })
	if err != nil {
		return err
	}
	if heads != subjects {
		return fmt.Errorf("the map holds %d history heads, the snapshot's index %d histories", heads, subjects)
	}
	return nil
}

// iterate calls fn for every live key under prefix p, in key order.
func (v *view) iterate(p byte, fn func(k, val []byte) error) error {
	it := v.txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, PrefetchSize: 256, Prefix: []byte{p}})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		if item.IsDeletedOrExpired() {
			continue
		}
		k := item.KeyCopy(nil)
		if err := item.Value(func(val []byte) error { return fn(k, val) }); err != nil {
			return err
		}
	}
	return nil
}

// forEachMapKeyWithPrefix calls fn once per live map key starting with p.
func (v *view) forEachMapKeyWithPrefix(p string, fn func()) error {
	it := v.txn.NewIterator(badger.IteratorOptions{Prefix: mapKey(p)})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		if !it.Item().IsDeletedOrExpired() {
			fn()
		}
	}
	return nil
}
