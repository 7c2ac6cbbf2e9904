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

// TestAttestRecallCreditTraceCommands drives the issue-6 commands against a
// real single-department node: accredit a certifier, issue an attestation,
// ask whether it is valid now and before it existed, export and verify it
// as a VC (offline and against the ledger), suspend it, start a recall,
// record a complaint, read the credit profile, and trace a lot and an
// unknown identifier.
func TestAttestRecallCreditTraceCommands(t *testing.T) {
	t.Setenv("TRACELEDGER_PASSPHRASE", "correct horse battery staple")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n := startTestNode(t, ctx, "attest-cli")
	home, cli, must := n.home, n.cli, n.must
	eventually := func(check func() bool) { t.Helper(); n.eventually("condition", check) }
	eventually(func() bool { _, err := cli("query", "validators"); return err == nil })
	lab, err := run(t, ctx, "keys", "add", "lab1", "--home", home, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var key struct {
		PublicKey string `json:"public_key"`
	}
	if err := json.Unmarshal([]byte(lab), &key); err != nil {
		t.Fatal(err)
	}
	must("tx", "participant", "register", "--from", "agri-admin", "--id", "lab1", "--name", "Provincial Lab", "--role", "certifier",
		"--credit-code", "91520100MA6DLG8R28", "--key", key.PublicKey)
	issue := []string{"tx", "attest", "issue", "--from", "lab1", "--scheme", "gap", "--standard", "GB/Z 26575", "--number", "GAP-1",
		"--enterprise", "farm1", "--lot", "urn:x:lot1", "--valid-from", "2026-01-01", "--valid-until", "2030-01-01", "--evidence-sha256", strings.Repeat("ab", 32)}
	if _, err := cli(issue...); err == nil || !strings.Contains(err.Error(), "attest_unaccredited") {
		t.Fatalf("an unaccredited certifier issued: %v", err)
	}
	must("tx", "dept", "propose", "accredit", "--from", "agri-admin", "--certifier", "lab1", "--scheme", "gap",
		"--number", "CNAS-L1234", "--valid-from", "2026-01-01", "--valid-until", "2030-01-01")
	must("tx", "dept", "vote", "1", "yes", "--from", "agri-admin")
	eventually(func() bool {
		out, _ := cli("query", "participant", "lab1")
		return strings.Contains(out, "active") && strings.Contains(out, "CNAS-L1234")
	})
	// The same bytes again would be the rejected transaction (same hash):
	// the accepted one differs in its scope.
	out := must(append(issue, "--scope", "vegetables", "-o", "json")...)
	if !strings.Contains(out, `"attestation": "lab1/GAP-1"`) {
		t.Fatalf("issue: %s", out)
	}
	eventually(func() bool {
		out, _ := cli("query", "attestation", "lab1/GAP-1")
		return strings.Contains(out, "VALID at")
	})
	// NOT valid is a negative answer: exit code 4 (issue 12).
	if out, err := cli("query", "attestation", "lab1/GAP-1", "--at", "2026-02-01"); exitCodeOf(err) != exitNegative || !strings.Contains(out, "NOT valid") || !strings.Contains(out, "not yet recorded") {
		t.Fatalf("valid before it was recorded: %v %s", err, out)
	}

	vc := must("attest", "export", "lab1/GAP-1", "--from", "lab1")
	file := filepath.Join(t.TempDir(), "vc.json")
	if err := os.WriteFile(file, []byte(vc), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := must("attest", "verify", file, "--offline"); !strings.Contains(out, "signature valid") || strings.Contains(out, "VERIFIED") {
		t.Fatalf("offline verify: %s", out)
	}
	if out := must("attest", "verify", file); !strings.Contains(out, "VERIFIED: the ledger holds the same attestation") {
		t.Fatalf("ledger verify: %s", out)
	}
	if err := os.WriteFile(file, []byte(strings.Replace(vc, "GB/Z 26575", "GB/Z 99999", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	// A tampered credential is a failed verification: exit code 2, as a
	// tampered bundle (issue 12; it was 1).
	if _, err := cli("attest", "verify", file, "--offline"); exitCodeOf(err) != exitNotVerified {
		t.Fatalf("a tampered credential: %v", err)
	}

	if _, err := cli("tx", "attest", "status", "lab1/GAP-1", "--to", "suspended", "--reason", "x", "--from", "farm1"); err == nil || !strings.Contains(err.Error(), "unauthorized") {
		t.Fatalf("an enterprise suspended an attestation: %v", err)
	}
	must("tx", "attest", "status", "lab1/GAP-1", "--to", "suspended", "--reason", "surveillance audit", "--from", "lab1")
	eventually(func() bool {
		out, _ := cli("query", "attestation", "lab1/GAP-1")
		return strings.Contains(out, "status at t is ATTESTATION_STATUS_SUSPENDED")
	})

	recall := []string{"tx", "recall", "start", "R1", "--from", "farm1", "--enterprise", "farm1", "--lot", "urn:x:lot1", "--reason", "residue",
		"--hazard", "chlorpyrifos", "--level", "2", "--period-from", "2026-01-01", "--period-until", "2026-06-01"}
	// urn:x:lot1 is known (the attestation is in its history) but farm1 never
	// recorded an event on it: the command finds no held evidence.
	if _, err := cli(recall...); err == nil || !strings.Contains(err.Error(), "never held") {
		t.Fatalf("a recall of a lot never held: %v", err)
	}
	must("tx", "record", "--from", "farm1", "--subject", "urn:x:lot1", "--type", "harvest", "--payload-sha256", strings.Repeat("ab", 32))
	eventually(func() bool { _, err := cli(recall...); return err == nil })
	bad := append([]string{}, recall...)
	bad[3] = "R2"
	if _, err := cli(append(bad, "--lot", "urn:x:never")...); err == nil || !strings.Contains(err.Error(), "no history on the ledger") {
		t.Fatalf("a recall of an unknown lot: %v", err)
	}
	must("tx", "credit", "complaint", "farm1", "--category", "safety", "--complaint-sha256", strings.Repeat("cd", 32), "--from", "agri-admin")
	eventually(func() bool {
		out, _ := cli("query", "credit", "farm1", "-o", "json")
		var p struct {
			Certs      []any `json:"certifications"`
			Recalls    []any `json:"recalls"`
			Complaints []any `json:"complaints"`
		}
		return json.Unmarshal([]byte(out), &p) == nil && len(p.Certs) == 2 && len(p.Recalls) == 1 && len(p.Complaints) == 1
	})
	if out := must("query", "credit", "farm1"); !strings.Contains(out, "attestation_status") || !strings.Contains(out, "R1") || !strings.Contains(out, "safety") {
		t.Fatalf("credit profile: %s", out)
	}
	out = must("trace", "forward", "urn:x:lot1", "--format", "json")
	var g struct {
		Absent       bool     `json:"absent"`
		Recalls      []string `json:"recalls"`
		Attestations []string `json:"attestations"`
	}
	if err := json.Unmarshal([]byte(out), &g); err != nil || g.Absent || len(g.Recalls) != 1 || len(g.Attestations) != 1 {
		t.Fatalf("trace forward: %v %s", err, out)
	}
	// A verified absence is a negative answer: exit code 4 (issue 12).
	if out, err := cli("trace", "back", "urn:x:nothing"); exitCodeOf(err) != exitNegative || !strings.Contains(out, "verified absence") {
		t.Fatalf("trace of an unknown identifier: %v %s", err, out)
	}
	if out := must("trace", "certs", "urn:x:lot1"); !strings.Contains(out, "lab1/GAP-1 NOT valid: status at t is ATTESTATION_STATUS_SUSPENDED") {
		t.Fatalf("certs: %s", out)
	}
	if out := must("trace", "links", "urn:x:lot1"); !strings.Contains(out, "0 of 7 present") {
		t.Fatalf("links: %s", out)
	}
}
