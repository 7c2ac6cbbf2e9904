// SPDX-License-Identifier: Apache-2.0

package app

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/traceledger/traceledger/genesis"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// govFixture is a multi-department chain driven block by block. Keys are
// named ("agri" is the agriculture department's admin key, "farm-b" the
// farm's second key, "val-agri" agriculture's validator key) and derived
// from their names, so every run builds the same chain.
type govFixture struct {
	t        testing.TB
	a        *App
	h        int64
	seq      map[string]uint64 // key name -> next sequence
	txSigner map[string]string // tx bytes -> key name
	st       genesis.AppState
}

func namedKey(name string) ed25519.PrivateKey {
	s := sha256.Sum256([]byte("traceledger-test/" + name))
	return ed25519.NewKeyFromSeed(s[:])
}

func namedPub(name string) []byte { return namedKey(name).Public().(ed25519.PublicKey) }

func namedKeyID(name string) string { return tlv1.KeyID(namedPub(name)) }

// testCreditCode returns a valid unified social credit code numbered n.
func testCreditCode(n int) string {
	body := fmt.Sprintf("9152010%010d", n)
	c, ok := genesis.CreditCodeCheckChar(body)
	if !ok {
		panic("bad credit code body " + body)
	}
	return body + string(c)
}

// fourDepartments are the founding departments of most tests, power 10
// each: agriculture, animal husbandry and veterinary, market regulation,
// drug administration.
var fourDepartments = []string{"agri", "ahv", "drug", "market"}

func govAppState(depts []string) genesis.AppState {
	st := genesis.AppState{Params: genesis.DefaultParams()}
	for _, d := range depts {
		st.Departments = append(st.Departments, genesis.Department{ID: d, Name: "Department " + d,
			ValidatorPubKey: namedPub("val-" + d), Power: 10, AdminKeys: [][]byte{namedPub(d)}, DivisionCode: "520000"})
	}
	has := func(d string) bool {
		for _, x := range depts {
			if x == d {
				return true
			}
		}
		return false
	}
	add := func(id, role, dept string, code int, keys ...string) {
		if !has(dept) {
			return
		}
		p := genesis.Participant{ID: id, Name: strings.ToUpper(id[:1]) + id[1:], Role: role, Department: dept, DivisionCode: "520102"}
		if code > 0 {
			p.CreditCode = testCreditCode(code)
		}
		for _, k := range keys {
			p.Keys = append(p.Keys, namedPub(k))
		}
		st.Participants = append(st.Participants, p)
	}
	add("farm", genesis.RoleEnterprise, "agri", 1, "farm", "farm-b")
	add("slaughter", genesis.RoleEnterprise, "ahv", 2, "slaughter")
	add("pharma", genesis.RoleEnterprise, "drug", 3, "pharma")
	add("lab", genesis.RoleCertifier, "market", 4, "lab", "lab-b")
	add("aud", genesis.RoleAuditor, "market", 0, "aud", "aud-b")
	return st
}

func newGovFixture(t testing.TB, depts ...string) *govFixture {
	t.Helper()
	if len(depts) == 0 {
		depts = fourDepartments
	}
	g := &govFixture{t: t, seq: map[string]uint64{}, txSigner: map[string]string{}, st: govAppState(depts)}
	g.a = openApp(t, "", nil)
	t.Cleanup(func() { g.a.Close() })
	g.initChain(g.a)
	return g
}

func (g *govFixture) initChain(a *App) {
	g.t.Helper()
	bz, err := json.Marshal(g.st)
	if err != nil {
		g.t.Fatal(err)
	}
	if _, err := a.InitChain(context.Background(), &abci.RequestInitChain{ChainId: testChainID, Time: genesisTime, InitialHeight: 1, AppStateBytes: bz}); err != nil {
		g.t.Fatalf("InitChain: %v", err)
	}
}

// tx signs msgs with the named key at its next sequence.
func (g *govFixture) tx(signer string, msgs ...*tlv1.Msg) []byte {
	g.t.Helper()
	raw := signTx(g.t, namedKey(signer), g.seq[signer], testChainID, msgs...)
	g.txSigner[string(raw)] = signer
	return raw
}

// block finalizes and commits the next block; each accepted transaction
// advances its signer's sequence.
func (g *govFixture) block(txs ...[]byte) *abci.ResponseFinalizeBlock {
	g.t.Helper()
	res, err := finalize(g.t, g.a, g.h+1, txs)
	if err != nil {
		g.t.Fatalf("block %d: %v", g.h+1, err)
	}
	g.h++
	for i, r := range res.TxResults {
		if r.Code == 0 {
			g.seq[g.txSigner[string(txs[i])]]++
		}
	}
	return res
}

// send puts one transaction in its own block and returns the block's
// response and the transaction's result.
func (g *govFixture) send(signer string, msgs ...*tlv1.Msg) (*abci.ResponseFinalizeBlock, *abci.ExecTxResult) {
	g.t.Helper()
	res := g.block(g.tx(signer, msgs...))
	return res, res.TxResults[0]
}

// ok sends a transaction that must be accepted.
func (g *govFixture) ok(signer string, msgs ...*tlv1.Msg) *abci.ResponseFinalizeBlock {
	g.t.Helper()
	res, r := g.send(signer, msgs...)
	if r.Code != 0 {
		g.t.Fatalf("%s: code %d (%s): %s", signer, r.Code, tlv1.Code(r.Code), r.Log)
	}
	return res
}

// fails sends a transaction that must be rejected with code, and whose
// message contains fragment.
func (g *govFixture) fails(code tlv1.Code, fragment, signer string, msgs ...*tlv1.Msg) {
	g.t.Helper()
	_, r := g.send(signer, msgs...)
	if tlv1.Code(r.Code) != code || !strings.Contains(r.Log, fragment) {
		g.t.Fatalf("%s: got code %d (%s) %q; want %d (%s) containing %q", signer, r.Code, tlv1.Code(r.Code), r.Log, code, code, fragment)
	}
}

// reject checks that a transaction is rejected with code by FinalizeBlock
// (and with checkCode by CheckTx; 0 when only execution can tell) and
// changes nothing: the block's app hash equals an empty block's. Nothing is
// committed.
func (g *govFixture) reject(checkCode, code tlv1.Code, fragment, signer string, msgs ...*tlv1.Msg) {
	g.t.Helper()
	raw := g.tx(signer, msgs...)
	chk, err := g.a.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: raw, Type: abci.CheckTxType_New})
	if err != nil {
		g.t.Fatal(err)
	}
	g.a.checkMu.Lock()
	clear(g.a.pool.pendingSeq)
	g.a.checkMu.Unlock()
	if tlv1.Code(chk.Code) != checkCode {
		g.t.Errorf("CheckTx: code %d (%s) %q, want %d (%s)", chk.Code, tlv1.Code(chk.Code), chk.Log, checkCode, checkCode)
	}
	if checkCode != 0 && !strings.Contains(chk.Log, fragment) {
		g.t.Errorf("CheckTx log %q lacks %q", chk.Log, fragment)
	}
	req := &abci.RequestFinalizeBlock{Height: g.h + 1, Time: blockTime(g.h + 1)}
	empty, err := g.a.FinalizeBlock(context.Background(), req)
	if err != nil {
		g.t.Fatal(err)
	}
	req.Txs = [][]byte{raw}
	res, err := g.a.FinalizeBlock(context.Background(), req)
	if err != nil {
		g.t.Fatal(err)
	}
	r := res.TxResults[0]
	if tlv1.Code(r.Code) != code || !strings.Contains(r.Log, fragment) || r.Codespace != tlv1.Codespace {
		g.t.Errorf("FinalizeBlock: code %d (%s) %q; want %d (%s) containing %q", r.Code, tlv1.Code(r.Code), r.Log, code, code, fragment)
	}
	if !bytes.Equal(res.AppHash, empty.AppHash) {
		g.t.Errorf("a rejected transaction (code %d) changed the app hash", r.Code)
	}
	if len(res.ValidatorUpdates) != 0 {
		g.t.Errorf("a rejected transaction produced validator updates %v", res.ValidatorUpdates)
	}
}

// get decodes the committed map value at key into m; false when absent.
func (g *govFixture) get(key string, m unmarshaler) bool {
	g.t.Helper()
	v := g.a.st.viewAt(g.h)
	defer v.discard()
	found, err := getProto(v, key, m)
	if err != nil {
		g.t.Fatal(err)
	}
	return found
}

func (g *govFixture) participant(id string) *tlv1.Participant {
	g.t.Helper()
	var p tlv1.Participant
	if !g.get(tlv1.ParticipantKey(id), &p) {
		g.t.Fatalf("participant %q not in state", id)
	}
	return &p
}

func (g *govFixture) key(name string) *tlv1.Key {
	g.t.Helper()
	var k tlv1.Key
	if !g.get(tlv1.KeyKey(namedKeyID(name)), &k) {
		g.t.Fatalf("key %q not in state", name)
	}
	return &k
}

func (g *govFixture) proposal(id uint64) *tlv1.Proposal {
	g.t.Helper()
	var p tlv1.Proposal
	if !g.get(tlv1.ProposalKey(id), &p) {
		g.t.Fatalf("proposal %d not in state", id)
	}
	return &p
}

// lastProposal is the id of the newest proposal.
func (g *govFixture) lastProposal() uint64 {
	var gs tlv1.GovernanceState
	g.get(tlv1.KeyGovernanceState, &gs)
	return gs.NextProposalId - 1
}

// departments returns the active departments and their powers.
func (g *govFixture) departments() map[string]int64 {
	g.t.Helper()
	v := g.a.st.viewAt(g.h)
	defer v.discard()
	ds, err := activeDepartments(v)
	if err != nil {
		g.t.Fatal(err)
	}
	out := map[string]int64{}
	for _, d := range ds {
		out[d.Id] = d.Power
	}
	return out
}

// propose submits a proposal from a department and returns its id.
func (g *govFixture) propose(dept string, ch *tlv1.ProposalChange, allowConcentration bool) uint64 {
	g.t.Helper()
	g.ok(dept, proposeMsg("p", 0, allowConcentration, ch))
	return g.lastProposal()
}

// ---------------------------------------------------------------- messages

func proposeMsg(title string, deadline int64, allow bool, ch *tlv1.ProposalChange) *tlv1.Msg {
	return &tlv1.Msg{Sum: &tlv1.Msg_SubmitProposal{SubmitProposal: &tlv1.SubmitProposal{Title: title, DeadlineHeight: deadline, AllowPowerConcentration: allow, Change: ch}}}
}

func voteMsg(id uint64, yes bool) *tlv1.Msg {
	o := tlv1.VOTE_OPTION_NO
	if yes {
		o = tlv1.VOTE_OPTION_YES
	}
	return &tlv1.Msg{Sum: &tlv1.Msg_Vote{Vote: &tlv1.Vote{ProposalId: id, Option: o}}}
}

func addDeptChange(id string, power int64) *tlv1.ProposalChange {
	return &tlv1.ProposalChange{Change: &tlv1.ProposalChange_AddDepartment{AddDepartment: &tlv1.AddDepartment{
		Id: id, Name: "Department " + id, ValidatorPubKey: namedPub("val-" + id), Power: power, AdminKeys: [][]byte{namedPub(id)}, DivisionCode: "520000"}}}
}

func removeDeptChange(id, successor string) *tlv1.ProposalChange {
	return &tlv1.ProposalChange{Change: &tlv1.ProposalChange_RemoveDepartment{RemoveDepartment: &tlv1.RemoveDepartment{Department: id, Successor: successor}}}
}

func powerChange(id string, power int64) *tlv1.ProposalChange {
	return &tlv1.ProposalChange{Change: &tlv1.ProposalChange_SetValidatorPower{SetValidatorPower: &tlv1.SetValidatorPower{Department: id, Power: power}}}
}

func quorumChange(num, den uint64) *tlv1.ProposalChange {
	return &tlv1.ProposalChange{Change: &tlv1.ProposalChange_SetQuorum{SetQuorum: &tlv1.SetQuorum{Numerator: num, Denominator: den}}}
}

func accreditChange(certifier string, schemes ...string) *tlv1.ProposalChange {
	return &tlv1.ProposalChange{Change: &tlv1.ProposalChange_AccreditCertifier{AccreditCertifier: &tlv1.AccreditCertifier{
		Certifier: certifier, Schemes: schemes, AccreditationNumber: "CNAS-C" + certifier, ValidFromMs: genesisTime.UnixMilli(), ValidUntilMs: genesisTime.AddDate(3, 0, 0).UnixMilli()}}}
}

func suspendAccreditationChange(certifier string) *tlv1.ProposalChange {
	return &tlv1.ProposalChange{Change: &tlv1.ProposalChange_SuspendAccreditation{SuspendAccreditation: &tlv1.SuspendAccreditation{Certifier: certifier, Reason: "surveillance audit failed"}}}
}

func withdrawAccreditationChange(certifier string) *tlv1.ProposalChange {
	return &tlv1.ProposalChange{Change: &tlv1.ProposalChange_WithdrawAccreditation{WithdrawAccreditation: &tlv1.WithdrawAccreditation{Certifier: certifier, Reason: "withdrawn"}}}
}

func registerMsg(id string, role tlv1.Role, code int, keys ...string) *tlv1.Msg {
	r := &tlv1.RegisterParticipant{Id: id, Name: "Participant " + id, Role: role, DivisionCode: "520102",
		Licences: []*tlv1.Licence{{Type: "food_production", Number: "SC10652010200001", ValidFromMs: 1, ValidUntilMs: 0}}}
	if code > 0 {
		r.CreditCode = testCreditCode(code)
	}
	for _, k := range keys {
		r.PublicKeys = append(r.PublicKeys, namedPub(k))
	}
	return &tlv1.Msg{Sum: &tlv1.Msg_RegisterParticipant{RegisterParticipant: r}}
}

func suspendMsg(id string) *tlv1.Msg {
	return &tlv1.Msg{Sum: &tlv1.Msg_SuspendParticipant{SuspendParticipant: &tlv1.SuspendParticipant{Participant: id, Reason: "failed inspection"}}}
}

func reinstateMsg(id string) *tlv1.Msg {
	return &tlv1.Msg{Sum: &tlv1.Msg_ReinstateParticipant{ReinstateParticipant: &tlv1.ReinstateParticipant{Participant: id, Reason: "corrected"}}}
}

// rotateMsg rotates the key named old to the key named new, with a valid
// proof of possession by the new key.
func rotateMsg(old, new string) *tlv1.Msg {
	pub := namedPub(new)
	sig := ed25519.Sign(namedKey(new), tlv1.RotateKeyProofBytes(namedKeyID(old), pub))
	return &tlv1.Msg{Sum: &tlv1.Msg_RotateKey{RotateKey: &tlv1.RotateKey{NewPublicKey: pub, NewKeySignature: sig}}}
}

// revokeMsg revokes the key named name, registering the key named
// replacement in its place unless it is empty.
func revokeMsg(name, replacement string) *tlv1.Msg {
	r := &tlv1.RevokeKey{KeyId: namedKeyID(name), Reason: "compromised"}
	if replacement != "" {
		r.ReplacementPublicKey = namedPub(replacement)
	}
	return &tlv1.Msg{Sum: &tlv1.Msg_RevokeKey{RevokeKey: r}}
}

func recordMsg(subject string, h int64) *tlv1.Msg {
	return eventMsg(subject, "harvest", blockTime(h))
}
