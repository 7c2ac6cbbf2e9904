// SPDX-License-Identifier: Apache-2.0

package api_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/traceledger/traceledger/api"
	"github.com/traceledger/traceledger/client"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// opsServer is the API in front of the fixture node, asked in-process
// (the access log is written before an answer is returned).
func opsServer(t *testing.T, opts api.Options) http.Handler {
	t.Helper()
	return opsServerAt(t, fx.url, opts)
}

// opsServerAt is opsServer in front of nodeURL.
func opsServerAt(t *testing.T, nodeURL string, opts api.Options) http.Handler {
	t.Helper()
	c, err := client.New(nodeURL, fx.doc)
	if err != nil {
		t.Fatal(err)
	}
	return api.New(c, opts).Handler()
}

// ask sends a GET through h.
func ask(h http.Handler, path string, hdr map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestOpsEndToEnd: a verified history read from a real node, compressed
// and not: the same JSON; the compressed variant's weak ETag revalidates
// (304 without asking the node); every request is one access-log line
// with the route and height; and a client over its limit gets 429.
func TestOpsEndToEnd(t *testing.T) {
	var logBuf bytes.Buffer
	h := opsServer(t, api.Options{AccessLog: slog.New(slog.NewJSONHandler(&logBuf, nil))})
	path := "/v1/history/" + seg(lotEPC)
	gz := map[string]string{"Accept-Encoding": "gzip"}
	// The node keeps two heights: ask at the latest answer's height until
	// both variants come from the same height.
	var plain, packed *httptest.ResponseRecorder
	var height int64
	for i := 0; ; i++ {
		latest := ask(h, path, nil)
		var err error
		if height, err = strconv.ParseInt(latest.Header().Get("X-TraceLedger-Height"), 10, 64); err != nil {
			t.Fatalf("latest: %d %s", latest.Code, latest.Body)
		}
		pinned := fmt.Sprintf("%s?height=%d", path, height)
		plain, packed = ask(h, pinned, nil), ask(h, pinned, gz)
		if plain.Code == 200 && packed.Code == 200 {
			break
		}
		if i == 20 {
			t.Fatalf("pinned reads: %d %d", plain.Code, packed.Code)
		}
	}
	if packed.Header().Get("Content-Encoding") != "gzip" || plain.Header().Get("Content-Encoding") != "" {
		t.Fatalf("Content-Encoding %q and %q", packed.Header().Get("Content-Encoding"), plain.Header().Get("Content-Encoding"))
	}
	tag := plain.Header().Get("ETag")
	if packed.Header().Get("ETag") != "W/"+tag || strings.HasPrefix(tag, "W/") {
		t.Fatalf("ETags %q (gzip) and %q", packed.Header().Get("ETag"), tag)
	}
	zr, err := gzip.NewReader(packed.Body)
	if err != nil {
		t.Fatal(err)
	}
	unpacked, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := json.Unmarshal(plain.Body.Bytes(), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(unpacked, &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the compressed answer decodes to other JSON")
	}
	nm := ask(h, fmt.Sprintf("%s?height=%d", path, height), map[string]string{"Accept-Encoding": "gzip", "If-None-Match": "W/" + tag})
	if nm.Code != http.StatusNotModified || nm.Header().Get("ETag") != "W/"+tag || nm.Body.Len() != 0 {
		t.Fatalf("revalidation: %d ETag %q", nm.Code, nm.Header().Get("ETag"))
	}
	// Every request above is one line; the last is the 304.
	lines := strings.Split(strings.TrimSpace(logBuf.String()), "\n")
	var last map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
		t.Fatalf("access log: %v: %s", err, logBuf.String())
	}
	if last["route"] != "GET /v1/history/{identifier}" || last["status"] != float64(304) || last["height"] != float64(height) ||
		last["request_id"] != nm.Header().Get(api.RequestIDHeader) || last["client"] != "192.0.2.1" {
		t.Fatalf("access log line: %v", last)
	}

	limited := opsServer(t, api.Options{ReadRate: 0.001, ReadBurst: 1})
	if w := ask(limited, "/v1/status", nil); w.Code != 200 {
		t.Fatalf("first read: %d %s", w.Code, w.Body)
	}
	w := ask(limited, "/v1/status", nil)
	rep := reply{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
	if p := rep.problem(t); w.Code != http.StatusTooManyRequests || tlv1.Code(p.Code) != tlv1.CodeAPIRateLimited || w.Header().Get("Retry-After") == "" {
		t.Fatalf("second read: %d %s", w.Code, w.Body)
	}
	if w := ask(limited, "/readyz", nil); w.Code != 200 {
		t.Fatalf("readiness is limited: %d", w.Code)
	}
}

// TestRequestIDInErrorLog: the server's log line of a failed request
// names the request id the answer carries.
func TestRequestIDInErrorLog(t *testing.T) {
	dead, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	var logBuf bytes.Buffer
	h := opsServerAt(t, "http://"+dead, api.Options{Logger: slog.New(slog.NewJSONHandler(&logBuf, nil))})
	w := ask(h, "/v1/status", map[string]string{api.RequestIDHeader: "trace-1"})
	if w.Code != http.StatusServiceUnavailable || w.Header().Get(api.RequestIDHeader) != "trace-1" {
		t.Fatalf("status %d, request id %q", w.Code, w.Header().Get(api.RequestIDHeader))
	}
	var line map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(logBuf.Bytes()), &line); err != nil || line["request_id"] != "trace-1" {
		t.Fatalf("error log: %v: %s", err, logBuf.String())
	}
}
