// SPDX-License-Identifier: Apache-2.0

package app

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/proof"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
	"github.com/traceledger/traceledger/trace"
)

// appSource serves verified histories straight from the application's
// query handler: each answer is checked by proof.VerifyHistory (head map
// proof, inclusion proofs, completeness) against the roots the app
// returns. Header verification is the client's job and is not exercised
// here (no CometBFT node in this test).
type appSource struct{ a *App }

func (s appSource) query(ctx context.Context, path string, req marshaler) ([]byte, error) {
	data, err := req.Marshal()
	if err != nil {
		return nil, err
	}
	res, err := s.a.Query(ctx, &abci.RequestQuery{Path: path, Data: data})
	if err != nil {
		return nil, err
	}
	if res.Code != 0 {
		return nil, fmt.Errorf("query %s: code %d %s", path, res.Code, res.Log)
	}
	return res.Value, nil
}

func (s appSource) verified(ctx context.Context, subject string) (*proof.VerifiedHistory, *tlv1.HistoryResponse, error) {
	bz, err := s.query(ctx, tlv1.PathHistory, &tlv1.HistoryRequest{Subject: subject})
	if err != nil {
		return nil, nil, err
	}
	var resp tlv1.HistoryResponse
	if err := resp.Unmarshal(bz); err != nil {
		return nil, nil, err
	}
	vh, err := proof.VerifyHistory(subject, tlv1.HeadKey(subject), &resp)
	return vh, &resp, err
}

func (s appSource) History(ctx context.Context, subject string) (*trace.History, error) {
	bz, err := s.query(ctx, tlv1.PathHistory, &tlv1.HistoryRequest{Subject: subject})
	if err != nil {
		return nil, err
	}
	var resp tlv1.HistoryResponse
	if err := resp.Unmarshal(bz); err != nil {
		return nil, err
	}
	return trace.VerifyHistoryResponse(subject, &resp)
}

func (s appSource) Participant(ctx context.Context, id string) (*tlv1.Participant, error) {
	bz, err := s.query(ctx, tlv1.PathValue, &tlv1.ValueRequest{Key: tlv1.ParticipantKey(id)})
	if err != nil {
		return nil, err
	}
	var resp tlv1.ValueResponse
	if err := resp.Unmarshal(bz); err != nil {
		return nil, err
	}
	present, err := proof.VerifyValue(resp.Roots, tlv1.ParticipantKey(id), resp.Value)
	if err != nil || !present {
		return nil, err
	}
	var p tlv1.Participant
	return &p, p.Unmarshal(resp.Value.Value)
}

// hashedMsg builds a hashed EPCIS event; label makes its hash ID unique.
func hashedMsg(label string, typ tlv1.EPCISEventType, atMs int64, disposition string, link tlv1.ChainLink, ids ...*tlv1.EventIdentifier) *tlv1.Msg {
	h := hash32(label)
	e := &tlv1.RecordEPCISEvent{HashId: "ni:///sha-256;" + hex.EncodeToString(h) + "?ver=CBV2.0",
		Kind: &tlv1.RecordEPCISEvent_Hashed{Hashed: &tlv1.HashedEvent{Type: typ, EventTimeMs: atMs, EventTimeZoneOffset: "+08:00",
			Disposition: disposition, Identifiers: ids, PayloadSha256: hash32("payload " + label)}}}
	if link != tlv1.CHAIN_LINK_UNSPECIFIED {
		e.Context = &tlv1.TraceContext{ChainLink: link}
	}
	return &tlv1.Msg{Sum: &tlv1.Msg_RecordEpcisEvent{RecordEpcisEvent: e}}
}

func role(id string, r tlv1.IdentifierRole) *tlv1.EventIdentifier {
	return &tlv1.EventIdentifier{Id: id, Role: r}
}

// TestRecallScenario runs a realistic chain: a pesticide maker, a farm, a
// processor, a distributor and a retailer; a pesticide lot is later found
// bad. The trace forward from it (the recall's impact assessment) must
// find exactly the affected retail items, not the items of a clean lot
// packed in the same case; the trace back from a retail item finds its
// origin, inputs and certification; an unknown identifier is a verified
// absence.
func TestRecallScenario(t *testing.T) {
	g := newAttestFixture(t)
	ctx := context.Background()
	reg := func(id, division string, code int) {
		m := registerMsg(id, tlv1.ROLE_ENTERPRISE, code, id)
		m.GetRegisterParticipant().DivisionCode = division
		g.ok("market", m)
	}
	reg("proc", "520302", 11)
	reg("dist", "520402", 12)
	reg("retail", "530102", 13)
	at := blockTime(g.h).UnixMilli()
	const (
		P1, P2, S1 = "urn:x:pesticide:P1", "urn:x:pesticide:P2", "urn:x:seed:S1"
		H1, H2     = "urn:x:harvest:H1", "urn:x:harvest:H2"
		L1, L2     = "urn:x:lot:L1", "urn:x:lot:L2"
		C1, C2     = "urn:x:case:C1", "urn:x:case:C2"
	)
	item := func(n int) string { return fmt.Sprintf("urn:x:item:I%d", n) }
	O, T, A := tlv1.EPCIS_EVENT_TYPE_OBJECT, tlv1.EPCIS_EVENT_TYPE_TRANSFORMATION, tlv1.EPCIS_EVENT_TYPE_AGGREGATION
	cls, ins, in, out, par, chi := tlv1.IDENTIFIER_ROLE_CLASS, tlv1.IDENTIFIER_ROLE_INSTANCE, tlv1.IDENTIFIER_ROLE_INPUT, tlv1.IDENTIFIER_ROLE_OUTPUT, tlv1.IDENTIFIER_ROLE_PARENT, tlv1.IDENTIFIER_ROLE_CHILD
	none := tlv1.CHAIN_LINK_UNSPECIFIED
	// The pesticide maker commissions two lots; the farm uses P1 on H1 and
	// P2 on H2.
	g.ok("pharma", hashedMsg("p1", O, at, "active", none, role(P1, cls)), hashedMsg("p2", O, at, "active", none, role(P2, cls)))
	g.ok("farm", hashedMsg("s1", O, at, "", none, role(S1, cls)),
		hashedMsg("h1", T, at, "", tlv1.CHAIN_LINK_INPUT_USE, role(P1, in), role(S1, in), role(H1, out)),
		hashedMsg("h2", T, at, "", tlv1.CHAIN_LINK_INPUT_USE, role(P2, in), role(H2, out)))
	g.accept("lab", issueMsg(issueBody("gap", "GAP-H1", H1)))
	// The processor makes L1 from H1 and L2 from H2, labels items I1-I3
	// (L1) and I4-I5 (L2), packs I1, I2 in C1 and I3 with I4 in C2.
	g.ok("proc", hashedMsg("l1", T, at, "", tlv1.CHAIN_LINK_PRODUCTION_RECORD, role(H1, in), role(L1, out)),
		hashedMsg("l2", T, at, "", tlv1.CHAIN_LINK_PRODUCTION_RECORD, role(H2, in), role(L2, out)),
		hashedMsg("i-l1", O, at, "active", tlv1.CHAIN_LINK_PACKAGING_LABEL, role(L1, cls), role(item(1), ins), role(item(2), ins), role(item(3), ins)),
		hashedMsg("i-l2", O, at, "active", tlv1.CHAIN_LINK_PACKAGING_LABEL, role(L2, cls), role(item(4), ins), role(item(5), ins)),
		hashedMsg("c1", A, at, "", none, role(C1, par), role(item(1), chi), role(item(2), chi)),
		hashedMsg("c2", A, at, "", none, role(C2, par), role(item(3), chi), role(item(4), chi)))
	g.ok("dist", hashedMsg("ship", O, at, "in_transit", none, role(C1, ins), role(C2, ins)))
	g.ok("retail", hashedMsg("sell", O, at, "sellable_accessible", none, role(item(1), ins), role(item(2), ins), role(item(3), ins), role(item(4), ins)))
	// P1 is found bad: the maker recalls it, showing from P1's verified
	// history that it held the lot. The retailer, which never recorded P2,
	// cannot recall it.
	src := appSource{g.a}
	p1, _, err := src.verified(ctx, P1)
	if err != nil {
		t.Fatal(err)
	}
	held, ok := client.HeldEvidence(p1, "pharma")
	if !ok {
		t.Fatal("no evidence that pharma held P1")
	}
	recall := recallBody("R-P1", "pharma", P1)
	recall.HeldEvidence = []uint64{held}
	g.accept("pharma", recallMsg(recall))
	p2, _, err := src.verified(ctx, P2)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := client.HeldEvidence(p2, "retail"); ok {
		t.Fatal("the retailer held P2?")
	}
	pharmaHeld, _ := client.HeldEvidence(p2, "pharma")
	retailRecall := recallBody("R-P2", "retail", P2)
	retailRecall.HeldEvidence = []uint64{pharmaHeld}
	g.reject(0, tlv1.CodeRecallNotHeld, "signed by pharma", "retail", recallMsg(retailRecall))

	x := trace.NewIndex(appSource{g.a})
	fwd, err := x.Walk(ctx, P1, trace.Forward)
	if err != nil {
		t.Fatal(err)
	}
	var retailItems []string
	for _, n := range fwd.Nodes {
		if d := fwd.Disposition[n]; d != nil && d.Signer == "retail" {
			retailItems = append(retailItems, n)
		}
	}
	slices.Sort(retailItems)
	if want := []string{item(1), item(2), item(3)}; !slices.Equal(retailItems, want) {
		t.Errorf("affected retail items %v, want %v", retailItems, want)
	}
	for _, n := range []string{H1, L1, C1, C2} {
		if !fwd.Reached(n) {
			t.Errorf("forward trace misses %s", n)
		}
	}
	for _, n := range []string{P2, H2, L2, item(4), item(5), S1} {
		if fwd.Reached(n) {
			t.Errorf("forward trace reaches unaffected %s", n)
		}
	}
	if want := []string{"dist", "farm", "pharma", "proc", "retail"}; !slices.Equal(fwd.Participants, want) {
		t.Errorf("participants %v, want %v", fwd.Participants, want)
	}
	if want := []string{"520102", "520302", "520402", "530102"}; !slices.Equal(fwd.DivisionsReached, want) {
		t.Errorf("divisions %v, want %v", fwd.DivisionsReached, want)
	}
	if len(fwd.Recalls) != 1 || fwd.Recalls[0].Recall.Body.Id != "R-P1" {
		t.Errorf("recalls in the forward trace: %d", len(fwd.Recalls))
	}
	for _, e := range fwd.Edges {
		if e.Event == nil || e.Event.Record == nil || e.Event.Proof == nil || e.Event.Proof.Index != e.Event.Index || e.Event.Roots == nil {
			t.Fatalf("edge %s -%s-> %s lacks its event or proof", e.From, e.Rel, e.To)
		}
		// The edge's proof alone re-verifies against its roots.
		if vr, err := proof.VerifyRecord(e.Event.Roots, e.Event.Proof); err != nil || vr.LeafHash != e.Event.Record.LeafHash {
			t.Fatalf("edge %s -%s-> %s: its proof does not verify alone: %v", e.From, e.Rel, e.To, err)
		}
	}

	back, err := x.Walk(ctx, item(1), trace.Back)
	if err != nil {
		t.Fatal(err)
	}
	origins := back.Leaves()
	slices.Sort(origins)
	if want := []string{P1, S1}; !slices.Equal(origins, want) {
		t.Errorf("origins of I1 %v, want %v", origins, want)
	}
	if len(back.Attestations) != 1 || back.Attestations[0].Attestation.AttestationId != "lab/GAP-H1" {
		t.Errorf("certifications along the way: %d", len(back.Attestations))
	}
	certs, err := x.Certifications(ctx, back, blockTime(g.h).UnixMilli())
	if err != nil || len(certs) != 1 || !certs[0].Validity.Valid || certs[0].ID != "lab/GAP-H1" {
		t.Fatalf("certifications along the way: %+v %v", certs, err)
	}
	if certs, _ := x.Certifications(ctx, back, genesisTime.AddDate(2, 0, 0).UnixMilli()); len(certs) != 1 || certs[0].Validity.Valid {
		t.Fatalf("an attestation expired at t was valid: %+v", certs)
	}
	rep := trace.SevenLinkReport(back)
	if len(rep.Present[tlv1.CHAIN_LINK_INPUT_USE]) != 1 || len(rep.Present[tlv1.CHAIN_LINK_PRODUCTION_RECORD]) != 1 ||
		len(rep.Present[tlv1.CHAIN_LINK_PACKAGING_LABEL]) != 1 || len(rep.Missing) != 4 {
		t.Errorf("seven-link report: present %d links, missing %v", len(rep.Present), rep.Missing)
	}

	absent, err := x.Walk(ctx, "urn:x:never:seen", trace.Forward)
	if err != nil || !absent.Absent || len(absent.Nodes) != 0 {
		t.Fatalf("unknown identifier: %+v %v", absent, err)
	}

	// Valid at t: the GAP attestation on H1, before and after a suspension.
	issuedAt := g.attestation("lab/GAP-H1").IssuedTimeMs
	g.accept("lab", statusMsg("lab/GAP-H1", tlv1.ATTESTATION_STATUS_SUSPENDED))
	suspendedAt := blockTime(g.h).UnixMilli()
	ah, _, err := src.verified(ctx, tlv1.AttestationHistorySubject("lab/GAP-H1"))
	if err != nil {
		t.Fatal(err)
	}
	ih, _, err := src.verified(ctx, "participant:lab")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		at    int64
		valid bool
	}{{issuedAt - 1, false}, {issuedAt, true}, {suspendedAt - 1, true}, {suspendedAt, false}} {
		v, err := client.AttestationValidAt(ah, ih, tc.at)
		if err != nil {
			t.Fatal(err)
		}
		if v.Valid != tc.valid {
			t.Errorf("valid at %d = %v (%v), want %v", tc.at, v.Valid, v.Failures, tc.valid)
		}
	}
}

// BenchmarkTraceForwardVerified measures a trace forward whose histories
// are read through the application's /history query path and checked by
// proof.VerifyHistory, with a fresh index every time (nothing cached): one
// input lot used on 200 harvests, each processed into a lot of 5 items
// (1,401 identifiers, 600 events). No network and no header verification
// (those add one RPC and, per new height, one light-client check).
func BenchmarkTraceForwardVerified(b *testing.B) {
	g := newGovFixture(b)
	g.block()
	at := blockTime(g.h).UnixMilli()
	T, O := tlv1.EPCIS_EVENT_TYPE_TRANSFORMATION, tlv1.EPCIS_EVENT_TYPE_OBJECT
	var msgs []*tlv1.Msg
	for i := range 200 {
		h, l := fmt.Sprintf("urn:x:h:%d", i), fmt.Sprintf("urn:x:l:%d", i)
		msgs = append(msgs, hashedMsg("bh"+h, T, at, "", tlv1.CHAIN_LINK_UNSPECIFIED, role("urn:x:input:P", tlv1.IDENTIFIER_ROLE_INPUT), role(h, tlv1.IDENTIFIER_ROLE_OUTPUT)),
			hashedMsg("bl"+l, T, at, "", tlv1.CHAIN_LINK_UNSPECIFIED, role(h, tlv1.IDENTIFIER_ROLE_INPUT), role(l, tlv1.IDENTIFIER_ROLE_OUTPUT)))
		ids := []*tlv1.EventIdentifier{role(l, tlv1.IDENTIFIER_ROLE_CLASS)}
		for j := range 5 {
			ids = append(ids, role(fmt.Sprintf("urn:x:i:%d.%d", i, j), tlv1.IDENTIFIER_ROLE_INSTANCE))
		}
		msgs = append(msgs, hashedMsg("bi"+l, O, at, "active", tlv1.CHAIN_LINK_UNSPECIFIED, ids...))
	}
	g.ok("farm", msgs...)
	ctx := context.Background()
	var nodes int
	for b.Loop() {
		gr, err := trace.NewIndex(appSource{g.a}).Walk(ctx, "urn:x:input:P", trace.Forward)
		if err != nil {
			b.Fatal(err)
		}
		nodes = len(gr.Nodes)
	}
	if nodes != 1401 {
		b.Fatalf("%d nodes, want 1401", nodes)
	}
	b.ReportMetric(float64(nodes), "nodes/op")
}
