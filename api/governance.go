// SPDX-License-Identifier: Apache-2.0

package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/proof/bundle"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// ValidatorsAnswer is the verified, complete list of active departments
// (the validators) and the quorum.
type ValidatorsAnswer struct {
	State             bundle.State      `json:"state"`
	Departments       []json.RawMessage `json:"departments"`
	TotalPower        int64             `json:"total_power"`
	QuorumNumerator   uint64            `json:"quorum_numerator"`
	QuorumDenominator uint64            `json:"quorum_denominator"`
}

func (s *Server) validators(*http.Request) (*prepared, error) {
	return &prepared{key: "validators", fetch: func(rd *reader) (any, error) {
		var resp tlv1.ValidatorsResponse
		h, err := rd.query(tlv1.PathValidators, &tlv1.ValidatorsRequest{}, &resp)
		if err != nil {
			return nil, err
		}
		vs, err := client.VerifyValidators(&resp)
		if err != nil {
			return nil, err
		}
		if err := rd.roots(resp.Roots, h); err != nil {
			return nil, err
		}
		out := ValidatorsAnswer{State: rootsView(resp.Roots), Departments: []json.RawMessage{}, TotalPower: vs.TotalPower(),
			QuorumNumerator: vs.QuorumNumerator, QuorumDenominator: vs.QuorumDenominator}
		for _, d := range vs.Departments {
			js, err := protoJSON(d)
			if err != nil {
				return nil, err
			}
			out.Departments = append(out.Departments, js)
		}
		return out, nil
	}}, nil
}

// ProposalAnswer is a verified proposal with the vote (or its proven
// absence, null) of every department of its electorate.
type ProposalAnswer struct {
	State    bundle.State      `json:"state"`
	Proposal json.RawMessage   `json:"proposal"`
	Votes    []json.RawMessage `json:"votes"`
}

func (s *Server) proposal(r *http.Request) (*prepared, error) {
	v := r.PathValue("id")
	id, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return nil, badRequest(tlv1.CodeInvalidQuery, "id", "give the proposal number", "proposal id %q is not a non-negative integer", v)
	}
	return &prepared{key: "proposal\x00" + strconv.FormatUint(id, 10), fetch: func(rd *reader) (any, error) {
		var resp tlv1.ProposalResponse
		h, err := rd.query(tlv1.PathProposal, &tlv1.ProposalRequest{Id: id}, &resp)
		if err != nil {
			return nil, err
		}
		info, err := client.VerifyProposal(id, &resp)
		if err != nil {
			return nil, err
		}
		if err := rd.roots(resp.Roots, h); err != nil {
			return nil, err
		}
		if info.Proposal == nil {
			return nil, absent(rd, tlv1.CodeProposalNotFound, "id", "no proposal has the id %d", id)
		}
		out := ProposalAnswer{State: rootsView(resp.Roots), Votes: []json.RawMessage{}}
		if out.Proposal, err = protoJSON(info.Proposal); err != nil {
			return nil, err
		}
		for _, vote := range info.Votes {
			js := json.RawMessage("null")
			if vote != nil {
				if js, err = protoJSON(vote); err != nil {
					return nil, err
				}
			}
			out.Votes = append(out.Votes, js)
		}
		return out, nil
	}}, nil
}

// RecallAnswer is a verified recall with its map proof.
type RecallAnswer struct {
	ID     string          `json:"id"`
	State  bundle.State    `json:"state"`
	Recall json.RawMessage `json:"recall"`
	Entry  bundle.Value    `json:"entry"`
}

func (s *Server) recall(r *http.Request) (*prepared, error) {
	id := r.PathValue("id")
	if id == "" {
		return nil, badRequest(tlv1.CodeInvalidQuery, "id", "give the recall id", "empty recall id")
	}
	return &prepared{key: "recall\x00" + id, fetch: func(rd *reader) (any, error) {
		resp, present, err := readValue(rd, tlv1.RecallKey(id))
		if err != nil {
			return nil, err
		}
		if !present {
			return nil, absent(rd, tlv1.CodeNotFound, "id", "no recall has the id %q", id)
		}
		var rc tlv1.Recall
		if err := rc.Unmarshal(resp.Value.Value); err != nil {
			return nil, notVerified(fmt.Errorf("recall does not decode: %w", err))
		}
		js, err := protoJSON(&rc)
		if err != nil {
			return nil, err
		}
		return RecallAnswer{ID: id, State: rootsView(resp.Roots), Recall: js, Entry: bundle.ValueOf(resp.Value)}, nil
	}}, nil
}

// LotRecallsAnswer is every recall recorded against a lot, from the lot's
// complete, verified history: a recall is appended to the history of every
// lot it names (docs/PROOFS.md, "Absence and status"), so the history's
// recall records, with the head that proves it complete, are all the
// recalls of the lot as of the answer's height, and an empty list proves
// there is none.
type LotRecallsAnswer struct {
	// Lot is as asked; Canonical the key its history is filed under.
	Lot       string       `json:"lot"`
	Canonical string       `json:"canonical"`
	State     bundle.State `json:"state"`
	Head      HeadView     `json:"head"`
	HeadProof bundle.Value `json:"head_proof"`
	// Recalls are the recall records, oldest first.
	Recalls []LotRecall `json:"recalls"`
}

// LotRecall is one recall record of a lot's history.
type LotRecall struct {
	ID     string          `json:"id"`
	Recall json.RawMessage `json:"recall"`
	// Record is the log record with its inclusion proof.
	Record RecordView `json:"record"`
}

// lotRecalls answers GET /v1/recalls?lot=.
func (s *Server) lotRecalls(r *http.Request) (*prepared, error) {
	given := r.URL.Query().Get("lot")
	if given == "" {
		return nil, badRequest(tlv1.CodeEPCISInvalidIdentifier, "lot", "give the lot: /v1/recalls?lot=<identifier, percent-encoded>; a recall by id is /v1/recalls/{id}", "no lot")
	}
	canonical, err := client.CanonicalSubject(given)
	if err != nil {
		return nil, &problemError{status: http.StatusBadRequest, code: tlv1.CodeEPCISInvalidIdentifier, field: "lot", detail: err.Error(),
			hint: "give a GS1 key (EPC URI or Digital Link on any domain), a national code that passes its structure check, or another absolute URI, percent-encoded"}
	}
	return &prepared{key: "lot-recalls\x00" + canonical, fetch: func(rd *reader) (any, error) {
		resp, vh, err := readHistory(rd, canonical, walked)
		if err != nil {
			return nil, err
		}
		if vh.Head == nil {
			return nil, absent(rd, tlv1.CodeNotFound, "lot", "%s (canonical %s) has no history on the ledger", given, canonical)
		}
		out := LotRecallsAnswer{Lot: given, Canonical: canonical, State: rootsView(resp.Roots),
			Head:      HeadView{Count: vh.Head.Count, LastIndex: vh.Head.LastIndex, ChainHash: vh.Head.ChainHash},
			HeadProof: bundle.ValueOf(resp.Head), Recalls: []LotRecall{}}
		for i, vr := range vh.Records {
			rc := vr.Record.GetCredit().GetRecall()
			if rc == nil {
				continue
			}
			js, err := protoJSON(rc)
			if err != nil {
				return nil, err
			}
			v, err := recordView(vr, resp.Records[i])
			if err != nil {
				return nil, err
			}
			out.Recalls = append(out.Recalls, LotRecall{ID: rc.GetBody().GetId(), Recall: js, Record: v})
		}
		return out, nil
	}}, nil
}
