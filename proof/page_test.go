// SPDX-License-Identifier: Apache-2.0

package proof_test

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/traceledger/traceledger/proof"
	"github.com/traceledger/traceledger/proof/internal/synth"
	traceledgerv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

func TestHistoryPageBounds(t *testing.T) {
	const big = traceledgerv1.MaxHistorySuffix + 2*traceledgerv1.MaxHistoryPage
	tests := []struct {
		name  string
		req   traceledgerv1.HistoryRequest
		count uint64
		want  proof.PageBounds
		err   error
	}{
		{"unpaged", traceledgerv1.HistoryRequest{}, 4, proof.PageBounds{Count: 4, End: 4, SuffixEnd: 4}, nil},
		{"unpaged, empty", traceledgerv1.HistoryRequest{}, 0, proof.PageBounds{}, nil},
		{"unpaged with offset", traceledgerv1.HistoryRequest{Offset: 1}, 4, proof.PageBounds{}, proof.ErrOutOfRange},
		{"unpaged from end", traceledgerv1.HistoryRequest{FromEnd: true}, 4, proof.PageBounds{}, proof.ErrOutOfRange},
		{"unpaged with anchor", traceledgerv1.HistoryRequest{Anchor: 2}, 4, proof.PageBounds{}, proof.ErrOutOfRange},
		{"first page", traceledgerv1.HistoryRequest{Limit: 2}, 4, proof.PageBounds{Count: 4, Start: 0, End: 2, SuffixEnd: 4}, nil},
		{"middle page", traceledgerv1.HistoryRequest{Offset: 1, Limit: 2}, 4, proof.PageBounds{Count: 4, Start: 1, End: 3, SuffixEnd: 4}, nil},
		{"last page, short", traceledgerv1.HistoryRequest{Offset: 3, Limit: 2}, 4, proof.PageBounds{Count: 4, Start: 3, End: 4, SuffixEnd: 4}, nil},
		{"empty page at the end", traceledgerv1.HistoryRequest{Offset: 4, Limit: 2}, 4, proof.PageBounds{Count: 4, Start: 4, End: 4, SuffixEnd: 4}, nil},
		{"offset beyond count", traceledgerv1.HistoryRequest{Offset: 5, Limit: 2}, 4, proof.PageBounds{}, proof.ErrOutOfRange},
		{"newest page", traceledgerv1.HistoryRequest{FromEnd: true, Limit: 3}, 4, proof.PageBounds{Count: 4, Start: 1, End: 4, SuffixEnd: 4}, nil},
		{"from end, short", traceledgerv1.HistoryRequest{FromEnd: true, Offset: 3, Limit: 3}, 4, proof.PageBounds{Count: 4, Start: 0, End: 1, SuffixEnd: 4}, nil},
		{"from end, beyond", traceledgerv1.HistoryRequest{FromEnd: true, Offset: 5, Limit: 3}, 4, proof.PageBounds{}, proof.ErrOutOfRange},
		{"anchor", traceledgerv1.HistoryRequest{Limit: 2, Anchor: 3}, 4, proof.PageBounds{Count: 4, Start: 0, End: 2, SuffixEnd: 3}, nil},
		{"anchor at the end", traceledgerv1.HistoryRequest{Limit: 2, Anchor: 2}, 4, proof.PageBounds{Count: 4, Start: 0, End: 2, SuffixEnd: 2}, nil},
		{"anchor inside the page", traceledgerv1.HistoryRequest{Limit: 2, Anchor: 1}, 4, proof.PageBounds{}, proof.ErrOutOfRange},
		{"anchor beyond count", traceledgerv1.HistoryRequest{Limit: 2, Anchor: 5}, 4, proof.PageBounds{}, proof.ErrOutOfRange},
		{"limit capped", traceledgerv1.HistoryRequest{Limit: 5000}, 3000, proof.PageBounds{Count: 3000, End: traceledgerv1.MaxHistoryPage, SuffixEnd: 3000}, nil},
		{"suffix too long", traceledgerv1.HistoryRequest{Limit: traceledgerv1.MaxHistoryPage}, big, proof.PageBounds{}, proof.ErrOutOfRange},
		{"suffix at the cap", traceledgerv1.HistoryRequest{Offset: big - traceledgerv1.MaxHistorySuffix - traceledgerv1.MaxHistoryPage, Limit: traceledgerv1.MaxHistoryPage}, big,
			proof.PageBounds{Count: big, Start: big - traceledgerv1.MaxHistorySuffix - traceledgerv1.MaxHistoryPage, End: big - traceledgerv1.MaxHistorySuffix, SuffixEnd: big}, nil},
		{"deep page anchored", traceledgerv1.HistoryRequest{Limit: traceledgerv1.MaxHistoryPage, Anchor: traceledgerv1.MaxHistoryPage}, big,
			proof.PageBounds{Count: big, End: traceledgerv1.MaxHistoryPage, SuffixEnd: traceledgerv1.MaxHistoryPage}, nil},
		{"newest page of a flood", traceledgerv1.HistoryRequest{FromEnd: true, Limit: 10}, big, proof.PageBounds{Count: big, Start: big - 10, End: big, SuffixEnd: big}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := proof.HistoryPageBounds(&tc.req, tc.count)
			if !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if err == nil && got != tc.want {
				t.Fatalf("bounds %+v, want %+v", got, tc.want)
			}
		})
	}
}

// page is a request and the honest answer to it.
func page(t *testing.T, s *synth.State, req *traceledgerv1.HistoryRequest) *traceledgerv1.HistoryResponse {
	req.Subject = synth.Subject
	return s.HistoryPage(t, req)
}

func TestVerifyHistoryPageHonest(t *testing.T) {
	s := synth.New(t, 7)
	full := s.History(t, synth.Subject)
	idx := synth.SubjectIndexes()
	tests := []struct {
		name        string
		req         traceledgerv1.HistoryRequest
		anchor      []byte
		start, end  int
		wantSuffix  int
		wantNewest  bool
		wantNoExtra bool // the answer is byte-identical to the unpaged one
	}{
		{"first page", traceledgerv1.HistoryRequest{Limit: 2}, nil, 0, 2, 2, false, false},
		{"middle page", traceledgerv1.HistoryRequest{Offset: 1, Limit: 2}, nil, 1, 3, 1, false, false},
		{"last page", traceledgerv1.HistoryRequest{Offset: 2, Limit: 2}, nil, 2, 4, 0, true, false},
		{"last page, short", traceledgerv1.HistoryRequest{Offset: 3, Limit: 5}, nil, 3, 4, 0, true, false},
		{"empty page after the newest", traceledgerv1.HistoryRequest{Offset: 4, Limit: 5}, nil, 4, 4, 0, true, false},
		{"newest page", traceledgerv1.HistoryRequest{FromEnd: true, Limit: 3}, nil, 1, 4, 0, true, false},
		{"second newest page", traceledgerv1.HistoryRequest{FromEnd: true, Offset: 2, Limit: 1}, nil, 1, 2, 2, false, false},
		{"whole history as a page", traceledgerv1.HistoryRequest{FromEnd: true, Limit: 10}, nil, 0, 4, 0, true, true},
		{"anchored page", traceledgerv1.HistoryRequest{Limit: 2, Anchor: 2}, s.ChainAt(2), 0, 2, 0, false, false},
		{"anchored page with a suffix", traceledgerv1.HistoryRequest{Offset: 1, Limit: 1, Anchor: 3}, s.ChainAt(3), 1, 2, 1, false, false},
		{"anchored at the head", traceledgerv1.HistoryRequest{Offset: 2, Limit: 2, Anchor: 4}, s.ChainAt(4), 2, 4, 0, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := page(t, s, &tc.req)
			if len(resp.SuffixLeafHashes) != tc.wantSuffix {
				t.Fatalf("honest answer has %d suffix hashes, want %d", len(resp.SuffixLeafHashes), tc.wantSuffix)
			}
			vp, err := proof.VerifyHistoryPage(synth.Subject, traceledgerv1.HeadKey(synth.Subject), &tc.req, resp, tc.anchor)
			if err != nil {
				t.Fatal(err)
			}
			if vp.Offset != uint64(tc.start) || len(vp.Records) != tc.end-tc.start || vp.Newest() != tc.wantNewest {
				t.Fatalf("page at %d with %d records (newest %v), want %d..%d (newest %v)", vp.Offset, len(vp.Records), vp.Newest(), tc.start, tc.end, tc.wantNewest)
			}
			for i, r := range vp.Records {
				if r.Index != idx[vp.Position(i)] {
					t.Fatalf("position %d is log index %d, want %d", vp.Position(i), r.Index, idx[vp.Position(i)])
				}
			}
			if !bytes.Equal(vp.ChainBefore, s.ChainAt(tc.start)) {
				t.Fatalf("chain before %X, want %X", vp.ChainBefore, s.ChainAt(tc.start))
			}
			if tc.wantNoExtra {
				a, _ := resp.Marshal()
				b, _ := full.Marshal()
				if !bytes.Equal(a, b) {
					t.Fatal("a page that is the whole history differs from the unpaged answer")
				}
			}
		})
	}
	t.Run("absent subject", func(t *testing.T) {
		req := &traceledgerv1.HistoryRequest{Subject: "nobody", Limit: 2, Offset: 3}
		vp, err := proof.VerifyHistoryPage("nobody", traceledgerv1.HeadKey("nobody"), req, s.History(t, "nobody"), nil)
		if err != nil || vp.Head != nil || len(vp.Records) != 0 {
			t.Fatalf("absent subject: %+v, %v", vp, err)
		}
	})
	t.Run("pages together are the history", func(t *testing.T) {
		var got []uint64
		var anchor []byte
		var start uint64
		for first := true; first || start > 0; first = false {
			req := &traceledgerv1.HistoryRequest{FromEnd: true, Limit: 3}
			if !first {
				req = &traceledgerv1.HistoryRequest{Offset: start - min(start, 3), Limit: uint32(min(start, 3)), Anchor: start}
			}
			vp, err := proof.VerifyHistoryPage(synth.Subject, traceledgerv1.HeadKey(synth.Subject), req, page(t, s, req), anchor)
			if err != nil {
				t.Fatal(err)
			}
			var ids []uint64
			for _, r := range vp.Records {
				ids = append(ids, r.Index)
			}
			got = append(ids, got...)
			start, anchor = vp.Offset, vp.ChainBefore
		}
		if !slices.Equal(got, idx) {
			t.Fatalf("walk gave %v, want %v", got, idx)
		}
	})
}

func TestVerifyHistoryPageAttacks(t *testing.T) {
	s := synth.New(t, 7)
	other := s.History(t, synth.Subject).Records
	middle := traceledgerv1.HistoryRequest{Offset: 1, Limit: 2}
	first := traceledgerv1.HistoryRequest{Limit: 2}
	newest := traceledgerv1.HistoryRequest{FromEnd: true, Limit: 2}
	anchored := traceledgerv1.HistoryRequest{Limit: 2, Anchor: 3}
	tests := []struct {
		name   string
		req    traceledgerv1.HistoryRequest
		anchor []byte
		tamper func(*traceledgerv1.HistoryResponse)
		err    error
	}{
		{"dropped record", middle, nil, func(r *traceledgerv1.HistoryResponse) { r.Records = r.Records[:1] }, proof.ErrChainMismatch},
		{"dropped record, leaf moved to the suffix", middle, nil, func(r *traceledgerv1.HistoryResponse) {
			lh := proof.LeafHash(r.Records[1].Record)
			r.Records = r.Records[:1]
			r.SuffixLeafHashes = append([][]byte{lh[:]}, r.SuffixLeafHashes...)
		}, proof.ErrChainMismatch},
		{"added record", middle, nil, func(r *traceledgerv1.HistoryResponse) { r.Records = append(r.Records, other[3]) }, proof.ErrChainMismatch},
		{"added record, suffix shortened", middle, nil, func(r *traceledgerv1.HistoryResponse) {
			r.Records = append(r.Records, other[3])
			r.SuffixLeafHashes = nil
		}, proof.ErrChainMismatch},
		{"reordered records", middle, nil, func(r *traceledgerv1.HistoryResponse) { r.Records[0], r.Records[1] = r.Records[1], r.Records[0] }, proof.ErrChainMismatch},
		{"another record in the page", middle, nil, func(r *traceledgerv1.HistoryResponse) { r.Records[1] = other[3] }, proof.ErrChainMismatch},
		{"forged chain before", middle, nil, func(r *traceledgerv1.HistoryResponse) { r.ChainBefore = bytes.Repeat([]byte{1}, 32) }, proof.ErrChainMismatch},
		{"short chain before", middle, nil, func(r *traceledgerv1.HistoryResponse) { r.ChainBefore = r.ChainBefore[:31] }, proof.ErrMalformedProof},
		{"no chain before a middle page", middle, nil, func(r *traceledgerv1.HistoryResponse) { r.ChainBefore = nil }, proof.ErrMalformedProof},
		{"chain before the first page", first, nil, func(r *traceledgerv1.HistoryResponse) { r.ChainBefore = s.ChainAt(1) }, proof.ErrChainMismatch},
		{"suffix too short", first, nil, func(r *traceledgerv1.HistoryResponse) { r.SuffixLeafHashes = r.SuffixLeafHashes[1:] }, proof.ErrChainMismatch},
		{"suffix too long", first, nil, func(r *traceledgerv1.HistoryResponse) {
			r.SuffixLeafHashes = append(r.SuffixLeafHashes, r.SuffixLeafHashes[0])
		}, proof.ErrChainMismatch},
		{"suffix on the newest page", newest, nil, func(r *traceledgerv1.HistoryResponse) {
			r.SuffixLeafHashes = [][]byte{bytes.Repeat([]byte{2}, 32)}
		}, proof.ErrChainMismatch},
		{"wrong suffix hash", first, nil, func(r *traceledgerv1.HistoryResponse) { r.SuffixLeafHashes[1] = bytes.Repeat([]byte{3}, 32) }, proof.ErrChainMismatch},
		{"suffix hashes swapped", first, nil, func(r *traceledgerv1.HistoryResponse) {
			r.SuffixLeafHashes[0], r.SuffixLeafHashes[1] = r.SuffixLeafHashes[1], r.SuffixLeafHashes[0]
		}, proof.ErrChainMismatch},
		{"short suffix hash", first, nil, func(r *traceledgerv1.HistoryResponse) { r.SuffixLeafHashes[1] = r.SuffixLeafHashes[1][:31] }, proof.ErrMalformedProof},
		{"offset lying", middle, nil, func(r *traceledgerv1.HistoryResponse) { r.Offset = 0 }, proof.ErrAnswerMismatch},
		{"another page for the one asked", middle, nil, func(r *traceledgerv1.HistoryResponse) {
			*r = *s.HistoryPage(t, &traceledgerv1.HistoryRequest{Subject: synth.Subject, Offset: 2, Limit: 2})
			r.Offset = 1
		}, proof.ErrChainMismatch},
		{"older page as the newest", newest, nil, func(r *traceledgerv1.HistoryResponse) {
			*r = *s.HistoryPage(t, &traceledgerv1.HistoryRequest{Subject: synth.Subject, Offset: 1, Limit: 2})
		}, proof.ErrAnswerMismatch},
		{"older page as the newest, suffix dropped", newest, nil, func(r *traceledgerv1.HistoryResponse) {
			*r = *s.HistoryPage(t, &traceledgerv1.HistoryRequest{Subject: synth.Subject, Offset: 1, Limit: 2})
			r.Offset, r.SuffixLeafHashes = 2, nil
		}, proof.ErrChainMismatch},
		{"anchored page against a wrong anchor", anchored, s.ChainAt(2), nil, proof.ErrChainMismatch},
		{"anchored page without the anchor's chain", anchored, nil, nil, proof.ErrMalformedProof},
		{"anchored page, suffix to the head", anchored, s.ChainAt(3), func(r *traceledgerv1.HistoryResponse) {
			*r = *s.HistoryPage(t, &traceledgerv1.HistoryRequest{Subject: synth.Subject, Limit: 2})
		}, proof.ErrChainMismatch},
		{"anchor at the head, wrong chain", traceledgerv1.HistoryRequest{Offset: 2, Limit: 2, Anchor: 4}, s.ChainAt(3), nil, proof.ErrChainMismatch},
		{"unpaged answer with a suffix", traceledgerv1.HistoryRequest{}, nil, func(r *traceledgerv1.HistoryResponse) {
			r.Records = r.Records[:3]
			lh := proof.LeafHash(other[3].Record)
			r.SuffixLeafHashes = [][]byte{lh[:]}
		}, proof.ErrChainMismatch},
		{"unpaged answer that is a later page", traceledgerv1.HistoryRequest{}, nil, func(r *traceledgerv1.HistoryResponse) {
			*r = *s.HistoryPage(t, &traceledgerv1.HistoryRequest{Subject: synth.Subject, Offset: 1, Limit: 3})
		}, proof.ErrAnswerMismatch},
		{"head of another subject", first, nil, func(r *traceledgerv1.HistoryResponse) {
			r.Head = s.History(t, "nobody").Head
		}, proof.ErrAnswerMismatch},
		{"no roots", first, nil, func(r *traceledgerv1.HistoryResponse) { r.Roots = nil }, proof.ErrMalformedProof},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.req
			resp := page(t, s, &req)
			if tc.tamper != nil {
				tc.tamper(resp)
			}
			_, err := proof.VerifyHistoryPage(synth.Subject, traceledgerv1.HeadKey(synth.Subject), &req, resp, tc.anchor)
			if !errors.Is(err, tc.err) {
				t.Fatalf("got %v, want %v", err, tc.err)
			}
		})
	}
}
