// SPDX-License-Identifier: Apache-2.0

package epcis

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

func validObject() *tlv1.EPCISEvent {
	return &tlv1.EPCISEvent{
		Type: tlv1.EPCIS_EVENT_TYPE_OBJECT, EventTime: "2026-11-28T09:30:00.000+08:00", EventTimeZoneOffset: "+08:00",
		EpcList:      []string{"urn:epc:id:sgtin:6901234.000012.1001", "https://id.gs1.org/01/06901234000122/21/1001"},
		QuantityList: []*tlv1.QuantityElement{{EpcClass: "urn:epc:class:lgtin:6901234.000012.LOT1", Quantity: "1200", Uom: "KGM"}},
		Action:       "OBSERVE", BizStep: "commissioning", ReadPoint: &tlv1.Location{Id: "urn:epc:id:sgln:6901234.00001.0"},
	}
}

func TestCheckProto(t *testing.T) {
	ok, err := CheckProto(validObject(), 0)
	if err != nil {
		t.Fatal(err)
	}
	// The SGTIN written two ways is one subject; the lot is another.
	want := []string{"https://id.gs1.org/01/06901234000122/21/1001", "https://id.gs1.org/01/06901234000122/10/LOT1"}
	if strings.Join(ok.Subjects, " ") != strings.Join(want, " ") {
		t.Fatalf("subjects %v, want %v", ok.Subjects, want)
	}
	if len(ok.Identifiers) != 3 || ok.Identifiers[2].Role != tlv1.IDENTIFIER_ROLE_CLASS {
		t.Fatalf("identifiers %v", ok.Identifiers)
	}
	ev, _ := FromProto(validObject(), 0)
	if h, _ := HashID(ev); h != ok.HashID {
		t.Fatalf("hash %s, HashID says %s", ok.HashID, h)
	}
	if ok.EventTimeMs != 1795829400000 {
		t.Fatalf("event time %d", ok.EventTimeMs)
	}

	cases := []struct {
		name  string
		edit  func(p *tlv1.EPCISEvent)
		err   error
		field string
	}{
		{"unknown type", func(p *tlv1.EPCISEvent) { p.Type = 9 }, ErrUnknownEventType, "type"},
		{"no event time", func(p *tlv1.EPCISEvent) { p.EventTime = "" }, ErrMissingField, "eventTime"},
		{"no time zone", func(p *tlv1.EPCISEvent) { p.EventTimeZoneOffset = "" }, ErrMissingField, "eventTimeZoneOffset"},
		{"bad time", func(p *tlv1.EPCISEvent) { p.EventTime = "2026-13-01T00:00:00Z" }, ErrInvalidTimestamp, "eventTime"},
		{"bad offset", func(p *tlv1.EPCISEvent) { p.EventTimeZoneOffset = "+8" }, ErrInvalidValue, "eventTimeZoneOffset"},
		{"no action", func(p *tlv1.EPCISEvent) { p.Action = "" }, ErrMissingField, "action"},
		{"bad action", func(p *tlv1.EPCISEvent) { p.Action = "UPDATE" }, ErrInvalidValue, "action"},
		{"parent in object event", func(p *tlv1.EPCISEvent) { p.ParentId = "urn:epc:id:sscc:6901234.0000000001" }, ErrInvalidValue, "parentID"},
		{"inputs in object event", func(p *tlv1.EPCISEvent) { p.InputEpcList = []string{"urn:x:1"} }, ErrInvalidValue, "inputEPCList"},
		{"bad EPC", func(p *tlv1.EPCISEvent) { p.EpcList[1] = "urn:epc:id:sgtin:6901234.500012" }, ErrInvalidURI, "epcList"},
		{"bad ear tag", func(p *tlv1.EPCISEvent) { p.EpcList = []string{"urn:cn:eartag:12345"} }, ErrInvalidURI, "epcList"},
		{"bad class", func(p *tlv1.EPCISEvent) { p.QuantityList[0].EpcClass = "lot 1" }, ErrInvalidURI, "quantityList"},
		{"bad read point", func(p *tlv1.EPCISEvent) { p.ReadPoint.Id = "urn:cn:detonator:1" }, ErrInvalidURI, "readPoint.id"},
		{"bad bizStep", func(p *tlv1.EPCISEvent) { p.BizStep = "not a uri" }, ErrInvalidURI, "bizStep"},
		{"standard field as extension", func(p *tlv1.EPCISEvent) {
			p.Extensions = append(p.Extensions, &tlv1.Element{Name: "epcList", Children: []*tlv1.Element{{Name: "x", Value: "urn:x:1"}}})
		}, ErrInvalidValue, "extensions[0]"},
		{"invalid UTF-8", func(p *tlv1.EPCISEvent) { p.Ilmd = []*tlv1.Element{{Name: "{urn:ns}x", Value: "\xff"}} }, ErrInvalidValue, "ilmd"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := validObject()
			tc.edit(p)
			_, err := CheckProto(p, 7)
			if !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			var ee *EventError
			if !errors.As(err, &ee) || ee.Index != 7 || !strings.HasPrefix(ee.Field, tc.field) {
				t.Fatalf("error %#v does not name event 7, field %s", err, tc.field)
			}
		})
	}
}

func TestCheckProtoEventTypes(t *testing.T) {
	base := func(typ tlv1.EPCISEventType) *tlv1.EPCISEvent {
		return &tlv1.EPCISEvent{Type: typ, EventTime: "2026-01-01T00:00:00Z", EventTimeZoneOffset: "+00:00"}
	}
	agg := base(tlv1.EPCIS_EVENT_TYPE_AGGREGATION)
	agg.Action, agg.ChildEpcs = "ADD", []string{"urn:cn:eartag:152010200012345"}
	if _, err := CheckProto(agg, 0); !errors.Is(err, ErrMissingField) {
		t.Errorf("aggregation ADD without parent: %v", err)
	}
	agg.ParentId = "urn:cn:special-equipment:31105201002019000123"
	if _, err := CheckProto(agg, 0); err != nil {
		t.Errorf("aggregation: %v", err)
	}
	tr := base(tlv1.EPCIS_EVENT_TYPE_TRANSFORMATION)
	tr.InputQuantityList = []*tlv1.QuantityElement{{EpcClass: "urn:epc:class:lgtin:6901234.000012.RAW", Quantity: "10", Uom: "KGM"}}
	tr.OutputEpcList = []string{"urn:cn:drug:81234560000000012345"}
	c, err := CheckProto(tr, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Identifiers) != 2 || c.Identifiers[0].Role != tlv1.IDENTIFIER_ROLE_OUTPUT || c.Identifiers[1].Role != tlv1.IDENTIFIER_ROLE_INPUT {
		t.Errorf("identifiers %v", c.Identifiers)
	}
	tr.Action = "ADD"
	if _, err := CheckProto(tr, 0); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("transformation with action: %v", err)
	}
	as := base(tlv1.EPCIS_EVENT_TYPE_ASSOCIATION)
	as.Action = "ADD"
	if _, err := CheckProto(as, 0); !errors.Is(err, ErrMissingField) {
		t.Errorf("association without parent: %v", err)
	}
}

func TestCheckHashed(t *testing.T) {
	sum := sha256.Sum256([]byte("payload"))
	good := func() *tlv1.HashedEvent {
		return &tlv1.HashedEvent{Type: tlv1.EPCIS_EVENT_TYPE_OBJECT, EventTimeMs: 1795829400000, EventTimeZoneOffset: "+08:00",
			BizStep: "https://ref.gs1.org/cbv/BizStep-shipping", Disposition: "in_transit", ReadPoint: "urn:epc:id:sgln:6901234.00001.0",
			Identifiers: []*tlv1.EventIdentifier{
				{Id: "urn:cn:eartag:152010200012345", Role: tlv1.IDENTIFIER_ROLE_INSTANCE},
				{Id: "urn:cn:eartag:152010200012345", Role: tlv1.IDENTIFIER_ROLE_INSTANCE},
				{Id: "urn:epc:class:lgtin:6901234.000012.L1", Role: tlv1.IDENTIFIER_ROLE_CLASS}},
			PayloadSha256: sum[:]}
	}
	subj, err := CheckHashed(good(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(subj) != 2 || subj[1] != "https://id.gs1.org/01/06901234000122/10/L1" {
		t.Fatalf("subjects %v", subj)
	}
	cases := []struct {
		name string
		edit func(h *tlv1.HashedEvent)
		err  error
	}{
		{"no type", func(h *tlv1.HashedEvent) { h.Type = 0 }, ErrUnknownEventType},
		{"no time", func(h *tlv1.HashedEvent) { h.EventTimeMs = 0 }, ErrMissingField},
		{"no offset", func(h *tlv1.HashedEvent) { h.EventTimeZoneOffset = "" }, ErrMissingField},
		{"bad offset", func(h *tlv1.HashedEvent) { h.EventTimeZoneOffset = "08:00" }, ErrInvalidValue},
		{"bad bizStep", func(h *tlv1.HashedEvent) { h.BizStep = "ship ping" }, ErrInvalidURI},
		{"bad location", func(h *tlv1.HashedEvent) { h.BizLocation = "urn:epc:id:sgln:1" }, ErrInvalidURI},
		{"no role", func(h *tlv1.HashedEvent) { h.Identifiers[0].Role = 0 }, ErrInvalidValue},
		{"bad code", func(h *tlv1.HashedEvent) { h.Identifiers[0].Id = "urn:cn:eartag:052010200012345" }, ErrInvalidURI},
		{"padded identifier", func(h *tlv1.HashedEvent) { h.Identifiers[0].Id = " urn:x:1" }, ErrInvalidURI},
		{"short payload hash", func(h *tlv1.HashedEvent) { h.PayloadSha256 = h.PayloadSha256[:31] }, ErrInvalidValue},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := good()
			tc.edit(h)
			if _, err := CheckHashed(h, 3); !errors.Is(err, tc.err) || !strings.Contains(err.Error(), "event 3") {
				t.Fatalf("error %v, want %v naming event 3", err, tc.err)
			}
		})
	}
}

func TestHashIDFormat(t *testing.T) {
	ev, _ := FromProto(validObject(), 0)
	id, err := HashID(ev)
	if err != nil {
		t.Fatal(err)
	}
	d, err := HashIDDigest(id)
	if err != nil || HashIDFromDigest(d) != id {
		t.Fatalf("digest round trip: %v", err)
	}
	for _, bad := range []string{"", id[:len(id)-1], strings.ToUpper(id), strings.Replace(id, "sha-256", "sha-512", 1),
		"ni:///sha-256;" + strings.Repeat("g", 64) + "?ver=CBV2.0", id + "x"} {
		if ValidHashID(bad) {
			t.Errorf("ValidHashID(%q)", bad)
		}
		if _, err := HashIDDigest(bad); err == nil {
			t.Errorf("HashIDDigest(%q) accepted", bad)
		}
	}
	_ = bytes.MinRead
}
