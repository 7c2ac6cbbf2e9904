// SPDX-License-Identifier: Apache-2.0

package client

import (
	"context"
	"fmt"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// InitiateRecall submits a recall: voluntary when s signs for the
// responsible enterprise, ordered when s is a department.
func (c *Client) InitiateRecall(ctx context.Context, s Signer, r *tlv1.InitiateRecall) (*Committed, error) {
	return c.Submit(ctx, s, &tlv1.Msg{Sum: &tlv1.Msg_InitiateRecall{InitiateRecall: r}})
}

// Recall returns the verified recall, or nil when it is proven absent.
func (c *Client) Recall(ctx context.Context, id string) (*tlv1.Recall, Proven, error) {
	return valueOf[tlv1.Recall](ctx, c, tlv1.RecallKey(id), "recall")
}

// VerifyAnswerRoots checks that an answer's roots are for height and are
// committed by a header the light client verifies.
func (c *Client) VerifyAnswerRoots(ctx context.Context, roots *tlv1.StateRoots, height int64) (Proven, error) {
	return c.verifyRoots(ctx, roots, height)
}

// HeldEvidence returns the log index of the first record of a lot's
// verified history that shows enterprise held it: a trace or EPCIS event
// the enterprise signed (every record of the lot's history names the lot).
func HeldEvidence(h *VerifiedHistory, enterprise string) (uint64, bool) {
	if h == nil {
		return 0, false
	}
	for _, r := range h.Records {
		if r.Record.Signer != enterprise {
			continue
		}
		switch r.Record.Body.(type) {
		case *tlv1.Record_Event, *tlv1.Record_Epcis:
			return r.Index, true
		}
	}
	return 0, false
}

// FillHeldEvidence sets r.HeldEvidence for a voluntary recall from the
// verified histories of its lots; a lot the enterprise never held is an
// error naming it.
func (c *Client) FillHeldEvidence(ctx context.Context, r *tlv1.InitiateRecall) error {
	r.HeldEvidence = r.HeldEvidence[:0]
	for _, lot := range r.Lots {
		h, _, err := c.History(ctx, lot)
		if err != nil {
			return err
		}
		if h.Head == nil {
			return fmt.Errorf("lot %s has no history on the ledger (verified absence)", lot)
		}
		idx, ok := HeldEvidence(h, r.Enterprise)
		if !ok {
			return fmt.Errorf("the verified history of lot %s has no event signed by %s: it never held the lot", lot, r.Enterprise)
		}
		r.HeldEvidence = append(r.HeldEvidence, idx)
	}
	return nil
}
