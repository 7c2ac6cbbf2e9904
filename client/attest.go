// SPDX-License-Identifier: Apache-2.0

package client

import (
	"context"
	"fmt"
	"slices"
	"strings"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// IssueAttestation submits a certification result; s must be a certifier
// accredited for the scheme. It returns the attestation's id.
func (c *Client) IssueAttestation(ctx context.Context, s Signer, issuer string, a *tlv1.IssueAttestation) (string, *Committed, error) {
	res, err := c.Submit(ctx, s, &tlv1.Msg{Sum: &tlv1.Msg_IssueAttestation{IssueAttestation: a}})
	return tlv1.AttestationID(issuer, a.CertificateNumber), res, err
}

// ChangeAttestationStatus submits a status change; s must be the issuer or
// the issuer's supervising department.
func (c *Client) ChangeAttestationStatus(ctx context.Context, s Signer, id string, to tlv1.AttestationStatus, reason string) (*Committed, error) {
	return c.Submit(ctx, s, &tlv1.Msg{Sum: &tlv1.Msg_ChangeAttestationStatus{ChangeAttestationStatus: &tlv1.ChangeAttestationStatus{AttestationId: id, Status: to, Reason: reason}}})
}

// Attestation returns the verified current state of an attestation, or nil
// when it is proven absent.
func (c *Client) Attestation(ctx context.Context, id string) (*tlv1.Attestation, Proven, error) {
	return valueOf[tlv1.Attestation](ctx, c, tlv1.AttestationKey(id), "attestation")
}

// Validity is the answer to "was this attestation valid at time t", with
// the records it rests on. Every record comes from a history proven
// complete, so "no status change before t" is proven, not assumed.
type Validity struct {
	ID     string
	TimeMs int64
	// Valid is true when every condition holds; Failures say which did not.
	Valid    bool
	Failures []string
	// Issued is the issue record; Status is the last status-change record
	// at or before t (nil when none); Accreditation is the issuer's last
	// accreditation-change record at or before t (nil when none).
	Issued        *VerifiedRecord
	Status        *VerifiedRecord
	Accreditation *VerifiedRecord
	// StatusAt is the recorded status at t.
	StatusAt tlv1.AttestationStatus
}

// AttestationValidAt decides from two verified, complete histories (the
// attestation's "attestation:<id>" and its issuer's "participant:<issuer>")
// whether the attestation existed at t (recorded in a block at or before
// t), was within its validity period, was not suspended, withdrawn or
// cancelled at t, and its issuer's accreditation was active, in force and
// listed the scheme at t.
func AttestationValidAt(att, issuer *VerifiedHistory, t int64) (*Validity, error) {
	v := &Validity{TimeMs: t}
	if att == nil || att.Head == nil || len(att.Records) == 0 {
		v.Failures = append(v.Failures, "the attestation is proven not to exist")
		return v, nil
	}
	first := att.Records[0].Record.GetAttestation()
	if first == nil || first.Issued == nil || first.Issued.Body == nil {
		return nil, fmt.Errorf("%w: the first record of %s is not an attestation issue", ErrNotVerified, att.Subject)
	}
	a := first.Issued
	v.ID, v.Issued = a.Id, att.Records[0]
	if att.Subject != tlv1.AttestationHistorySubject(a.Id) {
		return nil, fmt.Errorf("%w: history %s holds attestation %s", ErrNotVerified, att.Subject, a.Id)
	}
	if t < att.Records[0].Record.TimeMs {
		v.Failures = append(v.Failures, fmt.Sprintf("not yet recorded at %d (recorded at %d)", t, att.Records[0].Record.TimeMs))
	}
	if t < a.Body.ValidFromMs || t >= a.Body.ValidUntilMs {
		v.Failures = append(v.Failures, fmt.Sprintf("outside its validity [%d, %d)", a.Body.ValidFromMs, a.Body.ValidUntilMs))
	}
	v.StatusAt = tlv1.ATTESTATION_STATUS_VALID
	for _, r := range att.Records[1:] {
		ar := r.Record.GetAttestation()
		if ar == nil || r.Record.TimeMs > t {
			continue
		}
		v.StatusAt, v.Status = ar.To, r
	}
	if v.StatusAt != tlv1.ATTESTATION_STATUS_VALID {
		v.Failures = append(v.Failures, fmt.Sprintf("status at t is %s", v.StatusAt))
	}
	if issuer == nil || issuer.Subject != tlv1.ParticipantSubject(a.Issuer) {
		return nil, fmt.Errorf("issuer history must be %s", tlv1.ParticipantSubject(a.Issuer))
	}
	var acc *tlv1.Accreditation
	for _, r := range issuer.Records {
		ac := r.Record.GetGovernance().GetAccreditationChanged()
		if ac == nil || r.Record.TimeMs > t {
			continue
		}
		acc, v.Accreditation = ac.Accreditation, r
	}
	switch {
	case acc == nil:
		v.Failures = append(v.Failures, "the issuer had no accreditation at t")
	case acc.Status != tlv1.ACCREDITATION_STATUS_ACTIVE:
		v.Failures = append(v.Failures, fmt.Sprintf("the issuer's accreditation was %s at t", acc.Status))
	case t < acc.ValidFromMs || t >= acc.ValidUntilMs:
		v.Failures = append(v.Failures, fmt.Sprintf("the issuer's accreditation was not in force at t (valid [%d, %d))", acc.ValidFromMs, acc.ValidUntilMs))
	case !slices.Contains(acc.Schemes, a.Body.Scheme):
		v.Failures = append(v.Failures, fmt.Sprintf("the issuer was not accredited for %s at t (only %s)", a.Body.Scheme, strings.Join(acc.Schemes, ", ")))
	}
	v.Valid = len(v.Failures) == 0
	return v, nil
}

// AttestationValidAt fetches and verifies the two histories and answers
// whether attestation id was valid at t (Unix ms).
func (c *Client) AttestationValidAt(ctx context.Context, id string, t int64) (*Validity, Proven, error) {
	ah, p, err := c.History(ctx, tlv1.AttestationHistorySubject(id))
	if err != nil {
		return nil, Proven{}, err
	}
	issuer, _, _ := tlv1.ParseAttestationID(id)
	ih, _, err := c.History(ctx, tlv1.ParticipantSubject(issuer))
	if err != nil {
		return nil, Proven{}, err
	}
	v, err := AttestationValidAt(ah, ih, t)
	return v, p, err
}
