// SPDX-License-Identifier: Apache-2.0

package testnet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/traceledger/traceledger/node"
	"github.com/traceledger/traceledger/node/pvfile"
)

// Directories of a network directory used by the process runner.
const (
	// logDir holds one log per node, <name>.log, appended to on each start.
	logDir = "logs"
	// pidDir holds <name>.pid for each running node.
	pidDir = "run"
)

// DefaultStopTimeout is how long Stop waits for a node to exit after
// SIGTERM before it sends SIGKILL.
const DefaultStopTimeout = 20 * time.Second

// Runner runs the nodes of a network as child processes of the traceledger
// binary (`traceledger start --home <home>`), one per node, with a pid file
// in DIR/run and a log in DIR/logs. Processes it starts outlive it unless
// stopped: `traceledger testnet start` exits and `traceledger testnet stop`
// finds them again through the pid files. A Runner may be used from several
// goroutines.
type Runner struct {
	// Net is the network to run.
	Net *Network
	// Binary is the traceledger executable.
	Binary string
	// LogLevel is passed as --log-level; empty means "info".
	LogLevel string
	// StopTimeout replaces DefaultStopTimeout when positive.
	StopTimeout time.Duration
	// StartArgs are added to every `traceledger start` (e.g. the flags of
	// a software upgrade's new binary).
	StartArgs []string

	mu     sync.Mutex
	exited map[string]chan struct{} // closed when a child this Runner started has been reaped
}

// NewRunner returns a Runner for nw using the executable binary.
func NewRunner(nw *Network, binary string) *Runner {
	return &Runner{Net: nw, Binary: binary, exited: map[string]chan struct{}{}}
}

// LogPath is the log file of node name.
func (r *Runner) LogPath(name string) string {
	return filepath.Join(r.Net.Dir, logDir, name+".log")
}

func (r *Runner) pidPath(name string) string {
	return filepath.Join(r.Net.Dir, pidDir, name+".pid")
}

// nodes resolves names to nodes; no names means every node.
func (r *Runner) nodes(names []string) ([]NodeInfo, error) {
	if len(names) == 0 {
		return r.Net.Nodes, nil
	}
	out := make([]NodeInfo, 0, len(names))
	for _, n := range names {
		x, ok := r.Net.Node(n)
		if !ok {
			return nil, fmt.Errorf("testnet: no node %q in %s", n, r.Net.Dir)
		}
		out = append(out, x)
	}
	return out, nil
}

// PID returns the pid of node name if it is running.
func (r *Runner) PID(name string) (int, bool) {
	b, err := os.ReadFile(r.pidPath(name))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, false
	}
	r.mu.Lock()
	ch, mine := r.exited[name]
	r.mu.Unlock()
	if mine {
		select {
		case <-ch:
			return 0, false
		default:
			return pid, true
		}
	}
	if syscall.Kill(pid, 0) != nil {
		return 0, false
	}
	// Guard against a recycled pid where /proc tells us what runs.
	x, _ := r.Net.Node(name)
	if cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil {
		if !bytes.Contains(cmdline, []byte(x.Home)) {
			return 0, false
		}
		if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
			// A zombie (state Z) has exited and waits for its parent.
			if i := bytes.LastIndexByte(st, ')'); i > 0 && i+2 < len(st) && st[i+2] == 'Z' {
				return 0, false
			}
		}
	}
	return pid, true
}

// Start starts the named nodes (all if none) that are not running yet.
func (r *Runner) Start(names ...string) error {
	nodes, err := r.nodes(names)
	if err != nil {
		return err
	}
	for _, d := range []string{logDir, pidDir} {
		if err := os.MkdirAll(filepath.Join(r.Net.Dir, d), 0o755); err != nil {
			return fmt.Errorf("testnet: %w", err)
		}
	}
	level := r.LogLevel
	if level == "" {
		level = "info"
	}
	extra, err := r.startArgs() // testnet/upgrade.go
	if err != nil {
		return err
	}
	for _, n := range nodes {
		if _, ok := r.PID(n.Name); ok {
			continue
		}
		logf, err := os.OpenFile(r.LogPath(n.Name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("testnet: open log of %s: %w", n.Name, err)
		}
		fmt.Fprintf(logf, "=== testnet: starting %s at %s\n", n.Name, time.Now().UTC().Format(time.RFC3339Nano))
		cmd := exec.Command(r.Binary, append([]string{"start", "--home", n.Home, "--log-level", level}, extra...)...)
		cmd.Stdout, cmd.Stderr = logf, logf
		// A process group of its own: Ctrl-C in the terminal that ran
		// `testnet start` does not reach the nodes.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			logf.Close()
			return fmt.Errorf("testnet: start %s: %w", n.Name, err)
		}
		logf.Close()
		ch := make(chan struct{})
		r.mu.Lock()
		r.exited[n.Name] = ch
		r.mu.Unlock()
		go func() {
			cmd.Wait()
			close(ch)
		}()
		if err := os.WriteFile(r.pidPath(n.Name), []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
			return fmt.Errorf("testnet: write pid file of %s: %w", n.Name, err)
		}
	}
	return nil
}

// Stop sends SIGTERM to the named nodes (all if none), waits for them to
// exit and sends SIGKILL to any still running after the stop timeout.
func (r *Runner) Stop(ctx context.Context, names ...string) error {
	return r.signal(ctx, syscall.SIGTERM, names)
}

// Kill sends SIGKILL to the named nodes (all if none) and waits until they
// are gone: a crash, with no chance to flush anything.
func (r *Runner) Kill(ctx context.Context, names ...string) error {
	return r.signal(ctx, syscall.SIGKILL, names)
}

func (r *Runner) signal(ctx context.Context, sig syscall.Signal, names []string) error {
	nodes, err := r.nodes(names)
	if err != nil {
		return err
	}
	timeout := r.StopTimeout
	if timeout <= 0 {
		timeout = DefaultStopTimeout
	}
	var errs []error
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, n := range nodes {
		pid, ok := r.PID(n.Name)
		if !ok {
			os.Remove(r.pidPath(n.Name))
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := r.stopOne(ctx, n.Name, pid, sig, timeout)
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (r *Runner) stopOne(ctx context.Context, name string, pid int, sig syscall.Signal, timeout time.Duration) error {
	if err := syscall.Kill(pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("testnet: signal %s (pid %d): %w", name, pid, err)
	}
	deadline := time.Now().Add(timeout)
	killed := sig == syscall.SIGKILL
	for {
		if _, ok := r.PID(name); !ok {
			os.Remove(r.pidPath(name))
			return nil
		}
		if !killed && time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			killed = true
			deadline = time.Now().Add(timeout)
		} else if killed && time.Now().After(deadline) {
			return fmt.Errorf("testnet: %s (pid %d) did not exit after SIGKILL", name, pid)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("testnet: waiting for %s to exit: %w", name, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// ResetData deletes a node's data directory (blocks, state, application
// database), as after a lost disk, and writes a fresh validator sign state
// so that the node can start again and catch up from its peers. The node
// must be stopped. Its keys and configuration are kept.
//
// A validator whose sign state is reset could sign twice at a height it
// signed before the loss; it cannot here, because it block-syncs to the
// network's current height before it votes again.
func ResetData(home string) error {
	conf, err := node.LoadConfig(home)
	if err != nil {
		return fmt.Errorf("testnet: %w", err)
	}
	keyFile := conf.PrivValidatorKeyFile()
	if _, err := os.Stat(keyFile); err != nil {
		return fmt.Errorf("testnet: validator key: %w", err)
	}
	data := filepath.Join(home, "data")
	if err := checkNotRunning(conf.DBDir()); err != nil {
		return err
	}
	if err := os.RemoveAll(data); err != nil {
		return fmt.Errorf("testnet: remove %s: %w", data, err)
	}
	for _, d := range []string{data, conf.DBDir(), filepath.Dir(conf.PrivValidatorStateFile())} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("testnet: create %s: %w", d, err)
		}
	}
	if err := pvfile.ResetState(keyFile, conf.PrivValidatorStateFile()); err != nil {
		return fmt.Errorf("testnet: %w", err)
	}
	return nil
}

// checkNotRunning fails if a process holds the lock of CometBFT's block or
// state database in dbDir (goleveldb locks <db>/LOCK while open; these two
// are closed when a node stops, also inside a process).
func checkNotRunning(dbDir string) error {
	for _, db := range []string{"blockstore.db", "state.db"} {
		l := filepath.Join(dbDir, db, "LOCK")
		f, err := os.OpenFile(l, os.O_RDWR, 0)
		if err != nil {
			continue
		}
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		}
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("testnet: %s is locked: the node is running; stop it first", filepath.Dir(l))
		}
	}
	return nil
}
