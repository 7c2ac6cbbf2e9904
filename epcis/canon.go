// SPDX-License-Identifier: Apache-2.0

package epcis

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// role tells the canonicaliser what kind of value a field holds.
type role uint8

const (
	roleText        role = iota // anything: generic canonicalisation only
	roleTime                    // xsd:dateTime, normalised to UTC milliseconds
	roleOffset                  // eventTimeZoneOffset, ±hh:mm
	roleURI                     // an identifier that must be a URI
	roleBizStep                 // CBV business step (URI or bare word)
	roleDisp                    // CBV disposition
	roleBTT                     // CBV business transaction type
	roleSDT                     // CBV source/destination type
	roleMeasurement             // GS1 Web Vocabulary measurement type
	roleAlert                   // GS1 Web Vocabulary sensor alert type
	roleComponent               // CBV sensor component
)

// vocabulary is one CBV / GS1 Web Vocabulary whose terms JSON-LD documents
// may write as bare words.
type vocabulary struct {
	base  string // prefix that turns a term into its Web URI
	terms string // space-separated terms
}

// vocabularies lists the bare-word vocabularies of the EPCIS 2.0 JSON-LD
// context, per role.
var vocabularies = map[role]vocabulary{
	roleBizStep: {"https://ref.gs1.org/cbv/BizStep-", "accepting arriving assembling " +
		"collecting commissioning consigning creating_class_instance cycle_counting " +
		"decommissioning departing destroying disassembling dispensing encoding " +
		"entering_exiting holding inspecting installing killing loading other packing " +
		"picking receiving removing repackaging repairing replacing reserving " +
		"retail_selling sampling sensor_reporting shipping staging_outbound " +
		"stock_taking stocking storing transporting unloading unpacking void_shipping"},
	roleDisp: {"https://ref.gs1.org/cbv/Disp-", "active available completeness_inferred " +
		"completeness_verified conformant container_closed container_open damaged " +
		"destroyed dispensed disposed encoded expired in_progress in_transit inactive " +
		"mismatch_class mismatch_instance mismatch_quantity needs_replacement " +
		"no_pedigree_match non_conformant non_sellable_other partially_dispensed " +
		"recalled reserved retail_sold returned sellable_accessible " +
		"sellable_not_accessible stolen unavailable unknown"},
	roleBTT: {"https://ref.gs1.org/cbv/BTT-", "bol cert desadv inv pedigree po poc " +
		"prodorder recadv rma testprd testres upevt"},
	roleSDT: {"https://ref.gs1.org/cbv/SDT-", "location owning_party possessing_party"},
	roleMeasurement: {"https://gs1.org/voc/", "AbsoluteHumidity AbsorbedDose " +
		"AbsorbedDoseRate Acceleration Altitude AmountOfSubstance " +
		"AmountOfSubstancePerUnitVolume Angle AngularAcceleration AngularMomentum " +
		"AngularVelocity Area Capacitance Conductance Conductivity Count Density " +
		"Dimensionless DoseEquivalent DoseEquivalentRate DynamicViscosity " +
		"ElectricCharge ElectricCurrent ElectricCurrentDensity ElectricFieldStrength " +
		"Energy Exposure Force Frequency Illuminance Inductance Irradiance " +
		"KinematicViscosity Length LinearMomentum Luminance LuminousFlux " +
		"LuminousIntensity MagneticFlux MagneticFluxDensity MagneticVectorPotential " +
		"Mass MassConcentration MassFlowRate MassPerAreaTime MemoryCapacity " +
		"MolalityOfSolute MolarEnergy MolarMass MolarVolume Power Pressure RadiantFlux " +
		"RadiantIntensity Radioactivity RelativeHumidity Resistance Resistivity " +
		"SolidAngle SpecificVolume Speed SurfaceDensity SurfaceTension Temperature " +
		"Time Torque Voltage Volume VolumeFlowRate VolumeFraction VolumetricFlux " +
		"Wavenumber"},
	roleAlert: {"https://gs1.org/voc/", "ALARM_CONDITION ERROR_CONDITION"},
	roleComponent: {"https://ref.gs1.org/cbv/Comp-", "altitude axial_distance azimuth " +
		"easting elevation_angle height latitude longitude northing polar_angle " +
		"spherical_radius x y z"},
}

// vocabIndex holds, per role, the set of bare words of its vocabulary
// (built once from vocabularies; read-only afterwards).
var vocabIndex = func() [roleComponent + 1]map[string]string {
	var idx [roleComponent + 1]map[string]string
	for r, v := range vocabularies {
		m := map[string]string{}
		for _, t := range strings.Fields(v.terms) {
			m[t] = v.base + t
		}
		idx[r] = m
	}
	return idx
}()

// expandWord returns the Web URI of a bare word of role r's vocabulary.
func expandWord(r role, word string) (string, bool) {
	if int(r) >= len(vocabIndex) || vocabIndex[r] == nil {
		return "", false
	}
	u, ok := vocabIndex[r][word]
	return u, ok
}

// cbvURNs maps the CBV 1.x vocabulary URN prefixes to the CBV 2.0 Web URI
// prefixes.
var cbvURNs = [...][2]string{
	{"urn:epcglobal:cbv:bizstep:", "https://ref.gs1.org/cbv/BizStep-"},
	{"urn:epcglobal:cbv:disp:", "https://ref.gs1.org/cbv/Disp-"},
	{"urn:epcglobal:cbv:btt:", "https://ref.gs1.org/cbv/BTT-"},
	{"urn:epcglobal:cbv:sdt:", "https://ref.gs1.org/cbv/SDT-"},
	{"urn:epcglobal:cbv:er:", "https://ref.gs1.org/cbv/ER-"},
}

// canonValue canonicalises one value (already stripped of surrounding white
// space, non-empty) for the given role.
func canonValue(r role, v string) (string, error) {
	switch r {
	case roleTime:
		t, err := canonTimestamp(v)
		if err != nil {
			return "", fmt.Errorf("%w: %w", ErrInvalidTimestamp, err)
		}
		return t, nil
	case roleOffset:
		if !validOffset(v) {
			return "", fmt.Errorf("%w: not a time zone offset of the form ±hh:mm", ErrInvalidValue)
		}
		return v, nil
	}
	for _, m := range cbvURNs {
		if strings.HasPrefix(v, m[0]) {
			v = m[1] + v[len(m[0]):]
			break
		}
	}
	if u, ok := expandWord(r, v); ok {
		v = u
	}
	v = canonNumber(v)
	if dl, ok := DigitalLink(v); ok {
		return dl, nil
	}
	if r != roleText {
		if !isURI(v) {
			return "", fmt.Errorf("%w: not an absolute URI", ErrInvalidURI)
		}
		if isGS1EPCScheme(v) {
			return "", fmt.Errorf("%w: malformed EPC URI (EPC Tag Data Standard syntax)", ErrInvalidURI)
		}
	}
	return v, nil
}

// isURI reports whether s looks like an absolute URI: a scheme, a colon,
// and no white space or control characters.
func isURI(s string) bool {
	colon := strings.IndexByte(s, ':')
	if colon <= 0 || colon == len(s)-1 {
		return false
	}
	for i := 0; i < colon; i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	for _, c := range s {
		if c <= ' ' || c == 0x7f || c == '\u00a0' || c == '\u2028' || c == '\u2029' {
			return false
		}
	}
	return true
}

func validOffset(s string) bool {
	if len(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' {
		return false
	}
	if !allDigits(s[1:3]) || !allDigits(s[4:]) {
		return false
	}
	h, m := atoi2(s[1:3]), atoi2(s[4:])
	return m < 60 && (h < 14 || (h == 14 && m == 0))
}

func atoi2(s string) int { return int(s[0]-'0')*10 + int(s[1]-'0') }

// ---------------------------------------------------------------------------
// Numbers.

// isDecimal reports whether s is a decimal number literal:
// [+-] (digits [. digits] | . digits) [(e|E) [+-] digits].
func isDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	intDigits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		intDigits++
	}
	fracDigits := 0
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			fracDigits++
		}
	}
	if intDigits+fracDigits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		expDigits := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			expDigits++
		}
		if expDigits == 0 {
			return false
		}
	}
	return i == len(s)
}

// canonNumber rewrites a decimal number in its canonical form: the value
// as an IEEE-754 double, written without trailing zeros, as an integer
// when it is integral, otherwise with the shortest digits that round-trip
// (scientific notation below 1e-4). Other strings are returned unchanged.
func canonNumber(s string) string {
	if !isDecimal(s) {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return s
	}
	if f == 0 {
		return "0"
	}
	if f == math.Trunc(f) {
		return strconv.FormatFloat(f, 'f', 0, 64)
	}
	e := strconv.FormatFloat(f, 'e', -1, 64)
	if exp, err := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:]); err == nil && exp < -4 {
		return e
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// ---------------------------------------------------------------------------
// Timestamps.

// canonTimestamp parses an ISO 8601 / xsd:dateTime value and writes it in
// UTC with millisecond precision: YYYY-MM-DDThh:mm:ss.sssZ. Fractions
// beyond milliseconds round half up on the fourth fractional digit. A
// value without a time zone is taken as UTC.
func canonTimestamp(s string) (string, error) {
	t, err := parseTimestamp(s)
	if err != nil {
		return "", err
	}
	return formatUTCMillis(t), nil
}

// formatUTCMillis writes t in UTC as YYYY-MM-DDThh:mm:ss.sssZ (years 0000
// to 9999, as parseTimestamp reads them), like t.UTC().Format with that
// layout, without its layout interpretation.
func formatUTCMillis(t time.Time) string {
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, sec := t.Clock()
	ms := t.Nanosecond() / 1e6
	if y < 0 || y > 9999 {
		return t.Format("2006-01-02T15:04:05.000Z")
	}
	var b [24]byte
	put := func(at, v, width int) {
		for i := at + width - 1; i >= at; i-- {
			b[i] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, y, 4)
	b[4] = '-'
	put(5, int(mo), 2)
	b[7] = '-'
	put(8, d, 2)
	b[10] = 'T'
	put(11, h, 2)
	b[13] = ':'
	put(14, mi, 2)
	b[16] = ':'
	put(17, sec, 2)
	b[19] = '.'
	put(20, ms, 3)
	b[23] = 'Z'
	return string(b[:])
}

var errTimestampSyntax = errors.New("not an ISO 8601 date-time (YYYY-MM-DDThh:mm:ss[.fff][Z|±hh:mm])")

func parseTimestamp(s string) (time.Time, error) {
	var zero time.Time
	// Date: YYYY-MM-DD
	if len(s) < 16 || !allDigits(s[0:4]) || s[4] != '-' || !allDigits(s[5:7]) || s[7] != '-' || !allDigits(s[8:10]) {
		return zero, errTimestampSyntax
	}
	if c := s[10]; c != 'T' && c != 't' && c != ' ' {
		return zero, errTimestampSyntax
	}
	year := int(s[0]-'0')*1000 + int(s[1]-'0')*100 + atoi2(s[2:4])
	month, day := atoi2(s[5:7]), atoi2(s[8:10])
	// Time: hh:mm[:ss[.fraction]]
	rest := s[11:]
	if len(rest) < 5 || !allDigits(rest[0:2]) || rest[2] != ':' || !allDigits(rest[3:5]) {
		return zero, errTimestampSyntax
	}
	hour, minute, sec := atoi2(rest[0:2]), atoi2(rest[3:5]), 0
	rest = rest[5:]
	ms := 0
	if len(rest) >= 3 && rest[0] == ':' && allDigits(rest[1:3]) {
		sec = atoi2(rest[1:3])
		rest = rest[3:]
		if len(rest) > 0 && (rest[0] == '.' || rest[0] == ',') {
			j := 1
			for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
				j++
			}
			frac := rest[1:j]
			if frac == "" {
				return zero, errTimestampSyntax
			}
			digits := (frac + "000")[:3]
			ms = int(digits[0]-'0')*100 + int(digits[1]-'0')*10 + int(digits[2]-'0')
			if len(frac) > 3 && frac[3] >= '5' {
				ms++
			}
			rest = rest[j:]
		}
	}
	// Zone: Z | ±hh[:mm] | ±hhmm | none
	offset := 0
	switch {
	case rest == "":
	case rest == "Z" || rest == "z":
	case rest[0] == '+' || rest[0] == '-':
		z := rest[1:]
		var zh, zm int
		switch {
		case len(z) == 2 && allDigits(z):
			zh = atoi2(z)
		case len(z) == 4 && allDigits(z):
			zh, zm = atoi2(z[:2]), atoi2(z[2:])
		case len(z) == 5 && z[2] == ':' && allDigits(z[:2]) && allDigits(z[3:]):
			zh, zm = atoi2(z[:2]), atoi2(z[3:])
		default:
			return zero, errTimestampSyntax
		}
		if zh > 23 || zm > 59 {
			return zero, errors.New("time zone offset out of range")
		}
		offset = zh*3600 + zm*60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return zero, errTimestampSyntax
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) {
		return zero, errors.New("date out of range")
	}
	if hour > 23 || minute > 59 || sec > 59 {
		return zero, errors.New("time of day out of range")
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.FixedZone("", offset))
	return t.Add(time.Duration(ms) * time.Millisecond), nil
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
