// SPDX-License-Identifier: Apache-2.0

// Package testnet builds and runs local multi-department TraceLedger
// networks: one CometBFT home per department (config, node key, validator
// key, an admin key in the home's keyring), one shared genesis document in
// which every department is a validator, persistent peers between all
// nodes, and optionally non-validator nodes that follow the chain and serve
// queries.
//
// Init writes a network to a directory; Load reads it back. The layout is
//
//	DIR/network.json      the Network description (names, homes, addresses)
//	DIR/passphrase        the passphrase of every key in the network's keyrings
//	DIR/genesis.json      a copy of the shared genesis document
//	DIR/<name>/           one home per node (config/, data/, keys/)
//
// DIR/passphrase is written in clear text with mode 0600: it exists so that
// scripts and tests can sign without a prompt. It is for test networks only;
// a production department chooses its own passphrase and never writes it to
// disk.
//
// Two address plans exist. "loopback" gives node i the address 127.0.0.(i+1)
// and its own ports, so that all nodes run as processes of one machine
// (Linux routes all of 127.0.0.0/8 to the loopback interface). "docker"
// names each node by its service hostname, with CometBFT's standard ports
// 26656 (P2P) and 26657 (RPC) listening on all interfaces, for containers on
// one Docker network (see docker-compose.yml at the repository root).
//
// A Runner runs a loopback network as child processes of the traceledger
// binary (pid files, per-node logs); Network.Status and QueryStatus report
// each node's heights, peers and app hashes; AddNode and Promote add a
// department's node to a running network and make it a validator by
// governance; ResetData simulates a lost disk. The fault-tolerance tests
// of this package use all of them, on processes and on containers, with a
// load generator of their own that checks the ledger afterwards.
package testnet

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/types"

	"github.com/traceledger/traceledger/client/keyring"
	"github.com/traceledger/traceledger/genesis"
	"github.com/traceledger/traceledger/node"
	"github.com/traceledger/traceledger/node/pvfile"
)

// Address plans for Options.Hosts.
const (
	// HostsLoopback runs every node on this machine: node i listens on
	// 127.0.0.(i+1) with its own ports.
	HostsLoopback = "loopback"
	// HostsDocker names every node by its hostname (the node name) on a
	// Docker network, with the standard ports on all interfaces.
	HostsDocker = "docker"
)

// Standard CometBFT ports, used by the docker plan.
const (
	dockerP2PPort = 26656
	dockerRPCPort = 26657
)

// File names inside a network directory (see the package documentation).
const (
	// PassphraseFile holds the passphrase of every key in the network's
	// keyrings, for the --passphrase-file flag of the traceledger command.
	PassphraseFile = "passphrase"
	// GenesisFile is a copy of the shared genesis document: the trust root
	// that clients and the traceledger command's --genesis flag start from.
	GenesisFile = "genesis.json"
	// networkFile is the Network description that Load reads.
	networkFile = "network.json"
)

// DefaultChainID is the chain id when Options.ChainID is empty.
const DefaultChainID = "traceledger-testnet"

// DefaultTimeoutCommit is the commit timeout when Options.TimeoutCommit is
// zero.
const DefaultTimeoutCommit = 500 * time.Millisecond

// DefaultSnapshotInterval is a test network's snapshot interval: short,
// so that a node can join by state sync a few seconds after the start
// (a production home defaults to node.DefaultSnapshotInterval).
const DefaultSnapshotInterval = 10

// DefaultPower is the voting power of each department's validator.
const DefaultPower = 10

// Options describe a network for Init.
type Options struct {
	// ChainID names the network; empty means DefaultChainID.
	ChainID string
	// Departments are the ids of the founding departments, one validator
	// each, in genesis order. At least one is required.
	Departments []string
	// NonValidators is the number of extra nodes that follow the chain
	// without voting (named observer1, observer2, ...).
	NonValidators int
	// Hosts is HostsLoopback (the default) or HostsDocker.
	Hosts string
	// TimeoutCommit is CometBFT's commit timeout; zero means
	// DefaultTimeoutCommit.
	TimeoutCommit time.Duration
	// SnapshotInterval is every node's state-sync snapshot interval in
	// heights; zero means DefaultSnapshotInterval, negative turns
	// snapshots off.
	SnapshotInterval int
	// BasePort, for the loopback plan, gives node i the P2P port
	// BasePort+10*i and the RPC port BasePort+10*i+1. Zero picks free ports
	// (what tests want, so that several networks can coexist).
	BasePort int
	// Enterprises are ids of enterprises registered at genesis, each
	// supervised by a department in turn (the first by Departments[0], ...)
	// with a signing key named after it in that department's home keyring.
	Enterprises []string
	// GenesisTime defaults to now.
	GenesisTime time.Time
	// Configure, if set, edits each node's CometBFT configuration after
	// Init's own choices and before it is written.
	Configure func(name string, c *cfg.Config)
	// KeyringOptions are passed to keyring.Open for every home (tests use
	// a cheap KDF to save time).
	KeyringOptions []keyring.Option
}

// Network is an initialised network directory.
type Network struct {
	// Dir is the network directory.
	Dir string `json:"-"`
	// ChainID is the network's chain id.
	ChainID string `json:"chain_id"`
	// Hosts is the address plan, HostsLoopback or HostsDocker.
	Hosts string `json:"hosts"`
	// BasePort is Options.BasePort of a loopback network (0: free ports).
	BasePort int `json:"base_port,omitempty"`
	// Genesis is the shared genesis document (not stored in network.json).
	Genesis *types.GenesisDoc `json:"-"`
	// Nodes are the validators in genesis order, then the non-validators.
	Nodes []NodeInfo `json:"nodes"`
	// Enterprises are the enterprises registered at genesis.
	Enterprises []EnterpriseInfo `json:"enterprises,omitempty"`
}

// NodeInfo describes one node of a network.
type NodeInfo struct {
	// Name is the department id for a validator, observerN otherwise; it
	// is also the home's directory name and the docker hostname.
	Name string `json:"name"`
	// Home is the node's home directory.
	Home string `json:"home"`
	// Validator says whether the node's key is in the genesis validator set.
	Validator bool `json:"validator"`
	// NodeID is the CometBFT node id (hex of the node key's address).
	NodeID string `json:"node_id"`
	// RPCURL is where clients reach the node's CometBFT RPC, e.g.
	// http://127.0.0.2:26611 or http://agri:26657.
	RPCURL string `json:"rpc_url"`
	// P2PAddr is the node's peer address id@host:port.
	P2PAddr string `json:"p2p_addr"`
	// AdminKeyName is the department admin key in the home's keyring
	// ("<dept>-admin"); empty for a non-validator.
	AdminKeyName string `json:"admin_key_name,omitempty"`
	// ValidatorAddress is the hex address of the node's validator key.
	ValidatorAddress string `json:"validator_address"`
	// ValidatorPubKey is the node's 32-byte Ed25519 validator key (what an
	// AddDepartment proposal names).
	ValidatorPubKey []byte `json:"validator_pub_key"`
}

// EnterpriseInfo is an enterprise registered at genesis.
type EnterpriseInfo struct {
	// ID is the participant id, also the key name in Home's keyring.
	ID string `json:"id"`
	// Department supervises the enterprise.
	Department string `json:"department"`
	// Home is the home whose keyring holds the enterprise's key.
	Home string `json:"home"`
	// KeyID is the key id of its signing key.
	KeyID string `json:"key_id"`
}

// Node returns the node called name.
func (n *Network) Node(name string) (NodeInfo, bool) {
	for _, x := range n.Nodes {
		if x.Name == name {
			return x, true
		}
	}
	return NodeInfo{}, false
}

// Validators returns the validator nodes in genesis order.
func (n *Network) Validators() []NodeInfo {
	var out []NodeInfo
	for _, x := range n.Nodes {
		if x.Validator {
			out = append(out, x)
		}
	}
	return out
}

// Passphrase reads DIR/passphrase, the passphrase of every key in the
// network's keyrings (test networks only).
func (n *Network) Passphrase() ([]byte, error) {
	b, err := keyring.ReadPassphrase(context.Background(), keyring.Source{Kind: keyring.FromFile, Path: filepath.Join(n.Dir, PassphraseFile)})
	if err != nil {
		return nil, fmt.Errorf("testnet: %w", err)
	}
	return b, nil
}

// EnterpriseKey decrypts the signing key of enterprise id.
func (n *Network) EnterpriseKey(id string, opts ...keyring.Option) (ed25519.PrivateKey, error) {
	for _, e := range n.Enterprises {
		if e.ID != id {
			continue
		}
		return n.key(e.Home, id, opts)
	}
	return nil, fmt.Errorf("testnet: no enterprise %q in %s", id, n.Dir)
}

// AdminKey decrypts the admin key of the department whose node is name.
func (n *Network) AdminKey(name string, opts ...keyring.Option) (ed25519.PrivateKey, error) {
	x, ok := n.Node(name)
	if !ok || x.AdminKeyName == "" {
		return nil, fmt.Errorf("testnet: no department node %q in %s", name, n.Dir)
	}
	return n.key(x.Home, x.AdminKeyName, opts)
}

func (n *Network) key(home, name string, opts []keyring.Option) (ed25519.PrivateKey, error) {
	pw, err := n.Passphrase()
	if err != nil {
		return nil, err
	}
	kr, err := keyring.Open(keyring.Dir(home), opts...)
	if err != nil {
		return nil, err
	}
	k, err := kr.Signer(name, pw)
	if err != nil {
		return nil, fmt.Errorf("testnet: %w", err)
	}
	return k, nil
}

// nodePlan is where one node listens and how peers reach it.
type nodePlan struct {
	name              string
	validator         bool
	p2pListen, rpcLis string // tcp://host:port
	p2pHost           string // host:port peers dial
	rpcURL            string
	external          string
}

// plan gives every node of a new network its name and addresses.
func plan(opts Options) ([]nodePlan, error) {
	names := slices.Clone(opts.Departments)
	for i := 1; i <= opts.NonValidators; i++ {
		names = append(names, "observer"+strconv.Itoa(i))
	}
	out := make([]nodePlan, len(names))
	for i, name := range names {
		p := nodePlan{name: name, validator: i < len(opts.Departments)}
		switch opts.Hosts {
		case HostsDocker:
			p.setDocker()
		case HostsLoopback:
			if i > 253 {
				return nil, fmt.Errorf("testnet: at most 254 loopback nodes, got %d", len(names))
			}
			if opts.BasePort > 0 && opts.BasePort+10*i+1 > 65535 {
				return nil, fmt.Errorf("testnet: --base-port %d leaves no room for %d nodes", opts.BasePort, len(names))
			}
			if err := p.setLoopback(i, opts.BasePort); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("testnet: hosts must be %q or %q, not %q", HostsLoopback, HostsDocker, opts.Hosts)
		}
		out[i] = p
	}
	return out, nil
}

// setDocker gives p the docker plan's addresses: CometBFT's standard ports
// on all interfaces, reached at the node's hostname (its name).
func (p *nodePlan) setDocker() {
	p.p2pListen = fmt.Sprintf("tcp://0.0.0.0:%d", dockerP2PPort)
	p.rpcLis = fmt.Sprintf("tcp://0.0.0.0:%d", dockerRPCPort)
	p.p2pHost = net.JoinHostPort(p.name, strconv.Itoa(dockerP2PPort))
	p.rpcURL = fmt.Sprintf("http://%s:%d", p.name, dockerRPCPort)
	p.external = p.p2pHost
}

// setLoopback gives p, node i of a loopback network, the address
// 127.0.0.(i+1) with the P2P port basePort+10*i and the RPC port
// basePort+10*i+1, or free ports when basePort is not positive. The caller
// checks that i and the ports are in range.
func (p *nodePlan) setLoopback(i, basePort int) error {
	ip := fmt.Sprintf("127.0.0.%d", i+1)
	p2pPort, rpcPort := basePort+10*i, basePort+10*i+1
	if basePort <= 0 {
		var err error
		if p2pPort, err = freePort(ip); err != nil {
			return err
		}
		if rpcPort, err = freePort(ip); err != nil {
			return err
		}
	}
	p.p2pHost = net.JoinHostPort(ip, strconv.Itoa(p2pPort))
	p.p2pListen = "tcp://" + p.p2pHost
	rpcHost := net.JoinHostPort(ip, strconv.Itoa(rpcPort))
	p.rpcLis = "tcp://" + rpcHost
	p.rpcURL = "http://" + rpcHost
	p.external = p.p2pHost
	return nil
}

// makeHome creates the config and data directories of a node's home.
func makeHome(home string) error {
	for _, sub := range []string{"config", "data"} {
		if err := os.MkdirAll(filepath.Join(home, sub), 0o700); err != nil {
			return fmt.Errorf("testnet: create home %s: %w", home, err)
		}
	}
	return nil
}

// createKeys creates the node key and the validator key in home and
// returns the node's description (without an admin key).
func (p nodePlan) createKeys(home string) (NodeInfo, error) {
	conf := cfg.DefaultConfig()
	conf.SetRoot(home)
	nk, err := p2p.LoadOrGenNodeKey(conf.NodeKeyFile())
	if err != nil {
		return NodeInfo{}, fmt.Errorf("testnet: node key of %s: %w", p.name, err)
	}
	pv, err := pvfile.LoadOrGen(conf.PrivValidatorKeyFile(), conf.PrivValidatorStateFile())
	if err != nil {
		return NodeInfo{}, fmt.Errorf("testnet: validator key of %s: %w", p.name, err)
	}
	pub, err := pv.GetPubKey()
	if err != nil {
		return NodeInfo{}, fmt.Errorf("testnet: validator key of %s: %w", p.name, err)
	}
	return NodeInfo{
		Name: p.name, Home: home, Validator: p.validator, NodeID: string(nk.ID()),
		RPCURL: p.rpcURL, P2PAddr: string(nk.ID()) + "@" + p.p2pHost,
		ValidatorAddress: pub.Address().String(), ValidatorPubKey: pub.Bytes(),
	}, nil
}

// addKey adds a key called name, encrypted with pass, to home's keyring;
// what names the key in the error.
func addKey(home string, kopts []keyring.Option, name string, pass []byte, what string) (keyring.Info, error) {
	kr, err := keyring.Open(keyring.Dir(home), kopts...)
	if err != nil {
		return keyring.Info{}, err
	}
	info, err := kr.Add(name, pass)
	if err != nil {
		return keyring.Info{}, fmt.Errorf("testnet: %s: %w", what, err)
	}
	return info, nil
}

// freePort asks the kernel for a free TCP port on ip. Another process may
// take it before the node binds it; tests accept that small risk.
func freePort(ip string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, fmt.Errorf("testnet: find a free port on %s: %w", ip, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// checkOptions fills in defaults and rejects bad options.
func checkOptions(opts *Options) error {
	if opts.ChainID == "" {
		opts.ChainID = DefaultChainID
	}
	if opts.Hosts == "" {
		opts.Hosts = HostsLoopback
	}
	if opts.TimeoutCommit == 0 {
		opts.TimeoutCommit = DefaultTimeoutCommit
	}
	if opts.TimeoutCommit < 0 {
		return fmt.Errorf("testnet: timeout commit must not be negative, got %s", opts.TimeoutCommit)
	}
	if len(opts.Departments) == 0 {
		return errors.New("testnet: at least one department is required")
	}
	if opts.NonValidators < 0 {
		return fmt.Errorf("testnet: non-validators must not be negative, got %d", opts.NonValidators)
	}
	seen := map[string]bool{}
	check := func(what, id string) error {
		if err := genesis.ValidateID(id); err != nil {
			return fmt.Errorf("testnet: %s id: %w", what, err)
		}
		if seen[id] {
			return fmt.Errorf("testnet: %s id %q is used twice", what, id)
		}
		seen[id] = true
		return nil
	}
	for _, d := range opts.Departments {
		if err := check("department", d); err != nil {
			return err
		}
		// Docker hostnames allow no '.' or '_'; keep one rule for both plans.
		for i := 0; i < len(d); i++ {
			if d[i] == '.' || d[i] == '_' {
				return fmt.Errorf("testnet: department id %q: only [a-z0-9-] is allowed here, because it is also a hostname", d)
			}
		}
	}
	for i := 1; i <= opts.NonValidators; i++ {
		if err := check("node", "observer"+strconv.Itoa(i)); err != nil {
			return fmt.Errorf("%w (a department may not be named like a non-validator)", err)
		}
	}
	for _, e := range opts.Enterprises {
		if err := check("enterprise", e); err != nil {
			return err
		}
	}
	return nil
}

// Init creates a network in dir: one home per node with CometBFT's
// configuration (node.WriteConfig), a node key and a validator key; an
// admin key "<dept>-admin" in each department home's keyring; a signing key
// per enterprise; one shared genesis document in every home; every node
// peering with every other (persistent_peers). dir may exist but must not
// already hold a network; empty directories in it are reused (Docker
// volumes mounted at the homes).
func Init(dir string, opts Options) (*Network, error) {
	if err := checkOptions(&opts); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, networkFile)); err == nil {
		return nil, fmt.Errorf("testnet: %s already holds a network (%s exists): choose another directory or remove it", dir, networkFile)
	}
	plans, err := plan(opts)
	if err != nil {
		return nil, err
	}
	b, err := newInitBuilder(dir, opts)
	if err != nil {
		return nil, err
	}
	for _, p := range plans {
		if err := b.addNode(p); err != nil {
			return nil, err
		}
	}
	for i, id := range opts.Enterprises {
		if err := b.addEnterprise(i, id); err != nil {
			return nil, err
		}
	}
	if err := b.makeGenesis(); err != nil {
		return nil, err
	}
	for i, p := range plans {
		if err := b.writeHome(b.nw.Nodes[i], p); err != nil {
			return nil, err
		}
	}
	if err := b.finish(); err != nil {
		return nil, err
	}
	return b.nw, nil
}

// initBuilder is what the steps of Init share: the options, the network as
// far as it is built, the passphrase of its keys and the genesis state.
type initBuilder struct {
	opts  Options
	nw    *Network
	pass  []byte
	depts []genesis.Department  // one per validator node, in order
	parts []genesis.Participant // the enterprises
}

// newInitBuilder creates the network directory and its passphrase file.
func newInitBuilder(dir string, opts Options) (*initBuilder, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("testnet: create %s: %w", dir, err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("testnet: %w", err)
	}
	pass, err := writePassphrase(abs)
	if err != nil {
		return nil, err
	}
	nw := &Network{Dir: abs, ChainID: opts.ChainID, Hosts: opts.Hosts}
	if opts.Hosts == HostsLoopback {
		nw.BasePort = opts.BasePort
	}
	return &initBuilder{opts: opts, nw: nw, pass: pass}, nil
}

// writePassphrase writes a new random passphrase to DIR/passphrase (mode
// 0600) and returns it.
func writePassphrase(dir string) ([]byte, error) {
	pw := make([]byte, 16)
	if _, err := rand.Read(pw); err != nil {
		return nil, fmt.Errorf("testnet: passphrase: %w", err)
	}
	pass := []byte(hex.EncodeToString(pw))
	if err := os.WriteFile(filepath.Join(dir, PassphraseFile), append(pass, '\n'), 0o600); err != nil {
		return nil, fmt.Errorf("testnet: write passphrase: %w", err)
	}
	return pass, nil
}

// addNode creates the home and keys of one planned node; a validator's
// department, with its admin key, joins the genesis state.
func (b *initBuilder) addNode(p nodePlan) error {
	home := filepath.Join(b.nw.Dir, p.name)
	if err := makeHome(home); err != nil {
		return err
	}
	conf := cfg.DefaultConfig()
	conf.SetRoot(home)
	if _, err := os.Stat(conf.GenesisFile()); err == nil {
		return fmt.Errorf("testnet: %s already exists: %s is not a fresh home", conf.GenesisFile(), home)
	}
	info, err := p.createKeys(home)
	if err != nil {
		return err
	}
	if p.validator {
		info.AdminKeyName = p.name + "-admin"
		admin, err := addKey(home, b.opts.KeyringOptions, info.AdminKeyName, b.pass, "admin key of "+p.name)
		if err != nil {
			return err
		}
		b.depts = append(b.depts, genesis.Department{
			ID: p.name, Name: "Department " + p.name,
			ValidatorPubKey: ed25519.PublicKey(info.ValidatorPubKey), Power: DefaultPower,
			AdminKeys: [][]byte{admin.PublicKey},
		})
	}
	b.nw.Nodes = append(b.nw.Nodes, info)
	return nil
}

// addEnterprise registers enterprise i of the options, supervised by the
// departments in turn, with a signing key in its department's keyring.
func (b *initBuilder) addEnterprise(i int, id string) error {
	d := b.nw.Nodes[i%len(b.opts.Departments)]
	k, err := addKey(d.Home, b.opts.KeyringOptions, id, b.pass, "key of enterprise "+id)
	if err != nil {
		return err
	}
	b.parts = append(b.parts, genesis.Participant{
		ID: id, Name: "Enterprise " + id, Role: genesis.RoleEnterprise, Department: d.Name,
		CreditCode: testCreditCode(i), Keys: [][]byte{k.PublicKey},
	})
	b.nw.Enterprises = append(b.nw.Enterprises, EnterpriseInfo{ID: id, Department: d.Name, Home: d.Home, KeyID: k.KeyID})
	return nil
}

// makeGenesis builds the shared genesis document of the departments and
// enterprises added so far.
func (b *initBuilder) makeGenesis() error {
	gt := b.opts.GenesisTime
	if gt.IsZero() {
		gt = time.Now().UTC()
	}
	doc, err := genesis.NewDoc(b.opts.ChainID, gt, genesis.AppState{Departments: b.depts, Participants: b.parts, Params: genesis.DefaultParams()})
	if err != nil {
		return fmt.Errorf("testnet: %w", err)
	}
	b.nw.Genesis = doc
	return nil
}

// writeHome writes the configuration of node info (planned as p), peering
// with every other node, and the genesis into its home.
func (b *initBuilder) writeHome(info NodeInfo, p nodePlan) error {
	var peers []string
	for _, o := range b.nw.Nodes {
		if o.Name != info.Name {
			peers = append(peers, o.P2PAddr)
		}
	}
	err := node.WriteConfig(info.Home, func(c *cfg.Config) {
		c.Moniker = p.name
		c.RPC.ListenAddress = p.rpcLis
		c.P2P.ListenAddress = p.p2pListen
		c.P2P.ExternalAddress = p.external
		c.P2P.PersistentPeers = strings.Join(peers, ",")
		c.P2P.AllowDuplicateIP = true
		c.P2P.AddrBookStrict = false
		c.Consensus.TimeoutCommit = b.opts.TimeoutCommit
		if b.opts.Configure != nil {
			b.opts.Configure(p.name, c)
		}
	})
	if err != nil {
		return fmt.Errorf("testnet: config of %s: %w", p.name, err)
	}
	ac := node.DefaultAppConfig()
	switch iv := b.opts.SnapshotInterval; {
	case iv == 0:
		ac.SnapshotInterval = DefaultSnapshotInterval
	case iv < 0:
		ac.SnapshotInterval = 0
	default:
		ac.SnapshotInterval = uint64(iv)
	}
	if err := node.WriteAppConfig(info.Home, ac); err != nil {
		return fmt.Errorf("testnet: app config of %s: %w", p.name, err)
	}
	return genesis.Save(b.nw.Genesis, filepath.Join(info.Home, "config", "genesis.json"))
}

// finish writes DIR/genesis.json and DIR/network.json.
func (b *initBuilder) finish() error {
	if err := genesis.Save(b.nw.Genesis, filepath.Join(b.nw.Dir, GenesisFile)); err != nil {
		return err
	}
	return b.nw.save()
}

// testCreditCode returns a valid unified social credit code for enterprise
// i of a test network.
func testCreditCode(i int) string {
	body := fmt.Sprintf("91520100MA%07d", i)
	c, _ := genesis.CreditCodeCheckChar(body)
	return body + string(c)
}

// save writes DIR/network.json (homes relative to DIR, so that the
// directory can be moved or mounted elsewhere).
func (n *Network) save() error {
	cp := *n
	cp.Nodes = slices.Clone(n.Nodes)
	for i := range cp.Nodes {
		cp.Nodes[i].Home = rel(n.Dir, cp.Nodes[i].Home)
	}
	cp.Enterprises = slices.Clone(n.Enterprises)
	for i := range cp.Enterprises {
		cp.Enterprises[i].Home = rel(n.Dir, cp.Enterprises[i].Home)
	}
	b, err := json.MarshalIndent(&cp, "", "  ")
	if err != nil {
		return fmt.Errorf("testnet: encode %s: %w", networkFile, err)
	}
	path := filepath.Join(n.Dir, networkFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("testnet: write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("testnet: write %s: %w", path, err)
	}
	return nil
}

func rel(dir, p string) string {
	if r, err := filepath.Rel(dir, p); err == nil {
		return r
	}
	return p
}

// Load reads the network in dir written by Init, with the shared genesis
// document from DIR/genesis.json (checked with genesis.Load).
func Load(dir string) (*Network, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("testnet: %w", err)
	}
	b, err := os.ReadFile(filepath.Join(abs, networkFile))
	if err != nil {
		return nil, fmt.Errorf("testnet: %s is not a network directory (run `traceledger testnet init --out %s`): %w", dir, dir, err)
	}
	n, err := decodeNetwork(b, abs)
	if err != nil {
		return nil, fmt.Errorf("testnet: %s: %w", filepath.Join(abs, networkFile), err)
	}
	doc, _, err := genesis.Load(filepath.Join(abs, GenesisFile))
	if err != nil {
		return nil, fmt.Errorf("testnet: %w", err)
	}
	if doc.ChainID != n.ChainID {
		return nil, fmt.Errorf("testnet: %s names chain %q but the genesis says %q", networkFile, n.ChainID, doc.ChainID)
	}
	n.Genesis = doc
	return n, nil
}

// decodeNetwork decodes network.json strictly and checks it: a known
// address plan, at least one node, node names that are valid ids and
// unique, an RPC URL and a peer address for each, and homes inside dir
// (relative paths are resolved against dir).
func decodeNetwork(b []byte, dir string) (*Network, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var n Network
	if err := dec.Decode(&n); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if dec.More() {
		return nil, errors.New("data after the JSON object")
	}
	n.Dir = dir
	if n.Hosts != HostsLoopback && n.Hosts != HostsDocker {
		return nil, fmt.Errorf("hosts is %q, want %q or %q", n.Hosts, HostsLoopback, HostsDocker)
	}
	if len(n.Nodes) == 0 {
		return nil, errors.New("no nodes")
	}
	seen := map[string]bool{}
	resolve := func(what, home string) (string, error) {
		if home == "" {
			return "", fmt.Errorf("%s: home is empty", what)
		}
		if !filepath.IsAbs(home) {
			home = filepath.Join(dir, home)
		}
		if r, err := filepath.Rel(dir, home); err != nil || r == "." || strings.HasPrefix(r, "..") {
			return "", fmt.Errorf("%s: home %s is not inside %s", what, home, dir)
		}
		return home, nil
	}
	for i := range n.Nodes {
		x := &n.Nodes[i]
		what := fmt.Sprintf("nodes[%d]", i)
		if err := genesis.ValidateID(x.Name); err != nil {
			return nil, fmt.Errorf("%s.name: %w", what, err)
		}
		if seen[x.Name] {
			return nil, fmt.Errorf("%s.name: %q is used twice", what, x.Name)
		}
		seen[x.Name] = true
		if x.RPCURL == "" || x.P2PAddr == "" {
			return nil, fmt.Errorf("%s (%s): rpc_url and p2p_addr are required", what, x.Name)
		}
		home, err := resolve(what, x.Home)
		if err != nil {
			return nil, err
		}
		x.Home = home
	}
	for i := range n.Enterprises {
		e := &n.Enterprises[i]
		home, err := resolve(fmt.Sprintf("enterprises[%d]", i), e.Home)
		if err != nil {
			return nil, err
		}
		e.Home = home
	}
	return &n, nil
}
