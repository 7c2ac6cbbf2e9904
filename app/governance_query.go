// SPDX-License-Identifier: Apache-2.0

package app

import (
	"github.com/dgraph-io/badger/v4"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// MaxListAnswer caps the entries of one list answer.
const MaxListAnswer = 500

func listLimit(l uint32) int {
	if l == 0 || l > MaxListAnswer {
		return MaxListAnswer
	}
	return int(l)
}

// queryParticipants lists participants in id order, filtered by role,
// recorded department and status.
func queryParticipants(q *querier, data []byte) (marshaler, error) {
	var r tlv1.ParticipantsRequest
	if err := r.Unmarshal(data); err != nil {
		return nil, rejectf(tlv1.CodeInvalidQuery, "data is not a ParticipantsRequest: %v", err)
	}
	limit := listLimit(r.Limit)
	resp := &tlv1.ParticipantsResponse{Roots: q.roots()}
	prefix := mapKey(tlv1.ParticipantKey(""))
	start := prefix
	if r.After != "" {
		start = mapKey(tlv1.ParticipantKey(r.After + "\x00"))
	}
	it := q.v.txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, PrefetchSize: 64, Prefix: prefix})
	defer it.Close()
	var matched []string
	for it.Seek(start); it.Valid(); it.Next() {
		item := it.Item()
		if item.IsDeletedOrExpired() {
			continue
		}
		var p tlv1.Participant
		if err := item.Value(func(v []byte) error { return p.Unmarshal(v) }); err != nil {
			return nil, err
		}
		if (r.Role != tlv1.ROLE_UNSPECIFIED && p.Role != r.Role) ||
			(r.Department != "" && p.Department != r.Department) ||
			(r.Status != tlv1.PARTICIPANT_STATUS_UNSPECIFIED && p.Status != r.Status) {
			continue
		}
		if len(matched) == limit {
			resp.NextAfter = matched[limit-1]
			break
		}
		matched = append(matched, p.Id)
	}
	for _, id := range matched {
		pv, err := q.value(tlv1.ParticipantKey(id))
		if err != nil {
			return nil, err
		}
		resp.Participants = append(resp.Participants, pv)
	}
	return resp, nil
}

// queryParticipant answers one participant with its active keys and, for a
// department, its validator entry.
func queryParticipant(q *querier, data []byte) (marshaler, error) {
	var r tlv1.ParticipantRequest
	if err := r.Unmarshal(data); err != nil {
		return nil, rejectf(tlv1.CodeInvalidQuery, "data is not a ParticipantRequest: %v", err)
	}
	if r.Id == "" {
		return nil, rejectf(tlv1.CodeInvalidQuery, "id is empty")
	}
	pv, err := q.value(tlv1.ParticipantKey(r.Id))
	if err != nil {
		return nil, err
	}
	resp := &tlv1.ParticipantResponse{Roots: q.roots(), Participant: pv}
	if pv.Value == nil {
		return resp, nil
	}
	var p tlv1.Participant
	if err := p.Unmarshal(pv.Value); err != nil {
		return nil, err
	}
	for _, k := range p.Keys {
		kv, err := q.value(tlv1.KeyKey(k))
		if err != nil {
			return nil, err
		}
		resp.Keys = append(resp.Keys, kv)
	}
	if p.Role == tlv1.ROLE_DEPARTMENT {
		if resp.Department, err = q.value(tlv1.DepartmentKey(p.Id)); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

// queryProposals lists proposals in id order, filtered by status and
// proposer.
func queryProposals(q *querier, data []byte) (marshaler, error) {
	var r tlv1.ProposalsRequest
	if err := r.Unmarshal(data); err != nil {
		return nil, rejectf(tlv1.CodeInvalidQuery, "data is not a ProposalsRequest: %v", err)
	}
	limit := listLimit(r.Limit)
	sv, err := q.value(tlv1.KeyGovernanceState)
	if err != nil {
		return nil, err
	}
	resp := &tlv1.ProposalsResponse{Roots: q.roots(), State: sv}
	var gs tlv1.GovernanceState
	if err := gs.Unmarshal(sv.Value); err != nil {
		return nil, err
	}
	for id := r.AfterId + 1; id < gs.NextProposalId; id++ {
		bz, err := q.v.mapValue(tlv1.ProposalKey(id))
		if err != nil {
			return nil, err
		}
		var p tlv1.Proposal
		if err := p.Unmarshal(bz); err != nil {
			return nil, err
		}
		if (r.Status != tlv1.PROPOSAL_STATUS_UNSPECIFIED && p.Status != r.Status) || (r.Proposer != "" && p.Proposer != r.Proposer) {
			continue
		}
		if len(resp.Proposals) == limit {
			resp.NextAfterId = id - 1
			break
		}
		pv, err := q.value(tlv1.ProposalKey(id))
		if err != nil {
			return nil, err
		}
		resp.Proposals = append(resp.Proposals, pv)
	}
	return resp, nil
}

// queryProposal answers a proposal (or its proven absence) and, for each
// member of its electorate, the vote or its proven absence.
func queryProposal(q *querier, data []byte) (marshaler, error) {
	var r tlv1.ProposalRequest
	if err := r.Unmarshal(data); err != nil {
		return nil, rejectf(tlv1.CodeInvalidQuery, "data is not a ProposalRequest: %v", err)
	}
	if r.Id == 0 {
		return nil, rejectf(tlv1.CodeInvalidQuery, "id is required (proposal ids start at 1)")
	}
	pv, err := q.value(tlv1.ProposalKey(r.Id))
	if err != nil {
		return nil, err
	}
	resp := &tlv1.ProposalResponse{Roots: q.roots(), Proposal: pv}
	if pv.Value == nil {
		return resp, nil
	}
	var p tlv1.Proposal
	if err := p.Unmarshal(pv.Value); err != nil {
		return nil, err
	}
	for _, d := range p.Electorate {
		vv, err := q.value(tlv1.VoteKey(p.Id, d))
		if err != nil {
			return nil, err
		}
		resp.Votes = append(resp.Votes, vv)
	}
	return resp, nil
}

// queryValidators answers the active department set, each active
// department's validator and the parameters.
func queryValidators(q *querier, data []byte) (marshaler, error) {
	var r tlv1.ValidatorsRequest
	if err := r.Unmarshal(data); err != nil {
		return nil, rejectf(tlv1.CodeInvalidQuery, "data is not a ValidatorsRequest: %v", err)
	}
	set, err := q.value(tlv1.KeyDepartments)
	if err != nil {
		return nil, err
	}
	resp := &tlv1.ValidatorsResponse{Roots: q.roots(), Set: set}
	var ds tlv1.DepartmentSet
	if err := ds.Unmarshal(set.Value); err != nil {
		return nil, err
	}
	for _, id := range ds.Ids {
		dv, err := q.value(tlv1.DepartmentKey(id))
		if err != nil {
			return nil, err
		}
		resp.Departments = append(resp.Departments, dv)
	}
	if resp.Params, err = q.value(tlv1.KeyParams); err != nil {
		return nil, err
	}
	return resp, nil
}
