// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe to read while a command writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestDemoServe runs 'demo --serve' in this process: it prints the API's
// address, answers GET /v1/status there while it runs, and exits 0 when
// its context ends (what SIGINT/SIGTERM do through main's context). --serve
// alone takes 127.0.0.1:8080, or a free port when that is taken (held here
// so the test never serves on it); a public address is a usage error.
func TestDemoServe(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := run(t, ctx, "demo", "--serve=0.0.0.0:8080"); exitCodeOf(err) != exitUsage || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("demo --serve on a public address: %v", err)
	}
	if _, err := run(t, ctx, "demo", "--serve="); exitCodeOf(err) != exitUsage {
		t.Fatalf("demo --serve=: %v", err)
	}
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	if _, err := run(t, ctx, "demo", "--serve="+taken.Addr().String()); exitCodeOf(err) != exitUsage || hint(err) != "" {
		t.Fatalf("demo --serve on a taken address: exit %d, hint %q: %v", exitCodeOf(err), hint(err), err)
	}
	if l, err := net.Listen("tcp", defaultDemoServe); err == nil {
		defer l.Close()
	}
	sctx, stop := context.WithCancel(ctx)
	root := newRootCmd()
	var out lockedBuffer
	root.SetOut(&out)
	root.SetErr(io.Discard)
	root.SetArgs([]string{"demo", "--serve"})
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(sctx) }()
	addr := regexp.MustCompile(`API on (http://127\.0\.0\.1:([0-9]+)) `)
	var base string
	for base == "" {
		if m := addr.FindStringSubmatch(out.String()); m != nil {
			if m[2] == "8080" {
				t.Fatalf("served on the taken default port:\n%s", out.String())
			}
			base = m[1]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("demo --serve ended before serving: %v\n%s", err, out.String())
		case <-ctx.Done():
			t.Fatalf("demo --serve printed no address:\n%s", out.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	res, err := http.Get(base + "/v1/status")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"chain_id":"traceledger-demo"`) {
		t.Fatalf("GET /v1/status: %d %s", res.StatusCode, body)
	}
	stop()
	select {
	case err := <-done:
		if code := exitCodeOf(err); code != exitOK {
			t.Fatalf("demo --serve interrupted: exit %d: %v", code, err)
		}
	case <-ctx.Done():
		t.Fatal("demo --serve did not stop")
	}
}
