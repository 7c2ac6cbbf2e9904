// SPDX-License-Identifier: Apache-2.0

package app

import (
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/traceledger/traceledger/genesis"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// blockCtx is what end-of-block processing sees: the block's overlay after
// all its transactions, the height and the block time.
type blockCtx struct {
	o      *overlay
	height int64
	timeMs int64
	params genesis.Params
}

// endBlock runs the deterministic end-of-block work of every domain, in a
// fixed order, and collects validator updates and block events.
func endBlock(c *blockCtx) ([]abci.ValidatorUpdate, []abci.Event, error) {
	vals, events, err := governanceEndBlock(c)
	if err != nil {
		return nil, nil, fmt.Errorf("governance: %w", err)
	}
	return vals, events, nil
}

// paramsIn returns the parameters written in o during this block, if any.
func paramsIn(o *overlay) (genesis.Params, bool, error) {
	bz, ok := o.writes[tlv1.KeyParams]
	if !ok || bz == nil {
		return genesis.Params{}, false, nil
	}
	p, err := decodeParams(bz)
	if err != nil {
		return p, false, err
	}
	return p, true, nil
}
