// SPDX-License-Identifier: Apache-2.0

// This file reads through package client (CometBFT); the WebAssembly
// verifier of the portal builds the walk without it.

//go:build !(js && wasm)

package trace

import (
	"context"

	"github.com/traceledger/traceledger/client"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// ClientSource reads verified histories and participants from a node
// through a client: every history is checked complete against its head and
// its roots against a header verified by the light client
// (client.ProvenHistory). Queries run concurrently; the client runs header
// checks one at a time.
type ClientSource struct {
	C *client.Client
}

// NewClientSource returns a Source reading from c.
func NewClientSource(c *client.Client) *ClientSource { return &ClientSource{C: c} }

// History implements Source. A long history is read in pages
// (client.HistoryPagesOf), each record kept with the roots its page was
// proven at.
func (s *ClientSource) History(ctx context.Context, subject string) (*History, error) {
	hp, err := s.C.HistoryPagesOf(ctx, subject)
	if err != nil {
		return nil, err
	}
	recs, proofs, roots := hp.Records()
	h := &History{Subject: subject, Head: hp.Head, Records: recs, Proofs: proofs, Roots: hp.Pages[0].Response.Roots}
	if len(hp.Pages) > 1 {
		h.RecordRoots = roots
	}
	return h, nil
}

// Participant implements Source.
func (s *ClientSource) Participant(ctx context.Context, id string) (*tlv1.Participant, error) {
	p, _, err := s.C.Participant(ctx, id)
	return p, err
}
