// SPDX-License-Identifier: Apache-2.0

// Package lightblock reads and verifies CometBFT light blocks (signed
// header, commit and validator set, in CometBFT's JSON as the API and proof
// bundles carry them) with the standard library and an Ed25519 verifier
// only, so that the portal's in-browser verifier, compiled to WebAssembly,
// can check header trust without linking CometBFT (which does not build for
// GOOS=js, and whose types alone make a 30 MB binary).
//
// It implements the part of CometBFT's light client that offline
// verification needs, with the same rules: the header hash (a Merkle tree
// over the protobuf-encoded header fields), the validator set hash, the
// canonical vote sign bytes, commit verification by index (more than 2/3
// of the set's power) and by address (the trust level, 1/3, of a trusted
// set), adjacent and non-adjacent steps, and a chain from a trust root (the
// genesis validator set). Signatures are checked with ZIP-215 semantics,
// as CometBFT checks them. Tests check that it agrees with CometBFT's own
// functions on real and tampered light blocks; package proof/light remains
// the verifier of the Go tools.
package lightblock

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// ErrMalformed reports a light block that does not decode or fails the
// basic checks (sizes, heights, flags) CometBFT makes before any signature.
var ErrMalformed = errors.New("malformed light block")

// ErrNotTrusted reports a header that could not be verified from the
// trust root: a bad signature, too little voting power, a validator set or
// header that does not match, a broken chain.
var ErrNotTrusted = errors.New("header not trusted")

// CometBFT's constants the checks use.
const (
	// BlockProtocol is the block version CometBFT v0.38 and v0.39 write.
	BlockProtocol = 11
	// MaxChainIDLen caps a chain id.
	MaxChainIDLen = 50
	// AddressSize is a validator address: the first 20 bytes of the
	// SHA-256 of its public key.
	AddressSize = 20
	// HashSize is a SHA-256 hash.
	HashSize = 32
	// MaxSignatureSize caps a commit signature.
	MaxSignatureSize = 64
	// PubKeySize and SignatureSize are Ed25519's.
	PubKeySize    = 32
	SignatureSize = 64
	// MaxTotalVotingPower caps the power of a validator set.
	MaxTotalVotingPower = int64(^uint64(0)>>1) / 8
	// PubKeyTypeEd25519 is the JSON type name of an Ed25519 key.
	PubKeyTypeEd25519 = "tendermint/PubKeyEd25519"
)

// Block ID flags of a commit signature.
const (
	FlagAbsent uint8 = 1
	FlagCommit uint8 = 2
	FlagNil    uint8 = 3
)

// BlockID names a block: its header hash and its part set header.
type BlockID struct {
	Hash       []byte
	PartsTotal uint32
	PartsHash  []byte
}

// IsZero reports the block ID of no block.
func (b BlockID) IsZero() bool { return len(b.Hash) == 0 && b.PartsTotal == 0 && len(b.PartsHash) == 0 }

// Equal compares two block IDs.
func (b BlockID) Equal(o BlockID) bool {
	return bytes.Equal(b.Hash, o.Hash) && b.PartsTotal == o.PartsTotal && bytes.Equal(b.PartsHash, o.PartsHash)
}

// Header is a CometBFT block header.
type Header struct {
	VersionBlock, VersionApp uint64
	ChainID                  string
	Height                   int64
	Time                     time.Time
	LastBlockID              BlockID
	LastCommitHash           []byte
	DataHash                 []byte
	ValidatorsHash           []byte
	NextValidatorsHash       []byte
	ConsensusHash            []byte
	AppHash                  []byte
	LastResultsHash          []byte
	EvidenceHash             []byte
	ProposerAddress          []byte
}

// CommitSig is one validator's part of a commit.
type CommitSig struct {
	Flag             uint8
	ValidatorAddress []byte
	Timestamp        time.Time
	Signature        []byte
}

// Commit is the +2/3 precommits for a block.
type Commit struct {
	Height     int64
	Round      int32
	BlockID    BlockID
	Signatures []CommitSig
}

// Validator is a validator's address, Ed25519 public key and voting power.
type Validator struct {
	Address []byte
	PubKey  []byte
	Power   int64
}

// ValidatorSet is a validator set in its canonical order (power
// descending, then address ascending), as headers commit to it.
type ValidatorSet struct {
	Validators []Validator
	// Proposer is checked to be one of Validators when set.
	Proposer *Validator
}

// LightBlock is a signed header and the validator set that signed it.
type LightBlock struct {
	Header     Header
	Commit     Commit
	Validators ValidatorSet
}

// Height is the light block's height.
func (lb *LightBlock) Height() int64 { return lb.Header.Height }

// JSON forms (CometBFT's encoding: 64-bit integers as strings, hashes as
// hex, signatures and keys as base64, public keys as {type, value}).

type jsonInt64 int64

func (v *jsonInt64) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a 64-bit integer is a JSON string: %w", err)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return err
	}
	*v = jsonInt64(n)
	return nil
}

type jsonUint64 uint64

func (v *jsonUint64) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a 64-bit integer is a JSON string: %w", err)
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return err
	}
	*v = jsonUint64(n)
	return nil
}

type jsonHex []byte

func (h *jsonHex) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := hex.DecodeString(s)
	if err != nil {
		return err
	}
	*h = v
	return nil
}

type jsonBlockID struct {
	Hash  jsonHex `json:"hash"`
	Parts struct {
		Total uint32  `json:"total"`
		Hash  jsonHex `json:"hash"`
	} `json:"parts"`
}

func (b jsonBlockID) id() BlockID {
	return BlockID{Hash: b.Hash, PartsTotal: b.Parts.Total, PartsHash: b.Parts.Hash}
}

type jsonHeader struct {
	Version struct {
		Block jsonUint64 `json:"block"`
		App   jsonUint64 `json:"app"`
	} `json:"version"`
	ChainID            string      `json:"chain_id"`
	Height             jsonInt64   `json:"height"`
	Time               time.Time   `json:"time"`
	LastBlockID        jsonBlockID `json:"last_block_id"`
	LastCommitHash     jsonHex     `json:"last_commit_hash"`
	DataHash           jsonHex     `json:"data_hash"`
	ValidatorsHash     jsonHex     `json:"validators_hash"`
	NextValidatorsHash jsonHex     `json:"next_validators_hash"`
	ConsensusHash      jsonHex     `json:"consensus_hash"`
	AppHash            jsonHex     `json:"app_hash"`
	LastResultsHash    jsonHex     `json:"last_results_hash"`
	EvidenceHash       jsonHex     `json:"evidence_hash"`
	ProposerAddress    jsonHex     `json:"proposer_address"`
}

type jsonCommitSig struct {
	Flag             uint8     `json:"block_id_flag"`
	ValidatorAddress jsonHex   `json:"validator_address"`
	Timestamp        time.Time `json:"timestamp"`
	Signature        []byte    `json:"signature"`
}

type jsonCommit struct {
	Height     jsonInt64       `json:"height"`
	Round      int32           `json:"round"`
	BlockID    jsonBlockID     `json:"block_id"`
	Signatures []jsonCommitSig `json:"signatures"`
}

// JSONPubKey is a public key in CometBFT's JSON: {"type", "value"}.
type JSONPubKey struct {
	Type  string `json:"type"`
	Value []byte `json:"value"`
}

type jsonValidator struct {
	Address          jsonHex    `json:"address"`
	PubKey           JSONPubKey `json:"pub_key"`
	VotingPower      jsonInt64  `json:"voting_power"`
	ProposerPriority jsonInt64  `json:"proposer_priority"`
}

type jsonLightBlock struct {
	SignedHeader *struct {
		Header *jsonHeader `json:"header"`
		Commit *jsonCommit `json:"commit"`
	} `json:"signed_header"`
	ValidatorSet *struct {
		Validators []jsonValidator `json:"validators"`
		Proposer   *jsonValidator  `json:"proposer"`
	} `json:"validator_set"`
}

func (v jsonValidator) validator() (Validator, error) {
	if v.PubKey.Type != PubKeyTypeEd25519 {
		return Validator{}, fmt.Errorf("%w: validator key type %q: only %s keys are supported", ErrMalformed, v.PubKey.Type, PubKeyTypeEd25519)
	}
	return Validator{Address: v.Address, PubKey: v.PubKey.Value, Power: int64(v.VotingPower)}, nil
}

// Decode reads a light block in CometBFT's JSON encoding. It checks the
// shape only; ValidateBasic and the verifiers check the content.
func Decode(raw []byte) (*LightBlock, error) {
	var j jsonLightBlock
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if j.SignedHeader == nil || j.SignedHeader.Header == nil || j.SignedHeader.Commit == nil || j.ValidatorSet == nil {
		return nil, fmt.Errorf("%w: a light block needs signed_header.header, signed_header.commit and validator_set", ErrMalformed)
	}
	h, c := j.SignedHeader.Header, j.SignedHeader.Commit
	lb := &LightBlock{
		Header: Header{VersionBlock: uint64(h.Version.Block), VersionApp: uint64(h.Version.App), ChainID: h.ChainID,
			Height: int64(h.Height), Time: h.Time, LastBlockID: h.LastBlockID.id(), LastCommitHash: h.LastCommitHash,
			DataHash: h.DataHash, ValidatorsHash: h.ValidatorsHash, NextValidatorsHash: h.NextValidatorsHash,
			ConsensusHash: h.ConsensusHash, AppHash: h.AppHash, LastResultsHash: h.LastResultsHash,
			EvidenceHash: h.EvidenceHash, ProposerAddress: h.ProposerAddress},
		Commit: Commit{Height: int64(c.Height), Round: c.Round, BlockID: c.BlockID.id()},
	}
	for _, s := range c.Signatures {
		lb.Commit.Signatures = append(lb.Commit.Signatures, CommitSig{Flag: s.Flag, ValidatorAddress: s.ValidatorAddress, Timestamp: s.Timestamp, Signature: s.Signature})
	}
	for _, jv := range j.ValidatorSet.Validators {
		v, err := jv.validator()
		if err != nil {
			return nil, err
		}
		lb.Validators.Validators = append(lb.Validators.Validators, v)
	}
	if p := j.ValidatorSet.Proposer; p != nil {
		v, err := p.validator()
		if err != nil {
			return nil, err
		}
		lb.Validators.Proposer = &v
	}
	return lb, nil
}

// Protobuf encoding, the few messages the hashes and sign bytes need.

func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func appendTag(b []byte, field, wire int) []byte { return appendVarint(b, uint64(field<<3|wire)) }

// appendBytesField writes a length-delimited field (omitted when empty
// unless always).
func appendBytesField(b []byte, field int, v []byte, always bool) []byte {
	if len(v) == 0 && !always {
		return b
	}
	b = appendTag(b, field, 2)
	b = appendVarint(b, uint64(len(v)))
	return append(b, v...)
}

func appendVarintField(b []byte, field int, v uint64) []byte {
	if v == 0 {
		return b
	}
	return appendVarint(appendTag(b, field, 0), v)
}

func appendSfixed64Field(b []byte, field int, v int64) []byte {
	if v == 0 {
		return b
	}
	b = appendTag(b, field, 1)
	u := uint64(v)
	for i := 0; i < 8; i++ {
		b = append(b, byte(u>>(8*i)))
	}
	return b
}

// timestamp is a google.protobuf.Timestamp.
func timestamp(t time.Time) []byte {
	b := appendVarintField(nil, 1, uint64(t.Unix()))
	return appendVarintField(b, 2, uint64(int64(t.Nanosecond())))
}

// partSetHeader is a PartSetHeader (and a CanonicalPartSetHeader: the
// same fields).
func (b BlockID) partSetHeader() []byte {
	out := appendVarintField(nil, 1, uint64(b.PartsTotal))
	return appendBytesField(out, 2, b.PartsHash, false)
}

// proto is a BlockID message (and a CanonicalBlockID: the same fields).
func (b BlockID) proto() []byte {
	out := appendBytesField(nil, 1, b.Hash, false)
	return appendBytesField(out, 2, b.partSetHeader(), true)
}

// wrapBytes, wrapString and wrapInt64 are the protobuf wrapper messages
// (BytesValue, StringValue, Int64Value) CometBFT hashes header fields as;
// an empty value is the empty encoding.
func wrapBytes(v []byte) []byte  { return appendBytesField(nil, 1, v, false) }
func wrapString(v string) []byte { return appendBytesField(nil, 1, []byte(v), false) }
func wrapInt64(v int64) []byte   { return appendVarintField(nil, 1, uint64(v)) }
func sha(parts ...[]byte) [32]byte {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// merkleRoot is CometBFT's simple Merkle tree (RFC 6962 hashing: leaves
// 0x00 || item, inner nodes 0x01 || left || right, split at the largest
// power of two below the size; the empty tree is SHA-256 of nothing).
func merkleRoot(items [][]byte) []byte {
	switch len(items) {
	case 0:
		s := sha()
		return s[:]
	case 1:
		s := sha([]byte{0}, items[0])
		return s[:]
	}
	k := 1
	for k*2 < len(items) {
		k *= 2
	}
	l, r := merkleRoot(items[:k]), merkleRoot(items[k:])
	s := sha([]byte{1}, l, r)
	return s[:]
}

// Hash is the header's hash, which commits sign (nil without a validators
// hash, as in CometBFT).
func (h *Header) Hash() []byte {
	if h == nil || len(h.ValidatorsHash) == 0 {
		return nil
	}
	version := appendVarintField(nil, 1, h.VersionBlock)
	version = appendVarintField(version, 2, h.VersionApp)
	return merkleRoot([][]byte{
		version,
		wrapString(h.ChainID),
		wrapInt64(h.Height),
		timestamp(h.Time),
		h.LastBlockID.proto(),
		wrapBytes(h.LastCommitHash),
		wrapBytes(h.DataHash),
		wrapBytes(h.ValidatorsHash),
		wrapBytes(h.NextValidatorsHash),
		wrapBytes(h.ConsensusHash),
		wrapBytes(h.AppHash),
		wrapBytes(h.LastResultsHash),
		wrapBytes(h.EvidenceHash),
		wrapBytes(h.ProposerAddress),
	})
}

// bytes is the validator's SimpleValidator encoding, a leaf of the
// validator set hash.
func (v Validator) bytes() []byte {
	pk := appendBytesField(nil, 1, v.PubKey, true) // PublicKey{ed25519}
	out := appendBytesField(nil, 1, pk, true)
	return appendVarintField(out, 2, uint64(v.Power))
}

// Hash is the validator set's hash, as headers carry it.
func (s *ValidatorSet) Hash() []byte {
	items := make([][]byte, len(s.Validators))
	for i, v := range s.Validators {
		items[i] = v.bytes()
	}
	return merkleRoot(items)
}

// TotalPower is the set's voting power; an error when it exceeds
// MaxTotalVotingPower.
func (s *ValidatorSet) TotalPower() (int64, error) {
	var sum int64
	for _, v := range s.Validators {
		if v.Power < 0 {
			return 0, fmt.Errorf("%w: negative voting power", ErrMalformed)
		}
		sum += v.Power
		if sum > MaxTotalVotingPower || sum < 0 {
			return 0, fmt.Errorf("%w: total voting power exceeds %d", ErrMalformed, MaxTotalVotingPower)
		}
	}
	return sum, nil
}

// byAddress returns the index of the validator with address, or -1.
func (s *ValidatorSet) byAddress(addr []byte) int {
	for i, v := range s.Validators {
		if bytes.Equal(v.Address, addr) {
			return i
		}
	}
	return -1
}

// AddressOf is a validator's address: the first 20 bytes of the SHA-256 of
// its Ed25519 public key.
func AddressOf(pub []byte) []byte {
	s := sha(pub)
	return s[:AddressSize]
}

// voteSignBytes are the length-prefixed CanonicalVote bytes validator idx
// signed for commit c (a precommit for c.BlockID when its flag is commit).
func (c *Commit) voteSignBytes(chainID string, idx int) []byte {
	sig := c.Signatures[idx]
	var id BlockID
	if sig.Flag == FlagCommit {
		id = c.BlockID
	}
	v := appendVarintField(nil, 1, 2) // SignedMsgType precommit
	v = appendSfixed64Field(v, 2, c.Height)
	v = appendSfixed64Field(v, 3, int64(c.Round))
	if !id.IsZero() {
		v = appendBytesField(v, 4, id.proto(), true)
	}
	v = appendBytesField(v, 5, timestamp(sig.Timestamp), true)
	v = appendBytesField(v, 6, []byte(chainID), false)
	return append(appendVarint(nil, uint64(len(v))), v...)
}

func validateHash(name string, h []byte) error {
	if len(h) > 0 && len(h) != HashSize {
		return fmt.Errorf("%w: %s is %d bytes, want %d", ErrMalformed, name, len(h), HashSize)
	}
	return nil
}

// ValidateBasic makes CometBFT's checks of a header that need no state.
func (h *Header) ValidateBasic() error {
	if h.VersionBlock != BlockProtocol {
		return fmt.Errorf("%w: block protocol %d, want %d", ErrMalformed, h.VersionBlock, BlockProtocol)
	}
	if len(h.ChainID) > MaxChainIDLen {
		return fmt.Errorf("%w: chain id longer than %d", ErrMalformed, MaxChainIDLen)
	}
	if h.Height <= 0 {
		return fmt.Errorf("%w: header height %d", ErrMalformed, h.Height)
	}
	for _, f := range []struct {
		name string
		v    []byte
	}{{"last block id hash", h.LastBlockID.Hash}, {"last block id parts hash", h.LastBlockID.PartsHash},
		{"last commit hash", h.LastCommitHash}, {"data hash", h.DataHash}, {"evidence hash", h.EvidenceHash},
		{"validators hash", h.ValidatorsHash}, {"next validators hash", h.NextValidatorsHash},
		{"consensus hash", h.ConsensusHash}, {"last results hash", h.LastResultsHash}} {
		if err := validateHash(f.name, f.v); err != nil {
			return err
		}
	}
	if len(h.ProposerAddress) != AddressSize {
		return fmt.Errorf("%w: proposer address is %d bytes, want %d", ErrMalformed, len(h.ProposerAddress), AddressSize)
	}
	return nil
}

// validateBasic checks a commit signature's shape.
func (s CommitSig) validateBasic() error {
	switch s.Flag {
	case FlagAbsent:
		if len(s.ValidatorAddress) != 0 || !s.Timestamp.IsZero() || len(s.Signature) != 0 {
			return fmt.Errorf("%w: an absent signature carries an address, time or signature", ErrMalformed)
		}
	case FlagCommit, FlagNil:
		if len(s.ValidatorAddress) != AddressSize {
			return fmt.Errorf("%w: validator address is %d bytes, want %d", ErrMalformed, len(s.ValidatorAddress), AddressSize)
		}
		if len(s.Signature) == 0 || len(s.Signature) > MaxSignatureSize {
			return fmt.Errorf("%w: signature of %d bytes", ErrMalformed, len(s.Signature))
		}
	default:
		return fmt.Errorf("%w: unknown block id flag %d", ErrMalformed, s.Flag)
	}
	return nil
}

// ValidateBasic makes CometBFT's checks of a commit that need no state.
func (c *Commit) ValidateBasic() error {
	if c.Height < 0 || c.Round < 0 {
		return fmt.Errorf("%w: negative commit height or round", ErrMalformed)
	}
	if err := validateHash("commit block id hash", c.BlockID.Hash); err != nil {
		return err
	}
	if c.Height >= 1 {
		if c.BlockID.IsZero() {
			return fmt.Errorf("%w: commit for no block", ErrMalformed)
		}
		if len(c.Signatures) == 0 {
			return fmt.Errorf("%w: commit without signatures", ErrMalformed)
		}
		for i, s := range c.Signatures {
			if err := s.validateBasic(); err != nil {
				return fmt.Errorf("commit signature %d: %w", i, err)
			}
		}
	}
	return nil
}

// ValidateBasic checks the set: not empty, each address derived from its
// key, powers not negative and their sum in range, the proposer one of it.
func (s *ValidatorSet) ValidateBasic() error {
	if len(s.Validators) == 0 {
		return fmt.Errorf("%w: empty validator set", ErrMalformed)
	}
	for i, v := range s.Validators {
		if err := v.validateBasic(); err != nil {
			return fmt.Errorf("validator %d: %w", i, err)
		}
	}
	if _, err := s.TotalPower(); err != nil {
		return err
	}
	if s.Proposer == nil {
		return fmt.Errorf("%w: validator set without proposer", ErrMalformed)
	}
	if err := s.Proposer.validateBasic(); err != nil {
		return fmt.Errorf("proposer: %w", err)
	}
	if s.byAddress(s.Proposer.Address) < 0 {
		return fmt.Errorf("%w: the proposer is not in the validator set", ErrMalformed)
	}
	return nil
}

func (v Validator) validateBasic() error {
	if len(v.PubKey) != PubKeySize {
		return fmt.Errorf("%w: Ed25519 public key of %d bytes", ErrMalformed, len(v.PubKey))
	}
	if v.Power < 0 {
		return fmt.Errorf("%w: negative voting power", ErrMalformed)
	}
	if !bytes.Equal(v.Address, AddressOf(v.PubKey)) {
		return fmt.Errorf("%w: address %X is not derived from the public key", ErrMalformed, v.Address)
	}
	return nil
}

// ValidateBasic makes CometBFT's checks of a light block that need no
// trust: the header and commit are well formed, of chainID, the commit is
// for this header, and the validator set is the one the header names.
func (lb *LightBlock) ValidateBasic(chainID string) error {
	if err := lb.Header.ValidateBasic(); err != nil {
		return err
	}
	if err := lb.Commit.ValidateBasic(); err != nil {
		return err
	}
	if lb.Header.ChainID != chainID {
		return fmt.Errorf("%w: header of chain %q, not %q", ErrMalformed, lb.Header.ChainID, chainID)
	}
	if lb.Commit.Height != lb.Header.Height {
		return fmt.Errorf("%w: header height %d, commit height %d", ErrMalformed, lb.Header.Height, lb.Commit.Height)
	}
	if hh := lb.Header.Hash(); !bytes.Equal(hh, lb.Commit.BlockID.Hash) {
		return fmt.Errorf("%w: the commit signs block %X, the header is block %X", ErrMalformed, lb.Commit.BlockID.Hash, hh)
	}
	if err := lb.Validators.ValidateBasic(); err != nil {
		return err
	}
	if vh := lb.Validators.Hash(); !bytes.Equal(vh, lb.Header.ValidatorsHash) {
		return fmt.Errorf("%w: the header's validators hash %X is not the validator set's %X", ErrMalformed, lb.Header.ValidatorsHash, vh)
	}
	return nil
}
