// SPDX-License-Identifier: Apache-2.0

package app

import (
	"fmt"

	"github.com/traceledger/traceledger/genesis"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// The chain parameters live in the map at tlv1.KeyParams as a
// tlv1.ChainParams, like every other value (protobuf, stable marshaler).
// These two functions are the only code that converts between that and
// genesis.Params, the form the genesis file and the block code use.

// encodeParams is the map value of p.
func encodeParams(p genesis.Params) ([]byte, error) {
	bz, err := (&tlv1.ChainParams{
		QuorumNumerator: p.QuorumNumerator, QuorumDenominator: p.QuorumDenominator,
		MaxTxBytes: p.MaxTxBytes, MaxMsgsPerTx: p.MaxMsgsPerTx, MaxEventFutureSkewSeconds: p.MaxEventFutureSkewSeconds,
	}).Marshal()
	if err != nil {
		return nil, fmt.Errorf("encode params: %w", err)
	}
	return bz, nil
}

// decodeParams reads a map value written by encodeParams.
func decodeParams(bz []byte) (genesis.Params, error) {
	var c tlv1.ChainParams
	if err := c.Unmarshal(bz); err != nil {
		return genesis.Params{}, fmt.Errorf("decode params: %w", err)
	}
	return genesis.Params{
		QuorumNumerator: c.QuorumNumerator, QuorumDenominator: c.QuorumDenominator,
		MaxTxBytes: c.MaxTxBytes, MaxMsgsPerTx: c.MaxMsgsPerTx, MaxEventFutureSkewSeconds: c.MaxEventFutureSkewSeconds,
	}, nil
}
