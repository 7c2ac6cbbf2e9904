// SPDX-License-Identifier: Apache-2.0

package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/traceledger/traceledger/client"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// TestClassifyEndedRequest: a header check cut short because the request
// itself ended (the client went away while its answer waited for the next
// header) is a timeout, not a failed verification: counting it would
// report an honest node as lying every time a reader gives up. A failed
// check of a live request still counts.
func TestClassifyEndedRequest(t *testing.T) {
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	cut := fmt.Errorf("%w: header 9: post failed: %w", client.ErrNotVerified, context.Canceled)
	bad := fmt.Errorf("%w: app hash mismatch", client.ErrNotVerified)
	for _, tc := range []struct {
		name       string
		ctx        context.Context
		err        error
		status     int
		code       tlv1.Code
		unverified bool
	}{
		{"cut by the request's end", ended, cut, http.StatusGatewayTimeout, tlv1.CodeAPITimeout, false},
		{"bad answer, live request", context.Background(), bad, http.StatusBadGateway, tlv1.CodeAPINotVerified, true},
		{"cut error, live request", context.Background(), cut, http.StatusBadGateway, tlv1.CodeAPINotVerified, true},
		{"plain cancel of an ended request", ended, context.Canceled, http.StatusGatewayTimeout, tlv1.CodeAPITimeout, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, unverified := classify(tc.ctx, tc.err)
			if p.status != tc.status || p.code != tc.code || unverified != tc.unverified {
				t.Errorf("classify: status %d code %d unverified %t, want %d %d %t", p.status, p.code, unverified, tc.status, tc.code, tc.unverified)
			}
			if errors.Is(tc.err, client.ErrNotVerified) && p.detail == "" {
				t.Error("no detail")
			}
		})
	}
}
