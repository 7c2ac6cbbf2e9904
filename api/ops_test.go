// SPDX-License-Identifier: Apache-2.0

package api

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// The operational layers are tested here on a Server without a node: the
// routes under test are fake handlers mounted with Handle, and only
// /healthz of the API's own routes is asked (it needs no node).

// fakeTag is the strong ETag of the fake read answer.
const fakeTag = `"fake-tag"`

// fakeBody is a JSON answer of about n bytes.
func fakeBody(n int) []byte {
	b, _ := json.Marshal(map[string]string{"data": strings.Repeat("proof ", n/6)})
	return b
}

// opsServer is a Server with no node and fake routes:
//   - GET /fake answers a JSON read like the API's reads do (ETag,
//     height header, 304 on a matching If-None-Match), of ?size= bytes
//     (2000 by default), with ?type= as its content type and ?status= as
//     its status;
//   - POST /fake answers 202, like a submission.
func opsServer(t *testing.T, o Options) *Server {
	t.Helper()
	s := New(nil, o)
	s.Handle("GET /fake", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		size, status := 2000, http.StatusOK
		if v := q.Get("size"); v != "" {
			size, _ = strconv.Atoi(v)
		}
		if v := q.Get("status"); v != "" {
			status, _ = strconv.Atoi(v)
		}
		ct := "application/json"
		if v := q.Get("type"); v != "" {
			ct = v
		}
		w.Header().Set("ETag", fakeTag)
		w.Header().Set(heightHeader, "7")
		if matchETag(r, fakeTag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(status)
		if status != http.StatusNoContent {
			_, _ = w.Write(fakeBody(size))
		}
	}))
	s.Handle("POST /fake", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusAccepted, map[string]bool{"committed": false})
	}))
	return s
}

// req is one request of a test.
type req struct {
	method, path string
	peer         string // RemoteAddr
	hdr          map[string]string
}

// serve sends q through the whole handler chain.
func serve(s *Server, q req) *httptest.ResponseRecorder {
	method := q.method
	if method == "" {
		method = http.MethodGet
	}
	path := q.path
	if path == "" {
		path = "/fake"
	}
	r := httptest.NewRequest(method, path, nil)
	if q.peer != "" {
		r.RemoteAddr = q.peer
	}
	for k, v := range q.hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	return w
}

// repeat is n copies of q.
func repeat(n int, q req) []req {
	out := make([]req, n)
	for i := range out {
		out[i] = q
	}
	return out
}

// TestRateLimit: a client's burst is served, the next request is 429
// with Retry-After and a rate_limited problem, counted under its route;
// other clients, health, and the other limit are unaffected; forwarding
// headers count only from a trusted proxy.
func TestRateLimit(t *testing.T) {
	const (
		a     = "192.0.2.1:1000"
		b     = "192.0.2.2:1000"
		proxy = "10.0.0.1:1000"
	)
	xff := func(v string) map[string]string { return map[string]string{"X-Forwarded-For": v} }
	// A rate of one token per 1000 s: a spent bucket stays spent for the
	// test, whatever the machine's speed.
	opts := Options{ReadRate: 0.001, ReadBurst: 3, SubmitRate: 0.001, SubmitBurst: 1,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24")}}
	cases := []struct {
		name   string
		opts   *Options
		reqs   []req
		status []int // of each request
	}{
		{"burst then 429", nil, repeat(4, req{peer: a}), []int{200, 200, 200, 429}},
		{"another client is not limited", nil,
			append(repeat(4, req{peer: a}), req{peer: b}), []int{200, 200, 200, 429, 200}},
		{"health is never limited", nil,
			append(repeat(4, req{peer: a}), req{path: "/healthz", peer: a}, req{peer: a}), []int{200, 200, 200, 429, 200, 429}},
		{"submissions have their own limit", nil,
			[]req{{method: http.MethodPost, peer: a}, {method: http.MethodPost, peer: a}, {peer: a}, {method: http.MethodPost, peer: b}},
			[]int{202, 429, 200, 202}},
		{"X-Forwarded-For from a trusted proxy names the client", nil,
			append(repeat(4, req{peer: proxy, hdr: xff("198.51.100.7")}), req{peer: proxy, hdr: xff("198.51.100.8")}),
			[]int{200, 200, 200, 429, 200}},
		{"a client cannot escape by prepending to X-Forwarded-For", nil,
			[]req{{peer: proxy, hdr: xff("1.1.1.1, 198.51.100.7")}, {peer: proxy, hdr: xff("2.2.2.2, 198.51.100.7")},
				{peer: proxy, hdr: xff("3.3.3.3, 198.51.100.7")}, {peer: proxy, hdr: xff("4.4.4.4, 198.51.100.7")}},
			[]int{200, 200, 200, 429}},
		{"X-Forwarded-For from an untrusted peer is ignored", nil,
			[]req{{peer: a, hdr: xff("198.51.100.1")}, {peer: a, hdr: xff("198.51.100.2")}, {peer: a, hdr: xff("198.51.100.3")},
				{peer: a, hdr: xff("198.51.100.4")}},
			[]int{200, 200, 200, 429}},
		{"Forwarded from a trusted proxy names the client", nil,
			append(repeat(4, req{peer: proxy, hdr: map[string]string{"Forwarded": `for="[2001:db8::1]:4711";proto=https`}}),
				req{peer: proxy, hdr: map[string]string{"Forwarded": "for=192.0.2.60"}}),
			[]int{200, 200, 200, 429, 200}},
		{"an IPv6 client counts by its /64", nil,
			[]req{{peer: "[2001:db8:1:2::1]:1"}, {peer: "[2001:db8:1:2::2]:1"}, {peer: "[2001:db8:1:2:ffff::3]:1"},
				{peer: "[2001:db8:1:2::4]:1"}, {peer: "[2001:db8:1:3::1]:1"}},
			[]int{200, 200, 200, 429, 200}},
		{"a negative rate turns the limit off", &Options{ReadRate: -1, SubmitRate: -1},
			append(repeat(20, req{peer: a}), repeat(20, req{method: http.MethodPost, peer: a})...),
			append(slicesRepeat(200, 20), slicesRepeat(202, 20)...)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := opts
			if c.opts != nil {
				o = *c.opts
			}
			s := opsServer(t, o)
			limited := map[string]int{}
			for i, q := range c.reqs {
				w := serve(s, q)
				if w.Code != c.status[i] {
					t.Fatalf("request %d (%s %s from %s %v): status %d, want %d: %s", i, q.method, q.path, q.peer, q.hdr, w.Code, c.status[i], w.Body)
				}
				if w.Code != http.StatusTooManyRequests {
					continue
				}
				limit := limitRead
				if q.method == http.MethodPost {
					limit = limitSubmit
				}
				limited[limit]++
				if ra, err := strconv.Atoi(w.Header().Get("Retry-After")); err != nil || ra < 1 {
					t.Fatalf("429 with Retry-After %q", w.Header().Get("Retry-After"))
				}
				var p Problem
				if ct := w.Header().Get("Content-Type"); ct != ProblemContentType {
					t.Fatalf("429 as %q", ct)
				}
				if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || tlv1.Code(p.Code) != tlv1.CodeAPIRateLimited || p.Name != "rate_limited" || p.Status != 429 || p.Hint == "" {
					t.Fatalf("429 problem: %v %s", err, w.Body)
				}
				if w.Header().Get(RequestIDHeader) == "" {
					t.Fatal("429 without a request id")
				}
			}
			for _, limit := range []string{limitRead, limitSubmit} {
				if got := counterValue(s.metrics.limited.WithLabelValues(limit)); int(got) != limited[limit] {
					t.Errorf("rate_limited_total{limit=%q} = %v, want %d", limit, got, limited[limit])
				}
			}
			// The metrics name the route of a refused request too.
			if n := limited[limitRead]; n > 0 {
				if got := counterValue(s.metrics.requests.WithLabelValues("GET /fake", "429")); int(got) != n {
					t.Errorf("requests_total{route=GET /fake,code=429} = %v, want %d", got, n)
				}
			}
		})
	}
}

// counterValue reads a counter.
func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return -1
	}
	return m.GetCounter().GetValue()
}

// slicesRepeat is n copies of v.
func slicesRepeat(v, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// TestClientOf: the client behind trusted proxies is the rightmost
// untrusted hop; nothing a client writes counts unless a trusted proxy
// passed it on.
func TestClientOf(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:ffff::/48")}
	cases := []struct {
		name    string
		trusted []netip.Prefix
		peer    string
		hdr     http.Header
		want    string
	}{
		{"no proxies configured", nil, "10.0.0.1:5", http.Header{"X-Forwarded-For": {"198.51.100.7"}}, "10.0.0.1"},
		{"untrusted peer", trusted, "192.0.2.1:5", http.Header{"X-Forwarded-For": {"198.51.100.7"}}, "192.0.2.1"},
		{"trusted peer", trusted, "10.0.0.1:5", http.Header{"X-Forwarded-For": {"198.51.100.7"}}, "198.51.100.7"},
		{"trusted peer without a header", trusted, "10.0.0.1:5", http.Header{}, "10.0.0.1"},
		{"two trusted hops", trusted, "10.0.0.1:5", http.Header{"X-Forwarded-For": {"203.0.113.9, 198.51.100.7, 10.0.0.2"}}, "198.51.100.7"},
		{"several header lines", trusted, "10.0.0.1:5", http.Header{"X-Forwarded-For": {"203.0.113.9", "198.51.100.7, 10.0.0.2"}}, "198.51.100.7"},
		{"every hop trusted", trusted, "10.0.0.1:5", http.Header{"X-Forwarded-For": {"10.0.0.3, 10.0.0.2"}}, "10.0.0.3"},
		{"an unknown hop stops at the proxy that wrote it", trusted, "10.0.0.1:5", http.Header{"X-Forwarded-For": {"198.51.100.7, unknown, 10.0.0.2"}}, "10.0.0.2"},
		{"Forwarded wins over X-Forwarded-For", trusted, "10.0.0.1:5",
			http.Header{"Forwarded": {`for=198.51.100.7;proto=https, for="10.0.0.2"`}, "X-Forwarded-For": {"203.0.113.9"}}, "198.51.100.7"},
		{"Forwarded IPv6 with port", trusted, "10.0.0.1:5", http.Header{"Forwarded": {`For="[2001:db8::7]:4711"`}}, "2001:db8::7"},
		{"Forwarded obfuscated", trusted, "10.0.0.1:5", http.Header{"Forwarded": {`for=_hidden, for=10.0.0.2`}}, "10.0.0.2"},
		{"X-Forwarded-For with a port", trusted, "10.0.0.1:5", http.Header{"X-Forwarded-For": {"198.51.100.7:5555"}}, "198.51.100.7"},
		{"IPv4-mapped peer", trusted, "[::ffff:10.0.0.1]:5", http.Header{"X-Forwarded-For": {"198.51.100.7"}}, "198.51.100.7"},
		{"IPv6 trusted network", trusted, "[2001:db8:ffff::1]:5", http.Header{"X-Forwarded-For": {"2001:db8:1::9"}}, "2001:db8:1::9"},
		{"not an address", trusted, "pipe", http.Header{"X-Forwarded-For": {"198.51.100.7"}}, "pipe"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &Server{opts: Options{TrustedProxies: c.trusted}}
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = c.peer
			r.Header = c.hdr
			if got := s.clientOf(r).String(); got != c.want {
				t.Fatalf("client %q, want %q", got, c.want)
			}
		})
	}
}

// TestParseTrustedProxy: addresses and networks parse; anything else is
// an error.
func TestParseTrustedProxy(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"10.0.0.5", "10.0.0.5/32", true},
		{"::1", "::1/128", true},
		{"10.1.2.3/8", "10.0.0.0/8", true},
		{" 2001:db8::/32 ", "2001:db8::/32", true},
		{"::ffff:10.0.0.5", "10.0.0.5/32", true},
		{"proxy.example", "", false},
		{"10.0.0.0/33", "", false},
		{"", "", false},
	}
	for _, c := range cases {
		p, err := ParseTrustedProxy(c.in)
		if (err == nil) != c.ok || (c.ok && p.String() != c.want) {
			t.Errorf("ParseTrustedProxy(%q) = %v, %v; want %s ok=%v", c.in, p, err, c.want, c.ok)
		}
	}
}

// TestLimiterTable: the table never holds more clients than its cap, sheds
// idle ones as requests pass, keeps an active client's debt under a flood
// of new ones, and says how long to wait.
func TestLimiterTable(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	t.Run("bounded under a flood of clients", func(t *testing.T) {
		tb := newLimiterTable(limitRead, 1, 2, 4)
		for i := range 1000 {
			if ok, _ := tb.take(fmt.Sprintf("c%d", i), t0); !ok {
				t.Fatalf("new client %d refused", i)
			}
			if n := tb.len(); n > 4 {
				t.Fatalf("%d clients in a table capped at 4", n)
			}
		}
	})
	t.Run("idle clients are shed", func(t *testing.T) {
		tb := newLimiterTable(limitRead, 1, 2, 100)
		for i := range 50 {
			tb.take(fmt.Sprintf("c%d", i), t0)
		}
		if n := tb.len(); n != 50 {
			t.Fatalf("%d clients, want 50", n)
		}
		// Refill takes 2 s; later, one busy client's requests shed the
		// rest, two per request.
		later := t0.Add(3 * time.Second)
		for i := range 30 {
			tb.take("busy", later.Add(time.Duration(i)*10*time.Millisecond))
		}
		if n := tb.len(); n != 1 {
			t.Fatalf("%d clients after the others idled, want 1", n)
		}
	})
	t.Run("an active client keeps its debt", func(t *testing.T) {
		tb := newLimiterTable(limitRead, 0.001, 2, 4)
		for _, k := range []string{"a", "a", "x", "y", "w"} {
			tb.take(k, t0)
		}
		if ok, _ := tb.take("a", t0); ok {
			t.Fatal("a spent client was served again")
		}
		tb.take("z", t0) // the table is full: z evicts x, the idlest, not a
		if n := tb.len(); n != 4 {
			t.Fatalf("%d clients, want 4", n)
		}
		if ok, _ := tb.take("a", t0); ok {
			t.Fatal("a spent client got a fresh bucket though others were idler")
		}
		if ok, _ := tb.take("x", t0); !ok {
			t.Fatal("the evicted client is not new again")
		}
	})
	t.Run("wait", func(t *testing.T) {
		tb := newLimiterTable(limitRead, 0.5, 1, 4)
		if ok, _ := tb.take("a", t0); !ok {
			t.Fatal("first request refused")
		}
		ok, wait := tb.take("a", t0)
		if ok || wait != 2*time.Second {
			t.Fatalf("second request: ok=%v wait %v, want refused, 2s", ok, wait)
		}
		// A refusal takes no token: after the wait one is there.
		if ok, _ := tb.take("a", t0.Add(2*time.Second)); !ok {
			t.Fatal("refused after the wait")
		}
	})
}

// TestAcceptsGzip: Accept-Encoding with its q-values.
func TestAcceptsGzip(t *testing.T) {
	cases := []struct {
		lines []string
		want  bool
	}{
		{nil, false},
		{[]string{""}, false},
		{[]string{"gzip"}, true},
		{[]string{"GZIP"}, true},
		{[]string{"x-gzip"}, true},
		{[]string{"gzip, deflate, br"}, true},
		{[]string{"br;q=1.0, gzip;q=0.5"}, true},
		{[]string{"gzip;q=0"}, false},
		{[]string{"gzip; q=0.000"}, false},
		{[]string{"*"}, true},
		{[]string{"*;q=0"}, false},
		{[]string{"gzip;q=0, *"}, false},
		{[]string{"*;q=0, gzip;q=0.1"}, true},
		{[]string{"identity"}, false},
		{[]string{"br", "gzip"}, true},
		{[]string{"gzip;q=bogus"}, false},
		{[]string{"gzip;q=2"}, false},
	}
	for _, c := range cases {
		if got := acceptsGzip(c.lines); got != c.want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", c.lines, got, c.want)
		}
	}
}

// TestGzip: JSON answers are compressed for a client that accepts gzip,
// decode to the same bytes, carry Vary and a weak ETag that revalidates;
// nothing else is compressed.
func TestGzip(t *testing.T) {
	s := opsServer(t, Options{ReadRate: -1})
	identity := serve(s, req{}).Body.Bytes()
	gz := map[string]string{"Accept-Encoding": "gzip"}
	weak := "W/" + fakeTag
	cases := []struct {
		name       string
		q          req
		status     int
		compressed bool
		etag       string
		vary       bool
	}{
		{"no Accept-Encoding", req{}, 200, false, fakeTag, true},
		{"gzip", req{hdr: gz}, 200, true, weak, true},
		{"gzip refused by q=0", req{hdr: map[string]string{"Accept-Encoding": "gzip;q=0, br"}}, 200, false, fakeTag, true},
		{"any encoding", req{hdr: map[string]string{"Accept-Encoding": "*"}}, 200, true, weak, true},
		{"a problem document", req{path: "/fake?type=" + url.QueryEscape(ProblemContentType), hdr: gz}, 200, true, weak, true},
		{"a small answer", req{path: "/fake?size=100", hdr: gz}, 200, false, fakeTag, true},
		{"not JSON", req{path: "/fake?type=application/octet-stream", hdr: gz}, 200, false, fakeTag, false},
		{"204", req{path: "/fake?status=204", hdr: gz}, 204, false, fakeTag, false},
		{"206", req{path: "/fake?status=206", hdr: gz}, 206, false, fakeTag, false},
		{"HEAD", req{method: http.MethodHead, hdr: gz}, 200, false, fakeTag, true},
		{"304 for the compressed variant", req{hdr: map[string]string{"Accept-Encoding": "gzip", "If-None-Match": weak}}, 304, false, weak, true},
		{"304 for the identity variant", req{hdr: map[string]string{"If-None-Match": fakeTag}}, 304, false, fakeTag, true},
		{"304 for the identity variant, gzip accepted", req{hdr: map[string]string{"Accept-Encoding": "gzip", "If-None-Match": fakeTag}}, 304, false, fakeTag, true},
		{"304 with a list", req{hdr: map[string]string{"Accept-Encoding": "gzip", "If-None-Match": `"other", ` + weak}}, 304, false, weak, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := serve(s, c.q)
			if w.Code != c.status {
				t.Fatalf("status %d, want %d", w.Code, c.status)
			}
			h := w.Header()
			if got := h.Get("Content-Encoding") == "gzip"; got != c.compressed {
				t.Fatalf("compressed %v, want %v (Content-Encoding %q)", got, c.compressed, h.Get("Content-Encoding"))
			}
			if h.Get("ETag") != c.etag {
				t.Fatalf("ETag %s, want %s", h.Get("ETag"), c.etag)
			}
			if got := strings.Contains(strings.Join(h.Values("Vary"), ","), "Accept-Encoding"); got != c.vary {
				t.Fatalf("Vary %q, want Accept-Encoding %v", h.Values("Vary"), c.vary)
			}
			body := w.Body.Bytes()
			if c.compressed {
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
				if len(w.Body.Bytes()) >= len(body) {
					t.Fatalf("compressed %d bytes into %d", len(body), len(w.Body.Bytes()))
				}
			}
			switch {
			case c.q.method == http.MethodHead:
				// The server drops a HEAD answer's body; the recorder keeps it.
			case c.status == http.StatusPartialContent:
			case c.status != 200:
				if len(body) != 0 {
					t.Fatalf("%d bytes of body", len(body))
				}
			case c.q.path == "" && !bytes.Equal(body, identity):
				t.Fatalf("body differs from the identity answer: %.80s", body)
			case c.q.path != "" && !json.Valid(body):
				t.Fatalf("body is not JSON: %.80s", body)
			}
		})
	}
	// The writers go back to the pool and are reused cleanly.
	for range 3 {
		w := serve(s, req{hdr: gz})
		zr, err := gzip.NewReader(w.Body)
		if err != nil {
			t.Fatal(err)
		}
		if b, err := io.ReadAll(zr); err != nil || !bytes.Equal(b, identity) {
			t.Fatalf("reused writer: %v", err)
		}
	}
}

// TestAccessLog: one JSON line per request with every field, the request
// id honoured when sane and generated otherwise, echoed in the answer.
func TestAccessLog(t *testing.T) {
	var buf bytes.Buffer
	s := opsServer(t, Options{ReadBurst: 2, ReadRate: 0.001, AccessLog: slog.New(slog.NewJSONHandler(&buf, nil))})
	cases := []struct {
		name    string
		q       req
		status  int
		route   string
		id      string // the id the answer must carry; "" = a generated one
		height  bool
		compare bool // bytes compared with the recorded body
	}{
		{"a read with an id", req{peer: "192.0.2.1:1", hdr: map[string]string{RequestIDHeader: "3f2a-11:req/42"}}, 200, "GET /fake", "3f2a-11:req/42", true, true},
		{"compressed", req{peer: "192.0.2.1:1", hdr: map[string]string{"Accept-Encoding": "gzip"}}, 200, "GET /fake", "", true, true},
		{"refused by the rate limit", req{peer: "192.0.2.1:1"}, 429, "GET /fake", "", false, true},
		{"an insane id is replaced", req{peer: "192.0.2.2:1", hdr: map[string]string{RequestIDHeader: "a b\"c"}}, 200, "GET /fake", "", true, true},
		{"a too long id is replaced", req{peer: "192.0.2.2:1", hdr: map[string]string{RequestIDHeader: strings.Repeat("x", 129)}}, 200, "GET /fake", "", true, true},
		{"no route", req{path: "/v1/nowhere", peer: "192.0.2.3:1"}, 404, resolverPattern, "", false, true},
		{"health", req{path: "/healthz", peer: "192.0.2.1:1"}, 200, "GET /healthz", "", false, true},
	}
	seen := map[string]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			buf.Reset()
			w := serve(s, c.q)
			if w.Code != c.status {
				t.Fatalf("status %d, want %d", w.Code, c.status)
			}
			id := w.Header().Get(RequestIDHeader)
			if c.id != "" && id != c.id {
				t.Fatalf("request id %q, want %q", id, c.id)
			}
			if c.id == "" && (!saneRequestID(id) || len(id) < 16 || seen[id]) {
				t.Fatalf("generated request id %q", id)
			}
			seen[id] = true
			lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
			if len(lines) != 1 {
				t.Fatalf("%d log lines: %s", len(lines), buf.String())
			}
			var line struct {
				Msg        string   `json:"msg"`
				Method     string   `json:"method"`
				Path       string   `json:"path"`
				Route      string   `json:"route"`
				Status     int      `json:"status"`
				Bytes      *int64   `json:"bytes"`
				DurationMS *float64 `json:"duration_ms"`
				Client     string   `json:"client"`
				Height     *int64   `json:"height"`
				RequestID  string   `json:"request_id"`
			}
			if err := json.Unmarshal([]byte(lines[0]), &line); err != nil {
				t.Fatalf("log line is not JSON: %v: %s", err, lines[0])
			}
			wantPath := c.q.path
			if wantPath == "" {
				wantPath = "/fake"
			}
			peerHost, _, _ := strings.Cut(c.q.peer, ":")
			switch {
			case line.Msg != "request" || line.Method != http.MethodGet || line.Path != wantPath || line.Route != c.route:
				t.Fatalf("line: %s", lines[0])
			case line.Status != c.status || line.RequestID != id || line.Client != peerHost:
				t.Fatalf("status, id or client: %s", lines[0])
			case line.Bytes == nil || (c.compare && *line.Bytes != int64(w.Body.Len())):
				t.Fatalf("bytes %v, sent %d: %s", line.Bytes, w.Body.Len(), lines[0])
			case line.DurationMS == nil || *line.DurationMS < 0:
				t.Fatalf("duration: %s", lines[0])
			case c.height != (line.Height != nil) || (line.Height != nil && *line.Height != 7):
				t.Fatalf("height: %s", lines[0])
			}
		})
	}
}

// TestMiddlewareRoute: the metrics still see the route pattern through
// every layer, and CORS answers expose the new headers.
func TestMiddlewareRoute(t *testing.T) {
	s := opsServer(t, Options{AccessLog: slog.New(slog.DiscardHandler)})
	w := serve(s, req{hdr: map[string]string{"Accept-Encoding": "gzip", "Origin": "https://portal.example"}})
	if w.Code != 200 || w.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("status %d encoding %q", w.Code, w.Header().Get("Content-Encoding"))
	}
	if got := counterValue(s.metrics.requests.WithLabelValues("GET /fake", "200")); got != 1 {
		t.Fatalf("requests_total{route=GET /fake,code=200} = %v", got)
	}
	exp := w.Header().Get("Access-Control-Expose-Headers")
	for _, h := range []string{"ETag", heightHeader, "Retry-After", RequestIDHeader} {
		if !strings.Contains(exp, h) {
			t.Fatalf("Access-Control-Expose-Headers %q lacks %s", exp, h)
		}
	}
}
