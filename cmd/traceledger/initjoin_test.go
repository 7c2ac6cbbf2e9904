// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestInitGenesisJoin founds a two-department network as the README says:
// each department runs init, the shared genesis is built with 'genesis new'
// and 'genesis add-department' from their homes, each department runs
// 'init --genesis FILE --peers ...' on its home, and both nodes start and
// commit blocks signed by both; a new home joins the same genesis as a
// non-validator. Bad peers, a bad genesis and a home that already ran are
// refused with nothing changed.
func TestInitGenesisJoin(t *testing.T) {
	t.Setenv("TRACELEDGER_PASSPHRASE", "correct horse battery staple")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	type dept struct{ id, home, rpc, p2p, peer string }
	depts := []*dept{{id: "agri"}, {id: "market"}}
	for _, d := range depts {
		d.home, d.rpc, d.p2p = filepath.Join(dir, d.id), freePort(t), freePort(t)
		out, err := run(t, ctx, "init", "--home", d.home, "--department", d.id, "--chain-id", "provisional-"+d.id,
			"--rpc-laddr", "tcp://"+d.rpc, "--p2p-laddr", "tcp://"+d.p2p, "-o", "json")
		if err != nil {
			t.Fatalf("init %s: %v", d.id, err)
		}
		var v struct {
			Peer string `json:"peer"`
		}
		if err := json.Unmarshal([]byte(out), &v); err != nil || !strings.HasSuffix(v.Peer, "@"+d.p2p) {
			t.Fatalf("init %s output: %v %s", d.id, err, out)
		}
		d.peer = v.Peer
		cfgPath := filepath.Join(d.home, "config", "config.toml")
		cfg, _ := os.ReadFile(cfgPath)
		os.WriteFile(cfgPath, []byte(strings.Replace(string(cfg), `timeout_commit = "1s"`, `timeout_commit = "200ms"`, 1)), 0o600)
	}
	gen := filepath.Join(dir, "genesis.json")
	if _, err := run(t, ctx, "genesis", "new", "--chain-id", "founded-1", "--out", gen); err != nil {
		t.Fatal(err)
	}
	for _, d := range depts {
		if _, err := run(t, ctx, "genesis", "add-department", gen, "--id", d.id, "--name", "Department "+d.id,
			"--validator-home", d.home, "--admin-home", d.home, "--admin-name", d.id+"-admin"); err != nil {
			t.Fatalf("add-department %s: %v", d.id, err)
		}
	}
	hash, err := run(t, ctx, "genesis", "hash", gen)
	if err != nil {
		t.Fatal(err)
	}

	// Refused, with nothing changed: a malformed peer, a file that is no genesis.
	before, _ := os.ReadFile(filepath.Join(depts[0].home, "config", "genesis.json"))
	if _, err := run(t, ctx, "init", "--home", depts[0].home, "--genesis", gen, "--peers", "nobody@127.0.0.1:1"); exitCodeOf(err) != exitUsage || !strings.Contains(err.Error(), "NODE_ID@HOST:PORT") {
		t.Fatalf("a malformed peer: %v", err)
	}
	if _, err := run(t, ctx, "init", "--home", depts[0].home, "--genesis", filepath.Join(depts[0].home, "config", "config.toml")); exitCodeOf(err) != exitUsage {
		t.Fatalf("a file that is no genesis: %v", err)
	}
	if after, _ := os.ReadFile(filepath.Join(depts[0].home, "config", "genesis.json")); string(after) != string(before) {
		t.Fatal("a refused init --genesis changed the home")
	}

	for i, d := range depts {
		other := depts[1-i]
		out, err := run(t, ctx, "init", "--home", d.home, "--genesis", gen, "--peers", other.peer, "-o", "json")
		if err != nil {
			t.Fatalf("init --genesis %s: %v", d.id, err)
		}
		var v struct {
			Role        string `json:"role"`
			ChainID     string `json:"chain_id"`
			GenesisHash string `json:"genesis_hash"`
			Created     bool   `json:"created"`
		}
		if err := json.Unmarshal([]byte(out), &v); err != nil || v.Role != "validator" || v.ChainID != "founded-1" || v.GenesisHash != strings.TrimSpace(hash) || v.Created {
			t.Fatalf("init --genesis %s: %v %s", d.id, err, out)
		}
	}
	// A new home joins as a non-validator, with keys of its own.
	out, err := run(t, ctx, "init", "--home", filepath.Join(dir, "observer"), "--genesis", gen, "--department", "commerce",
		"--peers", depts[0].peer, "--rpc-laddr", "tcp://"+freePort(t), "--p2p-laddr", "tcp://"+freePort(t), "-o", "json")
	if err != nil || !strings.Contains(out, `"role": "non-validator"`) || !strings.Contains(out, `"admin_key": "commerce-admin"`) || !strings.Contains(out, `"created": true`) {
		t.Fatalf("a new home joining: %v %s", err, out)
	}

	// Both founding nodes run the shared chain.
	for _, d := range depts {
		nodeCtx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			_, err := run(t, nodeCtx, "start", "--home", d.home, "--log-level", "error")
			done <- err
		}()
		defer func() {
			stop()
			<-done
		}()
	}
	for i := 0; ; i++ {
		out, err = run(t, ctx, "query", "status", "--home", depts[1].home)
		if err == nil && strings.Contains(out, "signed by 2 of 2 validators") {
			break
		}
		if i > 150 {
			t.Fatalf("the founded network does not commit blocks signed by both: %v %s", err, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !strings.Contains(out, "chain founded-1") {
		t.Fatalf("status: %s", out)
	}
	// A home that has run cannot have its genesis replaced.
	if _, err := run(t, ctx, "init", "--home", depts[0].home, "--genesis", gen); err == nil || !strings.Contains(err.Error(), "already run a chain") {
		t.Fatalf("init --genesis over a home that ran: %v", err)
	}
}
