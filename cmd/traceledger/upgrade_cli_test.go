// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/traceledger/traceledger/app"
)

// cliChildEnv makes this test binary run as the traceledger CLI (TestMain).
const cliChildEnv = "TRACELEDGER_TEST_RUN_CLI"

// TestMain runs the CLI instead of the tests when cliChildEnv is set, so
// tests can run nodes as child processes without building the binary.
func TestMain(m *testing.M) {
	if os.Getenv(cliChildEnv) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// exitOf is a child process's exit status (0 for a nil error, -1 when it
// did not exit normally).
func exitOf(err error) int {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	return -1
}

// tail is the end of a long output, for failure messages.
func tail(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}

// TestUpgradeCommands: `tx dept propose upgrade` schedules an upgrade that
// `query upgrade` shows verified; at the height `start` exits with code 5
// naming the binary; the old binary refuses the home again; started as the
// new binary (--test-upgrade) the node continues past the height, and
// `query upgrade NAME` shows that it ran.
func TestUpgradeCommands(t *testing.T) {
	home := filepath.Join(t.TempDir(), "agri")
	t.Setenv("TRACELEDGER_PASSPHRASE", "correct horse battery staple")
	rpc, p2p := freePort(t), freePort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := run(t, ctx, "init", "--home", home, "--chain-id", "upgrade-cli", "--department", "agri",
		"--enterprise", "farm1,Green Valley Farm,91520100MA6DKQ1X3R", "--rpc-laddr", "tcp://"+rpc, "--p2p-laddr", "tcp://"+p2p); err != nil {
		t.Fatal(err)
	}
	// Every node runs as a child process (this test binary re-executed as
	// the CLI): CometBFT keeps its tx index open after Stop, so a home
	// cannot be reopened by the process that ran it.
	start := func(args ...string) (func(), chan error, *bytes.Buffer) {
		cmd := exec.CommandContext(ctx, os.Args[0], append([]string{"start", "--home", home, "--log-level", "error"}, args...)...)
		cmd.Env = append(os.Environ(), cliChildEnv+"=1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		return func() { cmd.Process.Signal(syscall.SIGTERM) }, done, &stderr
	}
	common := []string{"--home", home, "--node", "http://" + rpc}
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
	height := func() int64 {
		t.Helper()
		out, err := cli("query", "status", "-o", "json")
		if err != nil {
			return -1
		}
		var st struct {
			Height int64 `json:"height"`
		}
		json.Unmarshal([]byte(out), &st)
		return st.Height
	}
	stop, done, stderr := start()
	for i := 0; height() < 1; i++ {
		if i > 100 {
			t.Fatal("no first block")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if _, err := cli("query", "upgrade"); exitCodeOf(err) != exitNegative {
		t.Fatalf("query upgrade with no plan: %v (exit %d), want exit %d", err, exitCodeOf(err), exitNegative)
	}
	if _, err := cli("tx", "dept", "propose", "upgrade", "--from", "agri-admin", "--name", "v2", "--height", "100", "--version", "v2.0.0", "--sha256", "abcd"); err == nil || !strings.Contains(err.Error(), "64 hex digits") {
		t.Fatalf("short --sha256: %v", err)
	}
	sum := strings.Repeat("5a", 32)
	upH := height() + 12
	out := must("tx", "dept", "propose", "upgrade", "--from", "agri-admin", "--name", "v2", "--height", strconv.FormatInt(upH, 10),
		"--version", "v2.0.0", "--sha256", sum, "--notes", "adds the v2 rules", "-o", "json")
	var prop struct {
		ID uint64 `json:"proposal_id"`
	}
	if err := json.Unmarshal([]byte(out), &prop); err != nil || prop.ID == 0 {
		t.Fatalf("propose upgrade: %v %s", err, out)
	}
	must("tx", "dept", "vote", strconv.FormatUint(prop.ID, 10), "yes", "--from", "agri-admin")
	var plan struct {
		Upgrade  map[string]any `json:"upgrade"`
		Verified bool           `json:"verified"`
	}
	for i := 0; ; i++ {
		out, err := cli("query", "upgrade", "-o", "json")
		if err == nil {
			if err := json.Unmarshal([]byte(out), &plan); err != nil {
				t.Fatal(err)
			}
			break
		}
		if i > 30 {
			t.Fatalf("query upgrade: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !plan.Verified || plan.Upgrade["name"] != "v2" || plan.Upgrade["binary_sha256"] != sum || plan.Upgrade["height"] != float64(upH) {
		t.Fatalf("plan: %+v", plan)
	}

	// The old binary stops by itself at the height, exit code 5.
	var err error
	select {
	case err = <-done:
	case <-time.After(time.Minute):
		t.Fatal("the node did not stop at the upgrade height")
	}
	stop()
	if exitOf(err) != int(exitUpgrade) || !strings.Contains(stderr.String(), sum) || !strings.Contains(stderr.String(), "UPGRADE NEEDED") || !strings.Contains(stderr.String(), "v2.0.0") {
		t.Fatalf("start at the upgrade height: %v (exit %d): %s", err, exitOf(err), tail(stderr.String()))
	}
	// Restarted, the old binary refuses at once.
	stop, done, stderr = start()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the old binary started past the upgrade height")
	}
	stop()
	if exitOf(err) != int(exitUpgrade) || !strings.Contains(stderr.String(), "UPGRADE NEEDED") {
		t.Fatalf("old binary restarted: %v (exit %d), want exit %d: %s", err, exitOf(err), exitUpgrade, tail(stderr.String()))
	}

	// The new binary continues.
	stop, done, stderr = start("--test-upgrade", "v2")
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("start: %v: %s", err, tail(stderr.String()))
		}
	}()
	for i := 0; height() <= upH+1; i++ {
		if i > 150 {
			t.Fatalf("the new binary did not pass the upgrade height %d (at %d): %s", upH, height(), tail(stderr.String()))
		}
		time.Sleep(200 * time.Millisecond)
	}
	out = must("query", "upgrade", "v2", "-o", "json")
	var ran struct {
		Upgrade map[string]any `json:"upgrade"`
	}
	if err := json.Unmarshal([]byte(out), &ran); err != nil || ran.Upgrade["done_height"] != float64(upH) || ran.Upgrade["app_version"] != float64(app.Version+1) {
		t.Fatalf("query upgrade v2: %v %s", err, out)
	}
	if _, err := cli("query", "upgrade"); exitCodeOf(err) != exitNegative {
		t.Fatalf("query upgrade after it ran: %v, want no plan", err)
	}
}
