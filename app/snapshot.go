// SPDX-License-Identifier: Apache-2.0

package app

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/dgraph-io/badger/v4"
)

// State sync (docs/SNAPSHOTS.md). Every snapshotInterval heights, Commit
// pins the committed version in badger and a goroutine streams every key
// of the state at that version into chunk files; Commit never waits for it.
// A joining node restores a snapshot chunk by chunk into its empty
// database (snapshot_restore.go) and recomputes every root before it
// accepts the result.

// SnapshotFormat is the version of the snapshot stream this code writes
// and reads. A change of the stream or of the state's key layout changes
// it; a node refuses a format it does not know (REJECT_FORMAT), and
// CometBFT then offers another snapshot.
const SnapshotFormat uint32 = 1

// SnapshotChunkSize is the size a chunk is cut at: an entry is never split,
// so a chunk is at most this plus one entry.
const SnapshotChunkSize = 4 << 20

// DefaultSnapshotKeepRecent is how many snapshots a node keeps when
// Options.SnapshotKeepRecent is 0.
const DefaultSnapshotKeepRecent = 2

// snapshotMeta is the snapshot's metadata (JSON in abci.Snapshot.Metadata
// and in the snapshot directory's metadata.json).
type snapshotMeta struct {
	Format      uint32   `json:"format"`
	Height      uint64   `json:"height"`
	AppHash     string   `json:"app_hash"`    // hex, the app hash committed at Height
	AppVersion  uint64   `json:"app_version"` // Version of the app that wrote it
	Entries     uint64   `json:"entries"`     // key/value pairs in all chunks
	Bytes       uint64   `json:"bytes"`       // total chunk bytes
	ChunkHashes []string `json:"chunk_hashes"`
}

// hash is abci.Snapshot.Hash: SHA-256 over the chunk hashes in order,
// which identifies the snapshot's content among peers.
func (m *snapshotMeta) hash() ([]byte, error) {
	h := sha256.New()
	for i, c := range m.ChunkHashes {
		b, err := hex.DecodeString(c)
		if err != nil || len(b) != sha256.Size {
			return nil, fmt.Errorf("chunk %d hash %q is not 64 hex digits", i, c)
		}
		h.Write(b)
	}
	return h.Sum(nil), nil
}

// snapshotter takes, stores and serves this node's snapshots.
type snapshotter struct {
	dir       string
	interval  uint64
	keep      int
	chunkSize int // SnapshotChunkSize; smaller in tests

	mu      sync.Mutex // guards taking and the directory listing
	running bool
	wg      sync.WaitGroup
	lastErr error

	restore restoreSlot

	restoredFrom atomic.Int64 // the snapshot height this node was restored from, 0 if none
}

// prefixLocal keys facts about this node that are not state: they are in
// no app hash and no snapshot. 'l' "restored" -> u64be(height of the
// snapshot this database was restored from).
const prefixLocal = 'l'

var keyRestored = []byte{prefixLocal, 'r', 'e', 's', 't', 'o', 'r', 'e', 'd'}

// loadRestored reads the height this database was restored from.
func (s *snapshotter) loadRestored(st *store) error {
	v := st.viewAt(math.MaxInt64)
	defer v.discard()
	b, err := v.get(keyRestored)
	if err != nil {
		return fmt.Errorf("read the state-sync marker: %w", err)
	}
	if len(b) == 8 {
		s.restoredFrom.Store(int64(binary.BigEndian.Uint64(b)))
	}
	return nil
}

// InfoData is the JSON document in ABCI Info's data: which application
// answers and, on a node restored by state sync, the snapshot height it
// was restored from (its blocks start after it).
type InfoData struct {
	App             string `json:"app"`
	StateSyncedFrom int64  `json:"state_synced_from,omitempty"`
}

// ParseInfoData decodes ABCI Info's data (an older node's plain
// "traceledger" decodes as the app name alone).
func ParseInfoData(data string) InfoData {
	var d InfoData
	if err := json.Unmarshal([]byte(data), &d); err != nil {
		return InfoData{App: data}
	}
	return d
}

// infoData is this node's InfoData, encoded.
func (a *App) infoData() string {
	d := InfoData{App: "traceledger"}
	if a.snaps != nil {
		d.StateSyncedFrom = a.snaps.restoredFrom.Load()
	}
	b, _ := json.Marshal(d)
	return string(b)
}

// newSnapshotter returns the snapshotter of opts; interval 0 takes no
// snapshots (an existing directory is still served).
func newSnapshotter(opts Options) *snapshotter {
	dir := opts.SnapshotDir
	if dir == "" && opts.Dir != "" {
		dir = filepath.Join(filepath.Dir(opts.Dir), "app.snapshots")
	}
	keep := opts.SnapshotKeepRecent
	if keep <= 0 {
		keep = DefaultSnapshotKeepRecent
	}
	s := &snapshotter{dir: dir, interval: opts.SnapshotInterval, keep: keep, chunkSize: SnapshotChunkSize}
	s.removePartial()
	return s
}

// removePartial deletes the temporary directories of snapshots a stopped
// node did not finish.
func (s *snapshotter) removePartial() {
	if s.dir == "" {
		return
	}
	tmps, _ := filepath.Glob(filepath.Join(s.dir, "tmp-*"))
	for _, d := range tmps {
		os.RemoveAll(d)
	}
}

// wait blocks until a snapshot being written is done (Close, tests).
func (s *snapshotter) wait() { s.wg.Wait() }

// afterCommit starts a snapshot of height h if h is on the interval and
// none is being written. It only pins the version and opens the read
// transaction; the writing runs on its own goroutine.
func (a *App) afterCommit(h int64) {
	s := a.snaps
	if s == nil || s.interval == 0 || s.dir == "" || h <= 0 || uint64(h)%s.interval != 0 {
		return
	}
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		a.logger.Info("snapshot skipped: the previous one is still being written", "height", h)
		return
	}
	s.running = true
	s.wg.Add(1)
	s.mu.Unlock()
	a.st.pin(uint64(h))
	txn := a.st.db.NewTransactionAt(uint64(h), false)
	go func() {
		defer s.wg.Done()
		meta, err := s.write(txn, uint64(h))
		txn.Discard()
		a.st.unpin(uint64(h))
		s.mu.Lock()
		s.running = false
		s.lastErr = err
		s.mu.Unlock()
		if err != nil {
			a.logger.Error("snapshot failed", "height", h, "err", err)
			return
		}
		a.logger.Info("snapshot written", "height", h, "chunks", len(meta.ChunkHashes), "bytes", meta.Bytes, "entries", meta.Entries)
	}()
}

// appendEntry encodes one key/value pair of the stream:
// uvarint(len key) key uvarint(len value) value.
func appendEntry(b, k, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(k)))
	b = append(b, k...)
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

// write streams every live key at txn's version into chunk files under
// a temporary directory, then renames it to <dir>/<height> and prunes
// the oldest beyond keep.
func (s *snapshotter) write(txn *badger.Txn, height uint64) (*snapshotMeta, error) {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, fmt.Errorf("create snapshot directory: %w", err)
	}
	final := filepath.Join(s.dir, strconv.FormatUint(height, 10))
	if _, err := os.Stat(filepath.Join(final, "metadata.json")); err == nil {
		return readMeta(final)
	}
	tmp, err := os.MkdirTemp(s.dir, "tmp-")
	if err != nil {
		return nil, fmt.Errorf("create snapshot directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	meta := &snapshotMeta{Format: SnapshotFormat, Height: height, AppVersion: Version}
	var buf []byte
	flush := func() error {
		sum := sha256.Sum256(buf)
		name := filepath.Join(tmp, chunkName(len(meta.ChunkHashes)))
		if err := os.WriteFile(name, buf, 0o600); err != nil {
			return fmt.Errorf("write snapshot chunk: %w", err)
		}
		meta.ChunkHashes = append(meta.ChunkHashes, hex.EncodeToString(sum[:]))
		meta.Bytes += uint64(len(buf))
		buf = buf[:0]
		return nil
	}
	it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, PrefetchSize: 256})
	var sawMarker bool
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		if item.IsDeletedOrExpired() {
			continue
		}
		k := item.Key()
		if k[0] == prefixLocal {
			continue
		}
		err := item.Value(func(v []byte) error {
			if bytes.Equal(k, keyCommit) {
				sawMarker = true
				ci, err := decodeMarker(v)
				if err != nil {
					return err
				}
				if uint64(ci.Height) != height {
					return fmt.Errorf("commit marker at version %d names height %d", height, ci.Height)
				}
				meta.AppHash = hex.EncodeToString(ci.AppHash)
			}
			buf = appendEntry(buf, k, v)
			return nil
		})
		if err != nil {
			it.Close()
			return nil, fmt.Errorf("read key %x: %w", k, err)
		}
		meta.Entries++
		if len(buf) >= s.chunkSize {
			if err := flush(); err != nil {
				it.Close()
				return nil, err
			}
		}
	}
	it.Close()
	if !sawMarker {
		return nil, fmt.Errorf("no commit marker at height %d", height)
	}
	if len(buf) > 0 || len(meta.ChunkHashes) == 0 {
		if err := flush(); err != nil {
			return nil, err
		}
	}
	mj, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(tmp, "metadata.json"), mj, 0o600); err != nil {
		return nil, fmt.Errorf("write snapshot metadata: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return nil, fmt.Errorf("publish snapshot %d: %w", height, err)
	}
	s.prune()
	return meta, nil
}

func chunkName(i int) string { return fmt.Sprintf("chunk-%06d", i) }

// readMeta reads <dir>/metadata.json.
func readMeta(dir string) (*snapshotMeta, error) {
	b, err := os.ReadFile(filepath.Join(dir, "metadata.json"))
	if err != nil {
		return nil, err
	}
	var m snapshotMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("decode %s: %w", filepath.Join(dir, "metadata.json"), err)
	}
	return &m, nil
}

// heights lists the complete snapshots on disk, newest first.
func (s *snapshotter) heights() []uint64 {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil
	}
	var hs []uint64
	for _, e := range ents {
		h, err := strconv.ParseUint(e.Name(), 10, 64)
		if err != nil || !e.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(s.dir, e.Name(), "metadata.json")); err == nil {
			hs = append(hs, h)
		}
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i] > hs[j] })
	return hs
}

// prune removes the snapshots beyond the newest keep.
func (s *snapshotter) prune() {
	hs := s.heights()
	for i := s.keep; i < len(hs); i++ {
		os.RemoveAll(filepath.Join(s.dir, strconv.FormatUint(hs[i], 10)))
	}
}

// list returns the snapshots on disk, newest first.
func (s *snapshotter) list() ([]*snapshotMeta, error) {
	var out []*snapshotMeta
	for _, h := range s.heights() {
		m, err := readMeta(filepath.Join(s.dir, strconv.FormatUint(h, 10)))
		if err != nil {
			continue // removed by prune meanwhile
		}
		out = append(out, m)
	}
	return out, nil
}

// chunk reads chunk i of the snapshot at height in format.
func (s *snapshotter) chunk(height uint64, format uint32, i uint32) ([]byte, error) {
	if format != SnapshotFormat {
		return nil, fmt.Errorf("snapshot format %d is not served (this node writes format %d)", format, SnapshotFormat)
	}
	b, err := os.ReadFile(filepath.Join(s.dir, strconv.FormatUint(height, 10), chunkName(int(i))))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// pin keeps badger from discarding the versions a snapshot or a backup at
// h reads until unpin.
func (s *store) pin(h uint64) {
	s.pinMu.Lock()
	defer s.pinMu.Unlock()
	if s.pins == nil {
		s.pins = map[uint64]int{}
	}
	s.pins[h]++
}

func (s *store) unpin(h uint64) {
	s.pinMu.Lock()
	defer s.pinMu.Unlock()
	if s.pins[h]--; s.pins[h] <= 0 {
		delete(s.pins, h)
	}
}

// discardTs is the version up to which badger may drop old versions:
// want, held below the oldest pinned snapshot height.
func (s *store) discardTs(want uint64) uint64 {
	s.pinMu.Lock()
	defer s.pinMu.Unlock()
	for h := range s.pins {
		if h > 0 && h-1 < want {
			want = h - 1
		}
	}
	return want
}
