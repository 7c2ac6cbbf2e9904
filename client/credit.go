// SPDX-License-Identifier: Apache-2.0

package client

import (
	"context"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// RecordComplaint submits a public complaint (its hash and category)
// against an enterprise; s must be a department.
func (c *Client) RecordComplaint(ctx context.Context, s Signer, x *tlv1.RecordComplaint) (*Committed, error) {
	return c.Submit(ctx, s, &tlv1.Msg{Sum: &tlv1.Msg_RecordComplaint{RecordComplaint: x}})
}

// RecordViolation submits a violation against an enterprise; s must be a
// department.
func (c *Client) RecordViolation(ctx context.Context, s Signer, x *tlv1.RecordViolation) (*Committed, error) {
	return c.Submit(ctx, s, &tlv1.Msg{Sum: &tlv1.Msg_RecordViolation{RecordViolation: x}})
}

// CreditProfile is an enterprise's quality-credit profile, every part
// verified: the participant entry, its credit history and its membership
// history (both proven complete by their heads).
type CreditProfile struct {
	Enterprise *tlv1.Participant
	// Certifications, Recalls, Complaints and Violations are the records of
	// the credit history, by kind, in log order.
	Certifications []*VerifiedRecord
	Recalls        []*VerifiedRecord
	Complaints     []*VerifiedRecord
	Violations     []*VerifiedRecord
	// Suspensions are the governance records of the membership history that
	// change the participant's status (suspensions and reinstatements).
	Suspensions []*VerifiedRecord
	// OverdueRequests are the disclosure requests addressed to the
	// enterprise that are still unanswered past their deadline (from its
	// verified disclosure history; docs/DISCLOSURE.md).
	OverdueRequests []RequestState
	Proven          Proven
}

// Credit returns the verified credit profile of an enterprise; the
// participant is nil (and the lists empty) when it is proven not to be
// registered.
func (c *Client) Credit(ctx context.Context, enterprise string) (*CreditProfile, error) {
	p, proven, err := c.Participant(ctx, enterprise)
	if err != nil {
		return nil, err
	}
	out := &CreditProfile{Enterprise: p, Proven: proven}
	if p == nil {
		return out, nil
	}
	ch, pr, err := c.History(ctx, tlv1.CreditSubject(enterprise))
	if err != nil {
		return nil, err
	}
	out.Proven = pr
	for _, r := range ch.Records {
		switch b := r.Record.Body.(type) {
		case *tlv1.Record_Attestation:
			out.Certifications = append(out.Certifications, r)
		case *tlv1.Record_Credit:
			switch b.Credit.Body.(type) {
			case *tlv1.CreditRecord_Recall:
				out.Recalls = append(out.Recalls, r)
			case *tlv1.CreditRecord_Complaint:
				out.Complaints = append(out.Complaints, r)
			case *tlv1.CreditRecord_Violation:
				out.Violations = append(out.Violations, r)
			}
		}
	}
	mh, _, err := c.History(ctx, tlv1.ParticipantSubject(enterprise))
	if err != nil {
		return nil, err
	}
	for _, r := range mh.Records {
		if r.Record.GetGovernance().GetParticipantStatusChanged() != nil {
			out.Suspensions = append(out.Suspensions, r)
		}
	}
	if out.OverdueRequests, err = c.OverdueRequests(ctx, enterprise); err != nil {
		return nil, err
	}
	return out, nil
}
