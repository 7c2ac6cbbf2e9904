// SPDX-License-Identifier: Apache-2.0

package testnet

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	cfg "github.com/cometbft/cometbft/config"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/client/keyring"
	"github.com/traceledger/traceledger/genesis"
	"github.com/traceledger/traceledger/node"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// AddNode creates the home of a new department's node called name that
// joins the running network as a non-validator: the shared genesis, a node
// key, a validator key and an admin key "<name>-admin" in its keyring (the
// keys a governance proposal names to make it a validator, see Promote),
// every existing node as a persistent peer, and the configuration of the
// network's first node with its own addresses. Started, it block-syncs the
// chain from its peers and then follows consensus. The network description
// (network.json) gains the node.
//
// For the loopback plan the node gets the next 127.0.0.x address and the
// ports of the network's base port for its index (free ports if the network
// was made with base port 0); for the docker plan its hostname is name.
func AddNode(nw *Network, name string, kopts ...keyring.Option) (NodeInfo, error) {
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
	p := nodePlan{name: name}
	switch nw.Hosts {
	case HostsDocker:
		p.setDocker()
		p.p2pListen, p.rpcLis = ref.P2P.ListenAddress, ref.RPC.ListenAddress
	case HostsLoopback:
		i := len(nw.Nodes)
		if i > 253 {
			return NodeInfo{}, fmt.Errorf("testnet: no loopback address left for a %dth node", i+1)
		}
		if nw.BasePort+10*i+1 > 65535 {
			return NodeInfo{}, fmt.Errorf("testnet: base port %d leaves no port for a %dth node", nw.BasePort, i+1)
		}
		if err := p.setLoopback(i, nw.BasePort); err != nil {
			return NodeInfo{}, err
		}
	default:
		return NodeInfo{}, fmt.Errorf("testnet: unknown address plan %q in %s", nw.Hosts, networkFile)
	}

	home := filepath.Join(nw.Dir, name)
	conf := cfg.DefaultConfig()
	conf.SetRoot(home)
	if _, err := os.Stat(conf.GenesisFile()); err == nil {
		return NodeInfo{}, fmt.Errorf("testnet: %s already exists", conf.GenesisFile())
	}
	if err := makeHome(home); err != nil {
		return NodeInfo{}, err
	}
	info, err := p.createKeys(home)
	if err != nil {
		return NodeInfo{}, err
	}
	pass, err := nw.Passphrase()
	if err != nil {
		return NodeInfo{}, err
	}
	info.AdminKeyName = name + "-admin"
	if _, err := addKey(home, kopts, info.AdminKeyName, pass, "admin key of "+name); err != nil {
		return NodeInfo{}, err
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
	if ac, err := node.LoadAppConfig(nw.Nodes[0].Home); err != nil {
		return NodeInfo{}, err
	} else if err := node.WriteAppConfig(home, ac); err != nil {
		return NodeInfo{}, err
	}
	nw.Nodes = append(nw.Nodes, info)
	if err := nw.save(); err != nil {
		nw.Nodes = nw.Nodes[:len(nw.Nodes)-1]
		return NodeInfo{}, err
	}
	return info, nil
}

// AddStateSyncNode is AddNode for a node that joins by state sync: its
// configuration gets [statesync] with the RPC servers of the first two
// validators of the running network and a trust height and hash verified
// from the genesis by the light client (node.EnableStateSync). Started,
// it restores the newest snapshot its peers offer, then block-syncs the
// blocks after it; the blocks before it are not on this node.
func AddStateSyncNode(ctx context.Context, nw *Network, name string, kopts ...keyring.Option) (NodeInfo, int64, error) {
	var rpcs []string
	for _, v := range nw.Validators() {
		if len(rpcs) < 2 {
			rpcs = append(rpcs, v.RPCURL)
		}
	}
	if len(rpcs) == 1 {
		rpcs = append(rpcs, rpcs[0]) // a one-validator network: the one node is both
	}
	info, err := AddNode(nw, name, kopts...)
	if err != nil {
		return NodeInfo{}, 0, err
	}
	h, _, err := node.EnableStateSync(ctx, info.Home, rpcs)
	if err != nil {
		return info, 0, fmt.Errorf("testnet: state sync of %s: %w", name, err)
	}
	return info, h, nil
}

// Promote makes node name, added by AddNode, the validator of a new
// department through governance, as the departments would: the first
// validator department's admin key submits an AddDepartment proposal naming
// the node's validator key and admin key with the given power, every
// validator department votes yes until it passes, and Promote waits until
// the proposal has executed and CometBFT's validator set at the node's
// latest height contains the key (two blocks after execution). Transactions
// go to the node at url. network.json then records the node as a validator.
// It returns the proposal id.
func Promote(ctx context.Context, nw *Network, name string, power int64, url string, kopts ...keyring.Option) (uint64, error) {
	idx := -1
	for i, n := range nw.Nodes {
		if n.Name == name {
			idx = i
		}
	}
	if idx < 0 {
		return 0, fmt.Errorf("testnet: no node %q in %s", name, nw.Dir)
	}
	x := nw.Nodes[idx]
	if x.Validator {
		return 0, fmt.Errorf("testnet: %s is already a validator", name)
	}
	if len(x.ValidatorPubKey) != ed25519.PublicKeySize || x.AdminKeyName == "" {
		return 0, fmt.Errorf("testnet: %s has no validator or admin key on record (was it made by AddNode?)", name)
	}
	kr, err := keyring.Open(keyring.Dir(x.Home), kopts...)
	if err != nil {
		return 0, err
	}
	admin, err := kr.Show(x.AdminKeyName)
	if err != nil {
		return 0, fmt.Errorf("testnet: %w", err)
	}
	voters := nw.Validators()
	if len(voters) == 0 {
		return 0, fmt.Errorf("testnet: %s has no validators to vote", nw.Dir)
	}
	c, err := client.New(url, nw.Genesis)
	if err != nil {
		return 0, err
	}
	proposer, err := nw.AdminKey(voters[0].Name, kopts...)
	if err != nil {
		return 0, err
	}
	id, _, err := c.Propose(ctx, client.Signer{Key: proposer}, &tlv1.SubmitProposal{
		Title: "admit department " + name,
		Change: &tlv1.ProposalChange{Change: &tlv1.ProposalChange_AddDepartment{AddDepartment: &tlv1.AddDepartment{
			Id: name, Name: "Department " + name, ValidatorPubKey: x.ValidatorPubKey, Power: power,
			AdminKeys: [][]byte{admin.PublicKey},
		}}},
	})
	if err != nil {
		return 0, fmt.Errorf("testnet: propose admitting %s: %w", name, err)
	}
	for _, v := range voters {
		info, _, err := c.Proposal(ctx, id)
		if err != nil {
			return id, fmt.Errorf("testnet: read proposal %d: %w", id, err)
		}
		if info.Proposal.GetStatus() != tlv1.PROPOSAL_STATUS_OPEN {
			break
		}
		k, err := nw.AdminKey(v.Name, kopts...)
		if err != nil {
			return id, err
		}
		if _, err := c.Vote(ctx, client.Signer{Key: k}, id, true); err != nil {
			return id, fmt.Errorf("testnet: %s votes on proposal %d: %w", v.Name, id, err)
		}
	}
	for {
		info, _, err := c.Proposal(ctx, id)
		if err == nil {
			switch st := info.Proposal.GetStatus(); st {
			case tlv1.PROPOSAL_STATUS_EXECUTED:
				ok, err := inValidatorSet(ctx, c, x.ValidatorAddress)
				if err == nil && ok {
					nw.Nodes[idx].Validator = true
					return id, nw.save()
				}
			case tlv1.PROPOSAL_STATUS_OPEN, tlv1.PROPOSAL_STATUS_PASSED:
			default:
				return id, fmt.Errorf("testnet: proposal %d to admit %s ended %s", id, name, st)
			}
		}
		select {
		case <-ctx.Done():
			return id, fmt.Errorf("testnet: waiting for %s to become a validator (proposal %d): %w", name, id, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// inValidatorSet reports whether CometBFT's latest validator set holds the
// validator with the given hex address.
func inValidatorSet(ctx context.Context, c *client.Client, addr string) (bool, error) {
	perPage := 100
	res, err := c.RPC().Validators(ctx, nil, nil, &perPage)
	if err != nil {
		return false, err
	}
	for _, v := range res.Validators {
		if v.Address.String() == addr && v.VotingPower > 0 {
			return true, nil
		}
	}
	return false, nil
}
