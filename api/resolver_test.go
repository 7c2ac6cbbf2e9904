// SPDX-License-Identifier: Apache-2.0

package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/traceledger/traceledger/api"
	"github.com/traceledger/traceledger/epcis"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// resolveGet asks the resolver for path with accept.
func resolveGet(t *testing.T, u, accept string) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	return send(t, noRedirect, req)
}

// TestResolver: browsers get a 307 to the product page, machines the
// linkset, every spelling of the key reaches the same page, an unknown key
// is a 404 problem with its absence proof, a malformed one a 400.
func TestResolver(t *testing.T) {
	ts, _ := apiServer(t, fx.url, api.Options{ProductPage: "https://portal.example/p/{id}"})
	canon, err := epcis.CanonicalIdentifier(lotEPC)
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(canon, "https://id.gs1.org")
	page := "https://portal.example/p/" + url.PathEscape(canon)
	for _, p := range []string{path, path + "?x=1", strings.Replace(path, "/01/", "/gtin/", 1)} {
		r := resolveGet(t, ts.URL+p, "text/html,application/xhtml+xml")
		if r.status != http.StatusTemporaryRedirect || r.header.Get("Location") != page {
			t.Fatalf("%s: %d to %q, want 307 to %q: %s", p, r.status, r.header.Get("Location"), page, r.body)
		}
		if !strings.Contains(r.header.Get("Link"), `rel="https://gs1.org/voc/traceability"`) {
			t.Fatalf("%s: Link header %q", p, r.header.Get("Link"))
		}
	}
	for _, tc := range []struct{ query, accept string }{{"", "application/linkset+json"}, {"?linkType=linkset", ""}, {"?linkType=all", "text/html"}} {
		r := resolveGet(t, ts.URL+path+tc.query, tc.accept)
		if r.status != 200 || r.header.Get("Content-Type") != "application/linkset+json" {
			t.Fatalf("linkset %q %q: %d %s", tc.query, tc.accept, r.status, r.body)
		}
		var ls struct {
			Linkset []map[string]json.RawMessage `json:"linkset"`
		}
		if err := json.Unmarshal(r.body, &ls); err != nil || len(ls.Linkset) != 1 {
			t.Fatalf("linkset: %v %s", err, r.body)
		}
		for _, rel := range []string{"anchor", "https://gs1.org/voc/defaultLink", "https://gs1.org/voc/traceability", "https://gs1.org/voc/epcis",
			"https://gs1.org/voc/certificationInfo", "https://gs1.org/voc/recallStatus"} {
			if _, ok := ls.Linkset[0][rel]; !ok {
				t.Fatalf("linkset lacks %s: %s", rel, r.body)
			}
		}
		var anchor string
		_ = json.Unmarshal(ls.Linkset[0]["anchor"], &anchor)
		if anchor != canon {
			t.Fatalf("anchor %q, want %q", anchor, canon)
		}
	}
	// The recall status is first the recalls recorded against the key.
	if r := resolveGet(t, ts.URL+path+"?linkType=gs1:recallStatus", ""); r.status != http.StatusTemporaryRedirect || !strings.Contains(r.header.Get("Location"), "/v1/recalls?lot=") {
		t.Fatalf("linkType=gs1:recallStatus: %d %q", r.status, r.header.Get("Location"))
	}
	// A link type picks its link; the links it names answer.
	r := resolveGet(t, ts.URL+path+"?linkType=gs1:epcis", "")
	if r.status != http.StatusTemporaryRedirect || !strings.Contains(r.header.Get("Location"), "/v1/history/") {
		t.Fatalf("linkType=gs1:epcis: %d %q", r.status, r.header.Get("Location"))
	}
	get(t, r.header.Get("Location")).answer(t, nil)

	unknown, _ := epcis.CanonicalIdentifier(unknownLot)
	nf := resolveGet(t, ts.URL+strings.TrimPrefix(unknown, "https://id.gs1.org"), "text/html")
	if nf.status != 404 {
		t.Fatalf("unknown key: %d %s", nf.status, nf.body)
	}
	if p := nf.problem(t); tlv1.Code(p.Code) != tlv1.CodeNotFound || p.Evidence == nil {
		t.Fatalf("unknown key: %+v", p)
	}
	bad := resolveGet(t, ts.URL+"/01/123/10/X", "text/html")
	if bad.status != 400 {
		t.Fatalf("malformed key: %d %s", bad.status, bad.body)
	}
	if p := bad.problem(t); tlv1.Code(p.Code) != tlv1.CodeEPCISInvalidIdentifier {
		t.Fatalf("malformed key: %+v", p)
	}
	if r := resolveGet(t, ts.URL+"/99/123", ""); r.status != 404 {
		t.Fatalf("not a primary key: %d", r.status)
	}
	wk := get(t, ts.URL+"/.well-known/gs1resolver")
	var desc map[string]any
	if wk.status != 200 || json.Unmarshal(wk.body, &desc) != nil || desc["resolverRoot"] != ts.URL {
		t.Fatalf("well-known: %d %s", wk.status, wk.body)
	}
}
