// SPDX-License-Identifier: Apache-2.0

package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/traceledger/traceledger/api"
	"github.com/traceledger/traceledger/epcis"
	"github.com/traceledger/traceledger/proof"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// TestHistoryPages: ?offset= and ?limit= serve one page of a history with
// what proves it against the head; following the links walks the whole
// history, every page verifies offline from its evidence, and the pages
// together are the unpaged answer's records.
func TestHistoryPages(t *testing.T) {
	ts, s := apiServer(t, fx.url, api.Options{})
	var whole api.HistoryAnswer
	get(t, ts.URL+"/v1/history/"+seg(lotEPC)).answer(t, &whole)
	if whole.Page != nil || len(whole.Records) < 3 {
		t.Fatalf("the unpaged answer: page %+v, %d records", whole.Page, len(whole.Records))
	}
	var want []uint64
	for _, r := range whole.Records {
		want = append(want, r.Index)
	}
	count := uint64(len(want))

	// The newest page first (a limit alone), then the prev links back.
	var got []uint64
	next := "/v1/history/" + seg(lotDL) + "?limit=1"
	pages := 0
	for next != "" {
		var a api.HistoryAnswer
		_, ev := get(t, ts.URL+next).answer(t, &a)
		p := a.Page
		if p == nil || p.Count != count || len(a.Records) != 1 || a.Canonical != whole.Canonical {
			t.Fatalf("%s: page %+v with %d records", next, p, len(a.Records))
		}
		if pages == 0 && (p.Offset != count-1 || p.Next != "" || len(p.SuffixLeafHashes) != 0) {
			t.Fatalf("the newest page: %+v", p)
		}
		// Offline: the node's answer and the request it answered.
		var req tlv1.HistoryRequest
		var resp tlv1.HistoryResponse
		if len(ev.Answers) != 1 || req.Unmarshal(ev.Answers[0].Request) != nil || resp.Unmarshal(ev.Answers[0].Value) != nil {
			t.Fatalf("%s: evidence of %d answers", next, len(ev.Answers))
		}
		vp, err := proof.VerifyHistoryPage(a.Canonical, tlv1.HeadKey(a.Canonical), &req, &resp, nil)
		if err != nil || vp.Offset != p.Offset || vp.Records[0].Index != a.Records[0].Index {
			t.Fatalf("%s: the evidence does not prove the page: %v", next, err)
		}
		if uint64(len(p.SuffixLeafHashes)) != count-p.Offset-1 {
			t.Fatalf("%s: %d suffix hashes at offset %d of %d", next, len(p.SuffixLeafHashes), p.Offset, count)
		}
		got = append([]uint64{a.Records[0].Index}, got...)
		pages++
		next = p.Prev
	}
	if pages != int(count) || !slices.Equal(got, want) {
		t.Fatalf("%d pages gave %v, want %v", pages, got, want)
	}

	// Forward from the oldest by the next links.
	got = nil
	for next = "/v1/history/" + seg(lotEPC) + "?offset=0&limit=2"; next != ""; {
		var a api.HistoryAnswer
		get(t, ts.URL+next).answer(t, &a)
		for _, r := range a.Records {
			got = append(got, r.Index)
		}
		next = a.Page.Next
	}
	if !slices.Equal(got, want) {
		t.Fatalf("next links gave %v, want %v", got, want)
	}

	for _, q := range []string{"?limit=0", "?limit=1001", "?limit=x", "?offset=-1", "?offset=99&limit=2"} {
		r := get(t, ts.URL+"/v1/history/"+seg(lotEPC)+q)
		if r.status != http.StatusBadRequest {
			t.Fatalf("%s: status %d %s", q, r.status, r.body)
		}
		if pr := r.problem(t); tlv1.Code(pr.Code) != tlv1.CodeInvalidQuery {
			t.Fatalf("%s: %+v", q, pr)
		}
	}
	if r := get(t, ts.URL+"/v1/history/"+seg(unknownLot)+"?limit=5"); r.status != http.StatusNotFound {
		t.Fatalf("an unknown lot's page: %d %s", r.status, r.body)
	}
	if n := s.VerificationFailures(); n != 0 {
		t.Fatalf("%d verification failures in front of an honest node", n)
	}

	// A node that forges the chain before a page is refused, and counted.
	lying, ls := apiServer(t, tamperingProxy(t, fx.url, func(b []byte) {
		var hr tlv1.HistoryResponse
		if hr.Unmarshal(b) != nil || len(hr.ChainBefore) != 32 {
			return
		}
		hr.ChainBefore[0] ^= 1
		out, err := hr.Marshal()
		if err == nil && len(out) == len(b) {
			copy(b, out)
		}
	}), api.Options{})
	r := get(t, lying.URL+"/v1/history/"+seg(lotEPC)+"?offset=1&limit=1")
	if r.status != http.StatusBadGateway || tlv1.Code(r.problem(t).Code) != tlv1.CodeAPINotVerified || ls.VerificationFailures() != 1 {
		t.Fatalf("a page with a forged chain before: %d %s", r.status, r.body)
	}
}

// TestWholeHistoryWalk: reads that need a whole history walk it page by
// page at one height (here one record a page), serving the same records
// as a one-page read, every page in the evidence; a history longer than
// the read's cap is refused with 400 telling the caller to page.
func TestWholeHistoryWalk(t *testing.T) {
	canonical, err := epcis.CanonicalIdentifier(lotEPC)
	if err != nil {
		t.Fatal(err)
	}
	ts, _ := apiServer(t, fx.url, api.Options{})
	var one api.HistoryAnswer
	get(t, ts.URL+"/v1/history/"+seg(lotEPC)).answer(t, &one)

	pts, ps := apiServer(t, fx.url, api.Options{})
	api.SetHistoryWalk(ps, 1, 100, 100)
	var paged api.HistoryAnswer
	_, ev := get(t, pts.URL+"/v1/history/"+seg(lotEPC)).answer(t, &paged)
	if len(paged.Records) != len(one.Records) || paged.Head.Count != one.Head.Count || len(ev.Answers) != len(one.Records) {
		t.Fatalf("walked %d records in %d answers, want %d", len(paged.Records), len(ev.Answers), len(one.Records))
	}
	for i, r := range paged.Records {
		if r.Index != one.Records[i].Index || !slices.Equal(r.Bytes, one.Records[i].Bytes) {
			t.Fatalf("record %d differs between the walk and the one-page read", i)
		}
	}
	for _, p := range []string{"/v1/credit/farm", "/v1/trace/back/" + seg(lotEPC), "/v1/attestations/" + seg(attID) + "?valid_at=" + fmt.Sprint(time.Now().UnixMilli())} {
		if r := get(t, pts.URL+p); r.status != http.StatusOK {
			t.Fatalf("%s walked in pages: %d %s", p, r.status, r.body)
		}
	}

	capped, cs := apiServer(t, fx.url, api.Options{})
	api.SetHistoryWalk(cs, 1, 2, 2)
	for _, p := range []string{"/v1/history/" + seg(lotEPC), "/v1/trace/back/" + seg(lotEPC)} {
		r := get(t, capped.URL+p)
		pr := r.problem(t)
		if r.status != http.StatusBadRequest || tlv1.Code(pr.Code) != tlv1.CodeInvalidQuery || pr.Field != "identifier" || !strings.Contains(pr.Hint, "/v1/history/"+seg(canonical)) {
			t.Fatalf("%s: a history over the cap: %d %s", p, r.status, r.body)
		}
	}
}
