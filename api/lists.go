// SPDX-License-Identifier: Apache-2.0

package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/proof/bundle"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Lists. The ledger's map is keyed by hash and has no proof that a range
// of keys holds nothing more, so a list is only as provable as what the
// state counts:
//
//   - proposals are numbered 1 .. next_proposal_id-1 and gov/state proves
//     that count, so the unfiltered list of proposals is proven complete:
//     every page holds every id in its range, each entry proven;
//   - participants have no count: each listed participant is proven, but
//     that none is missing is not (Complete is false, always). The
//     complete, proven list of departments is /v1/validators.

// maxListPage is the most entries one list page asks for (the node's cap).
const maxListPage = 500

// ParticipantsAnswer is one page of participants in id order: every entry
// proven, the list NOT proven complete.
type ParticipantsAnswer struct {
	State        bundle.State      `json:"state"`
	Participants []json.RawMessage `json:"participants"`
	// Entries are the participants' map entries with their proofs.
	Entries []bundle.Value `json:"entries"`
	// Complete is false: the ledger cannot prove that no participant is
	// missing from the list (its map has no range proofs).
	Complete bool `json:"complete"`
	// Next is the next page (a relative URL), absent on the last.
	Next string `json:"next,omitempty"`
}

// listLimit reads ?limit= (1 to maxListPage; default maxListPage).
func listLimit(r *http.Request) (uint32, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return maxListPage, nil
	}
	l, err := strconv.ParseUint(v, 10, 32)
	if err != nil || l == 0 || l > maxListPage {
		return 0, badRequest(tlv1.CodeInvalidQuery, "limit", fmt.Sprintf("give the most entries the page holds, 1 to %d", maxListPage), "limit %q is not an integer from 1 to %d", v, maxListPage)
	}
	return uint32(l), nil
}

func (s *Server) participants(r *http.Request) (*prepared, error) {
	q := r.URL.Query()
	req := &tlv1.ParticipantsRequest{Department: q.Get("department"), After: q.Get("after")}
	if v := q.Get("role"); v != "" {
		role, ok := tlv1.RoleByName(v)
		if !ok {
			return nil, badRequest(tlv1.CodeInvalidQuery, "role", "role is department, enterprise, certifier or auditor", "unknown role %q", v)
		}
		req.Role = role
	}
	var err error
	if req.Limit, err = listLimit(r); err != nil {
		return nil, err
	}
	key := fmt.Sprintf("participants\x00%d\x00%s\x00%s\x00%d", req.Role, req.Department, req.After, req.Limit)
	return &prepared{key: key, fetch: func(rd *reader) (any, error) {
		var resp tlv1.ParticipantsResponse
		h, err := rd.query(tlv1.PathParticipants, req, &resp)
		if err != nil {
			return nil, err
		}
		list, err := client.VerifyParticipants(req, &resp)
		if err != nil {
			return nil, err
		}
		if err := rd.roots(resp.Roots, h); err != nil {
			return nil, err
		}
		out := ParticipantsAnswer{State: rootsView(resp.Roots), Participants: []json.RawMessage{}, Entries: []bundle.Value{}}
		for i, p := range list {
			js, err := protoJSON(p)
			if err != nil {
				return nil, err
			}
			out.Participants = append(out.Participants, js)
			out.Entries = append(out.Entries, bundle.ValueOf(resp.Participants[i]))
		}
		if resp.NextAfter != "" {
			next := url.Values{"after": {resp.NextAfter}, "limit": {strconv.FormatUint(uint64(req.Limit), 10)}}
			if req.Role != tlv1.ROLE_UNSPECIFIED {
				next.Set("role", tlv1.RoleName(req.Role))
			}
			if req.Department != "" {
				next.Set("department", req.Department)
			}
			out.Next = "/v1/participants?" + next.Encode()
		}
		return out, nil
	}}, nil
}

// ProposalsAnswer is one page of every proposal, in id order, proven
// complete: Count (proven by StateEntry, gov/state) says the proposals are
// exactly 1 .. Count, and the page holds every id after its cursor up to
// its limit, each entry proven.
type ProposalsAnswer struct {
	State      bundle.State      `json:"state"`
	Count      uint64            `json:"count"`
	StateEntry bundle.Value      `json:"state_entry"`
	Proposals  []json.RawMessage `json:"proposals"`
	Entries    []bundle.Value    `json:"entries"`
	// Complete is true: no proposal in the page's range is missing.
	Complete bool   `json:"complete"`
	Next     string `json:"next,omitempty"`
}

func (s *Server) proposals(r *http.Request) (*prepared, error) {
	req := &tlv1.ProposalsRequest{}
	if v := r.URL.Query().Get("after"); v != "" {
		after, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, badRequest(tlv1.CodeInvalidQuery, "after", "give the id of the last proposal of the previous page", "after %q is not a non-negative integer", v)
		}
		req.AfterId = after
	}
	var err error
	if req.Limit, err = listLimit(r); err != nil {
		return nil, err
	}
	return &prepared{key: fmt.Sprintf("proposals\x00%d\x00%d", req.AfterId, req.Limit), fetch: func(rd *reader) (any, error) {
		var resp tlv1.ProposalsResponse
		h, err := rd.query(tlv1.PathProposals, req, &resp)
		if err != nil {
			return nil, err
		}
		list, err := client.VerifyProposals(req, &resp)
		if err != nil {
			return nil, err
		}
		if err := rd.roots(resp.Roots, h); err != nil {
			return nil, err
		}
		var gs tlv1.GovernanceState
		if resp.State != nil && len(resp.State.Value) > 0 {
			if err := gs.Unmarshal(resp.State.Value); err != nil {
				return nil, notVerified(fmt.Errorf("gov/state does not decode: %w", err))
			}
		}
		count := uint64(0)
		if gs.NextProposalId > 0 {
			count = gs.NextProposalId - 1
		}
		// Unfiltered, the page must hold every id after the cursor, up
		// to the limit or the count: that is what makes it complete.
		want := uint64(0)
		if count > req.AfterId {
			want = min(count-req.AfterId, uint64(req.Limit))
		}
		if uint64(len(list)) != want {
			return nil, notVerified(fmt.Errorf("the node listed %d proposals after %d, the proven count %d makes it %d", len(list), req.AfterId, count, want))
		}
		for i, p := range list {
			if p.Id != req.AfterId+uint64(i)+1 {
				return nil, notVerified(fmt.Errorf("proposal %d listed where %d belongs", p.Id, req.AfterId+uint64(i)+1))
			}
		}
		out := ProposalsAnswer{State: rootsView(resp.Roots), Count: count, StateEntry: bundle.ValueOf(resp.State),
			Proposals: []json.RawMessage{}, Entries: []bundle.Value{}, Complete: true}
		for i, p := range list {
			js, err := protoJSON(p)
			if err != nil {
				return nil, err
			}
			out.Proposals = append(out.Proposals, js)
			out.Entries = append(out.Entries, bundle.ValueOf(resp.Proposals[i]))
		}
		if last := req.AfterId + want; last < count {
			out.Next = fmt.Sprintf("/v1/proposals?after=%d&limit=%d", last, req.Limit)
		}
		return out, nil
	}}, nil
}
