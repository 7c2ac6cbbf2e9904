// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/traceledger/traceledger/watch"
)

// TestWatchCLI drives the supervision commands against a real node: a
// complaint assessed to the farm and its sales range, a recall ordered,
// a movement after it alerted by `watch run --once` with its evidence,
// and a restart that resumes without raising it again.
func TestWatchCLI(t *testing.T) {
	t.Setenv("TRACELEDGER_PASSPHRASE", "correct horse battery staple")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	n := startTestNode(t, ctx, "watch-cli")
	dir := t.TempDir()
	payload := filepath.Join(dir, "p.json")
	os.WriteFile(payload, []byte(`{"kg":3}`), 0o600)
	const lot = "urn:x:watch-lot1"
	n.must("tx", "record", "--from", "farm1", "--subject", lot, "--type", "harvest", "--payload", payload)
	out := n.must("tx", "credit", "complaint", "farm1", "--from", "agri-admin", "--category", "safety", "--complaint-sha256", strings.Repeat("ab", 32), "-o", "json")
	var committed struct {
		Indexes []uint64 `json:"log_indexes"`
	}
	if err := json.Unmarshal([]byte(out), &committed); err != nil || len(committed.Indexes) != 1 {
		t.Fatalf("complaint: %s (%v)", out, err)
	}
	idx := committed.Indexes[0]
	var a watch.Assessment
	out = n.must("supervise", "assess", jsonNumber(idx), "--product", lot, "-o", "json")
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatalf("assess: %s (%v)", out, err)
	}
	if !a.Located || a.Enterprise != "farm1" || len(a.Lots) != 1 || a.Lots[0] != lot || !strings.Contains(a.Command, "tx recall start") {
		t.Fatalf("assessment %+v", a)
	}
	if _, err := n.cli("supervise", "assess", jsonNumber(idx), "--product", "urn:x:never"); exitCodeOf(err) != exitNegative {
		t.Fatalf("assess of an untraced product: %v, want exit 4", err)
	}
	if _, err := n.cli("supervise", "assess", "0", "--product", lot); exitCodeOf(err) == exitOK {
		t.Fatal("assess of a record that is not a complaint succeeded")
	}

	n.must("tx", "recall", "start", "C1", "--from", "agri-admin", "--enterprise", "farm1", "--lot", lot, "--reason", "complaint",
		"--hazard", "h", "--level", "1", "--period-from", "2026-01-01", "--period-until", "2026-12-01")
	n.must("tx", "record", "--from", "farm1", "--subject", lot, "--type", "shipping", "--payload", payload)
	state := filepath.Join(dir, "w", "watch.json")
	alerts := filepath.Join(dir, "w", "alerts.jsonl")
	_, err := n.cli("watch", "run", "--state", state, "--once", "-o", "json")
	if exitCodeOf(err) != exitNegative {
		t.Fatalf("watch run --once with an alert: %v, want exit 4", err)
	}
	f, err := os.Open(alerts)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var found *watch.Alert
	for sc := bufio.NewScanner(f); sc.Scan(); {
		var al watch.Alert
		if err := json.Unmarshal(sc.Bytes(), &al); err != nil {
			t.Fatalf("alert line %q: %v", sc.Text(), err)
		}
		if al.Rule == "recall-movement" {
			found = &al
		}
	}
	if found == nil || found.Enterprise != "farm1" || len(found.Evidence.Records) < 2 {
		t.Fatalf("no recall-movement alert with evidence: %+v", found)
	}
	// Resumed: nothing new, exit 0.
	if _, err := n.cli("watch", "run", "--state", state, "--once"); err != nil {
		t.Fatalf("resumed watch run: %v", err)
	}
	if _, err := n.cli("watch", "rules", "--check", filepath.Join(dir, "none.json")); exitCodeOf(err) != exitUsage {
		t.Fatalf("rules --check of a missing file: %v", err)
	}
}

func jsonNumber(u uint64) string {
	b, _ := json.Marshal(u)
	return string(b)
}
