// SPDX-License-Identifier: Apache-2.0

package readme

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// newTestRunner returns a runner in a fresh directory with this process's
// environment.
func newTestRunner(t *testing.T) *runner {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash on PATH")
	}
	r := &runner{t: t, bash: bash, dir: t.TempDir(), env: os.Environ()}
	t.Cleanup(r.stopAll)
	return r
}

func TestRunnerForeground(t *testing.T) {
	tests := []struct {
		name    string
		script  string
		wantErr bool
		want    string // in the output
		notWant string // not in the output
	}{
		{name: "success", script: "echo one\necho two\n", want: "one\ntwo\n"},
		{name: "a failing command stops the block", script: "echo before\nfalse\necho after\n", wantErr: true, want: "before", notWant: "after"},
		{name: "a failing command in a pipe fails", script: "false | cat\n", wantErr: true},
		{name: "no terminal on standard input", script: "if [ -t 0 ]; then echo terminal; exit 1; fi\n"},
		{name: "continuations and comments", script: "printf '%s\\n' a \\\n    b   # two words\n", want: "a\nb\n"},
		{name: "stderr is part of the output", script: "echo oops >&2\nexit 3\n", wantErr: true, want: "oops"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRunner(t)
			out, err := r.run(tt.script, 30*time.Second)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v; output:\n%s", err, tt.wantErr, out)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("output %q lacks %q", out, tt.want)
			}
			if tt.notWant != "" && strings.Contains(out, tt.notWant) {
				t.Errorf("output %q has %q", out, tt.notWant)
			}
		})
	}
}

func TestRunnerTimeout(t *testing.T) {
	r := newTestRunner(t)
	start := time.Now()
	_, err := r.run("sleep 30 &\nsleep 30\n", 500*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "still running") {
		t.Fatalf("err = %v, want a time-out", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("the timed-out block took %s to stop", d)
	}
}

func TestRunnerBackground(t *testing.T) {
	t.Run("ready while running; stopped at the end", func(t *testing.T) {
		r := newTestRunner(t)
		b := block{text: "sleep 0.2 && touch a && sleep 60\ntouch b && sleep 60\n", mode: modeBackground, ready: "test -e a && test -e b"}
		if err := r.background("x", b); err != nil {
			t.Fatal(err)
		}
		if len(r.bg) != 2 {
			t.Fatalf("%d processes started, want one per command (2)", len(r.bg))
		}
		r.stopAll()
		for _, p := range r.bg {
			select {
			case <-p.done:
			default:
				t.Errorf("%q still running after stopAll", p.cmd.Args[len(p.cmd.Args)-1])
			}
		}
	})
	t.Run("a process that exits before ready fails", func(t *testing.T) {
		r := newTestRunner(t)
		b := block{text: "echo cannot listen; exit 1\n", mode: modeBackground, ready: "false"}
		err := r.background("x", b)
		if err == nil || !strings.Contains(err.Error(), "exited") || !strings.Contains(err.Error(), "cannot listen") {
			t.Fatalf("err = %v, want the exit and the process's output", err)
		}
	})
}

func TestCopyRepoLeavesOutBinAndGit(t *testing.T) {
	root := repoRoot(t)
	dst := t.TempDir()
	copyRepo(t, root, dst)
	for _, want := range []string{"README.md", "go.mod", filepath.Join("cmd", "traceledger", "main.go")} {
		if _, err := os.Stat(filepath.Join(dst, want)); err != nil {
			t.Errorf("copy lacks %s: %v", want, err)
		}
	}
	for _, not := range []string{".git", "bin"} {
		if _, err := os.Stat(filepath.Join(dst, not)); err == nil {
			t.Errorf("copy has %s", not)
		}
	}
}
