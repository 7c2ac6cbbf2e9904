// SPDX-License-Identifier: Apache-2.0

package app

// Quality-credit records (issue 6; docs/ATTESTATIONS.md).
//
// A department records a public complaint (only its hash and category) or
// a violation against an enterprise. Each is one record appended to
// "credit:<enterprise>", the history that also holds the attestations
// naming the enterprise and its recalls; suspensions are in the
// participant's own history "participant:<id>" (governance). A credit
// profile is those two histories, each proven complete by its head.

import (
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

func creditHandlers() []msgHandler {
	return []msgHandler{
		{
			name: "record_complaint", sample: (*tlv1.Msg_RecordComplaint)(nil), roles: deptOnly,
			validate: func(m *tlv1.Msg) error { return validateComplaint(m.GetRecordComplaint()) },
			exec: func(c *execCtx, m *tlv1.Msg) ([]recordedEvent, error) {
				x := m.GetRecordComplaint()
				return execCredit(c, x.Enterprise, &tlv1.CreditRecord{Body: &tlv1.CreditRecord_Complaint{Complaint: x}})
			},
		},
		{
			name: "record_violation", sample: (*tlv1.Msg_RecordViolation)(nil), roles: deptOnly,
			validate: func(m *tlv1.Msg) error { return validateViolation(m.GetRecordViolation()) },
			exec: func(c *execCtx, m *tlv1.Msg) ([]recordedEvent, error) {
				x := m.GetRecordViolation()
				return execCredit(c, x.Enterprise, &tlv1.CreditRecord{Body: &tlv1.CreditRecord_Violation{Violation: x}})
			},
		},
	}
}

func validateComplaint(x *tlv1.RecordComplaint) error {
	if x == nil {
		return rejectf(tlv1.CodeCreditInvalid, "record_complaint is empty")
	}
	if err := attestToken(tlv1.CodeCreditInvalid, "record_complaint.enterprise", x.Enterprise, maxAttestShort); err != nil {
		return err
	}
	if len(x.ComplaintSha256) != 32 {
		return rejectf(tlv1.CodeCreditInvalid, "record_complaint.complaint_sha256 must be 32 bytes, got %d", len(x.ComplaintSha256))
	}
	if x.Category < tlv1.COMPLAINT_CATEGORY_QUALITY || x.Category > tlv1.COMPLAINT_CATEGORY_OTHER {
		return rejectf(tlv1.CodeCreditInvalid, "record_complaint.category %s is not a known category", x.Category)
	}
	return nil
}

func validateViolation(x *tlv1.RecordViolation) error {
	if x == nil {
		return rejectf(tlv1.CodeCreditInvalid, "record_violation is empty")
	}
	if err := attestToken(tlv1.CodeCreditInvalid, "record_violation.enterprise", x.Enterprise, maxAttestShort); err != nil {
		return err
	}
	if err := attestToken(tlv1.CodeCreditInvalid, "record_violation.kind", x.Kind, maxAttestShort); err != nil {
		return err
	}
	if len(x.DecisionSha256) != 32 {
		return rejectf(tlv1.CodeCreditInvalid, "record_violation.decision_sha256 must be 32 bytes, got %d", len(x.DecisionSha256))
	}
	return attestText(tlv1.CodeCreditInvalid, "record_violation.penalty", x.Penalty, 0, maxAttestText)
}

func execCredit(c *execCtx, enterprise string, body *tlv1.CreditRecord) ([]recordedEvent, error) {
	if err := requireEnterprise(c.o, tlv1.CodeCreditUnknownEnterprise, "enterprise", enterprise); err != nil {
		return nil, err
	}
	subjects := []string{tlv1.CreditSubject(enterprise)}
	rec := c.record()
	rec.Body = &tlv1.Record_Credit{Credit: body}
	idx, err := c.o.appendRecord(rec, subjects)
	if err != nil {
		return nil, err
	}
	return []recordedEvent{{index: idx, subjects: subjects}}, nil
}
