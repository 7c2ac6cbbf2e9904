// SPDX-License-Identifier: Apache-2.0

package app

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/traceledger/traceledger/proof"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// floodedApp returns an app where subject has n records (an unrelated
// enterprise's flood, as in issue 16), other records around them, and the
// last app hash.
func floodedApp(t *testing.T, subject string, n int) (*App, []byte, []uint64) {
	t.Helper()
	f := newFixture(t)
	a := openApp(t, "", nil)
	initChain(t, a, f)
	const perTx = 500
	var last []byte
	seq := uint64(0)
	for h, written := int64(1), 0; written < n; h++ {
		var txs [][]byte
		for k := 0; k < 4 && written < n; k++ {
			var msgs []*tlv1.Msg
			for m := 0; m < perTx && written < n; m++ {
				msgs = append(msgs, eventMsg(subject, fmt.Sprintf("flood-%d", written), blockTime(h).Add(-60e9)))
				written++
			}
			// A record of another lot between the batches, so the
			// subject's log indexes are not contiguous.
			msgs = append(msgs, eventMsg("urn:epc:class:lgtin:6901234.500012.OTHER", fmt.Sprintf("other-%d", h*10+int64(k)), blockTime(h).Add(-60e9)))
			txs = append(txs, signTx(t, f.market, seq, testChainID, msgs...))
			seq++
		}
		r, err := finalize(t, a, h, txs)
		if err != nil {
			t.Fatal(err)
		}
		for i, tr := range r.TxResults {
			if tr.Code != 0 {
				t.Fatalf("block %d tx %d: code %d %s", h, i, tr.Code, tr.Log)
			}
		}
		last = r.AppHash
	}
	// The subject's log indexes, read from the node's own index.
	v := a.st.viewAt(a.cur.info.Height)
	defer v.discard()
	var idx []uint64
	for i := 0; i < n; i++ {
		x, err := v.historyIndex(subject, uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		idx = append(idx, x)
	}
	return a, last, idx
}

func historyAnswer(t *testing.T, a *App, req *tlv1.HistoryRequest) (*tlv1.HistoryResponse, uint32, string) {
	t.Helper()
	res, bz := query(t, a, tlv1.PathHistory, req, 0)
	if res.Code != 0 {
		return nil, res.Code, res.Log
	}
	var resp tlv1.HistoryResponse
	if err := resp.Unmarshal(bz); err != nil {
		t.Fatal(err)
	}
	return &resp, 0, ""
}

// TestHistoryPagesOfAFlood: a history longer than one answer (issue 16,
// finding 1) is refused unpaged with a pointer to pages, and its pages,
// walked from the newest back with anchors or from the oldest forward
// against the head, each verify and together are the whole history.
func TestHistoryPagesOfAFlood(t *testing.T) {
	subject := mustCanonical("urn:epc:class:lgtin:6901234.500012.VICTIM")
	n := MaxHistoryRecords + 1
	a, appHash, want := floodedApp(t, subject, n)
	defer a.Close()
	key := tlv1.HeadKey(subject)

	_, code, log := historyAnswer(t, a, &tlv1.HistoryRequest{Subject: subject})
	if code != uint32(tlv1.CodeInvalidQuery) || !strings.Contains(log, "pages") {
		t.Fatalf("unpaged history of %d records: code %d %q, want %d pointing at pages", n, code, log, tlv1.CodeInvalidQuery)
	}

	t.Run("newest back with anchors", func(t *testing.T) {
		req := &tlv1.HistoryRequest{Subject: subject, FromEnd: true, Limit: tlv1.MaxHistoryPage}
		var got []uint64
		var anchor []byte
		pages := 0
		for {
			resp, code, log := historyAnswer(t, a, req)
			if code != 0 {
				t.Fatalf("page %+v: code %d %s", req, code, log)
			}
			verifyAppHash(t, resp.Roots, appHash)
			if pages > 0 && len(resp.SuffixLeafHashes) != 0 {
				t.Fatalf("an anchored page carries %d suffix hashes", len(resp.SuffixLeafHashes))
			}
			vp, err := proof.VerifyHistoryPage(subject, key, req, resp, anchor)
			if err != nil {
				t.Fatalf("page at %d: %v", resp.Offset, err)
			}
			ids := make([]uint64, 0, len(vp.Records))
			for _, r := range vp.Records {
				ids = append(ids, r.Index)
			}
			got = append(ids, got...)
			pages++
			if vp.Offset == 0 {
				break
			}
			l := min(vp.Offset, tlv1.MaxHistoryPage)
			req = &tlv1.HistoryRequest{Subject: subject, Offset: vp.Offset - l, Limit: uint32(l), Anchor: vp.Offset}
			anchor = vp.ChainBefore
		}
		if pages != 11 || !slices.Equal(got, want) {
			t.Fatalf("%d pages gave %d records, want 11 pages of the %d records in order", pages, len(got), len(want))
		}
	})

	t.Run("oldest forward against the head", func(t *testing.T) {
		var got []uint64
		for off := uint64(0); off < uint64(n); off += tlv1.MaxHistoryPage {
			req := &tlv1.HistoryRequest{Subject: subject, Offset: off, Limit: 5000} // capped at MaxHistoryPage
			resp, code, log := historyAnswer(t, a, req)
			if code != 0 {
				t.Fatalf("page at %d: code %d %s", off, code, log)
			}
			vp, err := proof.VerifyHistoryPage(subject, key, req, resp, nil)
			if err != nil {
				t.Fatalf("page at %d: %v", off, err)
			}
			if wantSuffix := uint64(n) - vp.End(); uint64(len(resp.SuffixLeafHashes)) != wantSuffix {
				t.Fatalf("page at %d: %d suffix hashes, want %d", off, len(resp.SuffixLeafHashes), wantSuffix)
			}
			for _, r := range vp.Records {
				got = append(got, r.Index)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("forward pages gave %d records, want the %d in order", len(got), len(want))
		}
	})

	bad := []struct {
		name string
		req  *tlv1.HistoryRequest
	}{
		{"offset beyond count", &tlv1.HistoryRequest{Subject: subject, Offset: uint64(n) + 1, Limit: 10}},
		{"from end beyond count", &tlv1.HistoryRequest{Subject: subject, Offset: uint64(n) + 1, Limit: 10, FromEnd: true}},
		{"offset without limit", &tlv1.HistoryRequest{Subject: subject, Offset: 5}},
		{"anchor inside the page", &tlv1.HistoryRequest{Subject: subject, Offset: 5, Limit: 10, Anchor: 6}},
		{"anchor beyond count", &tlv1.HistoryRequest{Subject: subject, Offset: 5, Limit: 10, Anchor: uint64(n) + 1}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if _, code, log := historyAnswer(t, a, tc.req); code != uint32(tlv1.CodeInvalidQuery) {
				t.Fatalf("code %d %q, want %d", code, log, tlv1.CodeInvalidQuery)
			}
		})
	}
}

// TestHistoryWholePageIsTheUnpagedAnswer: a page that covers a whole
// history is byte for byte the unpaged answer, so older verifiers and
// bundles read it unchanged; and an unknown subject's page is its absence.
func TestHistoryWholePageIsTheUnpagedAnswer(t *testing.T) {
	a, _ := builtApp(t)
	defer a.Close()
	subject := mustCanonical("urn:epc:class:lgtin:6901234.500012.L1")
	_, unpaged := query(t, a, tlv1.PathHistory, &tlv1.HistoryRequest{Subject: subject}, 0)
	_, page := query(t, a, tlv1.PathHistory, &tlv1.HistoryRequest{Subject: subject, FromEnd: true, Limit: tlv1.MaxHistoryPage}, 0)
	if string(unpaged) != string(page) || len(page) == 0 {
		t.Fatal("the newest page of a short history differs from its unpaged answer")
	}
	nobody := mustCanonical("urn:epc:class:lgtin:0000000.000000.NOPE")
	req := &tlv1.HistoryRequest{Subject: nobody, Offset: 3, Limit: 10}
	resp, code, log := historyAnswer(t, a, req)
	if code != 0 {
		t.Fatal(log)
	}
	if vp, err := proof.VerifyHistoryPage(nobody, tlv1.HeadKey(nobody), req, resp, nil); err != nil || vp.Head != nil {
		t.Fatalf("absent subject's page: %+v %v", vp, err)
	}
}
