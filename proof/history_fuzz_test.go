// SPDX-License-Identifier: Apache-2.0

package proof_test

import (
	"testing"

	"github.com/traceledger/traceledger/proof"
	"github.com/traceledger/traceledger/proof/internal/synth"
	traceledgerv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// This file is an external test: package synth builds its states with
// package proof, so tests that use it cannot live inside package proof.

// FuzzVerifyHistory checks arbitrary history answers: no panic, and an
// accepted answer is complete by construction (count and chain hash).
func FuzzVerifyHistory(f *testing.F) {
	s := synth.New(f, 1)
	hist := s.History(f, synth.Subject)
	raw, err := hist.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	absent, _ := s.History(f, "nobody").Marshal()
	f.Add(absent)
	f.Fuzz(func(t *testing.T, data []byte) {
		var resp traceledgerv1.HistoryResponse
		if err := resp.Unmarshal(data); err != nil {
			return
		}
		vh, err := proof.VerifyHistory(synth.Subject, traceledgerv1.HeadKey(synth.Subject), &resp)
		if err != nil {
			return
		}
		if vh.Head != nil && uint64(len(vh.Records)) != vh.Head.Count {
			t.Fatalf("accepted %d records for a head of %d", len(vh.Records), vh.Head.Count)
		}
	})
}
