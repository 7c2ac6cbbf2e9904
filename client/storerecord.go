// SPDX-License-Identifier: Apache-2.0

package client

import (
	"bytes"
	"context"
	"fmt"

	rpcclient "github.com/cometbft/cometbft/rpc/client"

	"github.com/traceledger/traceledger/proof"
	"github.com/traceledger/traceledger/proof/proofops"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// StoreRecord reads the record at log index in the standard format
// (abci_query tlv1.PathStoreRecords with data proof.RecordsKey(index),
// answered with CometBFT ProofOps; docs/PROOFS.md) through via, and
// returns the record bytes once its ProofOps verify against the app hash of
// header H+1, which this client's light client verifies. via is any
// CometBFT RPC client: CometBFT's light-client proxy (`cometbft light`) or
// a node; nil means the client's node.
//
// CometBFT's light-client proxy verifies an answer's proof for the key in
// the answer, not for the key it was asked for: a primary that answers
// another record, with that record's valid proof, passes the proxy.
// StoreRecord therefore refuses an answer whose key is not the one asked
// for, and verifies the proof itself for the index asked for.
func (c *Client) StoreRecord(ctx context.Context, via rpcclient.ABCIClient, index uint64) ([]byte, Proven, error) {
	if via == nil {
		via = c.rpc
	}
	key := proof.RecordsKey(index)
	res, err := via.ABCIQueryWithOptions(ctx, tlv1.PathStoreRecords, key, rpcclient.ABCIQueryOptions{Prove: true})
	if err != nil {
		return nil, Proven{}, fmt.Errorf("query %s: %w", tlv1.PathStoreRecords, err)
	}
	r := res.Response
	if r.Code != 0 {
		return nil, Proven{}, &QueryError{Code: r.Code, Log: r.Log}
	}
	if !bytes.Equal(r.Key, key) {
		return nil, Proven{}, fmt.Errorf("%w: answer is for key %X, asked for key %X (record %d)", ErrNotVerified, r.Key, key, index)
	}
	if r.Height <= 0 {
		return nil, Proven{}, fmt.Errorf("%w: record %d answered at height %d", ErrNotVerified, index, r.Height)
	}
	v, err := c.headerVerifier(ctx)
	if err != nil {
		return nil, Proven{}, err
	}
	lb, err := v.VerifyHeader(ctx, r.Height+1)
	if err != nil {
		return nil, Proven{}, err
	}
	if err := proofops.VerifyRecord(r.ProofOps, lb.AppHash, index, r.Value); err != nil {
		return nil, Proven{}, notVerified(fmt.Errorf("record %d: %w", index, err))
	}
	return r.Value, Proven{Height: r.Height, Header: lb.SignedHeader}, nil
}
