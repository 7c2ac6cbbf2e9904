// SPDX-License-Identifier: Apache-2.0

package epcis

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// protoRoundTrip converts ev to the typed message, marshals and unmarshals
// it as a validator would receive it, and converts it back.
func protoRoundTrip(t testing.TB, ev Event) (*tlv1.EPCISEvent, Event) {
	t.Helper()
	p, err := ToProto(ev)
	if err != nil {
		t.Fatalf("ToProto: %v", err)
	}
	bz, err := p.Marshal()
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	var q tlv1.EPCISEvent
	if err := q.Unmarshal(bz); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	back, err := FromProto(&q, ev.Index)
	if err != nil {
		t.Fatalf("FromProto: %v", err)
	}
	return &q, back
}

// TestProtoRoundTrip checks, for every event of every conformance document,
// that the pre-hash of the event rebuilt from its (marshalled) protobuf is
// the pre-hash of the parsed event, and that the standard fields of the
// vectors all land in typed fields.
func TestProtoRoundTrip(t *testing.T) {
	events := 0
	for _, c := range conformanceCases(t) {
		data, err := os.ReadFile(filepath.Join(conformanceDir, c.file))
		if err != nil {
			t.Fatal(err)
		}
		evs, err := ParseBytes(data, c.format)
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		for _, ev := range evs {
			want, err := PreHash(ev)
			if err != nil {
				t.Fatalf("%s event %d: %v", c.file, ev.Index, err)
			}
			p, back := protoRoundTrip(t, ev)
			got, err := PreHash(back)
			if err != nil {
				t.Fatalf("%s event %d: pre-hash after round trip: %v", c.file, ev.Index, err)
			}
			if got != want {
				t.Errorf("%s event %d: round trip changed the pre-hash\n got %s\nwant %s", c.file, ev.Index, got, want)
			}
			for _, e := range p.Extensions {
				if standardTopField[e.Name] {
					t.Errorf("%s event %d: standard field %s kept as a generic element", c.file, ev.Index, e.Name)
				}
			}
			if p.EventTime == "" || p.EventTimeZoneOffset == "" {
				t.Errorf("%s event %d: eventTime/eventTimeZoneOffset not typed", c.file, ev.Index)
			}
			events++
		}
	}
	if events < 80 {
		t.Fatalf("only %d events checked", events)
	}
	t.Logf("%d events: JSON-LD/XML -> protobuf -> pre-hash equal", events)
}

// TestProtoShapes covers the shapes the typed model must keep verbatim
// instead of typing them: each must still round-trip to the same pre-hash.
func TestProtoShapes(t *testing.T) {
	base := func(extra ...Field) Event {
		fs := []Field{{Name: "eventTime", Value: "2024-01-02T03:04:05Z"}, {Name: "eventTimeZoneOffset", Value: "+00:00"}, {Name: "action", Value: "OBSERVE"}}
		return Event{Type: "ObjectEvent", Fields: append(fs, extra...)}
	}
	leaf := func(n, v string) Field { return Field{Name: n, Value: v} }
	node := func(n string, c ...Field) Field { return Field{Name: n, Children: c} }
	cases := []struct {
		name    string
		ev      Event
		generic int // how many top-level fields must stay generic
	}{
		{"typed epcList", base(node("epcList", leaf("epc", "urn:epc:id:sgtin:4012345.011111.1"))), 0},
		{"empty epcList is dropped", base(Field{Name: "epcList"}, Field{Name: "quantityList"}, node("epcList", leaf("epc", "urn:x:1"))), 0},
		{"empty ilmd is hashed", base(Field{Name: "ilmd"}), 1},
		{"empty bizTransactionList is hashed", base(Field{Name: "bizTransactionList"}), 1},
		{"two readPoints", base(node("readPoint", leaf("id", "urn:x:1")), node("readPoint", leaf("id", "urn:x:2"))), 1},
		{"text in a list", base(Field{Name: "epcList", Value: "junk", Children: []Field{leaf("epc", "urn:x:1")}}), 1},
		{"foreign child in epcList", base(node("epcList", leaf("epc", "urn:x:1"), leaf("{urn:ns}x", "1"))), 1},
		{"bizTransaction id as text", base(node("bizTransactionList", Field{Name: "bizTransaction", Value: "urn:x:po:1", Children: []Field{leaf("type", "po")}})), 0},
		{"bizTransaction with text and member", base(node("bizTransactionList", Field{Name: "bizTransaction", Value: "urn:x:po:1", Children: []Field{leaf("bizTransaction", "urn:x:po:2")}})), 0},
		{"bizTransaction two types", base(node("bizTransactionList", node("bizTransaction", leaf("type", "po"), leaf("type", "inv"), leaf("bizTransaction", "urn:x:1")))), 1},
		{"quantity with extension", base(node("quantityList", node("quantityElement", leaf("epcClass", "urn:epc:class:lgtin:4012345.011111.L1"), leaf("quantity", "2.50"), leaf("{urn:ns}grade", "A")))), 0},
		{"quantity with two uoms", base(node("quantityList", node("quantityElement", leaf("epcClass", "urn:x:c"), leaf("uom", "KGM"), leaf("uom", "LTR")))), 0},
		{"readPoint extension", base(node("readPoint", leaf("id", "urn:x:rp"), node("{urn:ns}dock", leaf("{urn:ns}no", "7")))), 0},
		{"empty readPoint", base(Field{Name: "readPoint"}), 0},
		{"sensor two metadata", base(node("sensorElementList", node("sensorElement", node("sensorMetadata", leaf("time", "2024-01-02T03:04:05Z")), node("sensorMetadata", leaf("deviceID", "urn:x:d")), node("sensorReport", leaf("type", "Temperature"), leaf("value", "3"))))), 0},
		{"unknown unqualified field", base(leaf("foo", "bar")), 1},
		{"persistentDisposition", base(node("persistentDisposition", leaf("set", "completeness_verified"), leaf("unset", "completeness_inferred"), leaf("{urn:ns}x", "y"))), 0},
		{"error declaration XML shape", base(node("errorDeclaration", leaf("declarationTime", "2024-01-03T00:00:00Z"), node("correctiveEventIDs", leaf("correctiveEventID", "urn:uuid:1")))), 0},
		{"two certificationInfo", base(leaf("certificationInfo", "https://cert.example/1"), leaf("certificationInfo", "https://cert.example/2")), 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want, err := PreHash(tc.ev)
			if err != nil {
				t.Fatal(err)
			}
			p, back := protoRoundTrip(t, tc.ev)
			got, err := PreHash(back)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("pre-hash changed\n got %s\nwant %s", got, want)
			}
			if len(p.Extensions) != tc.generic {
				t.Errorf("%d generic top-level fields, want %d: %v", len(p.Extensions), tc.generic, p.Extensions)
			}
		})
	}
}

// TestEventTypeNames checks the enum mapping both ways.
func TestEventTypeNames(t *testing.T) {
	for name := range eventTypes {
		if got := EventTypeName(EventTypeOf(name)); got != name {
			t.Errorf("%s -> %v -> %s", name, EventTypeOf(name), got)
		}
	}
	if EventTypeOf("QuantityEvent") != tlv1.EPCIS_EVENT_TYPE_UNSPECIFIED || EventTypeName(99) != "" {
		t.Error("unknown types map to something")
	}
	if _, err := ToProto(Event{Type: "QuantityEvent"}); err == nil {
		t.Error("ToProto accepted an unknown type")
	}
	if _, err := FromProto(&tlv1.EPCISEvent{}, 3); err == nil {
		t.Error("FromProto accepted an event without type")
	}
	_ = bytes.MinRead
}
