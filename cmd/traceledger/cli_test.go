// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// run executes the CLI with args and returns its standard output.
func run(t *testing.T, ctx context.Context, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return out.String(), err
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// testNode is a one-department node started by the CLI in this process.
type testNode struct {
	t                  *testing.T
	ctx                context.Context
	home, url, genesis string
	// stop stops the node and waits for it (also run at cleanup; a second
	// call does nothing).
	stop func()
}

// startTestNode runs 'init' and 'start' for a one-department network with
// farm1 registered (timeout_commit 200 ms), and waits until the node
// answers verified queries.
func startTestNode(t *testing.T, ctx context.Context, chainID string) testNode {
	t.Helper()
	home := filepath.Join(t.TempDir(), chainID)
	rpc, p2p := freePort(t), freePort(t)
	if _, err := run(t, ctx, "init", "--home", home, "--chain-id", chainID, "--department", "agri",
		"--enterprise", "farm1,Green Valley Farm,91520100MA6DKQ1X3R", "--rpc-laddr", "tcp://"+rpc, "--p2p-laddr", "tcp://"+p2p); err != nil {
		t.Fatalf("init %s: %v", chainID, err)
	}
	cfgPath := filepath.Join(home, "config", "config.toml")
	cfg, _ := os.ReadFile(cfgPath)
	os.WriteFile(cfgPath, []byte(strings.Replace(string(cfg), `timeout_commit = "1s"`, `timeout_commit = "200ms"`, 1)), 0o600)
	nodeCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := run(t, nodeCtx, "start", "--home", home, "--log-level", "error")
		done <- err
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("start %s: %v", chainID, err)
			}
		})
	}
	t.Cleanup(stop)
	n := testNode{t: t, ctx: ctx, home: home, url: "http://" + rpc, genesis: filepath.Join(home, "config", "genesis.json"), stop: stop}
	n.eventually("node "+chainID+" answers", func() bool {
		_, err := run(t, ctx, "query", "status", "--home", home)
		return err == nil
	})
	return n
}

// cli runs a command against the node (--home and --node appended).
func (n testNode) cli(args ...string) (string, error) {
	n.t.Helper()
	return run(n.t, n.ctx, append(args, "--home", n.home, "--node", n.url)...)
}

// must is cli, failing the test on an error.
func (n testNode) must(args ...string) string {
	n.t.Helper()
	out, err := n.cli(args...)
	if err != nil {
		n.t.Fatalf("%v: %v", args, err)
	}
	return out
}

// eventually polls check every 200 ms for up to 20 s.
func (n testNode) eventually(what string, check func() bool) {
	n.t.Helper()
	for i := 0; !check(); i++ {
		if i > 100 {
			n.t.Fatalf("%s: not in time", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestCLIEndToEnd drives the real commands: init, keys, start (in the
// background), tx record, query status/history/record with --output json.
func TestCLIEndToEnd(t *testing.T) {
	home := filepath.Join(t.TempDir(), "agri")
	t.Setenv("TRACELEDGER_PASSPHRASE", "correct horse battery staple")
	rpc, p2p := freePort(t), freePort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	out, err := run(t, ctx, "init", "--home", home, "--chain-id", "cli-test", "--department", "agri",
		"--enterprise", "farm1,Green Valley Farm,91520100MA6DKQ1X3R", "--rpc-laddr", "tcp://"+rpc, "--p2p-laddr", "tcp://"+p2p)
	if err != nil {
		t.Fatalf("init: %v", err)
	}
	if !strings.Contains(out, "genesis hash") {
		t.Fatalf("init output: %s", out)
	}
	if _, err := run(t, ctx, "init", "--home", home); err == nil {
		t.Fatal("init over an existing home succeeded")
	}
	out, err = run(t, ctx, "keys", "list", "--home", home, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var keys []map[string]string
	if err := json.Unmarshal([]byte(out), &keys); err != nil || len(keys) != 2 {
		t.Fatalf("keys list: %v %s", err, out)
	}

	nodeCtx, stopNode := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := run(t, nodeCtx, "start", "--home", home, "--log-level", "error")
		done <- err
	}()
	defer func() {
		stopNode()
		if err := <-done; err != nil {
			t.Errorf("start: %v", err)
		}
	}()

	node := "http://" + rpc
	payload := filepath.Join(t.TempDir(), "harvest.json")
	os.WriteFile(payload, []byte(`{"kg":1200}`), 0o600)
	lot := "urn:epc:class:lgtin:6901234.500012.CLI1"
	for i := 0; ; i++ { // the node needs its first block before it takes transactions
		out, err = run(t, ctx, "tx", "record", "--home", home, "--node", node, "--from", "farm1", "--subject", lot,
			"--type", "harvest", "--payload", payload, "--note", "harvested", "-o", "json")
		if err == nil || i > 50 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("tx record: %v", err)
	}
	var rec struct {
		Height  int64    `json:"height"`
		Indexes []uint64 `json:"log_indexes"`
	}
	if err := json.Unmarshal([]byte(out), &rec); err != nil || len(rec.Indexes) != 1 {
		t.Fatalf("tx record output: %v %s", err, out)
	}

	out, err = run(t, ctx, "query", "history", lot, "--home", home, "--node", node, "-o", "json")
	if err != nil {
		t.Fatalf("query history: %v", err)
	}
	var hist struct {
		Records []struct {
			EventType string `json:"event_type"`
		} `json:"records"`
		Verified bool `json:"verified"`
	}
	if err := json.Unmarshal([]byte(out), &hist); err != nil || !hist.Verified || len(hist.Records) != 1 || hist.Records[0].EventType != "harvest" {
		t.Fatalf("history: %v %s", err, out)
	}
	// A proven absence is a negative answer: exit code 4 (issue 12), with
	// the verified answer printed.
	out, err = run(t, ctx, "query", "history", lot+"X", "--home", home, "--node", node)
	if exitCodeOf(err) != exitNegative || !strings.Contains(out, "absence proven") {
		t.Fatalf("unknown lot: %v %s", err, out)
	}
	out, err = run(t, ctx, "query", "record", "0", "--home", home, "--node", node)
	if err != nil || !strings.Contains(out, "participant_registered") || !strings.Contains(out, "VERIFIED") {
		t.Fatalf("query record 0: %v %s", err, out)
	}
	if _, err := run(t, ctx, "query", "status", "--home", home, "--node", node); err != nil {
		t.Fatalf("query status: %v", err)
	}
	// A wrong passphrase is refused before anything is sent.
	t.Setenv("TRACELEDGER_PASSPHRASE", "wrong")
	if _, err := run(t, ctx, "tx", "record", "--home", home, "--node", node, "--from", "farm1", "--subject", lot,
		"--type", "harvest", "--payload-sha256", strings.Repeat("ab", 32)); err == nil {
		t.Fatal("tx record with a wrong passphrase succeeded")
	}
}
