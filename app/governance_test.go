// SPDX-License-Identifier: Apache-2.0

package app

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/traceledger/traceledger/genesis"
	"github.com/traceledger/traceledger/proof"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// valUpdates summarises validator updates as key id -> power.
func valUpdates(t *testing.T, ups []abci.ValidatorUpdate) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, u := range ups {
		pk := u.PubKey.GetEd25519()
		if len(pk) != 32 {
			t.Fatalf("validator update with a non-Ed25519 key: %v", u)
		}
		out[tlv1.KeyID(pk)] = u.Power
	}
	return out
}

// Rule 1: genesis defines the founding departments, their validators and
// the quorum; the state machine refuses a genesis it cannot load.
func TestGovernanceGenesis(t *testing.T) {
	g := newGovFixture(t)
	g.block()
	want := map[string]int64{"agri": 10, "ahv": 10, "drug": 10, "market": 10}
	if got := g.departments(); !mapsEqual(got, want) {
		t.Fatalf("departments after genesis: %v, want %v", got, want)
	}
	var d tlv1.Department
	if !g.get(tlv1.DepartmentKey("agri"), &d) || !bytes.Equal(d.ValidatorPubKey, namedPub("val-agri")) || d.Status != tlv1.DEPARTMENT_STATUS_ACTIVE {
		t.Fatalf("department entry of agri: %v", &d)
	}
	if p := g.participant("agri"); p.Role != tlv1.ROLE_DEPARTMENT || len(p.Keys) != 1 || p.Keys[0] != namedKeyID("agri") {
		t.Fatalf("agri participant: %v", p)
	}
	if g.lastProposal() != 0 {
		t.Fatalf("a fresh chain has proposal %d", g.lastProposal())
	}
	var holder []byte
	v := g.a.st.viewAt(g.h)
	holder, _ = v.mapValue(tlv1.CreditCodeKey(testCreditCode(1)))
	v.discard()
	if string(holder) != "farm" {
		t.Fatalf("credit code index holds %q, want farm", holder)
	}

	cases := []struct {
		name     string
		edit     func(st *genesis.AppState)
		fragment string
	}{
		{"valid", func(*genesis.AppState) {}, ""},
		{"duplicate credit code", func(st *genesis.AppState) { st.Participants[1].CreditCode = st.Participants[0].CreditCode }, "already registered"},
		{"reserved participant id", func(st *genesis.AppState) { st.Participants[0].ID = GenesisSigner }, "reserved"},
		{"reserved department id", func(st *genesis.AppState) {
			for i := range st.Participants {
				if st.Participants[i].Department == "agri" {
					st.Participants[i].Department = GenesisSigner
				}
			}
			st.Departments[0].ID = GenesisSigner
		}, "reserved"},
		{"bad credit code (genesis rules)", func(st *genesis.AppState) { st.Participants[0].CreditCode = "91520100000000001X" }, "check digit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := govAppState(fourDepartments)
			tc.edit(&st)
			err := ValidateGenesisState(st)
			if tc.fragment == "" {
				if err != nil {
					t.Fatalf("valid genesis refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.fragment) {
				t.Fatalf("ValidateGenesisState: %v, want an error with %q", err, tc.fragment)
			}
			bz, _ := json.Marshal(st)
			a := openApp(t, "", nil)
			defer a.Close()
			if _, err := a.InitChain(context.Background(), &abci.RequestInitChain{ChainId: testChainID, Time: genesisTime, InitialHeight: 1, AppStateBytes: bz}); err == nil {
				t.Fatal("InitChain accepted a genesis ValidateGenesisState refuses")
			}
		})
	}
}

// TestGenesisValidatorsMatchDepartments: InitChain refuses CometBFT
// validators that are not exactly the departments.
func TestGenesisValidatorsMatchDepartments(t *testing.T) {
	st := govAppState([]string{"agri", "ahv"})
	bz, _ := json.Marshal(st)
	vals := func(keys ...string) []abci.ValidatorUpdate {
		var out []abci.ValidatorUpdate
		for _, k := range keys {
			out = append(out, abci.Ed25519ValidatorUpdate(namedPub(k), 10))
		}
		return out
	}
	wrongPower := vals("val-agri", "val-ahv")
	wrongPower[1].Power = 11
	cases := []struct {
		name string
		vals []abci.ValidatorUpdate
		ok   bool
	}{
		{"the departments, in another order", vals("val-ahv", "val-agri"), true},
		{"one missing", vals("val-agri"), false},
		{"a stranger", vals("val-agri", "val-stranger"), false},
		{"another power", wrongPower, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := openApp(t, "", nil)
			defer a.Close()
			_, err := a.InitChain(context.Background(), &abci.RequestInitChain{ChainId: testChainID, Time: genesisTime, InitialHeight: 1, AppStateBytes: bz, Validators: tc.vals})
			if (err == nil) != tc.ok {
				t.Fatalf("InitChain: %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func mapsEqual(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// Rule 2: a proposal passes when the quorum votes yes and executes once, at
// the end of that block; a department added by proposal becomes a
// validator through ValidatorUpdates and can act from the next block.
func TestProposalAddDepartment(t *testing.T) {
	g := newGovFixture(t)
	id := g.propose("agri", addDeptChange("commerce", 10), false)
	p := g.proposal(id)
	if p.RequiredYes != 3 || len(p.Electorate) != 4 || p.Status != tlv1.PROPOSAL_STATUS_OPEN || p.Unanimous {
		t.Fatalf("proposal after submission: required %d electorate %v status %s unanimous %v", p.RequiredYes, p.Electorate, p.Status, p.Unanimous)
	}
	for _, d := range []string{"agri", "ahv"} {
		res := g.ok(d, voteMsg(id, true))
		if len(res.ValidatorUpdates) != 0 {
			t.Fatalf("validator updates before the quorum: %v", res.ValidatorUpdates)
		}
	}
	if _, ok := g.departments()["commerce"]; ok {
		t.Fatal("department added before the quorum voted")
	}
	res := g.ok("market", voteMsg(id, true))
	ups := valUpdates(t, res.ValidatorUpdates)
	if len(ups) != 1 || ups[namedKeyID("val-commerce")] != 10 {
		t.Fatalf("validator updates of the passing block: %v, want val-commerce 10", ups)
	}
	p = g.proposal(id)
	if p.Status != tlv1.PROPOSAL_STATUS_EXECUTED || p.ExecutedHeight != g.h || p.ClosedHeight != g.h || p.Yes != 3 {
		t.Fatalf("proposal after the quorum: %v", p)
	}
	if got := g.departments(); got["commerce"] != 10 || len(got) != 5 {
		t.Fatalf("departments: %v", got)
	}
	// Executes exactly once: the next blocks carry no validator update, and
	// the fourth vote is refused.
	if res := g.block(); len(res.ValidatorUpdates) != 0 {
		t.Fatalf("validator updates in the next block: %v", res.ValidatorUpdates)
	}
	g.fails(tlv1.CodeProposalClosed, "EXECUTED", "drug", voteMsg(id, true))
	// The new department acts from the next block: it registers an
	// enterprise and votes on new proposals ...
	g.ok("commerce", registerMsg("wholesale", tlv1.ROLE_ENTERPRISE, 50, "wholesale"))
	if p := g.participant("wholesale"); p.Department != "commerce" {
		t.Fatalf("wholesale supervised by %q", p.Department)
	}
	id2 := g.propose("drug", accreditChange("lab", "gap"), false)
	if p := g.proposal(id2); p.RequiredYes != 4 || len(p.Electorate) != 5 {
		t.Fatalf("with 5 departments: required %d of %v", p.RequiredYes, p.Electorate)
	}
	g.ok("commerce", voteMsg(id2, true))
	// History: the proposal's records are provable like any other.
	hist := historyOf(t, g, tlv1.ProposalSubject(id))
	kinds := []string{}
	for _, r := range hist {
		kinds = append(kinds, govKind(r))
	}
	want := []string{"proposal_submitted", "vote_cast", "vote_cast", "vote_cast", "department_changed", "proposal_closed"}
	if !slices.Equal(kinds, want) {
		t.Fatalf("history of proposal %d: %v, want %v", id, kinds, want)
	}
	if vh := historyOf(t, g, tlv1.ValidatorsSubject); len(vh) != 1 || govKind(vh[0]) != "department_changed" {
		t.Fatalf("validator-set history: %d records", len(vh))
	}
}

// TestElectorateIsFixed: a department that joins after a submission may not
// vote on it.
func TestElectorateIsFixed(t *testing.T) {
	g := newGovFixture(t)
	before := g.propose("agri", accreditChange("lab", "gap"), false)
	id := g.propose("agri", addDeptChange("commerce", 10), false)
	for _, d := range []string{"agri", "ahv", "market"} {
		g.ok(d, voteMsg(id, true))
	}
	g.fails(tlv1.CodeNotInElectorate, "not in the electorate", "commerce", voteMsg(before, true))
	g.ok("agri", voteMsg(before, true))
}

func govKind(r *tlv1.Record) string {
	switch b := r.Body.(type) {
	case *tlv1.Record_Governance:
		switch b.Governance.Body.(type) {
		case *tlv1.GovernanceRecord_ProposalSubmitted:
			return "proposal_submitted"
		case *tlv1.GovernanceRecord_VoteCast:
			return "vote_cast"
		case *tlv1.GovernanceRecord_ProposalClosed:
			return "proposal_closed"
		case *tlv1.GovernanceRecord_ParticipantStatusChanged:
			return "participant_status_changed"
		case *tlv1.GovernanceRecord_KeyChanged:
			return "key_changed"
		case *tlv1.GovernanceRecord_DepartmentChanged:
			return "department_changed"
		case *tlv1.GovernanceRecord_AccreditationChanged:
			return "accreditation_changed"
		case *tlv1.GovernanceRecord_QuorumChanged:
			return "quorum_changed"
		}
	case *tlv1.Record_ParticipantRegistered:
		return "participant_registered"
	case *tlv1.Record_Event:
		return "event"
	}
	return "other"
}

// historyOf returns a subject's records, checking the answer's proofs and
// completeness against the committed app hash.
func historyOf(t *testing.T, g *govFixture, subject string) []*tlv1.Record {
	t.Helper()
	res, bz := query(t, g.a, tlv1.PathHistory, &tlv1.HistoryRequest{Subject: subject}, 0)
	if res.Code != 0 {
		t.Fatalf("history %s: %s", subject, res.Log)
	}
	var resp tlv1.HistoryResponse
	if err := resp.Unmarshal(bz); err != nil {
		t.Fatal(err)
	}
	verifyAppHash(t, resp.Roots, g.a.latest().info.AppHash)
	var out []*tlv1.Record
	var chain []byte
	for _, pr := range resp.Records {
		var root [32]byte
		copy(root[:], resp.Roots.LogRoot)
		leaf := proof.LeafHash(pr.Record)
		if err := proof.VerifyInclusion(leaf, pr.Index, resp.Roots.LogSize, pr.Inclusion.Hashes, root); err != nil {
			t.Fatalf("record %d of %s: %v", pr.Index, subject, err)
		}
		c := proof.ChainHash(chain, leaf)
		chain = c[:]
		var r tlv1.Record
		if err := r.Unmarshal(pr.Record); err != nil {
			t.Fatal(err)
		}
		out = append(out, &r)
	}
	if len(out) > 0 {
		var h tlv1.Head
		if err := h.Unmarshal(resp.Head.Value); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(h.ChainHash, chain) {
			t.Fatalf("history of %s is incomplete", subject)
		}
	}
	return out
}

// Rule 2 and the required test: a proposal that fails the quorum
// changes nothing. It fails as soon as the remaining votes cannot reach the
// quorum.
func TestProposalFailsChangesNothing(t *testing.T) {
	g := newGovFixture(t)
	g.block()
	deptsBefore := g.departments()
	var paramsBefore []byte
	{
		v := g.a.st.viewAt(g.h)
		paramsBefore, _ = v.mapValue(tlv1.KeyParams)
		v.discard()
	}
	changes := []*tlv1.ProposalChange{addDeptChange("commerce", 10), removeDeptChange("ahv", "agri"), powerChange("agri", 12), quorumChange(3, 4), accreditChange("lab", "gap")}
	for _, ch := range changes {
		// Removing one of four leaves three with 1/3 each: it needs the flag
		// (and then every vote).
		id := g.propose("agri", ch, ch.GetRemoveDepartment() != nil)
		g.ok("agri", voteMsg(id, true))
		p := g.proposal(id)
		// electorate 4 (3 for a removal); one no vote leaves it passable
		// when 3 yes are still possible.
		voters := []string{"drug", "market"}
		if ch.GetRemoveDepartment() == nil {
			res := g.ok("ahv", voteMsg(id, false))
			if len(res.ValidatorUpdates) != 0 {
				t.Fatal("validator updates from a no vote")
			}
			if p = g.proposal(id); p.Status != tlv1.PROPOSAL_STATUS_OPEN {
				t.Fatalf("%s: one no vote of 4 closed it: %s", changeName(ch), p.Status)
			}
		}
		res := g.ok(voters[0], voteMsg(id, false))
		if len(res.ValidatorUpdates) != 0 {
			t.Fatalf("%s: a failed proposal produced validator updates", changeName(ch))
		}
		p = g.proposal(id)
		if p.Status != tlv1.PROPOSAL_STATUS_FAILED || p.ExecutedHeight != 0 || !strings.Contains(p.Result, "can no longer reach") {
			t.Fatalf("%s: status %s executed %d result %q", changeName(ch), p.Status, p.ExecutedHeight, p.Result)
		}
		g.fails(tlv1.CodeProposalClosed, "FAILED", voters[1], voteMsg(id, true))
	}
	if got := g.departments(); !mapsEqual(got, deptsBefore) {
		t.Fatalf("departments changed: %v -> %v", deptsBefore, got)
	}
	v := g.a.st.viewAt(g.h)
	paramsAfter, _ := v.mapValue(tlv1.KeyParams)
	commerce, _ := v.mapValue(tlv1.ParticipantKey("commerce"))
	v.discard()
	if !bytes.Equal(paramsBefore, paramsAfter) || commerce != nil {
		t.Fatal("a failed proposal changed the params or registered its department")
	}
	if g.participant("ahv").Status != tlv1.PARTICIPANT_STATUS_ACTIVE || g.participant("lab").Accreditation != nil {
		t.Fatal("a failed proposal changed a participant")
	}
}

// Rule 2: a proposal still open at the end of its deadline block expires;
// later votes are refused.
func TestProposalExpires(t *testing.T) {
	g := newGovFixture(t)
	g.ok("agri", proposeMsg("short", g.h+3, false, addDeptChange("commerce", 10))) // submitted at h+1, deadline h+3
	id := g.lastProposal()
	deadline := g.proposal(id).DeadlineHeight
	g.ok("agri", voteMsg(id, true))
	if g.h != deadline-1 {
		t.Fatalf("test setup: at %d, deadline %d", g.h, deadline)
	}
	g.ok("ahv", voteMsg(id, true)) // a vote in the deadline block counts
	p := g.proposal(id)
	if p.Status != tlv1.PROPOSAL_STATUS_EXPIRED || p.ClosedHeight != deadline || p.Yes != 2 {
		t.Fatalf("after the deadline block: %v", p)
	}
	g.fails(tlv1.CodeProposalExpired, "expired", "market", voteMsg(id, true))
	var due tlv1.ProposalIDs
	if g.get(tlv1.DeadlineKey(deadline), &due) {
		t.Fatal("the deadline index entry outlived its block")
	}
	if _, ok := g.departments()["commerce"]; ok {
		t.Fatal("an expired proposal executed")
	}
	if kinds := historyOf(t, g, tlv1.ProposalSubject(id)); govKind(kinds[len(kinds)-1]) != "proposal_closed" {
		t.Fatal("expiry is not recorded")
	}
	// A proposal that passes in its deadline block executes and does not
	// expire.
	g.ok("agri", proposeMsg("short", g.h+4, false, accreditChange("lab", "gap")))
	id = g.lastProposal()
	g.block(g.tx("agri", voteMsg(id, true)))
	g.block(g.tx("ahv", voteMsg(id, true)))
	g.block(g.tx("market", voteMsg(id, true)))
	if p := g.proposal(id); p.Status != tlv1.PROPOSAL_STATUS_EXECUTED || p.ExecutedHeight != p.DeadlineHeight {
		t.Fatalf("passed in its deadline block: %s at %d, deadline %d", p.Status, p.ExecutedHeight, p.DeadlineHeight)
	}
}

// The 1/3 rule: a change that leaves a department with 1/3 or more of the
// power needs allow_power_concentration and every department's yes.
func TestPowerConcentration(t *testing.T) {
	g := newGovFixture(t)
	g.reject(0, tlv1.CodePowerConcentration, "20 of 50", "agri", proposeMsg("p", 0, false, powerChange("agri", 20)))
	id := g.propose("agri", powerChange("agri", 20), true)
	if p := g.proposal(id); !p.Unanimous || p.RequiredYes != 4 {
		t.Fatalf("flagged proposal: unanimous %v required %d", p.Unanimous, p.RequiredYes)
	}
	for _, d := range []string{"agri", "ahv", "drug"} {
		g.ok(d, voteMsg(id, true))
	}
	if p := g.proposal(id); p.Status != tlv1.PROPOSAL_STATUS_OPEN {
		t.Fatalf("3 of 4 yes passed a unanimous proposal: %s", p.Status)
	}
	g.ok("market", voteMsg(id, false))
	if p := g.proposal(id); p.Status != tlv1.PROPOSAL_STATUS_FAILED {
		t.Fatalf("one no did not fail a unanimous proposal: %s", p.Status)
	}
	if g.departments()["agri"] != 10 {
		t.Fatal("power changed")
	}
	id = g.propose("agri", powerChange("agri", 20), true)
	var res *abci.ResponseFinalizeBlock
	for _, d := range fourDepartments {
		res = g.ok(d, voteMsg(id, true))
	}
	if ups := valUpdates(t, res.ValidatorUpdates); len(ups) != 1 || ups[namedKeyID("val-agri")] != 20 {
		t.Fatalf("validator updates: %v", ups)
	}
	// A change below the 1/3 line passes with the ordinary quorum, and the
	// flag does not raise it.
	g2 := newGovFixture(t)
	id = g2.propose("agri", powerChange("agri", 14), true)
	if p := g2.proposal(id); p.Unanimous || p.RequiredYes != 3 {
		t.Fatalf("14 of 44 is not concentrated, yet unanimous %v required %d", p.Unanimous, p.RequiredYes)
	}
	// Removing a department from four leaves three equal ones (1/3 each).
	g2.reject(0, tlv1.CodePowerConcentration, "1/3 or more", "agri", proposeMsg("p", 0, false, removeDeptChange("ahv", "agri")))
}

// TestExecutionRechecks: a proposal valid at submission but invalid when
// it executes fails to execute and changes nothing; the other proposals of
// the block still execute, in id order.
func TestExecutionRechecks(t *testing.T) {
	g := newGovFixture(t)
	a := g.propose("agri", addDeptChange("commerce", 10), false)
	dup := addDeptChange("commerce", 10)
	dup.GetAddDepartment().ValidatorPubKey = namedPub("val-commerce-2")
	dup.GetAddDepartment().AdminKeys = [][]byte{namedPub("commerce-2")}
	b := g.propose("drug", dup, false)
	c := g.propose("market", powerChange("agri", 12), false)
	d := g.propose("market", powerChange("agri", 13), false)
	for _, dept := range []string{"agri", "ahv"} {
		g.block(g.tx(dept, voteMsg(a, true), voteMsg(b, true), voteMsg(c, true), voteMsg(d, true)))
	}
	res := g.block(g.tx("market", voteMsg(d, true), voteMsg(c, true), voteMsg(b, true), voteMsg(a, true)))
	if res.TxResults[0].Code != 0 {
		t.Fatal(res.TxResults[0].Log)
	}
	if p := g.proposal(a); p.Status != tlv1.PROPOSAL_STATUS_EXECUTED {
		t.Fatalf("first add: %s %s", p.Status, p.Result)
	}
	if p := g.proposal(b); p.Status != tlv1.PROPOSAL_STATUS_EXECUTION_FAILED || !strings.Contains(p.Result, "duplicate_participant") {
		t.Fatalf("second add of the same id: %s %q", p.Status, p.Result)
	}
	// One update per key, the last in id order wins.
	ups := valUpdates(t, res.ValidatorUpdates)
	want := map[string]int64{namedKeyID("val-commerce"): 10, namedKeyID("val-agri"): 13}
	if !mapsEqual(ups, want) || len(res.ValidatorUpdates) != 2 {
		t.Fatalf("validator updates %v, want %v", ups, want)
	}
	if !bytes.Equal(res.ValidatorUpdates[0].PubKey.GetEd25519(), minBytes(namedPub("val-commerce"), namedPub("val-agri"))) {
		t.Fatal("validator updates are not sorted by key")
	}
	if got := g.departments(); got["agri"] != 13 || got["commerce"] != 10 || len(got) != 5 {
		t.Fatalf("departments: %v", got)
	}
	var k tlv1.Key
	if g.get(tlv1.KeyKey(namedKeyID("commerce-2")), &k) {
		t.Fatal("the failed execution registered its admin key")
	}
}

func minBytes(a, b []byte) []byte {
	if bytes.Compare(a, b) < 0 {
		return a
	}
	return b
}

// TestRemoveDepartment: a removed department's validator gets power 0, its
// keys sign nothing more, and its participants pass to the successor.
func TestRemoveDepartment(t *testing.T) {
	g := newGovFixture(t, "agri", "ahv", "drug", "market", "commerce")
	id := g.propose("agri", removeDeptChange("ahv", "agri"), false)
	p := g.proposal(id)
	if slices.Contains(p.Electorate, "ahv") || len(p.Electorate) != 4 || p.RequiredYes != 3 {
		t.Fatalf("electorate %v required %d", p.Electorate, p.RequiredYes)
	}
	g.fails(tlv1.CodeNotInElectorate, "not in the electorate", "ahv", voteMsg(id, false))
	g.ok("agri", voteMsg(id, true))
	g.ok("drug", voteMsg(id, true))
	res := g.ok("market", voteMsg(id, true))
	if ups := valUpdates(t, res.ValidatorUpdates); len(ups) != 1 || ups[namedKeyID("val-ahv")] != 0 {
		t.Fatalf("validator updates: %v", ups)
	}
	if _, ok := g.departments()["ahv"]; ok || len(g.departments()) != 4 {
		t.Fatalf("departments after removal: %v", g.departments())
	}
	var d tlv1.Department
	g.get(tlv1.DepartmentKey("ahv"), &d)
	if d.Status != tlv1.DEPARTMENT_STATUS_REMOVED || d.Successor != "agri" || d.RemovedHeight != g.h {
		t.Fatalf("removed department: %v", &d)
	}
	if p := g.participant("ahv"); p.Status != tlv1.PARTICIPANT_STATUS_REMOVED {
		t.Fatalf("removed department's participant status: %s", p.Status)
	}
	g.reject(tlv1.CodeParticipantInactive, tlv1.CodeParticipantInactive, "REMOVED", "ahv", proposeMsg("p", 0, false, accreditChange("lab", "gap")))
	// The slaughterhouse was ahv's; agri supervises it now, market does not.
	g.fails(tlv1.CodeOutOfJurisdiction, `supervised by "agri"`, "market", suspendMsg("slaughter"))
	g.ok("agri", suspendMsg("slaughter"))
	// The department id is never reused.
	g.reject(0, tlv1.CodeDuplicateParticipant, "already registered", "agri", proposeMsg("p", 0, false, addDeptChange("ahv", 10)))
}

// TestNoValidatorLeft: the last department cannot be removed, at
// submission or at execution.
func TestNoValidatorLeft(t *testing.T) {
	g := newGovFixture(t, "agri")
	g.reject(0, tlv1.CodeNoValidatorLeft, "last department", "agri", proposeMsg("p", 0, false, removeDeptChange("agri", "market")))

	// Two departments each propose removing the other: the first executes,
	// the second would leave none and fails to execute.
	g2 := newGovFixture(t, "agri", "ahv")
	a := g2.propose("agri", removeDeptChange("ahv", "agri"), true)
	b := g2.propose("ahv", removeDeptChange("agri", "ahv"), true)
	g2.block(g2.tx("agri", voteMsg(a, true)), g2.tx("ahv", voteMsg(b, true)))
	if p := g2.proposal(a); p.Status != tlv1.PROPOSAL_STATUS_EXECUTED {
		t.Fatalf("first removal: %s %s", p.Status, p.Result)
	}
	if p := g2.proposal(b); p.Status != tlv1.PROPOSAL_STATUS_EXECUTION_FAILED || !strings.Contains(p.Result, "no_validator_left") {
		t.Fatalf("second removal: %s %q", p.Status, p.Result)
	}
	if got := g2.departments(); len(got) != 1 || got["agri"] != 10 {
		t.Fatalf("departments: %v", got)
	}
}

// TestQuorumChange: a quorum change applies to proposals submitted after
// it; open proposals keep the quorum of their submission.
func TestQuorumChange(t *testing.T) {
	g := newGovFixture(t)
	old := g.propose("agri", accreditChange("lab", "gap"), false)
	id := g.propose("agri", quorumChange(3, 4), false)
	for _, d := range []string{"agri", "ahv", "drug"} {
		g.ok(d, voteMsg(id, true))
	}
	if g.a.latest().params.QuorumNumerator != 3 || g.a.latest().params.QuorumDenominator != 4 {
		t.Fatalf("params after the change: %+v", g.a.latest().params)
	}
	nw := g.propose("agri", accreditChange("lab", "gmp"), false)
	if p := g.proposal(nw); p.RequiredYes != 4 || p.QuorumNumerator != 3 {
		t.Fatalf("new proposal requires %d yes (quorum %d/%d), want 4 (3/4)", p.RequiredYes, p.QuorumNumerator, p.QuorumDenominator)
	}
	if p := g.proposal(old); p.RequiredYes != 3 {
		t.Fatalf("open proposal's requirement changed to %d", p.RequiredYes)
	}
	if h := historyOf(t, g, tlv1.ParamsSubject); len(h) != 1 || govKind(h[0]) != "quorum_changed" {
		t.Fatal("the quorum change is not in governance:params history")
	}
	// The network keeps the quorum across a restart (params are state).
	g.reject(tlv1.CodeInvalidMessage, tlv1.CodeInvalidMessage, "numerator", "agri", proposeMsg("p", 0, false, quorumChange(4, 4)))
}

// TestAccreditation: accreditation is granted, suspended and withdrawn
// only by proposal.
func TestAccreditation(t *testing.T) {
	g := newGovFixture(t)
	g.block()
	pass := func(ch *tlv1.ProposalChange) {
		t.Helper()
		id := g.propose("market", ch, false)
		g.block(g.tx("agri", voteMsg(id, true)), g.tx("ahv", voteMsg(id, true)), g.tx("market", voteMsg(id, true)))
		if p := g.proposal(id); p.Status != tlv1.PROPOSAL_STATUS_EXECUTED {
			t.Fatalf("%s: %s %s", changeName(ch), p.Status, p.Result)
		}
	}
	at := genesisTime.AddDate(1, 0, 0).UnixMilli()
	if err := AccreditedFor(g.participant("lab"), "gap", at); CodeOf(err) != tlv1.CodeAccreditationState {
		t.Fatalf("unaccredited certifier: %v", err)
	}
	g.reject(0, tlv1.CodeAccreditationState, "no active accreditation", "market", proposeMsg("p", 0, false, suspendAccreditationChange("lab")))
	pass(accreditChange("lab", "gap", "organic"))
	lab := g.participant("lab")
	if err := AccreditedFor(lab, "organic", at); err != nil {
		t.Fatal(err)
	}
	if err := AccreditedFor(lab, "gmp", at); CodeOf(err) != tlv1.CodeAccreditationState {
		t.Fatalf("scheme not accredited: %v", err)
	}
	if err := AccreditedFor(lab, "gap", genesisTime.AddDate(4, 0, 0).UnixMilli()); CodeOf(err) != tlv1.CodeAccreditationState {
		t.Fatalf("after validity: %v", err)
	}
	if err := AccreditedFor(g.participant("farm"), "gap", at); CodeOf(err) != tlv1.CodeNotACertifier {
		t.Fatalf("enterprise: %v", err)
	}
	pass(suspendAccreditationChange("lab"))
	if a := g.participant("lab").Accreditation; a.Status != tlv1.ACCREDITATION_STATUS_SUSPENDED || a.Reason == "" {
		t.Fatalf("after suspension: %v", a)
	}
	if err := AccreditedFor(g.participant("lab"), "gap", at); CodeOf(err) != tlv1.CodeAccreditationState {
		t.Fatal("a suspended accreditation still certifies")
	}
	pass(withdrawAccreditationChange("lab"))
	if a := g.participant("lab").Accreditation; a.Status != tlv1.ACCREDITATION_STATUS_WITHDRAWN {
		t.Fatalf("after withdrawal: %v", a)
	}
	g.reject(0, tlv1.CodeAccreditationState, "to withdraw", "market", proposeMsg("p", 0, false, withdrawAccreditationChange("lab")))
	if h := historyOf(t, g, tlv1.ParticipantSubject("lab")); govKind(h[len(h)-1]) != "accreditation_changed" || len(h) != 4 {
		t.Fatalf("lab's history has %d records", len(h))
	}
}

// Rule 3: a department alone registers, suspends and reinstates the
// participants it supervises, and no other.
func TestJurisdiction(t *testing.T) {
	g := newGovFixture(t)
	g.ok("agri", registerMsg("farm2", tlv1.ROLE_ENTERPRISE, 20, "farm2"))
	p := g.participant("farm2")
	if p.Department != "agri" || p.Status != tlv1.PARTICIPANT_STATUS_ACTIVE || p.RegisteredHeight != g.h || len(p.Licences) != 1 {
		t.Fatalf("registered: %v", p)
	}
	g.ok("farm2", recordMsg("urn:epc:class:lgtin:6901234.500012.L", g.h+1))
	g.reject(0, tlv1.CodeOutOfJurisdiction, `supervised by "agri"`, "market", suspendMsg("farm"))
	g.reject(0, tlv1.CodeOutOfJurisdiction, "department", "agri", suspendMsg("market"))
	g.reject(0, tlv1.CodeStatusUnchanged, "already", "agri", reinstateMsg("farm"))
	g.reject(0, tlv1.CodeParticipantNotFound, "not registered", "agri", suspendMsg("nobody"))
	g.ok("agri", suspendMsg("farm"))
	if p := g.participant("farm"); p.Status != tlv1.PARTICIPANT_STATUS_SUSPENDED || p.StatusReason != "failed inspection" {
		t.Fatalf("suspended: %v", p)
	}
	// Suspended participants can submit nothing, with any key.
	g.reject(tlv1.CodeParticipantInactive, tlv1.CodeParticipantInactive, "SUSPENDED", "farm", recordMsg("urn:x:1", g.h+1))
	g.reject(tlv1.CodeParticipantInactive, tlv1.CodeParticipantInactive, "SUSPENDED", "farm-b", rotateMsg("farm-b", "farm-c"))
	g.reject(0, tlv1.CodeStatusUnchanged, "already", "agri", suspendMsg("farm"))
	g.reject(0, tlv1.CodeOutOfJurisdiction, `supervised by "agri"`, "market", reinstateMsg("farm"))
	g.ok("agri", reinstateMsg("farm"))
	g.ok("farm", recordMsg("urn:x:1", g.h+1))
	kinds := []string{}
	for _, r := range historyOf(t, g, tlv1.ParticipantSubject("farm")) {
		kinds = append(kinds, govKind(r))
	}
	if !slices.Equal(kinds, []string{"participant_registered", "participant_status_changed", "participant_status_changed"}) {
		t.Fatalf("farm's history: %v", kinds)
	}
}

// Rule 4: a participant rotates its own key; the old key signs nothing
// more, the new one starts at sequence 0, and what the old key signed
// stays valid and provable.
func TestKeyRotation(t *testing.T) {
	g := newGovFixture(t)
	res := g.ok("farm", recordMsg("urn:epc:class:lgtin:6901234.500012.L", g.h+1))
	signedAt := g.h
	idx := recordIndex(t, res)
	g.reject(0, tlv1.CodeBadKeyProof, "does not verify", "farm", &tlv1.Msg{Sum: &tlv1.Msg_RotateKey{RotateKey: &tlv1.RotateKey{
		NewPublicKey: namedPub("farm-new"), NewKeySignature: rotateMsg("farm", "other").GetRotateKey().NewKeySignature}}})
	g.reject(0, tlv1.CodeDuplicateKey, "already registered", "farm", rotateMsg("farm", "farm-b"))
	// Rotation and a later transaction of the old key in the same block:
	// the later one is refused.
	late := signTx(t, namedKey("farm"), g.seq["farm"]+1, testChainID, recordMsg("urn:x:late", g.h+1))
	blk := g.block(g.tx("farm", rotateMsg("farm", "farm-new")), late)
	if blk.TxResults[0].Code != 0 || tlv1.Code(blk.TxResults[1].Code) != tlv1.CodeKeyRevoked {
		t.Fatalf("rotation then old key in one block: %d %q / %d %q", blk.TxResults[0].Code, blk.TxResults[0].Log, blk.TxResults[1].Code, blk.TxResults[1].Log)
	}
	old := g.key("farm")
	if old.Status != tlv1.KEY_STATUS_REVOKED || old.ReplacedBy != namedKeyID("farm-new") || old.RevokedHeight != g.h || old.Sequence != 2 {
		t.Fatalf("old key: %v", old)
	}
	if p := g.participant("farm"); !slices.Equal(p.Keys, []string{namedKeyID("farm-new"), namedKeyID("farm-b")}) {
		t.Fatalf("farm's keys: %v", p.Keys)
	}
	g.reject(tlv1.CodeKeyRevoked, tlv1.CodeKeyRevoked, "revoked", "farm", recordMsg("urn:x:2", g.h+1))
	if g.seq["farm-new"] != 0 {
		t.Fatal("test bookkeeping")
	}
	g.ok("farm-new", recordMsg("urn:x:2", g.h+1))
	// The record signed before the rotation is still proven in the latest
	// state, and the key's state says it was valid then.
	rr, bz := query(t, g.a, tlv1.PathRecord, &tlv1.RecordRequest{Index: idx}, 0)
	if rr.Code != 0 {
		t.Fatal(rr.Log)
	}
	var resp tlv1.RecordResponse
	if err := resp.Unmarshal(bz); err != nil {
		t.Fatal(err)
	}
	verifyAppHash(t, resp.Roots, g.a.latest().info.AppHash)
	var root [32]byte
	copy(root[:], resp.Roots.LogRoot)
	if err := proof.VerifyInclusion(proof.LeafHash(resp.Record.Record), idx, resp.Roots.LogSize, resp.Record.Inclusion.Hashes, root); err != nil {
		t.Fatal(err)
	}
	var rec tlv1.Record
	if err := rec.Unmarshal(resp.Record.Record); err != nil {
		t.Fatal(err)
	}
	if rec.SignerKey != old.Id || rec.Height != signedAt || rec.Height >= old.RevokedHeight {
		t.Fatalf("record signed by %s at %d; key revoked at %d", rec.SignerKey, rec.Height, old.RevokedHeight)
	}
	// Every role may rotate its own key.
	for _, who := range []string{"agri", "lab", "aud"} {
		g.ok(who, rotateMsg(who, who+"-new"))
		g.ok(who+"-new", rotateMsg(who+"-new", who+"-newer"))
	}
}

func recordIndex(t *testing.T, res *abci.ResponseFinalizeBlock) uint64 {
	t.Helper()
	for _, e := range res.TxResults[0].Events {
		for _, a := range e.Attributes {
			if a.Key == tlv1.AttrIndex {
				var n uint64
				for _, c := range a.Value {
					n = n*10 + uint64(c-'0')
				}
				return n
			}
		}
	}
	t.Fatal("no record index in the events")
	return 0
}

// Rule 3 and 4: a department revokes the keys of the participants it
// supervises; everyone may revoke its own; a revoked key signs nothing.
func TestKeyRevocation(t *testing.T) {
	g := newGovFixture(t)
	g.reject(0, tlv1.CodeOutOfJurisdiction, `supervised by "agri"`, "market", revokeMsg("farm-b", ""))
	g.reject(0, tlv1.CodeOutOfJurisdiction, "only its own keys", "slaughter", revokeMsg("farm-b", ""))
	g.reject(0, tlv1.CodeOutOfJurisdiction, "department", "market", revokeMsg("agri", "agri-x"))
	g.reject(0, tlv1.CodeKeyNotFound, "not registered", "agri", revokeMsg("nobody", ""))
	g.reject(0, tlv1.CodeLastActiveKey, "last active key", "ahv", revokeMsg("slaughter", ""))
	g.reject(0, tlv1.CodeDuplicateKey, "already registered", "ahv", revokeMsg("slaughter", "farm"))
	g.ok("agri", revokeMsg("farm-b", ""))
	k := g.key("farm-b")
	if k.Status != tlv1.KEY_STATUS_REVOKED || k.RevokeReason != "compromised" || k.RevokedHeight != g.h {
		t.Fatalf("revoked key: %v", k)
	}
	g.reject(tlv1.CodeKeyRevoked, tlv1.CodeKeyRevoked, "revoked", "farm-b", recordMsg("urn:x:1", g.h+1))
	g.reject(0, tlv1.CodeKeyInactive, "already revoked", "agri", revokeMsg("farm-b", ""))
	// The last key goes only with a replacement, which signs at once.
	g.ok("ahv", revokeMsg("slaughter", "slaughter-new"))
	g.reject(tlv1.CodeKeyRevoked, tlv1.CodeKeyRevoked, "revoked", "slaughter", recordMsg("urn:x:1", g.h+1))
	g.ok("slaughter-new", recordMsg("urn:x:1", g.h+1))
	// Self-revocation, by every role that holds a second key.
	g.ok("aud", revokeMsg("aud-b", ""))
	g.ok("lab-b", revokeMsg("lab", ""))
	g.ok("farm", revokeMsg("farm", "farm-c")) // its own signing key, replaced
	g.ok("farm-c", recordMsg("urn:x:3", g.h+1))
	g.ok("agri", revokeMsg("agri", "agri-2"))
	g.ok("agri-2", registerMsg("farm3", tlv1.ROLE_ENTERPRISE, 30, "farm3"))
	kinds := []string{}
	for _, r := range historyOf(t, g, tlv1.ParticipantSubject("farm")) {
		kinds = append(kinds, govKind(r))
	}
	if !slices.Equal(kinds, []string{"participant_registered", "key_changed", "key_changed"}) {
		t.Fatalf("farm's history: %v", kinds)
	}
}

// Rule 3: no department (no one) can alter a record already in the log:
// after every kind of governance change the earlier records are byte for
// byte the same, and the new log is provably an extension of the old.
func TestLogIsAppendOnly(t *testing.T) {
	g := newGovFixture(t)
	g.ok("farm", recordMsg("urn:x:1", g.h+1))
	c1 := g.a.latest().info
	before := readRecords(t, g, c1.LogSize)

	id := g.propose("agri", addDeptChange("commerce", 10), false)
	for _, d := range []string{"agri", "ahv", "market"} {
		g.ok(d, voteMsg(id, true))
	}
	g.ok("agri", suspendMsg("farm"))
	g.ok("agri", revokeMsg("farm-b", ""))
	g.ok("agri", reinstateMsg("farm"))
	g.ok("farm", rotateMsg("farm", "farm-new"))
	id = g.propose("agri", removeDeptChange("ahv", "agri"), false)
	for _, d := range []string{"agri", "drug", "market"} {
		g.ok(d, voteMsg(id, true))
	}
	c2 := g.a.latest().info
	after := readRecords(t, g, c1.LogSize)
	for i := range before {
		if !bytes.Equal(before[i], after[i]) {
			t.Fatalf("record %d changed", i)
		}
	}
	v := g.a.st.viewAt(c2.Height)
	defer v.discard()
	cp, err := consistencyProof(v, c1.LogSize, c2.LogSize)
	if err != nil {
		t.Fatal(err)
	}
	var r1, r2 [32]byte
	copy(r1[:], c1.LogRoot)
	copy(r2[:], c2.LogRoot)
	if err := proof.VerifyConsistency(c1.LogSize, c2.LogSize, cp.Hashes, r1, r2); err != nil {
		t.Fatalf("the log after governance is not an extension of the log before: %v", err)
	}
	if c2.LogSize <= c1.LogSize {
		t.Fatal("governance appended nothing")
	}
}

func readRecords(t *testing.T, g *govFixture, n uint64) [][]byte {
	t.Helper()
	v := g.a.st.viewAt(g.h)
	defer v.discard()
	out := make([][]byte, n)
	for i := range out {
		b, err := v.record(uint64(i))
		if err != nil || b == nil {
			t.Fatalf("record %d: %v", i, err)
		}
		out[i] = b
	}
	return out
}

// TestGovernanceDeterminism: two instances (one in memory, one on disk)
// fed the same governance blocks reach the same app hashes and validator
// updates, and the one on disk restarts to the same state.
func TestGovernanceDeterminism(t *testing.T) {
	g := newGovFixture(t)
	dir := t.TempDir()
	b := openApp(t, dir, nil)
	g.initChain(b)
	var blocks [][][]byte
	step := func(txs ...[]byte) {
		blocks = append(blocks, txs)
		ra := g.block(txs...)
		rb, err := finalize(t, b, g.h, txs)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ra.AppHash, rb.AppHash) {
			t.Fatalf("height %d: app hashes differ", g.h)
		}
		if len(ra.ValidatorUpdates) != len(rb.ValidatorUpdates) {
			t.Fatalf("height %d: validator updates differ", g.h)
		}
		for i := range ra.ValidatorUpdates {
			if ra.ValidatorUpdates[i].String() != rb.ValidatorUpdates[i].String() {
				t.Fatalf("height %d: validator updates differ", g.h)
			}
		}
	}
	step(g.tx("agri", proposeMsg("add", 0, false, addDeptChange("commerce", 10))), g.tx("agri", registerMsg("farm2", tlv1.ROLE_ENTERPRISE, 20, "farm2")))
	step(g.tx("ahv", voteMsg(1, true)), g.tx("drug", voteMsg(1, true)), g.tx("market", voteMsg(1, true)), g.tx("agri", suspendMsg("farm")))
	step(g.tx("agri", proposeMsg("power", 0, false, powerChange("commerce", 12))), g.tx("farm-b", rotateMsg("farm-b", "farm-c")))
	step(g.tx("agri", voteMsg(2, true)), g.tx("commerce", voteMsg(2, true)), g.tx("drug", voteMsg(2, false)), g.tx("market", voteMsg(2, true)), g.tx("ahv", voteMsg(2, true)))
	step()
	info, _ := b.Info(context.Background(), &abci.RequestInfo{})
	b.Close()
	c := openApp(t, dir, nil)
	defer c.Close()
	ci, _ := c.Info(context.Background(), &abci.RequestInfo{})
	if ci.LastBlockHeight != info.LastBlockHeight || !bytes.Equal(ci.LastBlockAppHash, info.LastBlockAppHash) || !bytes.Equal(ci.LastBlockAppHash, g.a.latest().info.AppHash) {
		t.Fatal("restart does not restore the governance state")
	}
	if g.departments()["commerce"] != 12 {
		t.Fatalf("scenario did not run: %v", g.departments())
	}
}

// TestAuthorizationMatrixDocumented keeps the table in docs/GOVERNANCE.md
// equal to the handlers' roles.
func TestAuthorizationMatrixDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/GOVERNANCE.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(doc)
	start := strings.Index(section, "## Authorization matrix")
	if start < 0 {
		t.Fatal("docs/GOVERNANCE.md has no Authorization matrix section")
	}
	section = section[start+3:]
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	documented := map[string]string{}
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		documented[strings.Trim(strings.TrimSpace(cells[1]), "`")] = strings.TrimSpace(cells[2])
	}
	gov := map[string]bool{}
	for _, h := range governanceHandlers() {
		gov[h.name] = true
	}
	gov["record_event"] = true
	for _, row := range AuthorizationMatrix() {
		want := strings.Join(row.Roles, ", ")
		got, ok := documented[row.Message]
		switch {
		case !ok && gov[row.Message]:
			t.Errorf("docs/GOVERNANCE.md has no row for %s", row.Message)
		case ok && got != want:
			t.Errorf("docs/GOVERNANCE.md says %s may be sent by %q; the code says %q", row.Message, got, want)
		}
		delete(documented, row.Message)
	}
	for m := range documented {
		t.Errorf("docs/GOVERNANCE.md lists %s, which the code does not know", m)
	}
}
