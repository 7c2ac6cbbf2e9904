// SPDX-License-Identifier: Apache-2.0

package epcis

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Scheme names an identifier scheme the ledger knows.
type Scheme string

// The identifier schemes. National codes are written as URNs under
// "urn:cn:"; each has a structure check. Any other URI is accepted as an
// opaque identifier and never rewritten.
const (
	// SchemeGS1 is a GS1 key as an EPC URI (urn:epc:id:sgtin:...,
	// urn:epc:class:lgtin:..., urn:epc:idpat:sgtin:...:*) or a GS1 Digital
	// Link URI on any domain. Its canonical form is the constrained
	// canonical Digital Link URI that the event hash uses, so the URN and
	// Digital Link spellings of one key share one history.
	SchemeGS1 Scheme = "gs1"
	// SchemeEarTag is a livestock ear tag (畜禽标识): urn:cn:eartag: and 15
	// digits — species (1 pig, 2 cattle, 3 sheep), the 6-digit county
	// division code, an 8-digit serial.
	SchemeEarTag Scheme = "eartag"
	// SchemeVetDrug is a veterinary drug traceability QR code (兽药追溯码):
	// urn:cn:vetdrug: and 24 digits.
	SchemeVetDrug Scheme = "vetdrug"
	// SchemePesticide is a pesticide label QR unit code (农药标签二维码):
	// urn:cn:pesticide: and 32 digits, the first (registration category)
	// not 0.
	SchemePesticide Scheme = "pesticide"
	// SchemeDrug is a drug traceability code (药品追溯码): urn:cn:drug: and
	// 20 digits.
	SchemeDrug Scheme = "drug"
	// SchemeSpecialEquipment is a special-equipment code (特种设备代码):
	// urn:cn:special-equipment: and 17 to 20 digits — a 4-digit equipment
	// category (1000 boilers ... 9000 passenger ropeways), the 6-digit
	// division code of the manufacturer, the 4-digit year of manufacture
	// (1950-2099), a 3- to 6-digit serial.
	SchemeSpecialEquipment Scheme = "special-equipment"
	// SchemeDetonator is an industrial detonator code (工业雷管编码, GA 441):
	// urn:cn:detonator: and 13 characters — factory (2 digits), last digit
	// of the year, month (01-12), day (01-31), a feature character (digit
	// or upper-case letter), box number (3 digits), position in the box (2
	// digits).
	SchemeDetonator Scheme = "detonator"
	// SchemeOpaque is any other URI, accepted as it is.
	SchemeOpaque Scheme = "opaque"
)

// MaxIdentifierBytes is the longest identifier accepted.
const MaxIdentifierBytes = 512

// Identifier is a checked identifier.
type Identifier struct {
	// Raw is the identifier as written.
	Raw string
	// Canonical is the form the ledger keys histories by: the canonical
	// GS1 Digital Link URI for GS1 keys, Raw for everything else.
	Canonical string
	Scheme    Scheme
}

// nationalSchemes maps the URN prefix of each national code to its scheme
// and check.
var nationalSchemes = []struct {
	prefix string
	scheme Scheme
	check  func(code string) error
}{
	{"urn:cn:eartag:", SchemeEarTag, checkEarTag},
	{"urn:cn:vetdrug:", SchemeVetDrug, digitsCheck(24)},
	{"urn:cn:pesticide:", SchemePesticide, checkPesticide},
	{"urn:cn:drug:", SchemeDrug, digitsCheck(20)},
	{"urn:cn:special-equipment:", SchemeSpecialEquipment, checkSpecialEquipment},
	{"urn:cn:detonator:", SchemeDetonator, checkDetonator},
}

// ParseIdentifier checks an identifier and returns its canonical form. It
// fails (wrapping ErrInvalidURI) for a value that is not a URI, is longer
// than MaxIdentifierBytes, is a malformed EPC URI of a GS1 key, or is a
// national code that fails its structure check.
func ParseIdentifier(s string) (Identifier, error) {
	id := Identifier{Raw: s, Canonical: s, Scheme: SchemeOpaque}
	if len(s) > MaxIdentifierBytes {
		return id, fmt.Errorf("%w: %d bytes, the limit is %d", ErrInvalidURI, len(s), MaxIdentifierBytes)
	}
	if !utf8.ValidString(s) || !isURI(s) {
		return id, fmt.Errorf("%w: not an absolute URI (scheme:rest, no white space)", ErrInvalidURI)
	}
	if strings.HasPrefix(s, "urn:cn:") {
		for _, n := range nationalSchemes {
			if strings.HasPrefix(s, n.prefix) {
				id.Scheme = n.scheme
				if err := n.check(s[len(n.prefix):]); err != nil {
					return id, fmt.Errorf("%w: %s code: %v", ErrInvalidURI, n.scheme, err)
				}
				return id, nil
			}
		}
		return id, nil
	}
	if dl, ok := DigitalLink(s); ok {
		id.Canonical, id.Scheme = dl, SchemeGS1
		return id, nil
	}
	if isGS1EPCScheme(s) {
		return id, fmt.Errorf("%w: malformed EPC URI (EPC Tag Data Standard syntax)", ErrInvalidURI)
	}
	if looksLikeDigitalLink(s) {
		return id, fmt.Errorf("%w: malformed GS1 Digital Link (a key's length, characters or check digit is wrong)", ErrInvalidURI)
	}
	return id, nil
}

// CanonicalIdentifier returns the canonical form of a valid identifier
// (see ParseIdentifier).
func CanonicalIdentifier(s string) (string, error) {
	id, err := ParseIdentifier(s)
	return id.Canonical, err
}

func digitsCheck(n int) func(string) error {
	return func(code string) error {
		if len(code) != n || !allDigits(code) {
			return fmt.Errorf("want %d digits, got %q", n, truncate(code, 40))
		}
		return nil
	}
}

// provinces are the first two digits of the administrative division codes
// (GB/T 2260).
var provinces = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true,
	"21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "81": true, "82": true,
}

func checkDivision(code string) error {
	if !provinces[code[:2]] {
		return fmt.Errorf("division code %s: %s is not a province code", code, code[:2])
	}
	return nil
}

func checkEarTag(code string) error {
	if err := digitsCheck(15)(code); err != nil {
		return err
	}
	if code[0] < '1' || code[0] > '3' {
		return fmt.Errorf("species code %c: want 1 (pig), 2 (cattle) or 3 (sheep)", code[0])
	}
	return checkDivision(code[1:7])
}

func checkPesticide(code string) error {
	if err := digitsCheck(32)(code); err != nil {
		return err
	}
	if code[0] == '0' {
		return fmt.Errorf("registration category (first digit) is 0")
	}
	return nil
}

func checkSpecialEquipment(code string) error {
	if len(code) < 17 || len(code) > 20 || !allDigits(code) {
		return fmt.Errorf("want 17 to 20 digits, got %q", truncate(code, 40))
	}
	if code[0] == '0' {
		return fmt.Errorf("equipment category %s: the first digit is 0", code[:4])
	}
	if err := checkDivision(code[4:10]); err != nil {
		return err
	}
	year := atoi2(code[10:12])*100 + atoi2(code[12:14])
	if year < 1950 || year > 2099 {
		return fmt.Errorf("year of manufacture %d is outside 1950-2099", year)
	}
	return nil
}

func checkDetonator(code string) error {
	if len(code) != 13 {
		return fmt.Errorf("want 13 characters, got %d", len(code))
	}
	if !allDigits(code[:7]) || !allDigits(code[8:]) {
		return fmt.Errorf("%q: characters 1-7 and 9-13 must be digits", code)
	}
	if m := atoi2(code[3:5]); m < 1 || m > 12 {
		return fmt.Errorf("month %s is not 01-12", code[3:5])
	}
	if d := atoi2(code[5:7]); d < 1 || d > 31 {
		return fmt.Errorf("day %s is not 01-31", code[5:7])
	}
	if c := code[7]; !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
		return fmt.Errorf("feature character %q must be a digit or an upper-case letter", c)
	}
	return nil
}
