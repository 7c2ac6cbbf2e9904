// SPDX-License-Identifier: Apache-2.0

package traceledgerv1

import "fmt"

// RecordKind is what a log record records: which body it carries, down to
// the governance change or credit record inside it. Its stable name is
// what reports, `query history` and bundles show.
type RecordKind uint8

// The record kinds. KindUnknown is a record whose body this version does
// not know; KindEmpty one without a body.
const (
	KindUnknown RecordKind = iota
	KindEmpty
	KindEvent
	KindParticipantRegistered
	KindGovernance // a governance record whose change this version does not know
	KindProposalSubmitted
	KindVoteCast
	KindProposalClosed
	KindParticipantStatusChanged
	KindKeyChanged
	KindDepartmentChanged
	KindAccreditationChanged
	KindQuorumChanged
	KindEPCISEvent
	KindAnchor
	KindAttestationIssued
	KindAttestationStatus
	KindCredit // a credit record whose body this version does not know
	KindRecall
	KindComplaint
	KindViolation
	KindEncryptionKeyChanged
	KindDisclosure
	KindDisclosureRequest
	KindDisclosureRefused
	KindDisclosureOther // a disclosure-domain record whose body this version does not know
)

// recordKindNames is the one table of the kinds' stable names.
var recordKindNames = [...]string{
	KindUnknown:                  "unknown",
	KindEmpty:                    "empty",
	KindEvent:                    "event",
	KindParticipantRegistered:    "participant_registered",
	KindGovernance:               "governance",
	KindProposalSubmitted:        "proposal_submitted",
	KindVoteCast:                 "vote_cast",
	KindProposalClosed:           "proposal_closed",
	KindParticipantStatusChanged: "participant_status_changed",
	KindKeyChanged:               "key_changed",
	KindDepartmentChanged:        "department_changed",
	KindAccreditationChanged:     "accreditation_changed",
	KindQuorumChanged:            "quorum_changed",
	KindEPCISEvent:               "epcis_event",
	KindAnchor:                   "anchor",
	KindAttestationIssued:        "attestation_issued",
	KindAttestationStatus:        "attestation_status",
	KindCredit:                   "credit",
	KindRecall:                   "recall",
	KindComplaint:                "complaint",
	KindViolation:                "violation",
	KindEncryptionKeyChanged:     "encryption_key_changed",
	KindDisclosure:               "disclosure",
	KindDisclosureRequest:        "disclosure_request",
	KindDisclosureRefused:        "disclosure_refused",
	KindDisclosureOther:          "disclosure_other",
}

// String returns the kind's stable name, e.g. "attestation_issued".
func (k RecordKind) String() string {
	if int(k) < len(recordKindNames) {
		return recordKindNames[k]
	}
	return fmt.Sprintf("kind_%d", uint8(k))
}

// RecordKinds returns every kind in table order.
func RecordKinds() []RecordKind {
	out := make([]RecordKind, len(recordKindNames))
	for i := range out {
		out[i] = RecordKind(i)
	}
	return out
}

// RecordKindByName returns the kind whose stable name is name.
func RecordKindByName(name string) (RecordKind, bool) {
	for i, n := range recordKindNames {
		if n == name {
			return RecordKind(i), true
		}
	}
	return KindUnknown, false
}

// KindOf returns the kind of r's body; this is the one place that maps
// record bodies to kinds.
func KindOf(r *Record) RecordKind {
	switch b := r.GetBody().(type) {
	case nil:
		return KindEmpty
	case *Record_Event:
		return KindEvent
	case *Record_ParticipantRegistered:
		return KindParticipantRegistered
	case *Record_Governance:
		return governanceKind(b.Governance)
	case *Record_Epcis:
		return KindEPCISEvent
	case *Record_Anchor:
		return KindAnchor
	case *Record_Attestation:
		if b.Attestation.GetIssued() != nil {
			return KindAttestationIssued
		}
		return KindAttestationStatus
	case *Record_Credit:
		switch b.Credit.GetBody().(type) {
		case *CreditRecord_Recall:
			return KindRecall
		case *CreditRecord_Complaint:
			return KindComplaint
		case *CreditRecord_Violation:
			return KindViolation
		}
		return KindCredit
	case *Record_Disclosure:
		switch b.Disclosure.GetBody().(type) {
		case *DisclosureRecord_EncryptionKey:
			return KindEncryptionKeyChanged
		case *DisclosureRecord_Disclosure:
			return KindDisclosure
		case *DisclosureRecord_Request:
			return KindDisclosureRequest
		case *DisclosureRecord_Refused:
			return KindDisclosureRefused
		}
		return KindDisclosureOther
	}
	return KindUnknown
}

func governanceKind(g *GovernanceRecord) RecordKind {
	switch g.GetBody().(type) {
	case *GovernanceRecord_ProposalSubmitted:
		return KindProposalSubmitted
	case *GovernanceRecord_VoteCast:
		return KindVoteCast
	case *GovernanceRecord_ProposalClosed:
		return KindProposalClosed
	case *GovernanceRecord_ParticipantStatusChanged:
		return KindParticipantStatusChanged
	case *GovernanceRecord_KeyChanged:
		return KindKeyChanged
	case *GovernanceRecord_DepartmentChanged:
		return KindDepartmentChanged
	case *GovernanceRecord_AccreditationChanged:
		return KindAccreditationChanged
	case *GovernanceRecord_QuorumChanged:
		return KindQuorumChanged
	}
	return KindGovernance
}
