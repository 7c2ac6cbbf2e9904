// SPDX-License-Identifier: Apache-2.0

package epcis

import (
	"errors"
	"strings"
	"testing"
)

// gs1Keys is one identifier of every GS1 key type the package converts,
// as an EPC URI, with its constrained canonical Digital Link URI (check
// digits worked out by hand: GTIN 5 6901234 00012 -> 7, SSCC 1 6901234
// 000000001 -> 3, GLN 6901234 00001 -> 6).
var gs1Keys = []struct{ epc, canonical string }{
	{"urn:epc:id:sgtin:6901234.500012.LOT7-1", "https://id.gs1.org/01/56901234000127/21/LOT7-1"},
	{"urn:epc:class:lgtin:6901234.500012.LOT7", "https://id.gs1.org/01/56901234000127/10/LOT7"},
	{"urn:epc:idpat:sgtin:6901234.500012.*", "https://id.gs1.org/01/56901234000127"},
	{"urn:epc:id:sscc:6901234.1000000001", "https://id.gs1.org/00/169012340000000013"},
	{"urn:epc:id:sgln:6901234.00001.0", "https://id.gs1.org/414/6901234000016"},
	{"urn:epc:id:sgln:6901234.00001.DOCK3", "https://id.gs1.org/414/6901234000016/254/DOCK3"},
	{"urn:epc:id:grai:6901234.00005.PALLET9", "https://id.gs1.org/8003/06901234000054PALLET9"},
	{"urn:epc:id:giai:6901234.SENSOR7", "https://id.gs1.org/8004/6901234SENSOR7"},
	{"urn:epc:id:gsrn:6901234.0000000042", "https://id.gs1.org/8018/690123400000000421"},
	{"urn:epc:id:gsrnp:6901234.0000000042", "https://id.gs1.org/8017/690123400000000421"},
	{"urn:epc:id:gdti:6901234.00003.CERT88", "https://id.gs1.org/253/6901234000030CERT88"},
	{"urn:epc:id:cpi:6901234.PART-A.77", "https://id.gs1.org/8010/6901234PART-A/8011/77"},
	{"urn:epc:id:sgcn:6901234.00002.1234", "https://id.gs1.org/255/69012340000231234"},
	{"urn:epc:id:ginc:6901234.SHIP2026", "https://id.gs1.org/401/6901234SHIP2026"},
	{"urn:epc:id:itip:6901234.500012.01.02.SER1", "https://id.gs1.org/8006/569012340001270102/21/SER1"},
	{"urn:epc:id:upui:6901234.500012.TPX9", "https://id.gs1.org/01/56901234000127/235/TPX9"},
	{"urn:epc:id:pgln:6901234.00001", "https://id.gs1.org/417/6901234000016"},
}

// TestEveryGS1KeyInEverySpelling (issue 12): every spelling of each key —
// the EPC URI, the canonical Digital Link, the Digital Link on another
// domain, over http, with a query string, and with a fragment — has one
// canonical form, which is its own canonical form; and no two keys share
// one.
func TestEveryGS1KeyInEverySpelling(t *testing.T) {
	seen := map[string]string{}
	for _, k := range gs1Keys {
		path := strings.TrimPrefix(k.canonical, "https://id.gs1.org")
		spellings := []string{
			k.epc,
			k.canonical,
			"https://qr.example.com" + path,
			"http://id.gs1.org" + path,
			"https://example.org/shop" + path + "?linkType=gs1:pip&lang=zh",
			"https://id.gs1.org" + path + "#label",
		}
		for _, s := range spellings {
			id, err := ParseIdentifier(s)
			if err != nil {
				t.Errorf("%s: %v", s, err)
				continue
			}
			if id.Scheme != SchemeGS1 || id.Canonical != k.canonical {
				t.Errorf("%s: canonical %s (scheme %s), want %s", s, id.Canonical, id.Scheme, k.canonical)
			}
		}
		if other, dup := seen[k.canonical]; dup {
			t.Errorf("%s and %s share the canonical key %s", k.epc, other, k.canonical)
		}
		seen[k.canonical] = k.epc
	}
}

// TestMalformedDigitalLinks: a Digital Link whose key has a wrong check
// digit or length names nothing: it is refused, not kept as an opaque URI
// (which would give one product a second, misspelt history).
func TestMalformedDigitalLinks(t *testing.T) {
	for _, s := range []string{
		"https://id.gs1.org/01/56901234000128",          // GTIN check digit 8, not 7
		"https://id.gs1.org/01/56901234000129/10/LOT7",  // 9, not 7
		"https://qr.example.com/gtin/56901234000120",    // short name, wrong digit
		"https://id.gs1.org/01/5690123400012",           // 13 digits: a GTIN-13 with check digit 2, wrong
		"https://id.gs1.org/00/169012340000000014",      // SSCC check digit 4, not 3
		"https://id.gs1.org/414/6901234000017",          // GLN check digit 7, not 6
		"https://id.gs1.org/8018/690123400000000422",    // GSRN
		"https://id.gs1.org/8003/06901234000055PALLET9", // GRAI
	} {
		if id, err := ParseIdentifier(s); err == nil {
			t.Errorf("%s accepted as %s (%s)", s, id.Canonical, id.Scheme)
		} else if !errors.Is(err, ErrInvalidURI) {
			t.Errorf("%s: %v does not wrap ErrInvalidURI", s, err)
		}
	}
	// Other http URIs stay opaque.
	for _, s := range []string{"https://example.com/01/about", "https://example.com/product/42", "https://example.com/01"} {
		if id, err := ParseIdentifier(s); err != nil || id.Scheme != SchemeOpaque {
			t.Errorf("%s: %v %s, want an opaque identifier", s, err, id.Scheme)
		}
	}
}

// FuzzCanonicalSGTINInjective: two SGTINs (company prefix length, the 13
// digits of indicator, prefix and item reference, and a serial) have the
// same canonical key exactly when they name the same GTIN and serial, in
// whatever partition of the digits they are written: canonicalisation
// merges spellings, never things. The GTIN check digit is computed here
// independently of the package.
func FuzzCanonicalSGTINInjective(f *testing.F) {
	f.Add(uint8(7), "5690123400012", "LOT1", uint8(6), "5690123400012", "LOT1")
	f.Add(uint8(7), "5690123400012", "LOT1", uint8(7), "5690123400012", "LOT2")
	f.Add(uint8(9), "0401234511111", "7", uint8(8), "0401234511111", "7")
	f.Fuzz(func(t *testing.T, la uint8, da, sa string, lb uint8, db, sb string) {
		a, ga, ok1 := sgtinOf(la, da, sa)
		b, gb, ok2 := sgtinOf(lb, db, sb)
		if !ok1 || !ok2 {
			return
		}
		ca, err1 := CanonicalIdentifier(a)
		cb, err2 := CanonicalIdentifier(b)
		if err1 != nil || err2 != nil {
			t.Fatalf("valid SGTINs refused: %s %v, %s %v", a, err1, b, err2)
		}
		same := ga == gb && sa == sb
		if (ca == cb) != same {
			t.Fatalf("%s -> %s and %s -> %s: same key %v, same GTIN and serial %v", a, ca, b, cb, ca == cb, same)
		}
		if want := "https://id.gs1.org/01/" + ga + "/21/" + sa; ca != want {
			t.Fatalf("%s -> %s, want %s", a, ca, want)
		}
	})
}

// sgtinOf writes an SGTIN EPC URI from a company-prefix length (6-12), 13
// digits (indicator, prefix, item reference) and a serial of 1-20 letters
// and digits, and returns it with its GTIN-14.
func sgtinOf(cpLen uint8, digits, serial string) (uri, gtin string, ok bool) {
	l := int(cpLen%7) + 6
	if len(digits) != 13 || !allDigits(digits) || serial == "" || len(serial) > 20 {
		return "", "", false
	}
	for _, c := range serial {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return "", "", false
		}
	}
	indicator, prefix, item := digits[:1], digits[1:1+l], digits[1+l:]
	uri = "urn:epc:id:sgtin:" + prefix + "." + indicator + item + "." + serial
	sum := 0
	for i := range 13 {
		d := int(digits[12-i] - '0')
		if i%2 == 0 {
			d *= 3
		}
		sum += d
	}
	return uri, digits + string(rune('0'+(10-sum%10)%10)), true
}
