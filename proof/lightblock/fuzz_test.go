// SPDX-License-Identifier: Apache-2.0

package lightblock_test

import (
	"bytes"
	"testing"

	"github.com/cometbft/cometbft/types"

	"github.com/traceledger/traceledger/proof/lightblock"
)

// FuzzVerifyChain feeds a genesis document and newline-separated JSON
// light blocks to the decoder and the verifier. It must not panic, and a
// chain it accepts must be one CometBFT's light client accepts too (no
// false trust). The seed corpus (testdata/fuzz/FuzzVerifyChain) holds
// honest chains; TestWriteSeedCorpus rewrites it.
func FuzzVerifyChain(f *testing.F) {
	f.Fuzz(func(t *testing.T, genesis, chain []byte) {
		root, err := lightblock.GenesisTrustRoot(genesis)
		if err != nil {
			return
		}
		var raws [][]byte
		var blocks []*lightblock.LightBlock
		for _, raw := range bytes.Split(chain, []byte("\n")) {
			lb, err := lightblock.Decode(raw)
			if err != nil {
				return
			}
			raws = append(raws, raw)
			blocks = append(blocks, lb)
		}
		if _, err := lightblock.VerifyChain(root, blocks, lightblock.Options{}); err != nil {
			return
		}
		doc, err := types.GenesisDocFromJSON(genesis)
		if err != nil {
			// CometBFT checks every field of a genesis document; the
			// trust root needs only the chain id, initial height and
			// validators, and the page carries a document the server
			// validated.
			return
		}
		if cerr, _ := both(t, genesis, doc, raws); cerr != nil {
			t.Fatalf("lightblock verified a chain CometBFT refuses: %v", cerr)
		}
	})
}
