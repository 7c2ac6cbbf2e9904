// SPDX-License-Identifier: Apache-2.0

package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/traceledger/traceledger/api"
	"github.com/traceledger/traceledger/epcis"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// TestLotRecalls: GET /v1/recalls?lot= lists the recalls recorded against
// a lot from its complete history, in any spelling; a lot without recalls
// has a proven empty list, an unknown lot a proven absence, bad input 400,
// and a lying node's answer is refused.
func TestLotRecalls(t *testing.T) {
	ts, s := apiServer(t, fx.url, api.Options{})
	canonical, err := epcis.CanonicalIdentifier(recalledLot)
	if err != nil {
		t.Fatal(err)
	}
	dl := strings.Replace(canonical, "https://id.gs1.org/", "https://example.com/", 1)
	for _, lot := range []string{recalledLot, canonical, dl} {
		var a api.LotRecallsAnswer
		_, ev := get(t, ts.URL+"/v1/recalls?lot="+url.QueryEscape(lot)).answer(t, &a)
		if a.Canonical != canonical || a.Lot != lot || len(a.Recalls) != 1 || a.Recalls[0].ID != recallID || a.Recalls[0].Record.Kind == "" {
			t.Fatalf("%s: %+v", lot, a)
		}
		if a.Head.Count < 2 || ev.Answers[0].Path != tlv1.PathHistory {
			t.Fatalf("%s: head %+v, evidence %s", lot, a.Head, ev.Answers[0].Path)
		}
	}
	var none api.LotRecallsAnswer
	get(t, ts.URL+"/v1/recalls?lot="+url.QueryEscape(lotEPC)).answer(t, &none)
	if len(none.Recalls) != 0 || none.Head.Count == 0 {
		t.Fatalf("a lot without recalls: %+v", none)
	}
	cases := []struct {
		query  string
		status int
		code   tlv1.Code
	}{
		{"?lot=" + url.QueryEscape(unknownLot), http.StatusNotFound, tlv1.CodeNotFound},
		{"", http.StatusBadRequest, tlv1.CodeEPCISInvalidIdentifier},
		{"?lot=" + url.QueryEscape("x y"), http.StatusBadRequest, tlv1.CodeEPCISInvalidIdentifier},
	}
	for _, tc := range cases {
		r := get(t, ts.URL+"/v1/recalls"+tc.query)
		p := r.problem(t)
		if r.status != tc.status || tlv1.Code(p.Code) != tc.code || p.Field != "lot" {
			t.Fatalf("%q: %d %s", tc.query, r.status, r.body)
		}
		if tc.status == http.StatusNotFound && p.Evidence == nil {
			t.Fatalf("an absence without evidence: %s", r.body)
		}
	}
	if n := s.VerificationFailures(); n != 0 {
		t.Fatalf("%d verification failures in front of an honest node", n)
	}
	lying, ls := apiServer(t, tamperingProxy(t, fx.url, func(b []byte) { b[len(b)/2] ^= 0x10 }), api.Options{})
	if r := get(t, lying.URL+"/v1/recalls?lot="+url.QueryEscape(recalledLot)); r.status != http.StatusBadGateway || ls.VerificationFailures() != 1 {
		t.Fatalf("a lying node's recalls: %d %s", r.status, r.body)
	}
}
