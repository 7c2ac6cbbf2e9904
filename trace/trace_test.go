// SPDX-License-Identifier: Apache-2.0

package trace

import (
	"context"
	"slices"
	"testing"

	"github.com/traceledger/traceledger/proof"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// add puts ev in the index under every identifier it names.
func add(x *Index, ev *Event) {
	var seen []string
	for _, id := range ev.IDs {
		if !slices.Contains(seen, id.ID) {
			seen = append(seen, id.ID)
			x.Add(id.ID, ev)
		}
	}
}

func ev(index uint64, signer string, typ tlv1.EPCISEventType, ids ...ID) *Event {
	return &Event{Index: index, Kind: KindEPCIS, Signer: signer, Type: typ, IDs: ids}
}

var (
	obj   = tlv1.EPCIS_EVENT_TYPE_OBJECT
	trf   = tlv1.EPCIS_EVENT_TYPE_TRANSFORMATION
	agg   = tlv1.EPCIS_EVENT_TYPE_AGGREGATION
	assoc = tlv1.EPCIS_EVENT_TYPE_ASSOCIATION
	txn   = tlv1.EPCIS_EVENT_TYPE_TRANSACTION
)

func in(s string) ID  { return ID{s, tlv1.IDENTIFIER_ROLE_INPUT} }
func out(s string) ID { return ID{s, tlv1.IDENTIFIER_ROLE_OUTPUT} }
func par(s string) ID { return ID{s, tlv1.IDENTIFIER_ROLE_PARENT} }
func chi(s string) ID { return ID{s, tlv1.IDENTIFIER_ROLE_CHILD} }
func cls(s string) ID { return ID{s, tlv1.IDENTIFIER_ROLE_CLASS} }
func ins(s string) ID { return ID{s, tlv1.IDENTIFIER_ROLE_INSTANCE} }

// TestWalkRules: which events an edge follows, in each direction.
func TestWalkRules(t *testing.T) {
	for _, tc := range []struct {
		name string
		ev   *Event
		root string
		dir  Direction
		want []string // nodes reached, root first
	}{
		{"transformation forward", ev(1, "p", trf, in("urn:a"), in("urn:b"), out("urn:c")), "urn:a", Forward, []string{"urn:a", "urn:c"}},
		{"transformation forward from output", ev(1, "p", trf, in("urn:a"), out("urn:c")), "urn:c", Forward, []string{"urn:c"}},
		{"transformation back", ev(1, "p", trf, in("urn:a"), in("urn:b"), out("urn:c")), "urn:c", Back, []string{"urn:c", "urn:a", "urn:b"}},
		{"aggregation child to parent", ev(1, "p", agg, par("urn:case"), chi("urn:i1"), chi("urn:i2")), "urn:i1", Forward, []string{"urn:i1", "urn:case"}},
		{"aggregation root container contents", ev(1, "p", agg, par("urn:case"), chi("urn:i1"), chi("urn:i2")), "urn:case", Forward, []string{"urn:case", "urn:i1", "urn:i2"}},
		{"association child to parent", ev(1, "p", assoc, par("urn:sensor"), chi("urn:pallet")), "urn:pallet", Forward, []string{"urn:pallet", "urn:sensor"}},
		{"aggregation not followed back", ev(1, "p", agg, par("urn:case"), chi("urn:i1")), "urn:i1", Back, []string{"urn:i1"}},
		{"object class to items", ev(1, "p", obj, cls("urn:lot"), ins("urn:i1"), ins("urn:i2")), "urn:lot", Forward, []string{"urn:lot", "urn:i1", "urn:i2"}},
		{"object item to class back", ev(1, "p", obj, cls("urn:lot"), ins("urn:i1")), "urn:i1", Back, []string{"urn:i1", "urn:lot"}},
		{"object items are not linked to each other", ev(1, "p", obj, ins("urn:i1"), ins("urn:i2")), "urn:i1", Forward, []string{"urn:i1"}},
		{"transaction links no identifier", ev(1, "p", txn, ins("urn:i1"), ins("urn:i2")), "urn:i1", Forward, []string{"urn:i1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := NewIndex(nil)
			add(x, tc.ev)
			g, err := x.Walk(context.Background(), tc.root, tc.dir)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(g.Nodes, tc.want) {
				t.Fatalf("nodes %v, want %v", g.Nodes, tc.want)
			}
			for _, e := range g.Edges {
				if e.Event != tc.ev {
					t.Fatalf("edge %v does not carry its event", e)
				}
			}
		})
	}
}

// TestWalkGraph: a chain through several events, participants, parties,
// divisions, last disposition, and the container rule (a container reached
// from an affected item does not make its other contents affected).
func TestWalkGraph(t *testing.T) {
	x := NewIndex(nil)
	for _, p := range []*tlv1.Participant{{Id: "farm", DivisionCode: "520102"}, {Id: "proc", DivisionCode: "520302"}, {Id: "shop", DivisionCode: "520302"}} {
		x.AddParticipant(p)
	}
	add(x, ev(1, "farm", trf, in("urn:pest"), out("urn:harvest")))
	add(x, ev(2, "proc", trf, in("urn:harvest"), out("urn:lot")))
	add(x, ev(3, "proc", obj, cls("urn:lot"), ins("urn:i1")))
	add(x, ev(4, "proc", agg, par("urn:case"), chi("urn:i1"), chi("urn:clean")))
	sold := ev(5, "shop", obj, ins("urn:i1"))
	sold.Disposition, sold.Parties = "sellable_accessible", []string{"urn:epc:id:pgln:0614141.00001"}
	add(x, sold)
	later := ev(6, "shop", obj, ins("urn:i1"))
	later.Disposition = "recalled"
	add(x, later)
	g, err := x.Walk(context.Background(), "urn:pest", Forward)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"urn:pest", "urn:harvest", "urn:lot", "urn:i1", "urn:case"}; !slices.Equal(g.Nodes, want) {
		t.Errorf("nodes %v, want %v", g.Nodes, want)
	}
	if want := []string{"farm", "proc", "shop", "urn:epc:id:pgln:0614141.00001"}; !slices.Equal(g.Participants, want) {
		t.Errorf("participants %v, want %v", g.Participants, want)
	}
	if want := []string{"520102", "520302"}; !slices.Equal(g.DivisionsReached, want) {
		t.Errorf("divisions %v, want %v", g.DivisionsReached, want)
	}
	if d := g.Disposition["urn:i1"]; d != later {
		t.Errorf("last disposition of i1 is %v, want the recalled event", d)
	}
	if leaves := g.Leaves(); !slices.Equal(leaves, []string{"urn:case"}) {
		t.Errorf("leaves %v", leaves)
	}
	if len(g.Events) != 6 {
		t.Errorf("%d events, want 6", len(g.Events))
	}
	// Absence.
	a, err := x.Walk(context.Background(), "urn:nothing", Back)
	if err != nil || !a.Absent || len(a.Nodes) != 0 {
		t.Fatalf("absent root: %+v %v", a, err)
	}
}

func TestSevenLinkReport(t *testing.T) {
	e1 := &Event{Index: 1, Kind: KindEPCIS, ChainLink: tlv1.CHAIN_LINK_INPUT_USE}
	e2 := &Event{Index: 2, Kind: KindEPCIS, ChainLink: tlv1.CHAIN_LINK_MARKET_ACCESS}
	r := SevenLinkReport(&Graph{Root: "urn:lot", Events: []*Event{e1, e2, {Index: 3}}})
	if len(r.Present) != 2 || r.Present[tlv1.CHAIN_LINK_INPUT_USE][0] != e1 || len(r.Missing) != 5 || slices.Contains(r.Missing, tlv1.CHAIN_LINK_MARKET_ACCESS) {
		t.Fatalf("report %+v", r)
	}
	for _, l := range SevenLinks {
		if LinkName(l) == "" {
			t.Errorf("link %v has no name", l)
		}
	}
}

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		rec  *tlv1.Record
		kind Kind
	}{
		{&tlv1.Record{Body: &tlv1.Record_Event{Event: &tlv1.RecordEvent{Subject: "urn:a"}}}, KindEvent},
		{&tlv1.Record{Body: &tlv1.Record_Attestation{Attestation: &tlv1.AttestationRecord{AttestationId: "lab/1"}}}, KindAttestation},
		{&tlv1.Record{Body: &tlv1.Record_Credit{Credit: &tlv1.CreditRecord{Body: &tlv1.CreditRecord_Recall{Recall: &tlv1.Recall{}}}}}, KindRecall},
		{&tlv1.Record{Body: &tlv1.Record_Credit{Credit: &tlv1.CreditRecord{Body: &tlv1.CreditRecord_Complaint{Complaint: &tlv1.RecordComplaint{}}}}}, KindOther},
		{&tlv1.Record{Signer: "farm", Body: &tlv1.Record_Epcis{Epcis: &tlv1.EPCISRecord{Context: &tlv1.TraceContext{ChainLink: tlv1.CHAIN_LINK_INPUT_USE},
			Kind: &tlv1.EPCISRecord_Hashed{Hashed: &tlv1.HashedEvent{Type: trf, EventTimeMs: 5, Disposition: "active",
				Identifiers: []*tlv1.EventIdentifier{{Id: "urn:a", Role: tlv1.IDENTIFIER_ROLE_INPUT}}}}}}}, KindEPCIS},
		{&tlv1.Record{Body: &tlv1.Record_Epcis{Epcis: &tlv1.EPCISRecord{Kind: &tlv1.EPCISRecord_Public{Public: &tlv1.EPCISEvent{Type: txn,
			EpcList: []string{"urn:a"}, SourceList: []*tlv1.TypedID{{Type: "owning_party", Id: "urn:s"}}, DestinationList: []*tlv1.TypedID{{Type: "owning_party", Id: "urn:d"}}}}}}}, KindEPCIS},
	} {
		e := Decode(&proof.VerifiedRecord{Index: 7, Record: tc.rec}, nil)
		if e.Kind != tc.kind || e.Index != 7 {
			t.Errorf("%T: kind %d, want %d", tc.rec.Body, e.Kind, tc.kind)
		}
		if h := tc.rec.GetEpcis().GetHashed(); h != nil && (len(e.IDs) != 1 || e.ChainLink != tlv1.CHAIN_LINK_INPUT_USE || e.Disposition != "active" || e.TimeMs != 5) {
			t.Errorf("hashed event decoded as %+v", e)
		}
		if p := tc.rec.GetEpcis().GetPublic(); p != nil && (len(e.IDs) != 1 || !slices.Equal(e.Parties, []string{"urn:s", "urn:d"})) {
			t.Errorf("public event decoded as %+v", e)
		}
	}
}

// FuzzDecode: any record that decodes must not make Decode panic.
func FuzzDecode(f *testing.F) {
	r := &tlv1.Record{Body: &tlv1.Record_Epcis{Epcis: &tlv1.EPCISRecord{Kind: &tlv1.EPCISRecord_Public{Public: &tlv1.EPCISEvent{Type: obj, EpcList: []string{"urn:a"}}}}}}
	bz, _ := r.Marshal()
	f.Add(bz)
	f.Fuzz(func(t *testing.T, data []byte) {
		var rec tlv1.Record
		if rec.Unmarshal(data) != nil {
			return
		}
		Decode(&proof.VerifiedRecord{Record: &rec, Bytes: data}, nil)
	})
}
