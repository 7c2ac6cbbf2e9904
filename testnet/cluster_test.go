// SPDX-License-Identifier: Apache-2.0

package testnet

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/types"
)

// cluster is a running network the fault scenarios act on: local processes
// (processCluster) or containers (dockerCluster, docker_test.go).
type cluster interface {
	// kind names the implementation in log lines.
	kind() string
	// net is the network description; RPC URLs in nodes() are reachable
	// from the test process.
	nodes() []NodeInfo
	// network is the network directory on this machine (keys).
	network() *Network
	genesis() *types.GenesisDoc
	start(ctx context.Context, names ...string) error
	// stop shuts nodes down cleanly (SIGTERM); kill crashes them (SIGKILL).
	stop(ctx context.Context, names ...string) error
	kill(ctx context.Context, names ...string) error
	// resetData deletes a stopped node's data (a lost disk).
	resetData(ctx context.Context, name string) error
	// logs returns a node's output so far.
	logs(name string) ([]byte, error)
}

// testConfigure makes consensus quick to recover: a short commit timeout
// and short round timeouts, so that a round whose proposer is down moves on
// within about a second.
func testConfigure(_ string, c *cfg.Config) {
	c.Consensus.TimeoutPropose = time.Second
	c.Consensus.TimeoutPrevote = 500 * time.Millisecond
	c.Consensus.TimeoutPrecommit = 500 * time.Millisecond
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

// traceledgerBinary builds the static traceledger binary once per test run
// into a temporary directory (removed by TestMain).
func traceledgerBinary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "traceledger-testnet-bin-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "traceledger")
		start := time.Now()
		cmd := exec.Command("go", "build", "-trimpath", "-o", binPath, "../cmd/traceledger")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err := cmd.CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build ./cmd/traceledger: %w\n%s", err, out)
			return
		}
		fmt.Fprintf(os.Stderr, "testnet: built %s in %s\n", binPath, time.Since(start).Round(time.Millisecond))
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	removeTestImage()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// processCluster runs a loopback network as child processes.
type processCluster struct {
	nw *Network
	r  *Runner
}

func (p *processCluster) kind() string               { return "processes" }
func (p *processCluster) nodes() []NodeInfo          { return p.nw.Nodes }
func (p *processCluster) network() *Network          { return p.nw }
func (p *processCluster) genesis() *types.GenesisDoc { return p.nw.Genesis }
func (p *processCluster) logs(name string) ([]byte, error) {
	return os.ReadFile(p.r.LogPath(name))
}

func (p *processCluster) start(_ context.Context, names ...string) error {
	return p.r.Start(names...)
}

func (p *processCluster) stop(ctx context.Context, names ...string) error {
	return p.r.Stop(ctx, names...)
}

func (p *processCluster) kill(ctx context.Context, names ...string) error {
	return p.r.Kill(ctx, names...)
}

func (p *processCluster) resetData(_ context.Context, name string) error {
	x, ok := p.nw.Node(name)
	if !ok {
		return fmt.Errorf("no node %q", name)
	}
	return ResetData(x.Home)
}

// newProcessCluster initialises a loopback network of the four departments
// plus nonVals observers, with the enterprises given, and starts it. The
// processes are stopped when the test ends; their logs are kept in the
// test's temporary directory and the tail of each is printed if it failed.
func newProcessCluster(t *testing.T, nonVals int, enterprises ...string) *processCluster {
	t.Helper()
	bin := traceledgerBinary(t)
	nw, err := Init(t.TempDir(), Options{
		ChainID: "tl-fault", Departments: []string{"agri", "livestock", "market", "drug"},
		NonValidators: nonVals, TimeoutCommit: 300 * time.Millisecond, Enterprises: enterprises,
		Configure: testConfigure, KeyringOptions: fastKDF,
	})
	if err != nil {
		t.Fatal(err)
	}
	r := NewRunner(nw, bin)
	r.StopTimeout = 15 * time.Second
	c := &processCluster{nw: nw, r: r}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := r.Kill(ctx); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		if t.Failed() {
			dumpLogs(t, c)
		}
	})
	start := time.Now()
	if err := c.start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := WaitHeight(ctx, nw.Nodes, 2); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d processes committed height 2 %s after start", len(nw.Nodes), time.Since(start).Round(10*time.Millisecond))
	return c
}

// dumpLogs prints the last lines of every node's log.
func dumpLogs(t *testing.T, c cluster) {
	for _, n := range c.nodes() {
		b, err := c.logs(n.Name)
		if err != nil {
			t.Logf("log of %s: %v", n.Name, err)
			continue
		}
		if len(b) > 3000 {
			b = b[len(b)-3000:]
		}
		t.Logf("---- tail of %s's log ----\n%s", n.Name, b)
	}
}
