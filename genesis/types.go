// SPDX-License-Identifier: Apache-2.0

package genesis

// Participant roles as written in app_state.
const (
	// RoleEnterprise records trace events of its products.
	RoleEnterprise = "enterprise"
	// RoleCertifier is an accredited certification body or laboratory.
	RoleCertifier = "certifier"
	// RoleAuditor anchors audit reports.
	RoleAuditor = "auditor"
)

// Default parameter values (see DefaultParams).
const (
	DefaultQuorumNumerator           = 2
	DefaultQuorumDenominator         = 3
	DefaultMaxTxBytes                = 262144
	DefaultMaxMsgsPerTx              = 1000
	DefaultMaxEventFutureSkewSeconds = 300

	// DefaultBlockMaxBytes is the consensus parameter block.max_bytes a
	// new genesis gets: 4 MiB, 16 of the largest transactions, about
	// 16,000 batched events. CometBFT's default (21 MiB) lets a backlog
	// of batches make blocks that take longer to gossip and execute than
	// a consensus round allows, and the network stalls (issue 8,
	// docs/PERFORMANCE.md).
	DefaultBlockMaxBytes = 4 << 20
)

// AppState is TraceLedger's part of the genesis document, stored as
// app_state.
type AppState struct {
	// Departments are the founding departments; each runs one validator.
	Departments []Department `json:"departments"`
	// Participants are the enterprises, certifiers and auditors registered
	// at genesis.
	Participants []Participant `json:"participants"`
	// Params are the chain parameters.
	Params Params `json:"params"`
}

// Department is a government department that runs a validator and governs
// membership.
type Department struct {
	// ID is the department's participant id.
	ID string `json:"id"`
	// Name is the department's display name.
	Name string `json:"name"`
	// ValidatorPubKey is the 32-byte Ed25519 consensus key of its validator.
	ValidatorPubKey []byte `json:"validator_pub_key"`
	// Power is its validator's voting power.
	Power int64 `json:"power"`
	// AdminKeys are the 32-byte Ed25519 keys that sign transactions for the
	// department.
	AdminKeys [][]byte `json:"admin_keys"`
	// DivisionCode is the optional 6-digit administrative division code.
	DivisionCode string `json:"division_code,omitempty"`
}

// Participant is an enterprise, certifier or auditor registered at genesis.
type Participant struct {
	// ID is the participant id.
	ID string `json:"id"`
	// Name is the display name.
	Name string `json:"name"`
	// Role is RoleEnterprise, RoleCertifier or RoleAuditor.
	Role string `json:"role"`
	// Department is the id of the supervising department.
	Department string `json:"department"`
	// CreditCode is the 18-character unified social credit code, required
	// for enterprises and certifiers.
	CreditCode string `json:"credit_code,omitempty"`
	// DivisionCode is the optional 6-digit administrative division code.
	DivisionCode string `json:"division_code,omitempty"`
	// Keys are the 32-byte Ed25519 keys that sign for the participant.
	Keys [][]byte `json:"keys"`
}

// Params are the chain parameters.
type Params struct {
	// QuorumNumerator and QuorumDenominator set the governance quorum: a
	// proposal passes when its yes-votes are more than
	// QuorumNumerator/QuorumDenominator of the departments.
	QuorumNumerator uint64 `json:"quorum_numerator"`
	// QuorumDenominator is the denominator of the quorum fraction.
	QuorumDenominator uint64 `json:"quorum_denominator"`
	// MaxTxBytes is the largest transaction accepted, in bytes.
	MaxTxBytes int64 `json:"max_tx_bytes"`
	// MaxMsgsPerTx is the most messages one transaction may carry.
	MaxMsgsPerTx uint32 `json:"max_msgs_per_tx"`
	// MaxEventFutureSkewSeconds is how far past the block time an event's
	// own time may lie.
	MaxEventFutureSkewSeconds int64 `json:"max_event_future_skew_seconds"`
}

// DefaultParams returns the default parameters: quorum 2/3, 256 KiB
// transactions, 1000 messages per transaction, 300 s future skew.
func DefaultParams() Params {
	return Params{
		QuorumNumerator:           DefaultQuorumNumerator,
		QuorumDenominator:         DefaultQuorumDenominator,
		MaxTxBytes:                DefaultMaxTxBytes,
		MaxMsgsPerTx:              DefaultMaxMsgsPerTx,
		MaxEventFutureSkewSeconds: DefaultMaxEventFutureSkewSeconds,
	}
}
