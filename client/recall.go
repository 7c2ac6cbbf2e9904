package client

import (
	"context"
	"fmt"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// RecallKey is the map key of a recall.
func RecallKey(id string) string { return "recall/" + id }

// RecallSubject is the history subject of a recall.
func RecallSubject(id string) string { return "recall:" + id }

// InitiateRecall submits a recall: voluntary when s signs for the
// responsible enterprise, ordered when s is a department.
func (c *Client) InitiateRecall(ctx context.Context, s Signer, r *tlv1.InitiateRecall) (*Committed, error) {
	return c.Submit(ctx, s, &tlv1.Msg{Sum: &tlv1.Msg_InitiateRecall{InitiateRecall: r}})
}

// Recall returns the verified recall, or nil when it is proven absent.
func (c *Client) Recall(ctx context.Context, id string) (*tlv1.Recall, Proven, error) {
	bz, p, err := c.Value(ctx, RecallKey(id))
	if err != nil || bz == nil {
		return nil, p, err
	}
	var r tlv1.Recall
	if err := r.Unmarshal(bz); err != nil {
		return nil, p, fmt.Errorf("%w: recall does not decode: %v", ErrNotVerified, err)
	}
	return &r, p, nil
}

// ProvenHistory returns the /history answer for subject as the node sent
// it (with each record's inclusion proof), after checking it exactly as
// History does: completeness against the head and the roots against a
// verified header.
func (c *Client) ProvenHistory(ctx context.Context, subject string) (*tlv1.HistoryResponse, *VerifiedHistory, Proven, error) {
	bz, h, err := c.query(ctx, pathHistory, &tlv1.HistoryRequest{Subject: subject})
	if err != nil {
		return nil, nil, Proven{}, err
	}
	var resp tlv1.HistoryResponse
	if err := resp.Unmarshal(bz); err != nil {
		return nil, nil, Proven{}, fmt.Errorf("%w: decode history: %v", ErrNotVerified, err)
	}
	vh, err := VerifyHistory(subject, HeadKey(subject), &resp)
	if err != nil {
		return nil, nil, Proven{}, err
	}
	p, err := c.verifyRoots(ctx, resp.Roots, h)
	if err != nil {
		return nil, nil, Proven{}, err
	}
	return &resp, vh, p, nil
}
