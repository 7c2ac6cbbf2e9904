// SPDX-License-Identifier: Apache-2.0

package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// snapSource is an app that committed a chain and took snapshots of it.
type snapSource struct {
	a        *App
	hashes   map[int64][]byte // app hash committed at each height
	f        *fixture
	blocks   [][][]byte
	snapshot map[uint64]*abci.Snapshot
}

// newSnapSource commits the first n of 44 deterministic blocks with a
// snapshot every 10 heights in small chunks.
func newSnapSource(t *testing.T, n int) *snapSource {
	t.Helper()
	f := newFixture(t)
	a, err := newApp(Options{SnapshotInterval: 10, SnapshotDir: t.TempDir()}, testHooks{inMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	a.snaps.chunkSize = 2048
	initChain(t, a, f)
	s := &snapSource{a: a, hashes: map[int64][]byte{}, f: f, blocks: makeChain(t, f, 44, 21).blocks, snapshot: map[uint64]*abci.Snapshot{}}
	for h := int64(1); h <= int64(n); h++ {
		r, err := finalize(t, a, h, s.blocks[h-1])
		if err != nil {
			t.Fatal(err)
		}
		s.hashes[h] = r.AppHash
		a.snaps.wait() // a test takes every snapshot; a node skips one while the last is written
	}
	ls, err := a.ListSnapshots(context.Background(), &abci.RequestListSnapshots{})
	if err != nil {
		t.Fatal(err)
	}
	for _, sn := range ls.Snapshots {
		s.snapshot[sn.Height] = sn
	}
	return s
}

func (s *snapSource) chunks(t *testing.T, sn *abci.Snapshot) [][]byte {
	t.Helper()
	var out [][]byte
	for i := uint32(0); i < sn.Chunks; i++ {
		r, err := s.a.LoadSnapshotChunk(context.Background(), &abci.RequestLoadSnapshotChunk{Height: sn.Height, Format: sn.Format, Chunk: i})
		if err != nil || len(r.Chunk) == 0 {
			t.Fatalf("chunk %d of %d: %v (%d bytes)", i, sn.Height, err, len(r.Chunk))
		}
		out = append(out, r.Chunk)
	}
	return out
}

func freshApp(t *testing.T) *App {
	t.Helper()
	a, err := newApp(Options{SnapshotDir: t.TempDir()}, testHooks{inMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func offer(t *testing.T, a *App, sn *abci.Snapshot, appHash []byte) abci.ResponseOfferSnapshot_Result {
	t.Helper()
	r, err := a.OfferSnapshot(context.Background(), &abci.RequestOfferSnapshot{Snapshot: sn, AppHash: appHash})
	if err != nil {
		t.Fatal(err)
	}
	return r.Result
}

func apply(t *testing.T, a *App, i int, chunk []byte, sender string) *abci.ResponseApplySnapshotChunk {
	t.Helper()
	r, err := a.ApplySnapshotChunk(context.Background(), &abci.RequestApplySnapshotChunk{Index: uint32(i), Chunk: chunk, Sender: sender})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// restoreAll offers sn and applies every chunk; it fails unless each is accepted.
func restoreAll(t *testing.T, a *App, sn *abci.Snapshot, appHash []byte, chunks [][]byte) {
	t.Helper()
	if r := offer(t, a, sn, appHash); r != abci.ResponseOfferSnapshot_ACCEPT {
		t.Fatalf("offer of %d: %v", sn.Height, r)
	}
	for i, c := range chunks {
		if r := apply(t, a, i, c, "peer"); r.Result != abci.ResponseApplySnapshotChunk_ACCEPT {
			t.Fatalf("chunk %d: %v", i, r.Result)
		}
	}
}

func checkInfo(t *testing.T, a *App, height int64, appHash []byte) {
	t.Helper()
	info, err := a.Info(context.Background(), &abci.RequestInfo{})
	if err != nil {
		t.Fatal(err)
	}
	if info.LastBlockHeight != height || !bytes.Equal(info.LastBlockAppHash, appHash) || info.AppVersion != Version || info.AppVersion == 0 {
		t.Fatalf("Info after restore: height %d app hash %X app version %d; want %d %X %d", info.LastBlockHeight, info.LastBlockAppHash, info.AppVersion, height, appHash, Version)
	}
}

// sameAnswers asks both apps the same queries and wants the answers, with
// their proofs, byte for byte equal.
func sameAnswers(t *testing.T, want, got *App, logSize uint64) {
	t.Helper()
	subjects := []string{"urn:epc:class:lgtin:6901234.500012.L1", "urn:epc:class:lgtin:6901234.500012.L2", "urn:epc:id:sgtin:6901234.500012.77", "urn:epc:id:sgtin:6901234.500012.absent"}
	type q struct {
		path string
		req  marshaler
	}
	qs := []q{{tlv1.PathStatus, nil}, {tlv1.PathConsistency, &tlv1.ConsistencyRequest{Size1: logSize / 2}}}
	for _, s := range subjects {
		qs = append(qs, q{tlv1.PathHistory, &tlv1.HistoryRequest{Subject: s}}, q{tlv1.PathHistory, &tlv1.HistoryRequest{Subject: s, Offset: 1, Limit: 3}},
			q{tlv1.PathValue, &tlv1.ValueRequest{Key: tlv1.HeadKey(s)}})
	}
	for _, i := range []uint64{0, 1, logSize / 3, logSize / 2, logSize - 1, logSize} {
		qs = append(qs, q{tlv1.PathRecord, &tlv1.RecordRequest{Index: i}})
	}
	qs = append(qs, q{tlv1.PathValue, &tlv1.ValueRequest{Key: tlv1.ParticipantKey("farm")}}, q{tlv1.PathParticipant, &tlv1.ParticipantRequest{Id: "market"}})
	answered := 0
	for _, c := range qs {
		rw, _ := query(t, want, c.path, c.req, 0)
		rg, _ := query(t, got, c.path, c.req, 0)
		bw, _ := rw.Marshal()
		bg, _ := rg.Marshal()
		if !bytes.Equal(bw, bg) {
			t.Errorf("%s %v: answers differ:\nreplayed %x\nrestored %x", c.path, c.req, bw, bg)
		}
		if rw.Code == 0 && len(rw.Value) > 0 {
			answered++
		}
	}
	if answered < len(qs)/2 {
		t.Fatalf("only %d of %d queries answered: the comparison tests little", answered, len(qs))
	}
}

func TestSnapshotRestoreSameAnswers(t *testing.T) {
	src := newSnapSource(t, 40)
	if len(src.snapshot) != DefaultSnapshotKeepRecent || src.snapshot[40] == nil || src.snapshot[30] == nil {
		t.Fatalf("snapshots kept: %v, want heights 40 and 30", src.snapshot)
	}
	sn := src.snapshot[40]
	if sn.Chunks < 3 {
		t.Fatalf("snapshot has %d chunks; the test wants several", sn.Chunks)
	}
	dst := freshApp(t)
	restoreAll(t, dst, sn, src.hashes[40], src.chunks(t, sn))
	checkInfo(t, dst, 40, src.hashes[40])
	sameAnswers(t, src.a, dst, src.a.latest().info.LogSize)

	// Both follow the next blocks to the same app hashes and answers.
	for h := int64(41); h <= 44; h++ {
		rs, err := finalize(t, src.a, h, src.blocks[h-1])
		if err != nil {
			t.Fatal(err)
		}
		rd, err := finalize(t, dst, h, src.blocks[h-1])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(rs.AppHash, rd.AppHash) {
			t.Fatalf("height %d: restored app hash %X, replayed %X", h, rd.AppHash, rs.AppHash)
		}
	}
	sameAnswers(t, src.a, dst, src.a.latest().info.LogSize)
	// The standard-format record query answers at latest-1, which a
	// restored node has once it committed a block after the snapshot.
	for _, i := range []uint64{0, 5, src.a.latest().info.LogSize / 2} {
		req := &abci.RequestQuery{Path: tlv1.PathStoreRecords, Data: u64(i)}
		rw, err1 := src.a.Query(context.Background(), req)
		rg, err2 := dst.Query(context.Background(), req)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		bw, _ := rw.Marshal()
		bg, _ := rg.Marshal()
		if rw.Code != 0 || !bytes.Equal(bw, bg) {
			t.Errorf("store record %d: code %d, answers equal %v", i, rw.Code, bytes.Equal(bw, bg))
		}
	}
}

func TestSnapshotAlteredChunkRefetched(t *testing.T) {
	src := newSnapSource(t, 40)
	sn := src.snapshot[40]
	chunks := src.chunks(t, sn)
	dst := freshApp(t)
	if r := offer(t, dst, sn, src.hashes[40]); r != abci.ResponseOfferSnapshot_ACCEPT {
		t.Fatal(r)
	}
	bad := append([]byte(nil), chunks[1]...)
	bad[len(bad)/2] ^= 1
	for i, c := range chunks {
		if i == 1 {
			r := apply(t, dst, 1, bad, "liar")
			if r.Result != abci.ResponseApplySnapshotChunk_RETRY || len(r.RefetchChunks) != 1 || r.RefetchChunks[0] != 1 || len(r.RejectSenders) != 1 || r.RejectSenders[0] != "liar" {
				t.Fatalf("altered chunk: %v refetch %v reject %v; want RETRY, refetch [1], reject [liar]", r.Result, r.RefetchChunks, r.RejectSenders)
			}
		}
		if r := apply(t, dst, i, c, "honest"); r.Result != abci.ResponseApplySnapshotChunk_ACCEPT {
			t.Fatalf("chunk %d: %v", i, r.Result)
		}
	}
	checkInfo(t, dst, 40, src.hashes[40])
}

func TestSnapshotSecondOfferResets(t *testing.T) {
	src := newSnapSource(t, 40)
	newer, older := src.snapshot[40], src.snapshot[30]
	dst := freshApp(t)
	if r := offer(t, dst, newer, src.hashes[40]); r != abci.ResponseOfferSnapshot_ACCEPT {
		t.Fatal(r)
	}
	nc := src.chunks(t, newer)
	for i := 0; i < len(nc)-1; i++ { // all but the last: the restore is in progress
		apply(t, dst, i, nc[i], "a")
	}
	restoreAll(t, dst, older, src.hashes[30], src.chunks(t, older))
	checkInfo(t, dst, 30, src.hashes[30])
	// Nothing of the first restore is left: the next blocks replay to the
	// source's app hashes.
	for h := int64(31); h <= 40; h++ {
		r, err := finalize(t, dst, h, src.blocks[h-1])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(r.AppHash, src.hashes[h]) {
			t.Fatalf("height %d after a reset restore: app hash %X, want %X", h, r.AppHash, src.hashes[h])
		}
	}
}

func TestSnapshotChunkAppliedTwice(t *testing.T) {
	src := newSnapSource(t, 40)
	sn := src.snapshot[40]
	chunks := src.chunks(t, sn)
	dst := freshApp(t)
	if r := offer(t, dst, sn, src.hashes[40]); r != abci.ResponseOfferSnapshot_ACCEPT {
		t.Fatal(r)
	}
	order := []int{0, 1, 0}
	for i := 2; i < len(chunks); i++ {
		order = append(order, i, i-1) // each refetched after a (simulated) timeout
	}
	order = append(order, len(chunks)-1)
	for _, i := range order {
		if r := apply(t, dst, i, chunks[i], "p"); r.Result != abci.ResponseApplySnapshotChunk_ACCEPT {
			t.Fatalf("chunk %d: %v", i, r.Result)
		}
	}
	checkInfo(t, dst, 40, src.hashes[40])
	sameAnswers(t, src.a, dst, src.a.latest().info.LogSize)
}

// forge rewrites one entry's value in a chunk and re-issues the metadata
// with matching hashes, as a dishonest peer could: only the recomputation
// of the state can catch it.
func forge(t *testing.T, sn *abci.Snapshot, chunks [][]byte, prefix byte) (*abci.Snapshot, [][]byte) {
	t.Helper()
	var meta snapshotMeta
	if err := json.Unmarshal(sn.Metadata, &meta); err != nil {
		t.Fatal(err)
	}
	out := make([][]byte, len(chunks))
	copy(out, chunks)
	done := false
	for ci, c := range chunks {
		var nb []byte
		for p := c; len(p) > 0; {
			k, rest, _ := readField(p)
			v, rest, _ := readField(rest)
			p = rest
			if !done && k[0] == prefix && len(v) > 0 {
				v = append([]byte(nil), v...)
				v[len(v)-1] ^= 1
				done = true
			}
			nb = appendEntry(nb, k, v)
		}
		out[ci] = nb
		sum := sha256.Sum256(nb)
		meta.ChunkHashes[ci] = hex.EncodeToString(sum[:])
	}
	if !done {
		t.Fatalf("no entry under %q", prefix)
	}
	h, _ := meta.hash()
	mj, _ := json.Marshal(meta)
	return &abci.Snapshot{Height: sn.Height, Format: sn.Format, Chunks: sn.Chunks, Hash: h, Metadata: mj}, out
}

func TestSnapshotForgedStateRefused(t *testing.T) {
	src := newSnapSource(t, 40)
	sn := src.snapshot[40]
	chunks := src.chunks(t, sn)
	for _, p := range []byte{prefixMap, prefixRecord, prefixNode, prefixRecordsNode, prefixLeaf, prefixHistory} {
		t.Run(fmt.Sprintf("%c", p), func(t *testing.T) {
			fsn, fch := forge(t, sn, chunks, p)
			dst := freshApp(t)
			if r := offer(t, dst, fsn, src.hashes[40]); r != abci.ResponseOfferSnapshot_ACCEPT {
				t.Fatal(r)
			}
			var last abci.ResponseApplySnapshotChunk_Result
			for i, c := range fch {
				last = apply(t, dst, i, c, "p").Result
			}
			if last != abci.ResponseApplySnapshotChunk_REJECT_SNAPSHOT {
				t.Fatalf("forged %q entry: last chunk %v, want REJECT_SNAPSHOT", p, last)
			}
			if c := dst.latest(); c != nil {
				t.Fatalf("forged snapshot left state at height %d", c.info.Height)
			}
			// The honest snapshot is then accepted.
			restoreAll(t, dst, sn, src.hashes[40], chunks)
			checkInfo(t, dst, 40, src.hashes[40])
		})
	}
}

func TestSnapshotOfferRefusals(t *testing.T) {
	src := newSnapSource(t, 40)
	sn := src.snapshot[40]
	dst := freshApp(t)
	wrongFormat := *sn
	wrongFormat.Format = SnapshotFormat + 1
	wrongHash := *sn
	wrongHash.Hash = bytes.Repeat([]byte{1}, 32)
	for _, c := range []struct {
		name    string
		sn      *abci.Snapshot
		appHash []byte
		want    abci.ResponseOfferSnapshot_Result
	}{
		{"other app hash", sn, src.hashes[39], abci.ResponseOfferSnapshot_REJECT},
		{"unknown format", &wrongFormat, src.hashes[40], abci.ResponseOfferSnapshot_REJECT_FORMAT},
		{"hash not of its chunks", &wrongHash, src.hashes[40], abci.ResponseOfferSnapshot_REJECT},
		{"node with state", sn, src.hashes[40], abci.ResponseOfferSnapshot_ABORT},
	} {
		a := dst
		if c.want == abci.ResponseOfferSnapshot_ABORT {
			a = src.a
		}
		if r := offer(t, a, c.sn, c.appHash); r != c.want {
			t.Errorf("%s: %v, want %v", c.name, r, c.want)
		}
	}
}

func TestSnapshotRestoredHeightSurvivesRestart(t *testing.T) {
	src := newSnapSource(t, 40)
	sn := src.snapshot[40]
	dir := t.TempDir()
	dst, err := newApp(Options{Dir: dir}, testHooks{})
	if err != nil {
		t.Fatal(err)
	}
	restoreAll(t, dst, sn, src.hashes[40], src.chunks(t, sn))
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := newApp(Options{Dir: dir}, testHooks{})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	checkInfo(t, again, 40, src.hashes[40])
	info, _ := again.Info(context.Background(), &abci.RequestInfo{})
	if d := ParseInfoData(info.Data); d.StateSyncedFrom != 40 || d.App != "traceledger" {
		t.Fatalf("Info data %q: want the restored height 40", info.Data)
	}
	srcInfo, _ := src.a.Info(context.Background(), &abci.RequestInfo{})
	if d := ParseInfoData(srcInfo.Data); d.StateSyncedFrom != 0 {
		t.Fatalf("a replayed node says it was state-synced: %q", srcInfo.Data)
	}
	// A snapshot the restored node takes carries no node-local key: it
	// restores on a third node.
	again.snaps.interval = 1
	again.snaps.dir = t.TempDir()
	r, err := finalize(t, again, 41, src.blocks[40])
	if err != nil {
		t.Fatal(err)
	}
	again.snaps.wait()
	ls, _ := again.ListSnapshots(context.Background(), &abci.RequestListSnapshots{})
	if len(ls.Snapshots) != 1 {
		t.Fatalf("%d snapshots", len(ls.Snapshots))
	}
	third := freshApp(t)
	var chunks [][]byte
	for i := uint32(0); i < ls.Snapshots[0].Chunks; i++ {
		c, _ := again.LoadSnapshotChunk(context.Background(), &abci.RequestLoadSnapshotChunk{Height: 41, Format: SnapshotFormat, Chunk: i})
		chunks = append(chunks, c.Chunk)
	}
	restoreAll(t, third, ls.Snapshots[0], r.AppHash, chunks)
	checkInfo(t, third, 41, r.AppHash)
}
