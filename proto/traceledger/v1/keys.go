// SPDX-License-Identifier: Apache-2.0

package traceledgerv1

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"
)

// Prefixes of the authenticated map's keys. Each kind of value has its own
// prefix so keys never collide; a key is its prefix followed by the value's
// id. The builders and parsers below are the only code that joins or splits
// them.
const (
	PrefixHead          = "head/"         // head/<subject> -> HistoryHead
	PrefixParticipant   = "participant/"  // participant/<id> -> Participant
	PrefixKey           = "key/"          // key/<key id> -> KeyEntry
	PrefixDepartment    = "department/"   // department/<id> -> Department
	PrefixProposal      = "proposal/"     // proposal/<number> -> Proposal
	PrefixVote          = "vote/"         // vote/<proposal number>/<department> -> Vote
	PrefixDeadline      = "gov/deadline/" // gov/deadline/<height> -> proposals ending there
	PrefixCreditCode    = "creditcode/"   // creditcode/<credit code> -> participant id
	PrefixEvent         = "event/"        // event/<event hash id> -> EPCIS event index entry
	PrefixAnchor        = "anchor/"       // anchor/<hex root> -> anchored root index entry
	PrefixAttestation   = "attestation/"  // attestation/<issuer>/<number> -> Attestation
	PrefixRecall        = "recall/"       // recall/<id> -> Recall
	PrefixTraceEvent    = "trace/"        // trace/<hex digest> -> RecordEvent index entry (TraceEventKey)
	PrefixValidatorKey  = "valkey/"       // valkey/<key id> -> id of the department whose validator key it is or was
	KeyParams           = "params"        // the chain parameters
	KeyDepartments      = "gov/departments"
	KeyGovernanceState  = "gov/state"
	attestationIDJoiner = "/"
)

// KeyPrefixes lists every map-key prefix and fixed key, for checks that no
// other package spells them.
var KeyPrefixes = []string{
	PrefixHead, PrefixParticipant, PrefixKey, PrefixDepartment, PrefixProposal, PrefixVote,
	PrefixDeadline, PrefixCreditCode, PrefixEvent, PrefixAnchor, PrefixAttestation, PrefixRecall,
	PrefixTraceEvent, PrefixValidatorKey, KeyParams, KeyDepartments, KeyGovernanceState,
	PrefixEncryptionKey, PrefixEncryptionKeySet, PrefixDisclosureRequest,
	KeyUpgradePlan, PrefixUpgradeDone,
}

// HeadKey is the map key of a subject's history head.
func HeadKey(subject string) string { return PrefixHead + subject }

// ParticipantKey is the map key of a participant.
func ParticipantKey(id string) string { return PrefixParticipant + id }

// KeyKey is the map key of a signing key.
func KeyKey(keyID string) string { return PrefixKey + keyID }

// DepartmentKey is the map key of a department's validator entry.
func DepartmentKey(id string) string { return PrefixDepartment + id }

// ProposalKey is the map key of a proposal.
func ProposalKey(id uint64) string { return PrefixProposal + strconv.FormatUint(id, 10) }

// VoteKey is the map key of a department's vote on a proposal.
func VoteKey(id uint64, dept string) string {
	return PrefixVote + strconv.FormatUint(id, 10) + "/" + dept
}

// DeadlineKey is the map key of the proposals whose deadline is height h.
func DeadlineKey(h int64) string { return PrefixDeadline + strconv.FormatInt(h, 10) }

// CreditCodeKey is the map key of the credit-code index.
func CreditCodeKey(code string) string { return PrefixCreditCode + code }

// EventKey is the map key of an EPCIS event's index entry.
func EventKey(hashID string) string { return PrefixEvent + hashID }

// AnchorKey is the map key of an anchored root's index entry.
func AnchorKey(root []byte) string { return PrefixAnchor + hex.EncodeToString(root) }

// AttestationID is the id of the attestation issuer issued with number.
func AttestationID(issuer, number string) string { return issuer + attestationIDJoiner + number }

// AttestationKey is the map key of an attestation's current state; id is
// an AttestationID ("<issuer>/<number>").
func AttestationKey(id string) string { return PrefixAttestation + id }

// ValidatorKeyKey is the map key that records which department a validator
// public key belongs or belonged to; such a key never becomes a
// participant's signing key.
func ValidatorKeyKey(pub []byte) string { return PrefixValidatorKey + KeyID(pub) }

// RecallKey is the map key of a recall.
func RecallKey(id string) string { return PrefixRecall + id }

// traceEventTag separates TraceEventKey's digest from every other hash.
const traceEventTag = "traceledger/trace-event/v1"

// TraceEventKey is the map key that makes RecordEvent idempotent: the
// identity of a trace event is who signed it (the participant id), the
// canonical identifier it is filed under, its type, its event time and its
// payload hash (the note is not part of it). The key is "trace/" and the
// lower-case hex SHA-256 of the domain tag and the five fields, each
// length-prefixed (uvarint) so no two different tuples share a digest.
func TraceEventKey(signer, canonicalSubject, eventType string, eventTimeMs int64, payloadSHA256 []byte) string {
	h := sha256.New()
	var buf [binary.MaxVarintLen64]byte
	field := func(b []byte) {
		h.Write(buf[:binary.PutUvarint(buf[:], uint64(len(b)))])
		h.Write(b)
	}
	field([]byte(traceEventTag))
	field([]byte(signer))
	field([]byte(canonicalSubject))
	field([]byte(eventType))
	field(binary.BigEndian.AppendUint64(nil, uint64(eventTimeMs)))
	field(payloadSHA256)
	return PrefixTraceEvent + hex.EncodeToString(h.Sum(nil))
}

// ParseParticipantKey returns the participant id of a participant key.
func ParseParticipantKey(key string) (id string, ok bool) {
	id, ok = strings.CutPrefix(key, PrefixParticipant)
	return id, ok && id != ""
}

// ParseProposalKey returns the proposal number of a proposal key.
func ParseProposalKey(key string) (id uint64, ok bool) {
	rest, ok := strings.CutPrefix(key, PrefixProposal)
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseUint(rest, 10, 64)
	return id, err == nil
}

// ParseHeadKey returns the subject of a history-head key.
func ParseHeadKey(key string) (subject string, ok bool) {
	subject, ok = strings.CutPrefix(key, PrefixHead)
	return subject, ok && subject != ""
}

// ParseAttestationKey returns the issuer and number of an attestation key.
func ParseAttestationKey(key string) (issuer, number string, ok bool) {
	id, ok := strings.CutPrefix(key, PrefixAttestation)
	if !ok {
		return "", "", false
	}
	return ParseAttestationID(id)
}

// ParseAttestationID splits an AttestationID into its issuer and
// certificate number (which may itself contain the joiner); ok is false
// unless both are non-empty.
func ParseAttestationID(id string) (issuer, number string, ok bool) {
	issuer, number, ok = strings.Cut(id, attestationIDJoiner)
	return issuer, number, ok && issuer != "" && number != ""
}

// History subject schemes only the state machine writes: the histories of
// participants, proposals, network-wide changes, attestations, recalls and
// enterprises' credit.
const (
	SubjectParticipant = "participant:"
	SubjectProposal    = "proposal:"
	SubjectGovernance  = "governance:"
	SubjectAttestation = "attestation:"
	SubjectRecall      = "recall:"
	SubjectCredit      = "credit:"

	// ValidatorsSubject collects every department joining, leaving or
	// changing power: the provable history of the validator set.
	ValidatorsSubject = SubjectGovernance + "validators"
	// ParamsSubject collects every quorum change.
	ParamsSubject = SubjectGovernance + "params"
)

// ReservedSubjectSchemes lists the subject schemes trace events may not use.
var ReservedSubjectSchemes = []string{SubjectParticipant, SubjectProposal, SubjectGovernance, SubjectAttestation, SubjectRecall, SubjectCredit, SubjectDisclosure}

// IsReservedSubject reports whether subject belongs to a scheme that only
// the state machine's own records use.
func IsReservedSubject(subject string) bool {
	for _, p := range ReservedSubjectSchemes {
		if strings.HasPrefix(subject, p) {
			return true
		}
	}
	return false
}

// ParticipantSubject is the history subject of a participant's membership
// records (registration, suspensions, reinstatements, key changes).
func ParticipantSubject(id string) string { return SubjectParticipant + id }

// ProposalSubject is the history subject of a proposal's records.
func ProposalSubject(id uint64) string { return SubjectProposal + strconv.FormatUint(id, 10) }

// AttestationHistorySubject is the history subject of an attestation's records.
func AttestationHistorySubject(id string) string { return SubjectAttestation + id }

// RecallSubject is the history subject of a recall.
func RecallSubject(id string) string { return SubjectRecall + id }

// CreditSubject is the history subject of an enterprise's credit records
// (attestations naming it, recalls, complaints, violations).
func CreditSubject(enterprise string) string { return SubjectCredit + enterprise }
