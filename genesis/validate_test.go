// SPDX-License-Identifier: Apache-2.0

package genesis

import (
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/cometbft/cometbft/types"
)

// key returns the deterministic test public key number n.
func key(n int) []byte {
	seed := make([]byte, ed25519.SeedSize)
	binary.BigEndian.PutUint32(seed, uint32(n))
	return ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
}

// validState is a small valid app state: two departments, an enterprise, a
// certifier and an auditor.
func validState() AppState {
	return AppState{
		Departments: []Department{
			{ID: "agri", Name: "Agriculture Bureau", ValidatorPubKey: key(1), Power: 10, AdminKeys: [][]byte{key(101)}, DivisionCode: "350100"},
			{ID: "samr", Name: "Market Regulation", ValidatorPubKey: key(2), Power: 10, AdminKeys: [][]byte{key(102), key(103)}},
		},
		Participants: []Participant{
			{ID: "acme-foods", Name: "ACME Foods Co., Ltd.", Role: RoleEnterprise, Department: "agri",
				CreditCode: "91350100M000100Y43", DivisionCode: "350100", Keys: [][]byte{key(201)}},
			{ID: "cert.lab", Name: "Quality Lab", Role: RoleCertifier, Department: "samr",
				CreditCode: "12100000400000770U", Keys: [][]byte{key(202)}},
			{ID: "audit_1", Name: "Auditor", Role: RoleAuditor, Department: "samr", Keys: [][]byte{key(203)}},
		},
		Params: DefaultParams(),
	}
}

func TestValidateRules(t *testing.T) {
	tests := []struct {
		name string
		edit func(st *AppState)
		want string // error fragment; "" means valid
	}{
		{"valid state", func(*AppState) {}, ""},

		// at least one department
		{"one department is enough", func(st *AppState) {
			st.Departments = st.Departments[:1]
			st.Participants = st.Participants[:1]
		}, ""},
		{"no departments", func(st *AppState) { st.Departments = nil; st.Participants = nil }, "departments: at least one department is required"},

		// id format
		{"id with . _ -", func(st *AppState) { st.Departments[0].ID = "a.b_c-1"; st.Participants[0].Department = "a.b_c-1" }, ""},
		{"id of 64 characters", func(st *AppState) { st.Participants[2].ID = strings.Repeat("a", 64) }, ""},
		{"id starting with a digit", func(st *AppState) { st.Participants[2].ID = "9lives" }, ""},
		{"id upper case", func(st *AppState) { st.Participants[2].ID = "Audit" }, `participants[2].id: "Audit" must start with [a-z0-9]`},
		{"id starting with -", func(st *AppState) { st.Participants[2].ID = "-audit" }, `participants[2].id: "-audit" must start with [a-z0-9]`},
		{"id with space", func(st *AppState) { st.Departments[1].ID = "s amr" }, `departments[1].id: "s amr" has ' ' at position 2`},
		{"id of 65 characters", func(st *AppState) { st.Participants[2].ID = strings.Repeat("a", 65) }, "participants[2].id: " + `"` + strings.Repeat("a", 65) + `" is 65 characters, at most 64 allowed`},
		{"id empty", func(st *AppState) { st.Participants[2].ID = "" }, "participants[2].id: is required"},

		// id uniqueness
		{"department ids unique", func(st *AppState) { st.Departments[1].ID = "agri" }, `departments[1].id: "agri" duplicates departments[0].id`},
		{"participant id equal to department id", func(st *AppState) { st.Participants[1].ID = "samr" }, `participants[1].id: "samr" duplicates departments[1].id`},
		{"participant ids unique", func(st *AppState) { st.Participants[2].ID = "acme-foods" }, `participants[2].id: "acme-foods" duplicates participants[0].id`},

		// names
		{"name of 256 bytes", func(st *AppState) { st.Departments[0].Name = strings.Repeat("名", 85) + "x" }, ""},
		{"name empty", func(st *AppState) { st.Departments[0].Name = "" }, "departments[0].name: is required"},
		{"name too long", func(st *AppState) { st.Participants[0].Name = strings.Repeat("x", 257) }, "participants[0].name: is 257 bytes, at most 256 allowed"},
		{"name not UTF-8", func(st *AppState) { st.Participants[0].Name = "a\xffb" }, "participants[0].name: is not valid UTF-8"},

		// powers
		{"largest total power", func(st *AppState) {
			st.Departments[0].Power = types.MaxTotalVotingPower - 1
			st.Departments[1].Power = 1
		}, ""},
		{"zero power", func(st *AppState) { st.Departments[1].Power = 0 }, "departments[1].power: must be positive, got 0"},
		{"negative power", func(st *AppState) { st.Departments[0].Power = -5 }, "departments[0].power: must be positive, got -5"},
		{"total power too large", func(st *AppState) {
			st.Departments[0].Power = types.MaxTotalVotingPower
			st.Departments[1].Power = 1
		}, "departments[1].power: total voting power exceeds"},

		// validator keys
		// A validator key never signs as a participant (issue 16; the state
		// machine refuses it with code 42), so genesis refuses it too.
		{"validator key equal to an admin key", func(st *AppState) { st.Departments[0].ValidatorPubKey = key(101) }, "departments[0].admin_keys[0]: key " + keyAddress(key(101)) + " is also the validator key at departments[0].validator_pub_key"},
		{"validator key short", func(st *AppState) { st.Departments[0].ValidatorPubKey = key(1)[:31] }, "departments[0].validator_pub_key: public key is 31 bytes, want 32"},
		{"validator key missing", func(st *AppState) { st.Departments[0].ValidatorPubKey = nil }, "departments[0].validator_pub_key: public key is 0 bytes, want 32"},
		{"validator keys unique", func(st *AppState) { st.Departments[1].ValidatorPubKey = key(1) }, "departments[1].validator_pub_key: key " + keyAddress(key(1)) + " duplicates departments[0].validator_pub_key"},

		// admin and participant keys
		{"no admin keys", func(st *AppState) { st.Departments[1].AdminKeys = nil }, "departments[1].admin_keys: at least one key is required"},
		{"admin key long", func(st *AppState) { st.Departments[1].AdminKeys[1] = append(key(103), 0) }, "departments[1].admin_keys[1]: public key is 33 bytes, want 32"},
		{"admin keys unique across departments", func(st *AppState) { st.Departments[1].AdminKeys[0] = key(101) }, "departments[1].admin_keys[0]: key " + keyAddress(key(101)) + " duplicates departments[0].admin_keys[0]"},
		{"participant key equal to admin key", func(st *AppState) { st.Participants[0].Keys[0] = key(102) }, "participants[0].keys[0]: key " + keyAddress(key(102)) + " duplicates departments[1].admin_keys[0]"},
		{"participant keys unique", func(st *AppState) { st.Participants[2].Keys = append(st.Participants[2].Keys, key(201)) }, "participants[2].keys[1]: key " + keyAddress(key(201)) + " duplicates participants[0].keys[0]"},
		{"participant key equal to a validator key", func(st *AppState) { st.Participants[0].Keys[0] = key(2) }, "participants[0].keys[0]: key " + keyAddress(key(2)) + " is also the validator key at departments[1].validator_pub_key"},
		{"no participant keys", func(st *AppState) { st.Participants[2].Keys = nil }, "participants[2].keys: at least one key is required"},
		{"participant key short", func(st *AppState) { st.Participants[2].Keys[0] = []byte{1, 2, 3} }, "participants[2].keys[0]: public key is 3 bytes, want 32"},

		// roles
		{"role department", func(st *AppState) { st.Participants[2].Role = "department" }, `participants[2].role: "department" is not one of enterprise, certifier, auditor`},
		{"role upper case", func(st *AppState) { st.Participants[2].Role = "Auditor" }, `participants[2].role: "Auditor" is not one of`},
		{"role empty", func(st *AppState) { st.Participants[2].Role = "" }, "participants[2].role: is required"},

		// supervising department
		{"department unknown", func(st *AppState) { st.Participants[1].Department = "health" }, `participants[1].department: "health" is not a department`},
		{"department is a participant", func(st *AppState) { st.Participants[1].Department = "acme-foods" }, `participants[1].department: "acme-foods" is not a department`},
		{"department empty", func(st *AppState) { st.Participants[1].Department = "" }, "participants[1].department: is required"},

		// credit codes
		{"auditor without credit code", func(st *AppState) { st.Participants[2].CreditCode = "" }, ""},
		{"auditor with valid credit code", func(st *AppState) { st.Participants[2].CreditCode = "91110000600037341L" }, ""},
		{"enterprise without credit code", func(st *AppState) { st.Participants[0].CreditCode = "" }, "participants[0].credit_code: is required for role enterprise"},
		{"certifier without credit code", func(st *AppState) { st.Participants[1].CreditCode = "" }, "participants[1].credit_code: is required for role certifier"},
		{"credit code check digit", func(st *AppState) { st.Participants[0].CreditCode = "91350100M000100Y47" }, "participants[0].credit_code: check digit is 7, want 3"},
		{"auditor credit code checked", func(st *AppState) { st.Participants[2].CreditCode = "91110000600037341X" }, "participants[2].credit_code: check digit is X, want L"},
		{"credit code lower case", func(st *AppState) { st.Participants[0].CreditCode = "91350100m000100Y43" }, "participants[0].credit_code: character 'm' at position 9 is not one of"},
		{"credit code short", func(st *AppState) { st.Participants[0].CreditCode = "91350100M000100Y4" }, "participants[0].credit_code: must be 18 characters, got 17"},

		// division codes
		{"department division code", func(st *AppState) { st.Departments[1].DivisionCode = "110000" }, ""},
		{"department division code short", func(st *AppState) { st.Departments[0].DivisionCode = "35010" }, `departments[0].division_code: must be 6 digits, got "35010"`},
		{"participant division code letter", func(st *AppState) { st.Participants[0].DivisionCode = "35010a" }, `participants[0].division_code: must be 6 digits, got "35010a"`},
		{"participant division code long", func(st *AppState) { st.Participants[1].DivisionCode = "3501000" }, `participants[1].division_code: must be 6 digits, got "3501000"`},

		// params
		{"quorum one half", func(st *AppState) { st.Params.QuorumNumerator, st.Params.QuorumDenominator = 1, 2 }, ""},
		{"quorum 999/1000", func(st *AppState) { st.Params.QuorumNumerator, st.Params.QuorumDenominator = 999, 1000 }, ""},
		{"quorum denominator zero", func(st *AppState) { st.Params.QuorumDenominator = 0 }, "params.quorum_denominator: must be 1 to 1000000, got 0"},
		{"quorum denominator huge", func(st *AppState) { st.Params.QuorumDenominator = 1 << 40 }, "params.quorum_denominator: must be 1 to 1000000"},
		{"quorum numerator equal denominator", func(st *AppState) { st.Params.QuorumNumerator = 3 }, "params.quorum_numerator: must be less than quorum_denominator 3"},
		{"quorum below half", func(st *AppState) { st.Params.QuorumNumerator, st.Params.QuorumDenominator = 1, 3 }, "params.quorum_numerator: must be at least half of quorum_denominator 3, got 1"},
		{"quorum numerator zero", func(st *AppState) { st.Params.QuorumNumerator = 0 }, "params.quorum_numerator: must be at least half"},
		{"smallest max tx bytes", func(st *AppState) { st.Params.MaxTxBytes = 1024 }, ""},
		{"max tx bytes small", func(st *AppState) { st.Params.MaxTxBytes = 1023 }, "params.max_tx_bytes: must be 1024 to 104857600, got 1023"},
		{"max tx bytes over block limit", func(st *AppState) { st.Params.MaxTxBytes = types.MaxBlockSizeBytes + 1 }, "params.max_tx_bytes: must be 1024 to 104857600"},
		{"one msg per tx", func(st *AppState) { st.Params.MaxMsgsPerTx = 1 }, ""},
		{"zero msgs per tx", func(st *AppState) { st.Params.MaxMsgsPerTx = 0 }, "params.max_msgs_per_tx: must be 1 to 1000000, got 0"},
		{"too many msgs per tx", func(st *AppState) { st.Params.MaxMsgsPerTx = 1_000_001 }, "params.max_msgs_per_tx: must be 1 to 1000000, got 1000001"},
		{"zero future skew", func(st *AppState) { st.Params.MaxEventFutureSkewSeconds = 0 }, ""},
		{"negative future skew", func(st *AppState) { st.Params.MaxEventFutureSkewSeconds = -1 }, "params.max_event_future_skew_seconds: must be 0 to 86400, got -1"},
		{"future skew over a day", func(st *AppState) { st.Params.MaxEventFutureSkewSeconds = 86401 }, "params.max_event_future_skew_seconds: must be 0 to 86400, got 86401"},
		{"zero params", func(st *AppState) { st.Params = Params{} }, "params.quorum_denominator"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := validState()
			tt.edit(&st)
			err := Validate(st)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate = nil, want %q", tt.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not wrap ErrInvalid: %v", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %q\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

func TestValidateSentinelsAndAllProblems(t *testing.T) {
	st := validState()
	st.Departments[1].ID = "agri"
	st.Participants[0].Department = "nowhere"
	st.Participants[1].CreditCode = "12100000400000770A"
	st.Params.MaxMsgsPerTx = 0
	err := Validate(st)
	for _, sentinel := range []error{ErrInvalid, ErrDuplicate, ErrUnknownDepartment, ErrBadCreditCode} {
		if !errors.Is(err, sentinel) {
			t.Errorf("error does not wrap %v", sentinel)
		}
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error is not a *ValidationError: %v", err)
	}
	var fields []string
	for _, p := range ve.Problems {
		fields = append(fields, p.Field)
	}
	// Renaming samr to a duplicate also leaves its participants without a department.
	want := "departments[1].id participants[0].department participants[1].department participants[1].credit_code participants[2].department params.max_msgs_per_tx"
	if got := strings.Join(fields, " "); got != want {
		t.Fatalf("problem fields = %s\nwant %s", got, want)
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "departments[1].id" {
		t.Fatalf("errors.As FieldError = %v", fe)
	}
	if !strings.HasPrefix(err.Error(), "invalid genesis: departments[1].id: ") {
		t.Errorf("message = %q", err)
	}
}

func TestValidateID(t *testing.T) {
	tests := []struct {
		id string
		ok bool
	}{
		{"a", true}, {"0", true}, {"agri.bureau-2_x", true}, {strings.Repeat("z", 64), true},
		{"", false}, {".a", false}, {"_a", false}, {"A", false}, {"a/b", false}, {"a:b", false},
		{strings.Repeat("z", 65), false}, {"农业", false},
	}
	for _, tt := range tests {
		err := ValidateID(tt.id)
		if tt.ok != (err == nil) {
			t.Errorf("ValidateID(%q) = %v, want ok %v", tt.id, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrBadID) {
			t.Errorf("ValidateID(%q) error does not wrap ErrBadID", tt.id)
		}
	}
}

// Known-valid codes, each checked by hand. For 91350100M000100Y43: the values
// of 9 1 3 5 0 1 0 0 M 0 0 0 1 0 0 Y 4 are 9 1 3 5 0 1 0 0 21 0 0 0 1 0 0 30 4;
// with weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28 the sum is
// 9+3+27+135+26+420+8+900+112 = 1640 = 52*31 + 28, and (31-28) mod 31 = 3.
var validCreditCodes = []string{
	"91350100M000100Y43", // sum 1640, 1640 mod 31 = 28 -> 3
	"91110000600037341L", // sum 538, mod 31 = 11 -> 20 = L
	"12100000400000770U", // sum 376, mod 31 = 4 -> 27 = U
	"521000005000209838", // sum 550, mod 31 = 23 -> 8
	"914403007152672630", // sum 1054, mod 31 = 0 -> (31-0) mod 31 = 0
	"9144030071526726DY", // sum 1334, mod 31 = 1 -> 30 = Y
}

func TestCreditCodeKnownValid(t *testing.T) {
	for _, code := range validCreditCodes {
		if err := ValidateCreditCode(code); err != nil {
			t.Errorf("ValidateCreditCode(%s) = %v", code, err)
		}
		if c, ok := CreditCodeCheckChar(code[:17]); !ok || c != code[17] {
			t.Errorf("CreditCodeCheckChar(%s) = %c, %v; want %c", code[:17], c, ok, code[17])
		}
	}
}

func TestCreditCodeWeights(t *testing.T) {
	// The weights are 3^i mod 31; check them against GB 32100-2015's table
	// through unit vectors: a body that is all zeros except value 1 at i
	// has sum w_i.
	want := []int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	for i, w := range want {
		body := []byte(strings.Repeat("0", 17))
		body[i] = '1'
		c, ok := CreditCodeCheckChar(string(body))
		if !ok || c != creditCodeCharset[(31-w)%31] {
			t.Errorf("weight %d: check %c, want %c", i, c, creditCodeCharset[(31-w)%31])
		}
	}
}

func TestCreditCodeTampered(t *testing.T) {
	// Every single-character substitution and every swap of two different
	// adjacent characters of a valid code is detected.
	for _, code := range validCreditCodes {
		for i := 0; i < len(code); i++ {
			for j := 0; j < len(creditCodeCharset); j++ {
				c := creditCodeCharset[j]
				if c == code[i] {
					continue
				}
				bad := code[:i] + string(c) + code[i+1:]
				err := ValidateCreditCode(bad)
				if !errors.Is(err, ErrBadCreditCode) || !strings.Contains(err.Error(), "check digit is") {
					t.Fatalf("ValidateCreditCode(%s) = %v, want a check digit error", bad, err)
				}
			}
			if i+1 < len(code) && code[i] != code[i+1] {
				b := []byte(code)
				b[i], b[i+1] = b[i+1], b[i]
				if err := ValidateCreditCode(string(b)); !errors.Is(err, ErrBadCreditCode) {
					t.Fatalf("ValidateCreditCode(%s) = %v, want error", b, err)
				}
			}
		}
	}
}

func TestValidateCreditCodeErrors(t *testing.T) {
	tests := []struct {
		code string
		want string
	}{
		{"91350100M000100Y47", "check digit is 7, want 3"},
		{"91350100M000100Y4", "must be 18 characters, got 17"},
		{"91350100M000100Y433", "must be 18 characters, got 19"},
		{"", "must be 18 characters, got 0"},
		{"91350100I000100Y43", "character 'I' at position 9 is not one of 0123456789ABCDEFGHJKLMNPQRTUWXY"},
		{"91350100O000100Y43", "character 'O' at position 9"},
		{"91350100S000100Y43", "character 'S' at position 9"},
		{"91350100V000100Y43", "character 'V' at position 9"},
		{"91350100Z000100Y43", "character 'Z' at position 9"},
		{"91350100M000100y43", "character 'y' at position 16"},
		{"9135010ÄM000100Y4", "must be 18 characters, got 17"},
	}
	for _, tt := range tests {
		err := ValidateCreditCode(tt.code)
		if !errors.Is(err, ErrBadCreditCode) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ValidateCreditCode(%q) = %v, want %q", tt.code, err, tt.want)
		}
	}
	if _, ok := CreditCodeCheckChar("short"); ok {
		t.Error("CreditCodeCheckChar accepted a short body")
	}
	if _, ok := CreditCodeCheckChar("9135010IM000100Y4"); ok {
		t.Error("CreditCodeCheckChar accepted an I")
	}
}

func TestValidateDivisionCode(t *testing.T) {
	tests := []struct {
		code string
		ok   bool
	}{
		{"110000", true}, {"350102", true}, {"000000", true},
		{"", false}, {"11000", false}, {"1100000", false}, {"11000a", false}, {"11 000", false}, {"１１００００", false},
	}
	for _, tt := range tests {
		err := ValidateDivisionCode(tt.code)
		if tt.ok != (err == nil) {
			t.Errorf("ValidateDivisionCode(%q) = %v, want ok %v", tt.code, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrBadDivisionCode) {
			t.Errorf("ValidateDivisionCode(%q) error does not wrap ErrBadDivisionCode", tt.code)
		}
	}
}

func TestDefaultParams(t *testing.T) {
	p := DefaultParams()
	want := Params{QuorumNumerator: 2, QuorumDenominator: 3, MaxTxBytes: 262144, MaxMsgsPerTx: 1000, MaxEventFutureSkewSeconds: 300}
	if p != want {
		t.Fatalf("DefaultParams = %+v, want %+v", p, want)
	}
}
