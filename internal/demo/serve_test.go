// SPDX-License-Identifier: Apache-2.0

package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to read while the demo writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// apiLine finds the address the demo printed.
var apiLine = regexp.MustCompile(`API on (http://127\.0\.0\.1:[0-9]+) `)

// TestDemoServe: with Serve the demo leaves its network running behind the
// HTTP API on the printed address, answering verified reads of the lot,
// until its context ends; then Run returns nil.
func TestDemoServe(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sctx, stop := context.WithCancel(ctx)
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- Run(sctx, Options{Out: &out, Home: t.TempDir(), Serve: "127.0.0.1:0"}) }()
	var base string
	for base == "" {
		if m := apiLine.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("demo ended before serving: %v\n%s", err, out.String())
		case <-ctx.Done():
			t.Fatalf("no API address printed:\n%s", out.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	for _, want := range []string{base + "/v1/status", base + "/v1/history/" + url.PathEscape(Lot), "linkset+json"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the printed examples lack %q:\n%s", want, out.String())
		}
	}
	get := func(path string) []byte {
		t.Helper()
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, res.StatusCode, b)
		}
		return b
	}
	var st struct {
		ChainID string `json:"chain_id"`
		Height  int64  `json:"height"`
	}
	if err := json.Unmarshal(get("/v1/status"), &st); err != nil || st.ChainID != "traceledger-demo" || st.Height <= 0 {
		t.Fatalf("status: %v %+v", err, st)
	}
	var h struct {
		Data struct {
			Head struct {
				Count int `json:"count"`
			} `json:"head"`
		} `json:"data"`
	}
	if err := json.Unmarshal(get("/v1/history/"+url.PathEscape(Lot)), &h); err != nil || h.Data.Head.Count != len(journey) {
		t.Fatalf("history: %v %+v", err, h)
	}
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("demo --serve stopped with %v", err)
		}
	case <-ctx.Done():
		t.Fatal("the demo did not stop")
	}
	if !strings.Contains(out.String(), "stopped: API and network shut down") {
		t.Fatalf("no shutdown line:\n%s", out.String())
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("the API still answers after the demo stopped")
	}
}

// TestDemoServeAddr: only loopback HOST:PORT is served.
func TestDemoServeAddr(t *testing.T) {
	for _, tc := range []struct {
		addr string
		ok   bool
	}{
		{"", true}, {"127.0.0.1:8080", true}, {"[::1]:0", true}, {"localhost:9000", true},
		{"0.0.0.0:8080", false}, {"192.0.2.1:80", false}, {"8080", false}, {"example.com:80", false},
	} {
		if err := CheckServeAddr(tc.addr); (err == nil) != tc.ok {
			t.Errorf("CheckServeAddr(%q) = %v, want ok %v", tc.addr, err, tc.ok)
		}
	}
	if err := Run(context.Background(), Options{Out: io.Discard, Home: t.TempDir(), Serve: "0.0.0.0:0"}); err == nil {
		t.Fatal("a public serve address was accepted")
	}
}
