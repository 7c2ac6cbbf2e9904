// SPDX-License-Identifier: Apache-2.0

package app

// Certification attestations (issue 6; docs/ATTESTATIONS.md).
//
// An accredited certifier records a certification result with
// IssueAttestation. The attestation's id is "<issuer>/<certificate number>";
// its current state is the map value "attestation/<id>" and its provable
// history is the subject "attestation:<id>" (the issue record, then every
// status change). The issue record is also appended to the history of every
// subject it names (lots, location, product class) and, when it names an
// enterprise, to "credit:<enterprise>", so a trace walk and a credit profile
// meet it without a separate index.
//
// Only a certifier whose accreditation (granted by proposal, see
// docs/GOVERNANCE.md) is active, in force at the block time and lists the
// scheme may issue it. The status (valid, suspended, withdrawn, cancelled;
// expired is a matter of time, never recorded) is changed by the issuer or
// by the department that supervises the issuer; withdrawn and cancelled are
// final. Every change is a record.

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Attestation schemes a certifier may be accredited for and attest.
var attestSchemes = []string{"gap", "organic", "green_food", "geographical_indication", "haccp",
	"iso22000", "gmp", "gsp", "ccc", "origin_environment", "quarantine", "test_report", "other"}

// AttestSchemes returns the scheme names IssueAttestation accepts.
func AttestSchemes() []string { return slices.Clone(attestSchemes) }

// Limits of the attestation, recall and credit messages.
const (
	maxAttestLots   = 64
	maxAttestText   = 256
	maxAttestShort  = 64
	maxAttestNumber = 64
)

func attestHandlers() []msgHandler {
	return []msgHandler{
		{
			name: "issue_attestation", sample: (*tlv1.Msg_IssueAttestation)(nil), roles: []tlv1.Role{tlv1.ROLE_CERTIFIER},
			validate: func(m *tlv1.Msg) error { return validateIssueAttestation(m.GetIssueAttestation()) },
			exec: func(c *execCtx, m *tlv1.Msg) ([]recordedEvent, error) {
				return execIssueAttestation(c, m.GetIssueAttestation())
			},
		},
		{
			name: "change_attestation_status", sample: (*tlv1.Msg_ChangeAttestationStatus)(nil),
			roles:    []tlv1.Role{tlv1.ROLE_CERTIFIER, tlv1.ROLE_DEPARTMENT},
			validate: func(m *tlv1.Msg) error { return validateChangeAttestation(m.GetChangeAttestationStatus()) },
			exec: func(c *execCtx, m *tlv1.Msg) ([]recordedEvent, error) {
				return execChangeAttestation(c, m.GetChangeAttestationStatus())
			},
		},
	}
}

// attestText checks a free-text field: UTF-8, no control characters, length
// within [min, max].
func attestText(code tlv1.Code, field, s string, min, max int) error {
	if len(s) < min || len(s) > max {
		return rejectf(code, "%s is %d bytes, want %d to %d", field, len(s), min, max)
	}
	if !utf8.ValidString(s) {
		return rejectf(code, "%s is not valid UTF-8", field)
	}
	for i, c := range s {
		if c < ' ' || c == 0x7f {
			return rejectf(code, "%s has a control character at byte %d", field, i)
		}
	}
	return nil
}

// attestToken checks an id-like field: 1 to max bytes of [A-Za-z0-9_.-].
func attestToken(code tlv1.Code, field, s string, max int) error {
	if len(s) == 0 || len(s) > max {
		return rejectf(code, "%s is %d bytes, want 1 to %d", field, len(s), max)
	}
	for i, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return rejectf(code, "%s has %q at byte %d; use letters, digits and _.-", field, c, i)
		}
	}
	return nil
}

func validateIssueAttestation(a *tlv1.IssueAttestation) error {
	if a == nil {
		return rejectf(tlv1.CodeAttestInvalid, "issue_attestation is empty")
	}
	if !slices.Contains(attestSchemes, a.Scheme) {
		return rejectf(tlv1.CodeAttestInvalid, "issue_attestation.scheme %q is not one of %s", a.Scheme, strings.Join(attestSchemes, ", "))
	}
	if err := attestText(tlv1.CodeAttestInvalid, "issue_attestation.standard", a.Standard, 1, maxAttestShort); err != nil {
		return err
	}
	if err := attestToken(tlv1.CodeAttestInvalid, "issue_attestation.certificate_number", a.CertificateNumber, maxAttestNumber); err != nil {
		return err
	}
	s := a.Subject
	if s == nil || s.Enterprise == "" && s.Location == "" && s.ProductClass == "" && len(s.Lots) == 0 {
		return rejectf(tlv1.CodeAttestInvalid, "issue_attestation.subject names nothing: give an enterprise, a location, a product class and/or lots")
	}
	if s.Enterprise != "" {
		if err := attestToken(tlv1.CodeAttestInvalid, "issue_attestation.subject.enterprise", s.Enterprise, maxAttestShort); err != nil {
			return err
		}
	}
	if s.Location != "" {
		if _, err := canonicalSubject(tlv1.CodeAttestInvalid, "issue_attestation.subject.location", s.Location); err != nil {
			return err
		}
	}
	if s.ProductClass != "" {
		if _, err := canonicalSubject(tlv1.CodeAttestInvalid, "issue_attestation.subject.product_class", s.ProductClass); err != nil {
			return err
		}
	}
	if _, err := canonicalList(tlv1.CodeAttestInvalid, "issue_attestation.subject.lots", s.Lots, maxAttestLots); err != nil {
		return err
	}
	if err := attestText(tlv1.CodeAttestInvalid, "issue_attestation.scope", a.Scope, 0, maxAttestText); err != nil {
		return err
	}
	if err := attestText(tlv1.CodeAttestInvalid, "issue_attestation.mode", a.Mode, 0, maxAttestShort); err != nil {
		return err
	}
	if a.ValidFromMs <= 0 || a.ValidUntilMs <= a.ValidFromMs {
		return rejectf(tlv1.CodeAttestInvalid, "issue_attestation validity [%d, %d) ms is empty or not positive: want 0 < valid_from_ms < valid_until_ms", a.ValidFromMs, a.ValidUntilMs)
	}
	if len(a.EvidenceSha256) != 32 {
		return rejectf(tlv1.CodeAttestInvalid, "issue_attestation.evidence_sha256 must be 32 bytes, got %d", len(a.EvidenceSha256))
	}
	if n := len(a.AuditReportSha256); n != 0 && n != 32 {
		return rejectf(tlv1.CodeAttestInvalid, "issue_attestation.audit_report_sha256 must be empty or 32 bytes, got %d", n)
	}
	return nil
}

func fieldIndex(field string, i int) string {
	return field + "[" + strconv.Itoa(i) + "]"
}

// checkIssuerAccredited checks that p may issue scheme at timeMs: tlv1.CodeAttestUnaccredited
// for a missing, suspended, withdrawn or out-of-date accreditation,
// tlv1.CodeAttestOutOfScope for an accreditation that does not list the scheme.
func checkIssuerAccredited(p *tlv1.Participant, scheme string, timeMs int64) error {
	a := p.Accreditation
	switch {
	case a == nil:
		return rejectf(tlv1.CodeAttestUnaccredited, "certifier %q has no accreditation", p.Id)
	case a.Status != tlv1.ACCREDITATION_STATUS_ACTIVE:
		return rejectf(tlv1.CodeAttestUnaccredited, "the accreditation of %q is %s", p.Id, a.Status)
	case timeMs < a.ValidFromMs || timeMs >= a.ValidUntilMs:
		return rejectf(tlv1.CodeAttestUnaccredited, "the accreditation of %q is valid from %d to %d ms, not at the block time %d ms (expired or not yet in force)", p.Id, a.ValidFromMs, a.ValidUntilMs, timeMs)
	case !slices.Contains(a.Schemes, scheme):
		return rejectf(tlv1.CodeAttestOutOfScope, "certifier %q is not accredited for scheme %q (it is for %s)", p.Id, scheme, strings.Join(a.Schemes, ", "))
	}
	return nil
}

func execIssueAttestation(c *execCtx, a *tlv1.IssueAttestation) ([]recordedEvent, error) {
	if err := checkIssuerAccredited(c.signer, a.Scheme, c.timeMs); err != nil {
		return nil, err
	}
	id := tlv1.AttestationID(c.signer.Id, a.CertificateNumber)
	key := tlv1.AttestationKey(id)
	if v, err := c.o.mapValue(key); err != nil {
		return nil, err
	} else if v != nil {
		return nil, rejectf(tlv1.CodeAttestDuplicate, "attestation %q is already recorded (certificate numbers are unique per issuer)", id)
	}
	subjects := []string{tlv1.AttestationHistorySubject(id)}
	if e := a.Subject.Enterprise; e != "" {
		p, err := getParticipant(c.o, e)
		if err != nil {
			if CodeOf(err) == tlv1.CodeParticipantNotFound {
				return nil, rejectf(tlv1.CodeAttestSubjectUnknown, "issue_attestation.subject.enterprise %q is not registered", e)
			}
			return nil, err
		}
		if p.Role != tlv1.ROLE_ENTERPRISE {
			return nil, rejectf(tlv1.CodeAttestSubjectUnknown, "issue_attestation.subject.enterprise %q is a %s, not an enterprise", e, tlv1.RoleName(p.Role))
		}
		subjects = append(subjects, tlv1.CreditSubject(e))
	}
	for _, s := range append([]string{a.Subject.Location, a.Subject.ProductClass}, a.Subject.Lots...) {
		if s == "" {
			continue
		}
		if s = mustCanonical(s); !slices.Contains(subjects, s) {
			subjects = append(subjects, s)
		}
	}
	att := &tlv1.Attestation{Id: id, Issuer: c.signer.Id, Body: a, Status: tlv1.ATTESTATION_STATUS_VALID,
		IssuedHeight: c.height, IssuedTimeMs: c.timeMs, StatusHeight: c.height, StatusTimeMs: c.timeMs,
		IssuerAccreditationNumber: c.signer.Accreditation.AccreditationNumber}
	if err := putProto(c.o, key, att); err != nil {
		return nil, err
	}
	rec := c.record()
	rec.Body = &tlv1.Record_Attestation{Attestation: &tlv1.AttestationRecord{AttestationId: id, Issued: att}}
	idx, err := c.o.appendRecord(rec, subjects)
	if err != nil {
		return nil, err
	}
	return []recordedEvent{{index: idx, subjects: subjects}}, nil
}

func validateChangeAttestation(m *tlv1.ChangeAttestationStatus) error {
	if m == nil {
		return rejectf(tlv1.CodeAttestInvalid, "change_attestation_status is empty")
	}
	issuer, number, ok := tlv1.ParseAttestationID(m.AttestationId)
	if !ok {
		return rejectf(tlv1.CodeAttestInvalid, "change_attestation_status.attestation_id %q is not <issuer>/<certificate number>", m.AttestationId)
	}
	if err := attestToken(tlv1.CodeAttestInvalid, "change_attestation_status.attestation_id issuer", issuer, maxAttestShort); err != nil {
		return err
	}
	if err := attestToken(tlv1.CodeAttestInvalid, "change_attestation_status.attestation_id certificate number", number, maxAttestNumber); err != nil {
		return err
	}
	switch m.Status {
	case tlv1.ATTESTATION_STATUS_VALID, tlv1.ATTESTATION_STATUS_SUSPENDED, tlv1.ATTESTATION_STATUS_WITHDRAWN, tlv1.ATTESTATION_STATUS_CANCELLED:
	default:
		return rejectf(tlv1.CodeAttestInvalid, "change_attestation_status.status %s is not VALID, SUSPENDED, WITHDRAWN or CANCELLED", m.Status)
	}
	return attestText(tlv1.CodeAttestInvalid, "change_attestation_status.reason", m.Reason, 1, maxAttestText)
}

// attestTransitionAllowed is the status lifecycle: valid and suspended may
// move to any other status; withdrawn and cancelled are final.
func attestTransitionAllowed(from, to tlv1.AttestationStatus) bool {
	if from == to {
		return false
	}
	switch from {
	case tlv1.ATTESTATION_STATUS_VALID:
		return to != tlv1.ATTESTATION_STATUS_UNSPECIFIED
	case tlv1.ATTESTATION_STATUS_SUSPENDED:
		return to != tlv1.ATTESTATION_STATUS_UNSPECIFIED
	}
	return false
}

func execChangeAttestation(c *execCtx, m *tlv1.ChangeAttestationStatus) ([]recordedEvent, error) {
	var att tlv1.Attestation
	found, err := getProto(c.o, tlv1.AttestationKey(m.AttestationId), &att)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, rejectf(tlv1.CodeAttestNotFound, "attestation %q is not recorded", m.AttestationId)
	}
	issuer, err := getParticipant(c.o, att.Issuer)
	if err != nil {
		return nil, err
	}
	switch {
	case c.signer.Id == att.Issuer:
		// The issuer reinstating a suspended attestation must still be
		// accredited for its scheme.
		if m.Status == tlv1.ATTESTATION_STATUS_VALID {
			if err := checkIssuerAccredited(issuer, att.Body.Scheme, c.timeMs); err != nil {
				return nil, err
			}
		}
	case c.signer.Role == tlv1.ROLE_DEPARTMENT && c.signer.Id == issuer.Department:
	default:
		return nil, rejectf(tlv1.CodeAttestForbidden, "%q may not change attestation %q: only its issuer %q or the issuer's supervising department %q may",
			c.signer.Id, att.Id, att.Issuer, issuer.Department)
	}
	if !attestTransitionAllowed(att.Status, m.Status) {
		return nil, rejectf(tlv1.CodeAttestTransition, "attestation %q is %s and cannot become %s (withdrawn and cancelled are final)", att.Id, att.Status, m.Status)
	}
	from := att.Status
	att.Status, att.StatusReason, att.StatusHeight, att.StatusTimeMs = m.Status, m.Reason, c.height, c.timeMs
	if err := putProto(c.o, tlv1.AttestationKey(att.Id), &att); err != nil {
		return nil, err
	}
	subjects := []string{tlv1.AttestationHistorySubject(att.Id)}
	if e := att.Body.Subject.GetEnterprise(); e != "" {
		subjects = append(subjects, tlv1.CreditSubject(e))
	}
	rec := c.record()
	rec.Body = &tlv1.Record_Attestation{Attestation: &tlv1.AttestationRecord{AttestationId: att.Id, From: from, To: m.Status, Reason: m.Reason}}
	idx, err := c.o.appendRecord(rec, subjects)
	if err != nil {
		return nil, err
	}
	return []recordedEvent{{index: idx, subjects: subjects}}, nil
}
