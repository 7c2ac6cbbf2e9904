// SPDX-License-Identifier: Apache-2.0

package main

// `traceledger init --genesis FILE --peers ...`: a home that joins the
// network of a genesis built with `traceledger genesis new|add-department`.

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	cfg "github.com/cometbft/cometbft/config"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/types"
	"github.com/spf13/cobra"

	"github.com/traceledger/traceledger/app"
	"github.com/traceledger/traceledger/client/keyring"
	"github.com/traceledger/traceledger/genesis"
	"github.com/traceledger/traceledger/node"
	"github.com/traceledger/traceledger/node/pvfile"
)

// joinOptions are the init flags that matter with --genesis.
type joinOptions struct {
	home, genesis, rpcAddr, p2pAddr string
	peers                           []string
	department                      string
	adminKey, enterprises           bool // --department given; --enterprise given
	pass                            passphraseFlags
	stateSync                       bool     // --state-sync
	rpcs                            []string // --rpc, for state sync
}

// checkPeers checks --peers entries: ID@HOST:PORT with a 40-hex-digit node
// id. Host names are not resolved (they may exist only on the nodes'
// network).
func checkPeers(peers []string) error {
	for _, p := range peers {
		id, addr, ok := strings.Cut(strings.TrimSpace(p), "@")
		_, port, err := net.SplitHostPort(addr)
		if b, herr := hex.DecodeString(id); !ok || herr != nil || len(b) != 20 || err != nil || port == "" {
			return &usageError{err: fmt.Errorf("--peers %q: want NODE_ID@HOST:PORT, the node id 40 hex digits (the \"peer\" of 'traceledger init -o json')", p)}
		}
	}
	return nil
}

// homeNodeID is the CometBFT node id of the node key in home.
func homeNodeID(home string) (string, error) {
	conf := cfg.DefaultConfig()
	conf.SetRoot(home)
	k, err := p2p.LoadNodeKey(conf.NodeKeyFile())
	if err != nil {
		return "", fmt.Errorf("read the node key: %w", err)
	}
	return string(k.ID()), nil
}

// peerAddress is id@host:port for a P2P listen address (a wildcard host
// is left for the other departments to replace by this machine's name).
func peerAddress(id, laddr string) string {
	u, err := url.Parse(laddr)
	if err != nil || u.Host == "" {
		return id + "@" + strings.TrimPrefix(laddr, "tcp://")
	}
	return id + "@" + u.Host
}

// homeValidatorKey reads the validator public key of home without
// CometBFT's loader (which exits the process on a bad file).
func homeValidatorKey(home string) ([]byte, error) {
	conf := cfg.DefaultConfig()
	conf.SetRoot(home)
	data, err := os.ReadFile(conf.PrivValidatorKeyFile())
	if err != nil {
		return nil, fmt.Errorf("read the validator key: %w", err)
	}
	var key privval.FilePVKey
	if err := cmtjson.Unmarshal(data, &key); err != nil || key.PubKey == nil {
		return nil, fmt.Errorf("%s is not a CometBFT validator key file: %v", conf.PrivValidatorKeyFile(), err)
	}
	return key.PubKey.Bytes(), nil
}

// neverStarted reports whether home's node has no blocks and no
// application state yet.
func neverStarted(home string) bool {
	for _, p := range []string{filepath.Join(home, "data", "blockstore.db"), node.AppDBDir(home)} {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			return false
		}
	}
	return true
}

// initJoin installs the genesis opts.genesis: into the home made by an
// earlier init that was never started (its provisional genesis is
// replaced), or into a new home with new keys.
func initJoin(cmd *cobra.Command, out *outputFlag, opts joinOptions) error {
	if opts.enterprises {
		return &usageError{cmd: cmd.CommandPath(), err: errors.New("--enterprise founds a one-department network; with --genesis, enterprises are in the genesis (genesis add-participant) or registered later")}
	}
	doc, st, err := genesis.Load(opts.genesis)
	if err != nil {
		return err
	}
	if err := app.ValidateGenesisState(*st); err != nil {
		return fmt.Errorf("%s: %w", opts.genesis, err)
	}
	// State sync: the trust height and hash are asked of the servers and
	// verified from the genesis before anything is written.
	var syncConf func(*cfg.Config)
	if opts.stateSync {
		if len(opts.rpcs) < 2 {
			return &usageError{cmd: cmd.CommandPath(), err: errors.New("--state-sync needs --rpc with two or more RPC URLs of the network's nodes")}
		}
		h, hash, err := node.StateSyncTrust(cmd.Context(), doc, opts.rpcs)
		if err != nil {
			return fmt.Errorf("state sync trust height: %w", err)
		}
		syncConf = func(c *cfg.Config) { node.SetStateSync(c, opts.rpcs, h, hash) }
	} else if len(opts.rpcs) > 0 {
		return &usageError{cmd: cmd.CommandPath(), err: errors.New("--rpc is for --state-sync")}
	}
	created := false
	var admin *keyring.Info
	if err := checkFreeHome(opts.home); err == nil {
		// A new home: configuration, node and validator keys, the genesis.
		conf := node.DefaultConfig()
		configure := func(c *cfg.Config) {
			c.RPC.ListenAddress, c.P2P.ListenAddress = opts.rpcAddr, opts.p2pAddr
			c.P2P.PersistentPeers = strings.Join(opts.peers, ",")
			c.Moniker = opts.department
			if syncConf != nil {
				syncConf(c)
			}
		}
		configure(conf)
		if err := conf.ValidateBasic(); err != nil {
			return fmt.Errorf("invalid node configuration: %w", err)
		}
		var pw []byte
		if opts.adminKey {
			if pw, err = keyring.ReadPassphrase(cmd.Context(), opts.pass.source("Passphrase for the new keys: ", true)); err != nil {
				return err
			}
		}
		err := buildHome(opts.home, func(dir string) error {
			if err := node.WriteConfig(dir, configure); err != nil {
				return err
			}
			c := cfg.DefaultConfig()
			c.SetRoot(dir)
			if _, err := p2p.LoadOrGenNodeKey(c.NodeKeyFile()); err != nil {
				return fmt.Errorf("create node key: %w", err)
			}
			if _, err := pvfile.LoadOrGen(c.PrivValidatorKeyFile(), c.PrivValidatorStateFile()); err != nil {
				return err
			}
			if opts.adminKey {
				kr, err := keyring.Open(keyring.Dir(dir))
				if err != nil {
					return err
				}
				info, err := kr.Add(opts.department+"-admin", pw)
				if err != nil {
					return err
				}
				admin = &info
			}
			return genesis.Save(doc, c.GenesisFile())
		})
		if err != nil {
			return err
		}
		created = true
	} else {
		// The home of an earlier init: adopt the genesis if it never ran.
		conf, lerr := node.LoadConfig(opts.home)
		if lerr != nil {
			return fmt.Errorf("%w (and it is not a node home: %v)", err, lerr)
		}
		if !neverStarted(opts.home) {
			return fmt.Errorf("%s has already run a chain (it has blocks or application state): its genesis cannot be replaced; use a new --home, or 'traceledger node reset-data --home %s' first", opts.home, opts.home)
		}
		if cmd.Flags().Changed("peers") {
			conf.P2P.PersistentPeers = strings.Join(opts.peers, ",")
		}
		if cmd.Flags().Changed("rpc-laddr") {
			conf.RPC.ListenAddress = opts.rpcAddr
		}
		if cmd.Flags().Changed("p2p-laddr") {
			conf.P2P.ListenAddress = opts.p2pAddr
		}
		if syncConf != nil {
			syncConf(conf)
		}
		if err := conf.ValidateBasic(); err != nil {
			return fmt.Errorf("invalid node configuration: %w", err)
		}
		if err := genesis.Save(doc, conf.GenesisFile()); err != nil {
			return err
		}
		cfg.WriteConfigFile(filepath.Join(opts.home, "config", "config.toml"), conf)
	}
	return printJoin(cmd, out, opts, doc, created, admin)
}

// printJoin reports the joined home: its role in the genesis, its keys and
// its peer address.
func printJoin(cmd *cobra.Command, out *outputFlag, opts joinOptions, doc *types.GenesisDoc, created bool, admin *keyring.Info) error {
	vk, err := homeValidatorKey(opts.home)
	if err != nil {
		return err
	}
	role := "non-validator"
	for _, v := range doc.Validators {
		if bytes.Equal(v.PubKey.Bytes(), vk) {
			role = "validator"
		}
	}
	h, err := genesis.Hash(doc)
	if err != nil {
		return err
	}
	id, err := homeNodeID(opts.home)
	if err != nil {
		return err
	}
	conf, err := node.LoadConfig(opts.home)
	if err != nil {
		return err
	}
	rpcURL, _ := rpcFromHome(opts.home)
	view := map[string]any{"home": opts.home, "created": created, "chain_id": doc.ChainID, "genesis_hash": h, "role": role,
		"validator_pub_key": base64.StdEncoding.EncodeToString(vk), "node_id": id, "peer": peerAddress(id, conf.P2P.ListenAddress),
		"peers": opts.peers, "rpc": rpcURL}
	if admin != nil {
		view["admin_key"], view["admin_key_id"], view["admin_public_key"] = admin.Name, admin.KeyID, base64.StdEncoding.EncodeToString(admin.PublicKey)
	}
	return out.print(cmd.OutOrStdout(), view, func(w io.Writer) {
		verb := "joined"
		if created {
			verb = "created"
		}
		fmt.Fprintf(w, "%s %s for chain %s (genesis hash %s)\n  role         %s (validator key %s)\n  peer address %s\n  peers        %s\n",
			verb, opts.home, doc.ChainID, h, role, view["validator_pub_key"], view["peer"], strings.Join(opts.peers, ", "))
		if admin != nil {
			fmt.Fprintf(w, "  admin key    %s (id %s, public key %s)\n", admin.Name, admin.KeyID, view["admin_public_key"])
		}
		if role == "non-validator" {
			fmt.Fprintf(w, "it follows the chain; it votes after an add-department proposal names its validator key\n")
		}
		fmt.Fprintf(w, "compare the genesis hash with the other departments, then: traceledger start --home %s\n", opts.home)
	})
}
