// SPDX-License-Identifier: Apache-2.0

package traceledgerv1

import (
	"fmt"
	"slices"
)

// Codespace is the ABCI codespace of every error this application returns.
const Codespace = "traceledger"

// Code is a stable numeric rejection code. Codes are part of the protocol:
// clients branch on them, so a code is never renumbered or reused. The full
// list with its meaning is in docs/ERRORS.md.
type Code uint32

// The rejection codes. CodeOK is success.
const (
	CodeOK                  Code = 0
	CodeTxDecode            Code = 1  // the bytes are not a Tx / TxBody protobuf
	CodeTxTooLarge          Code = 2  // the transaction exceeds params.max_tx_bytes
	CodeWrongChainID        Code = 3  // body.chain_id is not this network's
	CodeUnknownSigner       Code = 4  // body.signer names no registered key
	CodeBadSignature        Code = 5  // the Ed25519 signature does not verify
	CodeSequenceReplayed    Code = 6  // body.sequence was already used by this key
	CodeSequenceGap         Code = 7  // body.sequence skips ahead of the key's next sequence
	CodeEmptyTx             Code = 8  // the transaction carries no message
	CodeTooManyMessages     Code = 9  // more messages than params.max_msgs_per_tx
	CodeUnknownMessage      Code = 10 // a message kind this node does not know
	CodeInvalidMessage      Code = 11 // a message field is malformed (the log says which)
	CodeUnauthorized        Code = 12 // the signer's role may not send this message
	CodeKeyRevoked          Code = 13 // the signing key was revoked
	CodeParticipantInactive Code = 14 // the signer's participant is suspended
	CodeEventInFuture       Code = 15 // the event time is too far after the block time
	CodeEventDuplicate      Code = 16 // the signer already recorded this trace event (subject, type, time, payload); data names the record
	CodeTxNotCanonical      Code = 17 // the Tx or TxBody bytes are not the canonical encoding of what they decode to (unknown fields, reordered or repeated fields)
	CodeInvalidQuery        Code = 30 // a query path or request is malformed
	CodeNotFound            Code = 31 // the queried record does not exist
	CodeHeightUnavailable   Code = 32 // the queried height is not kept (only latest and latest-1)
	CodeInternal            Code = 99 // a node-side failure; retry or report it
)

// Proof service codes (80-89; see docs/PROOFS.md).
const (
	CodeProofSizeAhead        Code = 80 // a consistency request names a log size beyond this node's
	CodeProofUnsupportedStore Code = 81 // a /store/<name>/key path names a store that has no standard-format proofs
)

// HTTP API codes (90-98; see docs/API.md): failures of the API server
// itself, never returned by a node.
const (
	CodeAPINotVerified     Code = 90 // a node's answer failed verification: the API server refused to serve it
	CodeAPINodeUnavailable Code = 91 // the API server could not reach a node (or a verified header) to answer
	CodeAPIRequestTooLarge Code = 92 // the request body exceeds the API server's limit
	CodeAPITimeout         Code = 93 // the answer was not ready within the API server's time limit
	CodeAPIRateLimited     Code = 94 // the client sent more requests than the API server's per-client rate limit allows
	CodeAPIAnswerStale     Code = 95 // a node's latest answer verified but its header is older than the freshness bound
	// The EPCIS capture gateway's callers (docs/EPCIS-REST.md).
	CodeAPIUnauthenticated Code = 96 // the request carries no bearer token, or one the gateway does not know (or revoked)
	CodeAPIForbidden       Code = 97 // the token's participant may not do this (act as another participant, read another's job)
)

// Attestation, recall and credit codes (100-129; see docs/ATTESTATIONS.md).
const (
	CodeAttestInvalid           Code = 100 // an attestation message field is malformed
	CodeAttestUnaccredited      Code = 101 // the issuer has no active accreditation in force at the block time
	CodeAttestOutOfScope        Code = 102 // the issuer's accreditation does not list the scheme
	CodeAttestDuplicate         Code = 103 // the issuer already recorded this certificate number
	CodeAttestNotFound          Code = 104 // no attestation has that id
	CodeAttestForbidden         Code = 105 // the signer is neither the issuer nor its supervising department
	CodeAttestTransition        Code = 106 // the status change is not allowed from the current status
	CodeAttestSubjectUnknown    Code = 107 // the subject enterprise is not a registered enterprise
	CodeRecallInvalid           Code = 110 // a recall message field is malformed
	CodeRecallDuplicate         Code = 111 // the recall id is already recorded
	CodeRecallUnknownLot        Code = 112 // a recalled lot has no history on the ledger
	CodeRecallNotResponsible    Code = 113 // an enterprise recalls for another, or the named enterprise is unknown
	CodeRecallNotHeld           Code = 114 // a voluntary recall does not show that the enterprise held a lot
	CodeCreditInvalid           Code = 120 // a complaint or violation field is malformed
	CodeCreditUnknownEnterprise Code = 121 // the complaint or violation names no registered enterprise
)

// Encryption-key and disclosure codes (130-139; see docs/DISCLOSURE.md).
const (
	CodeDisclosureInvalid        Code = 130 // an encryption-key, disclosure, request or refusal field is malformed
	CodeDisclosureNotYourEvent   Code = 131 // a disclosed log index is not a trace event (record_event or hashed EPCIS event) the signer recorded
	CodeDisclosureRecipient      Code = 132 // a recipient is not an active participant, or the named encryption key is not its active key
	CodeDisclosureRequestUnknown Code = 133 // no disclosure request has that id
	CodeDisclosureRequestClosed  Code = 134 // the request was already answered (disclosed or refused)
	CodeDisclosureRequestExists  Code = 135 // the requester already used that request number
	CodeDisclosureForbidden      Code = 136 // the signer may not answer this request (it is addressed to another enterprise)
	CodeEncryptionKeyDuplicate   Code = 137 // the encryption key is already registered
	CodeEncryptionKeyNotFound    Code = 138 // the named encryption key is not registered for that participant
	CodeEncryptionKeyInactive    Code = 139 // the named encryption key is already revoked
)

// Governance and membership codes (40-59; see docs/GOVERNANCE.md).
const (
	CodeParticipantNotFound  Code = 40 // the named participant is not registered
	CodeDuplicateParticipant Code = 41 // the id or credit code is already registered
	CodeDuplicateKey         Code = 42 // the public key is already registered (or used by a validator)
	CodeOutOfJurisdiction    Code = 43 // the signer does not supervise the target
	CodeStatusUnchanged      Code = 44 // the participant already has the requested status
	CodeKeyNotFound          Code = 45 // the named key is not registered
	CodeKeyInactive          Code = 46 // the named key is already revoked
	CodeLastActiveKey        Code = 47 // the revocation would leave the participant without an active key
	CodeBadKeyProof          Code = 48 // the new key's proof of possession does not verify
	CodeProposalNotFound     Code = 49 // no proposal has that id
	CodeProposalClosed       Code = 50 // the proposal already passed, failed or executed
	CodeProposalExpired      Code = 51 // the proposal's deadline has passed
	CodeAlreadyVoted         Code = 52 // the department already voted on the proposal
	CodeNotInElectorate      Code = 53 // the department is not in the proposal's electorate
	CodeNoValidatorLeft      Code = 54 // the change would leave the network without a validator
	CodePowerConcentration   Code = 55 // the change would give one department 1/3 or more of the power
	CodeUnknownDepartment    Code = 56 // the named department is not an active department
	CodeNotACertifier        Code = 57 // the named participant is not a certifier
	CodeAccreditationState   Code = 58 // the accreditation is not in a state the change applies to
	CodeUpgradeState         Code = 59 // the upgrade cannot be scheduled: its name already ran, or its height is not after the current one
)

// EPCIS event codes (60-79; see docs/ERRORS.md). Each message names the
// event's index in its batch and the field.
const (
	CodeEPCISInvalidEvent      Code = 60 // an EPCIS event field is malformed
	CodeEPCISUnknownEventType  Code = 61 // the event type is not one of the five EPCIS 2.0 types
	CodeEPCISMissingField      Code = 62 // a required field (eventTime, eventTimeZoneOffset, action, ...) is missing
	CodeEPCISInvalidIdentifier Code = 63 // an identifier is not a URI or fails its scheme's structure check
	CodeEPCISHashMismatch      Code = 64 // a public event's recomputed Event Hash ID differs from hash_id
	CodeEPCISDuplicateEvent    Code = 65 // the signer already recorded this Event Hash ID (or the batch holds it twice); other participants' recordings do not count
	CodeEPCISBatchSize         Code = 66 // a batch is empty or holds more than 1,000 events
	CodeEPCISInvalidAnchor     Code = 67 // an AnchorRoot field is malformed
	CodeEPCISDuplicateAnchor   Code = 68 // the root is already anchored
	CodeEPCISEventRecorders    Code = 69 // MaxEventRecorders participants already recorded this Event Hash ID
)

// codeNames is the one table of stable code names (docs/ERRORS.md lists
// the same rows; a test in package app checks it).
var codeNames = map[Code]string{
	CodeOK:                  "ok",
	CodeTxDecode:            "tx_decode",
	CodeTxTooLarge:          "tx_too_large",
	CodeWrongChainID:        "wrong_chain_id",
	CodeUnknownSigner:       "unknown_signer",
	CodeBadSignature:        "bad_signature",
	CodeSequenceReplayed:    "sequence_replayed",
	CodeSequenceGap:         "sequence_gap",
	CodeEmptyTx:             "empty_tx",
	CodeTooManyMessages:     "too_many_messages",
	CodeUnknownMessage:      "unknown_message",
	CodeInvalidMessage:      "invalid_message",
	CodeUnauthorized:        "unauthorized",
	CodeKeyRevoked:          "key_revoked",
	CodeParticipantInactive: "participant_inactive",
	CodeEventInFuture:       "event_in_future",
	CodeEventDuplicate:      "event_duplicate",
	CodeTxNotCanonical:      "tx_not_canonical",
	CodeInvalidQuery:        "invalid_query",
	CodeNotFound:            "not_found",
	CodeHeightUnavailable:   "height_unavailable",
	CodeInternal:            "internal",

	CodeEPCISInvalidEvent:      "epcis_invalid_event",
	CodeEPCISUnknownEventType:  "epcis_unknown_event_type",
	CodeEPCISMissingField:      "epcis_missing_field",
	CodeEPCISInvalidIdentifier: "epcis_invalid_identifier",
	CodeEPCISHashMismatch:      "epcis_hash_mismatch",
	CodeEPCISDuplicateEvent:    "epcis_duplicate_event",
	CodeEPCISBatchSize:         "epcis_batch_size",
	CodeEPCISInvalidAnchor:     "epcis_invalid_anchor",
	CodeEPCISDuplicateAnchor:   "epcis_duplicate_anchor",
	CodeEPCISEventRecorders:    "epcis_event_recorders",

	CodeProofSizeAhead:        "proof_size_ahead",
	CodeProofUnsupportedStore: "proof_unsupported_store",

	CodeAPINotVerified:     "answer_not_verified",
	CodeAPINodeUnavailable: "node_unavailable",
	CodeAPIRequestTooLarge: "request_too_large",
	CodeAPITimeout:         "request_timeout",
	CodeAPIRateLimited:     "rate_limited",
	CodeAPIAnswerStale:     "answer_stale",
	CodeAPIUnauthenticated: "unauthenticated",
	CodeAPIForbidden:       "forbidden",

	CodeParticipantNotFound:  "participant_not_found",
	CodeDuplicateParticipant: "duplicate_participant",
	CodeDuplicateKey:         "duplicate_key",
	CodeOutOfJurisdiction:    "out_of_jurisdiction",
	CodeStatusUnchanged:      "status_unchanged",
	CodeKeyNotFound:          "key_not_found",
	CodeKeyInactive:          "key_inactive",
	CodeLastActiveKey:        "last_active_key",
	CodeBadKeyProof:          "bad_key_proof",
	CodeProposalNotFound:     "proposal_not_found",
	CodeProposalClosed:       "proposal_closed",
	CodeProposalExpired:      "proposal_expired",
	CodeAlreadyVoted:         "already_voted",
	CodeNotInElectorate:      "not_in_electorate",
	CodeNoValidatorLeft:      "no_validator_left",
	CodePowerConcentration:   "power_concentration",
	CodeUnknownDepartment:    "unknown_department",
	CodeNotACertifier:        "not_a_certifier",
	CodeAccreditationState:   "accreditation_state",
	CodeUpgradeState:         "upgrade_state",

	CodeAttestInvalid:           "attest_invalid",
	CodeAttestUnaccredited:      "attest_unaccredited",
	CodeAttestOutOfScope:        "attest_out_of_scope",
	CodeAttestDuplicate:         "attest_duplicate",
	CodeAttestNotFound:          "attest_not_found",
	CodeAttestForbidden:         "attest_forbidden",
	CodeAttestTransition:        "attest_transition",
	CodeAttestSubjectUnknown:    "attest_subject_unknown",
	CodeRecallInvalid:           "recall_invalid",
	CodeRecallDuplicate:         "recall_duplicate",
	CodeRecallUnknownLot:        "recall_unknown_lot",
	CodeRecallNotResponsible:    "recall_not_responsible",
	CodeRecallNotHeld:           "recall_not_held",
	CodeCreditInvalid:           "credit_invalid",
	CodeCreditUnknownEnterprise: "credit_unknown_enterprise",

	CodeDisclosureInvalid:        "disclosure_invalid",
	CodeDisclosureNotYourEvent:   "disclosure_not_your_event",
	CodeDisclosureRecipient:      "disclosure_recipient",
	CodeDisclosureRequestUnknown: "disclosure_request_unknown",
	CodeDisclosureRequestClosed:  "disclosure_request_closed",
	CodeDisclosureRequestExists:  "disclosure_request_exists",
	CodeDisclosureForbidden:      "disclosure_forbidden",
	CodeEncryptionKeyDuplicate:   "encryption_key_duplicate",
	CodeEncryptionKeyNotFound:    "encryption_key_not_found",
	CodeEncryptionKeyInactive:    "encryption_key_inactive",
}

// String returns the code's stable name, e.g. "sequence_gap".
func (c Code) String() string {
	if n, ok := codeNames[c]; ok {
		return n
	}
	return fmt.Sprintf("code_%d", uint32(c))
}

// Codes returns every defined code in ascending order.
func Codes() []Code {
	out := make([]Code, 0, len(codeNames))
	for c := range codeNames {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// CodeByName returns the code whose stable name is name, e.g.
// "sequence_gap"; ok is false for an unknown name.
func CodeByName(name string) (c Code, ok bool) {
	for code, n := range codeNames {
		if n == name {
			return code, true
		}
	}
	return 0, false
}

// Known reports whether c is a defined code.
func (c Code) Known() bool {
	_, ok := codeNames[c]
	return ok
}
