// SPDX-License-Identifier: Apache-2.0

package app

import (
	"testing"

	"github.com/traceledger/traceledger/client"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// queryInto runs a governance query and decodes the answer, checking its
// roots against the committed app hash.
func queryInto(t *testing.T, g *govFixture, path string, req marshaler, resp interface {
	Unmarshal([]byte) error
}, roots func() *tlv1.StateRoots) {
	t.Helper()
	res, bz := query(t, g.a, path, req, 0)
	if res.Code != 0 {
		t.Fatalf("%s: code %d %s", path, res.Code, res.Log)
	}
	if err := resp.Unmarshal(bz); err != nil {
		t.Fatal(err)
	}
	verifyAppHash(t, roots(), g.a.latest().info.AppHash)
}

func TestGovernanceQueries(t *testing.T) {
	g := newGovFixture(t)
	g.ok("agri", registerMsg("farm2", tlv1.ROLE_ENTERPRISE, 20, "farm2"))
	g.ok("agri", suspendMsg("farm2"))
	id := g.propose("agri", addDeptChange("commerce", 10), false)
	g.ok("ahv", voteMsg(id, true))
	g.ok("drug", voteMsg(id, false))
	g.propose("market", accreditChange("lab", "gap"), false)

	t.Run("participants", func(t *testing.T) {
		cases := []struct {
			req  *tlv1.ParticipantsRequest
			want []string
			next string
		}{
			{&tlv1.ParticipantsRequest{}, []string{"agri", "ahv", "aud", "drug", "farm", "farm2", "lab", "market", "pharma", "slaughter"}, ""},
			{&tlv1.ParticipantsRequest{Role: tlv1.ROLE_ENTERPRISE}, []string{"farm", "farm2", "pharma", "slaughter"}, ""},
			{&tlv1.ParticipantsRequest{Department: "agri"}, []string{"agri", "farm", "farm2"}, ""},
			{&tlv1.ParticipantsRequest{Status: tlv1.PARTICIPANT_STATUS_SUSPENDED}, []string{"farm2"}, ""},
			{&tlv1.ParticipantsRequest{Role: tlv1.ROLE_DEPARTMENT, Limit: 2}, []string{"agri", "ahv"}, "ahv"},
			{&tlv1.ParticipantsRequest{Role: tlv1.ROLE_DEPARTMENT, After: "ahv", Limit: 2}, []string{"drug", "market"}, ""},
			{&tlv1.ParticipantsRequest{Role: tlv1.ROLE_CERTIFIER, Department: "agri"}, nil, ""},
		}
		for _, tc := range cases {
			var resp tlv1.ParticipantsResponse
			queryInto(t, g, tlv1.PathParticipants, tc.req, &resp, func() *tlv1.StateRoots { return resp.Roots })
			list, err := client.VerifyParticipants(tc.req, &resp)
			if err != nil {
				t.Fatalf("%v: %v", tc.req, err)
			}
			var ids []string
			for _, p := range list {
				ids = append(ids, p.Id)
			}
			if !equalStrings(ids, tc.want) || resp.NextAfter != tc.next {
				t.Errorf("%v: got %v next %q, want %v next %q", tc.req, ids, resp.NextAfter, tc.want, tc.next)
			}
		}
		// A node that slips in an entry not matching the filter is caught.
		var resp tlv1.ParticipantsResponse
		queryInto(t, g, tlv1.PathParticipants, &tlv1.ParticipantsRequest{}, &resp, func() *tlv1.StateRoots { return resp.Roots })
		if _, err := client.VerifyParticipants(&tlv1.ParticipantsRequest{Role: tlv1.ROLE_ENTERPRISE}, &resp); err == nil {
			t.Error("an answer with departments passed for an enterprise filter")
		}
		resp.Participants[0].Value[3] ^= 1
		if _, err := client.VerifyParticipants(&tlv1.ParticipantsRequest{}, &resp); err == nil {
			t.Error("a tampered participant passed verification")
		}
	})

	t.Run("participant", func(t *testing.T) {
		var resp tlv1.ParticipantResponse
		queryInto(t, g, tlv1.PathParticipant, &tlv1.ParticipantRequest{Id: "agri"}, &resp, func() *tlv1.StateRoots { return resp.Roots })
		info, err := client.VerifyParticipant("agri", &resp)
		if err != nil {
			t.Fatal(err)
		}
		if info.Participant.Id != "agri" || len(info.Keys) != 1 || info.Keys[0].Id != namedKeyID("agri") || info.Department == nil || info.Department.Power != 10 {
			t.Fatalf("agri: %+v", info)
		}
		if _, err := client.VerifyParticipant("ahv", &resp); err == nil {
			t.Fatal("an answer for agri passed as ahv")
		}
		var absent tlv1.ParticipantResponse
		queryInto(t, g, tlv1.PathParticipant, &tlv1.ParticipantRequest{Id: "nobody"}, &absent, func() *tlv1.StateRoots { return absent.Roots })
		if info, err := client.VerifyParticipant("nobody", &absent); err != nil || info.Participant != nil {
			t.Fatalf("absent participant: %+v %v", info, err)
		}
	})

	t.Run("proposals", func(t *testing.T) {
		cases := []struct {
			req  *tlv1.ProposalsRequest
			want []uint64
			next uint64
		}{
			{&tlv1.ProposalsRequest{}, []uint64{1, 2}, 0},
			{&tlv1.ProposalsRequest{Proposer: "market"}, []uint64{2}, 0},
			{&tlv1.ProposalsRequest{Status: tlv1.PROPOSAL_STATUS_EXECUTED}, nil, 0},
			{&tlv1.ProposalsRequest{Limit: 1}, []uint64{1}, 1},
			{&tlv1.ProposalsRequest{AfterId: 1}, []uint64{2}, 0},
		}
		for _, tc := range cases {
			var resp tlv1.ProposalsResponse
			queryInto(t, g, tlv1.PathProposals, tc.req, &resp, func() *tlv1.StateRoots { return resp.Roots })
			list, err := client.VerifyProposals(tc.req, &resp)
			if err != nil {
				t.Fatalf("%v: %v", tc.req, err)
			}
			var ids []uint64
			for _, p := range list {
				ids = append(ids, p.Id)
			}
			if len(ids) != len(tc.want) || resp.NextAfterId != tc.next {
				t.Fatalf("%v: got %v next %d, want %v next %d", tc.req, ids, resp.NextAfterId, tc.want, tc.next)
			}
			for i := range ids {
				if ids[i] != tc.want[i] {
					t.Fatalf("%v: got %v, want %v", tc.req, ids, tc.want)
				}
			}
		}
	})

	t.Run("proposal", func(t *testing.T) {
		var resp tlv1.ProposalResponse
		queryInto(t, g, tlv1.PathProposal, &tlv1.ProposalRequest{Id: id}, &resp, func() *tlv1.StateRoots { return resp.Roots })
		info, err := client.VerifyProposal(id, &resp)
		if err != nil {
			t.Fatal(err)
		}
		// electorate agri, ahv, drug, market: ahv yes, drug no.
		got := []string{}
		for i, v := range info.Votes {
			s := info.Proposal.Electorate[i] + "="
			if v == nil {
				s += "none"
			} else {
				s += v.Option.String()
			}
			got = append(got, s)
		}
		want := []string{"agri=none", "ahv=VOTE_OPTION_YES", "drug=VOTE_OPTION_NO", "market=none"}
		if !equalStrings(got, want) {
			t.Fatalf("votes %v, want %v", got, want)
		}
		// Hiding a vote (answering the yes vote's key with no value) fails.
		resp.Votes[1].Value = nil
		if _, err := client.VerifyProposal(id, &resp); err == nil {
			t.Fatal("a hidden vote passed verification")
		}
		var absent tlv1.ProposalResponse
		queryInto(t, g, tlv1.PathProposal, &tlv1.ProposalRequest{Id: 99}, &absent, func() *tlv1.StateRoots { return absent.Roots })
		if info, err := client.VerifyProposal(99, &absent); err != nil || info.Proposal != nil {
			t.Fatalf("absent proposal: %+v %v", info, err)
		}
	})

	t.Run("validators", func(t *testing.T) {
		var resp tlv1.ValidatorsResponse
		queryInto(t, g, tlv1.PathValidators, &tlv1.ValidatorsRequest{}, &resp, func() *tlv1.StateRoots { return resp.Roots })
		vs, err := client.VerifyValidators(&resp)
		if err != nil {
			t.Fatal(err)
		}
		if len(vs.Departments) != 4 || vs.TotalPower() != 40 || vs.QuorumNumerator != 2 || vs.QuorumDenominator != 3 {
			t.Fatalf("validators: %d departments, power %d, quorum %d/%d", len(vs.Departments), vs.TotalPower(), vs.QuorumNumerator, vs.QuorumDenominator)
		}
		resp.Departments = resp.Departments[1:]
		if _, err := client.VerifyValidators(&resp); err == nil {
			t.Fatal("an answer missing a validator passed verification")
		}
	})

	t.Run("bad requests", func(t *testing.T) {
		for _, c := range []struct {
			path string
			data []byte
		}{
			{tlv1.PathParticipants, []byte{0xff}},
			{tlv1.PathParticipant, nil},
			{tlv1.PathProposal, nil},
			{tlv1.PathProposals, []byte{0x0a}},
			{tlv1.PathValidators, []byte{0xff, 0xff}},
		} {
			res, _ := query(t, g.a, c.path, rawReq(c.data), 0)
			if tlv1.Code(res.Code) != tlv1.CodeInvalidQuery {
				t.Errorf("%s with %x: code %d %s", c.path, c.data, res.Code, res.Log)
			}
		}
	})
}

type rawReq []byte

func (r rawReq) Marshal() ([]byte, error) { return r, nil }

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestChangeHandlersCoverEveryKind: every proposal kind of the contract has
// a validate and an apply step here, and nothing here names another kind.
func TestChangeHandlersCoverEveryKind(t *testing.T) {
	kinds := tlv1.ProposalKinds()
	for _, k := range kinds {
		if h, ok := changeHandlers[k.Name]; !ok || h.validate == nil || h.apply == nil {
			t.Errorf("proposal kind %s has no complete handler", k.Name)
		}
	}
	if len(changeHandlers) != len(kinds) {
		t.Errorf("%d handlers for %d kinds", len(changeHandlers), len(kinds))
	}
}
