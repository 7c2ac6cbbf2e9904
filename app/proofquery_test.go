// SPDX-License-Identifier: Apache-2.0

package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/merkle"
	lrpc "github.com/cometbft/cometbft/light/rpc"
	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"

	"github.com/traceledger/traceledger/proof"
	"github.com/traceledger/traceledger/proof/proofops"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// provenChain is an app with a committed chain, the app hash and state
// roots of every height.
type provenChain struct {
	a        *App
	appHash  map[int64][]byte
	roots    map[int64]*tlv1.StateRoots
	lastH    int64
	lastRoot *tlv1.StateRoots
}

func buildProvenChain(t testing.TB, dir string, blocks int) *provenChain {
	t.Helper()
	f := newFixture(t)
	a := openApp(t, dir, nil)
	initChain(t, a, f)
	pc := &provenChain{a: a, appHash: map[int64][]byte{}, roots: map[int64]*tlv1.StateRoots{}}
	for i, txs := range makeChain(t, f, blocks, 11).blocks {
		h := int64(i + 1)
		r, err := finalize(t, a, h, txs)
		if err != nil {
			t.Fatal(err)
		}
		pc.appHash[h] = r.AppHash
		pc.roots[h] = statusRoots(t, a, 0)
		pc.lastH = h
	}
	pc.lastRoot = pc.roots[pc.lastH]
	return pc
}

func statusRoots(t testing.TB, a *App, height int64) *tlv1.StateRoots {
	t.Helper()
	res, err := a.Query(context.Background(), &abci.RequestQuery{Path: tlv1.PathStatus, Height: height})
	if err != nil {
		t.Fatal(err)
	}
	if res.Code != 0 {
		t.Fatalf("status: %s", res.Log)
	}
	var st tlv1.StatusResponse
	if err := st.Unmarshal(res.Value); err != nil {
		t.Fatal(err)
	}
	return st.Roots
}

// allRecords reads every record of the log through /record.
func allRecords(t *testing.T, a *App, size uint64) [][]byte {
	t.Helper()
	out := make([][]byte, size)
	for i := range out {
		res, bz := query(t, a, tlv1.PathRecord, &tlv1.RecordRequest{Index: uint64(i)}, 0)
		if res.Code != 0 {
			t.Fatalf("record %d: %s", i, res.Log)
		}
		var rr tlv1.RecordResponse
		if err := rr.Unmarshal(bz); err != nil {
			t.Fatal(err)
		}
		out[i] = rr.Record.Record
	}
	return out
}

// TestRecordsTreeIsCometBFTSimpleTree rebuilds the records tree with
// CometBFT's own simple Merkle tree over the documented key/value entries
// and checks it against the committed root and app hash.
func TestRecordsTreeIsCometBFTSimpleTree(t *testing.T) {
	pc := buildProvenChain(t, "", 12)
	defer pc.a.Close()
	for _, h := range []int64{pc.lastH - 1, pc.lastH} {
		roots := statusRoots(t, pc.a, h)
		verifyAppHash(t, roots, pc.appHash[h])
		recs := allRecords(t, pc.a, roots.LogSize)
		entries := make([][]byte, len(recs))
		for i, r := range recs {
			entries[i] = proof.KVEntry(proof.RecordsKey(uint64(i)), sha256.Sum256(r))
		}
		if want := merkle.HashFromByteSlices(entries); !bytes.Equal(want, roots.RecordsRoot) {
			t.Fatalf("height %d: records root %X, CometBFT's simple root of the records is %X", h, roots.RecordsRoot, want)
		}
	}
}

func storeQuery(t *testing.T, a *App, path string, data []byte, height int64) *abci.ResponseQuery {
	t.Helper()
	res, err := a.Query(context.Background(), &abci.RequestQuery{Path: path, Data: data, Height: height, Prove: true})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestStoreRecordsProofOps checks every record's standard-format proof the
// way CometBFT's light-client proxy does (the key path its default
// KeyPathFn builds, the default proof runtime) and with the stricter
// proofops.VerifyRecord, at the default and at an explicit height.
func TestStoreRecordsProofOps(t *testing.T) {
	pc := buildProvenChain(t, "", 12)
	defer pc.a.Close()
	keyPath := lrpc.DefaultMerkleKeyPathFn()
	prt := merkle.DefaultProofRuntime()
	for _, tc := range []struct {
		name       string
		height     int64
		wantHeight int64
	}{
		{"default height is latest-1", 0, pc.lastH - 1},
		{"explicit latest", pc.lastH, pc.lastH},
	} {
		t.Run(tc.name, func(t *testing.T) {
			size := pc.roots[tc.wantHeight].LogSize
			recs := allRecords(t, pc.a, size)
			for i := uint64(0); i < size; i++ {
				res := storeQuery(t, pc.a, tlv1.PathStoreRecords, proof.RecordsKey(i), tc.height)
				if res.Code != 0 {
					t.Fatalf("record %d: %s", i, res.Log)
				}
				if res.Height != tc.wantHeight || !bytes.Equal(res.Key, proof.RecordsKey(i)) || !bytes.Equal(res.Value, recs[i]) {
					t.Fatalf("record %d: height %d key %X; want height %d and the record", i, res.Height, res.Key, tc.wantHeight)
				}
				appHash := pc.appHash[res.Height]
				kp, err := keyPath(tlv1.PathStoreRecords, res.Key)
				if err != nil {
					t.Fatal(err)
				}
				if err := prt.VerifyValue(res.ProofOps, appHash, kp.String(), res.Value); err != nil {
					t.Fatalf("record %d: CometBFT's default runtime rejects the proof: %v", i, err)
				}
				if kp.String() != proofops.RecordKeyPath(i) {
					t.Fatalf("key path %q, proofops.RecordKeyPath says %q", kp.String(), proofops.RecordKeyPath(i))
				}
				if err := proofops.VerifyRecord(res.ProofOps, appHash, i, res.Value); err != nil {
					t.Fatalf("record %d: %v", i, err)
				}
				// The proof does not hold under another height's app hash.
				for h, other := range pc.appHash {
					if !bytes.Equal(other, appHash) && proofops.VerifyRecord(res.ProofOps, other, i, res.Value) == nil {
						t.Fatalf("record %d verified against the app hash of height %d", i, h)
					}
				}
			}
		})
	}
}

// TestStoreRecordsProofOpsTamper flips each byte of the value and of each
// operator's data and key: CometBFT's runtime and ours must reject it.
func TestStoreRecordsProofOpsTamper(t *testing.T) {
	pc := buildProvenChain(t, "", 6)
	defer pc.a.Close()
	index := pc.roots[pc.lastH-1].LogSize / 2
	res := storeQuery(t, pc.a, tlv1.PathStoreRecords, proof.RecordsKey(index), 0)
	if res.Code != 0 {
		t.Fatal(res.Log)
	}
	appHash := pc.appHash[res.Height]
	prt := merkle.DefaultProofRuntime()
	clone := func() *cmtcrypto.ProofOps {
		b, _ := res.ProofOps.Marshal()
		var c cmtcrypto.ProofOps
		if err := c.Unmarshal(b); err != nil {
			t.Fatal(err)
		}
		return &c
	}
	// provesSame reports whether ops prove exactly what the honest answer
	// proves: the same keys, and each operator turns the value into the same
	// intermediate and final roots. Some bytes do not take part: the copy of
	// the key that each operator's data repeats (CometBFT ignores it), and
	// the tree size of an RFC 6962 path, which a path does not bind when the
	// leaf's subtrees are the same for both sizes (index 11 of 22 or 23).
	run := func(ops *cmtcrypto.ProofOps) ([][]byte, [][]byte, bool) {
		poz, err := prt.DecodeProof(ops)
		if err != nil {
			return nil, nil, false
		}
		var keys, outs [][]byte
		args := [][]byte{res.Value}
		for _, op := range poz {
			if args, err = op.Run(args); err != nil {
				return nil, nil, false
			}
			keys = append(keys, op.GetKey())
			outs = append(outs, args[0])
		}
		return keys, outs, true
	}
	hk, ho, ok := run(res.ProofOps)
	if !ok {
		t.Fatal("honest proof does not run")
	}
	provesSame := func(ops *cmtcrypto.ProofOps) bool {
		k, o, ok := run(ops)
		if !ok || len(k) != len(hk) {
			return false
		}
		for i := range k {
			if !bytes.Equal(k[i], hk[i]) || !bytes.Equal(o[i], ho[i]) {
				return false
			}
		}
		return true
	}
	same := 0
	check := func(what string, ops *cmtcrypto.ProofOps, value []byte, app []byte) {
		t.Helper()
		if bytes.Equal(value, res.Value) && bytes.Equal(app, appHash) && provesSame(ops) {
			same++ // nothing that is proven changed
			return
		}
		if err := proofops.VerifyRecord(ops, app, index, value); err == nil {
			t.Errorf("%s: proofops.VerifyRecord accepted", what)
		}
		if err := prt.VerifyValue(ops, app, proofops.RecordKeyPath(index), value); err == nil {
			t.Errorf("%s: CometBFT's runtime accepted", what)
		}
	}
	n := 0
	for i := range res.Value {
		v := bytes.Clone(res.Value)
		v[i] ^= 1
		check("value byte", clone(), v, appHash)
		n++
	}
	for op := range res.ProofOps.Ops {
		for i := range res.ProofOps.Ops[op].Data {
			ops := clone()
			ops.Ops[op].Data[i] ^= 1
			// Flips in protobuf tags or lengths may leave a proof that no
			// longer decodes; either way it must not verify.
			check("operator data byte", ops, res.Value, appHash)
			n++
		}
		for i := range res.ProofOps.Ops[op].Key {
			ops := clone()
			ops.Ops[op].Key[i] ^= 1
			check("operator key byte", ops, res.Value, appHash)
			n++
		}
	}
	for i := range appHash {
		a := bytes.Clone(appHash)
		a[i] ^= 1
		check("app hash byte", clone(), res.Value, a)
		n++
	}
	// The key copies (8 + 7 bytes) and at most a size bit or two prove the same.
	keyCopies := len(res.ProofOps.Ops[0].Key) + len(res.ProofOps.Ops[1].Key)
	if n < 200 || same > keyCopies+2 {
		t.Fatalf("%d single-byte changes tried, %d of them left the proof proving the same (key copies: %d bytes)", n, same, keyCopies)
	}
	// Reordered or missing operators.
	ops := clone()
	ops.Ops[0], ops.Ops[1] = ops.Ops[1], ops.Ops[0]
	check("operators swapped", ops, res.Value, appHash)
	ops = clone()
	ops.Ops = ops.Ops[:1]
	check("store operator missing", ops, res.Value, appHash)
}

func TestStoreQueryErrors(t *testing.T) {
	pc := buildProvenChain(t, "", 4)
	defer pc.a.Close()
	size := pc.roots[pc.lastH-1].LogSize
	tests := []struct {
		name   string
		path   string
		data   []byte
		height int64
		want   tlv1.Code
	}{
		{"beyond the log", tlv1.PathStoreRecords, proof.RecordsKey(size), 0, tlv1.CodeNotFound},
		{"short key", tlv1.PathStoreRecords, []byte{1, 2, 3}, 0, tlv1.CodeInvalidQuery},
		{"empty key", tlv1.PathStoreRecords, nil, 0, tlv1.CodeInvalidQuery},
		{"map store", "/store/map/key", []byte("head/x"), 0, tlv1.CodeProofUnsupportedStore},
		{"log store", "/store/log/key", proof.RecordsKey(0), 0, tlv1.CodeProofUnsupportedStore},
		{"old height", tlv1.PathStoreRecords, proof.RecordsKey(0), pc.lastH - 2, tlv1.CodeHeightUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := storeQuery(t, pc.a, tc.path, tc.data, tc.height)
			if tlv1.Code(res.Code) != tc.want || res.Log == "" {
				t.Fatalf("code %d (%s), want %d", res.Code, res.Log, tc.want)
			}
		})
	}
}

func consistencyQuery(t *testing.T, a *App, size1 uint64, height int64) (*abci.ResponseQuery, *tlv1.ConsistencyResponse) {
	t.Helper()
	res, bz := query(t, a, tlv1.PathConsistency, &tlv1.ConsistencyRequest{Size1: size1}, height)
	var cr tlv1.ConsistencyResponse
	if res.Code == 0 {
		if err := cr.Unmarshal(bz); err != nil {
			t.Fatal(err)
		}
	}
	return res, &cr
}

// TestConsistencyFromEveryCheckpoint proves, from the roots of every
// earlier height, that the log and records tree then are prefixes of the
// current ones, and that each single-byte change of a proof hash or a root
// is caught.
func TestConsistencyFromEveryCheckpoint(t *testing.T) {
	pc := buildProvenChain(t, "", 14)
	defer pc.a.Close()
	tampered := 0
	for h := int64(1); h <= pc.lastH; h++ {
		old := pc.roots[h]
		res, cr := consistencyQuery(t, pc.a, old.LogSize, 0)
		if res.Code != 0 {
			t.Fatalf("from height %d: %s", h, res.Log)
		}
		verifyAppHash(t, cr.Roots, pc.appHash[pc.lastH])
		if err := proof.VerifyRootsConsistency(old, cr.Roots, cr.Log, cr.Records); err != nil {
			t.Fatalf("from height %d (size %d): %v", h, old.LogSize, err)
		}
		if old.LogSize == cr.Roots.LogSize {
			continue
		}
		// Tamper with each byte of each proof hash and of the old roots.
		for _, p := range []*tlv1.LogConsistencyProof{cr.Log, cr.Records} {
			for i := range p.Hashes {
				for j := range p.Hashes[i] {
					p.Hashes[i][j] ^= 1
					if proof.VerifyRootsConsistency(old, cr.Roots, cr.Log, cr.Records) == nil {
						t.Fatalf("height %d: flipped proof hash %d byte %d accepted", h, i, j)
					}
					p.Hashes[i][j] ^= 1
					tampered++
				}
			}
		}
		for _, root := range [][]byte{old.LogRoot, old.RecordsRoot, cr.Roots.LogRoot, cr.Roots.RecordsRoot} {
			for j := range root {
				root[j] ^= 1
				if proof.VerifyRootsConsistency(old, cr.Roots, cr.Log, cr.Records) == nil {
					t.Fatalf("height %d: flipped root byte %d accepted", h, j)
				}
				root[j] ^= 1
				tampered++
			}
		}
	}
	if tampered == 0 {
		t.Fatal("no proof was tampered with")
	}
	// A rewritten history: the roots of an unrelated chain are not a prefix.
	other := buildProvenChain(t, "", 5)
	defer other.a.Close()
	foreign := other.roots[3]
	res, cr := consistencyQuery(t, pc.a, foreign.LogSize, 0)
	if res.Code != 0 {
		t.Fatal(res.Log)
	}
	if foreign.LogSize > 0 && !bytes.Equal(foreign.LogRoot, pc.roots[3].LogRoot) {
		if err := proof.VerifyRootsConsistency(foreign, cr.Roots, cr.Log, cr.Records); !errors.Is(err, proof.ErrRootMismatch) {
			t.Fatalf("a foreign checkpoint: got %v, want a root mismatch", err)
		}
	}
}

func TestConsistencyErrors(t *testing.T) {
	pc := buildProvenChain(t, "", 4)
	defer pc.a.Close()
	size := pc.lastRoot.LogSize
	res, _ := consistencyQuery(t, pc.a, size+1, 0)
	if tlv1.Code(res.Code) != tlv1.CodeProofSizeAhead {
		t.Fatalf("size ahead: code %d (%s)", res.Code, res.Log)
	}
	res, _ = query(t, pc.a, tlv1.PathConsistency, rawBytes{0xff, 0xff}, 0)
	if tlv1.Code(res.Code) != tlv1.CodeInvalidQuery {
		t.Fatalf("garbage request: code %d", res.Code)
	}
	// From the empty log and from the current size: no hashes needed.
	for _, size1 := range []uint64{0, size} {
		res, cr := consistencyQuery(t, pc.a, size1, 0)
		if res.Code != 0 || len(cr.Log.Hashes) != 0 || len(cr.Records.Hashes) != 0 {
			t.Fatalf("size1 %d: code %d, %d/%d hashes", size1, res.Code, len(cr.Log.Hashes), len(cr.Records.Hashes))
		}
	}
	empty := proof.EmptyLogRoot()
	zero := &tlv1.StateRoots{LogRoot: empty[:], MapRoot: make([]byte, 32), RecordsRoot: empty[:]}
	_, cr := consistencyQuery(t, pc.a, 0, 0)
	if err := proof.VerifyRootsConsistency(zero, cr.Roots, cr.Log, cr.Records); err != nil {
		t.Fatalf("from the empty log: %v", err)
	}
	notEmpty := &tlv1.StateRoots{LogRoot: pc.lastRoot.LogRoot, MapRoot: make([]byte, 32), RecordsRoot: empty[:]}
	if err := proof.VerifyRootsConsistency(notEmpty, cr.Roots, cr.Log, cr.Records); err == nil {
		t.Fatal("size 0 with a non-empty root accepted")
	}
}

// rawBytes is a request that is not a protobuf message.
type rawBytes []byte

func (r rawBytes) Marshal() ([]byte, error) { return r, nil }

// TestRecordsTreeSurvivesRestart restarts the app in the middle of a chain:
// the records tree continues from its stored range, so the app hashes equal
// those of an uninterrupted run, and proofs still verify.
func TestRecordsTreeSurvivesRestart(t *testing.T) {
	f := newFixture(t)
	c := makeChain(t, f, 10, 21)
	ref := openApp(t, "", nil)
	defer ref.Close()
	initChain(t, ref, f)
	var want [][]byte
	for i, txs := range c.blocks {
		r, err := finalize(t, ref, int64(i+1), txs)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, r.AppHash)
	}
	dir := t.TempDir()
	a := openApp(t, dir, nil)
	initChain(t, a, f)
	for i, txs := range c.blocks {
		if i == 5 {
			a.Close()
			a = openApp(t, dir, nil)
		}
		r, err := finalize(t, a, int64(i+1), txs)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(r.AppHash, want[i]) {
			t.Fatalf("block %d: app hash %X after restart, %X without", i+1, r.AppHash, want[i])
		}
	}
	defer a.Close()
	res := storeQuery(t, a, tlv1.PathStoreRecords, binary.BigEndian.AppendUint64(nil, 0), 0)
	if res.Code != 0 {
		t.Fatal(res.Log)
	}
	if err := proofops.VerifyRecord(res.ProofOps, want[res.Height-1], 0, res.Value); err != nil {
		t.Fatal(err)
	}
}

// FuzzProofQueries sends arbitrary paths under /store/, data and heights to
// the proof service: it must never panic, a success must carry a proof that
// verifies, and a refusal must carry a code and a message.
func FuzzProofQueries(f *testing.F) {
	pc := buildProvenChain(f, "", 3)
	f.Cleanup(func() { pc.a.Close() })
	f.Add(tlv1.PathStoreRecords, proof.RecordsKey(1), int64(0))
	f.Add("/store/map/key", []byte("head/x"), int64(0))
	f.Add(tlv1.PathConsistency, mustMarshalTB(f, &tlv1.ConsistencyRequest{Size1: 3}), int64(0))
	f.Add(tlv1.PathConsistency, []byte{0x08, 0xff, 0xff}, int64(-1))
	f.Fuzz(func(t *testing.T, path string, data []byte, height int64) {
		res, err := pc.a.Query(context.Background(), &abci.RequestQuery{Path: path, Data: data, Height: height, Prove: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.Code != 0 {
			if res.Log == "" {
				t.Fatalf("code %d without a message", res.Code)
			}
			return
		}
		switch path {
		case tlv1.PathStoreRecords:
			index := binary.BigEndian.Uint64(data)
			if err := proofops.VerifyRecord(res.ProofOps, pc.appHash[res.Height], index, res.Value); err != nil {
				t.Fatalf("served an unverifiable record proof: %v", err)
			}
		case tlv1.PathConsistency:
			var cr tlv1.ConsistencyResponse
			if err := cr.Unmarshal(res.Value); err != nil {
				t.Fatal(err)
			}
			var req tlv1.ConsistencyRequest
			req.Unmarshal(data)
			if old := rootsAtSize(pc, req.Size1); old != nil {
				if err := proof.VerifyRootsConsistency(old, cr.Roots, cr.Log, cr.Records); err != nil {
					t.Fatalf("served an unverifiable consistency proof from %d: %v", req.Size1, err)
				}
			}
		}
	})
}

// rootsAtSize returns the roots of a height whose log had size leaves.
func rootsAtSize(pc *provenChain, size uint64) *tlv1.StateRoots {
	for _, r := range pc.roots {
		if r.LogSize == size {
			return r
		}
	}
	return nil
}

func mustMarshalTB(t testing.TB, m marshaler) []byte {
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
