// SPDX-License-Identifier: Apache-2.0

// Package genesis builds, checks, reads and writes TraceLedger genesis
// documents: CometBFT genesis.json files whose app_state holds the founding
// departments, the participants registered at genesis and the chain
// parameters.
//
// # app_state
//
// app_state is the JSON encoding of AppState, with snake_case field names and
// public keys as standard base64 of the 32-byte Ed25519 keys:
//
//	{
//	  "departments": [{"id": "agri", "name": "...", "validator_pub_key": "<b64>",
//	                   "power": 10, "admin_keys": ["<b64>"], "division_code": "110000"}],
//	  "participants": [{"id": "acme", "name": "...", "role": "enterprise",
//	                    "department": "agri", "credit_code": "91350100M000100Y43",
//	                    "division_code": "350100", "keys": ["<b64>"]}],
//	  "params": {"quorum_numerator": 2, "quorum_denominator": 3, "max_tx_bytes": 262144,
//	             "max_msgs_per_tx": 1000, "max_event_future_skew_seconds": 300}
//	}
//
// The package writes it in the canonical form of EncodeAppState: compact
// encoding/json output with fields in the order above, empty lists as [] and
// empty optional codes left out. AppStateFrom decodes strictly: unknown
// fields, trailing data and anything but a JSON object are errors.
//
// # Consistency with CometBFT
//
// The validator set of the document is derived from the departments, in
// their order: validator i has department i's validator key, its power and
// the department id as its name. NewDoc, AddDepartment and AddParticipant
// keep it so, and ValidateDoc (hence Load) rejects a document where it is not.
//
// # Rules
//
// Validate lists every rule; each violation is reported with its path, such
// as "participants[2].credit_code: check digit is 7, want X".
//
// # Hash
//
// Hash is the fingerprint departments compare before starting their nodes;
// see its documentation for exactly what it covers.
//
// The roles correspond to traceledger.v1.Role: "enterprise" is
// ROLE_ENTERPRISE, "certifier" ROLE_CERTIFIER and "auditor" ROLE_AUDITOR;
// departments are ROLE_DEPARTMENT.
package genesis
