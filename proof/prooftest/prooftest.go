// SPDX-License-Identifier: Apache-2.0

// Package prooftest builds CometBFT light blocks without a network: headers
// signed by chosen validator keys, chains of them across validator-set
// changes, and forged or conflicting headers. Tests of verifiers, bundles
// and the auditor use it; nothing in a running node does.
package prooftest

import (
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/cometbft/cometbft/crypto"
	"github.com/cometbft/cometbft/crypto/ed25519"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmtversion "github.com/cometbft/cometbft/proto/tendermint/version"
	"github.com/cometbft/cometbft/types"
	"github.com/cometbft/cometbft/version"
)

// Validator is a validator key with its voting power.
type Validator struct {
	Key   crypto.PrivKey
	Power int64
}

// NewValidators returns n validators of power each whose keys derive from
// seed, so tests are repeatable; different seeds give disjoint key sets.
func NewValidators(seed string, n int, power int64) []Validator {
	out := make([]Validator, n)
	for i := range out {
		s := sha256.Sum256([]byte(fmt.Sprintf("prooftest/%s/%d", seed, i)))
		out[i] = Validator{Key: ed25519.GenPrivKeyFromSecret(s[:]), Power: power}
	}
	return out
}

// Set returns the CometBFT validator set of vs.
func Set(vs []Validator) *types.ValidatorSet {
	vals := make([]*types.Validator, len(vs))
	for i, v := range vs {
		vals[i] = types.NewValidator(v.Key.PubKey(), v.Power)
	}
	return types.NewValidatorSet(vals)
}

// Sign builds the commit of header h at round 0, with a precommit from each
// validator of set whose key is among signers (others absent).
func Sign(chainID string, h *types.Header, set *types.ValidatorSet, signers []Validator) *types.Commit {
	blockID := types.BlockID{Hash: h.Hash(), PartSetHeader: types.PartSetHeader{Total: 1, Hash: sum("parts", h.Hash())}}
	byAddr := map[string]crypto.PrivKey{}
	for _, s := range signers {
		byAddr[string(s.Key.PubKey().Address())] = s.Key
	}
	sigs := make([]types.CommitSig, set.Size())
	for i, v := range set.Validators {
		key, ok := byAddr[string(v.Address)]
		if !ok {
			sigs[i] = types.NewCommitSigAbsent()
			continue
		}
		ts := h.Time.Add(time.Duration(i+1) * time.Millisecond)
		vote := &types.Vote{Type: cmtproto.PrecommitType, Height: h.Height, Round: 0, BlockID: blockID,
			Timestamp: ts, ValidatorAddress: v.Address, ValidatorIndex: int32(i)}
		sig, err := key.Sign(types.VoteSignBytes(chainID, vote.ToProto()))
		if err != nil {
			panic(err) // ed25519 signing does not fail
		}
		sigs[i] = types.CommitSig{BlockIDFlag: types.BlockIDFlagCommit, ValidatorAddress: v.Address, Timestamp: ts, Signature: sig}
	}
	return &types.Commit{Height: h.Height, Round: 0, BlockID: blockID, Signatures: sigs}
}

func sum(parts ...any) []byte {
	h := sha256.Sum256([]byte(fmt.Sprint(parts...)))
	return h[:]
}

// Header returns a well-formed header at height whose validators are vals
// and next validators next, committing to appHash and chained to last.
func Header(chainID string, height int64, t time.Time, last types.BlockID, vals, next *types.ValidatorSet, appHash []byte) *types.Header {
	return &types.Header{
		Version:            cmtversion.Consensus{Block: version.BlockProtocol, App: 1},
		ChainID:            chainID,
		Height:             height,
		Time:               t,
		LastBlockID:        last,
		LastCommitHash:     sum("last commit", height),
		DataHash:           sum("data", height),
		ValidatorsHash:     vals.Hash(),
		NextValidatorsHash: next.Hash(),
		ConsensusHash:      sum("consensus params"),
		AppHash:            appHash,
		LastResultsHash:    sum("results", height),
		EvidenceHash:       sum("evidence", height),
		ProposerAddress:    vals.Validators[0].Address,
	}
}

// Chain is a sequence of light blocks built one height at a time.
type Chain struct {
	// ChainID names the chain; Start is the time of height 1 (each height
	// is one second later).
	ChainID string
	Start   time.Time
	// Blocks are the light blocks so far, Blocks[i] at height i+1.
	Blocks []*types.LightBlock
}

// NewChain starts an empty chain.
func NewChain(chainID string, start time.Time) *Chain {
	return &Chain{ChainID: chainID, Start: start}
}

// Append adds the next height: validators vals, next validators next (nil:
// the same), app hash appHash, signed by signers (nil: all of vals).
func (c *Chain) Append(vals, next []Validator, appHash []byte, signers []Validator) *types.LightBlock {
	if next == nil {
		next = vals
	}
	if signers == nil {
		signers = vals
	}
	height := int64(len(c.Blocks) + 1)
	var last types.BlockID
	if height > 1 {
		last = c.Blocks[height-2].Commit.BlockID
	}
	set := Set(vals)
	h := Header(c.ChainID, height, c.Start.Add(time.Duration(height)*time.Second), last, set, Set(next), appHash)
	lb := &types.LightBlock{SignedHeader: &types.SignedHeader{Header: h, Commit: Sign(c.ChainID, h, set, signers)}, ValidatorSet: set}
	c.Blocks = append(c.Blocks, lb)
	return lb
}

// At returns the light block at height.
func (c *Chain) At(height int64) *types.LightBlock { return c.Blocks[height-1] }

// Forge returns a different light block for an existing height: the same
// header but for appHash, with validator set vals (which need not be the
// chain's) signed by signers.
func (c *Chain) Forge(height int64, vals []Validator, appHash []byte, signers []Validator) *types.LightBlock {
	orig := c.At(height)
	set := Set(vals)
	h := *orig.Header
	h.AppHash = appHash
	h.ValidatorsHash = set.Hash()
	h.ProposerAddress = set.Validators[0].Address
	return &types.LightBlock{SignedHeader: &types.SignedHeader{Header: &h, Commit: Sign(c.ChainID, &h, set, signers)}, ValidatorSet: set}
}
