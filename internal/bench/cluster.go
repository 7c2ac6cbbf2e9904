// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/p2p"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/cometbft/cometbft/types"

	"github.com/traceledger/traceledger/client/keyring"
	"github.com/traceledger/traceledger/genesis"
	"github.com/traceledger/traceledger/node"
	"github.com/traceledger/traceledger/testnet"
)

// Network kinds.
const (
	KindTraceLedger = "traceledger"
	KindKVStore     = "kvstore"
)

// ClusterOptions are shared by both kinds of network so that they differ
// only in the application.
type ClusterOptions struct {
	// Validators is the number of validators (4 in the targets).
	Validators int
	// Observers is the number of non-validator nodes (TraceLedger only),
	// named observer1, observer2, ...: they follow the chain without
	// voting, where reads are meant to go.
	Observers int
	// TimeoutCommit is CometBFT's commit timeout on every node.
	TimeoutCommit time.Duration
	// Signers is the number of enterprise keys registered at genesis
	// (TraceLedger only): one load lane each.
	Signers int
	// PprofBase, when positive, makes node i serve pprof on
	// 127.0.0.1:PprofBase+i.
	PprofBase int
	// LogLevel of the nodes (default "error").
	LogLevel string
	// P2PRate, when positive, replaces CometBFT's per-connection P2P send
	// and receive rate limits (5,120,000 bytes/s by default) on every node
	// of both kinds.
	P2PRate int64
	// TxIndexer, when set, replaces the tx indexer of every node of both
	// kinds ("kv", TraceLedger's default, or "null").
	TxIndexer string
	// MaxBlockBytes, when positive, replaces the consensus parameter
	// block.max_bytes (CometBFT's default 22,020,096) in the genesis of
	// both kinds.
	MaxBlockBytes int64
}

// ClusterNode is one running node.
type ClusterNode struct {
	Name   string `json:"name"`
	Home   string `json:"home"`
	RPCURL string `json:"rpc_url"`
	PID    int    `json:"pid"`
	// Observer is set for a non-validator node.
	Observer bool `json:"observer,omitempty"`
}

// Cluster is a running loopback network of either kind.
type Cluster struct {
	Kind  string
	Dir   string
	Nodes []ClusterNode
	// ChainID and Genesis of the network; Keys are the enterprises'
	// signing keys (TraceLedger only).
	ChainID string
	Genesis *types.GenesisDoc
	Keys    []ed25519.PrivateKey

	// StartTimeout bounds Start's wait for the first blocks (a node
	// rebuilds its map index from its database at start: minutes with
	// millions of events); default 90 s.
	StartTimeout time.Duration

	procs []*proc
}

// configure applies the settings both kinds share, after the address
// plan: the same timeouts, mempool, indexer and RPC limits on every node.
func configure(opts ClusterOptions, i int, c *cfg.Config) {
	c.Consensus.TimeoutCommit = opts.TimeoutCommit
	c.RPC.MaxBodyBytes = 4 << 20
	c.RPC.MaxOpenConnections = 0 // lanes keep one connection each
	c.RPC.TimeoutBroadcastTxCommit = 30 * time.Second
	if opts.TxIndexer != "" {
		c.TxIndex.Indexer = opts.TxIndexer
	}
	if opts.P2PRate > 0 {
		c.P2P.SendRate, c.P2P.RecvRate = opts.P2PRate, opts.P2PRate
	}
	if opts.PprofBase > 0 {
		c.RPC.PprofListenAddress = "127.0.0.1:" + strconv.Itoa(opts.PprofBase+i)
	}
}

func (o *ClusterOptions) defaults() {
	if o.Validators <= 0 {
		o.Validators = 4
	}
	if o.TimeoutCommit <= 0 {
		o.TimeoutCommit = 200 * time.Millisecond
	}
	if o.Signers <= 0 {
		o.Signers = 32
	}
	if o.LogLevel == "" {
		o.LogLevel = "error"
	}
}

// InitTraceLedger writes a fresh TraceLedger network in dir with package
// testnet (departments d1..dN, enterprises e001.. registered at genesis)
// and decrypts the enterprise keys.
func InitTraceLedger(dir string, opts ClusterOptions) (*Cluster, error) {
	opts.defaults()
	depts := make([]string, opts.Validators)
	for i := range depts {
		depts[i] = fmt.Sprintf("d%d", i+1)
	}
	ents := make([]string, opts.Signers)
	for i := range ents {
		ents[i] = fmt.Sprintf("e%03d", i+1)
	}
	cheap := keyring.WithScrypt(1<<4, 8, 1) // test network keys: a cheap KDF
	nw, err := testnet.Init(dir, testnet.Options{
		ChainID: "bench-traceledger", Departments: depts, NonValidators: opts.Observers, Hosts: testnet.HostsLoopback,
		TimeoutCommit: opts.TimeoutCommit, Enterprises: ents, KeyringOptions: []keyring.Option{cheap},
		Configure: func(name string, c *cfg.Config) {
			// Validators d1..dN are nodes 0..N-1, observers follow them.
			if o, ok := strings.CutPrefix(name, "observer"); ok {
				i, _ := strconv.Atoi(o)
				configure(opts, opts.Validators+i-1, c)
				return
			}
			i, _ := strconv.Atoi(strings.TrimPrefix(name, "d"))
			configure(opts, i-1, c)
		},
	})
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	if opts.MaxBlockBytes > 0 {
		nw.Genesis.ConsensusParams.Block.MaxBytes = opts.MaxBlockBytes
		paths := []string{filepath.Join(nw.Dir, testnet.GenesisFile)}
		for _, n := range nw.Nodes {
			paths = append(paths, filepath.Join(n.Home, "config", "genesis.json"))
		}
		for _, p := range paths {
			if err := genesis.Save(nw.Genesis, p); err != nil {
				return nil, fmt.Errorf("bench: %w", err)
			}
		}
	}
	cl := &Cluster{Kind: KindTraceLedger, Dir: nw.Dir, ChainID: nw.ChainID, Genesis: nw.Genesis}
	for _, n := range nw.Nodes {
		cl.Nodes = append(cl.Nodes, ClusterNode{Name: n.Name, Home: n.Home, RPCURL: n.RPCURL, Observer: !n.Validator})
	}
	for _, e := range ents {
		k, err := nw.EnterpriseKey(e, cheap)
		if err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		cl.Keys = append(cl.Keys, k)
	}
	return cl, nil
}

// InstallCometBFT installs the cometbft binary of version (e.g. v0.39.4)
// into cacheDir/cometbft-<version>/ with `go install` from the Go module
// proxy, unless it is already there, and returns its path.
func InstallCometBFT(ctx context.Context, cacheDir, version string) (string, error) {
	binDir, err := filepath.Abs(filepath.Join(cacheDir, "cometbft-"+version))
	if err != nil {
		return "", err
	}
	bin := filepath.Join(binDir, "cometbft")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return "", fmt.Errorf("bench: %w", err)
	}
	cmd := exec.CommandContext(ctx, "go", "install", "github.com/cometbft/cometbft/cmd/cometbft@"+version)
	cmd.Env = append(os.Environ(), "GOBIN="+binDir, "GOFLAGS=-mod=mod", "GOWORK=off")
	cmd.Dir = binDir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("bench: go install cometbft@%s: %w\n%s", version, err, out)
	}
	return bin, nil
}

// InitKVStore writes a network of CometBFT's built-in kvstore application
// in dir with `cometbft testnet`, then rewrites every node's config.toml
// with TraceLedger's node configuration (node.WriteConfig), the same
// address plan as package testnet (node i on 127.0.0.(i+1)) and the same
// shared settings, so that the two networks differ only in the application.
func InitKVStore(ctx context.Context, bin, dir string, opts ClusterOptions) (*Cluster, error) {
	opts.defaults()
	if _, err := os.Stat(dir); err == nil {
		if ents, _ := os.ReadDir(dir); len(ents) > 0 {
			return nil, fmt.Errorf("bench: %s is not empty", dir)
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	out, err := exec.CommandContext(ctx, bin, "testnet", "--v", strconv.Itoa(opts.Validators), "--o", abs,
		"--starting-ip-address", "127.0.0.1", "--populate-persistent-peers=false").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("bench: cometbft testnet: %w\n%s", err, out)
	}
	cl := &Cluster{Kind: KindKVStore, Dir: abs}
	type plan struct{ p2p, rpc, id string }
	plans := make([]plan, opts.Validators)
	for i := range plans {
		home := filepath.Join(abs, fmt.Sprintf("node%d", i))
		ip := fmt.Sprintf("127.0.0.%d", i+1)
		p2pPort, err := freePort(ip)
		if err != nil {
			return nil, err
		}
		rpcPort, err := freePort(ip)
		if err != nil {
			return nil, err
		}
		nk, err := p2p.LoadNodeKey(filepath.Join(home, "config", "node_key.json"))
		if err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		plans[i] = plan{p2p: net.JoinHostPort(ip, strconv.Itoa(p2pPort)), rpc: net.JoinHostPort(ip, strconv.Itoa(rpcPort)), id: string(nk.ID())}
		cl.Nodes = append(cl.Nodes, ClusterNode{Name: fmt.Sprintf("node%d", i), Home: home, RPCURL: "http://" + plans[i].rpc})
	}
	for i, p := range plans {
		var peers []string
		for j, o := range plans {
			if j != i {
				peers = append(peers, o.id+"@"+o.p2p)
			}
		}
		err := node.WriteConfig(cl.Nodes[i].Home, func(c *cfg.Config) {
			c.Moniker = cl.Nodes[i].Name
			c.ProxyApp = "kvstore"
			c.RPC.ListenAddress = "tcp://" + p.rpc
			c.P2P.ListenAddress = "tcp://" + p.p2p
			c.P2P.ExternalAddress = p.p2p
			c.P2P.PersistentPeers = strings.Join(peers, ",")
			c.P2P.AllowDuplicateIP = true
			c.P2P.AddrBookStrict = false
			configure(opts, i, c)
		})
		if err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
	}
	doc, err := types.GenesisDocFromFile(filepath.Join(cl.Nodes[0].Home, "config", "genesis.json"))
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	if opts.MaxBlockBytes > 0 {
		doc.ConsensusParams.Block.MaxBytes = opts.MaxBlockBytes
		for _, n := range cl.Nodes {
			if err := doc.SaveAs(filepath.Join(n.Home, "config", "genesis.json")); err != nil {
				return nil, fmt.Errorf("bench: %w", err)
			}
		}
	}
	cl.Genesis, cl.ChainID = doc, doc.ChainID
	return cl, nil
}

func freePort(ip string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, fmt.Errorf("bench: find a free port on %s: %w", ip, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Start starts every node as a child process of binary (`traceledger
// start` or `cometbft start --proxy_app=kvstore`), logs in DIR/logs, and
// waits until every node has committed block minHeight.
func (c *Cluster) Start(ctx context.Context, binary string, logLevel string, minHeight int64) error {
	if logLevel == "" {
		logLevel = "error"
	}
	logDir := filepath.Join(c.Dir, "logs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	for i := range c.Nodes {
		n := &c.Nodes[i]
		var args []string
		if c.Kind == KindKVStore {
			args = []string{"start", "--home", n.Home, "--proxy_app=kvstore", "--log_level", logLevel}
		} else {
			args = []string{"start", "--home", n.Home, "--log-level", logLevel}
		}
		p, err := startProc(binary, args, filepath.Join(logDir, n.Name+".log"))
		if err != nil {
			c.Stop(ctx)
			return err
		}
		c.procs = append(c.procs, p)
		n.PID = p.cmd.Process.Pid
	}
	return c.WaitHeight(ctx, minHeight, c.StartTimeout)
}

// WaitHeight waits until every node reports a latest height of at least h.
func (c *Cluster) WaitHeight(ctx context.Context, h int64, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = 90 * time.Second
	}
	deadline := time.Now().Add(timeout)
	for _, n := range c.Nodes {
		cl, err := rpchttp.NewWithTimeout(n.RPCURL, "/websocket", 2)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		for {
			st, err := cl.Status(ctx)
			if err == nil && st.SyncInfo.LatestBlockHeight >= h {
				break
			}
			for _, p := range c.procs {
				if p.exited() {
					return fmt.Errorf("bench: node %s exited; see %s", p.name, p.log)
				}
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("bench: node %s did not reach height %d within %s (last error: %v)", n.Name, h, timeout, err)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return nil
}

// PIDs maps node names to process ids.
func (c *Cluster) PIDs() map[string]int {
	m := map[string]int{}
	for _, n := range c.Nodes {
		m[n.Name] = n.PID
	}
	return m
}

// Validators are the validator nodes, in genesis order.
func (c *Cluster) Validators() []ClusterNode {
	var out []ClusterNode
	for _, n := range c.Nodes {
		if !n.Observer {
			out = append(out, n)
		}
	}
	return out
}

// Observers are the non-validator nodes, in order.
func (c *Cluster) Observers() []ClusterNode {
	var out []ClusterNode
	for _, n := range c.Nodes {
		if n.Observer {
			out = append(out, n)
		}
	}
	return out
}

// Names lists the node names in order.
func (c *Cluster) Names() []string {
	out := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		out[i] = n.Name
	}
	return out
}

// Stop stops every node this Cluster started (SIGTERM, then SIGKILL after
// 30 s) and waits for them.
func (c *Cluster) Stop(ctx context.Context) error {
	var errs []error
	for _, p := range c.procs {
		if err := p.stop(30 * time.Second); err != nil {
			errs = append(errs, err)
		}
	}
	c.procs = nil
	return errors.Join(errs...)
}

// proc is a node process started by the tool.
type proc struct {
	name, log string
	cmd       *exec.Cmd
	done      chan struct{}
}

func startProc(bin string, args []string, logPath string) (*proc, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer f.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start %s: %w", bin, err)
	}
	p := &proc{name: filepath.Base(strings.TrimSuffix(logPath, ".log")), log: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *proc) stop(timeout time.Duration) error {
	if p.exited() {
		return nil
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(timeout):
	}
	p.cmd.Process.Kill()
	select {
	case <-p.done:
		return fmt.Errorf("bench: %s did not stop within %s and was killed", p.name, timeout)
	case <-time.After(10 * time.Second):
		return fmt.Errorf("bench: %s (pid %d) did not exit after SIGKILL", p.name, p.cmd.Process.Pid)
	}
}
