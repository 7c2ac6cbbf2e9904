// SPDX-License-Identifier: Apache-2.0

package main

// Views of governance state and records for text and JSON output.

import (
	"fmt"
	"io"
	"time"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// formatMs is a Unix-millisecond time in RFC 3339 (UTC), or "" for 0.
func formatMs(ms int64) string {
	if ms == 0 {
		return ""
	}
	return time.UnixMilli(ms).UTC().Format(time.RFC3339)
}

type participantView struct {
	ID            string           `json:"id"`
	Name          string           `json:"name"`
	Role          string           `json:"role"`
	Department    string           `json:"department"`
	Status        string           `json:"status"`
	StatusReason  string           `json:"status_reason,omitempty"`
	CreditCode    string           `json:"credit_code,omitempty"`
	DivisionCode  string           `json:"division_code,omitempty"`
	Registered    int64            `json:"registered_height"`
	Keys          []string         `json:"keys"`
	Licences      []map[string]any `json:"licences,omitempty"`
	Accreditation map[string]any   `json:"accreditation,omitempty"`
	KeyDetails    []map[string]any `json:"key_details,omitempty"`
	Validator     map[string]any   `json:"validator,omitempty"`
}

func viewParticipant(p *tlv1.Participant) participantView {
	v := participantView{ID: p.Id, Name: p.Name, Role: roles.name(p.Role), Department: p.Department,
		Status: participantStatuses.name(p.Status), StatusReason: p.StatusReason,
		CreditCode: p.CreditCode, DivisionCode: p.DivisionCode, Registered: p.RegisteredHeight, Keys: p.Keys}
	for _, l := range p.Licences {
		v.Licences = append(v.Licences, map[string]any{"type": l.Type, "number": l.Number, "valid_from": formatMs(l.ValidFromMs), "valid_until": formatMs(l.ValidUntilMs)})
	}
	if a := p.Accreditation; a != nil {
		v.Accreditation = map[string]any{"schemes": a.Schemes, "number": a.AccreditationNumber, "valid_from": formatMs(a.ValidFromMs),
			"valid_until": formatMs(a.ValidUntilMs), "status": accreditationStatuses.name(a.Status), "proposal_id": a.ProposalId, "reason": a.Reason}
	}
	return v
}

func printParticipantLine(w io.Writer, v participantView) {
	fmt.Fprintf(w, "%-16s %-10s %-10s %-9s %-18s %s\n", v.ID, v.Role, v.Department, v.Status, v.CreditCode, v.Name)
}

type proposalView struct {
	ID          uint64            `json:"id"`
	Title       string            `json:"title"`
	Change      string            `json:"change"`
	Proposer    string            `json:"proposer"`
	Status      string            `json:"status"`
	Yes         uint32            `json:"yes"`
	No          uint32            `json:"no"`
	RequiredYes uint32            `json:"required_yes"`
	Unanimous   bool              `json:"unanimous"`
	Electorate  []string          `json:"electorate"`
	Submitted   int64             `json:"submit_height"`
	Deadline    int64             `json:"deadline_height"`
	Executed    int64             `json:"executed_height,omitempty"`
	Result      string            `json:"result,omitempty"`
	Votes       map[string]string `json:"votes,omitempty"`
}

func viewProposal(p *tlv1.Proposal) proposalView {
	return proposalView{ID: p.Id, Title: p.Title, Change: tlv1.DescribeChange(p.Change), Proposer: p.Proposer,
		Status: proposalStatuses.name(p.Status), Yes: p.Yes, No: p.No, RequiredYes: p.RequiredYes,
		Unanimous: p.Unanimous, Electorate: p.Electorate, Submitted: p.SubmitHeight, Deadline: p.DeadlineHeight,
		Executed: p.ExecutedHeight, Result: p.Result}
}

func printProposalLine(w io.Writer, v proposalView) {
	fmt.Fprintf(w, "#%-4d %-16s yes %d/%d no %d  by %-8s deadline %-8d %s\n", v.ID, v.Status, v.Yes, v.RequiredYes, v.No, v.Proposer, v.Deadline, v.Change)
}

// describeGovernanceRecord names a governance record's kind, its subject
// and a one-line summary, for `query record` and `query history`.
func describeGovernanceRecord(g *tlv1.GovernanceRecord) (kind, subject, summary string) {
	switch b := g.GetBody().(type) {
	case *tlv1.GovernanceRecord_ProposalSubmitted:
		p := b.ProposalSubmitted
		return "proposal_submitted", fmt.Sprintf("proposal %d", p.Id), fmt.Sprintf("%s; needs %d of %d yes by height %d", tlv1.DescribeChange(p.Change), p.RequiredYes, len(p.Electorate), p.DeadlineHeight)
	case *tlv1.GovernanceRecord_VoteCast:
		v := b.VoteCast
		return "vote_cast", fmt.Sprintf("proposal %d", v.ProposalId), fmt.Sprintf("%s votes %s: %d yes, %d no of %d (%d needed), %s", v.Department,
			voteOptions.name(v.Option), v.Yes, v.No, v.ElectorateSize, v.RequiredYes, proposalStatuses.name(v.Status))
	case *tlv1.GovernanceRecord_ProposalClosed:
		c := b.ProposalClosed
		summary = proposalStatuses.name(c.Status)
		if c.Result != "" {
			summary += ": " + c.Result
		}
		return "proposal_closed", fmt.Sprintf("proposal %d", c.ProposalId), summary
	case *tlv1.GovernanceRecord_ParticipantStatusChanged:
		c := b.ParticipantStatusChanged
		return "participant_status_changed", c.Participant, fmt.Sprintf("%s -> %s by %s: %s", participantStatuses.name(c.From),
			participantStatuses.name(c.To), c.By, c.Reason)
	case *tlv1.GovernanceRecord_KeyChanged:
		c := b.KeyChanged
		s := fmt.Sprintf("key %s %s by %s: %s", c.KeyId, keyActions.name(c.Action), c.By, c.Reason)
		if c.NewKeyId != "" {
			s += "; new key " + c.NewKeyId
		}
		return "key_changed", c.Participant, s
	case *tlv1.GovernanceRecord_DepartmentChanged:
		c := b.DepartmentChanged
		return "department_changed", c.Department.GetId(), fmt.Sprintf("%s, power %d -> %d (proposal %d)", departmentStatuses.name(c.Department.GetStatus()),
			c.PreviousPower, c.Department.GetPower(), c.ProposalId)
	case *tlv1.GovernanceRecord_AccreditationChanged:
		c := b.AccreditationChanged
		return "accreditation_changed", c.Certifier, fmt.Sprintf("%s %v (proposal %d)", accreditationStatuses.name(c.Accreditation.GetStatus()), c.Accreditation.GetSchemes(), c.ProposalId)
	case *tlv1.GovernanceRecord_QuorumChanged:
		c := b.QuorumChanged
		return "quorum_changed", "quorum", fmt.Sprintf("%d/%d -> %d/%d (proposal %d)", c.PreviousNumerator, c.PreviousDenominator, c.Numerator, c.Denominator, c.ProposalId)
	}
	return "governance", "", ""
}

// noteSuffix is a record's note followed by two spaces, or nothing.
func noteSuffix(note string) string {
	if note == "" {
		return ""
	}
	return note + "  "
}
