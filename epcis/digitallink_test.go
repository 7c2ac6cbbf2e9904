// SPDX-License-Identifier: Apache-2.0

package epcis

import "testing"

func TestDigitalLink(t *testing.T) {
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		// EPC URIs (EPC Tag Data Standard) -> canonical Digital Link.
		{"sgtin", "urn:epc:id:sgtin:0614141.812345.400", "https://id.gs1.org/01/80614141123458/21/400", true},
		{"sgtin serial with escapes", "urn:epc:id:sgtin:0614141.812345.6789%2F%26%25%22!%3F()", "https://id.gs1.org/01/80614141123458/21/6789%2F%26%25%22%21%3F%28%29", true},
		{"sgtin serial with dot", "urn:epc:id:sgtin:0614141.112345.4.0", "https://id.gs1.org/01/10614141123459/21/4.0", true},
		{"sgtin 12-digit prefix", "urn:epc:id:sgtin:415056789012.0.987654", "https://id.gs1.org/01/04150567890128/21/987654", true},
		{"sscc", "urn:epc:id:sscc:0614141.1234567890", "https://id.gs1.org/00/106141412345678908", true},
		{"sgln no extension", "urn:epc:id:sgln:0614141.12345.0", "https://id.gs1.org/414/0614141123452", true},
		{"sgln extension", "urn:epc:id:sgln:0614141.12345.400", "https://id.gs1.org/414/0614141123452/254/400", true},
		{"sgln 12-digit prefix", "urn:epc:id:sgln:999999999999..0", "https://id.gs1.org/414/9999999999994", true},
		{"grai", "urn:epc:id:grai:0614141.12345.400", "https://id.gs1.org/8003/00614141123452400", true},
		{"giai", "urn:epc:id:giai:0614141.12345400", "https://id.gs1.org/8004/061414112345400", true},
		{"gsrn", "urn:epc:id:gsrn:0614141.1234567890", "https://id.gs1.org/8018/061414112345678902", true},
		{"gsrnp", "urn:epc:id:gsrnp:0614141.1234567890", "https://id.gs1.org/8017/061414112345678902", true},
		{"gdti", "urn:epc:id:gdti:0614141.12345.400", "https://id.gs1.org/253/0614141123452400", true},
		{"gdti 12-digit prefix", "urn:epc:id:gdti:987659999999..9", "https://id.gs1.org/253/98765999999929", true},
		{"cpi", "urn:epc:id:cpi:0614141.11111111111111-A%23%2F.1234", "https://id.gs1.org/8010/061414111111111111111-A%23%2F/8011/1234", true},
		{"sgcn", "urn:epc:id:sgcn:4012345.67890.04711", "https://id.gs1.org/255/401234567890104711", true},
		{"ginc", "urn:epc:id:ginc:0614141.xyz47%2F11", "https://id.gs1.org/401/0614141xyz47%2F11", true},
		{"gsin", "urn:epc:id:gsin:0614141.123456789", "https://id.gs1.org/402/06141411234567890", true},
		{"itip", "urn:epc:id:itip:4012345.011111.01.02.987", "https://id.gs1.org/8006/040123451111180102/21/987", true},
		{"upui", "urn:epc:id:upui:1234567.098765.51qIgY)%3C%26Jp3*j7'SDB", "https://id.gs1.org/01/01234567987651/235/51qIgY%29%3C%26Jp3%2Aj7'SDB", true},
		{"pgln", "urn:epc:id:pgln:1234567.89012", "https://id.gs1.org/417/1234567890128", true},
		{"lgtin class", "urn:epc:class:lgtin:4012345.012345.Lot987", "https://id.gs1.org/01/04012345123456/10/Lot987", true},
		{"sgtin pattern", "urn:epc:idpat:sgtin:4012345.044444.*", "https://id.gs1.org/01/04012345444445", true},
		{"grai pattern", "urn:epc:idpat:grai:0614141.12345.*", "https://id.gs1.org/8003/00614141123452", true},
		{"gdti pattern", "urn:epc:idpat:gdti:0614141.12345.*", "https://id.gs1.org/253/0614141123452", true},
		{"sgcn pattern", "urn:epc:idpat:sgcn:4012345.67890.*", "https://id.gs1.org/255/4012345678901", true},
		{"cpi pattern", "urn:epc:idpat:cpi:0614141.123ABC.*", "https://id.gs1.org/8010/0614141123ABC", true},
		{"itip pattern", "urn:epc:idpat:itip:4012345.012345.01.02.*", "https://id.gs1.org/8006/040123451234560102", true},
		{"upui pattern", "urn:epc:idpat:upui:4012345.012345.*", "https://id.gs1.org/01/04012345123456", true},

		// EPC URIs that carry no GS1 key, or are malformed.
		{"gid", "urn:epc:id:gid:95100000.12345.400", "", false},
		{"company-only pattern", "urn:epc:idpat:sgtin:0614141.*.*", "", false},
		{"sgtin wrong length", "urn:epc:id:sgtin:0614141.12345.400", "", false},
		{"sgtin bad serial char", "urn:epc:id:sgtin:0614141.112345.a~b", "", false},
		{"sgtin serial too long", "urn:epc:id:sgtin:0614141.112345.123456789012345678901", "", false},
		{"sgtin missing serial", "urn:epc:id:sgtin:0614141.112345", "", false},
		{"sscc letters", "urn:epc:id:sscc:0614141.12345678AB", "", false},

		// GS1 Digital Link URIs -> constrained canonical form.
		{"canonical already", "https://id.gs1.org/01/09506000134352/21/abc", "https://id.gs1.org/01/09506000134352/21/abc", true},
		{"custom domain", "https://id.gs1.de/414/4012345000115", "https://id.gs1.org/414/4012345000115", true},
		{"http and path prefix", "http://example.com/some/prefix/00/106141412345678908", "https://id.gs1.org/00/106141412345678908", true},
		{"query and fragment", "https://example.com/gtin/09780345418913/21/765tz?abc=211121#x", "https://id.gs1.org/01/09780345418913/21/765tz", true},
		{"short names", "https://example.com/gtin/9506000134352/lot/A1/ser/42", "https://id.gs1.org/01/09506000134352/21/42", true},
		{"GTIN-8 padded", "https://id.gs1.org/01/95012346", "https://id.gs1.org/01/00000095012346", true},
		{"GTIN-12 padded", "https://id.gs1.org/01/614141123452", "https://id.gs1.org/01/00614141123452", true},
		{"lot kept without serial", "https://id.gs1.org/01/09506000134352/10/LOT-1", "https://id.gs1.org/01/09506000134352/10/LOT-1", true},
		{"cpv dropped", "https://id.gs1.org/01/09506000134352/22/2A/10/L1/21/S1", "https://id.gs1.org/01/09506000134352/21/S1", true},
		{"trailing slash", "https://id.gs1.org/417/4000001000005/", "https://id.gs1.org/417/4000001000005", true},
		{"gln extension", "https://example.org/414/4012345000115/254/987", "https://id.gs1.org/414/4012345000115/254/987", true},
		{"cpid with serial", "https://example.org/8010/0614141123ABC/8011/123", "https://id.gs1.org/8010/0614141123ABC/8011/123", true},
		{"gdti", "https://id.example.com/253/4012345000054987", "https://id.gs1.org/253/4012345000054987", true},
		{"grai", "https://id.example.com/8003/040123450007718765", "https://id.gs1.org/8003/040123450007718765", true},
		{"giai", "https://example.org/8004/401234599999", "https://id.gs1.org/8004/401234599999", true},

		// Not Digital Link.
		{"plain web page", "https://example.com/ErrorCode-A827", "", false},
		{"numeric path", "http://www.opengis.net/def/crs/EPSG/0/27700", "", false},
		{"short GTIN", "https://id.gs1.org/01/12345", "", false},
		{"qualifier not allowed", "https://id.gs1.org/00/106141412345678908/21/1", "", false},
		{"dangling key", "https://id.gs1.org/01", "", false},
		{"geo URI", "geo:50.947573340894124,6.922120147375441", "", false},
		{"CBV business transaction", "urn:epcglobal:cbv:bt:0614141073467:1152", "", false},
		{"empty", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := DigitalLink(tt.in)
			if ok != tt.ok || got != tt.want {
				t.Fatalf("DigitalLink(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
			if ok {
				again, ok2 := DigitalLink(got)
				if !ok2 || again != got {
					t.Errorf("not idempotent: DigitalLink(%q) = %q, %v", got, again, ok2)
				}
			}
		})
	}
}

func TestCheckDigit(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0061414112345", "00614141123452"},         // GTIN-14 of the TDS examples
		{"8061414112345", "80614141123458"},         // indicator digit 8
		{"10614141234567890", "106141412345678908"}, // SSCC
		{"061414112345", "0614141123452"},           // GLN
		{"40123450000", "401234500005"},             // odd length
	}
	for _, tt := range tests {
		if got := withCheckDigit(tt.in); got != tt.want {
			t.Errorf("withCheckDigit(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
