// SPDX-License-Identifier: Apache-2.0

package client

import (
	"context"
	"errors"
	"net"
	"net/url"
	"testing"

	"github.com/cometbft/cometbft/light/provider"
	"github.com/cometbft/cometbft/types"
)

// fakeProvider answers every height with lb or err.
type fakeProvider struct {
	lb  *types.LightBlock
	err error
}

func (f fakeProvider) ChainID() string { return "c" }
func (f fakeProvider) LightBlock(context.Context, int64) (*types.LightBlock, error) {
	return f.lb, f.err
}
func (f fakeProvider) ReportEvidence(context.Context, types.Evidence) error { return nil }

// TestWatchedProvider: a watched provider passes answers on, records what
// it served per height, and reports failures to reach its node as the
// errors CometBFT's light client treats as benign (by identity), so it does
// not drop an honest node over a network blip.
func TestWatchedProvider(t *testing.T) {
	refused := &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}
	bad := provider.ErrBadLightBlock{Reason: errors.New("commit signs another block")}
	lb := &types.LightBlock{SignedHeader: &types.SignedHeader{Header: &types.Header{Height: 7, ChainID: "c"}}}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name    string
		ctx     context.Context
		p       fakeProvider
		wantErr error // compared by identity, as the light client does
		seen    bool
	}{
		{"block", context.Background(), fakeProvider{lb: lb}, nil, true},
		{"unreachable", context.Background(), fakeProvider{err: refused}, provider.ErrNoResponse, false},
		{"cancelled", cancelled, fakeProvider{err: &url.Error{Op: "Post", URL: "http://x", Err: context.Canceled}}, context.Canceled, false},
		{"malformed", context.Background(), fakeProvider{err: bad}, bad, true},
		{"too high", context.Background(), fakeProvider{err: provider.ErrHeightTooHigh}, provider.ErrHeightTooHigh, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := watch(tc.p)
			got, err := w.LightBlock(tc.ctx, 7)
			if err != tc.wantErr { //nolint:errorlint // the light client compares by identity
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			if (err == nil) != (got != nil) {
				t.Fatalf("block %v with error %v", got, err)
			}
			b, ok := w.seenAt(7)
			if ok != tc.seen || (ok && (b.err == nil) != (err == nil)) {
				t.Fatalf("seen %v %+v", ok, b)
			}
			w.reset()
			if _, ok := w.seenAt(7); ok {
				t.Fatal("reset kept what was seen")
			}
		})
	}
}
