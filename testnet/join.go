package testnet

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"

	"github.com/traceledger/traceledger/genesis"
	"github.com/traceledger/traceledger/node"
)

// AddNode creates the home of a new node called name that joins the running
// network as a non-validator: the shared genesis, a node key, a validator
// key (whose public key a governance proposal can later make a validator),
// every existing node as a persistent peer, and the configuration of the
// network's first node with its own addresses. Started, it block-syncs the
// chain from its peers and then follows consensus. The network description
// (network.json) gains the node.
//
// For the loopback plan the node gets the next 127.0.0.x address and free
// ports (or basePort-based ports if basePort > 0); for the docker plan its
// hostname is name.
func AddNode(nw *Network, name string, basePort int) (NodeInfo, error) {
	if err := genesis.ValidateID(name); err != nil {
		return NodeInfo{}, fmt.Errorf("testnet: node name: %w", err)
	}
	if strings.ContainsAny(name, "._") {
		return NodeInfo{}, fmt.Errorf("testnet: node name %q: only [a-z0-9-] is allowed, because it is also a hostname", name)
	}
	if _, dup := nw.Node(name); dup {
		return NodeInfo{}, fmt.Errorf("testnet: %s already has a node %q", nw.Dir, name)
	}
	if len(nw.Nodes) == 0 {
		return NodeInfo{}, fmt.Errorf("testnet: %s has no nodes to join", nw.Dir)
	}
	ref, err := node.LoadConfig(nw.Nodes[0].Home)
	if err != nil {
		return NodeInfo{}, fmt.Errorf("testnet: read the configuration to copy: %w", err)
	}
	var p nodePlan
	switch nw.Hosts {
	case HostsDocker:
		p.p2pListen = ref.P2P.ListenAddress
		p.rpcLis = ref.RPC.ListenAddress
		p.p2pHost = net.JoinHostPort(name, strconv.Itoa(DockerP2PPort))
		p.rpcURL = fmt.Sprintf("http://%s:%d", name, DockerRPCPort)
	case HostsLoopback:
		i := len(nw.Nodes)
		if i > 253 {
			return NodeInfo{}, fmt.Errorf("testnet: no loopback address left for a %dth node", i+1)
		}
		ip := fmt.Sprintf("127.0.0.%d", i+1)
		p2pPort, rpcPort := basePort+10*i, basePort+10*i+1
		if basePort <= 0 {
			if p2pPort, err = freePort(ip); err != nil {
				return NodeInfo{}, err
			}
			if rpcPort, err = freePort(ip); err != nil {
				return NodeInfo{}, err
			}
		}
		p.p2pHost = net.JoinHostPort(ip, strconv.Itoa(p2pPort))
		p.p2pListen = "tcp://" + p.p2pHost
		rpcHost := net.JoinHostPort(ip, strconv.Itoa(rpcPort))
		p.rpcLis = "tcp://" + rpcHost
		p.rpcURL = "http://" + rpcHost
	default:
		return NodeInfo{}, fmt.Errorf("testnet: unknown address plan %q in %s", nw.Hosts, NetworkFile)
	}

	home := filepath.Join(nw.Dir, name)
	conf := cfg.DefaultConfig()
	conf.SetRoot(home)
	if _, err := os.Stat(conf.GenesisFile()); err == nil {
		return NodeInfo{}, fmt.Errorf("testnet: %s already exists", conf.GenesisFile())
	}
	for _, sub := range []string{"config", "data"} {
		if err := os.MkdirAll(filepath.Join(home, sub), 0o700); err != nil {
			return NodeInfo{}, fmt.Errorf("testnet: create home %s: %w", home, err)
		}
	}
	nk, err := p2p.LoadOrGenNodeKey(conf.NodeKeyFile())
	if err != nil {
		return NodeInfo{}, fmt.Errorf("testnet: node key of %s: %w", name, err)
	}
	pv := privval.LoadOrGenFilePV(conf.PrivValidatorKeyFile(), conf.PrivValidatorStateFile())
	pub, err := pv.GetPubKey()
	if err != nil {
		return NodeInfo{}, fmt.Errorf("testnet: validator key of %s: %w", name, err)
	}
	info := NodeInfo{
		Name: name, Home: home, NodeID: string(nk.ID()), RPCURL: p.rpcURL,
		P2PAddr: string(nk.ID()) + "@" + p.p2pHost, ValidatorAddress: pub.Address().String(),
	}
	var peers []string
	for _, o := range nw.Nodes {
		peers = append(peers, o.P2PAddr)
	}
	err = node.WriteConfig(home, func(c *cfg.Config) {
		// ref is a throwaway copy read from disk: sharing its sections is
		// harmless.
		*c = *ref
		c.SetRoot(home)
		c.Moniker = name
		c.RPC.ListenAddress = p.rpcLis
		c.P2P.ListenAddress = p.p2pListen
		c.P2P.ExternalAddress = p.p2pHost
		c.P2P.PersistentPeers = strings.Join(peers, ",")
	})
	if err != nil {
		return NodeInfo{}, fmt.Errorf("testnet: config of %s: %w", name, err)
	}
	if err := genesis.Save(nw.Genesis, conf.GenesisFile()); err != nil {
		return NodeInfo{}, err
	}
	nw.Nodes = append(nw.Nodes, info)
	if err := nw.save(); err != nil {
		nw.Nodes = nw.Nodes[:len(nw.Nodes)-1]
		return NodeInfo{}, err
	}
	return info, nil
}
