// SPDX-License-Identifier: Apache-2.0

package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/cometbft/cometbft/types"

	"github.com/traceledger/traceledger/proof"
	"github.com/traceledger/traceledger/proof/internal/reftree"
	"github.com/traceledger/traceledger/proof/light"
	"github.com/traceledger/traceledger/proof/prooftest"
	traceledgerv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// benchBundle is a bundle of a 100-event history in a log of 10,000
// records, with the light blocks of a genesis trust root and the header
// H+1 (four validators, no validator-set change).
func benchBundle(b *testing.B) ([]byte, light.TrustRoot) {
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
		leaves = append(leaves, proof.LeafHash(rec))
		recLeaves = append(recLeaves, proof.RecordsLeafHash(i, rec))
		if subjectOf(i) {
			c := proof.ChainHash(chain, leaves[i])
			chain, last = c[:], i
		}
	}
	head, _ := (&traceledgerv1.Head{Count: events, LastIndex: last, ChainHash: chain}).Marshal()
	mapLeaves := []reftree.MapLeaf{{K: proof.MapKeyHash([]byte(traceledgerv1.HeadKey(subject))), V: proof.MapValueHash(head)}}
	for i := 0; i < 2000; i++ {
		mapLeaves = append(mapLeaves, reftree.KV(fmt.Sprintf("head/other-%d", i), "v"))
	}
	mapLeaves = reftree.SortMap(mapLeaves)
	logRoot, recRoot, mapRoot := reftree.MTH(leaves), reftree.MTH(recLeaves), reftree.MapHash(mapLeaves, 0)
	hist := &traceledgerv1.HistoryResponse{Roots: &traceledgerv1.StateRoots{Height: 200, LogSize: size, LogRoot: logRoot[:], MapRoot: mapRoot[:], RecordsRoot: recRoot[:]},
		Head: &traceledgerv1.ProvenValue{Key: traceledgerv1.HeadKey(subject), Value: head, Proof: reftree.MapProve(mapLeaves, proof.MapKeyHash([]byte(traceledgerv1.HeadKey(subject))))}}
	for i := uint64(0); i < size; i++ {
		if subjectOf(i) {
			hist.Records = append(hist.Records, &traceledgerv1.ProvenRecord{Index: i, Record: records[i],
				Inclusion: &traceledgerv1.LogInclusionProof{Index: i, Size_: size, Hashes: reftree.Path(int(i), leaves)}})
		}
	}
	vals := prooftest.NewValidators("bench", 4, 10)
	c := prooftest.NewChain("bench-chain", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	app := proof.AppHash(size, logRoot, mapRoot, recRoot)
	for h := int64(1); h <= 201; h++ {
		a := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(h)))
		if h == 201 {
			a = app
		}
		c.Append(vals, nil, a[:], nil)
	}
	bd, err := New("bench-chain", subject, Trust{Kind: "genesis", Height: 1}, hist, nil, []*types.LightBlock{c.At(1), c.At(201)}, time.Time{})
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
		bd, err := Decode(bytes.NewReader(doc))
		if err != nil {
			b.Fatal(err)
		}
		rep, err := Verify(bd, root, light.HeaderOptions{})
		if err != nil || rep.Count != 100 {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(doc)), "bundle-bytes")
}

func benchRoot(b *testing.B, vals []prooftest.Validator) light.TrustRoot {
	doc := &types.GenesisDoc{ChainID: "bench-chain", InitialHeight: 1}
	for _, v := range vals {
		doc.Validators = append(doc.Validators, types.GenesisValidator{PubKey: v.Key.PubKey(), Power: v.Power})
	}
	root, err := light.GenesisTrustRoot(doc)
	if err != nil {
		b.Fatal(err)
	}
	return root
}
