// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/traceledger/traceledger/app"
	"github.com/traceledger/traceledger/client"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// TestExitCodeOf maps every kind of error to its exit code by type, however
// deeply it is wrapped.
func TestExitCodeOf(t *testing.T) {
	refused := &url.Error{Op: "Post", URL: "http://127.0.0.1:1", Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}
	for _, tc := range []struct {
		name string
		err  error
		want exitCode
	}{
		{"nil", nil, exitOK},
		{"plain", errors.New("bad flag"), exitUsage},
		{"usage", &usageError{cmd: "traceledger x", err: errors.New("unknown command")}, exitUsage},
		{"tx rejected", &client.TxError{Code: 12, Stage: "check"}, exitUsage},
		{"not verified", fmt.Errorf("history: %w", client.ErrNotVerified), exitNotVerified},
		{"tampered credential", fmt.Errorf("%w: proof does not verify", client.ErrVC), exitNotVerified},
		{"other chain", fmt.Errorf("x: %w", &client.ChainIDMismatchError{Node: "n", NodeChainID: "a", LocalChainID: "b"}), exitNotVerified},
		{"connection refused", fmt.Errorf("query /history: post failed: %w", refused), exitUnreachable},
		{"refused while verifying", fmt.Errorf("%w: header 3: %w", client.ErrNotVerified, refused), exitUnreachable},
		{"dial error", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, exitUnreachable},
		{"time-out", fmt.Errorf("waiting: %w", context.DeadlineExceeded), exitUnreachable},
		{"url parse error is not the network", &url.Error{Op: "parse", URL: "x", Err: errors.New("bad")}, exitUsage},
		{"query refused", &client.QueryError{Code: uint32(tlv1.CodeHeightUnavailable)}, exitUnreachable},
		{"query malformed", &client.QueryError{Code: uint32(tlv1.CodeInvalidQuery)}, exitUsage},
		{"not found", fmt.Errorf("record: %w", &client.QueryError{Code: uint32(tlv1.CodeNotFound)}), exitNegative},
		{"absent", fmt.Errorf("prove: %w", &client.AbsentError{What: "anchor", Height: 3}), exitNegative},
		{"negative", negative("lot %s has no records", "x"), exitNegative},
		{"API node unavailable", fmt.Errorf("submit: %w", &client.APIError{Status: 503, Code: uint32(tlv1.CodeAPINodeUnavailable)}), exitUnreachable},
		{"API is no TraceLedger API", &client.APIError{Status: 404}, exitUsage},
		{"API refused the tx", fmt.Errorf("submit: %w", &client.TxError{Code: uint32(tlv1.CodeBadSignature), Stage: "check"}), exitUsage},
		{"explicit wins", notVerified(fmt.Errorf("bundle: %w", refused)), exitNotVerified},
		{"upgrade needed", fmt.Errorf("open: %w", &app.UpgradeNeededError{Plan: &tlv1.UpgradePlan{}}), exitUpgrade},
		{"upgrade too early", &app.UpgradeTooEarlyError{Name: "v2", NextHeight: 3}, exitUpgrade},
		{"state too new", &app.StateTooNewError{StateVersion: 5, BinaryVersion: 4}, exitUpgrade},
		{"halted", upgradeStop(errors.New("x")), exitUpgrade},
	} {
		if got := exitCodeOf(tc.err); got != tc.want {
			t.Errorf("%s: exit code %d, want %d (%v)", tc.name, got, tc.want, tc.err)
		}
	}
}

// TestExitCodeTableDocumented checks that the README holds the one table
// and that --help prints it.
func TestExitCodeTableDocumented(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "### Exit codes") || !strings.Contains(string(readme), exitCodesMarkdown()) {
		t.Fatalf("README.md lacks the section \"Exit codes\" with this table:\n%s", exitCodesMarkdown())
	}
	out, err := run(t, context.Background(), "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range exitCodes {
		if !strings.Contains(out, fmt.Sprintf("%d  %-13s %s", c.Code, c.Name, c.Meaning)) {
			t.Errorf("--help lacks exit code %d:\n%s", c.Code, out)
		}
	}
	seen := map[exitCode]bool{}
	for i, c := range exitCodes {
		if int(c.Code) != i || seen[c.Code] {
			t.Errorf("exit code table row %d is code %d", i, c.Code)
		}
		seen[c.Code] = true
	}
}

func TestNormalizeNodeURL(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"http://127.0.0.1:26657", "http://127.0.0.1:26657", ""},
		{"127.0.0.1:26657", "http://127.0.0.1:26657", ""},
		{"  agri:26657 ", "http://agri:26657", ""},
		{"tcp://127.0.0.1:26657", "http://127.0.0.1:26657", ""},
		{"https://node.example.org", "https://node.example.org", ""},
		{"", "", "is empty"},
		{"ftp://x:1", "", "scheme must be http or https"},
		{"http://:26657", "", "names no host"},
		{"http://[::1", "", "is not an address"},
	} {
		got, err := normalizeNodeURL("--node", tc.in)
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("%q: %q, %v; want %q", tc.in, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err) || exitCodeOf(err) != exitUsage):
			t.Errorf("%q: error %v, want one with %q and exit code 1", tc.in, err, tc.err)
		}
	}
}

// TestRPCFromHome reads the node address from a home's config.toml.
func TestRPCFromHome(t *testing.T) {
	for _, tc := range []struct{ laddr, want string }{
		{"tcp://127.0.0.1:26601", "http://127.0.0.1:26601"},
		{"tcp://0.0.0.0:26657", "http://127.0.0.1:26657"},
		{"tcp://127.0.0.5:26611", "http://127.0.0.5:26611"},
		{"unix:///tmp/rpc.sock", ""},
	} {
		home := t.TempDir()
		os.MkdirAll(filepath.Join(home, "config"), 0o700)
		conf := "[rpc]\nladdr = \"" + tc.laddr + "\"\n"
		if err := os.WriteFile(filepath.Join(home, "config", "config.toml"), []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		got, ok := rpcFromHome(home)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("laddr %s: %q %v, want %q", tc.laddr, got, ok, tc.want)
		}
	}
	if _, ok := rpcFromHome(t.TempDir()); ok {
		t.Error("an address from a home without configuration")
	}
	// connFlags: the home's address when --node is not given, --node otherwise.
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, "config"), 0o700)
	os.WriteFile(filepath.Join(home, "config", "config.toml"), []byte("[rpc]\nladdr = \"tcp://127.0.0.9:26691\"\n"), 0o600)
	c := connFlags{home: home}
	if u, err := c.nodeURL(); err != nil || u != "http://127.0.0.9:26691" {
		t.Errorf("--home implies %q %v", u, err)
	}
	c.node = "127.0.0.1:1"
	if u, err := c.nodeURL(); err != nil || u != "http://127.0.0.1:1" {
		t.Errorf("--node gives %q %v", u, err)
	}
}

// TestProgressOnlyOnTerminal: progress lines (with carriage returns) are
// drawn only on a terminal; a pipe or a file gets none.
func TestProgressOnlyOnTerminal(t *testing.T) {
	var buf strings.Builder
	p := newProgressLine(&buf)
	p.update(client.ImportProgress{Total: 10, Submitted: 5, Committed: 2}, false)
	p.update(client.ImportProgress{Total: 10, Submitted: 10, Committed: 10}, true)
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	newProgressLine(f).update(client.ImportProgress{Total: 10, Submitted: 10, Committed: 10}, true)
	st, _ := f.Stat()
	if buf.Len() != 0 || st.Size() != 0 {
		t.Fatalf("progress written to a non-terminal: %q, %d bytes to a file", buf.String(), st.Size())
	}
	// The same report on a terminal-like writer is drawn: rewritten in
	// place, its last state a full bar with the counts, and the line ended.
	var tty strings.Builder
	(&progressLine{w: &tty}).update(client.ImportProgress{Total: 10, Submitted: 10, Committed: 10}, true)
	drawn := tty.String()
	last := drawn[strings.LastIndex(drawn, "\r")+1:]
	if !strings.HasPrefix(drawn, "\r") || !strings.HasSuffix(last, "\n") ||
		!strings.Contains(last, "["+strings.Repeat("#", 30)+"]") || !strings.Contains(last, "10/10 new events submitted, 10 committed") {
		t.Fatalf("progress line: %q", drawn)
	}
}
