// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServe runs 'serve' in front of a real node: it answers verified
// reads on --addr until its context ends, and refuses a public address
// without TLS.
func TestServe(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	t.Setenv("TRACELEDGER_PASSPHRASE", "correct horse battery staple")
	n := startTestNode(t, ctx, "serve-test")
	if _, err := run(t, ctx, "serve", "--home", n.home, "--addr", "0.0.0.0:0"); exitCodeOf(err) != exitUsage || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("plain HTTP on a public address: %v", err)
	}
	addr, metricsAddr := freePort(t), freePort(t)
	accessLog := filepath.Join(t.TempDir(), "access.log")
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := run(t, sctx, "serve", "--node", n.url, "--genesis", n.genesis, "--addr", addr, "--metrics-addr", metricsAddr,
			"--access-log", accessLog, "--rate-limit", "1000", "--rate-burst", "1000", "--trusted-proxy", "10.0.0.0/8")
		done <- err
	}()
	var body []byte
	for i := 0; ; i++ {
		res, err := http.Get("http://" + addr + "/v1/status")
		if err == nil {
			body, _ = io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if i > 100 {
			t.Fatalf("serve does not answer: %v %s", err, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var a struct {
		ChainID  string `json:"chain_id"`
		Evidence struct {
			LightBlocks []json.RawMessage `json:"light_blocks"`
		} `json:"evidence"`
	}
	if err := json.Unmarshal(body, &a); err != nil || a.ChainID != "serve-test" || len(a.Evidence.LightBlocks) != 1 {
		t.Fatalf("status: %v %s", err, body)
	}
	if res, err := http.Get("http://" + metricsAddr + "/metrics"); err != nil {
		t.Fatal(err)
	} else {
		m, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(m), `traceledger_api_requests_total{code="200",route="GET /v1/status"}`) {
			t.Fatalf("metrics: %s", m)
		}
	}
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve stopped with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	// The access log has a JSON line for the status read.
	logged, err := os.ReadFile(accessLog)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, line := range strings.Split(strings.TrimSpace(string(logged)), "\n") {
		var l struct {
			Route     string `json:"route"`
			Status    int    `json:"status"`
			RequestID string `json:"request_id"`
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("access log line %q: %v", line, err)
		}
		found = found || (l.Route == "GET /v1/status" && l.Status == http.StatusOK && l.RequestID != "")
	}
	if !found {
		t.Fatalf("no access log line of the status read:\n%s", logged)
	}
}

// TestServeOpsFlags: malformed rate-limit and proxy flags are usage
// errors, found before any node is asked.
func TestServeOpsFlags(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"negative rate", []string{"--rate-limit", "-1"}, "--rate-limit"},
		{"negative submit rate", []string{"--submit-rate-limit", "-5"}, "--submit-rate-limit"},
		{"zero burst", []string{"--rate-burst", "0"}, "--rate-burst"},
		{"proxy not an address", []string{"--trusted-proxy", "proxy.example"}, "--trusted-proxy"},
		{"proxy network malformed", []string{"--trusted-proxy", "10.0.0.0/99"}, "--trusted-proxy"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"serve", "--node", "http://127.0.0.1:1", "--genesis", filepath.Join(t.TempDir(), "none.json")}, c.args...)
			_, err := run(t, ctx, args...)
			if exitCodeOf(err) != exitUsage || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("%v: exit %d, %v", c.args, exitCodeOf(err), err)
			}
		})
	}
}

// TestStartAPIAddr: 'start --api-addr' serves the API of its own node.
func TestStartAPIAddr(t *testing.T) {
	t.Setenv("TRACELEDGER_PASSPHRASE", "correct horse battery staple")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	home := filepath.Join(t.TempDir(), "apinode")
	rpc, p2p, apiAddr := freePort(t), freePort(t), freePort(t)
	if _, err := run(t, ctx, "init", "--home", home, "--chain-id", "start-api-test", "--department", "agri",
		"--rpc-laddr", "tcp://"+rpc, "--p2p-laddr", "tcp://"+p2p); err != nil {
		t.Fatal(err)
	}
	nodeCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := run(t, nodeCtx, "start", "--home", home, "--log-level", "error", "--api-addr", apiAddr)
		done <- err
	}()
	for i := 0; ; i++ {
		res, err := http.Get("http://" + apiAddr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if i > 150 {
			t.Fatalf("the node's API is not ready: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("start: %v", err)
	}
	if _, err := http.Get("http://" + apiAddr + "/healthz"); err == nil {
		t.Fatal("the API still serves after the node stopped")
	}
}
