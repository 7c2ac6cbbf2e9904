// SPDX-License-Identifier: Apache-2.0

package readme

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	// blockTimeout bounds one foreground block.
	blockTimeout = 3 * time.Minute
	// readyTimeout bounds the wait for a background block's ready check.
	readyTimeout = 90 * time.Second
	// stopTimeout is how long a stopped process gets before SIGKILL.
	stopTimeout = 15 * time.Second
)

// TestREADME runs every shell block of README.md in order, as a reader on a
// fresh machine pastes them, and fails on the first command that exits
// non-zero, with the block and its output.
//
// Blocks marked skip are not run. The Docker blocks are among them: even
// with TRACELEDGER_DOCKER_TESTS=1 they are left to testnet's
// TestDockerCompose, which brings up the same docker-compose.yml (building
// the image here as well would add minutes to every CI run, beside the
// container fault tests).
func TestREADME(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and starts networks; not in -short mode")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the README's local test network uses 127.0.0.2 and up, which only Linux routes to loopback")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash on PATH")
	}
	root := repoRoot(t)
	doc, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := parseBlocks(string(doc))
	if err != nil {
		t.Fatalf("README.md: %v", err)
	}
	if len(blocks) == 0 {
		t.Fatal("README.md has no shell blocks")
	}

	work := t.TempDir()
	copyRepo(t, root, work)
	r := &runner{t: t, bash: bash, dir: work, env: blockEnv(t, work)}
	t.Cleanup(r.stopAll)

	start := time.Now()
	for _, b := range blocks {
		where := fmt.Sprintf("README.md:%d", b.line)
		switch b.mode {
		case modeSkip:
			t.Logf("%s: skipped (%s)", where, b.reason)
		case modeRun:
			began := time.Now()
			out, err := r.run(b.script(), blockTimeout)
			if err != nil {
				t.Fatalf("%s: block failed: %v\n--- block ---\n%s--- output ---\n%s", where, err, b.script(), out)
			}
			t.Logf("%s: ok in %s\n%s", where, time.Since(began).Round(time.Millisecond), out)
		case modeBackground:
			began := time.Now()
			if err := r.background(where, b); err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			t.Logf("%s: started in the background, ready in %s", where, time.Since(began).Round(time.Millisecond))
		}
	}
	t.Logf("all README blocks ran in %s", time.Since(start).Round(time.Millisecond))
}

// repoRoot returns the directory of the module's go.mod, above this
// package's directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// copyRepo copies the repository's files into dst, as a fresh clone holds
// them: with git, the tracked files and the untracked ones not ignored (so
// that a change under test is included); without, every file but .git and
// bin. A copy, not links: a README command that writes into a directory of
// the repository must not change the repository.
func copyRepo(t *testing.T, root, dst string) {
	t.Helper()
	var files []string
	out, err := exec.Command("git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err == nil {
		for _, f := range strings.Split(string(out), "\x00") {
			if f != "" {
				files = append(files, filepath.FromSlash(f))
			}
		}
	} else {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			if d.IsDir() && (rel == ".git" || rel == "bin") {
				return filepath.SkipDir
			}
			if d.Type().IsRegular() {
				files = append(files, rel)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		src := filepath.Join(root, f)
		info, err := os.Lstat(src)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted in the work tree, not yet in the index
		}
		if err != nil {
			t.Fatal(err)
		}
		if !info.Mode().IsRegular() {
			continue
		}
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		target := filepath.Join(dst, f)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(target, data, info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(dst, "README.md")); err != nil {
		t.Fatalf("copy of the repository: %v", err)
	}
}

// blockEnv is the environment of every block: a HOME of its own (no
// ~/.traceledger of the person running the test), bin/ and the Go toolchain
// on PATH, the Go caches of the test's own toolchain (so that building is
// as fast as for the test), and no TRACELEDGER_* variables (a passphrase in
// the environment would hide a command that forgot its --passphrase-file).
func blockEnv(t *testing.T, work string) []string {
	t.Helper()
	out, err := exec.Command("go", "env", "-json", "GOCACHE", "GOMODCACHE", "GOPATH", "GOENV", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	var goenv map[string]string
	if err := json.Unmarshal(out, &goenv); err != nil {
		t.Fatalf("go env: %v", err)
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "TRACELEDGER_"), k == "HOME", k == "PATH", k == "CDPATH", k == "BASH_ENV", k == "ENV":
			continue
		}
		if _, ok := goenv[k]; ok {
			continue
		}
		env = append(env, kv)
	}
	for k, v := range goenv {
		env = append(env, k+"="+v)
	}
	path := filepath.Join(work, "bin") + string(os.PathListSeparator) + filepath.Join(goenv["GOROOT"], "bin") +
		string(os.PathListSeparator) + os.Getenv("PATH")
	return append(env, "HOME="+t.TempDir(), "PATH="+path)
}

// runner runs the blocks in one working directory and keeps track of the
// processes left running.
type runner struct {
	t    *testing.T
	bash string
	dir  string
	env  []string
	bg   []*bgProc
}

// bgProc is one command of a background block.
type bgProc struct {
	where string
	cmd   *exec.Cmd
	log   string
	done  chan struct{} // closed when the process has exited
	err   error         // its exit status, valid once done is closed
}

// command returns bash running script in the working directory, in a
// process group of its own (so that the whole group can be stopped), with
// no terminal: standard input is /dev/null.
func (r *runner) command(ctx context.Context, script string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, r.bash, "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", script)
	cmd.Dir = r.dir
	cmd.Env = r.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// run runs script in the foreground and returns its combined output.
func (r *runner) run(script string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var out bytes.Buffer
	cmd := r.command(ctx, script)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("still running after %s: %w", timeout, err)
	}
	return out.String(), err
}

// background starts every command of b as a process of its own, then runs
// b.ready until it exits 0 while all of them keep running.
func (r *runner) background(where string, b block) error {
	var started []*bgProc
	for i, c := range commands(b.script()) {
		log := filepath.Join(r.t.TempDir(), "background-"+strconv.Itoa(i)+".log")
		f, err := os.Create(log)
		if err != nil {
			return err
		}
		cmd := r.command(context.Background(), c)
		cmd.Stdout, cmd.Stderr = f, f
		if err := cmd.Start(); err != nil {
			f.Close()
			return fmt.Errorf("start %q: %w", c, err)
		}
		f.Close()
		p := &bgProc{where: where, cmd: cmd, log: log, done: make(chan struct{})}
		go func() { p.err = cmd.Wait(); close(p.done) }()
		r.bg = append(r.bg, p)
		started = append(started, p)
	}
	deadline := time.Now().Add(readyTimeout)
	var last string
	for {
		for _, p := range started {
			select {
			case <-p.done:
				return fmt.Errorf("%q exited (%v) before %q succeeded\n--- its output ---\n%s", p.cmd.Args[len(p.cmd.Args)-1], p.err, b.ready, readLog(p.log))
			default:
			}
		}
		out, err := r.run(b.ready, 30*time.Second)
		if err == nil {
			return nil
		}
		last = fmt.Sprintf("%v\n%s", err, out)
		if time.Now().After(deadline) {
			var logs strings.Builder
			for _, p := range started {
				fmt.Fprintf(&logs, "--- output of %q ---\n%s", p.cmd.Args[len(p.cmd.Args)-1], readLog(p.log))
			}
			return fmt.Errorf("%q did not succeed within %s; last: %s\n%s", b.ready, readyTimeout, last, logs.String())
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// readLog returns the tail of a background process's log.
func readLog(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	const max = 8 << 10
	if len(b) > max {
		b = append([]byte("...\n"), b[len(b)-max:]...)
	}
	return string(b)
}

// stopAll stops what the blocks left running: the background blocks'
// process groups, and the nodes of local test networks, found by their pid
// files (DIR/run/NAME.pid, written by `testnet start`, whose nodes run in
// process groups of their own and outlive it).
func (r *runner) stopAll() {
	var pending []func() bool // each reports whether its process is gone
	for _, p := range r.bg {
		select {
		case <-p.done:
			continue
		default:
		}
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
		pending = append(pending, func() bool {
			select {
			case <-p.done:
				return true
			default:
				return false
			}
		})
	}
	pids, _ := filepath.Glob(filepath.Join(r.dir, "*", "run", "*.pid"))
	for _, f := range pids {
		pid := r.testnetPID(f)
		if pid <= 0 {
			continue
		}
		_ = syscall.Kill(-pid, syscall.SIGTERM)
		pending = append(pending, func() bool { return !r.ours(pid) })
	}
	deadline := time.Now().Add(stopTimeout)
	for _, gone := range pending {
		for !gone() && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
	}
	for _, p := range r.bg {
		select {
		case <-p.done:
		default:
			r.t.Errorf("%s: %q did not stop within %s of SIGTERM; killed", p.where, p.cmd.Args[len(p.cmd.Args)-1], stopTimeout)
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	}
	for _, f := range pids {
		if pid := r.testnetPID(f); pid > 0 && r.ours(pid) {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
	}
}

// testnetPID returns the pid in a testnet pid file if that process is a
// node of this test's working directory, else 0.
func (r *runner) testnetPID(file string) int {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 || !r.ours(pid) {
		return 0
	}
	return pid
}

// ours reports whether pid is a live process whose command line names the
// working directory (a node started from it), so that a recycled pid is
// never signalled.
func (r *runner) ours(pid int) bool {
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || len(cmdline) == 0 {
		return false
	}
	if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		if _, rest, ok := strings.Cut(string(st), ") "); ok && strings.HasPrefix(rest, "Z") {
			return false // a zombie: exited, not yet reaped
		}
	}
	return bytes.Contains(cmdline, []byte(r.dir))
}
