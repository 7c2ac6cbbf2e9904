// SPDX-License-Identifier: Apache-2.0

package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/traceledger/traceledger/api"
	"github.com/traceledger/traceledger/epcis"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// TestOpenAPIServed: GET /v1/openapi.json serves the embedded document,
// cacheable and revalidated by its ETag, to any origin.
func TestOpenAPIServed(t *testing.T) {
	ts, _ := apiServer(t, fx.url, api.Options{})
	r := do(t, http.MethodGet, ts.URL+"/v1/openapi.json", nil, map[string]string{"Origin": "https://portal.example"})
	if r.status != 200 || !bytes.Equal(r.body, api.OpenAPI()) || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("openapi.json: %d %q, %d bytes", r.status, r.header.Get("Content-Type"), len(r.body))
	}
	tag := r.header.Get("ETag")
	if tag == "" || r.header.Get("Cache-Control") != "public, max-age=3600" || r.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("openapi.json headers: %v", r.header)
	}
	if nm := do(t, http.MethodGet, ts.URL+"/v1/openapi.json", nil, map[string]string{"If-None-Match": tag}); nm.status != http.StatusNotModified || len(nm.body) != 0 {
		t.Fatalf("If-None-Match: %d, %d bytes", nm.status, len(nm.body))
	}
	if other := do(t, http.MethodGet, ts.URL+"/v1/openapi.json", nil, map[string]string{"If-None-Match": `"0"`}); other.status != 200 {
		t.Fatalf("another tag: %d", other.status)
	}
	if head := do(t, http.MethodHead, ts.URL+"/v1/openapi.json", nil, nil); head.status != 200 || len(head.body) != 0 || strings.TrimPrefix(head.header.Get("ETag"), "W/") != strings.TrimPrefix(tag, "W/") {
		t.Fatalf("HEAD: %d, %d bytes, ETag %q", head.status, len(head.body), head.header.Get("ETag"))
	}
}

// edit returns body (JSON) changed by f.
func edit(t *testing.T, body []byte, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	f(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// member is the object at a path of keys in m.
func member(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		m, _ = m[k].(map[string]any)
	}
	return m
}

// TestOpenAPIRejectsMismatches: the validator every test's answers go
// through accepts the server's real answers and rejects each of them
// altered: a missing or mistyped member, an extra one, an undocumented
// status, another media type, a missing header.
func TestOpenAPIRejectsMismatches(t *testing.T) {
	ts, _ := apiServer(t, fx.url, api.Options{})
	request := func(path string, hdr map[string]string) *http.Request {
		req, err := http.NewRequest(http.MethodGet, ts.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		return req
	}
	statusReq := request("/v1/status", nil)
	status := send(t, http.DefaultClient, statusReq)
	badReq := request("/v1/records/abc", nil)
	bad := send(t, http.DefaultClient, badReq)
	if bad.status != 400 || bad.problem(t).Code != uint32(tlv1.CodeInvalidQuery) {
		t.Fatalf("bad request: %d %s", bad.status, bad.body)
	}
	doc := send(t, http.DefaultClient, request("/v1/openapi.json", nil))
	nmReq := request("/v1/openapi.json", map[string]string{"If-None-Match": doc.header.Get("ETag")})
	nm := send(t, http.DefaultClient, nmReq)
	if nm.status != http.StatusNotModified {
		t.Fatalf("If-None-Match: %d", nm.status)
	}
	noRouteReq := request("/nothing", nil)
	noRoute := send(t, http.DefaultClient, noRouteReq)
	if noRoute.status != 404 {
		t.Fatalf("no route: %d", noRoute.status)
	}
	canon, err := epcis.CanonicalIdentifier(lotEPC)
	if err != nil {
		t.Fatal(err)
	}
	redirectReq := request(strings.TrimPrefix(canon, "https://id.gs1.org"), map[string]string{"Accept": "text/html"})
	redirect := send(t, noRedirect, redirectReq)
	if redirect.status != http.StatusTemporaryRedirect {
		t.Fatalf("resolver: %d %s", redirect.status, redirect.body)
	}
	with := func(r reply, f func(*reply)) reply {
		r.header = r.header.Clone()
		r.body = bytes.Clone(r.body)
		f(&r)
		return r
	}
	cases := []struct {
		name  string
		req   *http.Request
		r     reply
		valid bool
	}{
		{"status answer", statusReq, status, true},
		{"bad request", badReq, bad, true},
		{"not modified", nmReq, nm, true},
		{"no route", noRouteReq, noRoute, true},
		{"redirect", redirectReq, redirect, true},
		{"redirect without Location", redirectReq, with(redirect, func(r *reply) { r.header.Del("Location") }), false},
		{"redirect as a 303", redirectReq, with(redirect, func(r *reply) { r.status = http.StatusSeeOther }), false},
		{"status answer without chain_id", statusReq, with(status, func(r *reply) {
			r.body = edit(t, r.body, func(m map[string]any) { delete(m, "chain_id") })
		}), false},
		{"status data without chain_id", statusReq, with(status, func(r *reply) {
			r.body = edit(t, r.body, func(m map[string]any) { delete(member(m, "data"), "chain_id") })
		}), false},
		{"log root not a hash", statusReq, with(status, func(r *reply) {
			r.body = edit(t, r.body, func(m map[string]any) { member(m, "data", "state")["log_root"] = "xyz" })
		}), false},
		{"height a string", statusReq, with(status, func(r *reply) {
			r.body = edit(t, r.body, func(m map[string]any) { m["height"] = "12" })
		}), false},
		{"evidence without light blocks", statusReq, with(status, func(r *reply) {
			r.body = edit(t, r.body, func(m map[string]any) { member(m, "evidence")["light_blocks"] = []any{} })
		}), false},
		{"an extra member", statusReq, with(status, func(r *reply) {
			r.body = edit(t, r.body, func(m map[string]any) { member(m, "data")["map_size"] = 3 })
		}), false},
		{"undocumented status", statusReq, with(status, func(r *reply) { r.status = http.StatusTeapot }), false},
		{"another media type", statusReq, with(status, func(r *reply) { r.header.Set("Content-Type", "text/plain") }), false},
		{"without ETag", statusReq, with(status, func(r *reply) { r.header.Del("ETag") }), false},
		{"height header not a height", statusReq, with(status, func(r *reply) { r.header.Set("X-TraceLedger-Height", "0") }), false},
		{"problem without code", badReq, with(bad, func(r *reply) {
			r.body = edit(t, r.body, func(m map[string]any) { delete(m, "code") })
		}), false},
		{"problem as application/json", badReq, with(bad, func(r *reply) { r.header.Set("Content-Type", "application/json") }), false},
		{"no-route problem without name", noRouteReq, with(noRoute, func(r *reply) {
			r.body = edit(t, r.body, func(m map[string]any) { delete(m, "name") })
		}), false},
		{"not modified without ETag", nmReq, with(nm, func(r *reply) { r.header.Del("ETag") }), false},
		{"not modified with a body", nmReq, with(nm, func(r *reply) { r.body = []byte("{}") }), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := validateReply(tc.req, tc.r)
			if tc.valid && err != nil {
				t.Fatalf("a real answer is refused: %v", err)
			}
			if !tc.valid && err == nil {
				t.Fatal("an altered answer passes")
			}
			if err != nil && !tc.valid {
				t.Logf("refused: %s", strings.SplitN(err.Error(), "\n", 2)[0])
			}
		})
	}
}
