// SPDX-License-Identifier: Apache-2.0

package epcis

import (
	"errors"
	"testing"
	"time"
)

func TestCanonTimestamp(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2020-03-04T11:00:30.000+01:00", "2020-03-04T10:00:30.000Z"},
		{"2020-03-04T11:00:30+01:00", "2020-03-04T10:00:30.000Z"},
		{"2005-04-03T20:33:31.116000-06:00", "2005-04-04T02:33:31.116Z"},
		{"2019-10-21T14:58:56.0+02:00", "2019-10-21T12:58:56.000Z"},
		{"2019-10-21T14:58:56.5+02:00", "2019-10-21T12:58:56.500Z"},
		{"2023-02-02T11:04:03.1415Z", "2023-02-02T11:04:03.142Z"},     // 4th digit 5: round up
		{"2023-02-02T11:04:03.1414Z", "2023-02-02T11:04:03.141Z"},     // 4th digit 4: cut
		{"2023-02-02T11:04:03.14149999Z", "2023-02-02T11:04:03.141Z"}, // only the 4th digit counts
		{"2023-02-02T11:04:03.1425Z", "2023-02-02T11:04:03.143Z"},     // half up, not half even
		{"2023-12-31T23:59:59.9995Z", "2024-01-01T00:00:00.000Z"},     // carry
		{"2023-02-02t11:04:03z", "2023-02-02T11:04:03.000Z"},
		{"2023-02-02 11:04:03Z", "2023-02-02T11:04:03.000Z"},
		{"2023-02-02T11:04Z", "2023-02-02T11:04:00.000Z"},
		{"2023-02-02T11:04:03+0530", "2023-02-02T05:34:03.000Z"},
		{"2023-02-02T01:04:03-05", "2023-02-02T06:04:03.000Z"},
		{"2023-02-02T11:04:03", "2023-02-02T11:04:03.000Z"}, // no zone: UTC
		{"2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000Z"},
	}
	for _, tt := range tests {
		got, err := canonTimestamp(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("canonTimestamp(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{
		"", "yesterday", "2023-02-02", "2023-13-01T00:00:00Z", "2023-02-29T00:00:00Z",
		"2023-02-02T24:00:00Z", "2023-02-02T11:60:00Z", "2023-02-02T11:04:60Z",
		"2023-02-02T11:04:03.Z", "2023-02-02T11:04:03+1:00", "2023-02-02T11:04:03+25:00",
		"2023-02-02T11:04:03Zjunk", "2023/02/02T11:04:03Z",
	} {
		if got, err := canonTimestamp(bad); err == nil {
			t.Errorf("canonTimestamp(%q) = %q, want an error", bad, got)
		}
	}
}

func TestCanonNumber(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1", "1"},
		{"1.0", "1"},
		{"452.0", "452"},
		{"0.3434", "0.3434"},
		{"0.34340", "0.3434"},
		{"26.0", "26"},
		{"+5", "5"},
		{"-0.0", "0"},
		{"-0.50", "-0.5"},
		{".5", "0.5"},
		{"12.", "12"},
		{"1e3", "1000"},
		{"1E-5", "1e-05"},
		{"0.0001", "0.0001"},
		{"0.00001234", "1.234e-05"},
		{"0123", "123"},
		// Values are IEEE-754 doubles, as in the reference implementation
		// (see SensorDataExamples: stringValue 111100001111000011110000).
		{"111100001111000011110000", "111100001111000003641344"},
		{"12345678901234567890", "12345678901234567168"},
		// Not decimal numbers: unchanged.
		{"KGM", "KGM"},
		{"2019-10-21", "2019-10-21"},
		{"+01:00", "+01:00"},
		{"1e", "1e"},
		{"0x10", "0x10"},
		{"inf", "inf"},
		{"NaN", "NaN"},
		{"1_000", "1_000"},
		{"1e400", "1e400"},
		{"f0f0f0", "f0f0f0"},
	}
	for _, tt := range tests {
		if got := canonNumber(tt.in); got != tt.want {
			t.Errorf("canonNumber(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCanonValue(t *testing.T) {
	tests := []struct {
		name string
		role role
		in   string
		want string
		err  error
	}{
		{"bizstep URN", roleBizStep, "urn:epcglobal:cbv:bizstep:shipping", "https://ref.gs1.org/cbv/BizStep-shipping", nil},
		{"bizstep bare", roleBizStep, "shipping", "https://ref.gs1.org/cbv/BizStep-shipping", nil},
		{"bizstep web URI", roleBizStep, "https://ref.gs1.org/cbv/BizStep-shipping", "https://ref.gs1.org/cbv/BizStep-shipping", nil},
		{"bizstep private URI", roleBizStep, "http://epcis.example.com/user/vocab/bizstep/exampling", "http://epcis.example.com/user/vocab/bizstep/exampling", nil},
		{"bizstep unknown bare word", roleBizStep, "exampling", "", ErrInvalidURI},
		{"disposition URN", roleDisp, "urn:epcglobal:cbv:disp:in_transit", "https://ref.gs1.org/cbv/Disp-in_transit", nil},
		{"disposition bare", roleDisp, "recalled", "https://ref.gs1.org/cbv/Disp-recalled", nil},
		{"btt bare", roleBTT, "po", "https://ref.gs1.org/cbv/BTT-po", nil},
		{"btt URN", roleBTT, "urn:epcglobal:cbv:btt:desadv", "https://ref.gs1.org/cbv/BTT-desadv", nil},
		{"sdt bare", roleSDT, "owning_party", "https://ref.gs1.org/cbv/SDT-owning_party", nil},
		{"measurement bare", roleMeasurement, "Temperature", "https://gs1.org/voc/Temperature", nil},
		{"measurement CURIE kept", roleMeasurement, "example:x", "example:x", nil},
		{"alert bare", roleAlert, "ALARM_CONDITION", "https://gs1.org/voc/ALARM_CONDITION", nil},
		{"component bare", roleComponent, "x", "https://ref.gs1.org/cbv/Comp-x", nil},
		{"bare word in free text kept", roleText, "shipping", "shipping", nil},
		{"EPC in free text", roleText, "urn:epc:id:sgln:4012345.00005.0", "https://id.gs1.org/414/4012345000054", nil},
		{"number in free text", roleText, "50.0", "50", nil},
		{"URI role with EPC", roleURI, "urn:epc:id:sscc:4012345.0000000333", "https://id.gs1.org/00/040123450000003338", nil},
		{"URI role, not a URI", roleURI, "not a uri", "", ErrInvalidURI},
		{"URI role, no scheme", roleURI, "4012345000054", "", ErrInvalidURI},
		{"URI role, malformed EPC", roleURI, "urn:epc:id:sgtin:4012345.01111.1", "", ErrInvalidURI},
		{"URI role, other EPC scheme", roleURI, "urn:epc:id:gid:95100000.12345.400", "urn:epc:id:gid:95100000.12345.400", nil},
		{"time", roleTime, "2020-01-01T01:00:00+01:00", "2020-01-01T00:00:00.000Z", nil},
		{"bad time", roleTime, "noon", "", ErrInvalidTimestamp},
		{"offset", roleOffset, "-06:00", "-06:00", nil},
		{"bad offset", roleOffset, "+1:00", "", ErrInvalidValue},
		{"offset out of range", roleOffset, "+15:00", "", ErrInvalidValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := canonValue(tt.role, tt.in)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("canonValue(%q) error = %v, want %v", tt.in, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("canonValue(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestIsURI(t *testing.T) {
	for _, s := range []string{"https://a.b/c", "urn:epc:id:gid:1.2.3", "geo:1,2", "example:x", "a+b-c.d:e"} {
		if !isURI(s) {
			t.Errorf("isURI(%q) = false", s)
		}
	}
	for _, s := range []string{"", "abc", ":abc", "1abc:x", "ab c:x", "https://a b", "x:", "a_b:c"} {
		if isURI(s) {
			t.Errorf("isURI(%q) = true", s)
		}
	}
}

// TestFormatUTCMillis checks the hand-written formatter against the time
// package over a spread of instants and zones.
func TestFormatUTCMillis(t *testing.T) {
	zones := []*time.Location{time.UTC, time.FixedZone("", 8*3600), time.FixedZone("", -(9*3600 + 30*60))}
	for i := int64(0); i < 2000; i++ {
		at := time.UnixMilli(-62135596800000 + i*157_784_630_013) // years 1 to 9999
		at = at.In(zones[i%3])
		want := at.UTC().Format("2006-01-02T15:04:05.000Z")
		if got := formatUTCMillis(at); got != want {
			t.Fatalf("formatUTCMillis(%v) = %s, want %s", at, got, want)
		}
	}
}
