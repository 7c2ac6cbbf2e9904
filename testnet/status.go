// SPDX-License-Identifier: Apache-2.0

package testnet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/traceledger/traceledger/app"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// NodeStatus is what one node reports about itself: CometBFT's view (its
// latest block, peers, sync state) and the application's (its committed
// state roots).
type NodeStatus struct {
	// Name and RPCURL identify the node.
	Name   string `json:"name"`
	RPCURL string `json:"rpc_url"`
	// Up is false when the node did not answer; Error says why.
	Up    bool   `json:"up"`
	Error string `json:"error,omitempty"`
	// Height is the latest block height; AppHash is the app hash in that
	// block's header (the state after Height-1); BlockTime its time.
	Height    int64     `json:"height"`
	AppHash   string    `json:"app_hash"`
	BlockTime time.Time `json:"block_time"`
	// CatchingUp is true while the node block-syncs from its peers.
	CatchingUp bool `json:"catching_up"`
	// Peers is the number of connected peers.
	Peers int `json:"peers"`
	// VotingPower is the node's own validator power (0 for a non-validator).
	VotingPower int64 `json:"voting_power"`
	// AppHeight, AppLastHash are the application's last committed height
	// and app hash (ABCI Info); LogSize and MapSize come from its /status
	// query.
	AppHeight   int64  `json:"app_height"`
	AppLastHash string `json:"app_last_hash"`
	LogSize     uint64 `json:"log_size"`
	MapSize     uint64 `json:"map_size"`
	// EarliestHeight is the lowest block this node stores; StateSyncedFrom
	// is the snapshot height a node restored by state sync started from
	// (0 for a node that replayed the chain): blocks before it are not on
	// this node, they remain the audit evidence of the nodes that have them.
	EarliestHeight  int64 `json:"earliest_height"`
	StateSyncedFrom int64 `json:"state_synced_from,omitempty"`
}

func rpcClient(url string) (*rpchttp.HTTP, error) {
	c, err := rpchttp.NewWithTimeout(url, "/websocket", 3)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", url, err)
	}
	return c, nil
}

// QueryStatus asks the node at url for its status. A node that does not
// answer yields Up false and the error, not a Go error.
func QueryStatus(ctx context.Context, name, url string) NodeStatus {
	st := NodeStatus{Name: name, RPCURL: url}
	fail := func(err error) NodeStatus { st.Error = err.Error(); return st }
	c, err := rpcClient(url)
	if err != nil {
		return fail(err)
	}
	s, err := c.Status(ctx)
	if err != nil {
		return fail(err)
	}
	st.Up = true
	st.Height = s.SyncInfo.LatestBlockHeight
	st.AppHash = s.SyncInfo.LatestAppHash.String()
	st.BlockTime = s.SyncInfo.LatestBlockTime
	st.CatchingUp = s.SyncInfo.CatchingUp
	st.EarliestHeight = s.SyncInfo.EarliestBlockHeight
	st.VotingPower = s.ValidatorInfo.VotingPower
	if ni, err := c.NetInfo(ctx); err == nil {
		st.Peers = ni.NPeers
	} else {
		st.Error = "net_info: " + err.Error()
	}
	if info, err := c.ABCIInfo(ctx); err == nil {
		st.AppHeight = info.Response.LastBlockHeight
		st.AppLastHash = strings.ToUpper(fmt.Sprintf("%X", info.Response.LastBlockAppHash))
		st.StateSyncedFrom = app.ParseInfoData(info.Response.Data).StateSyncedFrom
	} else {
		st.Error = "abci_info: " + err.Error()
	}
	if q, err := c.ABCIQuery(ctx, tlv1.PathStatus, nil); err == nil && q.Response.Code == 0 {
		var r tlv1.StatusResponse
		if err := r.Unmarshal(q.Response.Value); err == nil {
			st.MapSize = r.MapSize
			if r.Roots != nil {
				st.LogSize = r.Roots.LogSize
			}
		}
	}
	return st
}

// Status queries every node of the network.
func (n *Network) Status(ctx context.Context) []NodeStatus {
	out := make([]NodeStatus, len(n.Nodes))
	done := make(chan struct{}, len(n.Nodes))
	for i, x := range n.Nodes {
		go func() {
			out[i] = QueryStatus(ctx, x.Name, x.RPCURL)
			done <- struct{}{}
		}()
	}
	for range n.Nodes {
		<-done
	}
	return out
}

// latestHeight returns the latest block height of the node at url.
func latestHeight(ctx context.Context, url string) (int64, error) {
	c, err := rpcClient(url)
	if err != nil {
		return 0, err
	}
	s, err := c.Status(ctx)
	if err != nil {
		return 0, fmt.Errorf("status of %s: %w", url, err)
	}
	return s.SyncInfo.LatestBlockHeight, nil
}

// WaitHeight waits until every node in nodes has a block at height h or
// higher, polling every 100 ms, and returns the lowest height seen then.
// It gives up when ctx is done, naming the nodes that lag.
func WaitHeight(ctx context.Context, nodes []NodeInfo, h int64) (int64, error) {
	for {
		lowest := int64(-1)
		var lagging []string
		for _, n := range nodes {
			got, err := latestHeight(ctx, n.RPCURL)
			if err != nil || got < h {
				lagging = append(lagging, fmt.Sprintf("%s at %d (%v)", n.Name, got, err))
				continue
			}
			if lowest < 0 || got < lowest {
				lowest = got
			}
		}
		if len(lagging) == 0 {
			return lowest, nil
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("waiting for height %d: %w; lagging: %s", h, ctx.Err(), strings.Join(lagging, ", "))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Agreement checks that every node in nodes has block h+1 and that they all
// hold the same block at h and h+1: one block hash (no fork) and one app
// hash (the application state after height h is the same everywhere). It
// returns that app hash.
func Agreement(ctx context.Context, nodes []NodeInfo, h int64) ([]byte, error) {
	if len(nodes) == 0 {
		return nil, errors.New("testnet: no nodes to compare")
	}
	var (
		ref      []byte
		refBlock []byte
		refName  string
	)
	next := h + 1
	for _, n := range nodes {
		c, err := rpcClient(n.RPCURL)
		if err != nil {
			return nil, err
		}
		hdr, err := c.Header(ctx, &next)
		if err != nil {
			return nil, fmt.Errorf("testnet: header %d of %s: %w", next, n.Name, err)
		}
		if hdr.Header == nil {
			return nil, fmt.Errorf("testnet: %s has no header at %d", n.Name, next)
		}
		blockHash := hdr.Header.Hash()
		if ref == nil {
			ref, refBlock, refName = hdr.Header.AppHash, blockHash, n.Name
			continue
		}
		if !bytes.Equal(blockHash, refBlock) {
			return nil, fmt.Errorf("testnet: FORK: block %d is %X on %s but %X on %s", next, refBlock, refName, blockHash, n.Name)
		}
		if !bytes.Equal(hdr.Header.AppHash, ref) {
			return nil, fmt.Errorf("testnet: app hash after height %d is %X on %s but %X on %s", h, ref, refName, hdr.Header.AppHash, n.Name)
		}
	}
	return ref, nil
}

// AppAgreement checks that the application of each node, at whatever
// height it last committed, has the app hash that the network's header at
// that height+1 carries (fetched from ref). It catches an application that
// restarted into a different state than its peers even when CometBFT has
// not noticed yet.
func AppAgreement(ctx context.Context, nodes []NodeInfo, ref NodeInfo) error {
	rc, err := rpcClient(ref.RPCURL)
	if err != nil {
		return err
	}
	for _, n := range nodes {
		c, err := rpcClient(n.RPCURL)
		if err != nil {
			return err
		}
		info, err := c.ABCIInfo(ctx)
		if err != nil {
			return fmt.Errorf("testnet: abci_info of %s: %w", n.Name, err)
		}
		h := info.Response.LastBlockHeight + 1
		var hdr []byte
		for {
			r, err := rc.Header(ctx, &h)
			if err == nil && r.Header != nil {
				hdr = r.Header.AppHash
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("testnet: header %d from %s: %w", h, ref.Name, ctx.Err())
			case <-time.After(100 * time.Millisecond):
			}
		}
		if !bytes.Equal(hdr, info.Response.LastBlockAppHash) {
			return fmt.Errorf("testnet: %s's application is at height %d with app hash %X, but header %d says %X",
				n.Name, h-1, info.Response.LastBlockAppHash, h, hdr)
		}
	}
	return nil
}
