// SPDX-License-Identifier: Apache-2.0

package client

import (
	"context"
	"fmt"

	rpcclient "github.com/cometbft/cometbft/rpc/client"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Queries: every typed query goes query -> decode (queryAnswer) -> roots
// of the answered height (rootedAnswer) -> answer-specific checks against
// those roots -> roots against a verified header (verifiedQuery). A method
// names only its path, its request and its answer-specific check.

// marshaler is a query request.
type marshaler interface{ Marshal() ([]byte, error) }

// reply is a query answer that decodes; T is the message type, the
// constraint's *T its pointer, so that a fresh answer can be allocated
// without a type assertion.
type reply[T any] interface {
	*T
	Unmarshal([]byte) error
}

// answer is a proven query answer: it decodes and names the state roots
// it was answered at.
type answer[T any] interface {
	reply[T]
	GetRoots() *tlv1.StateRoots
}

// query runs an ABCI query at height (0: the node's latest) and returns the
// answer bytes and height. A nil req sends no data. A refusal is a
// *QueryError.
func (c *Client) query(ctx context.Context, path string, req marshaler, height int64) ([]byte, int64, error) {
	var data []byte
	if req != nil {
		var err error
		if data, err = req.Marshal(); err != nil {
			return nil, 0, fmt.Errorf("encode %s request: %w", path, err)
		}
	}
	res, err := c.rpc.ABCIQueryWithOptions(ctx, path, data, rpcclient.ABCIQueryOptions{Height: height})
	if err != nil {
		return nil, 0, fmt.Errorf("query %s: %w", path, err)
	}
	if res.Response.Code != 0 {
		return nil, 0, &QueryError{Code: res.Response.Code, Log: res.Response.Log}
	}
	return res.Response.Value, res.Response.Height, nil
}

// queryAnswer runs path with req at height (0: latest) and decodes the
// answer, returning it and the answer height. Nothing in it is verified:
// use it alone only for hints (a sequence, a size limit, which events are
// known). An answer that does not decode wraps ErrNotVerified.
func queryAnswer[T any, R reply[T]](ctx context.Context, c *Client, path string, req marshaler, height int64) (R, int64, error) {
	bz, h, err := c.query(ctx, path, req, height)
	if err != nil {
		return nil, 0, err
	}
	r := R(new(T))
	if err := r.Unmarshal(bz); err != nil {
		return nil, 0, fmt.Errorf("%w: decode %s answer: %v", ErrNotVerified, path, err)
	}
	return r, h, nil
}

// rootedAnswer is queryAnswer for a proven answer: it also checks that the
// answer names state roots of the height it was answered at. The roots are
// not yet checked against a header: verifiedQuery does that, or an offline
// bundle carries the light blocks that do.
func rootedAnswer[T any, R answer[T]](ctx context.Context, c *Client, path string, req marshaler, height int64) (R, int64, error) {
	r, h, err := queryAnswer[T, R](ctx, c, path, req, height)
	if err != nil {
		return nil, 0, err
	}
	if roots := r.GetRoots(); roots == nil || roots.Height != h {
		return nil, 0, fmt.Errorf("%w: %s answer's roots are not for the answered height %d", ErrNotVerified, path, h)
	}
	return r, h, nil
}

// verifiedQuery runs path with req at the node's latest height, checks the
// answer against its own roots with verify (which returns what the caller
// is after, and may count on the roots being present), then checks the
// roots against a header the light client verified, and that header's
// freshness (CheckFresh: a latest answer must be current). It returns verify's
// result, the answer and what it rests on. A refusal by the node is a
// *QueryError; every failure to verify wraps ErrNotVerified.
func verifiedQuery[V any, T any, R answer[T]](ctx context.Context, c *Client, path string, req marshaler, verify func(R) (V, error)) (V, R, Proven, error) {
	var none V
	r, h, err := rootedAnswer[T, R](ctx, c, path, req, 0)
	if err != nil {
		return none, nil, Proven{}, err
	}
	v, err := verify(r)
	if err != nil {
		return none, nil, Proven{}, err
	}
	p, err := c.verifyRoots(ctx, r.GetRoots(), h)
	if err != nil {
		return none, nil, Proven{}, err
	}
	if err := c.CheckFresh(p); err != nil {
		return none, nil, Proven{}, err
	}
	return v, r, p, nil
}

// valueOf returns the verified map entry at key decoded as a T (what names
// it in errors), or nil when it is proven absent.
func valueOf[T any, R reply[T]](ctx context.Context, c *Client, key, what string) (R, Proven, error) {
	bz, p, err := c.Value(ctx, key)
	if err != nil || bz == nil {
		return nil, p, err
	}
	r := R(new(T))
	if err := r.Unmarshal(bz); err != nil {
		return nil, p, fmt.Errorf("%w: %s does not decode: %v", ErrNotVerified, what, err)
	}
	return r, p, nil
}
