// SPDX-License-Identifier: Apache-2.0

package proofops

import (
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/cometbft/cometbft/crypto/merkle"

	"github.com/traceledger/traceledger/proof"
	"github.com/traceledger/traceledger/proof/internal/synth"
)

// BenchmarkInclusionProof measures the standard-format (ProofOps) proof of
// one record, from the record to the app hash, at 10^3, 10^5 and 10^7
// records: its size and its verification with CometBFT's runtime. Package
// proof's benchmark of the same name measures the native proof of the same
// record in the same logs.
func BenchmarkInclusionProof(b *testing.B) {
	for _, size := range []uint64{1_000, 100_000, 10_000_000} {
		index := size / 3
		logLeaf := func(i uint64) []byte { h := proof.LeafHash(synth.BenchRecord(i)); return h[:] }
		recLeaf := func(i uint64) []byte { h := proof.RecordsLeafHash(i, synth.BenchRecord(i)); return h[:] }
		var recPath [][]byte
		var logRoot, recRoot [32]byte
		setup := func() {
			start := time.Now()
			_, logRoot = synth.StreamProof(index, size, logLeaf)
			recPath, recRoot = synth.StreamProof(index, size, recLeaf)
			b.Logf("built the proofs at %d records in %s", size, time.Since(start).Round(time.Millisecond))
		}
		mapRoot := sha256.Sum256([]byte("map"))
		record := synth.BenchRecord(index)
		b.Run(fmt.Sprintf("records=%d/proofops", size), func(b *testing.B) {
			if recPath == nil {
				setup()
			}
			top := proof.AppHashLeaves(size, logRoot, mapRoot, recRoot)
			logMap := proof.NodeHash(top[0], top[1])
			app := proof.AppHash(size, logRoot, mapRoot, recRoot)
			ops := recordOpsForTest(index, record, size, recPath, top[proof.RecordsStoreIndex], logMap)
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
