// SPDX-License-Identifier: Apache-2.0

package node

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/cometbft/cometbft/types"

	"github.com/traceledger/traceledger/client"
)

// StateSyncDiscoveryTime is how long a node that joins by state sync
// gathers snapshot offers before it picks one (CometBFT's minimum is 5 s).
const StateSyncDiscoveryTime = 5 * time.Second

// StateSyncTrust returns a trust height and header hash for state sync:
// the latest header of the chain doc describes, as served by rpcs[0],
// verified by CometBFT's light client from the genesis validator set
// (client.NewHeaderVerifier) with the other servers as witnesses. Nothing
// the servers say is taken without that verification.
func StateSyncTrust(ctx context.Context, doc *types.GenesisDoc, rpcs []string) (int64, []byte, error) {
	if len(rpcs) < 2 {
		return 0, nil, fmt.Errorf("state sync needs at least two RPC servers (one verifies the other), got %d", len(rpcs))
	}
	c, err := rpchttp.New(rpcs[0], "/websocket")
	if err != nil {
		return 0, nil, fmt.Errorf("connect to %s: %w", rpcs[0], err)
	}
	st, err := c.Status(ctx)
	if err != nil {
		return 0, nil, fmt.Errorf("status of %s: %w", rpcs[0], err)
	}
	if st.NodeInfo.Network != doc.ChainID {
		return 0, nil, fmt.Errorf("%s serves chain %q, the genesis is of %q", rpcs[0], st.NodeInfo.Network, doc.ChainID)
	}
	v, err := client.NewHeaderVerifier(ctx, doc, rpcs[0], rpcs[1:])
	if err != nil {
		return 0, nil, err
	}
	lb, err := v.VerifyHeader(ctx, st.SyncInfo.LatestBlockHeight)
	if err != nil {
		return 0, nil, err
	}
	return lb.Height, lb.Hash(), nil
}

// SetStateSync turns state sync on in c with the servers and the trusted
// header (from StateSyncTrust).
func SetStateSync(c *cfg.Config, rpcs []string, height int64, hash []byte) {
	c.StateSync.Enable = true
	c.StateSync.RPCServers = rpcs
	c.StateSync.TrustHeight = height
	c.StateSync.TrustHash = fmt.Sprintf("%X", hash)
	c.StateSync.TrustPeriod = client.TrustingPeriod
	c.StateSync.DiscoveryTime = StateSyncDiscoveryTime
}

// EnableStateSync rewrites home's config.toml to join by state sync from
// rpcs, with a trust height and hash verified from the home's genesis.
func EnableStateSync(ctx context.Context, home string, rpcs []string) (int64, []byte, error) {
	conf, err := LoadConfig(home)
	if err != nil {
		return 0, nil, err
	}
	doc, err := types.GenesisDocFromFile(conf.GenesisFile())
	if err != nil {
		return 0, nil, fmt.Errorf("read genesis: %w", err)
	}
	h, hash, err := StateSyncTrust(ctx, doc, rpcs)
	if err != nil {
		return 0, nil, err
	}
	SetStateSync(conf, rpcs, h, hash)
	if err := conf.ValidateBasic(); err != nil {
		return 0, nil, fmt.Errorf("invalid node configuration: %w", err)
	}
	cfg.WriteConfigFile(filepath.Join(home, "config", "config.toml"), conf)
	return h, hash, nil
}
