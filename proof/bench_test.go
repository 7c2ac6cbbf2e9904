// SPDX-License-Identifier: Apache-2.0

package proof

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/cometbft/cometbft/crypto/merkle"
	"github.com/cometbft/cometbft/types"
	"github.com/transparency-dev/merkle/compact"
	merkleproof "github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/traceledger/traceledger/proof/prooftest"
	traceledgerv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// benchRecord is the marshalled record at index i of the benchmark logs: a
// trace event of typical size.
func benchRecord(i uint64) []byte {
	sum := sha256.Sum256(binary.BigEndian.AppendUint64(nil, i))
	rec := &traceledgerv1.Record{Height: int64(i/100 + 1), TimeMs: 1_790_000_000_000 + int64(i), TxHash: sum[:], Signer: "farm1",
		SignerKey: "7E2D9C8A1B3F4E5D6C7B8A9F0E1D2C3B4A596877",
		Body: &traceledgerv1.Record_Event{Event: &traceledgerv1.RecordEvent{Subject: fmt.Sprintf("urn:epc:class:lgtin:6901234.500012.L%d", i%5000),
			EventType: "shipping", EventTimeMs: 1_789_999_000_000, PayloadSha256: sum[:], Note: "origin exit, cold truck"}}}
	b, _ := rec.Marshal()
	return b
}

// streamRoot returns the hash of the perfect subtree over the leaves
// [from, to) of a log whose leaf i hashes leaf(i), without keeping them.
func streamRoot(from, to uint64, leaf func(uint64) []byte) []byte {
	rf := &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	r := rf.NewEmptyRange(from)
	for i := from; i < to; i++ {
		if err := r.Append(leaf(i), nil); err != nil {
			panic(err)
		}
	}
	if hs := r.Hashes(); len(hs) == 1 {
		return hs[0] // a perfect subtree
	}
	panic(fmt.Sprintf("leaves %d..%d are not one perfect subtree", from, to))
}

// streamProof builds the inclusion path of index in a log of size leaves
// and its root, hashing every leaf once (O(size) time, O(log size) memory).
func streamProof(index, size uint64, leaf func(uint64) []byte) (path [][]byte, root [32]byte) {
	nodes, err := merkleproof.Inclusion(index, size)
	if err != nil {
		panic(err)
	}
	hashes := make([][]byte, len(nodes.IDs))
	for i, id := range nodes.IDs {
		begin, end := id.Coverage()
		hashes[i] = streamRoot(begin, end, leaf)
	}
	if path, err = nodes.Rehash(hashes, rfc6962.DefaultHasher.HashChildren); err != nil {
		panic(err)
	}
	got, err := RootFromInclusion(to32(leaf(index)), index, size, path)
	if err != nil {
		panic(err)
	}
	return path, got
}

// BenchmarkInclusionProof measures the inclusion proof of one record, from
// the record to the app hash (record -> log root -> app hash; the header
// check is not included), at 10^3, 10^5 and 10^7 records: its size and the
// time to verify it. It also reports the standard-format (ProofOps) proof
// of the same record and its verification with CometBFT's runtime.
func BenchmarkInclusionProof(b *testing.B) {
	for _, size := range []uint64{1_000, 100_000, 10_000_000} {
		index := size / 3
		logLeaf := func(i uint64) []byte { h := LeafHash(benchRecord(i)); return h[:] }
		recLeaf := func(i uint64) []byte { h := RecordsLeafHash(i, benchRecord(i)); return h[:] }
		var path, recPath [][]byte
		var logRoot, recRoot [32]byte
		setup := func() {
			start := time.Now()
			path, logRoot = streamProof(index, size, logLeaf)
			recPath, recRoot = streamProof(index, size, recLeaf)
			b.Logf("built the proofs at %d records in %s", size, time.Since(start).Round(time.Millisecond))
		}
		mapRoot := sha256.Sum256([]byte("map"))
		record := benchRecord(index)
		b.Run(fmt.Sprintf("records=%d/log", size), func(b *testing.B) {
			if path == nil {
				setup()
			}
			roots := &traceledgerv1.StateRoots{Height: 100, LogSize: size, LogRoot: logRoot[:], MapRoot: mapRoot[:], RecordsRoot: recRoot[:]}
			app := AppHash(size, logRoot, mapRoot, recRoot)
			pr := &traceledgerv1.ProvenRecord{Index: index, Record: record, Inclusion: &traceledgerv1.LogInclusionProof{Index: index, Size_: size, Hashes: path}}
			ans := &traceledgerv1.RecordResponse{Roots: roots, Record: pr}
			ab, _ := ans.Marshal()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := VerifyRecord(roots, pr); err != nil {
					b.Fatal(err)
				}
				got, err := AppHashOf(roots)
				if err != nil || got != app {
					b.Fatal("app hash")
				}
			}
			b.ReportMetric(float64(len(path)*HashSize), "path-bytes")
			b.ReportMetric(float64(len(ab)-len(record)), "proof-bytes")
			b.ReportMetric(float64(len(record)), "record-bytes")
		})
		b.Run(fmt.Sprintf("records=%d/proofops", size), func(b *testing.B) {
			if path == nil {
				setup()
			}
			top := AppHashLeaves(size, logRoot, mapRoot, recRoot)
			logMap := NodeHash(top[0], top[1])
			app := AppHash(size, logRoot, mapRoot, recRoot)
			ops := recordOpsForTest(index, record, size, recPath, top[RecordsStoreIndex], logMap)
			ob, _ := ops.Marshal()
			prt := merkle.DefaultProofRuntime()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := prt.VerifyValue(ops, app[:], RecordKeyPath(index), record); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(ob)), "proof-bytes")
		})
	}
}

// benchBundle is a bundle of a 100-event history in a log of 10,000
// records, with the light blocks of a genesis trust root and the header
// H+1 (four validators, no validator-set change).
func benchBundle(b *testing.B) ([]byte, TrustRoot) {
	const size, events = 10_000, 100
	subjectOf := func(i uint64) bool { return i%100 == 7 }
	var leaves, recLeaves [][32]byte
	records := make([][]byte, size)
	var chain []byte
	var last uint64
	subject := "urn:epc:class:lgtin:6901234.500012.BENCH"
	for i := uint64(0); i < size; i++ {
		ev := &traceledgerv1.RecordEvent{Subject: fmt.Sprintf("urn:epc:class:lgtin:6901234.500012.O%d", i), EventType: "shipping", EventTimeMs: 1, PayloadSha256: bytes.Repeat([]byte{1}, 32)}
		if subjectOf(i) {
			ev.Subject = subject
		}
		rec, _ := (&traceledgerv1.Record{Height: int64(i/50 + 1), TimeMs: int64(i), Signer: "farm1", Body: &traceledgerv1.Record_Event{Event: ev}}).Marshal()
		records[i] = rec
		leaves = append(leaves, LeafHash(rec))
		recLeaves = append(recLeaves, RecordsLeafHash(i, rec))
		if subjectOf(i) {
			c := ChainHash(chain, leaves[i])
			chain, last = c[:], i
		}
	}
	head, _ := (&traceledgerv1.Head{Count: events, LastIndex: last, ChainHash: chain}).Marshal()
	mapLeaves := []refLeaf{{MapKeyHash([]byte(HeadKey(subject))), MapValueHash(head)}}
	for i := 0; i < 2000; i++ {
		mapLeaves = append(mapLeaves, refKV(fmt.Sprintf("head/other-%d", i), "v"))
	}
	mapLeaves = refMap(mapLeaves)
	logRoot, recRoot, mapRoot := refMTH(leaves), refMTH(recLeaves), refMapHash(mapLeaves, 0)
	hist := &traceledgerv1.HistoryResponse{Roots: &traceledgerv1.StateRoots{Height: 200, LogSize: size, LogRoot: logRoot[:], MapRoot: mapRoot[:], RecordsRoot: recRoot[:]},
		Head: &traceledgerv1.ProvenValue{Key: HeadKey(subject), Value: head, Proof: refMapProve(mapLeaves, MapKeyHash([]byte(HeadKey(subject))))}}
	for i := uint64(0); i < size; i++ {
		if subjectOf(i) {
			hist.Records = append(hist.Records, &traceledgerv1.ProvenRecord{Index: i, Record: records[i],
				Inclusion: &traceledgerv1.LogInclusionProof{Index: i, Size_: size, Hashes: refPath(int(i), leaves)}})
		}
	}
	vals := prooftest.NewValidators("bench", 4, 10)
	c := prooftest.NewChain("bench-chain", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	app := AppHash(size, logRoot, mapRoot, recRoot)
	for h := int64(1); h <= 201; h++ {
		a := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(h)))
		if h == 201 {
			a = app
		}
		c.Append(vals, nil, a[:], nil)
	}
	bd, err := NewBundle("bench-chain", subject, BundleTrust{Kind: "genesis", Height: 1}, hist, nil, []*types.LightBlock{c.At(1), c.At(201)}, time.Time{})
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := bd.Encode(&buf); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes(), benchRoot(b, vals)
}

// BenchmarkBundleVerify measures offline verification of a bundle of a
// 100-event history: decoding the JSON, two light blocks from the genesis
// root, the app hash, 100 inclusion paths in a log of 10,000 records, the
// head's map proof and completeness.
func BenchmarkBundleVerify(b *testing.B) {
	doc, root := benchBundle(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bd, err := DecodeBundle(bytes.NewReader(doc))
		if err != nil {
			b.Fatal(err)
		}
		rep, err := VerifyBundle(bd, root, HeaderOptions{})
		if err != nil || rep.Count != 100 {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(doc)), "bundle-bytes")
}

func benchRoot(b *testing.B, vals []prooftest.Validator) TrustRoot {
	doc := &types.GenesisDoc{ChainID: "bench-chain", InitialHeight: 1}
	for _, v := range vals {
		doc.Validators = append(doc.Validators, types.GenesisValidator{PubKey: v.Key.PubKey(), Power: v.Power})
	}
	root, err := GenesisTrustRoot(doc)
	if err != nil {
		b.Fatal(err)
	}
	return root
}
