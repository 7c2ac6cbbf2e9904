// SPDX-License-Identifier: Apache-2.0

package app

// Governance and permissioned membership (issue 3; docs/GOVERNANCE.md).
//
// Departments govern the network. What belongs to one department (the
// enterprises, certifiers and auditors it supervises, and their keys) it
// manages alone with RegisterParticipant, SuspendParticipant,
// ReinstateParticipant and RevokeKey. What belongs to all (the departments
// and their validators, the quorum, certifier accreditations) changes only
// by a proposal that a quorum of departments approves: SubmitProposal and
// Vote, executed at the end of the block the proposal passed in.
//
// Map keys (values are protobufs unless noted):
//
//	department/<id>               Department (validator key, power, status)
//	gov/departments               DepartmentSet (active department ids, ascending)
//	gov/state                     GovernanceState (next proposal id)
//	gov/deadline/<height>         ProposalIDs whose voting ends at height
//	proposal/<id>                 Proposal
//	vote/<proposal id>/<dept>     VoteValue
//	creditcode/<code>             the participant id (raw bytes) holding the credit code
//
// History subjects: "participant:<id>" (registration, status, keys,
// accreditation, department changes), "proposal:<id>" (submission, votes,
// outcome, effects), "governance:validators" (every validator-set change)
// and "governance:params" (every quorum change).

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/traceledger/traceledger/genesis"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Governance limits.
const (
	// DefaultVotingPeriod is the voting period, in blocks, of a proposal
	// submitted with deadline_height 0.
	DefaultVotingPeriod int64 = 100_000
	// MaxVotingPeriod is the longest voting period, in blocks.
	MaxVotingPeriod int64 = 1_000_000

	maxReasonBytes      = 256
	maxTitleBytes       = 256
	maxKeysPerMsg       = 8
	maxLicences         = 16
	maxLicenceField     = 64
	maxSchemes          = 32
	maxSchemeBytes      = 64
	maxSupervisionHops  = 64
	maxAccreditationNum = 64
)

// reservedID reports whether id may not name a participant: it is the
// signer of genesis records.
func reservedID(id string) bool { return id == GenesisSigner }

var (
	deptOnly = []tlv1.Role{tlv1.ROLE_DEPARTMENT}
	anyRole  = []tlv1.Role{tlv1.ROLE_DEPARTMENT, tlv1.ROLE_ENTERPRISE, tlv1.ROLE_CERTIFIER, tlv1.ROLE_AUDITOR}
)

// governanceHandlers are the membership and governance messages. The roles
// listed are the authorization matrix (docs/GOVERNANCE.md has it as a
// table, and a test keeps the two equal); jurisdiction and electorate are
// checked on state when the message executes.
func governanceHandlers() []msgHandler {
	return []msgHandler{
		{
			name: "submit_proposal", sample: (*tlv1.Msg_SubmitProposal)(nil), roles: deptOnly,
			validate: func(m *tlv1.Msg) error { return validateSubmitProposal(m.GetSubmitProposal()) },
			exec: func(c *execCtx, m *tlv1.Msg) ([]recordedEvent, error) {
				return execSubmitProposal(c, m.GetSubmitProposal())
			},
		},
		{
			name: "vote", sample: (*tlv1.Msg_Vote)(nil), roles: deptOnly,
			validate: func(m *tlv1.Msg) error { return validateVote(m.GetVote()) },
			exec:     func(c *execCtx, m *tlv1.Msg) ([]recordedEvent, error) { return execVote(c, m.GetVote()) },
		},
		{
			name: "register_participant", sample: (*tlv1.Msg_RegisterParticipant)(nil), roles: deptOnly,
			validate: func(m *tlv1.Msg) error { return validateRegister(m.GetRegisterParticipant()) },
			exec: func(c *execCtx, m *tlv1.Msg) ([]recordedEvent, error) {
				return execRegister(c, m.GetRegisterParticipant())
			},
		},
		{
			name: "suspend_participant", sample: (*tlv1.Msg_SuspendParticipant)(nil), roles: deptOnly,
			validate: func(m *tlv1.Msg) error {
				s := m.GetSuspendParticipant()
				if s == nil {
					return rejectf(tlv1.CodeInvalidMessage, "suspend_participant is empty")
				}
				return validateStatusChange("suspend_participant", s.Participant, s.Reason)
			},
			exec: func(c *execCtx, m *tlv1.Msg) ([]recordedEvent, error) {
				s := m.GetSuspendParticipant()
				return execStatusChange(c, s.Participant, s.Reason, tlv1.PARTICIPANT_STATUS_SUSPENDED)
			},
		},
		{
			name: "reinstate_participant", sample: (*tlv1.Msg_ReinstateParticipant)(nil), roles: deptOnly,
			validate: func(m *tlv1.Msg) error {
				s := m.GetReinstateParticipant()
				if s == nil {
					return rejectf(tlv1.CodeInvalidMessage, "reinstate_participant is empty")
				}
				return validateStatusChange("reinstate_participant", s.Participant, s.Reason)
			},
			exec: func(c *execCtx, m *tlv1.Msg) ([]recordedEvent, error) {
				s := m.GetReinstateParticipant()
				return execStatusChange(c, s.Participant, s.Reason, tlv1.PARTICIPANT_STATUS_ACTIVE)
			},
		},
		{
			name: "rotate_key", sample: (*tlv1.Msg_RotateKey)(nil), roles: anyRole,
			validate: func(m *tlv1.Msg) error { return validateRotateKey(m.GetRotateKey()) },
			exec:     func(c *execCtx, m *tlv1.Msg) ([]recordedEvent, error) { return execRotateKey(c, m.GetRotateKey()) },
		},
		{
			name: "revoke_key", sample: (*tlv1.Msg_RevokeKey)(nil), roles: anyRole,
			validate: func(m *tlv1.Msg) error { return validateRevokeKey(m.GetRevokeKey()) },
			exec:     func(c *execCtx, m *tlv1.Msg) ([]recordedEvent, error) { return execRevokeKey(c, m.GetRevokeKey()) },
		},
	}
}

// AuthorizationMatrix returns, for every message kind the application
// knows, the roles that may send it, as stable names ("department",
// "enterprise", ...), sorted by message kind.
func AuthorizationMatrix() []MessageRoles {
	h := newHandlers()
	out := make([]MessageRoles, 0, len(h))
	for _, mh := range h {
		mr := MessageRoles{Message: mh.name}
		for _, r := range mh.roles {
			mr.Roles = append(mr.Roles, tlv1.RoleName(r))
		}
		out = append(out, mr)
	}
	slices.SortFunc(out, func(a, b MessageRoles) int { return strings.Compare(a.Message, b.Message) })
	return out
}

// MessageRoles is one row of the authorization matrix.
type MessageRoles struct {
	// Message is the message kind's stable name, e.g. "submit_proposal".
	Message string
	// Roles are the roles that may send it.
	Roles []string
}

// ---------------------------------------------------------------- helpers

// wrapReject prefixes a rejection's message with where it happened, keeping
// its code; other errors are wrapped as they are.
func wrapReject(where string, err error) error {
	if e, ok := err.(*Error); ok {
		return &Error{Code: e.Code, Msg: where + ": " + e.Msg}
	}
	return fmt.Errorf("%s: %w", where, err)
}

// checkText checks a free-text field: valid UTF-8, no control characters,
// between min and max bytes.
func checkText(field, s string, min, max int) error {
	switch {
	case len(s) < min && min == 1:
		return rejectf(tlv1.CodeInvalidMessage, "%s is required", field)
	case len(s) < min || len(s) > max:
		return rejectf(tlv1.CodeInvalidMessage, "%s is %d bytes, want %d to %d", field, len(s), min, max)
	case !utf8.ValidString(s):
		return rejectf(tlv1.CodeInvalidMessage, "%s is not valid UTF-8", field)
	}
	for i, c := range s {
		if c < ' ' || c == 0x7f {
			return rejectf(tlv1.CodeInvalidMessage, "%s has a control character at byte %d", field, i)
		}
	}
	return nil
}

// checkID checks a participant or department id.
func checkID(field, id string) error {
	if err := genesis.ValidateID(id); err != nil {
		return rejectf(tlv1.CodeInvalidMessage, "%s: %v", field, err)
	}
	return nil
}

// checkPubKey checks a 32-byte Ed25519 public key field.
func checkPubKey(field string, k []byte) error {
	if len(k) != genesis.PubKeySize {
		return rejectf(tlv1.CodeInvalidMessage, "%s is %d bytes, want a %d-byte Ed25519 public key", field, len(k), genesis.PubKeySize)
	}
	return nil
}

// checkKeyList checks 1 to maxKeysPerMsg distinct public keys.
func checkKeyList(field string, keys [][]byte) error {
	if len(keys) == 0 || len(keys) > maxKeysPerMsg {
		return rejectf(tlv1.CodeInvalidMessage, "%s has %d keys, want 1 to %d", field, len(keys), maxKeysPerMsg)
	}
	for i, k := range keys {
		if err := checkPubKey(fmt.Sprintf("%s[%d]", field, i), k); err != nil {
			return err
		}
		for j := 0; j < i; j++ {
			if bytes.Equal(keys[j], k) {
				return rejectf(tlv1.CodeInvalidMessage, "%s[%d] repeats %s[%d]", field, i, field, j)
			}
		}
	}
	return nil
}

// getParticipant reads a participant; a missing one is tlv1.CodeParticipantNotFound.
func getParticipant(r mapReader, id string) (*tlv1.Participant, error) {
	var p tlv1.Participant
	found, err := getProto(r, tlv1.ParticipantKey(id), &p)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, rejectf(tlv1.CodeParticipantNotFound, "participant %q is not registered", id)
	}
	return &p, nil
}

// getKey reads a key; a missing one is tlv1.CodeKeyNotFound.
func getKey(r mapReader, id string) (*tlv1.Key, error) {
	var k tlv1.Key
	found, err := getProto(r, tlv1.KeyKey(id), &k)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, rejectf(tlv1.CodeKeyNotFound, "key %s is not registered", id)
	}
	return &k, nil
}

// checkNewKey rejects a public key that is already registered.
func checkNewKey(r mapReader, field string, pub []byte) error {
	id := tlv1.KeyID(pub)
	v, err := r.mapValue(tlv1.KeyKey(id))
	if err != nil {
		return err
	}
	if v != nil {
		var k tlv1.Key
		if err := k.Unmarshal(v); err != nil {
			return fmt.Errorf("decode key %s: %w", id, err)
		}
		return rejectf(tlv1.CodeDuplicateKey, "%s: key %s is already registered to %q", field, id, k.Participant)
	}
	if dept, err := r.mapValue(tlv1.ValidatorKeyKey(pub)); err != nil {
		return err
	} else if dept != nil {
		return rejectf(tlv1.CodeDuplicateKey, "%s: key %s is the validator key of department %q (validator keys, past or present, never sign as participants)", field, id, dept)
	}
	return nil
}

// recordValidatorKey remembers that pub is department dept's validator key,
// for good: checkNewKey refuses it as a participant key, and no other
// department may take it.
func recordValidatorKey(o *overlay, pub []byte, dept string) {
	o.set(tlv1.ValidatorKeyKey(pub), []byte(dept))
}

// supervisorOf returns the department that supervises p now: the
// department p names, or, if that department was removed, its successor
// (followed until an active department).
func supervisorOf(r mapReader, p *tlv1.Participant) (string, error) {
	d := p.Department
	for range maxSupervisionHops {
		var dep tlv1.Department
		found, err := getProto(r, tlv1.DepartmentKey(d), &dep)
		if err != nil {
			return "", err
		}
		if !found {
			return "", fmt.Errorf("participant %q names department %q that is not in state", p.Id, d)
		}
		if dep.Status == tlv1.DEPARTMENT_STATUS_ACTIVE || dep.Successor == "" {
			return d, nil
		}
		d = dep.Successor
	}
	return "", fmt.Errorf("participant %q: supervision chain from %q is longer than %d", p.Id, p.Department, maxSupervisionHops)
}

// activeDepartments returns the active departments in id order.
func activeDepartments(r mapReader) ([]*tlv1.Department, error) {
	var set tlv1.DepartmentSet
	if _, err := getProto(r, tlv1.KeyDepartments, &set); err != nil {
		return nil, err
	}
	out := make([]*tlv1.Department, 0, len(set.Ids))
	for _, id := range set.Ids {
		var d tlv1.Department
		found, err := getProto(r, tlv1.DepartmentKey(id), &d)
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, fmt.Errorf("department set names %q, which has no department entry", id)
		}
		out = append(out, &d)
	}
	return out, nil
}

// getActiveDepartment reads an active department; anything else is
// tlv1.CodeUnknownDepartment.
func getActiveDepartment(r mapReader, id string) (*tlv1.Department, error) {
	var d tlv1.Department
	found, err := getProto(r, tlv1.DepartmentKey(id), &d)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, rejectf(tlv1.CodeUnknownDepartment, "%q is not a department", id)
	}
	if d.Status != tlv1.DEPARTMENT_STATUS_ACTIVE {
		return nil, rejectf(tlv1.CodeUnknownDepartment, "department %q was removed at height %d", id, d.RemovedHeight)
	}
	return &d, nil
}

// concentration returns the department with the most power, its power and
// the total; concentrated is true when that department holds 1/3 or more.
func concentration(depts []*tlv1.Department) (top string, power, total int64, concentrated bool) {
	for _, d := range depts {
		total += d.Power
		if d.Power > power {
			top, power = d.Id, d.Power
		}
	}
	return top, power, total, total > 0 && 3*power >= total
}

// requiredYes is the number of yes votes that pass a proposal with an
// electorate of n: the smallest y with y*den > num*n, or n when unanimous.
func requiredYes(n int, num, den uint64, unanimous bool) uint32 {
	if unanimous || den == 0 {
		return uint32(n)
	}
	return uint32(num*uint64(n)/den + 1)
}

// AccreditedFor reports whether certifier p may certify scheme at timeMs:
// it is an active certifier with an active accreditation that lists the
// scheme and is valid at that time. Handlers of certification records use
// it.
func AccreditedFor(p *tlv1.Participant, scheme string, timeMs int64) error {
	switch {
	case p.Role != tlv1.ROLE_CERTIFIER:
		return rejectf(tlv1.CodeNotACertifier, "%q is a %s, not a certifier", p.Id, tlv1.RoleName(p.Role))
	case p.Accreditation == nil:
		return rejectf(tlv1.CodeAccreditationState, "certifier %q has no accreditation", p.Id)
	case p.Accreditation.Status != tlv1.ACCREDITATION_STATUS_ACTIVE:
		return rejectf(tlv1.CodeAccreditationState, "the accreditation of %q is %s", p.Id, p.Accreditation.Status)
	case timeMs < p.Accreditation.ValidFromMs || timeMs >= p.Accreditation.ValidUntilMs:
		return rejectf(tlv1.CodeAccreditationState, "the accreditation of %q is valid from %d to %d ms, not at %d", p.Id, p.Accreditation.ValidFromMs, p.Accreditation.ValidUntilMs, timeMs)
	case !slices.Contains(p.Accreditation.Schemes, scheme):
		return rejectf(tlv1.CodeAccreditationState, "%q is not accredited for scheme %q (it is for %s)", p.Id, scheme, strings.Join(p.Accreditation.Schemes, ", "))
	}
	return nil
}

// governanceQueries are the governance query paths.
func governanceQueries() map[string]queryHandler {
	return map[string]queryHandler{
		tlv1.PathParticipants: queryParticipants,
		tlv1.PathParticipant:  queryParticipant,
		tlv1.PathProposals:    queryProposals,
		tlv1.PathProposal:     queryProposal,
		tlv1.PathValidators:   queryValidators,
	}
}

// governanceEndBlock executes the proposals that passed in this block (in
// id order), then expires the open proposals whose deadline is this height,
// and returns the validator updates for CometBFT: one entry per changed
// validator key, sorted by key.
func governanceEndBlock(c *blockCtx) ([]abci.ValidatorUpdate, []abci.Event, error) {
	var events []abci.Event
	var updates []*tlv1.ValidatorPower
	passed, err := passedInBlock(c.o)
	if err != nil {
		return nil, nil, err
	}
	for _, p := range passed {
		ups, recs, err := executeProposal(c, p)
		if err != nil {
			return nil, nil, fmt.Errorf("execute proposal %d: %w", p.Id, err)
		}
		updates = append(updates, ups...)
		for _, r := range recs {
			events = append(events, recordABCIEvent("governance", r))
		}
	}
	recs, err := expireProposals(c)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range recs {
		events = append(events, recordABCIEvent("governance", r))
	}
	return mergeValidatorUpdates(updates), events, nil
}

// mergeValidatorUpdates keeps the last update of each validator key and
// sorts them by key, so CometBFT never sees a key twice in one block.
func mergeValidatorUpdates(ups []*tlv1.ValidatorPower) []abci.ValidatorUpdate {
	if len(ups) == 0 {
		return nil
	}
	last := map[string]int64{}
	for _, u := range ups {
		last[string(u.PubKey)] = u.Power
	}
	keys := make([]string, 0, len(last))
	for k := range last {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]abci.ValidatorUpdate, len(keys))
	for i, k := range keys {
		out[i] = abci.Ed25519ValidatorUpdate([]byte(k), last[k])
	}
	return out
}
