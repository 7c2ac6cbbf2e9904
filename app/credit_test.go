// SPDX-License-Identifier: Apache-2.0

package app

import (
	"testing"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

func complaintMsg(enterprise string, cat tlv1.ComplaintCategory) *tlv1.Msg {
	return &tlv1.Msg{Sum: &tlv1.Msg_RecordComplaint{RecordComplaint: &tlv1.RecordComplaint{Enterprise: enterprise, ComplaintSha256: hash32("complaint"), Category: cat}}}
}

func violationMsg(enterprise, kind string) *tlv1.Msg {
	return &tlv1.Msg{Sum: &tlv1.Msg_RecordViolation{RecordViolation: &tlv1.RecordViolation{Enterprise: enterprise, Kind: kind, DecisionSha256: hash32("decision"), Penalty: "fine"}}}
}

// TestCreditRecords: departments record complaints and violations against
// enterprises, each one record in "credit:<enterprise>"; others may not,
// and bad ones change nothing.
func TestCreditRecords(t *testing.T) {
	g := newGovFixture(t)
	g.block()
	g.accept("market", complaintMsg("farm", tlv1.COMPLAINT_CATEGORY_SAFETY))
	g.accept("agri", violationMsg("farm", "pesticide_residue"))
	if n := g.headCount(tlv1.CreditSubject("farm")); n != 2 {
		t.Fatalf("credit history has %d records, want 2", n)
	}
	for _, tc := range []struct {
		name      string
		checkCode tlv1.Code
		code      tlv1.Code
		fragment  string
		signer    string
		msg       *tlv1.Msg
	}{
		{"complaint by an enterprise", tlv1.CodeUnauthorized, tlv1.CodeUnauthorized, "record_complaint", "slaughter", complaintMsg("farm", tlv1.COMPLAINT_CATEGORY_SAFETY)},
		{"violation by a certifier", tlv1.CodeUnauthorized, tlv1.CodeUnauthorized, "record_violation", "lab", violationMsg("farm", "x")},
		{"no category", tlv1.CodeCreditInvalid, tlv1.CodeCreditInvalid, "category", "market", complaintMsg("farm", tlv1.COMPLAINT_CATEGORY_UNSPECIFIED)},
		{"bad kind", tlv1.CodeCreditInvalid, tlv1.CodeCreditInvalid, "kind", "market", violationMsg("farm", "")},
		{"unknown enterprise", 0, tlv1.CodeCreditUnknownEnterprise, "not registered", "market", complaintMsg("ghost", tlv1.COMPLAINT_CATEGORY_QUALITY)},
		{"not an enterprise", 0, tlv1.CodeCreditUnknownEnterprise, "not an enterprise", "market", violationMsg("lab", "x")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g.t = t
			g.reject(tc.checkCode, tc.code, tc.fragment, tc.signer, tc.msg)
		})
	}
}
