// SPDX-License-Identifier: Apache-2.0

// Package light establishes header trust offline: a chain of CometBFT
// light blocks (signed header + validator set), checked from a trust root
// (the genesis validator set, or a header named by height and hash) with
// CometBFT's own light-client verification functions, across
// validator-set changes; and the check that a verified header commits to
// a state's roots (VerifyRootsInHeader). It is the CometBFT half of
// verification; the hashes and proofs themselves are package proof's.
package light

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"time"

	cmtlight "github.com/cometbft/cometbft/light"
	"github.com/cometbft/cometbft/types"

	"github.com/traceledger/traceledger/proof"
	traceledgerv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// ErrHeaderNotTrusted reports a header that could not be verified from the
// trust root: a bad signature or commit, too little voting power, a header
// or validator set that does not match, a broken chain of headers.
var ErrHeaderNotTrusted = errors.New("header not trusted")

// DefaultTrustingPeriod is how long a verified header stays a valid anchor
// for the next one. Departments are permissioned and do not unbond, so it is
// long; an auditor who wants a shorter window passes its own.
const DefaultTrustingPeriod = 10 * 365 * 24 * time.Hour

// DefaultMaxClockDrift is how far a header's time may be ahead of "now".
const DefaultMaxClockDrift = 10 * time.Second

// TrustRoot is where header trust starts: the genesis validator set, or a
// header the verifier already trusts, named by height and hash.
type TrustRoot struct {
	// ChainID is the network's chain id.
	ChainID string
	// GenesisValidators, when set, is the genesis validator set and
	// InitialHeight the first height: the light block at InitialHeight must
	// carry exactly this set, and more than 2/3 of it must sign it.
	GenesisValidators *types.ValidatorSet
	InitialHeight     int64
	// Height and Hash name a trusted header (when GenesisValidators is nil).
	Height int64
	Hash   []byte
}

// GenesisTrustRoot roots trust in a genesis document.
func GenesisTrustRoot(doc *types.GenesisDoc) (TrustRoot, error) {
	if doc == nil {
		return TrustRoot{}, fmt.Errorf("%w: no genesis document", ErrHeaderNotTrusted)
	}
	vals := make([]*types.Validator, len(doc.Validators))
	for i, v := range doc.Validators {
		vals[i] = types.NewValidator(v.PubKey, v.Power)
	}
	set := types.NewValidatorSet(vals)
	if err := set.ValidateBasic(); err != nil {
		return TrustRoot{}, fmt.Errorf("%w: genesis validator set: %v", ErrHeaderNotTrusted, err)
	}
	first := doc.InitialHeight
	if first == 0 {
		first = 1
	}
	return TrustRoot{ChainID: doc.ChainID, GenesisValidators: set, InitialHeight: first}, nil
}

// HeightTrustRoot roots trust in the header at height whose hash is hash.
func HeightTrustRoot(chainID string, height int64, hash []byte) TrustRoot {
	return TrustRoot{ChainID: chainID, Height: height, Hash: hash}
}

// StartHeight is the height of the light block trust starts from.
func (r TrustRoot) StartHeight() int64 {
	if r.GenesisValidators != nil {
		return r.InitialHeight
	}
	return r.Height
}

// String describes the trust root for reports.
func (r TrustRoot) String() string {
	if r.GenesisValidators != nil {
		return fmt.Sprintf("genesis validator set of %s (%d validators, hash %X) at height %d",
			r.ChainID, r.GenesisValidators.Size(), r.GenesisValidators.Hash(), r.InitialHeight)
	}
	return fmt.Sprintf("trusted header %X at height %d of %s", r.Hash, r.Height, r.ChainID)
}

// CheckAnchor checks lb as the first trusted light block: for a genesis
// root, it must be at the initial height, carry the genesis validator set
// and be signed by more than 2/3 of it; for a height root, its hash must be
// the trusted hash (and its commit must still be signed by more than 2/3 of
// its validator set).
func (r TrustRoot) CheckAnchor(lb *types.LightBlock) error {
	if lb == nil {
		return fmt.Errorf("%w: no light block at the trust root", ErrHeaderNotTrusted)
	}
	if err := lb.ValidateBasic(r.ChainID); err != nil {
		return fmt.Errorf("%w: light block %d: %v", ErrHeaderNotTrusted, lb.Height, err)
	}
	if lb.Height != r.StartHeight() {
		return fmt.Errorf("%w: trust starts at height %d, the light block is at %d", ErrHeaderNotTrusted, r.StartHeight(), lb.Height)
	}
	if r.GenesisValidators != nil {
		if !bytes.Equal(lb.ValidatorsHash, r.GenesisValidators.Hash()) {
			return fmt.Errorf("%w: first block's validators hash %X is not the genesis validator set's %X",
				ErrHeaderNotTrusted, lb.ValidatorsHash, r.GenesisValidators.Hash())
		}
		if err := r.GenesisValidators.VerifyCommitLight(r.ChainID, lb.Commit.BlockID, lb.Height, lb.Commit); err != nil {
			return fmt.Errorf("%w: first block's commit: %v", ErrHeaderNotTrusted, err)
		}
		return checkAllSignatures(r.ChainID, lb)
	}
	if !bytes.Equal(lb.Hash(), r.Hash) {
		return fmt.Errorf("%w: header %d has hash %X, the trusted hash is %X", ErrHeaderNotTrusted, lb.Height, lb.Hash(), r.Hash)
	}
	if err := lb.ValidatorSet.VerifyCommitLight(r.ChainID, lb.Commit.BlockID, lb.Height, lb.Commit); err != nil {
		return fmt.Errorf("%w: trusted header %d's commit: %v", ErrHeaderNotTrusted, lb.Height, err)
	}
	return checkAllSignatures(r.ChainID, lb)
}

// HeaderOptions tune offline header verification.
type HeaderOptions struct {
	// TrustingPeriod defaults to DefaultTrustingPeriod.
	TrustingPeriod time.Duration
	// Now is the time headers are checked at. Zero means the time of the
	// newest header given: headers are then checked against each other
	// (order, expiry of trust between them) but not against the wall clock,
	// so a bundle stays verifiable long after it was made.
	Now time.Time
	// MaxClockDrift defaults to DefaultMaxClockDrift.
	MaxClockDrift time.Duration
}

func (o HeaderOptions) withDefaults(blocks []*types.LightBlock) HeaderOptions {
	if o.TrustingPeriod <= 0 {
		o.TrustingPeriod = DefaultTrustingPeriod
	}
	if o.MaxClockDrift <= 0 {
		o.MaxClockDrift = DefaultMaxClockDrift
	}
	if o.Now.IsZero() {
		for _, b := range blocks {
			if b != nil && b.SignedHeader != nil && b.Header != nil && b.Time.After(o.Now) {
				o.Now = b.Time
			}
		}
	}
	return o
}

// VerifyStep checks untrusted against the trusted light block with
// CometBFT's light-client rules: adjacent headers must chain validator sets
// (NextValidatorsHash) and carry signatures of more than 2/3 of the new set;
// a non-adjacent header must also be signed by at least 1/3 of the trusted
// set (cmtlight.DefaultTrustLevel).
func VerifyStep(chainID string, trusted, untrusted *types.LightBlock, opts HeaderOptions) error {
	if untrusted == nil {
		return fmt.Errorf("%w: nil light block", ErrHeaderNotTrusted)
	}
	if err := untrusted.ValidateBasic(chainID); err != nil {
		return fmt.Errorf("%w: light block %d: %v", ErrHeaderNotTrusted, untrusted.Height, err)
	}
	opts = opts.withDefaults([]*types.LightBlock{trusted, untrusted})
	err := cmtlight.Verify(trusted.SignedHeader, trusted.ValidatorSet, untrusted.SignedHeader, untrusted.ValidatorSet,
		opts.TrustingPeriod, opts.Now, opts.MaxClockDrift, cmtlight.DefaultTrustLevel)
	if err != nil {
		return fmt.Errorf("%w: header %d from trusted header %d: %w", ErrHeaderNotTrusted, untrusted.Height, trusted.Height, err)
	}
	return checkAllSignatures(chainID, untrusted)
}

// checkAllSignatures checks every signature a commit carries, not only
// enough of them for 2/3 of the power as the light client does: a proof
// document with a bad signature in it is rejected rather than trusted on
// the strength of the others.
func checkAllSignatures(chainID string, lb *types.LightBlock) error {
	if err := lb.ValidatorSet.VerifyCommitLightAllSignatures(chainID, lb.Commit.BlockID, lb.Height, lb.Commit); err != nil {
		return fmt.Errorf("%w: header %d's commit: %v", ErrHeaderNotTrusted, lb.Height, err)
	}
	return nil
}

// VerifyHeaderChain checks blocks, in ascending height order, from the
// trust root: the block at the root's start height is the anchor
// (TrustRoot.CheckAnchor), blocks below it are ignored, and each later
// block must verify from the one before it (VerifyStep). It returns the
// verified blocks from the anchor on.
func VerifyHeaderChain(root TrustRoot, blocks []*types.LightBlock, opts HeaderOptions) ([]*types.LightBlock, error) {
	opts = opts.withDefaults(blocks)
	for i, b := range blocks {
		if b == nil || b.SignedHeader == nil || b.Header == nil {
			return nil, fmt.Errorf("%w: light block %d is empty", ErrHeaderNotTrusted, i)
		}
		if i > 0 && b.Height <= blocks[i-1].Height {
			return nil, fmt.Errorf("%w: light blocks are not in ascending height order at %d (height %d after %d)",
				ErrHeaderNotTrusted, i, b.Height, blocks[i-1].Height)
		}
	}
	start := slices.IndexFunc(blocks, func(b *types.LightBlock) bool { return b.Height == root.StartHeight() })
	if start < 0 {
		return nil, fmt.Errorf("%w: no light block at the trust root's height %d", ErrHeaderNotTrusted, root.StartHeight())
	}
	if err := root.CheckAnchor(blocks[start]); err != nil {
		return nil, err
	}
	out := []*types.LightBlock{blocks[start]}
	for _, b := range blocks[start+1:] {
		if err := VerifyStep(root.ChainID, out[len(out)-1], b, opts); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// VerifyRootsInHeader checks that header h commits to the state roots: h is
// the header of height roots.height+1 and its app hash is
// proof.AppHashOf(roots) (proof.VerifyAppHash). h itself must have been
// verified (VerifyHeaderChain or a light client). Errors wrap
// proof.ErrMalformedProof, proof.ErrRootMismatch or ErrHeaderNotTrusted.
func VerifyRootsInHeader(roots *traceledgerv1.StateRoots, h *types.SignedHeader) error {
	if h == nil || h.Header == nil {
		if _, err := proof.AppHashOf(roots); err != nil {
			return err
		}
		return fmt.Errorf("%w: no header", ErrHeaderNotTrusted)
	}
	return proof.VerifyAppHash(roots, h.Height, h.AppHash)
}
