// SPDX-License-Identifier: Apache-2.0

package epcis

import (
	"errors"
	"testing"
)

func TestParseIdentifier(t *testing.T) {
	cases := []struct {
		in        string
		scheme    Scheme
		canonical string // "" means unchanged
		bad       bool
	}{
		// GS1 keys: EPC URIs and Digital Link URIs share one canonical form.
		{in: "urn:epc:id:sgtin:4012345.011111.1001", scheme: SchemeGS1, canonical: "https://id.gs1.org/01/04012345111118/21/1001"},
		{in: "https://example.com/01/04012345111118/21/1001?17=250101", scheme: SchemeGS1, canonical: "https://id.gs1.org/01/04012345111118/21/1001"},
		{in: "urn:epc:class:lgtin:4012345.011111.LOT7", scheme: SchemeGS1, canonical: "https://id.gs1.org/01/04012345111118/10/LOT7"},
		{in: "urn:epc:idpat:sgtin:4012345.011111.*", scheme: SchemeGS1, canonical: "https://id.gs1.org/01/04012345111118"},
		{in: "urn:epc:id:sscc:4012345.0000000111", scheme: SchemeGS1, canonical: "https://id.gs1.org/00/040123450000001112"},
		{in: "urn:epc:id:sgtin:4012345.01111.1001", bad: true}, // GTIN fields 12 digits
		{in: "urn:epc:id:sgtin:4012345.011111", bad: true},     // no serial
		{in: "urn:epc:class:lgtin:4012345.011111", bad: true},  // no lot
		// Livestock ear tags: 15 digits, species 1-3, a province.
		{in: "urn:cn:eartag:152010200012345", scheme: SchemeEarTag},
		{in: "urn:cn:eartag:252010200012345", scheme: SchemeEarTag},
		{in: "urn:cn:eartag:15201020001234", bad: true},   // 14 digits
		{in: "urn:cn:eartag:1520102000123456", bad: true}, // 16 digits
		{in: "urn:cn:eartag:452010200012345", bad: true},  // species 4
		{in: "urn:cn:eartag:199010200012345", bad: true},  // province 99
		{in: "urn:cn:eartag:15201020001234X", bad: true},
		// Veterinary drug QR code: 24 digits.
		{in: "urn:cn:vetdrug:123456789012345678901234", scheme: SchemeVetDrug},
		{in: "urn:cn:vetdrug:12345678901234567890123", bad: true},
		{in: "urn:cn:vetdrug:12345678901234567890123A", bad: true},
		// Pesticide label code: 32 digits, first not 0.
		{in: "urn:cn:pesticide:12345671123000000000000000000001", scheme: SchemePesticide},
		{in: "urn:cn:pesticide:02345671123000000000000000000001", bad: true},
		{in: "urn:cn:pesticide:1234567112300000000000000000001", bad: true},
		// Drug traceability code: 20 digits.
		{in: "urn:cn:drug:81234560000000012345", scheme: SchemeDrug},
		{in: "urn:cn:drug:8123456000000001234", bad: true},
		// Special equipment: category, division, year, serial.
		{in: "urn:cn:special-equipment:31105201002019000123", scheme: SchemeSpecialEquipment},
		{in: "urn:cn:special-equipment:31105201002019012", scheme: SchemeSpecialEquipment},
		{in: "urn:cn:special-equipment:01105201002019000123", bad: true}, // category 0110
		{in: "urn:cn:special-equipment:31109901002019000123", bad: true}, // province 99
		{in: "urn:cn:special-equipment:31105201001899000123", bad: true}, // year 1899
		{in: "urn:cn:special-equipment:3110520100201901", bad: true},     // 16 digits
		// Detonators: 13 characters.
		{in: "urn:cn:detonator:5360315A12301", scheme: SchemeDetonator},
		{in: "urn:cn:detonator:53603150012301", bad: true}, // 14
		{in: "urn:cn:detonator:5361315A12301", bad: true},  // month 13
		{in: "urn:cn:detonator:5360300A12301", bad: true},  // day 00
		{in: "urn:cn:detonator:5360315a12301", bad: true},  // lower-case feature
		{in: "urn:cn:detonator:53603150A2301", bad: true},  // letter in the box number
		// Unknown schemes are opaque and kept as written.
		{in: "urn:cn:fishery:whatever-123", scheme: SchemeOpaque},
		{in: "urn:uuid:0b0e0f52-2d3a-4a2c-9c54-2a1c0e5f1d11", scheme: SchemeOpaque},
		{in: "https://example.com/product/42", scheme: SchemeOpaque},
		{in: "urn:epc:id:gid:95100000.12345.400", scheme: SchemeOpaque},
		{in: "did:example:123", scheme: SchemeOpaque},
		// Not identifiers.
		{in: "", bad: true},
		{in: "no scheme", bad: true},
		{in: "urn:x:has space", bad: true},
		{in: "1urn:x", bad: true},
		{in: "urn:x:\xff", bad: true},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			id, err := ParseIdentifier(tc.in)
			if tc.bad {
				if err == nil {
					t.Fatalf("accepted, canonical %q", id.Canonical)
				}
				if !errors.Is(err, ErrInvalidURI) {
					t.Fatalf("error %v does not wrap ErrInvalidURI", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := tc.canonical
			if want == "" {
				want = tc.in
			}
			if id.Scheme != tc.scheme || id.Canonical != want || id.Raw != tc.in {
				t.Fatalf("got %+v, want scheme %s canonical %s", id, tc.scheme, want)
			}
		})
	}
	long := "urn:x:" + string(make([]byte, MaxIdentifierBytes))
	if _, err := ParseIdentifier(long); err == nil {
		t.Error("accepted an identifier longer than the limit")
	}
}
