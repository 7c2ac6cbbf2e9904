// SPDX-License-Identifier: Apache-2.0

package node

import (
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/types"

	"github.com/traceledger/traceledger/genesis"
	"github.com/traceledger/traceledger/node/pvfile"
)

// InitOptions describe a new single-department home.
type InitOptions struct {
	// ChainID names the network.
	ChainID string
	// Department is the founding department; its ValidatorPubKey and
	// Power are filled in from the generated validator key.
	Department genesis.Department
	// Participants are registered at genesis (enterprises, certifiers, ...).
	Participants []genesis.Participant
	// GenesisTime defaults to now.
	GenesisTime time.Time
	// Configure, if set, edits the CometBFT configuration before it is
	// written (ports, timeouts).
	Configure func(*cfg.Config)
}

// Init creates a home for a one-department network: CometBFT's config,
// node key and validator key, and a genesis file naming the department as
// the only validator. It refuses to overwrite an existing home.
func Init(home string, opts InitOptions) (*types.GenesisDoc, error) {
	conf := cfg.DefaultConfig()
	conf.SetRoot(home)
	if _, err := os.Stat(conf.GenesisFile()); err == nil {
		return nil, fmt.Errorf("%s already exists: choose another --home or remove it", conf.GenesisFile())
	}
	if err := WriteConfig(home, opts.Configure); err != nil {
		return nil, err
	}
	if _, err := p2p.LoadOrGenNodeKey(conf.NodeKeyFile()); err != nil {
		return nil, fmt.Errorf("create node key: %w", err)
	}
	pv, err := pvfile.LoadOrGen(conf.PrivValidatorKeyFile(), conf.PrivValidatorStateFile())
	if err != nil {
		return nil, err
	}
	pub, err := pv.GetPubKey()
	if err != nil {
		return nil, fmt.Errorf("read validator key: %w", err)
	}
	d := opts.Department
	d.ValidatorPubKey = ed25519.PublicKey(pub.Bytes())
	if d.Power == 0 {
		d.Power = 10
	}
	st := genesis.AppState{Departments: []genesis.Department{d}, Participants: opts.Participants, Params: genesis.DefaultParams()}
	t := opts.GenesisTime
	if t.IsZero() {
		t = time.Now().UTC()
	}
	doc, err := genesis.NewDoc(opts.ChainID, t, st)
	if err != nil {
		return nil, err
	}
	if err := genesis.Save(doc, conf.GenesisFile()); err != nil {
		return nil, err
	}
	return doc, nil
}

// WriteConfig writes <home>/config/config.toml with TraceLedger's defaults
// (blocks are kept forever, the tx index is on, a one-second commit
// timeout) after configure has edited them.
func WriteConfig(home string, configure func(*cfg.Config)) error {
	conf := DefaultConfig()
	conf.SetRoot(home)
	if configure != nil {
		configure(conf)
	}
	for _, dir := range []string{filepath.Join(home, "config"), filepath.Join(home, "data")} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create %s: %w", dir, err)
		}
	}
	if err := conf.ValidateBasic(); err != nil {
		return fmt.Errorf("invalid node configuration: %w", err)
	}
	cfg.WriteConfigFile(filepath.Join(home, "config", "config.toml"), conf)
	if _, err := os.Stat(AppConfigFile(home)); err != nil {
		return WriteAppConfig(home, DefaultAppConfig())
	}
	return nil
}

// DefaultConfig is CometBFT's default configuration with TraceLedger's
// choices: a 1 s commit timeout, the kv tx indexer, RPC on loopback.
func DefaultConfig() *cfg.Config {
	conf := cfg.DefaultConfig()
	conf.Moniker = "traceledger"
	conf.Consensus.TimeoutCommit = time.Second
	conf.TxIndex.Indexer = "kv"
	conf.RPC.ListenAddress = "tcp://127.0.0.1:26657"
	conf.P2P.ListenAddress = "tcp://127.0.0.1:26656"
	conf.P2P.AllowDuplicateIP = true
	conf.P2P.AddrBookStrict = false
	return conf
}
