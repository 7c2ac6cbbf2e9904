// SPDX-License-Identifier: Apache-2.0

package audit

import (
	"context"
	"fmt"
	"strings"

	abci "github.com/cometbft/cometbft/abci/types"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/cometbft/cometbft/types"
)

// Source is one department's node as the auditor sees it: its chain
// (headers, commits, validator sets) and its application queries. RPCSource
// talks to a node's CometBFT RPC; tests wrap or fake it.
type Source interface {
	// Name identifies the node in alerts and metrics (its URL).
	Name() string
	// Latest is the node's latest block height.
	Latest(ctx context.Context) (int64, error)
	// HeaderHashes returns the block hashes the node has for heights min to
	// max (both included), by height.
	HeaderHashes(ctx context.Context, min, max int64) (map[int64][]byte, error)
	// SignedHeader is the header at height with its commit.
	SignedHeader(ctx context.Context, height int64) (*types.SignedHeader, error)
	// Validators is the validator set at height.
	Validators(ctx context.Context, height int64) (*types.ValidatorSet, error)
	// Query runs an ABCI query at height (0: latest).
	Query(ctx context.Context, path string, data []byte, height int64) (*abci.ResponseQuery, error)
}

// RPCSource is a Source over CometBFT's HTTP RPC.
type RPCSource struct {
	url string
	rpc *rpchttp.HTTP
}

// NewRPCSource connects to the node at url (e.g. http://127.0.0.1:26657).
func NewRPCSource(url string) (*RPCSource, error) {
	c, err := rpchttp.NewWithTimeout(url, "/websocket", 10)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", url, err)
	}
	return &RPCSource{url: url, rpc: c}, nil
}

// Name implements Source.
func (s *RPCSource) Name() string { return s.url }

// Latest implements Source.
func (s *RPCSource) Latest(ctx context.Context) (int64, error) {
	st, err := s.rpc.Status(ctx)
	if err != nil {
		return 0, fmt.Errorf("status of %s: %w", s.url, err)
	}
	return st.SyncInfo.LatestBlockHeight, nil
}

// HeaderHashes implements Source with /blockchain, 20 heights per call.
func (s *RPCSource) HeaderHashes(ctx context.Context, min, max int64) (map[int64][]byte, error) {
	out := map[int64][]byte{}
	for lo := min; lo <= max; lo += 20 {
		hi := lo + 19
		if hi > max {
			hi = max
		}
		res, err := s.rpc.BlockchainInfo(ctx, lo, hi)
		if err != nil {
			return nil, fmt.Errorf("block hashes %d..%d from %s: %w", lo, hi, s.url, err)
		}
		for _, m := range res.BlockMetas {
			out[m.Header.Height] = m.BlockID.Hash
		}
	}
	return out, nil
}

// SignedHeader implements Source with /commit.
func (s *RPCSource) SignedHeader(ctx context.Context, height int64) (*types.SignedHeader, error) {
	res, err := s.rpc.Commit(ctx, &height)
	if err != nil {
		return nil, fmt.Errorf("commit %d from %s: %w", height, s.url, err)
	}
	return &res.SignedHeader, nil
}

// Validators implements Source with /validators, all pages.
func (s *RPCSource) Validators(ctx context.Context, height int64) (*types.ValidatorSet, error) {
	var vals []*types.Validator
	perPage := 100
	for page := 1; ; page++ {
		res, err := s.rpc.Validators(ctx, &height, &page, &perPage)
		if err != nil {
			return nil, fmt.Errorf("validators %d from %s: %w", height, s.url, err)
		}
		vals = append(vals, res.Validators...)
		if len(vals) >= res.Total || len(res.Validators) == 0 {
			break
		}
	}
	set, err := types.ValidatorSetFromExistingValidators(vals)
	if err != nil {
		return nil, fmt.Errorf("validators %d from %s: %w", height, s.url, err)
	}
	return set, nil
}

// Query implements Source.
func (s *RPCSource) Query(ctx context.Context, path string, data []byte, height int64) (*abci.ResponseQuery, error) {
	res, err := s.rpc.ABCIQueryWithOptions(ctx, path, data, rpcclient.ABCIQueryOptions{Height: height})
	if err != nil {
		return nil, fmt.Errorf("query %s on %s: %w", path, s.url, err)
	}
	return &res.Response, nil
}

// ParseNodes splits a comma-separated list of node URLs.
func ParseNodes(list string) []string {
	var out []string
	for _, u := range strings.Split(list, ",") {
		if u = strings.TrimSpace(u); u != "" {
			if !strings.Contains(u, "://") {
				u = "http://" + u
			}
			out = append(out, u)
		}
	}
	return out
}
