// SPDX-License-Identifier: Apache-2.0

package app

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/cometbft/cometbft/types"

	"github.com/traceledger/traceledger/genesis"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Proposals: the lifecycle is submit -> vote* -> passed | failed | expired;
// a passed proposal executes once at the end of the block it passed in
// (executed, or execution_failed when its change is no longer valid then).

// ---------------------------------------------------------------- validation

func validateSubmitProposal(s *tlv1.SubmitProposal) error {
	const f = "submit_proposal"
	if s == nil {
		return rejectf(tlv1.CodeInvalidMessage, "%s is empty", f)
	}
	if err := checkText(f+".title", s.Title, 1, maxTitleBytes); err != nil {
		return err
	}
	if s.DeadlineHeight < 0 {
		return rejectf(tlv1.CodeInvalidMessage, "%s.deadline_height must not be negative, got %d", f, s.DeadlineHeight)
	}
	if s.Change == nil || s.Change.Change == nil {
		return rejectf(tlv1.CodeInvalidMessage, "%s.change is empty: say what the proposal changes", f)
	}
	return validateChange(f+".change", s.Change)
}

// changeHandler is the state machine's part of a proposal kind: its
// stateless checks and how it is applied. The kinds, their names and
// descriptions are tlv1.ProposalKinds; TestChangeHandlersCoverEveryKind
// checks that each has an entry here.
type changeHandler struct {
	validate func(field string, ch *tlv1.ProposalChange) error
	apply    func(x *changeCtx, ch *tlv1.ProposalChange) ([]*tlv1.ValidatorPower, error)
}

// changeHandlers maps each kind's name to its handler (read-only).
var changeHandlers = map[string]changeHandler{
	"add_department": {validateAddDepartment, func(x *changeCtx, ch *tlv1.ProposalChange) ([]*tlv1.ValidatorPower, error) {
		return applyAddDepartment(x, ch.GetAddDepartment())
	}},
	"remove_department": {validateRemoveDepartment, func(x *changeCtx, ch *tlv1.ProposalChange) ([]*tlv1.ValidatorPower, error) {
		return applyRemoveDepartment(x, ch.GetRemoveDepartment())
	}},
	"set_validator_power":    {validateSetValidatorPower, applySetValidatorPower},
	"set_quorum":             {validateSetQuorum, applySetQuorum},
	"accredit_certifier":     {validateAccreditCertifier, applyAccreditCertifier},
	"suspend_accreditation":  {validateSuspendAccreditation, applySuspendAccreditation},
	"withdraw_accreditation": {validateWithdrawAccreditation, applyWithdrawAccreditation},
	"schedule_upgrade":       {validateScheduleUpgrade, applyScheduleUpgrade}, // app/upgrade.go
}

// changeHandlerOf returns the handler and name of ch's kind.
func changeHandlerOf(ch *tlv1.ProposalChange) (changeHandler, string, bool) {
	k, ok := tlv1.ProposalKindOf(ch)
	if !ok {
		return changeHandler{}, "", false
	}
	h, ok := changeHandlers[k.Name]
	return h, k.Name, ok
}

// changeName is the stable name of a change kind, for messages.
func changeName(ch *tlv1.ProposalChange) string { return tlv1.ProposalKindName(ch) }

func checkPower(field string, p int64) error {
	if p <= 0 || p > types.MaxTotalVotingPower {
		return rejectf(tlv1.CodeInvalidMessage, "%s must be 1 to %d, got %d", field, types.MaxTotalVotingPower, p)
	}
	return nil
}

// validateChange runs the stateless checks of a proposal's change.
func validateChange(f string, ch *tlv1.ProposalChange) error {
	h, name, ok := changeHandlerOf(ch)
	if !ok {
		return rejectf(tlv1.CodeInvalidMessage, "%s: unknown change kind %T", f, ch.Change)
	}
	return h.validate(f+"."+name, ch)
}

func validateAddDepartment(f string, ch *tlv1.ProposalChange) error {
	d := ch.GetAddDepartment()
	if d == nil {
		return rejectf(tlv1.CodeInvalidMessage, "%s is empty", f)
	}
	if err := checkID(f+".id", d.Id); err != nil {
		return err
	}
	if reservedID(d.Id) {
		return rejectf(tlv1.CodeInvalidMessage, "%s.id %q is reserved", f, d.Id)
	}
	if err := checkText(f+".name", d.Name, 1, genesis.MaxNameLen); err != nil {
		return err
	}
	if err := checkPubKey(f+".validator_pub_key", d.ValidatorPubKey); err != nil {
		return err
	}
	if err := checkPower(f+".power", d.Power); err != nil {
		return err
	}
	if err := checkKeyList(f+".admin_keys", d.AdminKeys); err != nil {
		return err
	}
	for i, k := range d.AdminKeys {
		if bytes.Equal(k, d.ValidatorPubKey) {
			return rejectf(tlv1.CodeInvalidMessage, "%s.admin_keys[%d] is the validator key: admin keys must be separate from it", f, i)
		}
	}
	if d.DivisionCode != "" {
		if err := genesis.ValidateDivisionCode(d.DivisionCode); err != nil {
			return rejectf(tlv1.CodeInvalidMessage, "%s.division_code: %v", f, err)
		}
	}
	return nil
}

func validateRemoveDepartment(f string, ch *tlv1.ProposalChange) error {
	d := ch.GetRemoveDepartment()
	if d == nil {
		return rejectf(tlv1.CodeInvalidMessage, "%s is empty", f)
	}
	if err := checkID(f+".department", d.Department); err != nil {
		return err
	}
	if err := checkID(f+".successor", d.Successor); err != nil {
		return err
	}
	if d.Successor == d.Department {
		return rejectf(tlv1.CodeInvalidMessage, "%s.successor is the department being removed", f)
	}
	return nil
}

func validateSetValidatorPower(f string, ch *tlv1.ProposalChange) error {
	d := ch.GetSetValidatorPower()
	if d == nil {
		return rejectf(tlv1.CodeInvalidMessage, "%s is empty", f)
	}
	if err := checkID(f+".department", d.Department); err != nil {
		return err
	}
	if d.Power == 0 {
		return rejectf(tlv1.CodeInvalidMessage, "%s.power is 0: to take a department's validator out, propose remove_department", f)
	}
	if err := checkPower(f+".power", d.Power); err != nil {
		return err
	}
	return nil
}

func validateSetQuorum(f string, ch *tlv1.ProposalChange) error {
	q := ch.GetSetQuorum()
	if q == nil {
		return rejectf(tlv1.CodeInvalidMessage, "%s is empty", f)
	}
	if err := genesis.ValidateQuorum(q.Numerator, q.Denominator); err != nil {
		return rejectf(tlv1.CodeInvalidMessage, "%s: %v", f, err)
	}
	return nil
}

func validateAccreditCertifier(f string, ch *tlv1.ProposalChange) error {
	a := ch.GetAccreditCertifier()
	if a == nil {
		return rejectf(tlv1.CodeInvalidMessage, "%s is empty", f)
	}
	if err := checkID(f+".certifier", a.Certifier); err != nil {
		return err
	}
	if len(a.Schemes) == 0 || len(a.Schemes) > maxSchemes {
		return rejectf(tlv1.CodeInvalidMessage, "%s.schemes has %d entries, want 1 to %d", f, len(a.Schemes), maxSchemes)
	}
	for i, s := range a.Schemes {
		if err := checkToken(fmt.Sprintf("%s.schemes[%d]", f, i), s, maxSchemeBytes); err != nil {
			return err
		}
		if slices.Index(a.Schemes, s) != i {
			return rejectf(tlv1.CodeInvalidMessage, "%s.schemes[%d] %q is listed twice", f, i, s)
		}
	}
	if err := checkText(f+".accreditation_number", a.AccreditationNumber, 1, maxAccreditationNum); err != nil {
		return err
	}
	if a.ValidFromMs < 0 || a.ValidUntilMs <= a.ValidFromMs {
		return rejectf(tlv1.CodeInvalidMessage, "%s: validity must be 0 <= valid_from_ms < valid_until_ms, got %d to %d", f, a.ValidFromMs, a.ValidUntilMs)
	}
	return nil
}

func validateSuspendAccreditation(f string, ch *tlv1.ProposalChange) error {
	a := ch.GetSuspendAccreditation()
	if a == nil {
		return rejectf(tlv1.CodeInvalidMessage, "%s is empty", f)
	}
	if err := checkID(f+".certifier", a.Certifier); err != nil {
		return err
	}
	return checkText(f+".reason", a.Reason, 1, maxReasonBytes)
}

func validateWithdrawAccreditation(f string, ch *tlv1.ProposalChange) error {
	a := ch.GetWithdrawAccreditation()
	if a == nil {
		return rejectf(tlv1.CodeInvalidMessage, "%s is empty", f)
	}
	if err := checkID(f+".certifier", a.Certifier); err != nil {
		return err
	}
	return checkText(f+".reason", a.Reason, 1, maxReasonBytes)
}

func validateVote(v *tlv1.Vote) error {
	if v == nil {
		return rejectf(tlv1.CodeInvalidMessage, "vote is empty")
	}
	if v.ProposalId == 0 {
		return rejectf(tlv1.CodeInvalidMessage, "vote.proposal_id is required (ids start at 1)")
	}
	if v.Option != tlv1.VOTE_OPTION_YES && v.Option != tlv1.VOTE_OPTION_NO {
		return rejectf(tlv1.CodeInvalidMessage, "vote.option must be VOTE_OPTION_YES or VOTE_OPTION_NO, got %s", v.Option)
	}
	return nil
}

// ---------------------------------------------------------------- applying changes

// changeCtx is where a proposal's change is applied: the overlay, the block
// and the proposal. At submission the change is applied to a scratch
// overlay that is thrown away (the same checks as at execution); at the end
// of the block it is applied for real.
type changeCtx struct {
	o          *overlay
	height     int64
	timeMs     int64
	proposalID uint64
	recs       []recordedEvent
}

func (x *changeCtx) record() *tlv1.Record {
	return &tlv1.Record{Height: x.height, TimeMs: x.timeMs, Signer: tlv1.ProposalSubject(x.proposalID)}
}

func (x *changeCtx) appendGov(g *tlv1.GovernanceRecord, subjects ...string) error {
	rec := x.record()
	rec.Body = &tlv1.Record_Governance{Governance: g}
	idx, err := x.o.appendRecord(rec, subjects)
	if err != nil {
		return err
	}
	x.recs = append(x.recs, recordedEvent{index: idx, subjects: subjects})
	return nil
}

// setDepartments writes the active department set.
func setDepartments(o *overlay, ids []string) error {
	slices.Sort(ids)
	return putProto(o, tlv1.KeyDepartments, &tlv1.DepartmentSet{Ids: ids})
}

// applyChange applies ch and returns the validator updates it makes.
// Rejections carry their code; other errors are node failures.
func applyChange(x *changeCtx, ch *tlv1.ProposalChange) ([]*tlv1.ValidatorPower, error) {
	h, _, ok := changeHandlerOf(ch)
	if !ok {
		return nil, rejectf(tlv1.CodeInvalidMessage, "unknown change kind %T", ch.Change)
	}
	return h.apply(x, ch)
}

func applySetValidatorPower(x *changeCtx, ch *tlv1.ProposalChange) ([]*tlv1.ValidatorPower, error) {
	ps := tlv1.ProposalSubject(x.proposalID)
	s := ch.GetSetValidatorPower()
	d, err := getActiveDepartment(x.o, s.Department)
	if err != nil {
		return nil, err
	}
	if d.Power == s.Power {
		return nil, rejectf(tlv1.CodeInvalidMessage, "department %q already has power %d", d.Id, d.Power)
	}
	depts, err := activeDepartments(x.o)
	if err != nil {
		return nil, err
	}
	_, _, total, _ := concentration(depts)
	if total-d.Power > types.MaxTotalVotingPower-s.Power {
		return nil, rejectf(tlv1.CodeInvalidMessage, "power %d would bring the total voting power above %d", s.Power, types.MaxTotalVotingPower)
	}
	prev := d.Power
	d.Power, d.ProposalId = s.Power, x.proposalID
	if err := putProto(x.o, tlv1.DepartmentKey(d.Id), d); err != nil {
		return nil, err
	}
	err = x.appendGov(&tlv1.GovernanceRecord{Body: &tlv1.GovernanceRecord_DepartmentChanged{DepartmentChanged: &tlv1.DepartmentChanged{
		ProposalId: x.proposalID, Department: d, PreviousPower: prev}}}, ps, tlv1.ParticipantSubject(d.Id), tlv1.ValidatorsSubject)
	if err != nil {
		return nil, err
	}
	return []*tlv1.ValidatorPower{{Department: d.Id, PubKey: d.ValidatorPubKey, Power: d.Power}}, nil
}

func applySetQuorum(x *changeCtx, ch *tlv1.ProposalChange) ([]*tlv1.ValidatorPower, error) {
	ps := tlv1.ProposalSubject(x.proposalID)
	q := ch.GetSetQuorum()
	bz, err := x.o.mapValue(tlv1.KeyParams)
	if err != nil {
		return nil, err
	}
	params, err := decodeParams(bz)
	if err != nil {
		return nil, err
	}
	if params.QuorumNumerator == q.Numerator && params.QuorumDenominator == q.Denominator {
		return nil, rejectf(tlv1.CodeInvalidMessage, "the quorum is already %d/%d", q.Numerator, q.Denominator)
	}
	qc := &tlv1.QuorumChanged{ProposalId: x.proposalID, Numerator: q.Numerator, Denominator: q.Denominator,
		PreviousNumerator: params.QuorumNumerator, PreviousDenominator: params.QuorumDenominator}
	params.QuorumNumerator, params.QuorumDenominator = q.Numerator, q.Denominator
	nb, err := encodeParams(params)
	if err != nil {
		return nil, err
	}
	x.o.set(tlv1.KeyParams, nb)
	return nil, x.appendGov(&tlv1.GovernanceRecord{Body: &tlv1.GovernanceRecord_QuorumChanged{QuorumChanged: qc}}, ps, tlv1.ParamsSubject)
}

func applyAccreditCertifier(x *changeCtx, ch *tlv1.ProposalChange) ([]*tlv1.ValidatorPower, error) {
	a := ch.GetAccreditCertifier()
	return nil, changeAccreditation(x, a.Certifier, func(p *tlv1.Participant) error {
		p.Accreditation = &tlv1.Accreditation{Schemes: a.Schemes, AccreditationNumber: a.AccreditationNumber,
			ValidFromMs: a.ValidFromMs, ValidUntilMs: a.ValidUntilMs, Status: tlv1.ACCREDITATION_STATUS_ACTIVE, ProposalId: x.proposalID}
		return nil
	})
}

func applySuspendAccreditation(x *changeCtx, ch *tlv1.ProposalChange) ([]*tlv1.ValidatorPower, error) {
	a := ch.GetSuspendAccreditation()
	return nil, changeAccreditation(x, a.Certifier, func(p *tlv1.Participant) error {
		if p.Accreditation == nil || p.Accreditation.Status != tlv1.ACCREDITATION_STATUS_ACTIVE {
			return rejectf(tlv1.CodeAccreditationState, "certifier %q has no active accreditation to suspend (%s)", p.Id, accreditationStatus(p))
		}
		p.Accreditation.Status, p.Accreditation.Reason, p.Accreditation.ProposalId = tlv1.ACCREDITATION_STATUS_SUSPENDED, a.Reason, x.proposalID
		return nil
	})
}

func applyWithdrawAccreditation(x *changeCtx, ch *tlv1.ProposalChange) ([]*tlv1.ValidatorPower, error) {
	a := ch.GetWithdrawAccreditation()
	return nil, changeAccreditation(x, a.Certifier, func(p *tlv1.Participant) error {
		if p.Accreditation == nil || (p.Accreditation.Status != tlv1.ACCREDITATION_STATUS_ACTIVE && p.Accreditation.Status != tlv1.ACCREDITATION_STATUS_SUSPENDED) {
			return rejectf(tlv1.CodeAccreditationState, "certifier %q has no active or suspended accreditation to withdraw (%s)", p.Id, accreditationStatus(p))
		}
		p.Accreditation.Status, p.Accreditation.Reason, p.Accreditation.ProposalId = tlv1.ACCREDITATION_STATUS_WITHDRAWN, a.Reason, x.proposalID
		return nil
	})
}

func accreditationStatus(p *tlv1.Participant) string {
	if p.Accreditation == nil {
		return "none"
	}
	return p.Accreditation.Status.String()
}

// changeAccreditation edits a certifier's accreditation with edit and
// records it.
func changeAccreditation(x *changeCtx, id string, edit func(*tlv1.Participant) error) error {
	p, err := getParticipant(x.o, id)
	if err != nil {
		return err
	}
	if p.Role != tlv1.ROLE_CERTIFIER {
		return rejectf(tlv1.CodeNotACertifier, "%q is a %s, not a certifier", id, tlv1.RoleName(p.Role))
	}
	if err := edit(p); err != nil {
		return err
	}
	if err := putProto(x.o, tlv1.ParticipantKey(id), p); err != nil {
		return err
	}
	return x.appendGov(&tlv1.GovernanceRecord{Body: &tlv1.GovernanceRecord_AccreditationChanged{AccreditationChanged: &tlv1.AccreditationChanged{
		ProposalId: x.proposalID, Certifier: id, Accreditation: p.Accreditation}}}, tlv1.ProposalSubject(x.proposalID), tlv1.ParticipantSubject(id))
}

func applyAddDepartment(x *changeCtx, a *tlv1.AddDepartment) ([]*tlv1.ValidatorPower, error) {
	const f = "add_department"
	if v, err := x.o.mapValue(tlv1.ParticipantKey(a.Id)); err != nil {
		return nil, err
	} else if v != nil {
		return nil, rejectf(tlv1.CodeDuplicateParticipant, "%s.id %q is already registered", f, a.Id)
	}
	if v, err := x.o.mapValue(tlv1.DepartmentKey(a.Id)); err != nil {
		return nil, err
	} else if v != nil {
		return nil, rejectf(tlv1.CodeDuplicateParticipant, "%s.id %q was a department before; department ids are never reused", f, a.Id)
	}
	for i, k := range a.AdminKeys {
		if err := checkNewKey(x.o, fmt.Sprintf("%s.admin_keys[%d]", f, i), k); err != nil {
			return nil, err
		}
	}
	depts, err := activeDepartments(x.o)
	if err != nil {
		return nil, err
	}
	var total int64
	ids := make([]string, 0, len(depts)+1)
	if dept, err := x.o.mapValue(tlv1.ValidatorKeyKey(a.ValidatorPubKey)); err != nil {
		return nil, err
	} else if dept != nil {
		return nil, rejectf(tlv1.CodeDuplicateKey, "%s.validator_pub_key is (or was) the validator key of department %q", f, dept)
	}
	if v, err := x.o.mapValue(tlv1.KeyKey(tlv1.KeyID(a.ValidatorPubKey))); err != nil {
		return nil, err
	} else if v != nil {
		return nil, rejectf(tlv1.CodeDuplicateKey, "%s.validator_pub_key is a participant's signing key", f)
	}
	for _, d := range depts {
		total += d.Power
		ids = append(ids, d.Id)
	}
	if a.Power > types.MaxTotalVotingPower-total {
		return nil, rejectf(tlv1.CodeInvalidMessage, "%s.power %d would bring the total voting power above %d", f, a.Power, types.MaxTotalVotingPower)
	}
	p := &tlv1.Participant{Id: a.Id, Name: a.Name, Role: tlv1.ROLE_DEPARTMENT, Department: a.Id, DivisionCode: a.DivisionCode}
	idx, err := register(x.o, p, a.AdminKeys, x.record(), x.height)
	if err != nil {
		return nil, err
	}
	x.recs = append(x.recs, recordedEvent{index: idx, subjects: []string{tlv1.ParticipantSubject(a.Id)}})
	recordValidatorKey(x.o, a.ValidatorPubKey, a.Id)
	d := &tlv1.Department{Id: a.Id, ValidatorPubKey: a.ValidatorPubKey, Power: a.Power, Status: tlv1.DEPARTMENT_STATUS_ACTIVE,
		JoinedHeight: x.height, ProposalId: x.proposalID}
	if err := putProto(x.o, tlv1.DepartmentKey(a.Id), d); err != nil {
		return nil, err
	}
	if err := setDepartments(x.o, append(ids, a.Id)); err != nil {
		return nil, err
	}
	err = x.appendGov(&tlv1.GovernanceRecord{Body: &tlv1.GovernanceRecord_DepartmentChanged{DepartmentChanged: &tlv1.DepartmentChanged{
		ProposalId: x.proposalID, Department: d}}}, tlv1.ProposalSubject(x.proposalID), tlv1.ParticipantSubject(a.Id), tlv1.ValidatorsSubject)
	if err != nil {
		return nil, err
	}
	return []*tlv1.ValidatorPower{{Department: d.Id, PubKey: d.ValidatorPubKey, Power: d.Power}}, nil
}

func applyRemoveDepartment(x *changeCtx, r *tlv1.RemoveDepartment) ([]*tlv1.ValidatorPower, error) {
	const f = "remove_department"
	d, err := getActiveDepartment(x.o, r.Department)
	if err != nil {
		return nil, wrapReject(f+".department", err)
	}
	depts, err := activeDepartments(x.o)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(depts))
	for _, o := range depts {
		if o.Id != d.Id {
			ids = append(ids, o.Id)
		}
	}
	if len(ids) == 0 {
		return nil, rejectf(tlv1.CodeNoValidatorLeft, "%s: %q is the last department; the network would have no validator", f, d.Id)
	}
	if _, err := getActiveDepartment(x.o, r.Successor); err != nil {
		return nil, wrapReject(f+".successor", err)
	}
	prev := d.Power
	d.Status, d.Successor, d.RemovedHeight, d.ProposalId, d.Power = tlv1.DEPARTMENT_STATUS_REMOVED, r.Successor, x.height, x.proposalID, 0
	if err := putProto(x.o, tlv1.DepartmentKey(d.Id), d); err != nil {
		return nil, err
	}
	if err := setDepartments(x.o, ids); err != nil {
		return nil, err
	}
	p, err := getParticipant(x.o, d.Id)
	if err != nil {
		return nil, err
	}
	from := p.Status
	reason := "removed by proposal " + strconv.FormatUint(x.proposalID, 10) + "; successor " + r.Successor
	p.Status, p.StatusReason, p.StatusHeight = tlv1.PARTICIPANT_STATUS_REMOVED, reason, x.height
	if err := putProto(x.o, tlv1.ParticipantKey(d.Id), p); err != nil {
		return nil, err
	}
	ps := tlv1.ProposalSubject(x.proposalID)
	err = x.appendGov(&tlv1.GovernanceRecord{Body: &tlv1.GovernanceRecord_ParticipantStatusChanged{ParticipantStatusChanged: &tlv1.ParticipantStatusChanged{
		Participant: d.Id, From: from, To: p.Status, Reason: reason, By: ps}}}, tlv1.ParticipantSubject(d.Id))
	if err != nil {
		return nil, err
	}
	err = x.appendGov(&tlv1.GovernanceRecord{Body: &tlv1.GovernanceRecord_DepartmentChanged{DepartmentChanged: &tlv1.DepartmentChanged{
		ProposalId: x.proposalID, Department: d, PreviousPower: prev}}}, ps, tlv1.ParticipantSubject(d.Id), tlv1.ValidatorsSubject)
	if err != nil {
		return nil, err
	}
	return []*tlv1.ValidatorPower{{Department: d.Id, PubKey: d.ValidatorPubKey, Power: 0}}, nil
}

// errMsg is the message of a rejection without its code prefix.
func errMsg(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Msg
	}
	return err.Error()
}

// checkConcentration reports a rejection when the active departments in o
// give one department 1/3 or more of the power.
func checkConcentration(o *overlay) error {
	depts, err := activeDepartments(o)
	if err != nil {
		return err
	}
	if top, power, total, c := concentration(depts); c {
		return rejectf(tlv1.CodePowerConcentration, "after the change department %q would hold %d of %d voting power (1/3 or more)", top, power, total)
	}
	return nil
}

// ---------------------------------------------------------------- submit and vote

func execSubmitProposal(c *execCtx, s *tlv1.SubmitProposal) ([]recordedEvent, error) {
	const f = "submit_proposal"
	deadline := s.DeadlineHeight
	if deadline == 0 {
		deadline = c.height + DefaultVotingPeriod
	}
	if deadline <= c.height || deadline-c.height > MaxVotingPeriod {
		return nil, rejectf(tlv1.CodeInvalidMessage, "%s.deadline_height %d must be after the current height %d and at most %d blocks after it", f, deadline, c.height, MaxVotingPeriod)
	}
	var gs tlv1.GovernanceState
	if _, err := getProto(c.o, tlv1.KeyGovernanceState, &gs); err != nil {
		return nil, err
	}
	if gs.NextProposalId == 0 {
		gs.NextProposalId = 1
	}
	id := gs.NextProposalId

	// Try the change now, on a scratch overlay: a change that could not
	// execute is rejected at once.
	scratch := newOverlay(c.o, c.o.nextIndex())
	ups, err := applyChange(&changeCtx{o: scratch, height: c.height, timeMs: c.timeMs, proposalID: id}, s.Change)
	if err != nil {
		return nil, wrapReject(f+".change", err)
	}
	unanimous := false
	if len(ups) > 0 {
		if err := checkConcentration(scratch); err != nil {
			if CodeOf(err) != tlv1.CodePowerConcentration {
				return nil, err
			}
			if !s.AllowPowerConcentration {
				return nil, wrapReject(f, rejectf(tlv1.CodePowerConcentration, "%s; set allow_power_concentration to submit it anyway: it then passes only with every department's yes vote", errMsg(err)))
			}
			unanimous = true
		}
	}

	depts, err := activeDepartments(c.o)
	if err != nil {
		return nil, err
	}
	var excluded string
	if r := s.Change.GetRemoveDepartment(); r != nil {
		excluded = r.Department
	}
	electorate := make([]string, 0, len(depts))
	for _, d := range depts {
		if d.Id != excluded {
			electorate = append(electorate, d.Id)
		}
	}
	if len(electorate) == 0 {
		return nil, rejectf(tlv1.CodeNoValidatorLeft, "%s: no department could vote on it", f)
	}
	num, den := c.params.QuorumNumerator, c.params.QuorumDenominator
	p := &tlv1.Proposal{
		Id: id, Proposer: c.signer.Id, ProposerKey: c.signerKey, Title: s.Title, Change: s.Change,
		SubmitHeight: c.height, DeadlineHeight: deadline, Electorate: electorate,
		QuorumNumerator: num, QuorumDenominator: den, Unanimous: unanimous,
		RequiredYes: requiredYes(len(electorate), num, den, unanimous), Status: tlv1.PROPOSAL_STATUS_OPEN,
	}
	gs.NextProposalId++
	if err := putProto(c.o, tlv1.KeyGovernanceState, &gs); err != nil {
		return nil, err
	}
	if err := putProto(c.o, tlv1.ProposalKey(id), p); err != nil {
		return nil, err
	}
	var due tlv1.ProposalIDs
	if _, err := getProto(c.o, tlv1.DeadlineKey(deadline), &due); err != nil {
		return nil, err
	}
	due.Ids = append(due.Ids, id) // ids only grow, so the list stays sorted
	if err := putProto(c.o, tlv1.DeadlineKey(deadline), &due); err != nil {
		return nil, err
	}
	rec := c.record()
	rec.Body = &tlv1.Record_Governance{Governance: &tlv1.GovernanceRecord{Body: &tlv1.GovernanceRecord_ProposalSubmitted{ProposalSubmitted: p}}}
	subjects := []string{tlv1.ProposalSubject(id)}
	idx, err := c.o.appendRecord(rec, subjects)
	if err != nil {
		return nil, err
	}
	return []recordedEvent{{index: idx, subjects: subjects}}, nil
}

func getProposal(r mapReader, id uint64) (*tlv1.Proposal, error) {
	var p tlv1.Proposal
	found, err := getProto(r, tlv1.ProposalKey(id), &p)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, rejectf(tlv1.CodeProposalNotFound, "proposal %d does not exist", id)
	}
	return &p, nil
}

func execVote(c *execCtx, v *tlv1.Vote) ([]recordedEvent, error) {
	p, err := getProposal(c.o, v.ProposalId)
	if err != nil {
		return nil, err
	}
	dept := c.signer.Id
	switch {
	case p.Status == tlv1.PROPOSAL_STATUS_EXPIRED || (p.Status == tlv1.PROPOSAL_STATUS_OPEN && c.height > p.DeadlineHeight):
		return nil, rejectf(tlv1.CodeProposalExpired, "proposal %d expired: its deadline was height %d, this is %d", p.Id, p.DeadlineHeight, c.height)
	case p.Status != tlv1.PROPOSAL_STATUS_OPEN:
		return nil, rejectf(tlv1.CodeProposalClosed, "proposal %d is %s (at height %d) and takes no more votes", p.Id, p.Status, p.ClosedHeight)
	case !slices.Contains(p.Electorate, dept):
		return nil, rejectf(tlv1.CodeNotInElectorate, "department %q is not in the electorate of proposal %d (%s)", dept, p.Id, strings.Join(p.Electorate, ", "))
	}
	var prev tlv1.VoteValue
	if found, err := getProto(c.o, tlv1.VoteKey(p.Id, dept), &prev); err != nil {
		return nil, err
	} else if found {
		return nil, rejectf(tlv1.CodeAlreadyVoted, "department %q already voted %s on proposal %d at height %d", dept, prev.Option, p.Id, prev.Height)
	}
	if err := putProto(c.o, tlv1.VoteKey(p.Id, dept), &tlv1.VoteValue{ProposalId: p.Id, Department: dept, Option: v.Option, Height: c.height, KeyId: c.signerKey}); err != nil {
		return nil, err
	}
	if v.Option == tlv1.VOTE_OPTION_YES {
		p.Yes++
	} else {
		p.No++
	}
	n := uint32(len(p.Electorate))
	switch {
	case p.Yes >= p.RequiredYes:
		p.Status, p.ClosedHeight = tlv1.PROPOSAL_STATUS_PASSED, c.height
	case p.Yes+(n-p.Yes-p.No) < p.RequiredYes:
		p.Status, p.ClosedHeight = tlv1.PROPOSAL_STATUS_FAILED, c.height
		p.Result = fmt.Sprintf("failed: %d no votes of %d; it can no longer reach the %d yes votes it needs", p.No, n, p.RequiredYes)
	}
	if err := putProto(c.o, tlv1.ProposalKey(p.Id), p); err != nil {
		return nil, err
	}
	subjects := []string{tlv1.ProposalSubject(p.Id)}
	rec := c.record()
	rec.Body = &tlv1.Record_Governance{Governance: &tlv1.GovernanceRecord{Body: &tlv1.GovernanceRecord_VoteCast{VoteCast: &tlv1.VoteCast{
		ProposalId: p.Id, Department: dept, Option: v.Option, Yes: p.Yes, No: p.No, RequiredYes: p.RequiredYes, ElectorateSize: n, Status: p.Status}}}}
	idx, err := c.o.appendRecord(rec, subjects)
	if err != nil {
		return nil, err
	}
	out := []recordedEvent{{index: idx, subjects: subjects}}
	if p.Status == tlv1.PROPOSAL_STATUS_FAILED {
		rec := c.record()
		rec.Body = &tlv1.Record_Governance{Governance: &tlv1.GovernanceRecord{Body: &tlv1.GovernanceRecord_ProposalClosed{ProposalClosed: &tlv1.ProposalClosed{
			ProposalId: p.Id, Status: p.Status, Result: p.Result}}}}
		idx, err := c.o.appendRecord(rec, subjects)
		if err != nil {
			return nil, err
		}
		out = append(out, recordedEvent{index: idx, subjects: subjects})
	}
	return out, nil
}

// ---------------------------------------------------------------- end of block

// passedInBlock returns the proposals that passed in this block and have
// not executed, in id order. A proposal passes only by a vote, which writes
// it, so they are all among the block's writes.
func passedInBlock(o *overlay) ([]*tlv1.Proposal, error) {
	var out []*tlv1.Proposal
	for k, v := range o.writes {
		if !strings.HasPrefix(k, tlv1.PrefixProposal) || v == nil {
			continue
		}
		var p tlv1.Proposal
		if err := p.Unmarshal(v); err != nil {
			return nil, fmt.Errorf("decode %s: %w", k, err)
		}
		if p.Status == tlv1.PROPOSAL_STATUS_PASSED && p.ExecutedHeight == 0 {
			out = append(out, &p)
		}
	}
	slices.SortFunc(out, func(a, b *tlv1.Proposal) int {
		switch {
		case a.Id < b.Id:
			return -1
		case a.Id > b.Id:
			return 1
		}
		return 0
	})
	return out, nil
}

// executeProposal applies a passed proposal's change atomically: either all
// of it, or (when it is no longer valid) nothing but the record of the
// failure.
func executeProposal(c *blockCtx, p *tlv1.Proposal) ([]*tlv1.ValidatorPower, []recordedEvent, error) {
	x := &changeCtx{o: newOverlay(c.o, c.o.nextIndex()), height: c.height, timeMs: c.timeMs, proposalID: p.Id}
	ups, err := applyChange(x, p.Change)
	if err == nil && len(ups) > 0 && !p.Unanimous {
		err = checkConcentration(x.o)
		if err != nil && CodeOf(err) == tlv1.CodePowerConcentration {
			err = rejectf(tlv1.CodePowerConcentration, "%s, and the proposal was not approved unanimously", errMsg(err))
		}
	}
	var recs []recordedEvent
	if err == nil {
		x.o.mergeInto(c.o)
		recs = x.recs
		p.Status, p.Result = tlv1.PROPOSAL_STATUS_EXECUTED, ""
	} else {
		if CodeOf(err) == tlv1.CodeInternal {
			return nil, nil, err
		}
		ups = nil
		p.Status, p.Result = tlv1.PROPOSAL_STATUS_EXECUTION_FAILED, "not executed: "+err.Error()
	}
	p.ExecutedHeight = c.height
	if err := putProto(c.o, tlv1.ProposalKey(p.Id), p); err != nil {
		return nil, nil, err
	}
	x2 := &changeCtx{o: c.o, height: c.height, timeMs: c.timeMs, proposalID: p.Id}
	err = x2.appendGov(&tlv1.GovernanceRecord{Body: &tlv1.GovernanceRecord_ProposalClosed{ProposalClosed: &tlv1.ProposalClosed{
		ProposalId: p.Id, Status: p.Status, Result: p.Result, ValidatorUpdates: ups}}}, tlv1.ProposalSubject(p.Id))
	if err != nil {
		return nil, nil, err
	}
	return ups, append(recs, x2.recs...), nil
}

// expireProposals closes the proposals still open at the end of their
// deadline block.
func expireProposals(c *blockCtx) ([]recordedEvent, error) {
	var due tlv1.ProposalIDs
	found, err := getProto(c.o, tlv1.DeadlineKey(c.height), &due)
	if err != nil || !found {
		return nil, err
	}
	var recs []recordedEvent
	for _, id := range due.Ids {
		p, err := getProposal(c.o, id)
		if err != nil {
			return nil, fmt.Errorf("deadline index names proposal %d: %w", id, err)
		}
		if p.Status != tlv1.PROPOSAL_STATUS_OPEN {
			continue
		}
		p.Status, p.ClosedHeight = tlv1.PROPOSAL_STATUS_EXPIRED, c.height
		p.Result = fmt.Sprintf("expired at height %d with %d yes and %d no of %d; %d yes votes were needed", c.height, p.Yes, p.No, len(p.Electorate), p.RequiredYes)
		if err := putProto(c.o, tlv1.ProposalKey(id), p); err != nil {
			return nil, err
		}
		x := &changeCtx{o: c.o, height: c.height, timeMs: c.timeMs, proposalID: id}
		if err := x.appendGov(&tlv1.GovernanceRecord{Body: &tlv1.GovernanceRecord_ProposalClosed{ProposalClosed: &tlv1.ProposalClosed{
			ProposalId: id, Status: p.Status, Result: p.Result}}}, tlv1.ProposalSubject(id)); err != nil {
			return nil, err
		}
		recs = append(recs, x.recs...)
	}
	c.o.set(tlv1.DeadlineKey(c.height), nil)
	return recs, nil
}
