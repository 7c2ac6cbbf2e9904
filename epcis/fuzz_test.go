// SPDX-License-Identifier: Apache-2.0

package epcis

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// addConformanceSeeds adds the conformance documents with the given
// extensions to the fuzz corpus.
func addConformanceSeeds(f *testing.F, exts ...string) {
	f.Helper()
	entries, err := os.ReadDir(conformanceDir)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		for _, ext := range exts {
			if strings.HasSuffix(e.Name(), ext) {
				data, err := os.ReadFile(filepath.Join(conformanceDir, e.Name()))
				if err != nil {
					f.Fatal(err)
				}
				f.Add(data)
			}
		}
	}
}

// checkParsed asserts the invariants of a successful parse and exercises
// the hash on every event.
func checkParsed(t *testing.T, events []Event, err error) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnknownEventType) {
			t.Fatalf("parse error %v wraps no parse sentinel", err)
		}
		return
	}
	for i, ev := range events {
		if ev.Index != i {
			t.Fatalf("event %d has Index %d", i, ev.Index)
		}
		if !IsEventType(ev.Type) {
			t.Fatalf("event %d has type %q", i, ev.Type)
		}
		pre, err := PreHash(ev)
		if err != nil {
			var ee *EventError
			if !errors.As(err, &ee) || ee.Index != i {
				t.Fatalf("PreHash error %v is not an *EventError for event %d", err, i)
			}
			continue
		}
		again, err := PreHash(ev)
		if err != nil || again != pre {
			t.Fatalf("PreHash not deterministic: %q vs %q (%v)", pre, again, err)
		}
		if !strings.HasPrefix(pre, "eventType="+ev.Type) {
			t.Fatalf("pre-hash %q does not start with the event type", pre)
		}
	}
}

func FuzzParseJSON(f *testing.F) {
	addConformanceSeeds(f, ".jsonld")
	f.Add([]byte(txJSON))
	f.Add([]byte(`{"type":"ObjectEvent","eventTime":"2021-01-01T00:00:00Z","eventTimeZoneOffset":"+00:00","epcList":[null,1,true,[],{}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		events, err := ParseJSON(data)
		checkParsed(t, events, err)
	})
}

func FuzzParseXML(f *testing.F) {
	addConformanceSeeds(f, ".xml")
	f.Add([]byte(txXML))
	f.Add([]byte(`<ObjectEvent a="1"><extension><eventTime>2021-01-01T00:00:00Z</eventTime></extension></ObjectEvent>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		events, err := ParseXML(data)
		checkParsed(t, events, err)
	})
}

// FuzzPreHash feeds documents of either format through the whole pipeline.
// A document that hashes must hash to the same IDs when hashed again.
func FuzzPreHash(f *testing.F) {
	addConformanceSeeds(f, ".jsonld", ".xml")
	addSyntaxSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		events, err := ParseBytes(data, FormatAuto)
		checkParsed(t, events, err)
		if err != nil {
			return
		}
		for _, ev := range events {
			id, err := HashID(ev)
			if err != nil {
				continue
			}
			if len(id) != len("ni:///sha-256;?ver=CBV2.0")+64 {
				t.Fatalf("malformed hash ID %q", id)
			}
		}
	})
}

// FuzzCanonicalValue fuzzes the value canonicaliser for every role. A
// canonical value must be a fixed point.
func FuzzCanonicalValue(f *testing.F) {
	for _, s := range []string{
		"2023-02-02T11:04:03.1415+01:00", "452.0", "1e-7", "111100001111000011110000",
		"urn:epc:id:sgtin:0614141.812345.6789%2F%26%25%22!%3F()", "shipping",
		"urn:epcglobal:cbv:bizstep:receiving", "https://example.com/gtin/9506000134352/lot/A1/ser/42?x",
		"urn:epc:id:cpi:0614141.11111111111111-A%23%2F.1234", "+01:00", "gs1:Temperature",
	} {
		for r := roleText; r <= roleComponent; r++ {
			f.Add(uint8(r), s)
		}
	}
	f.Fuzz(func(t *testing.T, r uint8, s string) {
		ro := role(r % (uint8(roleComponent) + 1))
		s = strings.TrimSpace(s)
		if s == "" {
			return
		}
		c, err := canonValue(ro, s)
		if err != nil {
			return
		}
		if c == "" {
			t.Fatalf("canonValue(%d, %q) returned an empty value", ro, s)
		}
		if again, err := canonValue(ro, c); err != nil || again != c {
			t.Fatalf("canonValue(%d, %q) = %q, but canonValue(%d, %q) = %q, %v", ro, s, c, ro, c, again, err)
		}
	})
}

// FuzzDigitalLink fuzzes the EPC URI and Digital Link parsers.
func FuzzDigitalLink(f *testing.F) {
	for _, s := range []string{
		"urn:epc:id:sgtin:0614141.812345.400", "urn:epc:id:sscc:0614141.1234567890",
		"urn:epc:id:sgln:0614141.12345.400", "urn:epc:id:grai:0614141.12345.400",
		"urn:epc:id:giai:0614141.12345400", "urn:epc:id:gdti:987659999999..9",
		"urn:epc:id:itip:4012345.011111.01.02.987", "urn:epc:id:upui:1234567.098765.51qIgY)%3C%26Jp3*j7'SDB",
		"urn:epc:class:lgtin:4012345.012345.Lot987", "urn:epc:idpat:itip:4012345.012345.01.02.*",
		"https://id.gs1.org/01/09506000134352/22/2A/10/L1/21/S1", "http://x.example/a/b/8010/0614141123ABC/8011/123",
		"https://id.gs1.org/01/95012346",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		dl, ok := DigitalLink(s)
		if !ok {
			return
		}
		if !strings.HasPrefix(dl, canonicalDLHost) || strings.ContainsAny(dl, "?# ") {
			t.Fatalf("DigitalLink(%q) = %q is not a constrained canonical URI", s, dl)
		}
		if again, ok := DigitalLink(dl); !ok || again != dl {
			t.Fatalf("DigitalLink(%q) = %q, but DigitalLink(%q) = %q, %v", s, dl, dl, again, ok)
		}
	})
}
