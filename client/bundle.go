// SPDX-License-Identifier: Apache-2.0

package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cometbft/cometbft/light"
	"github.com/cometbft/cometbft/light/provider"
	lighthttp "github.com/cometbft/cometbft/light/provider/http"
	"github.com/cometbft/cometbft/types"

	"github.com/traceledger/traceledger/proof"
	"github.com/traceledger/traceledger/proof/bundle"
	prooflight "github.com/traceledger/traceledger/proof/light"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// ExportOptions select what a proof bundle holds.
type ExportOptions struct {
	// Identifier is the subject whose complete history is exported.
	Identifier string
	// Height is the state height; 0 means the latest the node has. The
	// node keeps only its latest two heights.
	Height int64
	// Values are further map keys proven present or absent at the same
	// height, e.g. "recall/<lot>".
	Values []string
	// Trust is the trust root the light blocks start from; the zero value
	// means the client's genesis document.
	Trust prooflight.TrustRoot
}

// ExportBundle builds an offline proof bundle: the identifier's history and
// the further map entries at one height, checked here first, and the light
// blocks from the trust root to header H+1 (the fewest CometBFT's
// verification rules need, found by bisection across validator-set
// changes). The finished bundle is verified with bundle.Verify before
// it is returned.
func (c *Client) ExportBundle(ctx context.Context, opts ExportOptions) (*bundle.Bundle, error) {
	if err := c.checkChain(ctx); err != nil {
		return nil, err
	}
	root := opts.Trust
	if root.ChainID == "" {
		var err error
		if root, err = prooflight.GenesisTrustRoot(c.genesis); err != nil {
			return nil, notVerified(err)
		}
	}
	id, err := CanonicalSubject(opts.Identifier)
	if err != nil {
		return nil, err
	}
	opts.Identifier = id // the bundle names the key the history is filed under
	// The roots are checked against a header by the light blocks the
	// bundle carries (bundle.Verify below), not by this client's verifier.
	// A long history is read in pages and carried whole (rootedHistory).
	hist, _, h, err := c.rootedHistory(ctx, opts.Identifier, opts.Height)
	if err != nil {
		return nil, err
	}
	var values []*tlv1.ProvenValue
	for _, key := range opts.Values {
		vr, vh, err := rootedAnswer[tlv1.ValueResponse](ctx, c, tlv1.PathValue, &tlv1.ValueRequest{Key: key}, h)
		if err != nil {
			return nil, fmt.Errorf("map entry %q at height %d: %w", key, h, err)
		}
		if vh != h || !sameRoots(vr.Roots, hist.Roots) {
			return nil, fmt.Errorf("%w: map entry %q answered at other roots than the history", ErrNotVerified, key)
		}
		if err := verifyValue(vr.Roots, key, vr.Value); err != nil {
			return nil, err
		}
		values = append(values, vr.Value)
	}
	p, err := lighthttp.New(root.ChainID, c.url)
	if err != nil {
		return nil, fmt.Errorf("light block provider %s: %w", c.url, err)
	}
	blocks, err := HeaderPath(ctx, p, root, h+1)
	if err != nil {
		return nil, err
	}
	trust := bundle.Trust{Kind: "genesis", Height: root.StartHeight()}
	if root.GenesisValidators == nil {
		trust = bundle.Trust{Kind: "header", Height: root.Height, Hash: root.Hash}
	}
	b, err := bundle.New(root.ChainID, opts.Identifier, trust, hist, values, blocks, time.Now())
	if err != nil {
		return nil, err
	}
	if _, err := bundle.Verify(b, root, prooflight.HeaderOptions{Now: time.Now()}); err != nil {
		return nil, notVerified(fmt.Errorf("the exported bundle does not verify: %w", err))
	}
	if opts.Height == 0 {
		// A bundle of the latest state must be current (the freshness bound).
		if err := c.CheckFresh(Proven{Height: h, Header: blocks[len(blocks)-1].SignedHeader}); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// HeaderPath returns light blocks from root's start height to target in
// ascending order, each verifiable from the one before it by CometBFT's
// light-client rules: it tries to skip straight to the target and bisects
// where too little of the trusted validator set signed (a validator-set
// change). The anchor is checked against root.
func HeaderPath(ctx context.Context, p provider.Provider, root prooflight.TrustRoot, target int64) ([]*types.LightBlock, error) {
	if target < root.StartHeight() {
		return nil, fmt.Errorf("header %d is below the trust root's height %d: trust does not go backwards", target, root.StartHeight())
	}
	anchor, err := LightBlockWhenReady(ctx, p, root.StartHeight())
	if err != nil {
		return nil, err
	}
	if err := root.CheckAnchor(anchor); err != nil {
		return nil, notVerified(err)
	}
	path := []*types.LightBlock{anchor}
	if target == anchor.Height {
		return path, nil
	}
	top, err := LightBlockWhenReady(ctx, p, target)
	if err != nil {
		return nil, err
	}
	opts := prooflight.HeaderOptions{Now: time.Now()}
	pending := []*types.LightBlock{top}
	for len(pending) > 0 {
		cur, next := path[len(path)-1], pending[len(pending)-1]
		err := prooflight.VerifyStep(root.ChainID, cur, next, opts)
		var weak light.ErrNewValSetCantBeTrusted
		switch {
		case err == nil:
			path = append(path, next)
			pending = pending[:len(pending)-1]
		case errors.As(err, &weak) && next.Height > cur.Height+1:
			mid, err := LightBlockWhenReady(ctx, p, (cur.Height+next.Height)/2)
			if err != nil {
				return nil, err
			}
			pending = append(pending, mid)
		default:
			return nil, notVerified(err)
		}
	}
	return path, nil
}

// Consistency proves that the state old (roots verified earlier, e.g. a
// checkpoint) is a prefix of the node's current state: the current roots
// are checked against their header and the log and records-tree
// consistency proofs against both. It returns the verified current roots.
func (c *Client) Consistency(ctx context.Context, old *tlv1.StateRoots) (*tlv1.StateRoots, Proven, error) {
	if old == nil {
		return nil, Proven{}, fmt.Errorf("no earlier state roots")
	}
	roots, _, p, err := verifiedQuery(ctx, c, tlv1.PathConsistency, &tlv1.ConsistencyRequest{Size1: old.LogSize}, func(resp *tlv1.ConsistencyResponse) (*tlv1.StateRoots, error) {
		if err := proof.VerifyRootsConsistency(old, resp.Roots, resp.Log, resp.Records); err != nil {
			return nil, notVerified(err)
		}
		return resp.Roots, nil
	})
	return roots, p, err
}

// sameRoots reports whether a and b are the same state roots.
func sameRoots(a, b *tlv1.StateRoots) bool {
	if a == nil || b == nil {
		return false
	}
	x, errA := a.Marshal()
	y, errB := b.Marshal()
	return errA == nil && errB == nil && string(x) == string(y)
}
