// SPDX-License-Identifier: Apache-2.0

package epcis

import (
	"bytes"
	"errors"
	"testing"
	"time"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// FuzzProtoRoundTrip checks, for any document, that each event that hashes
// keeps its hash through the typed protobuf (as validators recompute it)
// and through the JSON-LD and XML exports (as auditors re-hash query
// answers), unless a writer reports that its syntax cannot carry the event.
func FuzzProtoRoundTrip(f *testing.F) {
	addConformanceSeeds(f, ".jsonld", ".xml")
	addSyntaxSeeds(f)
	f.Add([]byte(txJSON))
	f.Add([]byte(txXML))
	f.Fuzz(func(t *testing.T, data []byte) {
		events, err := ParseBytes(data, FormatAuto)
		if err != nil {
			return
		}
		for _, ev := range events {
			want, err := HashID(ev)
			if err != nil {
				continue
			}
			p, back := protoRoundTrip(t, ev)
			got, err := HashID(back)
			if err != nil || got != want {
				t.Fatalf("event %d: protobuf round trip hashes to %s (%v), want %s", ev.Index, got, err, want)
			}
			if c, err := CheckProto(p, ev.Index); err == nil && c.HashID != want {
				t.Fatalf("event %d: CheckProto hash %s, want %s", ev.Index, c.HashID, want)
			}
			switch x, err := MarshalDocumentXML([]Event{back}, time.Unix(0, 0)); {
			case errors.Is(err, ErrNotRepresentable):
			case err != nil:
				t.Fatalf("event %d: XML export: %v", ev.Index, err)
			default:
				again, err := HashDocument(bytes.NewReader(x), FormatXML)
				if err != nil || len(again) != 1 || again[0] != want {
					t.Fatalf("event %d: exported XML document hashes to %v (%v), want %s\n%s", ev.Index, again, err, want, x)
				}
			}
			doc, err := MarshalDocument([]Event{back}, DocumentOptions{CreationDate: time.Unix(0, 0)})
			if errors.Is(err, ErrNotRepresentable) {
				continue
			}
			if err != nil {
				t.Fatalf("event %d: export: %v", ev.Index, err)
			}
			again, err := HashDocument(bytes.NewReader(doc), FormatJSON)
			if err != nil || len(again) != 1 || again[0] != want {
				t.Fatalf("event %d: exported document hashes to %v (%v), want %s\n%s", ev.Index, again, err, want, doc)
			}
		}
	})
}

// FuzzCheckProto feeds arbitrary protobuf bytes to the validators' path:
// decoding, checking and hashing must never panic, and a checked event's
// subjects must be canonical identifiers.
func FuzzCheckProto(f *testing.F) {
	p := validObject()
	bz, _ := p.Marshal()
	f.Add(bz)
	f.Add([]byte{0x08, 0x05, 0x12, 0x01, 0x78})
	f.Fuzz(func(t *testing.T, data []byte) {
		var ev tlv1.EPCISEvent
		if ev.Unmarshal(data) != nil {
			return
		}
		c, err := CheckProto(&ev, 0)
		if err != nil {
			return
		}
		if !ValidHashID(c.HashID) {
			t.Fatalf("hash ID %q", c.HashID)
		}
		for _, s := range c.Subjects {
			if canon, err := CanonicalIdentifier(s); err != nil || canon != s {
				t.Fatalf("subject %q is not canonical: %q, %v", s, canon, err)
			}
		}
	})
}

// FuzzParseIdentifier checks that identifier checking never panics and that
// a canonical identifier is its own canonical form.
func FuzzParseIdentifier(f *testing.F) {
	for _, s := range []string{"urn:epc:id:sgtin:4012345.011111.1001", "urn:cn:eartag:152010200012345",
		"urn:cn:detonator:5360315A12301", "urn:cn:special-equipment:31105201002019000123",
		"https://example.com/01/04012345111118/10/L1", "urn:cn:pesticide:12345671123000000000000000000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseIdentifier(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidURI) {
				t.Fatalf("error %v does not wrap ErrInvalidURI", err)
			}
			return
		}
		again, err := ParseIdentifier(id.Canonical)
		if err != nil || again.Canonical != id.Canonical {
			t.Fatalf("%q -> %q -> %q, %v", s, id.Canonical, again.Canonical, err)
		}
	})
}

// FuzzPayloads checks the payload canonicaliser: any document it accepts
// gives payloads whose JCS form is a fixed point.
func FuzzPayloads(f *testing.F) {
	addConformanceSeeds(f, ".jsonld")
	f.Add([]byte(benchObjectEvent))
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := Payloads(data, FormatJSON)
		if err != nil {
			return
		}
		for i, p := range ps {
			q, err := PayloadOf(p.JSON)
			if err != nil || q.SHA256 != p.SHA256 {
				t.Fatalf("payload %d is not a JCS fixed point: %v", i, err)
			}
		}
	})
}
