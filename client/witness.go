// SPDX-License-Identifier: Apache-2.0

package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"

	"github.com/cometbft/cometbft/light"
	"github.com/cometbft/cometbft/light/provider"
	"github.com/cometbft/cometbft/types"
)

// WitnessConflict is a witness that served, for a height the light client
// verified (or refused) the primary's header at, a light block that is not
// that header: a different header (a conflicting, well-formed block) or a
// malformed one. CometBFT's light client drops such a witness (its
// detector: an invalid or unverifiable conflicting header removes the
// witness) and keeps trusting the primary's header when another witness
// confirmed it; when the conflicting header verifies, it refuses the
// primary's (light.ErrLightClientAttack), and Attack is set.
type WitnessConflict struct {
	// Witness names the witness (its provider: the node's URL).
	Witness string
	Height  int64
	// PrimaryHash is the hash of the primary's header at Height,
	// WitnessHash the witness's (nil when its block was malformed; Err
	// then says how).
	PrimaryHash []byte
	WitnessHash []byte
	Err         error
	// Attack is set when the light client refused the primary's header
	// over the conflict: the answer resting on it is not served.
	Attack bool
}

// seenBlock is what a watched provider answered for one height.
type seenBlock struct {
	hash []byte
	err  error
}

// watchedProvider is a light-client provider that remembers, per height,
// what it answered (so a witness's conflicting header can be reported),
// and reports failures to reach its node the way the light client treats
// as benign: provider.ErrNoResponse, or the context's own error. CometBFT
// compares provider errors by identity and drops a provider on any other
// error, so without this a dropped connection or a request's deadline
// would remove an honest node from the light client for good.
type watchedProvider struct {
	provider.Provider
	mu   sync.Mutex
	seen map[int64]seenBlock
}

func watch(p provider.Provider) *watchedProvider {
	return &watchedProvider{Provider: p, seen: map[int64]seenBlock{}}
}

// LightBlock implements provider.Provider.
func (p *watchedProvider) LightBlock(ctx context.Context, height int64) (*types.LightBlock, error) {
	lb, err := p.Provider.LightBlock(ctx, height)
	switch {
	case err == nil && lb != nil:
		p.note(lb.Height, seenBlock{hash: lb.Hash()})
	case errors.As(err, new(provider.ErrBadLightBlock)) && height > 0:
		p.note(height, seenBlock{err: err})
	case err != nil && ctx.Err() != nil:
		return nil, ctx.Err()
	case unreachableErr(err):
		return nil, provider.ErrNoResponse
	}
	return lb, err
}

func (p *watchedProvider) note(h int64, b seenBlock) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen[h] = b
}

// reset forgets what was seen.
func (p *watchedProvider) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.seen)
}

// seenAt is what the provider answered for height since the last reset.
func (p *watchedProvider) seenAt(height int64) (seenBlock, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b, ok := p.seen[height]
	return b, ok
}

// unreachableErr reports whether err is a failure to reach a node or hear
// from it (not an answer it gave).
func unreachableErr(err error) bool {
	var ue *url.Error
	var oe *net.OpError
	var de *net.DNSError
	return (errors.As(err, &ue) && ue.Op != "parse") || errors.As(err, &oe) || errors.As(err, &de)
}

// conflicts lists the witnesses consulted for height whose answer is not
// primary, the primary's light block at height (the caller holds v.mu).
func (v *HeaderVerifier) conflicts(height int64, primary *types.LightBlock, verr error) []WitnessConflict {
	if primary == nil {
		return nil
	}
	current := v.lc.Primary()
	want := primary.Hash()
	var out []WitnessConflict
	for _, w := range v.watched {
		if provider.Provider(w) == current {
			continue
		}
		b, ok := w.seenAt(height)
		if !ok || (b.err == nil && bytes.Equal(b.hash, want)) {
			continue
		}
		out = append(out, WitnessConflict{Witness: fmt.Sprint(w.Provider), Height: height, PrimaryHash: want, WitnessHash: b.hash, Err: b.err,
			Attack: errors.Is(verr, light.ErrLightClientAttack)})
	}
	return out
}

// OnWitnessConflict sets the function told of every witness conflict the
// verifier finds (see WitnessConflict), called while a verification is
// held: it must be quick (count, log).
func (v *HeaderVerifier) OnWitnessConflict(f func(WitnessConflict)) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.onConflict = f
}

// Witnesses is how many witnesses the light client still cross-checks
// headers with (it drops a witness that served a conflicting or malformed
// header).
func (v *HeaderVerifier) Witnesses() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.lc.Witnesses())
}

// OnWitnessConflict sets the function told of every witness conflict the
// client's light client finds (HeaderVerifier.OnWitnessConflict); set it
// before the first read.
func (c *Client) OnWitnessConflict(f func(WitnessConflict)) {
	c.mu.Lock()
	c.onConflict = f
	v := c.verifier
	c.mu.Unlock()
	if v != nil {
		v.OnWitnessConflict(f)
	}
}

// Witnesses is how many witnesses the client's light client still
// cross-checks headers with; started is false before its first read.
func (c *Client) Witnesses() (n int, started bool) {
	c.mu.Lock()
	v := c.verifier
	c.mu.Unlock()
	if v == nil {
		return 0, false
	}
	return v.Witnesses(), true
}
