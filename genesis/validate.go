// SPDX-License-Identifier: Apache-2.0

package genesis

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/types"
)

// Errors that callers may branch on with errors.Is.
var (
	// ErrInvalid is wrapped by every error of Validate and ValidateDoc.
	ErrInvalid = errors.New("invalid genesis")
	// ErrDuplicate marks an id or key used twice.
	ErrDuplicate = errors.New("duplicate")
	// ErrUnknownDepartment marks a participant whose department does not
	// exist.
	ErrUnknownDepartment = errors.New("unknown department")
	// ErrBadCreditCode is wrapped by ValidateCreditCode's errors.
	ErrBadCreditCode = errors.New("invalid unified social credit code")
	// ErrBadDivisionCode is wrapped by ValidateDivisionCode's errors.
	ErrBadDivisionCode = errors.New("invalid division code")
	// ErrBadID is wrapped by ValidateID's errors.
	ErrBadID = errors.New("invalid id")
)

// Limits that Validate enforces.
const (
	// MaxIDLen is the longest department or participant id.
	MaxIDLen = 64
	// MaxNameLen is the longest display name, in bytes.
	MaxNameLen = 256
	// PubKeySize is the size of every public key in app_state.
	PubKeySize = cmted25519.PubKeySize

	maxQuorumDenominator = 1_000_000
	minMaxTxBytes        = 1024
	maxMaxMsgsPerTx      = 1_000_000
	maxFutureSkewSeconds = 86400
)

// ruleError is a rule violation whose message is msg and which wraps a
// sentinel for errors.Is.
type ruleError struct {
	sentinel error
	msg      string
}

func (e *ruleError) Error() string { return e.msg }
func (e *ruleError) Unwrap() error { return e.sentinel }

func ruleErr(sentinel error, format string, args ...any) error {
	return &ruleError{sentinel: sentinel, msg: fmt.Sprintf(format, args...)}
}

// FieldError is one rule violation at a field of the document, such as
// "participants[2].credit_code".
type FieldError struct {
	// Field is the path of the field, with JSON names and indexes.
	Field string
	// Err says what is wrong.
	Err error
}

// Error returns "field: problem".
func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

// Unwrap returns the problem.
func (e *FieldError) Unwrap() error { return e.Err }

// ValidationError lists every rule violation found. It wraps ErrInvalid and
// each FieldError.
type ValidationError struct {
	// Problems are the violations in document order.
	Problems []*FieldError
}

// Error returns the problems separated by "; ".
func (e *ValidationError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Error()
	}
	return ErrInvalid.Error() + ": " + strings.Join(msgs, "; ")
}

// Unwrap returns ErrInvalid and the problems.
func (e *ValidationError) Unwrap() []error {
	errs := make([]error, 0, len(e.Problems)+1)
	errs = append(errs, ErrInvalid)
	for _, p := range e.Problems {
		errs = append(errs, p)
	}
	return errs
}

// problems collects FieldErrors.
type problems []*FieldError

func (p *problems) add(field string, err error) {
	*p = append(*p, &FieldError{Field: field, Err: err})
}

func (p *problems) addf(field, format string, args ...any) {
	p.add(field, fmt.Errorf(format, args...))
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &ValidationError{Problems: p}
}

// ValidateID reports whether id is a valid department or participant id:
// ^[a-z0-9][a-z0-9._-]{0,63}$. Errors wrap ErrBadID.
func ValidateID(id string) error {
	if id == "" {
		return ruleErr(ErrBadID, "is required")
	}
	if len(id) > MaxIDLen {
		return ruleErr(ErrBadID, "%q is %d characters, at most %d allowed", id, len(id), MaxIDLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		alnum := 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
		if i == 0 && !alnum {
			return ruleErr(ErrBadID, "%q must start with [a-z0-9]", id)
		}
		if !alnum && c != '.' && c != '_' && c != '-' {
			return ruleErr(ErrBadID, "%q has %q at position %d, want [a-z0-9._-]", id, c, i+1)
		}
	}
	return nil
}

// creditCodeCharset is the alphabet of unified social credit codes (GB
// 32100-2015): digits and capital letters without I, O, S, V and Z; a
// character's value is its index.
const creditCodeCharset = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// CreditCodeCheckChar returns the check character (the 18th) for the first
// 17 characters of a unified social credit code: with the values v_i of the
// characters and the weights w_i = 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25,
// 13, 8, 24, 10, 30, 28, it is the character of value
// (31 - sum(v_i*w_i) mod 31) mod 31. ok is false if body is not 17
// characters of the code alphabet.
func CreditCodeCheckChar(body string) (check byte, ok bool) {
	if len(body) != 17 {
		return 0, false
	}
	sum, weight := 0, 1 // the weights are 3^i mod 31
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(creditCodeCharset, body[i])
		if v < 0 {
			return 0, false
		}
		sum += v * weight
		weight = weight * 3 % 31
	}
	return creditCodeCharset[(31-sum%31)%31], true
}

// ValidateCreditCode checks a unified social credit code (统一社会信用代码,
// GB 32100-2015): 18 characters from "0123456789ABCDEFGHJKLMNPQRTUWXY"
// (upper case only), the last being the check character computed by
// CreditCodeCheckChar. Errors wrap ErrBadCreditCode and read like "check
// digit is 7, want X".
func ValidateCreditCode(code string) error {
	if n := utf8.RuneCountInString(code); n != 18 || len(code) != 18 {
		return ruleErr(ErrBadCreditCode, "must be 18 characters, got %d", n)
	}
	for i := 0; i < len(code); i++ {
		if strings.IndexByte(creditCodeCharset, code[i]) < 0 {
			return ruleErr(ErrBadCreditCode, "character %q at position %d is not one of %s", code[i], i+1, creditCodeCharset)
		}
	}
	want, _ := CreditCodeCheckChar(code[:17])
	if code[17] != want {
		return ruleErr(ErrBadCreditCode, "check digit is %c, want %c", code[17], want)
	}
	return nil
}

// ValidateDivisionCode checks an administrative division code (GB/T 2260):
// exactly 6 ASCII digits. Errors wrap ErrBadDivisionCode.
func ValidateDivisionCode(code string) error {
	ok := len(code) == 6
	for i := 0; ok && i < len(code); i++ {
		ok = '0' <= code[i] && code[i] <= '9'
	}
	if !ok {
		return ruleErr(ErrBadDivisionCode, "must be 6 digits, got %q", code)
	}
	return nil
}

func checkName(p *problems, field, name string) {
	switch {
	case name == "":
		p.addf(field, "is required")
	case len(name) > MaxNameLen:
		p.addf(field, "is %d bytes, at most %d allowed", len(name), MaxNameLen)
	case !utf8.ValidString(name):
		p.addf(field, "is not valid UTF-8")
	}
}

// keyAddress is the key id of a public key, for messages.
func keyAddress(k []byte) string { return cmted25519.PubKey(k).Address().String() }

// Validate checks an app state against every rule and returns nil or a
// *ValidationError (wrapping ErrInvalid) that lists each violation with its
// field path. The rules:
//
//   - at least one department;
//   - ids match ^[a-z0-9][a-z0-9._-]{0,63}$ and are unique across
//     departments and participants;
//   - names are non-empty valid UTF-8 of at most 256 bytes;
//   - department powers are positive and their total is at most CometBFT's
//     MaxTotalVotingPower;
//   - every public key is 32 bytes; validator keys are unique among
//     validators; admin keys and participant keys are unique among all
//     admin and participant keys, and none is a validator key (a validator
//     key never signs as a participant); each department has at least one admin
//     key and each participant at least one key;
//   - a participant's role is "enterprise", "certifier" or "auditor" and its
//     department exists;
//   - enterprises and certifiers have a credit code; every credit code
//     present passes ValidateCreditCode;
//   - every division code present passes ValidateDivisionCode;
//   - params: 1 <= quorum_denominator <= 1,000,000 and
//     quorum_denominator/2 <= quorum_numerator < quorum_denominator;
//     1024 <= max_tx_bytes <= 100 MiB (CometBFT's largest block);
//     1 <= max_msgs_per_tx <= 1,000,000;
//     0 <= max_event_future_skew_seconds <= 86400.
func Validate(st AppState) error {
	var p problems
	if len(st.Departments) == 0 {
		p.addf("departments", "at least one department is required")
	}

	ids := make(map[string]string)        // id -> field that defined it
	validators := make(map[string]string) // validator key -> field
	accountKeys := make(map[string]string)
	deptIDs := make(map[string]bool)

	checkID := func(field, id string) {
		if err := ValidateID(id); err != nil {
			p.add(field, err)
			return
		}
		if prev, dup := ids[id]; dup {
			p.add(field, ruleErr(ErrDuplicate, "%q duplicates %s", id, prev))
			return
		}
		ids[id] = field
	}
	checkKey := func(field string, key []byte, seen map[string]string) {
		if len(key) != PubKeySize {
			p.addf(field, "public key is %d bytes, want %d", len(key), PubKeySize)
			return
		}
		if prev, dup := seen[string(key)]; dup {
			p.add(field, ruleErr(ErrDuplicate, "key %s duplicates %s", keyAddress(key), prev))
			return
		}
		seen[string(key)] = field
	}

	var totalPower int64
	for i, d := range st.Departments {
		f := fmt.Sprintf("departments[%d]", i)
		checkID(f+".id", d.ID)
		deptIDs[d.ID] = true
		checkName(&p, f+".name", d.Name)
		checkKey(f+".validator_pub_key", d.ValidatorPubKey, validators)
		switch {
		case d.Power <= 0:
			p.addf(f+".power", "must be positive, got %d", d.Power)
		case d.Power > types.MaxTotalVotingPower-totalPower:
			p.addf(f+".power", "total voting power exceeds %d", types.MaxTotalVotingPower)
		default:
			totalPower += d.Power
		}
		if len(d.AdminKeys) == 0 {
			p.addf(f+".admin_keys", "at least one key is required")
		}
		for j, k := range d.AdminKeys {
			checkKey(fmt.Sprintf("%s.admin_keys[%d]", f, j), k, accountKeys)
		}
		if d.DivisionCode != "" {
			if err := ValidateDivisionCode(d.DivisionCode); err != nil {
				p.add(f+".division_code", err)
			}
		}
	}

	for i, pt := range st.Participants {
		f := fmt.Sprintf("participants[%d]", i)
		checkID(f+".id", pt.ID)
		checkName(&p, f+".name", pt.Name)
		switch pt.Role {
		case RoleEnterprise, RoleCertifier, RoleAuditor:
		case "":
			p.addf(f+".role", "is required")
		default:
			p.addf(f+".role", "%q is not one of %s, %s, %s", pt.Role, RoleEnterprise, RoleCertifier, RoleAuditor)
		}
		switch {
		case pt.Department == "":
			p.addf(f+".department", "is required")
		case !deptIDs[pt.Department]:
			p.add(f+".department", ruleErr(ErrUnknownDepartment, "%q is not a department", pt.Department))
		}
		switch {
		case pt.CreditCode != "":
			if err := ValidateCreditCode(pt.CreditCode); err != nil {
				p.add(f+".credit_code", err)
			}
		case pt.Role == RoleEnterprise || pt.Role == RoleCertifier:
			p.addf(f+".credit_code", "is required for role %s", pt.Role)
		}
		if pt.DivisionCode != "" {
			if err := ValidateDivisionCode(pt.DivisionCode); err != nil {
				p.add(f+".division_code", err)
			}
		}
		if len(pt.Keys) == 0 {
			p.addf(f+".keys", "at least one key is required")
		}
		for j, k := range pt.Keys {
			checkKey(fmt.Sprintf("%s.keys[%d]", f, j), k, accountKeys)
		}
	}

	// A validator key never signs as a participant (the state machine
	// refuses it too, code 42): no key may be both.
	for key, field := range accountKeys {
		if vf, dup := validators[key]; dup {
			p.add(field, ruleErr(ErrDuplicate, "key %s is also the validator key at %s", keyAddress([]byte(key)), vf))
		}
	}
	validateParams(&p, st.Params)
	return p.err()
}

// QuorumError says which part of a quorum fraction is wrong.
type QuorumError struct {
	// Field is "quorum_denominator" or "quorum_numerator".
	Field string
	// Reason says what the field must be.
	Reason string
}

func (e *QuorumError) Error() string { return e.Field + " " + e.Reason }

// ValidateQuorum checks a quorum fraction: 1 <= denominator <= 1,000,000
// and denominator/2 <= numerator < denominator (at least half must agree,
// and some proposal must be able to pass). Genesis and the set_quorum
// proposal both use it; a failure is a *QuorumError.
func ValidateQuorum(num, den uint64) error {
	switch {
	case den == 0 || den > maxQuorumDenominator:
		return &QuorumError{"quorum_denominator", fmt.Sprintf("must be 1 to %d, got %d", maxQuorumDenominator, den)}
	case num >= den:
		return &QuorumError{"quorum_numerator", fmt.Sprintf("must be less than quorum_denominator %d (no proposal could pass), got %d", den, num)}
	case 2*num < den:
		return &QuorumError{"quorum_numerator", fmt.Sprintf("must be at least half of quorum_denominator %d, got %d", den, num)}
	}
	return nil
}

func validateParams(p *problems, pr Params) {
	const f = "params."
	var qe *QuorumError
	if errors.As(ValidateQuorum(pr.QuorumNumerator, pr.QuorumDenominator), &qe) {
		p.addf(f+qe.Field, "%s", qe.Reason)
	}
	if pr.MaxTxBytes < minMaxTxBytes || pr.MaxTxBytes > types.MaxBlockSizeBytes {
		p.addf(f+"max_tx_bytes", "must be %d to %d, got %d", minMaxTxBytes, types.MaxBlockSizeBytes, pr.MaxTxBytes)
	}
	if pr.MaxMsgsPerTx < 1 || pr.MaxMsgsPerTx > maxMaxMsgsPerTx {
		p.addf(f+"max_msgs_per_tx", "must be 1 to %d, got %d", maxMaxMsgsPerTx, pr.MaxMsgsPerTx)
	}
	if pr.MaxEventFutureSkewSeconds < 0 || pr.MaxEventFutureSkewSeconds > maxFutureSkewSeconds {
		p.addf(f+"max_event_future_skew_seconds", "must be 0 to %d, got %d", maxFutureSkewSeconds, pr.MaxEventFutureSkewSeconds)
	}
}
