// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestProofCLI drives proof export, verify and audit --once against a node
// started by the CLI: the exported bundle verifies offline, a one-byte
// change makes verify exit with code 2, and the auditor finds nothing on an
// honest node, twice (the second pass checks consistency from the first
// pass's checkpoint).
func TestProofCLI(t *testing.T) {
	t.Setenv("TRACELEDGER_PASSPHRASE", "correct horse battery staple")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	n := startTestNode(t, ctx, "proof-cli")
	home, node := n.home, n.url
	gen := filepath.Join(home, "config", "genesis.json")
	payload := filepath.Join(t.TempDir(), "p.json")
	os.WriteFile(payload, []byte(`{"kg":5}`), 0o600)
	lot := "urn:epc:class:lgtin:6901234.500012.PROOFCLI"
	for n := 0; n < 3; n++ {
		var err error
		for i := 0; ; i++ {
			_, err = run(t, ctx, "tx", "record", "--home", home, "--node", node, "--from", "farm1", "--subject", lot,
				"--type", "step", "--payload", payload)
			if err == nil || i > 50 {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("tx record: %v", err)
		}
	}

	dir := t.TempDir()
	bundle := filepath.Join(dir, "bundle.json")
	if _, err := run(t, ctx, "proof", "export", "--home", home, "--node", node, "--id", lot, "--value", "recall/"+lot, "--out", bundle); err != nil {
		t.Fatalf("proof export: %v", err)
	}
	n.stop() // verification needs no network

	out, err := run(t, ctx, "verify", bundle, "--genesis", gen, "-o", "json")
	if err != nil {
		t.Fatalf("verify: %v\n%s", err, out)
	}
	var rep struct {
		Verified bool `json:"verified"`
		Complete bool `json:"complete"`
		Count    int  `json:"count"`
		Records  []struct {
			Verified bool   `json:"verified"`
			Proven   string `json:"proven"`
		} `json:"records"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || !rep.Verified || !rep.Complete || rep.Count != 3 || len(rep.Records) != 3 {
		t.Fatalf("verify report: %v %s", err, out)
	}
	out, err = run(t, ctx, "verify", bundle, "--genesis", gen)
	if err != nil || !strings.Contains(out, "RESULT: VERIFIED") || !strings.Contains(out, "absent at state height") {
		t.Fatalf("verify text: %v %s", err, out)
	}

	// One changed byte in a record: exit code 2 and the failure named.
	raw, _ := os.ReadFile(bundle)
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	recs := doc["records"].([]any)
	r0 := recs[0].(map[string]any)
	b64 := []byte(r0["record"].(string))
	if b64[4] == 'A' {
		b64[4] = 'B'
	} else {
		b64[4] = 'A'
	}
	r0["record"] = string(b64)
	bad, _ := json.Marshal(doc)
	badPath := filepath.Join(dir, "bad.json")
	os.WriteFile(badPath, bad, 0o600)
	out, err = run(t, ctx, "verify", badPath, "--genesis", gen)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 2 || !strings.Contains(out, "NOT VERIFIED") {
		t.Fatalf("tampered bundle: %v\n%s", err, out)
	}
	// Without a trust root the command refuses to run.
	if _, err := run(t, ctx, "verify", bundle); err == nil {
		t.Fatal("verify without a trust root succeeded")
	}
}

// TestAuditCLIOnce runs audit --once twice against an honest node.
func TestAuditCLIOnce(t *testing.T) {
	t.Setenv("TRACELEDGER_PASSPHRASE", "correct horse battery staple")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	n := startTestNode(t, ctx, "audit-cli")
	home, node := n.home, n.url
	gen := filepath.Join(home, "config", "genesis.json")
	lot := "urn:epc:class:lgtin:6901234.500012.AUDITCLI"
	payload := filepath.Join(t.TempDir(), "p.json")
	os.WriteFile(payload, []byte(`{"kg":5}`), 0o600)
	submit := func() {
		var err error
		for i := 0; ; i++ {
			_, err = run(t, ctx, "tx", "record", "--home", home, "--node", node, "--from", "farm1", "--subject", lot, "--type", "step", "--payload", payload)
			if err == nil || i > 50 {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("tx record: %v", err)
		}
	}
	submit()
	state := filepath.Join(t.TempDir(), "audit.json")
	var last struct {
		Checkpoint *struct {
			Height  int64 `json:"height"`
			LogSize int   `json:"log_size"`
		} `json:"Checkpoint"`
		Alerts []any `json:"Alerts"`
	}
	for pass := 0; pass < 2; pass++ {
		out, err := run(t, ctx, "audit", "--nodes", node, "--genesis", gen, "--state", state, "--check-id", lot, "--once", "-o", "json")
		if err != nil {
			t.Fatalf("audit pass %d: %v\n%s", pass, err, out)
		}
		if err := json.Unmarshal([]byte(out), &last); err != nil || last.Checkpoint == nil || len(last.Alerts) != 0 {
			t.Fatalf("audit pass %d: %v %s", pass, err, out)
		}
		submit()
	}
	st, err := os.ReadFile(state)
	if err != nil || !strings.Contains(string(st), `"checkpoint"`) {
		t.Fatalf("state file: %v %s", err, st)
	}
}
