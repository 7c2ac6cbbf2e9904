package app

import (
	abci "github.com/cometbft/cometbft/abci/types"
)

// governanceHandlers are the membership and governance messages (issue 3).
func governanceHandlers() []msgHandler { return nil }

// governanceEndBlock executes passed proposals and expires old ones at the
// end of a block, returning validator updates for CometBFT.
func governanceEndBlock(c *blockCtx) ([]abci.ValidatorUpdate, []abci.Event, error) {
	return nil, nil, nil
}

// governanceQueries are the governance query paths.
func governanceQueries() map[string]queryHandler { return nil }
