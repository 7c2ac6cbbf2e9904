// SPDX-License-Identifier: Apache-2.0

package client

import (
	"testing"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// FuzzVerifyGovernanceAnswers feeds arbitrary bytes, decoded as each
// governance answer, to its verifier: it must never panic, and it must
// never accept an answer whose roots are missing.
func FuzzVerifyGovernanceAnswers(f *testing.F) {
	roots := &tlv1.StateRoots{Height: 3, LogSize: 1, LogRoot: make([]byte, 32), MapRoot: make([]byte, 32)}
	pv := &tlv1.ProvenValue{Key: "participant/a", Value: []byte{0x0a, 0x01, 'a'}, Proof: &tlv1.MapProof{}}
	for _, m := range []interface{ Marshal() ([]byte, error) }{
		&tlv1.ParticipantsResponse{Roots: roots, Participants: []*tlv1.ProvenValue{pv}},
		&tlv1.ParticipantResponse{Roots: roots, Participant: pv},
		&tlv1.ProposalsResponse{Roots: roots, State: &tlv1.ProvenValue{Key: tlv1.KeyGovernanceState, Proof: &tlv1.MapProof{}}},
		&tlv1.ProposalResponse{Roots: roots, Proposal: &tlv1.ProvenValue{Key: tlv1.ProposalKey(1), Proof: &tlv1.MapProof{}}},
		&tlv1.ValidatorsResponse{Roots: roots, Set: &tlv1.ProvenValue{Key: tlv1.KeyDepartments, Proof: &tlv1.MapProof{}}},
	} {
		bz, err := m.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(bz)
	}
	f.Fuzz(func(t *testing.T, bz []byte) {
		check := func(ok bool, hasRoots bool, what string) {
			if ok && !hasRoots {
				t.Fatalf("%s without roots verified", what)
			}
		}
		var a tlv1.ParticipantsResponse
		if a.Unmarshal(bz) == nil {
			_, err := VerifyParticipants(&tlv1.ParticipantsRequest{}, &a)
			check(err == nil, a.Roots != nil, "participants")
		}
		var b tlv1.ParticipantResponse
		if b.Unmarshal(bz) == nil {
			_, err := VerifyParticipant("a", &b)
			check(err == nil, b.Roots != nil, "participant")
		}
		var c tlv1.ProposalsResponse
		if c.Unmarshal(bz) == nil {
			_, err := VerifyProposals(&tlv1.ProposalsRequest{}, &c)
			check(err == nil, c.Roots != nil, "proposals")
		}
		var d tlv1.ProposalResponse
		if d.Unmarshal(bz) == nil {
			_, err := VerifyProposal(1, &d)
			check(err == nil, d.Roots != nil, "proposal")
		}
		var e tlv1.ValidatorsResponse
		if e.Unmarshal(bz) == nil {
			_, err := VerifyValidators(&e)
			check(err == nil, e.Roots != nil, "validators")
		}
	})
}
