// SPDX-License-Identifier: Apache-2.0

package proof_test

import (
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/traceledger/traceledger/proof"
	"github.com/traceledger/traceledger/proof/internal/synth"
	traceledgerv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// BenchmarkInclusionProof measures the inclusion proof of one record, from
// the record to the app hash (record -> log root -> app hash; the header
// check is not included), at 10^3, 10^5 and 10^7 records: its size and the
// time to verify it. The standard-format (ProofOps) proof of the same
// record is measured by package proofops's benchmark of the same name.
// (An external test: package synth imports package proof.)
func BenchmarkInclusionProof(b *testing.B) {
	for _, size := range []uint64{1_000, 100_000, 10_000_000} {
		index := size / 3
		logLeaf := func(i uint64) []byte { h := proof.LeafHash(synth.BenchRecord(i)); return h[:] }
		recLeaf := func(i uint64) []byte { h := proof.RecordsLeafHash(i, synth.BenchRecord(i)); return h[:] }
		var path [][]byte
		var logRoot, recRoot [32]byte
		setup := func() {
			start := time.Now()
			path, logRoot = synth.StreamProof(index, size, logLeaf)
			_, recRoot = synth.StreamProof(index, size, recLeaf)
			b.Logf("built the proofs at %d records in %s", size, time.Since(start).Round(time.Millisecond))
		}
		mapRoot := sha256.Sum256([]byte("map"))
		record := synth.BenchRecord(index)
		b.Run(fmt.Sprintf("records=%d/log", size), func(b *testing.B) {
			if path == nil {
				setup()
			}
			roots := &traceledgerv1.StateRoots{Height: 100, LogSize: size, LogRoot: logRoot[:], MapRoot: mapRoot[:], RecordsRoot: recRoot[:]}
			app := proof.AppHash(size, logRoot, mapRoot, recRoot)
			pr := &traceledgerv1.ProvenRecord{Index: index, Record: record, Inclusion: &traceledgerv1.LogInclusionProof{Index: index, Size_: size, Hashes: path}}
			ans := &traceledgerv1.RecordResponse{Roots: roots, Record: pr}
			ab, _ := ans.Marshal()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := proof.VerifyRecord(roots, pr); err != nil {
					b.Fatal(err)
				}
				got, err := proof.AppHashOf(roots)
				if err != nil || got != app {
					b.Fatal("app hash")
				}
			}
			b.ReportMetric(float64(len(path)*proof.HashSize), "path-bytes")
			b.ReportMetric(float64(len(ab)-len(record)), "proof-bytes")
			b.ReportMetric(float64(len(record)), "record-bytes")
		})
	}
}
