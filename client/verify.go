// SPDX-License-Identifier: Apache-2.0

package client

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	"github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/light"
	"github.com/cometbft/cometbft/light/provider"
	lighthttp "github.com/cometbft/cometbft/light/provider/http"
	lightdb "github.com/cometbft/cometbft/light/store/db"
	"github.com/cometbft/cometbft/types"

	"github.com/traceledger/traceledger/proof"
	prooflight "github.com/traceledger/traceledger/proof/light"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// TrustingPeriod is how long a verified header stays a valid trust anchor
// for the light client. Departments are permissioned and do not unbond, so
// it is long; an auditor who wants a shorter window passes its own.
const TrustingPeriod = prooflight.DefaultTrustingPeriod

// ErrNotVerified wraps every failure to verify an answer: the answer must not
// be trusted.
var ErrNotVerified = errors.New("answer not verified")

// HeaderVerifier checks that state roots are committed by the network: it
// recomputes the app hash and compares it with header H+1, which CometBFT's
// light client verifies from a trust root (the genesis validator set, or a
// trusted height and hash). It is safe for concurrent use: verification
// by the light client runs one call at a time (CometBFT does not document
// its light client as safe for concurrent verification).
type HeaderVerifier struct {
	mu      sync.Mutex // serialises lc's verification
	lc      *light.Client
	chainID string
	// awaited is the highest height the witnesses were all seen to have
	// (see awaitWitnesses).
	awaited int64
	// watched are every provider given to the light client (primary and
	// witnesses; the light client may swap them), onConflict is told of
	// witness conflicts.
	watched    []*watchedProvider
	onConflict func(WitnessConflict)
}

// witnessCatchUp bounds how long a verification of a new height waits for
// the witnesses to have that block. The block H+1 that commits an answer
// at H is the newest one: a witness is often a few milliseconds behind the
// primary, and CometBFT's light client, finding a witness without the
// block, sleeps 2 * max clock drift + max block lag (30 s by default)
// before it compares. Waiting here for the block to reach every witness
// takes milliseconds; a witness still without it after witnessCatchUp is
// left to the light client's own rule.
const witnessCatchUp = 3 * time.Second

// NewHeaderVerifier roots trust in the genesis document: it fetches the
// light block at the first height from primary, checks that its validator
// set is the genesis validator set and that more than 2/3 of it signed, and
// starts CometBFT's light client from that header. witnesses are other
// nodes the light client cross-checks (the primary is reused when there is
// no other).
func NewHeaderVerifier(ctx context.Context, doc *types.GenesisDoc, primaryURL string, witnessURLs []string) (*HeaderVerifier, error) {
	root, err := prooflight.GenesisTrustRoot(doc)
	if err != nil {
		return nil, notVerified(err)
	}
	return NewHeaderVerifierFromRoot(ctx, root, primaryURL, witnessURLs)
}

// NewHeaderVerifierFromRoot starts CometBFT's light client from root: the
// genesis validator set, or a trusted height and header hash.
func NewHeaderVerifierFromRoot(ctx context.Context, root prooflight.TrustRoot, primaryURL string, witnessURLs []string) (*HeaderVerifier, error) {
	p, err := lighthttp.New(root.ChainID, primaryURL)
	if err != nil {
		return nil, fmt.Errorf("light client provider %s: %w", primaryURL, err)
	}
	primary := watch(p)
	watched := []*watchedProvider{primary}
	var witnesses []provider.Provider
	for _, u := range witnessURLs {
		w, err := lighthttp.New(root.ChainID, u)
		if err != nil {
			return nil, fmt.Errorf("light client witness %s: %w", u, err)
		}
		ww := watch(w)
		watched = append(watched, ww)
		witnesses = append(witnesses, ww)
	}
	if len(witnesses) == 0 {
		w, _ := lighthttp.New(root.ChainID, primaryURL)
		ww := watch(w)
		watched = append(watched, ww)
		witnesses = append(witnesses, ww)
	}
	lb, err := LightBlockWhenReady(ctx, primary, root.StartHeight())
	if err != nil {
		return nil, err
	}
	if err := root.CheckAnchor(lb); err != nil {
		return nil, notVerified(err)
	}
	lc, err := light.NewClient(ctx, root.ChainID,
		light.TrustOptions{Period: TrustingPeriod, Height: lb.Height, Hash: lb.Hash()},
		primary, witnesses, lightdb.New(dbm.NewMemDB(), "light"),
		light.Logger(log.NewNopLogger()), light.MaxRetryAttempts(5))
	if err != nil {
		return nil, fmt.Errorf("start light client: %w", err)
	}
	return &HeaderVerifier{lc: lc, chainID: root.ChainID, watched: watched}, nil
}

// CheckGenesisLightBlock checks that lb, the first block of the chain, was
// signed by more than 2/3 of the genesis validator set.
func CheckGenesisLightBlock(doc *types.GenesisDoc, lb *types.LightBlock) error {
	root, err := prooflight.GenesisTrustRoot(doc)
	if err != nil {
		return notVerified(err)
	}
	return notVerified(root.CheckAnchor(lb))
}

// LightBlockWhenReady fetches the light block at height from p, waiting
// while the chain has not reached it.
func LightBlockWhenReady(ctx context.Context, p provider.Provider, height int64) (*types.LightBlock, error) {
	for {
		lb, err := p.LightBlock(ctx, height)
		if err == nil {
			return lb, nil
		}
		if !errors.Is(err, provider.ErrHeightTooHigh) && !errors.Is(err, provider.ErrLightBlockNotFound) {
			return nil, fmt.Errorf("fetch light block %d: %w", height, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for block %d: %w", height, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// VerifyHeader returns the light block at height, verified by the light
// client, waiting for it if it is not yet committed.
func (v *HeaderVerifier) VerifyHeader(ctx context.Context, height int64) (*types.LightBlock, error) {
	for {
		v.mu.Lock()
		for _, w := range v.watched {
			w.reset()
		}
		v.awaitWitnesses(ctx, height)
		lb, err := v.lc.VerifyLightBlockAtHeight(ctx, height, time.Now())
		if v.onConflict != nil {
			for _, c := range v.conflicts(height, lb, err) {
				v.onConflict(c)
			}
		}
		v.mu.Unlock()
		if err == nil {
			return lb, nil
		}
		if !errors.Is(err, provider.ErrHeightTooHigh) && !errors.Is(err, provider.ErrLightBlockNotFound) {
			return nil, fmt.Errorf("%w: header %d: %w", ErrNotVerified, height, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for header %d: %w", height, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// awaitWitnesses waits, for up to witnessCatchUp, until every witness has
// the block at height, once per new height (the caller holds v.mu). It
// decides nothing: the light client then fetches and cross-checks the
// block as always.
func (v *HeaderVerifier) awaitWitnesses(ctx context.Context, height int64) {
	if height <= v.awaited {
		return
	}
	wctx, cancel := context.WithTimeout(ctx, witnessCatchUp)
	defer cancel()
	all := true
	// The light client's current witnesses: not one it dropped.
	for _, w := range slices.Clone(v.lc.Witnesses()) {
		if _, err := LightBlockWhenReady(wctx, w, height); err != nil {
			all = false
		}
	}
	if all {
		v.awaited = height
	}
}

// VerifyRoots checks roots against header roots.height+1, waiting for that
// block if it is not yet committed. It returns the verified header.
func (v *HeaderVerifier) VerifyRoots(ctx context.Context, roots *tlv1.StateRoots) (*types.SignedHeader, error) {
	if roots == nil {
		return nil, fmt.Errorf("%w: answer has no state roots", ErrNotVerified)
	}
	if _, err := proof.AppHashOf(roots); err != nil {
		return nil, notVerified(err)
	}
	lb, err := v.VerifyHeader(ctx, roots.Height+1)
	if err != nil {
		return nil, err
	}
	if err := prooflight.VerifyRootsInHeader(roots, lb.SignedHeader); err != nil {
		return nil, notVerified(err)
	}
	return lb.SignedHeader, nil
}
