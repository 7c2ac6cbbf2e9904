// SPDX-License-Identifier: Apache-2.0

package trace

import (
	"context"
	"sync"

	"github.com/traceledger/traceledger/client"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// ClientSource reads verified histories and participants from a node
// through a client: every history is checked complete against its head and
// its roots against a header verified by the light client. Queries run
// concurrently; header checks run one at a time (the light client is not
// documented as safe for concurrent verification).
type ClientSource struct {
	C  *client.Client
	mu sync.Mutex
}

// NewClientSource returns a Source reading from c.
func NewClientSource(c *client.Client) *ClientSource { return &ClientSource{C: c} }

// History implements Source.
func (s *ClientSource) History(ctx context.Context, subject string) (*History, error) {
	resp, vh, h, err := s.C.QueryHistory(ctx, subject)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.C.VerifyAnswerRoots(ctx, resp.Roots, h); err != nil {
		return nil, err
	}
	return &History{Subject: subject, Head: vh.Head, Records: vh.Records, Proofs: resp.Records, Roots: resp.Roots}, nil
}

// Participant implements Source.
func (s *ClientSource) Participant(ctx context.Context, id string) (*tlv1.Participant, error) {
	p, _, err := s.C.Participant(ctx, id)
	return p, err
}
