// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// b64Key is the base64 public key of the Ed25519 key whose seed is 32
// bytes of seed.
func b64Key(seed byte) string {
	s := make([]byte, 32)
	for i := range s {
		s[i] = seed
	}
	return base64.StdEncoding.EncodeToString(ed25519.NewKeyFromSeed(s).Public().(ed25519.PublicKey))
}

// TestGenesisCommands builds a genesis with the CLI, validates it, checks
// that the hash is stable and that --expect and validate refuse what they
// should.
func TestGenesisCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	file := filepath.Join(dir, "genesis.json")
	if _, err := run(t, ctx, "genesis", "new", "--chain-id", "gen-test", "--out", file, "--time", "2026-11-01T00:00:00Z", "--quorum", "3/4"); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, ctx, "genesis", "validate", file); err == nil {
		t.Fatal("a genesis without departments validated")
	}
	for i, d := range []string{"agri", "market"} {
		if _, err := run(t, ctx, "genesis", "add-department", file, "--id", d, "--name", "Department "+d,
			"--validator-key", b64Key(byte(10+i)), "--admin-key", b64Key(byte(20+i)), "--power", "10"); err != nil {
			t.Fatalf("add-department %s: %v", d, err)
		}
	}
	if _, err := run(t, ctx, "genesis", "add-department", file, "--id", "drug", "--name", "Drugs",
		"--validator-key", b64Key(10), "--admin-key", b64Key(30)); err == nil || !strings.Contains(err.Error(), "duplicate") {
		t.Fatalf("a department with another's validator key: %v", err)
	}
	if _, err := run(t, ctx, "genesis", "add-participant", file, "--id", "farm1", "--name", "Farm", "--department", "agri",
		"--credit-code", "91520100MA6DKQ1X3R", "--key", b64Key(40)); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, ctx, "genesis", "add-participant", file, "--id", "farm2", "--name", "Farm", "--department", "agri",
		"--credit-code", "91520100MA6DKQ1X3A", "--key", b64Key(41)); err == nil || !strings.Contains(err.Error(), "check digit") {
		t.Fatalf("a malformed credit code: %v", err)
	}
	out, err := run(t, ctx, "genesis", "validate", file, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Valid       bool   `json:"valid"`
		Departments int    `json:"departments"`
		Num         uint64 `json:"quorum_numerator"`
		Hash        string `json:"hash"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || !v.Valid || v.Departments != 2 || v.Num != 3 {
		t.Fatalf("validate: %v %s", err, out)
	}
	h, err := run(t, ctx, "genesis", "hash", file)
	if err != nil || strings.TrimSpace(h) != v.Hash || len(v.Hash) != 64 {
		t.Fatalf("hash %q (validate said %q): %v", h, v.Hash, err)
	}
	if _, err := run(t, ctx, "genesis", "hash", file, "--expect", v.Hash); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, ctx, "genesis", "hash", file, "--expect", strings.Repeat("0", 64)); err == nil {
		t.Fatal("--expect accepted a wrong hash")
	}
	// A second enterprise with the same credit code passes the genesis
	// package's rules but not the state machine's: validate catches it.
	if _, err := run(t, ctx, "genesis", "add-participant", file, "--id", "farm3", "--name", "Farm", "--department", "agri",
		"--credit-code", "91520100MA6DKQ1X3R", "--key", b64Key(42)); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, ctx, "genesis", "validate", file); err == nil || !strings.Contains(err.Error(), "already registered") {
		t.Fatalf("validate with a duplicate credit code: %v", err)
	}
}

// TestGovernanceCommands drives the membership and governance commands
// against a one-department node: register, suspend, reinstate, rotate and
// revoke keys, propose and vote (one department is its own quorum), and the
// verified queries.
func TestGovernanceCommands(t *testing.T) {
	home := filepath.Join(t.TempDir(), "agri")
	t.Setenv("TRACELEDGER_PASSPHRASE", "correct horse battery staple")
	rpc, p2p := freePort(t), freePort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := run(t, ctx, "init", "--home", home, "--chain-id", "gov-cli", "--department", "agri",
		"--enterprise", "farm1,Green Valley Farm,91520100MA6DKQ1X3R", "--rpc-laddr", "tcp://"+rpc, "--p2p-laddr", "tcp://"+p2p); err != nil {
		t.Fatal(err)
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
	common := []string{"--home", home, "--node", node}
	cli := func(args ...string) (string, error) {
		t.Helper()
		return run(t, ctx, append(args, common...)...)
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := cli(args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return out
	}
	for i := 0; ; i++ { // the node needs its first block
		if _, err := cli("query", "validators"); err == nil || i > 50 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	lab, err := run(t, ctx, "keys", "add", "lab1", "--home", home, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var key struct {
		PublicKey string `json:"public_key"`
		KeyID     string `json:"key_id"`
	}
	if err := json.Unmarshal([]byte(lab), &key); err != nil {
		t.Fatal(err)
	}
	must("tx", "participant", "register", "--from", "agri-admin", "--id", "lab1", "--name", "Provincial Lab", "--role", "certifier",
		"--credit-code", "91520100MA6DLG8R28", "--key", key.PublicKey)
	if _, err := cli("tx", "participant", "register", "--from", "agri-admin", "--id", "lab2", "--name", "Lab", "--role", "certifier",
		"--credit-code", "91520100MA6DLG8R28", "--key", b64Key(50)); err == nil || !strings.Contains(err.Error(), "duplicate_participant") {
		t.Fatalf("duplicate credit code: %v", err)
	}
	must("tx", "participant", "suspend", "farm1", "--from", "agri-admin", "--reason", "failed inspection")
	out := must("query", "participants", "--status", "suspended", "-o", "json")
	if !strings.Contains(out, `"farm1"`) || strings.Contains(out, `"lab1"`) {
		t.Fatalf("suspended participants: %s", out)
	}
	if _, err := cli("tx", "record", "--from", "farm1", "--subject", "urn:x:1", "--type", "harvest", "--payload-sha256", strings.Repeat("ab", 32)); err == nil || !strings.Contains(err.Error(), "code 14") {
		t.Fatalf("a suspended enterprise recorded: %v", err)
	}
	must("tx", "participant", "reinstate", "farm1", "--from", "agri-admin", "--reason", "corrected")
	must("tx", "participant", "rotate-key", "--from", "lab1", "--new", "lab1-2027")
	if _, err := cli("tx", "participant", "revoke-key", key.KeyID, "--from", "lab1-2027", "--reason", "x"); err == nil || !strings.Contains(err.Error(), "key_inactive") {
		t.Fatalf("revoking the rotated key: %v", err)
	}
	out = must("query", "participant", "lab1", "-o", "json")
	if strings.Contains(out, key.KeyID) || !strings.Contains(out, `"certifier"`) {
		t.Fatalf("lab1 after rotation: %s", out)
	}

	out = must("tx", "dept", "propose", "accredit", "--from", "agri-admin", "--certifier", "lab1", "--scheme", "gap", "--scheme", "organic",
		"--number", "CNAS-L1234", "--valid-from", "2026-01-01", "--valid-until", "2029-01-01", "-o", "json")
	var prop struct {
		ID uint64 `json:"proposal_id"`
	}
	if err := json.Unmarshal([]byte(out), &prop); err != nil || prop.ID != 1 {
		t.Fatalf("propose: %v %s", err, out)
	}
	if _, err := cli("tx", "dept", "vote", "1", "maybe", "--from", "agri-admin"); err == nil {
		t.Fatal("a vote of maybe was sent")
	}
	if _, err := cli("tx", "dept", "vote", "1", "yes", "--from", "farm1"); err == nil || !strings.Contains(err.Error(), "unauthorized") {
		t.Fatalf("an enterprise voted: %v", err)
	}
	must("tx", "dept", "vote", "1", "yes", "--from", "agri-admin")
	var pv struct {
		Proposal struct {
			Status string            `json:"status"`
			Votes  map[string]string `json:"votes"`
		} `json:"proposal"`
		Verified bool `json:"verified"`
	}
	for i := 0; ; i++ { // executed at the end of the block; answers lag one block
		out = must("query", "proposal", "1", "-o", "json")
		if err := json.Unmarshal([]byte(out), &pv); err != nil {
			t.Fatal(err)
		}
		if pv.Proposal.Status == "executed" || i > 20 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if pv.Proposal.Status != "executed" || pv.Proposal.Votes["agri"] != "yes" || !pv.Verified {
		t.Fatalf("proposal 1: %s", out)
	}
	out = must("query", "participant", "lab1")
	if !strings.Contains(out, "accreditation CNAS-L1234 [gap organic] active") {
		t.Fatalf("lab1 after accreditation: %s", out)
	}
	out = must("query", "proposals", "--status", "executed")
	if !strings.Contains(out, "#1") || !strings.Contains(out, "accredit lab1") {
		t.Fatalf("executed proposals: %s", out)
	}
	out = must("query", "validators", "-o", "json")
	var vs struct {
		Validators []struct {
			Department string `json:"department"`
		} `json:"validators"`
		Total int64 `json:"total_power"`
	}
	if err := json.Unmarshal([]byte(out), &vs); err != nil || len(vs.Validators) != 1 || vs.Validators[0].Department != "agri" || vs.Total != 10 {
		t.Fatalf("validators: %v %s", err, out)
	}
	// The last department cannot leave: the proposal is refused.
	if _, err := cli("tx", "dept", "propose", "remove-department", "--from", "agri-admin", "--department", "agri", "--successor", "agri"); err == nil {
		t.Fatal("removing the only department was accepted")
	}
	out = must("query", "history", "proposal:1")
	for _, want := range []string{"proposal_submitted", "vote_cast", "accreditation_changed", "proposal_closed"} {
		if !strings.Contains(out, want) {
			t.Fatalf("history of proposal 1 lacks %s:\n%s", want, out)
		}
	}
}
