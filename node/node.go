// SPDX-License-Identifier: Apache-2.0

// Package node runs a TraceLedger node: CometBFT in-process with the
// application on a local ABCI connection. CometBFT's own stores (blocks,
// state, evidence, tx index) stay on CometBFT's default backend in
// <home>/data; the application's badger database is <home>/data/app.badger.
package node

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/libs/log"
	cmtnode "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/proxy"
	"github.com/spf13/viper"

	"github.com/traceledger/traceledger/app"
	"github.com/traceledger/traceledger/client/keyring/secretfile"
	"github.com/traceledger/traceledger/node/pvfile"
)

// AppDBDir is the application's badger directory inside a home.
func AppDBDir(home string) string { return filepath.Join(home, "data", "app.badger") }

// LoadConfig reads <home>/config/config.toml (CometBFT's format) over
// CometBFT's defaults and roots every path at home.
func LoadConfig(home string) (*cfg.Config, error) {
	conf := cfg.DefaultConfig()
	path := filepath.Join(home, "config", "config.toml")
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no node configuration at %s: run `traceledger init --home %s` first: %w", path, home, err)
	}
	v := viper.New()
	v.SetConfigFile(path)
	if err := v.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if err := v.Unmarshal(conf); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	conf.SetRoot(home)
	if err := conf.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("invalid %s: %w", path, err)
	}
	return conf, nil
}

// Node is a running TraceLedger node.
type Node struct {
	comet     *cmtnode.Node
	app       *app.App
	conf      *cfg.Config
	stopAdmin func() // the admin socket (node/backup.go), nil before Start
	logger    log.Logger
}

// New opens the application and builds the CometBFT node for the home
// described by conf. Call Start to run it and Stop to shut it down.
func New(ctx context.Context, conf *cfg.Config, logger log.Logger) (*Node, error) {
	return NewWithOptions(ctx, conf, logger, Options{})
}

// NewWithOptions is New with the application options of opts.
func NewWithOptions(ctx context.Context, conf *cfg.Config, logger log.Logger, opts Options) (*Node, error) {
	if logger == nil {
		logger = log.NewNopLogger()
	}
	// The keys are read before the application database is opened, so that
	// a missing or damaged key file leaves nothing to close.
	if err := secretfile.Check(conf.NodeKeyFile()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("node key: %w", err)
	}
	nodeKey, err := p2p.LoadNodeKey(conf.NodeKeyFile())
	if err != nil {
		return nil, fmt.Errorf("load node key %s: %w", conf.NodeKeyFile(), err)
	}
	pv, err := pvfile.Load(conf.PrivValidatorKeyFile(), conf.PrivValidatorStateFile())
	if err != nil {
		return nil, err
	}
	ac, err := LoadAppConfig(conf.RootDir)
	if err != nil {
		return nil, err
	}
	a, err := app.New(app.Options{Dir: AppDBDir(conf.RootDir), Logger: logger.With("module", "traceledger"),
		SnapshotInterval: ac.SnapshotInterval, SnapshotKeepRecent: ac.SnapshotKeepRecent,
		Upgrades: opts.Upgrades, AllowEarlyUpgradeBinary: opts.AllowEarlyUpgradeBinary})
	if err != nil {
		return nil, err
	}
	n, err := cmtnode.NewNodeWithContext(ctx, conf, pv, nodeKey,
		proxy.NewConnSyncLocalClientCreator(a),
		cmtnode.DefaultGenesisDocProviderFunc(conf),
		cfg.DefaultDBProvider,
		cmtnode.DefaultMetricsProvider(conf.Instrumentation),
		logger)
	if err != nil {
		a.Close()
		return nil, fmt.Errorf("create CometBFT node: %w", err)
	}
	return &Node{comet: n, app: a, conf: conf, logger: logger}, nil
}

// Start starts consensus, p2p and the RPC server.
func (n *Node) Start() error {
	if err := n.comet.Start(); err != nil {
		return fmt.Errorf("start node: %w", err)
	}
	// Without the admin socket the node runs on; only backups of it while
	// it runs are unavailable (a socket path longer than the system allows,
	// a read-only data directory).
	if stop, err := serveAdmin(n.conf.RootDir, n.app); err != nil {
		n.logger.Error("admin socket unavailable: `traceledger node backup` works on this home only while the node is stopped", "err", err)
	} else {
		n.stopAdmin = stop
	}
	return nil
}

// Stop stops the node and closes the application database.
func (n *Node) Stop() error {
	var errs []error
	if n.stopAdmin != nil {
		n.stopAdmin()
		n.stopAdmin = nil
	}
	if n.comet.IsRunning() {
		if err := n.comet.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("stop node: %w", err))
		}
		n.comet.Wait()
	}
	if err := n.app.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close app database: %w", err))
	}
	return errors.Join(errs...)
}

// RPCAddress is the CometBFT RPC listen address, e.g. tcp://127.0.0.1:26657.
func (n *Node) RPCAddress() string { return n.conf.RPC.ListenAddress }

// Comet exposes the CometBFT node (for tests and tools).
func (n *Node) Comet() *cmtnode.Node { return n.comet }
