// SPDX-License-Identifier: Apache-2.0

package client

import (
	"context"
	"crypto/ed25519"
	"fmt"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// ---------------------------------------------------------------- transactions

// Propose submits a proposal and returns its id, read from the verified
// record of the submission.
func (c *Client) Propose(ctx context.Context, s Signer, p *tlv1.SubmitProposal) (uint64, *Committed, error) {
	res, err := c.Submit(ctx, s, &tlv1.Msg{Sum: &tlv1.Msg_SubmitProposal{SubmitProposal: p}})
	if err != nil {
		return 0, nil, err
	}
	if len(res.Indexes) == 0 {
		return 0, res, fmt.Errorf("proposal committed in tx %X but no record index came back", res.Hash)
	}
	if err := c.WaitForHeight(ctx, res.Height+1); err != nil {
		return 0, res, err
	}
	r, _, err := c.Record(ctx, res.Indexes[0])
	if err != nil {
		return 0, res, fmt.Errorf("read the submission record: %w", err)
	}
	sub := r.Record.GetGovernance().GetProposalSubmitted()
	if sub == nil {
		return 0, res, fmt.Errorf("%w: record %d is not a proposal submission", ErrNotVerified, r.Index)
	}
	return sub.Id, res, nil
}

// Vote casts the signing department's vote on a proposal.
func (c *Client) Vote(ctx context.Context, s Signer, proposalID uint64, yes bool) (*Committed, error) {
	o := tlv1.VOTE_OPTION_NO
	if yes {
		o = tlv1.VOTE_OPTION_YES
	}
	return c.Submit(ctx, s, &tlv1.Msg{Sum: &tlv1.Msg_Vote{Vote: &tlv1.Vote{ProposalId: proposalID, Option: o}}})
}

// Register registers a participant supervised by the signing department.
func (c *Client) Register(ctx context.Context, s Signer, r *tlv1.RegisterParticipant) (*Committed, error) {
	return c.Submit(ctx, s, &tlv1.Msg{Sum: &tlv1.Msg_RegisterParticipant{RegisterParticipant: r}})
}

// Suspend suspends (blacklists) a participant the signing department
// supervises.
func (c *Client) Suspend(ctx context.Context, s Signer, participant, reason string) (*Committed, error) {
	return c.Submit(ctx, s, &tlv1.Msg{Sum: &tlv1.Msg_SuspendParticipant{SuspendParticipant: &tlv1.SuspendParticipant{Participant: participant, Reason: reason}}})
}

// Reinstate lifts a suspension.
func (c *Client) Reinstate(ctx context.Context, s Signer, participant, reason string) (*Committed, error) {
	return c.Submit(ctx, s, &tlv1.Msg{Sum: &tlv1.Msg_ReinstateParticipant{ReinstateParticipant: &tlv1.ReinstateParticipant{Participant: participant, Reason: reason}}})
}

// RotateKeyMsg builds the RotateKey message that replaces the key oldKeyID
// by newKey, with newKey's proof of possession.
func RotateKeyMsg(oldKeyID string, newKey ed25519.PrivateKey) *tlv1.Msg {
	pub := newKey.Public().(ed25519.PublicKey)
	sig := ed25519.Sign(newKey, tlv1.RotateKeyProofBytes(oldKeyID, pub))
	return &tlv1.Msg{Sum: &tlv1.Msg_RotateKey{RotateKey: &tlv1.RotateKey{NewPublicKey: pub, NewKeySignature: sig}}}
}

// RotateKey replaces the signer's key by newKey: the old key signs the
// transaction and can sign nothing afterwards; newKey starts at sequence 0.
func (c *Client) RotateKey(ctx context.Context, old Signer, newKey ed25519.PrivateKey) (*Committed, error) {
	res, err := c.Submit(ctx, old, RotateKeyMsg(old.KeyID(), newKey))
	c.forgetSequence(old.KeyID())
	return res, err
}

// RevokeKey revokes a key (the signer's own, or one of a participant the
// signing department supervises), optionally registering replacement (a
// 32-byte Ed25519 public key) in its place.
func (c *Client) RevokeKey(ctx context.Context, s Signer, keyID, reason string, replacement []byte) (*Committed, error) {
	res, err := c.Submit(ctx, s, &tlv1.Msg{Sum: &tlv1.Msg_RevokeKey{RevokeKey: &tlv1.RevokeKey{KeyId: keyID, Reason: reason, ReplacementPublicKey: replacement}}})
	if keyID == s.KeyID() {
		c.forgetSequence(keyID)
	}
	return res, err
}

// ---------------------------------------------------------------- verification

// decodeEntry verifies a map entry for key and decodes it into m; absent is
// true when the entry is proven absent.
func decodeEntry(roots *tlv1.StateRoots, key string, pv *tlv1.ProvenValue, m interface{ Unmarshal([]byte) error }) (absent bool, err error) {
	if err := verifyValue(roots, key, pv); err != nil {
		return false, err
	}
	if len(pv.Value) == 0 {
		return true, nil
	}
	if err := m.Unmarshal(pv.Value); err != nil {
		return false, fmt.Errorf("%w: %s does not decode: %v", ErrNotVerified, key, err)
	}
	return false, nil
}

// VerifyParticipants checks a /participants answer against its roots and
// the request: every entry proven at participant/<id>, ids ascending after
// the cursor, every entry matching the filters, at most the limit.
func VerifyParticipants(req *tlv1.ParticipantsRequest, resp *tlv1.ParticipantsResponse) ([]*tlv1.Participant, error) {
	if resp == nil || resp.Roots == nil {
		return nil, fmt.Errorf("%w: empty answer", ErrNotVerified)
	}
	limit := int(req.Limit)
	if limit == 0 || limit > maxList {
		limit = maxList
	}
	if len(resp.Participants) > limit {
		return nil, fmt.Errorf("%w: %d participants, more than the limit %d", ErrNotVerified, len(resp.Participants), limit)
	}
	out := make([]*tlv1.Participant, 0, len(resp.Participants))
	prev := req.After
	for i, pv := range resp.Participants {
		if pv == nil {
			return nil, fmt.Errorf("%w: entry %d is not a participant", ErrNotVerified, i)
		}
		id, ok := tlv1.ParseParticipantKey(pv.Key)
		if !ok {
			return nil, fmt.Errorf("%w: entry %d is not a participant", ErrNotVerified, i)
		}
		if (i > 0 || prev != "") && id <= prev {
			return nil, fmt.Errorf("%w: entry %d (%q) is out of order", ErrNotVerified, i, id)
		}
		prev = id
		var p tlv1.Participant
		absent, err := decodeEntry(resp.Roots, pv.Key, pv, &p)
		if err != nil {
			return nil, err
		}
		switch {
		case absent:
			return nil, fmt.Errorf("%w: participant %q is listed but proven absent", ErrNotVerified, id)
		case p.Id != id:
			return nil, fmt.Errorf("%w: entry at %q holds participant %q", ErrNotVerified, pv.Key, p.Id)
		case req.Role != tlv1.ROLE_UNSPECIFIED && p.Role != req.Role,
			req.Department != "" && p.Department != req.Department,
			req.Status != tlv1.PARTICIPANT_STATUS_UNSPECIFIED && p.Status != req.Status:
			return nil, fmt.Errorf("%w: participant %q does not match the filter", ErrNotVerified, id)
		}
		out = append(out, &p)
	}
	return out, nil
}

// ParticipantInfo is a participant with its active keys and, for a
// department, its validator entry.
type ParticipantInfo struct {
	// Participant is nil when the participant is proven not registered.
	Participant *tlv1.Participant
	Keys        []*tlv1.Key
	Department  *tlv1.Department
}

// VerifyParticipant checks a /participant answer for id.
func VerifyParticipant(id string, resp *tlv1.ParticipantResponse) (*ParticipantInfo, error) {
	if resp == nil || resp.Roots == nil {
		return nil, fmt.Errorf("%w: empty answer", ErrNotVerified)
	}
	var p tlv1.Participant
	absent, err := decodeEntry(resp.Roots, tlv1.ParticipantKey(id), resp.Participant, &p)
	if err != nil {
		return nil, err
	}
	if absent {
		if len(resp.Keys) != 0 || resp.Department != nil {
			return nil, fmt.Errorf("%w: participant %q is proven absent but keys came with it", ErrNotVerified, id)
		}
		return &ParticipantInfo{}, nil
	}
	if p.Id != id {
		return nil, fmt.Errorf("%w: answer holds participant %q, asked for %q", ErrNotVerified, p.Id, id)
	}
	if len(resp.Keys) != len(p.Keys) {
		return nil, fmt.Errorf("%w: participant has %d keys, answer has %d", ErrNotVerified, len(p.Keys), len(resp.Keys))
	}
	info := &ParticipantInfo{Participant: &p}
	for i, kid := range p.Keys {
		var k tlv1.Key
		absent, err := decodeEntry(resp.Roots, tlv1.KeyKey(kid), resp.Keys[i], &k)
		if err != nil {
			return nil, err
		}
		if absent || k.Participant != id {
			return nil, fmt.Errorf("%w: key %s is not %q's", ErrNotVerified, kid, id)
		}
		info.Keys = append(info.Keys, &k)
	}
	if p.Role == tlv1.ROLE_DEPARTMENT {
		var d tlv1.Department
		absent, err := decodeEntry(resp.Roots, tlv1.DepartmentKey(id), resp.Department, &d)
		if err != nil {
			return nil, err
		}
		if absent || d.Id != id {
			return nil, fmt.Errorf("%w: department %q has no validator entry", ErrNotVerified, id)
		}
		info.Department = &d
	} else if resp.Department != nil {
		return nil, fmt.Errorf("%w: a %s came with a department entry", ErrNotVerified, p.Role)
	}
	return info, nil
}

// VerifyProposals checks a /proposals answer: the proposal count is proven
// by gov/state, every proposal is proven, ids ascend after the cursor and
// stay below the count, and every entry matches the filters.
func VerifyProposals(req *tlv1.ProposalsRequest, resp *tlv1.ProposalsResponse) ([]*tlv1.Proposal, error) {
	if resp == nil || resp.Roots == nil {
		return nil, fmt.Errorf("%w: empty answer", ErrNotVerified)
	}
	var gs tlv1.GovernanceState
	if _, err := decodeEntry(resp.Roots, tlv1.KeyGovernanceState, resp.State, &gs); err != nil {
		return nil, err
	}
	limit := int(req.Limit)
	if limit == 0 || limit > maxList {
		limit = maxList
	}
	if len(resp.Proposals) > limit {
		return nil, fmt.Errorf("%w: %d proposals, more than the limit %d", ErrNotVerified, len(resp.Proposals), limit)
	}
	out := make([]*tlv1.Proposal, 0, len(resp.Proposals))
	prev := req.AfterId
	for i, pv := range resp.Proposals {
		var p tlv1.Proposal
		if pv == nil {
			return nil, fmt.Errorf("%w: entry %d is empty", ErrNotVerified, i)
		}
		id, ok := tlv1.ParseProposalKey(pv.Key)
		if !ok || pv.Key != tlv1.ProposalKey(id) {
			return nil, fmt.Errorf("%w: entry %d (%q) is not a proposal", ErrNotVerified, i, pv.Key)
		}
		if id <= prev || id >= gs.NextProposalId {
			return nil, fmt.Errorf("%w: proposal %d is out of order or beyond the count %d", ErrNotVerified, id, gs.NextProposalId-1)
		}
		prev = id
		absent, err := decodeEntry(resp.Roots, pv.Key, pv, &p)
		if err != nil {
			return nil, err
		}
		switch {
		case absent || p.Id != id:
			return nil, fmt.Errorf("%w: entry %q does not hold proposal %d", ErrNotVerified, pv.Key, id)
		case req.Status != tlv1.PROPOSAL_STATUS_UNSPECIFIED && p.Status != req.Status,
			req.Proposer != "" && p.Proposer != req.Proposer:
			return nil, fmt.Errorf("%w: proposal %d does not match the filter", ErrNotVerified, id)
		}
		out = append(out, &p)
	}
	return out, nil
}

// ProposalInfo is a proposal with its votes: Votes[i] is the vote of
// Proposal.Electorate[i], nil when that department is proven not to have
// voted.
type ProposalInfo struct {
	// Proposal is nil when no proposal has the id (proven).
	Proposal *tlv1.Proposal
	Votes    []*tlv1.VoteValue
}

// VerifyProposal checks a /proposal answer for id, including the vote (or
// its proven absence) of every member of the electorate.
func VerifyProposal(id uint64, resp *tlv1.ProposalResponse) (*ProposalInfo, error) {
	if resp == nil || resp.Roots == nil {
		return nil, fmt.Errorf("%w: empty answer", ErrNotVerified)
	}
	var p tlv1.Proposal
	absent, err := decodeEntry(resp.Roots, tlv1.ProposalKey(id), resp.Proposal, &p)
	if err != nil {
		return nil, err
	}
	if absent {
		if len(resp.Votes) != 0 {
			return nil, fmt.Errorf("%w: proposal %d is proven absent but votes came with it", ErrNotVerified, id)
		}
		return &ProposalInfo{}, nil
	}
	if p.Id != id {
		return nil, fmt.Errorf("%w: answer holds proposal %d, asked for %d", ErrNotVerified, p.Id, id)
	}
	if len(resp.Votes) != len(p.Electorate) {
		return nil, fmt.Errorf("%w: %d votes for an electorate of %d", ErrNotVerified, len(resp.Votes), len(p.Electorate))
	}
	info := &ProposalInfo{Proposal: &p, Votes: make([]*tlv1.VoteValue, len(p.Electorate))}
	var yes, no uint32
	for i, d := range p.Electorate {
		var v tlv1.VoteValue
		absent, err := decodeEntry(resp.Roots, tlv1.VoteKey(id, d), resp.Votes[i], &v)
		if err != nil {
			return nil, err
		}
		if absent {
			continue
		}
		if v.Department != d || v.ProposalId != id {
			return nil, fmt.Errorf("%w: vote entry of %q on %d holds %q on %d", ErrNotVerified, d, id, v.Department, v.ProposalId)
		}
		switch v.Option {
		case tlv1.VOTE_OPTION_YES:
			yes++
		case tlv1.VOTE_OPTION_NO:
			no++
		}
		info.Votes[i] = &v
	}
	if yes != p.Yes || no != p.No {
		return nil, fmt.Errorf("%w: the votes count %d yes %d no, the proposal says %d and %d", ErrNotVerified, yes, no, p.Yes, p.No)
	}
	return info, nil
}

// ValidatorSet is the proven list of active departments and the quorum.
type ValidatorSet struct {
	Departments       []*tlv1.Department
	QuorumNumerator   uint64
	QuorumDenominator uint64
}

// TotalPower is the sum of the departments' powers.
func (v *ValidatorSet) TotalPower() int64 {
	var t int64
	for _, d := range v.Departments {
		t += d.Power
	}
	return t
}

// VerifyValidators checks a /validators answer: the department set, each
// listed department's entry (active, in the set's order) and the
// parameters, all proven, so the list is complete.
func VerifyValidators(resp *tlv1.ValidatorsResponse) (*ValidatorSet, error) {
	if resp == nil || resp.Roots == nil {
		return nil, fmt.Errorf("%w: empty answer", ErrNotVerified)
	}
	var set tlv1.DepartmentSet
	if _, err := decodeEntry(resp.Roots, tlv1.KeyDepartments, resp.Set, &set); err != nil {
		return nil, err
	}
	if len(resp.Departments) != len(set.Ids) {
		return nil, fmt.Errorf("%w: the set has %d departments, the answer %d", ErrNotVerified, len(set.Ids), len(resp.Departments))
	}
	out := &ValidatorSet{}
	for i, id := range set.Ids {
		var d tlv1.Department
		absent, err := decodeEntry(resp.Roots, tlv1.DepartmentKey(id), resp.Departments[i], &d)
		if err != nil {
			return nil, err
		}
		if absent || d.Id != id || d.Status != tlv1.DEPARTMENT_STATUS_ACTIVE {
			return nil, fmt.Errorf("%w: department %q of the set has no active entry", ErrNotVerified, id)
		}
		out.Departments = append(out.Departments, &d)
	}
	if err := verifyValue(resp.Roots, tlv1.KeyParams, resp.Params); err != nil {
		return nil, err
	}
	var params tlv1.ChainParams
	if err := params.Unmarshal(resp.Params.Value); err != nil {
		return nil, fmt.Errorf("%w: params do not decode: %v", ErrNotVerified, err)
	}
	out.QuorumNumerator, out.QuorumDenominator = params.QuorumNumerator, params.QuorumDenominator
	return out, nil
}

// maxList is the node's cap on list answers.
const maxList = 500

// ---------------------------------------------------------------- queries

// Participants lists participants matching req, verified. next, when not
// empty, is the cursor (req.After) of the next page. The entries are
// proven; that the list is complete is not (the map is keyed by hash).
func (c *Client) Participants(ctx context.Context, req *tlv1.ParticipantsRequest) (list []*tlv1.Participant, next string, p Proven, err error) {
	list, resp, p, err := verifiedQuery(ctx, c, tlv1.PathParticipants, req, func(resp *tlv1.ParticipantsResponse) ([]*tlv1.Participant, error) {
		return VerifyParticipants(req, resp)
	})
	if err != nil {
		return nil, "", Proven{}, err
	}
	return list, resp.NextAfter, p, nil
}

// ParticipantDetails returns a participant with its active keys (and a
// department's validator entry), verified.
func (c *Client) ParticipantDetails(ctx context.Context, id string) (*ParticipantInfo, Proven, error) {
	info, _, p, err := verifiedQuery(ctx, c, tlv1.PathParticipant, &tlv1.ParticipantRequest{Id: id}, func(resp *tlv1.ParticipantResponse) (*ParticipantInfo, error) {
		return VerifyParticipant(id, resp)
	})
	return info, p, err
}

// Proposals lists proposals matching req, verified. next, when not 0, is
// the cursor (req.AfterId) of the next page.
func (c *Client) Proposals(ctx context.Context, req *tlv1.ProposalsRequest) (list []*tlv1.Proposal, next uint64, p Proven, err error) {
	list, resp, p, err := verifiedQuery(ctx, c, tlv1.PathProposals, req, func(resp *tlv1.ProposalsResponse) ([]*tlv1.Proposal, error) {
		return VerifyProposals(req, resp)
	})
	if err != nil {
		return nil, 0, Proven{}, err
	}
	return list, resp.NextAfterId, p, nil
}

// Proposal returns a proposal with every vote, verified.
func (c *Client) Proposal(ctx context.Context, id uint64) (*ProposalInfo, Proven, error) {
	info, _, p, err := verifiedQuery(ctx, c, tlv1.PathProposal, &tlv1.ProposalRequest{Id: id}, func(resp *tlv1.ProposalResponse) (*ProposalInfo, error) {
		return VerifyProposal(id, resp)
	})
	return info, p, err
}

// Validators returns the active departments with their validator keys and
// powers, and the quorum, verified and complete.
func (c *Client) Validators(ctx context.Context) (*ValidatorSet, Proven, error) {
	vs, _, p, err := verifiedQuery(ctx, c, tlv1.PathValidators, &tlv1.ValidatorsRequest{}, VerifyValidators)
	return vs, p, err
}
