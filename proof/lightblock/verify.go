// SPDX-License-Identifier: Apache-2.0

package lightblock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/oasisprotocol/curve25519-voi/primitives/ed25519"

	"github.com/traceledger/traceledger/proof"
	traceledgerv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Defaults of Options, as package proof/light has them.
const (
	DefaultTrustingPeriod = 10 * 365 * 24 * time.Hour
	DefaultMaxClockDrift  = 10 * time.Second
)

// Options tune header verification.
type Options struct {
	// TrustingPeriod defaults to DefaultTrustingPeriod.
	TrustingPeriod time.Duration
	// Now is the time headers are checked at; zero means the time of the
	// newest header given (headers checked against each other, not the
	// wall clock, as offline proof bundles are).
	Now time.Time
	// MaxClockDrift defaults to DefaultMaxClockDrift.
	MaxClockDrift time.Duration
}

func (o Options) withDefaults(blocks ...*LightBlock) Options {
	if o.TrustingPeriod <= 0 {
		o.TrustingPeriod = DefaultTrustingPeriod
	}
	if o.MaxClockDrift <= 0 {
		o.MaxClockDrift = DefaultMaxClockDrift
	}
	if o.Now.IsZero() {
		for _, b := range blocks {
			if b != nil && b.Header.Time.After(o.Now) {
				o.Now = b.Header.Time
			}
		}
	}
	return o
}

var zip215 = &ed25519.Options{Verify: ed25519.VerifyOptionsZIP_215}

// verifySig checks an Ed25519 signature as CometBFT does (ZIP-215).
func verifySig(pub, msg, sig []byte) bool {
	if len(pub) != PubKeySize || len(sig) != SignatureSize {
		return false
	}
	return ed25519.VerifyWithOptions(ed25519.PublicKey(pub), msg, sig, zip215)
}

// VerifyCommitLight checks that more than 2/3 of vals' power signed commit
// for blockID at height, vals matching the commit's signatures by index
// (CometBFT's VerifyCommitLight; with all, every signature for the block
// is checked, not only enough of them: VerifyCommitLightAllSignatures).
func VerifyCommitLight(chainID string, vals *ValidatorSet, blockID BlockID, height int64, c *Commit, all bool) error {
	if vals == nil || c == nil {
		return fmt.Errorf("%w: no validator set or commit", ErrNotTrusted)
	}
	if len(vals.Validators) != len(c.Signatures) {
		return fmt.Errorf("%w: %d validators, %d commit signatures", ErrNotTrusted, len(vals.Validators), len(c.Signatures))
	}
	if height != c.Height {
		return fmt.Errorf("%w: commit for height %d, want %d", ErrNotTrusted, c.Height, height)
	}
	if !blockID.Equal(c.BlockID) {
		return fmt.Errorf("%w: commit for another block id", ErrNotTrusted)
	}
	total, err := vals.TotalPower()
	if err != nil {
		return err
	}
	needed := total * 2 / 3
	var tallied int64
	for i, s := range c.Signatures {
		if s.Flag != FlagCommit {
			continue
		}
		if err := s.validateBasic(); err != nil {
			return fmt.Errorf("commit signature %d: %w", i, err)
		}
		v := vals.Validators[i]
		if !bytes.Equal(v.Address, s.ValidatorAddress) {
			return fmt.Errorf("%w: validator address mismatch at index %d", ErrNotTrusted, i)
		}
		if !verifySig(v.PubKey, c.voteSignBytes(chainID, i), s.Signature) {
			return fmt.Errorf("%w: wrong signature of validator %X (#%d)", ErrNotTrusted, v.Address, i)
		}
		tallied += v.Power
		if !all && tallied > needed {
			return nil
		}
	}
	if tallied <= needed {
		return fmt.Errorf("%w: signed by voting power %d, more than %d needed", ErrNotTrusted, tallied, needed)
	}
	return nil
}

// VerifyCommitLightTrusting checks that more than num/den of the power of
// vals, a trusted set that need not be the commit's own, signed commit
// (validators matched by address; a validator signing twice is an error).
func VerifyCommitLightTrusting(chainID string, vals *ValidatorSet, c *Commit, num, den int64) error {
	if vals == nil || c == nil || den == 0 {
		return fmt.Errorf("%w: no validator set, commit or trust level", ErrNotTrusted)
	}
	total, err := vals.TotalPower()
	if err != nil {
		return err
	}
	needed := total * num / den
	var tallied int64
	seen := map[int]bool{}
	for i, s := range c.Signatures {
		if s.Flag != FlagCommit {
			continue
		}
		if err := s.validateBasic(); err != nil {
			return fmt.Errorf("commit signature %d: %w", i, err)
		}
		vi := vals.byAddress(s.ValidatorAddress)
		if vi < 0 {
			continue
		}
		if seen[vi] {
			return fmt.Errorf("%w: validator %X signed twice", ErrNotTrusted, s.ValidatorAddress)
		}
		seen[vi] = true
		v := vals.Validators[vi]
		if !verifySig(v.PubKey, c.voteSignBytes(chainID, i), s.Signature) {
			return fmt.Errorf("%w: wrong signature of validator %X (#%d)", ErrNotTrusted, v.Address, i)
		}
		tallied += v.Power
		if tallied > needed {
			return nil
		}
	}
	return fmt.Errorf("%w: the trusted validators signed with power %d, more than %d needed", ErrNotTrusted, tallied, needed)
}

// Verify checks untrusted from the trusted light block with CometBFT's
// light-client rules (light.Verify): the trusted header is not expired, the
// new one is well formed, later, not from the future, and carries its own
// validator set; an adjacent header's validators are the trusted header's
// next validators, a non-adjacent one is signed by more than 1/3 of the
// trusted set; and more than 2/3 of its own set signed it. Like
// proof/light.VerifyStep, it then checks every signature of the commit.
func Verify(chainID string, trusted, untrusted *LightBlock, opts Options) error {
	if trusted == nil || untrusted == nil {
		return fmt.Errorf("%w: no light block", ErrNotTrusted)
	}
	if err := untrusted.ValidateBasic(chainID); err != nil {
		return fmt.Errorf("light block %d: %w", untrusted.Height(), err)
	}
	opts = opts.withDefaults(trusted, untrusted)
	th, uh := &trusted.Header, &untrusted.Header
	if !th.Time.Add(opts.TrustingPeriod).After(opts.Now) {
		return fmt.Errorf("%w: trusted header %d expired at %s", ErrNotTrusted, th.Height, th.Time.Add(opts.TrustingPeriod))
	}
	if uh.Height <= th.Height {
		return fmt.Errorf("%w: header %d is not above the trusted header %d", ErrNotTrusted, uh.Height, th.Height)
	}
	if !uh.Time.After(th.Time) {
		return fmt.Errorf("%w: header %d's time %s is not after the trusted header's %s", ErrNotTrusted, uh.Height, uh.Time, th.Time)
	}
	if !uh.Time.Before(opts.Now.Add(opts.MaxClockDrift)) {
		return fmt.Errorf("%w: header %d is from the future (%s)", ErrNotTrusted, uh.Height, uh.Time)
	}
	if uh.Height == th.Height+1 {
		if !bytes.Equal(uh.ValidatorsHash, th.NextValidatorsHash) {
			return fmt.Errorf("%w: header %d's validators %X are not the next validators %X of header %d",
				ErrNotTrusted, uh.Height, uh.ValidatorsHash, th.NextValidatorsHash, th.Height)
		}
	} else if err := VerifyCommitLightTrusting(chainID, &trusted.Validators, &untrusted.Commit, 1, 3); err != nil {
		return fmt.Errorf("header %d from trusted header %d: %w", uh.Height, th.Height, err)
	}
	if err := VerifyCommitLight(chainID, &untrusted.Validators, untrusted.Commit.BlockID, uh.Height, &untrusted.Commit, true); err != nil {
		return fmt.Errorf("header %d: %w", uh.Height, err)
	}
	return nil
}

// TrustRoot is where header trust starts: the genesis validator set of a
// chain, at its initial height.
type TrustRoot struct {
	ChainID       string
	InitialHeight int64
	Validators    *ValidatorSet
	// GenesisHash is the genesis fingerprint (traceledger genesis hash:
	// SHA-256 of the compact genesis JSON) when the root was read from it.
	GenesisHash string
}

// jsonGenesis is the part of a CometBFT genesis document trust needs.
type jsonGenesis struct {
	ChainID       string `json:"chain_id"`
	InitialHeight string `json:"initial_height"`
	Validators    []struct {
		PubKey JSONPubKey `json:"pub_key"`
		Power  jsonInt64  `json:"power"`
	} `json:"validators"`
}

// GenesisTrustRoot reads the trust root from a genesis document in
// CometBFT's JSON. Its fingerprint is the SHA-256 of doc: pass the compact
// form (no insignificant whitespace), for which it is the hash `traceledger
// genesis hash` prints. The validators are put in CometBFT's canonical
// order (power descending, then address ascending).
func GenesisTrustRoot(doc []byte) (TrustRoot, error) {
	var g jsonGenesis
	if err := json.Unmarshal(doc, &g); err != nil {
		return TrustRoot{}, fmt.Errorf("%w: genesis document: %v", ErrMalformed, err)
	}
	if g.ChainID == "" {
		return TrustRoot{}, fmt.Errorf("%w: genesis document without chain id", ErrMalformed)
	}
	first := int64(1)
	if g.InitialHeight != "" {
		n, err := strconv.ParseInt(g.InitialHeight, 10, 64)
		if err != nil || n < 0 {
			return TrustRoot{}, fmt.Errorf("%w: genesis initial height %q", ErrMalformed, g.InitialHeight)
		}
		if n > 0 {
			first = n
		}
	}
	set := &ValidatorSet{}
	for i, v := range g.Validators {
		if v.PubKey.Type != PubKeyTypeEd25519 {
			return TrustRoot{}, fmt.Errorf("%w: genesis validator %d has key type %q: only %s keys are supported", ErrMalformed, i, v.PubKey.Type, PubKeyTypeEd25519)
		}
		set.Validators = append(set.Validators, Validator{Address: AddressOf(v.PubKey.Value), PubKey: v.PubKey.Value, Power: int64(v.Power)})
	}
	slices.SortStableFunc(set.Validators, func(a, b Validator) int {
		if a.Power != b.Power {
			if a.Power > b.Power {
				return -1
			}
			return 1
		}
		return bytes.Compare(a.Address, b.Address)
	})
	if len(set.Validators) > 0 {
		p := set.Validators[0]
		set.Proposer = &p
	}
	if err := set.ValidateBasic(); err != nil {
		return TrustRoot{}, fmt.Errorf("genesis validator set: %w", err)
	}
	sum := sha(doc)
	return TrustRoot{ChainID: g.ChainID, InitialHeight: first, Validators: set, GenesisHash: fmt.Sprintf("%x", sum)}, nil
}

// CheckAnchor checks lb as the first trusted light block: at the initial
// height, carrying exactly the genesis validator set, and signed by more
// than 2/3 of it (every signature checked).
func (r TrustRoot) CheckAnchor(lb *LightBlock) error {
	if lb == nil {
		return fmt.Errorf("%w: no light block at the trust root", ErrNotTrusted)
	}
	if err := lb.ValidateBasic(r.ChainID); err != nil {
		return fmt.Errorf("light block %d: %w", lb.Height(), err)
	}
	if lb.Height() != r.InitialHeight {
		return fmt.Errorf("%w: trust starts at height %d, the light block is at %d", ErrNotTrusted, r.InitialHeight, lb.Height())
	}
	if r.Validators == nil {
		return fmt.Errorf("%w: no genesis validator set", ErrNotTrusted)
	}
	if gh := r.Validators.Hash(); !bytes.Equal(lb.Header.ValidatorsHash, gh) {
		return fmt.Errorf("%w: the first block's validators hash %X is not the genesis validator set's %X", ErrNotTrusted, lb.Header.ValidatorsHash, gh)
	}
	if err := VerifyCommitLight(r.ChainID, r.Validators, lb.Commit.BlockID, lb.Height(), &lb.Commit, true); err != nil {
		return fmt.Errorf("the first block's commit: %w", err)
	}
	return nil
}

// VerifyChain checks blocks (ascending heights) from the trust root: the
// block at the initial height is the anchor (CheckAnchor), blocks below it
// are ignored, and each later one must verify from the one before it
// (Verify). It returns the verified blocks from the anchor on.
func VerifyChain(r TrustRoot, blocks []*LightBlock, opts Options) ([]*LightBlock, error) {
	opts = opts.withDefaults(blocks...)
	start := -1
	for i, b := range blocks {
		if b == nil {
			return nil, fmt.Errorf("%w: light block %d is empty", ErrMalformed, i)
		}
		if i > 0 && b.Height() <= blocks[i-1].Height() {
			return nil, fmt.Errorf("%w: light blocks are not in ascending height order at %d", ErrNotTrusted, i)
		}
		if b.Height() == r.InitialHeight {
			start = i
		}
	}
	if start < 0 {
		return nil, fmt.Errorf("%w: no light block at the trust root's height %d", ErrNotTrusted, r.InitialHeight)
	}
	if err := r.CheckAnchor(blocks[start]); err != nil {
		return nil, err
	}
	out := []*LightBlock{blocks[start]}
	for _, b := range blocks[start+1:] {
		if err := Verify(r.ChainID, out[len(out)-1], b, opts); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// VerifyRootsInHeader checks that lb, a verified light block, commits to
// roots: it is header roots.height+1 and its app hash is
// proof.AppHashOf(roots).
func VerifyRootsInHeader(roots *traceledgerv1.StateRoots, lb *LightBlock) error {
	if lb == nil {
		return fmt.Errorf("%w: no header", ErrNotTrusted)
	}
	return proof.VerifyAppHash(roots, lb.Height(), lb.Header.AppHash)
}

// Signed counts the commit's signatures for the block and their power, and
// the set's size and total power: "signed by N of M".
func (lb *LightBlock) Signed() (signed, validators int, signedPower, totalPower int64) {
	validators = len(lb.Validators.Validators)
	totalPower, _ = lb.Validators.TotalPower()
	for i, s := range lb.Commit.Signatures {
		if s.Flag != FlagCommit || i >= validators {
			continue
		}
		signed++
		signedPower += lb.Validators.Validators[i].Power
	}
	return
}
