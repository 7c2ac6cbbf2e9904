// SPDX-License-Identifier: Apache-2.0

package app

import (
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// accept checks that a transaction passes CheckTx and FinalizeBlock, and
// commits it.
func (g *govFixture) accept(signer string, msgs ...*tlv1.Msg) {
	g.t.Helper()
	raw := g.tx(signer, msgs...)
	chk, err := g.a.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: raw, Type: abci.CheckTxType_New})
	if err != nil {
		g.t.Fatal(err)
	}
	if chk.Code != 0 {
		g.t.Fatalf("CheckTx refused %s: code %d %q", signer, chk.Code, chk.Log)
	}
	if r := g.block(raw).TxResults[0]; r.Code != 0 {
		g.t.Fatalf("FinalizeBlock refused %s: code %d %q", signer, r.Code, r.Log)
	}
}

// TestAuthorizationMatrix sends every message kind of the membership
// matrix from a participant of every role: the roles in the matrix are
// accepted by CheckTx and FinalizeBlock, every other role is refused by
// both with code unauthorized, and the refusal changes nothing.
func TestAuthorizationMatrix(t *testing.T) {
	// signer[role] is a participant of that role; each message is built
	// for its sender (rotate_key and revoke_key act on the sender's own
	// keys).
	signer := map[string]string{"department": "agri", "enterprise": "farm", "certifier": "lab", "auditor": "aud"}
	second := map[string]string{"agri": "", "farm": "farm-b", "lab": "lab-b", "aud": "aud-b"}
	build := map[string]func(from string) *tlv1.Msg{
		"submit_proposal":       func(string) *tlv1.Msg { return proposeMsg("accredit", 0, false, accreditChange("lab", "gap")) },
		"vote":                  func(string) *tlv1.Msg { return voteMsg(1, true) },
		"register_participant":  func(string) *tlv1.Msg { return registerMsg("newco", tlv1.ROLE_ENTERPRISE, 99, "newco") },
		"suspend_participant":   func(string) *tlv1.Msg { return suspendMsg("farm") },
		"reinstate_participant": func(string) *tlv1.Msg { return reinstateMsg("farm2") },
		"rotate_key":            func(from string) *tlv1.Msg { return rotateMsg(from, from+"-rotated") },
		"revoke_key": func(from string) *tlv1.Msg {
			if second[from] == "" {
				return revokeMsg(from, from+"-replacement")
			}
			return revokeMsg(second[from], "")
		},
		"record_event": func(string) *tlv1.Msg { return recordMsg("urn:epc:class:lgtin:6901234.500012.L", 4) },
	}
	rows := 0
	for _, row := range AuthorizationMatrix() {
		mk, ok := build[row.Message]
		if !ok {
			continue // another domain's message: tested there
		}
		rows++
		allowed := map[string]bool{}
		for _, r := range row.Roles {
			allowed[r] = true
		}
		for _, role := range []string{"department", "enterprise", "certifier", "auditor"} {
			t.Run(row.Message+"/"+role, func(t *testing.T) {
				g := newGovFixture(t)
				// Setup: proposal 1 is open; farm2 (agri's) is suspended.
				g.ok("market", proposeMsg("accredit", 0, false, accreditChange("lab", "gmp")))
				g.ok("agri", registerMsg("farm2", tlv1.ROLE_ENTERPRISE, 20, "farm2"))
				g.ok("agri", suspendMsg("farm2"))
				from := signer[role]
				if allowed[role] {
					g.accept(from, mk(from))
				} else {
					g.reject(tlv1.CodeUnauthorized, tlv1.CodeUnauthorized, "may not be sent by", from, mk(from))
				}
			})
		}
	}
	if rows != len(build) {
		t.Fatalf("the matrix has %d of the %d membership messages", rows, len(build))
	}
}

// TestGovernanceBadInput: each malformed or forbidden governance message is
// rejected with its stable code and a message naming the problem, by
// CheckTx when it can tell without state, always by FinalizeBlock, and
// changes nothing.
func TestGovernanceBadInput(t *testing.T) {
	g := newGovFixture(t)
	// Proposal 1: open, agri voted. Proposal 2: failed. Proposal 3: expired.
	// farm2 is suspended.
	g.ok("agri", proposeMsg("open", 0, false, accreditChange("lab", "gap")))
	g.ok("agri", voteMsg(1, true))
	g.ok("agri", proposeMsg("to fail", 0, false, accreditChange("lab", "gmp")))
	g.block(g.tx("ahv", voteMsg(2, false)), g.tx("drug", voteMsg(2, false)))
	g.ok("agri", proposeMsg("to expire", g.h+2, false, accreditChange("lab", "haccp")))
	g.ok("agri", registerMsg("farm2", tlv1.ROLE_ENTERPRISE, 20, "farm2"))
	g.ok("agri", suspendMsg("farm2"))
	if p := g.proposal(3); p.Status != tlv1.PROPOSAL_STATUS_EXPIRED {
		t.Fatalf("setup: proposal 3 is %s", p.Status)
	}
	if p := g.proposal(2); p.Status != tlv1.PROPOSAL_STATUS_FAILED {
		t.Fatalf("setup: proposal 2 is %s", p.Status)
	}

	reg := func(edit func(r *tlv1.RegisterParticipant)) *tlv1.Msg {
		m := registerMsg("newco", tlv1.ROLE_ENTERPRISE, 99, "newco")
		edit(m.GetRegisterParticipant())
		return m
	}
	add := func(edit func(a *tlv1.AddDepartment)) *tlv1.Msg {
		ch := addDeptChange("commerce", 10)
		edit(ch.GetAddDepartment())
		return proposeMsg("add", 0, false, ch)
	}
	accredit := func(edit func(a *tlv1.AccreditCertifier)) *tlv1.Msg {
		ch := accreditChange("lab", "gap")
		edit(ch.GetAccreditCertifier())
		return proposeMsg("accredit", 0, false, ch)
	}
	prop := func(ch *tlv1.ProposalChange) *tlv1.Msg { return proposeMsg("p", 0, false, ch) }
	const (
		stateless = true
		stateful  = false
	)
	cases := []struct {
		name     string
		signer   string
		msg      *tlv1.Msg
		code     tlv1.Code
		check    bool // CheckTx rejects it too
		fragment string
	}{
		// votes
		{"double vote", "agri", voteMsg(1, false), tlv1.CodeAlreadyVoted, stateful, "already voted"},
		{"vote on a failed proposal", "market", voteMsg(2, true), tlv1.CodeProposalClosed, stateful, "FAILED"},
		{"vote after expiry", "market", voteMsg(3, true), tlv1.CodeProposalExpired, stateful, "expired"},
		{"vote on no proposal", "agri", voteMsg(99, true), tlv1.CodeProposalNotFound, stateful, "does not exist"},
		{"vote without proposal id", "agri", voteMsg(0, true), tlv1.CodeInvalidMessage, stateless, "proposal_id"},
		{"vote without option", "agri", &tlv1.Msg{Sum: &tlv1.Msg_Vote{Vote: &tlv1.Vote{ProposalId: 1}}}, tlv1.CodeInvalidMessage, stateless, "option"},
		{"vote by an enterprise", "farm", voteMsg(1, true), tlv1.CodeUnauthorized, stateless, "may not be sent"},
		{"vote by a certifier", "lab", voteMsg(1, true), tlv1.CodeUnauthorized, stateless, "may not be sent"},
		// proposals
		{"proposal by an auditor", "aud", prop(accreditChange("lab", "gap")), tlv1.CodeUnauthorized, stateless, "may not be sent"},
		{"proposal without change", "agri", proposeMsg("p", 0, false, nil), tlv1.CodeInvalidMessage, stateless, "change is empty"},
		{"proposal without title", "agri", proposeMsg("", 0, false, accreditChange("lab", "gap")), tlv1.CodeInvalidMessage, stateless, "title is required"},
		{"deadline in the past", "agri", proposeMsg("p", 2, false, accreditChange("lab", "gap")), tlv1.CodeInvalidMessage, stateful, "deadline_height"},
		{"deadline too far", "agri", proposeMsg("p", 10_000_000, false, accreditChange("lab", "gap")), tlv1.CodeInvalidMessage, stateful, "deadline_height"},
		{"new department with a short validator key", "agri", add(func(a *tlv1.AddDepartment) { a.ValidatorPubKey = a.ValidatorPubKey[:31] }), tlv1.CodeInvalidMessage, stateless, "validator_pub_key"},
		{"new department with power 0", "agri", add(func(a *tlv1.AddDepartment) { a.Power = 0 }), tlv1.CodeInvalidMessage, stateless, "power"},
		{"new department without admin key", "agri", add(func(a *tlv1.AddDepartment) { a.AdminKeys = nil }), tlv1.CodeInvalidMessage, stateless, "admin_keys"},
		{"new department whose admin key is its validator key", "agri", add(func(a *tlv1.AddDepartment) { a.AdminKeys = [][]byte{a.ValidatorPubKey} }), tlv1.CodeInvalidMessage, stateless, "separate"},
		{"new department with a bad id", "agri", add(func(a *tlv1.AddDepartment) { a.Id = "Commerce" }), tlv1.CodeInvalidMessage, stateless, "id"},
		{"new department with a taken id", "agri", add(func(a *tlv1.AddDepartment) { a.Id = "farm" }), tlv1.CodeDuplicateParticipant, stateful, "already registered"},
		{"new department with a registered admin key", "agri", add(func(a *tlv1.AddDepartment) { a.AdminKeys = [][]byte{namedPub("farm")} }), tlv1.CodeDuplicateKey, stateful, "already registered"},
		{"new department with a validator's key", "agri", add(func(a *tlv1.AddDepartment) { a.ValidatorPubKey = namedPub("val-agri") }), tlv1.CodeDuplicateKey, stateful, `department "agri"`},
		{"new department whose validator key signs for a participant", "agri", add(func(a *tlv1.AddDepartment) { a.ValidatorPubKey = namedPub("farm") }), tlv1.CodeDuplicateKey, stateful, "participant's signing key"},
		{"remove an unknown department", "agri", prop(removeDeptChange("commerce", "agri")), tlv1.CodeUnknownDepartment, stateful, "not a department"},
		{"remove with an unknown successor", "agri", prop(removeDeptChange("ahv", "commerce")), tlv1.CodeUnknownDepartment, stateful, "successor"},
		{"remove with itself as successor", "agri", prop(removeDeptChange("ahv", "ahv")), tlv1.CodeInvalidMessage, stateless, "successor"},
		{"power of an unknown department", "agri", prop(powerChange("commerce", 5)), tlv1.CodeUnknownDepartment, stateful, "not a department"},
		{"power 0", "agri", prop(powerChange("agri", 0)), tlv1.CodeInvalidMessage, stateless, "remove_department"},
		{"unchanged power", "agri", prop(powerChange("agri", 10)), tlv1.CodeInvalidMessage, stateful, "already has power"},
		{"power concentration", "agri", prop(powerChange("agri", 100)), tlv1.CodePowerConcentration, stateful, "100 of 130"},
		{"quorum below half", "agri", prop(quorumChange(1, 3)), tlv1.CodeInvalidMessage, stateless, "at least half"},
		{"unchanged quorum", "agri", prop(quorumChange(2, 3)), tlv1.CodeInvalidMessage, stateful, "already"},
		{"accredit an enterprise", "agri", accredit(func(a *tlv1.AccreditCertifier) { a.Certifier = "farm" }), tlv1.CodeNotACertifier, stateful, "not a certifier"},
		{"accredit an unknown certifier", "agri", accredit(func(a *tlv1.AccreditCertifier) { a.Certifier = "nobody" }), tlv1.CodeParticipantNotFound, stateful, "not registered"},
		{"accredit without scheme", "agri", accredit(func(a *tlv1.AccreditCertifier) { a.Schemes = nil }), tlv1.CodeInvalidMessage, stateless, "schemes"},
		{"accredit with a repeated scheme", "agri", accredit(func(a *tlv1.AccreditCertifier) { a.Schemes = []string{"gap", "gap"} }), tlv1.CodeInvalidMessage, stateless, "twice"},
		{"accredit with reversed validity", "agri", accredit(func(a *tlv1.AccreditCertifier) { a.ValidUntilMs = a.ValidFromMs }), tlv1.CodeInvalidMessage, stateless, "validity"},
		{"suspend an accreditation never granted", "agri", prop(suspendAccreditationChange("lab")), tlv1.CodeAccreditationState, stateful, "no active accreditation"},
		// registration
		{"credit code with a wrong check digit", "agri", reg(func(r *tlv1.RegisterParticipant) { r.CreditCode = r.CreditCode[:17] + "0" }), tlv1.CodeInvalidMessage, stateless, "check digit"},
		{"credit code of 17 characters", "agri", reg(func(r *tlv1.RegisterParticipant) { r.CreditCode = r.CreditCode[:17] }), tlv1.CodeInvalidMessage, stateless, "18 characters"},
		{"credit code with a lower-case letter", "agri", reg(func(r *tlv1.RegisterParticipant) { r.CreditCode = "91520100ma6dkq1x3r" }), tlv1.CodeInvalidMessage, stateless, "credit_code"},
		{"enterprise without credit code", "agri", reg(func(r *tlv1.RegisterParticipant) { r.CreditCode = "" }), tlv1.CodeInvalidMessage, stateless, "required"},
		{"certifier without credit code", "agri", reg(func(r *tlv1.RegisterParticipant) { r.Role, r.CreditCode = tlv1.ROLE_CERTIFIER, "" }), tlv1.CodeInvalidMessage, stateless, "required"},
		{"enterprise without division code", "agri", reg(func(r *tlv1.RegisterParticipant) { r.DivisionCode = "" }), tlv1.CodeInvalidMessage, stateless, "division_code"},
		{"division code of 5 digits", "agri", reg(func(r *tlv1.RegisterParticipant) { r.DivisionCode = "52010" }), tlv1.CodeInvalidMessage, stateless, "6 digits"},
		{"register a department", "agri", reg(func(r *tlv1.RegisterParticipant) { r.Role = tlv1.ROLE_DEPARTMENT }), tlv1.CodeInvalidMessage, stateless, "proposal"},
		{"reserved id", "agri", reg(func(r *tlv1.RegisterParticipant) { r.Id = GenesisSigner }), tlv1.CodeInvalidMessage, stateless, "reserved"},
		{"no key", "agri", reg(func(r *tlv1.RegisterParticipant) { r.PublicKeys = nil }), tlv1.CodeInvalidMessage, stateless, "public_keys"},
		{"the same key twice", "agri", reg(func(r *tlv1.RegisterParticipant) { r.PublicKeys = append(r.PublicKeys, r.PublicKeys[0]) }), tlv1.CodeInvalidMessage, stateless, "repeats"},
		{"licence without number", "agri", reg(func(r *tlv1.RegisterParticipant) { r.Licences[0].Number = "" }), tlv1.CodeInvalidMessage, stateless, "licences[0].number"},
		{"licence ending before it starts", "agri", reg(func(r *tlv1.RegisterParticipant) { r.Licences[0].ValidFromMs, r.Licences[0].ValidUntilMs = 10, 5 }), tlv1.CodeInvalidMessage, stateless, "valid_until_ms"},
		{"duplicate id", "agri", reg(func(r *tlv1.RegisterParticipant) { r.Id = "slaughter" }), tlv1.CodeDuplicateParticipant, stateful, `supervised by "ahv"`},
		{"duplicate credit code", "drug", reg(func(r *tlv1.RegisterParticipant) { r.CreditCode = testCreditCode(1) }), tlv1.CodeDuplicateParticipant, stateful, `registered to "farm"`},
		{"duplicate key", "agri", reg(func(r *tlv1.RegisterParticipant) { r.PublicKeys = [][]byte{namedPub("lab")} }), tlv1.CodeDuplicateKey, stateful, `registered to "lab"`},
		{"registration by an enterprise", "farm", registerMsg("newco", tlv1.ROLE_ENTERPRISE, 99, "newco"), tlv1.CodeUnauthorized, stateless, "may not be sent"},
		{"a department's validator key as a participant key", "agri", reg(func(r *tlv1.RegisterParticipant) { r.PublicKeys = [][]byte{namedPub("val-drug")} }), tlv1.CodeDuplicateKey, stateful, `validator key of department "drug"`},
		{"rotation to a validator key", "farm", rotateMsg("farm", "val-agri"), tlv1.CodeDuplicateKey, stateful, `validator key of department "agri"`},
		// status and keys
		{"suspension without reason", "agri", &tlv1.Msg{Sum: &tlv1.Msg_SuspendParticipant{SuspendParticipant: &tlv1.SuspendParticipant{Participant: "farm"}}}, tlv1.CodeInvalidMessage, stateless, "reason"},
		{"suspension by another department", "drug", suspendMsg("farm"), tlv1.CodeOutOfJurisdiction, stateful, "supervised by"},
		{"revocation of a malformed key id", "agri", &tlv1.Msg{Sum: &tlv1.Msg_RevokeKey{RevokeKey: &tlv1.RevokeKey{KeyId: "abc", Reason: "x"}}}, tlv1.CodeInvalidMessage, stateless, "key_id"},
		{"rotation to a short key", "farm", &tlv1.Msg{Sum: &tlv1.Msg_RotateKey{RotateKey: &tlv1.RotateKey{NewPublicKey: []byte{1}, NewKeySignature: make([]byte, 64)}}}, tlv1.CodeInvalidMessage, stateless, "new_public_key"},
		{"suspended sender", "farm2", recordMsg("urn:x:1", 10), tlv1.CodeParticipantInactive, stateless, "SUSPENDED"},
		{"suspended sender rotating", "farm2", rotateMsg("farm2", "farm2-new"), tlv1.CodeParticipantInactive, stateless, "SUSPENDED"},
		{"trace event on a proposal subject", "farm", recordMsg("proposal:1", 10), tlv1.CodeInvalidMessage, stateless, "reserved"},
		{"trace event on a governance subject", "farm", recordMsg(tlv1.ValidatorsSubject, 10), tlv1.CodeInvalidMessage, stateless, "reserved"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g.t = t
			check := tlv1.Code(0)
			if tc.check {
				check = tc.code
			}
			g.reject(check, tc.code, tc.fragment, tc.signer, tc.msg)
		})
	}
}
