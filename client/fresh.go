// SPDX-License-Identifier: Apache-2.0

package client

import (
	"fmt"
	"time"
)

// DefaultMaxAnswerAge is the freshness bound of a latest answer: how old the
// verified header H+1 that commits to it may be. A network makes a block
// about every second (CometBFT's commit timeout of one second, empty blocks
// on), and a latest read waits for header H+1, so an honest answer's header
// is at most a few block times old; the bound leaves room for rounds that
// time out and for clock drift. An old, genuine answer that a node or a
// proxy replays (one from before a recall was recorded, say) is refused.
const DefaultMaxAnswerAge = 30 * time.Second

// StaleError is a genuine answer whose header is older than the freshness
// bound: it was true at Height, but the chain may have moved on (a lagging
// or halted node, or a replay). It wraps ErrNotVerified, because it must
// not be taken as the current state.
type StaleError struct {
	// Height is the answer's state height, HeaderTime the time of the
	// verified header Height+1 that commits to it.
	Height     int64
	HeaderTime time.Time
	// Age is how old the header was when checked; MaxAge the bound.
	Age, MaxAge time.Duration
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("stale answer: it is at state height %d, committed by a header of %s, %s old, more than the freshness bound of %s; the node may be lagging, halted or replaying old answers: ask another node, or raise the bound (--max-age)",
		e.Height, e.HeaderTime.UTC().Format(time.RFC3339), e.Age.Round(time.Second), e.MaxAge)
}

// Unwrap makes a stale answer one that must not be trusted as current.
func (e *StaleError) Unwrap() error { return ErrNotVerified }

// SetMaxAnswerAge sets the freshness bound of latest answers (0: the
// default, DefaultMaxAnswerAge; negative: no bound, for reading a network
// that is known to be halted). Call it before the client is used.
// Answers at an explicit height are historical by intent and not bounded.
func (c *Client) SetMaxAnswerAge(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.maxAge = d
}

// SetClock replaces the clock freshness is judged by (time.Now); tests and
// auditors replaying a day use it.
func (c *Client) SetClock(now func() time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = now
}

// CheckFresh returns a *StaleError when the header p rests on is older than
// the client's freshness bound. The client checks every latest answer it
// returns itself; the API server calls it for the latest answers it
// serves.
func (c *Client) CheckFresh(p Proven) error {
	c.mu.Lock()
	bound, now := c.maxAge, c.now
	c.mu.Unlock()
	if bound == 0 {
		bound = DefaultMaxAnswerAge
	}
	if bound < 0 || p.Header == nil {
		return nil
	}
	if now == nil {
		now = time.Now
	}
	if age := now().Sub(p.Header.Time); age > bound {
		return &StaleError{Height: p.Height, HeaderTime: p.Header.Time, Age: age, MaxAge: bound}
	}
	return nil
}
