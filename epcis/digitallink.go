// SPDX-License-Identifier: Apache-2.0

package epcis

import (
	"strings"
)

// canonicalDLHost is the domain of constrained canonical GS1 Digital Link URIs.
const canonicalDLHost = "https://id.gs1.org/"

// DigitalLink converts a GS1 identifier URI into the constrained canonical
// GS1 Digital Link URI used by the event hash: an EPC URI
// (urn:epc:id:...), EPC class URI (urn:epc:class:lgtin:...), EPC pattern
// URI for a whole class (urn:epc:idpat:sgtin:...:*), or a GS1 Digital Link
// URI on any domain. The result is on https://id.gs1.org, has no query
// string or fragment, uses numeric application identifiers, a 14-digit
// GTIN, and only the most fine-grained key qualifiers (no CPV; no lot when
// a serial is present).
//
// It returns ok=false when uri is not such an identifier (or is malformed);
// the event hash then uses the value unchanged.
func DigitalLink(uri string) (dl string, ok bool) {
	switch {
	case strings.HasPrefix(uri, "urn:epc:"):
		return epcURNToDL(uri)
	case strings.HasPrefix(uri, "https://"), strings.HasPrefix(uri, "http://"):
		return canonicalDL(uri)
	}
	return "", false
}

// isGS1EPCScheme reports whether uri is an EPC URN of a scheme that encodes
// a GS1 key, i.e. one that DigitalLink must be able to convert.
func isGS1EPCScheme(uri string) bool {
	var rest string
	switch {
	case strings.HasPrefix(uri, "urn:epc:id:"):
		rest = uri[len("urn:epc:id:"):]
	case strings.HasPrefix(uri, "urn:epc:class:"):
		rest = uri[len("urn:epc:class:"):]
		scheme, _, _ := strings.Cut(rest, ":")
		return scheme == "lgtin"
	default:
		return false
	}
	scheme, _, _ := strings.Cut(rest, ":")
	return epcIDFields[scheme] > 0
}

// ---------------------------------------------------------------------------
// EPC URIs (GS1 EPC Tag Data Standard) to GS1 Digital Link.

func epcURNToDL(uri string) (string, bool) {
	var kind, rest string
	switch {
	case strings.HasPrefix(uri, "urn:epc:id:"):
		kind, rest = "id", uri[len("urn:epc:id:"):]
	case strings.HasPrefix(uri, "urn:epc:class:"):
		kind, rest = "class", uri[len("urn:epc:class:"):]
	case strings.HasPrefix(uri, "urn:epc:idpat:"):
		kind, rest = "idpat", uri[len("urn:epc:idpat:"):]
	default:
		return "", false
	}
	scheme, body, found := strings.Cut(rest, ":")
	if !found {
		return "", false
	}
	switch kind {
	case "id":
		return epcIDToDL(scheme, body)
	case "class":
		p := strings.SplitN(body, ".", 3)
		if scheme == "lgtin" && len(p) == 3 {
			gtin, ok := gtinFrom(p[0], p[1])
			if !ok || !validEPCComponent(p[2], 1, 20) {
				return "", false
			}
			return canonicalDLHost + "01/" + gtin + "/10/" + dlEscape(p[2]), true
		}
		return "", false
	default:
		return epcPatternToDL(scheme, strings.Split(body, "."))
	}
}

// epcFields splits the body of an EPC URI into n (at most 5) dot-separated
// fields; the last field keeps any further dots (serial numbers may contain
// them). ok is false when there are fewer fields.
func epcFields(body string, n int) (p [5]string, ok bool) {
	for i := 0; i < n-1; i++ {
		j := strings.IndexByte(body, '.')
		if j < 0 {
			return p, false
		}
		p[i] = body[:j]
		body = body[j+1:]
	}
	p[n-1] = body
	return p, true
}

// epcIDFields gives, per EPC identifier scheme that carries a GS1 key, the
// number of dot-separated fields of its URI body.
var epcIDFields = map[string]int{
	"sgtin": 3, "sscc": 2, "sgln": 3, "grai": 3, "giai": 2, "gsrn": 2,
	"gsrnp": 2, "gdti": 3, "cpi": 3, "sgcn": 3, "ginc": 2, "gsin": 2,
	"itip": 5, "upui": 3, "pgln": 2,
}

func epcIDToDL(scheme, body string) (string, bool) {
	fields := epcIDFields[scheme]
	if fields == 0 {
		return "", false
	}
	p, ok := epcFields(body, fields)
	if !ok {
		return "", false
	}
	switch scheme {
	case "sgtin":
		if !validEPCComponent(p[2], 1, 20) {
			return "", false
		}
		gtin, ok := gtinFrom(p[0], p[1])
		if !ok {
			return "", false
		}
		return canonicalDLHost + "01/" + gtin + "/21/" + dlEscape(p[2]), true
	case "sscc":
		if !companyPrefix(p[0]) || !allDigits(p[1]) || len(p[0])+len(p[1]) != 17 {
			return "", false
		}
		raw := p[1][:1] + p[0] + p[1][1:]
		return canonicalDLHost + "00/" + withCheckDigit(raw), true
	case "sgln":
		if !validEPCComponent(p[2], 1, 20) {
			return "", false
		}
		gln, ok := keyFrom(p[0], p[1], 12)
		if !ok {
			return "", false
		}
		if p[2] == "0" {
			return canonicalDLHost + "414/" + gln, true
		}
		return canonicalDLHost + "414/" + gln + "/254/" + dlEscape(p[2]), true
	case "grai":
		if !validEPCComponent(p[2], 1, 16) {
			return "", false
		}
		if !companyPrefix(p[0]) || !allDigits(p[1]) || len(p[0])+len(p[1]) != 12 {
			return "", false
		}
		return canonicalDLHost + "8003/" + withCheckDigit("0"+p[0]+p[1]) + dlEscape(p[2]), true
	case "giai":
		if !companyPrefix(p[0]) || !validEPCComponent(p[1], 1, 30-len(p[0])) {
			return "", false
		}
		return canonicalDLHost + "8004/" + p[0] + dlEscape(p[1]), true
	case "gsrn", "gsrnp":
		if !companyPrefix(p[0]) || !allDigits(p[1]) || len(p[0])+len(p[1]) != 17 {
			return "", false
		}
		ai := "8018/"
		if scheme == "gsrnp" {
			ai = "8017/"
		}
		return canonicalDLHost + ai + withCheckDigit(p[0]+p[1]), true
	case "gdti":
		if !validEPCComponent(p[2], 1, 17) {
			return "", false
		}
		key, ok := keyFrom(p[0], p[1], 12)
		if !ok {
			return "", false
		}
		return canonicalDLHost + "253/" + key + dlEscape(p[2]), true
	case "cpi":
		if !companyPrefix(p[0]) || !validCPIRef(p[1], 30-len(p[0])) {
			return "", false
		}
		if !allDigits(p[2]) || len(p[2]) > 12 {
			return "", false
		}
		return canonicalDLHost + "8010/" + p[0] + dlEscape(p[1]) + "/8011/" + p[2], true
	case "sgcn":
		if !allDigits(p[2]) || len(p[2]) > 12 {
			return "", false
		}
		key, ok := keyFrom(p[0], p[1], 12)
		if !ok {
			return "", false
		}
		return canonicalDLHost + "255/" + key + p[2], true
	case "ginc":
		if !companyPrefix(p[0]) || !validEPCComponent(p[1], 1, 30-len(p[0])) {
			return "", false
		}
		return canonicalDLHost + "401/" + p[0] + dlEscape(p[1]), true
	case "gsin":
		if !companyPrefix(p[0]) || !allDigits(p[1]) || len(p[0])+len(p[1]) != 16 {
			return "", false
		}
		return canonicalDLHost + "402/" + withCheckDigit(p[0]+p[1]), true
	case "itip":
		if !twoDigits(p[2]) || !twoDigits(p[3]) || !validEPCComponent(p[4], 1, 20) {
			return "", false
		}
		gtin, ok := gtinFrom(p[0], p[1])
		if !ok {
			return "", false
		}
		return canonicalDLHost + "8006/" + gtin + p[2] + p[3] + "/21/" + dlEscape(p[4]), true
	case "upui":
		if !validEPCComponent(p[2], 1, 28) {
			return "", false
		}
		gtin, ok := gtinFrom(p[0], p[1])
		if !ok {
			return "", false
		}
		return canonicalDLHost + "01/" + gtin + "/235/" + dlEscape(p[2]), true
	case "pgln":
		gln, ok := keyFrom(p[0], p[1], 12)
		if !ok {
			return "", false
		}
		return canonicalDLHost + "417/" + gln, true
	}
	return "", false
}

// epcPatternToDL converts class-level EPC pattern URIs (all serials of one
// GTIN, GRAI asset type, ...) to the Digital Link of the class.
func epcPatternToDL(scheme string, p []string) (string, bool) {
	if len(p) == 0 || p[len(p)-1] != "*" {
		return "", false
	}
	switch scheme {
	case "sgtin", "upui":
		if len(p) != 3 {
			return "", false
		}
		gtin, ok := gtinFrom(p[0], p[1])
		if !ok {
			return "", false
		}
		return canonicalDLHost + "01/" + gtin, true
	case "grai":
		if len(p) != 3 || !companyPrefix(p[0]) || !allDigits(p[1]) || len(p[0])+len(p[1]) != 12 {
			return "", false
		}
		return canonicalDLHost + "8003/" + withCheckDigit("0"+p[0]+p[1]), true
	case "gdti", "sgcn":
		if len(p) != 3 {
			return "", false
		}
		key, ok := keyFrom(p[0], p[1], 12)
		if !ok {
			return "", false
		}
		ai := "253/"
		if scheme == "sgcn" {
			ai = "255/"
		}
		return canonicalDLHost + ai + key, true
	case "cpi":
		if len(p) != 3 || !companyPrefix(p[0]) || !validCPIRef(p[1], 30-len(p[0])) {
			return "", false
		}
		return canonicalDLHost + "8010/" + p[0] + dlEscape(p[1]), true
	case "itip":
		if len(p) != 5 || !twoDigits(p[2]) || !twoDigits(p[3]) {
			return "", false
		}
		gtin, ok := gtinFrom(p[0], p[1])
		if !ok {
			return "", false
		}
		return canonicalDLHost + "8006/" + gtin + p[2] + p[3], true
	}
	return "", false
}

// gtinFrom builds a GTIN-14 from an EPC company prefix and the indicator
// digit + item reference field.
func gtinFrom(cp, indItem string) (string, bool) {
	if !companyPrefix(cp) || !allDigits(indItem) || len(cp)+len(indItem) != 13 {
		return "", false
	}
	return withCheckDigit(indItem[:1] + cp + indItem[1:]), true
}

// keyFrom builds a 13-digit key (GLN, GDTI/GCN key part) from a company
// prefix and a reference whose lengths add up to n digits.
func keyFrom(cp, ref string, n int) (string, bool) {
	if !companyPrefix(cp) || (ref != "" && !allDigits(ref)) || len(cp)+len(ref) != n {
		return "", false
	}
	return withCheckDigit(cp + ref), true
}

func companyPrefix(s string) bool { return len(s) >= 6 && len(s) <= 12 && allDigits(s) }

func twoDigits(s string) bool { return len(s) == 2 && allDigits(s) }

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// withCheckDigit appends the GS1 mod-10 check digit to digits.
func withCheckDigit(digits string) string {
	sum := 0
	weight := 3
	for i := len(digits) - 1; i >= 0; i-- {
		sum += int(digits[i]-'0') * weight
		weight = 4 - weight
	}
	return digits + string(rune('0'+(10-sum%10)%10))
}

// ai82 reports whether c belongs to GS1 AI encodable character set 82.
func ai82(c byte) bool {
	switch {
	case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte(`!"%&'()*+,-./:;<=>?_`, c) >= 0
}

func hexDigit(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// validEPCComponent checks an EPC URI serial-like component: characters of
// set 82 that are legal in a URN as-is, or %-escapes of set 82 characters;
// between min and max characters after unescaping.
func validEPCComponent(s string, min, max int) bool {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' {
			if i+2 >= len(s) || !hexDigit(s[i+1]) || !hexDigit(s[i+2]) {
				return false
			}
			if !ai82(unhex(s[i+1])<<4 | unhex(s[i+2])) {
				return false
			}
			i += 2
		} else if !ai82(c) || strings.IndexByte(`"%&/<>?`, c) >= 0 {
			return false
		}
		n++
	}
	return n >= min && n <= max
}

// validCPIRef checks the component/part reference of a CPI: digits,
// upper-case letters, '-', and the escapes %23 ('#') and %2F ('/').
func validCPIRef(s string, max int) bool {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) {
				return false
			}
			e := strings.ToUpper(s[i+1 : i+3])
			if e != "23" && e != "2F" && e != "2D" {
				return false
			}
			i += 2
		case c >= '0' && c <= '9', c >= 'A' && c <= 'Z', c == '-':
		default:
			return false
		}
		n++
	}
	return n >= 1 && n <= max
}

// dlEscape percent-encodes the characters that may stand unescaped in an
// EPC URI component but must be escaped in a Digital Link path segment.
// Existing %-escapes are kept as they are.
func dlEscape(s string) string {
	if !strings.ContainsAny(s, "!()*+,:") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '!', '(', ')', '*', '+', ',', ':':
			b.WriteByte('%')
			b.WriteByte("0123456789ABCDEF"[c>>4])
			b.WriteByte("0123456789ABCDEF"[c&15])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// ---------------------------------------------------------------------------
// GS1 Digital Link URIs.

// dlShortNames maps the Digital Link short names to application identifiers.
var dlShortNames = map[string]string{
	"gtin": "01", "itip": "8006", "cpid": "8010", "gln": "414", "party": "417",
	"gsrnp": "8017", "gsrn": "8018", "gcn": "255", "sscc": "00", "gdti": "253",
	"ginc": "401", "gsin": "402", "grai": "8003", "giai": "8004",
	"cpv": "22", "lot": "10", "ser": "21",
}

// dlQualifiers lists, per primary key, the key qualifiers Digital Link
// allows after it.
var dlQualifiers = map[string][]string{
	"01":   {"22", "10", "21", "235"},
	"8006": {"22", "10", "21"},
	"8010": {"8011"},
	"414":  {"254"},
	"00":   nil, "253": nil, "255": nil, "401": nil, "402": nil, "417": nil,
	"8003": nil, "8004": nil, "8017": nil, "8018": nil,
}

func dlAI(seg string) string {
	if ai, ok := dlShortNames[seg]; ok {
		return ai
	}
	return seg
}

// dlPathSegments returns the path segments of an http(s) URI, without its
// query string, fragment or a trailing empty segment.
func dlPathSegments(uri string) ([]string, bool) {
	if !strings.HasPrefix(uri, "https://") && !strings.HasPrefix(uri, "http://") {
		return nil, false
	}
	rest := uri
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	rest = rest[strings.Index(rest, "//")+2:]
	slash := strings.IndexByte(rest, '/')
	if slash < 0 {
		return nil, false
	}
	segs := strings.Split(rest[slash+1:], "/")
	if n := len(segs); n > 0 && segs[n-1] == "" {
		segs = segs[:n-1]
	}
	return segs, true
}

// looksLikeDigitalLink reports whether an http(s) URI has the shape of a
// GS1 Digital Link: a path segment naming a primary key (01, gtin, 00, 414,
// ...) followed by a value that starts with four digits, as every primary
// key's value does. Such a URI that canonicalDL refuses (a wrong check
// digit, a bad length) is a malformed identifier, not an opaque one.
func looksLikeDigitalLink(uri string) bool {
	segs, _ := dlPathSegments(uri)
	for i := 0; i+1 < len(segs); i++ {
		if _, primary := dlQualifiers[dlAI(segs[i])]; primary && len(segs[i+1]) >= 4 && allDigits(segs[i+1][:4]) {
			return true
		}
	}
	return false
}

// canonicalDL rewrites a GS1 Digital Link URI on any domain to its
// constrained canonical form.
func canonicalDL(uri string) (string, bool) {
	segs, ok := dlPathSegments(uri)
	if !ok {
		return "", false
	}
	for i := 0; i+1 < len(segs); i++ {
		if _, primary := dlQualifiers[dlAI(segs[i])]; !primary {
			continue
		}
		if out, ok := dlFromSegments(segs[i:]); ok {
			return out, true
		}
	}
	return "", false
}

// dlFromSegments parses "key/value[/qualifier/value...]" path segments.
func dlFromSegments(segs []string) (string, bool) {
	if len(segs)%2 != 0 {
		return "", false
	}
	key := dlAI(segs[0])
	val := segs[1]
	allowed := dlQualifiers[key]
	quals := map[string]string{}
	for i := 2; i < len(segs); i += 2 {
		q := dlAI(segs[i])
		if !contains(allowed, q) {
			return "", false
		}
		if _, dup := quals[q]; dup {
			return "", false
		}
		quals[q] = segs[i+1]
	}
	// Most fine-grained identification only: no CPV, and no lot when a
	// serial (or a TPX) identifies the instance.
	delete(quals, "22")
	if _, ok := quals["21"]; ok {
		delete(quals, "10")
	}
	if _, ok := quals["235"]; ok {
		if len(quals) > 1 {
			return "", false
		}
	}
	if !validDLKey(key, &val) {
		return "", false
	}
	out := canonicalDLHost + key + "/" + val
	for _, q := range allowed {
		v, ok := quals[q]
		if !ok {
			continue
		}
		if !validDLQualifier(q, v) {
			return "", false
		}
		out += "/" + q + "/" + v
	}
	return out, true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// validDLKey checks (and for GTINs, pads to 14 digits) a primary key value.
func validDLKey(ai string, val *string) bool {
	v := *val
	if len(v) < 4 || !allDigits(v[:4]) {
		return false
	}
	switch ai {
	case "00":
		return len(v) == 18 && allDigits(v) && checkDigitOK(v)
	case "01":
		if !allDigits(v) {
			return false
		}
		switch len(v) {
		case 8, 12, 13:
			v = strings.Repeat("0", 14-len(v)) + v
		case 14:
		default:
			return false
		}
		*val = v
		return checkDigitOK(v)
	case "253":
		return len(v) >= 13 && allDigits(v[:13]) && checkDigitOK(v[:13]) && validDLText(v[13:], 0, 17)
	case "255":
		return len(v) >= 13 && len(v) <= 25 && allDigits(v) && checkDigitOK(v[:13])
	case "401", "8004":
		return validDLText(v, 1, 30)
	case "402", "414", "417", "8017", "8018":
		n := map[string]int{"402": 17, "414": 13, "417": 13, "8017": 18, "8018": 18}[ai]
		return len(v) == n && allDigits(v) && checkDigitOK(v)
	case "8003":
		return len(v) >= 14 && allDigits(v[:14]) && checkDigitOK(v[:14]) && validDLText(v[14:], 0, 16)
	case "8006":
		return len(v) == 18 && allDigits(v) && checkDigitOK(v[:14])
	case "8010":
		return validDLCPID(v)
	}
	return false
}

// checkDigitOK reports whether the last of digits is the GS1 check digit
// of the others: a key with a wrong check digit names nothing, and two
// wrong ones must not become two histories of one product.
func checkDigitOK(digits string) bool {
	return len(digits) > 1 && withCheckDigit(digits[:len(digits)-1]) == digits
}

func validDLQualifier(ai, v string) bool {
	switch ai {
	case "10", "21", "254":
		return validDLText(v, 1, 20)
	case "235":
		return validDLText(v, 1, 28)
	case "8011":
		return len(v) <= 12 && allDigits(v)
	}
	return false
}

// validDLText checks a set-82 value as it appears in a Digital Link path
// segment (unreserved and sub-delimiter characters, or %-escapes); its
// length is counted after unescaping.
func validDLText(s string, min, max int) bool {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' {
			if i+2 >= len(s) || !hexDigit(s[i+1]) || !hexDigit(s[i+2]) {
				return false
			}
			if !ai82(unhex(s[i+1])<<4 | unhex(s[i+2])) {
				return false
			}
			i += 2
		} else if !ai82(c) || strings.IndexByte(`"%&/<>?#`, c) >= 0 {
			return false
		}
		n++
	}
	return n >= min && n <= max
}

// validDLCPID checks a component/part identifier (set 39: digits,
// upper-case letters, '#', '-', '/'; '#' and '/' escaped in a URI).
func validDLCPID(s string) bool {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) {
				return false
			}
			e := strings.ToUpper(s[i+1 : i+3])
			if e != "23" && e != "2F" && e != "2D" {
				return false
			}
			i += 2
		case c >= '0' && c <= '9', c >= 'A' && c <= 'Z', c == '-':
		default:
			return false
		}
		n++
	}
	return n >= 1 && n <= 30
}
