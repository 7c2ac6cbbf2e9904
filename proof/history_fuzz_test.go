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

// FuzzVerifyHistoryPage checks arbitrary page answers to arbitrary
// requests: no panic, and an accepted page is the one the request selects
// from the proven head, chained from its chain_before to the head (or the
// anchor). The seeds are honest pages at the start, middle and end, from
// the newest and anchored (testdata/fuzz/FuzzVerifyHistoryPage holds them
// encoded, with tampered ones).
func FuzzVerifyHistoryPage(f *testing.F) {
	s := synth.New(f, 1)
	for _, req := range []*traceledgerv1.HistoryRequest{
		{Limit: 2}, {Offset: 1, Limit: 2}, {Offset: 2, Limit: 2}, {FromEnd: true, Limit: 3}, {Limit: 1, Anchor: 2}, {},
	} {
		req.Subject = synth.Subject
		rb, _ := req.Marshal()
		pb, _ := s.HistoryPage(f, req).Marshal()
		var anchor []byte
		if req.Anchor != 0 {
			anchor = s.ChainAt(int(req.Anchor))
		}
		f.Add(rb, pb, anchor)
	}
	f.Fuzz(func(t *testing.T, reqBytes, respBytes, anchor []byte) {
		var req traceledgerv1.HistoryRequest
		var resp traceledgerv1.HistoryResponse
		if req.Unmarshal(reqBytes) != nil || resp.Unmarshal(respBytes) != nil {
			return
		}
		req.Subject = synth.Subject
		vp, err := proof.VerifyHistoryPage(synth.Subject, traceledgerv1.HeadKey(synth.Subject), &req, &resp, anchor)
		if err != nil {
			return
		}
		if vp.Head == nil {
			if len(vp.Records) != 0 {
				t.Fatalf("accepted %d records for an absent subject", len(vp.Records))
			}
			return
		}
		b, err := proof.HistoryPageBounds(&req, vp.Head.Count)
		if err != nil {
			t.Fatalf("accepted a page the request cannot select: %v", err)
		}
		if vp.Offset != b.Start || vp.End() != b.End {
			t.Fatalf("accepted positions %d..%d, the request selects %d..%d", vp.Offset, vp.End(), b.Start, b.End)
		}
		chain := vp.ChainBefore
		for _, r := range vp.Records {
			c := proof.ChainHash(chain, r.LeafHash)
			chain = c[:]
		}
		for _, lh := range resp.SuffixLeafHashes {
			c := proof.ChainHash(chain, [32]byte(lh))
			chain = c[:]
		}
		want := vp.Head.ChainHash
		if req.Anchor != 0 {
			want = anchor
		}
		if string(chain) != string(want) {
			t.Fatalf("accepted a page that does not chain to %X", want)
		}
	})
}
