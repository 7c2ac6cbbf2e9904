// SPDX-License-Identifier: Apache-2.0

// Package bundle makes, reads and verifies offline proof bundles: a
// self-contained, versioned JSON document with an identifier's complete
// history at one height, the Merkle paths that prove it, optional further
// map entries (present or absent), and the CometBFT light blocks (signed
// headers and validator sets) that carry header trust from a trust root to
// the header that commits to the state. The format is specified in
// docs/proof-bundle.md. Verify needs no network: the proofs are checked
// with package proof and the headers with package proof/light.
package bundle

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/types"

	"github.com/traceledger/traceledger/epcis"
	"github.com/traceledger/traceledger/proof"
	"github.com/traceledger/traceledger/proof/light"
	traceledgerv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Format and Version identify the bundle format.
const (
	Format  = "traceledger-proof-bundle"
	Version = 1
)

// MaxBytes caps the size of a bundle a verifier reads.
const MaxBytes = 256 << 20

// ErrMalformed reports a bundle that is not a well-formed bundle of this
// format and version.
var ErrMalformed = errors.New("malformed proof bundle")

// Hex is bytes written in JSON as a lowercase hexadecimal string.
type Hex []byte

// MarshalJSON implements json.Marshaler.
func (h Hex) MarshalJSON() ([]byte, error) { return json.Marshal(hex.EncodeToString(h)) }

// UnmarshalJSON implements json.Unmarshaler; it accepts either case.
func (h *Hex) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("hex string: %w", err)
	}
	v, err := hex.DecodeString(s)
	if err != nil {
		return fmt.Errorf("hex string %q: %w", s, err)
	}
	*h = v
	return nil
}

// Bundle is the proof bundle document.
type Bundle struct {
	// Format is the constant Format and Version the constant Version.
	Format  string `json:"format"`
	Version int    `json:"version"`
	// ChainID is the network the proofs are about.
	ChainID string `json:"chain_id"`
	// Identifier is the subject (product, lot, ...) whose history this is.
	Identifier string `json:"identifier"`
	// CreatedAt is when the bundle was made (informational, not verified).
	CreatedAt string `json:"created_at,omitempty"`
	// Trust says which trust root the light blocks start from.
	Trust Trust `json:"trust"`
	// State are the roots at the state height H; header H+1 commits to them.
	State State `json:"state"`
	// Head proves the identifier's head (or its absence) in the map.
	Head Value `json:"head"`
	// Records are the identifier's records in log order.
	Records []Record `json:"records"`
	// Values are further map entries proven present or absent at H, e.g. no
	// recall for the lot.
	Values []Value `json:"values,omitempty"`
	// LightBlocks are CometBFT light blocks (signed header and validator
	// set, in CometBFT's JSON encoding) in ascending height order, from the
	// trust root's height to H+1.
	LightBlocks []json.RawMessage `json:"light_blocks"`
}

// Trust names the trust root the light blocks were chosen for. A
// verifier brings its own root; one at another height needs a light block
// at that height in the bundle.
type Trust struct {
	// Kind is "genesis" or "header".
	Kind string `json:"kind"`
	// Height is the height trust starts at (the initial height for genesis).
	Height int64 `json:"height"`
	// Hash is the trusted header's hash (kind "header").
	Hash Hex `json:"hash,omitempty"`
}

// State are the state roots at height H.
type State struct {
	Height      int64  `json:"height"`
	LogSize     uint64 `json:"log_size"`
	LogRoot     Hex    `json:"log_root"`
	MapRoot     Hex    `json:"map_root"`
	RecordsRoot Hex    `json:"records_root"`
}

// MapProof is a map proof (docs/PROOFS.md, "The authenticated map").
type MapProof struct {
	Depth         uint32 `json:"depth"`
	EmptySiblings Hex    `json:"empty_siblings"`
	Siblings      []Hex  `json:"siblings"`
	LeafKeyHash   Hex    `json:"leaf_key_hash"`
	LeafValueHash Hex    `json:"leaf_value_hash"`
}

// Value is a map entry, or its absence when Value is empty.
type Value struct {
	Key string `json:"key"`
	// Value is the entry's bytes (base64); empty or absent means the key is
	// proven absent.
	Value []byte   `json:"value,omitempty"`
	Proof MapProof `json:"proof"`
}

// Record is one log record with its RFC 6962 inclusion path.
type Record struct {
	Index uint64 `json:"index"`
	// Record is the marshalled traceledgerv1.Record (base64) exactly as
	// hashed.
	Record []byte `json:"record"`
	// Inclusion are the path's hashes, from the leaf upward, in the log of
	// State.LogSize leaves.
	Inclusion []Hex `json:"inclusion"`
}

// hexes converts between [][]byte and []Hex.
func toHexes(in [][]byte) []Hex {
	out := make([]Hex, len(in))
	for i, b := range in {
		out[i] = b
	}
	return out
}

func fromHexes(in []Hex) [][]byte {
	out := make([][]byte, len(in))
	for i, b := range in {
		out[i] = b
	}
	return out
}

func mapProofOf(p *traceledgerv1.MapProof) MapProof {
	if p == nil {
		return MapProof{}
	}
	return MapProof{Depth: p.Depth, EmptySiblings: p.EmptySiblings, Siblings: toHexes(p.Siblings),
		LeafKeyHash: p.LeafKeyHash, LeafValueHash: p.LeafValueHash}
}

func (p MapProof) wire() *traceledgerv1.MapProof {
	return &traceledgerv1.MapProof{Depth: p.Depth, EmptySiblings: p.EmptySiblings, Siblings: fromHexes(p.Siblings),
		LeafKeyHash: p.LeafKeyHash, LeafValueHash: p.LeafValueHash}
}

// ValueOf converts a proven map entry.
func ValueOf(pv *traceledgerv1.ProvenValue) Value {
	if pv == nil {
		return Value{}
	}
	return Value{Key: pv.Key, Value: pv.Value, Proof: mapProofOf(pv.Proof)}
}

func (v Value) wire() *traceledgerv1.ProvenValue {
	return &traceledgerv1.ProvenValue{Key: v.Key, Value: v.Value, Proof: v.Proof.wire()}
}

// Roots returns the bundle's state roots as the wire message.
func (b *Bundle) Roots() *traceledgerv1.StateRoots {
	return &traceledgerv1.StateRoots{Height: b.State.Height, LogSize: b.State.LogSize,
		LogRoot: b.State.LogRoot, MapRoot: b.State.MapRoot, RecordsRoot: b.State.RecordsRoot}
}

// history returns the bundle's history as the wire answer.
func (b *Bundle) history() *traceledgerv1.HistoryResponse {
	resp := &traceledgerv1.HistoryResponse{Roots: b.Roots(), Head: b.Head.wire()}
	for _, r := range b.Records {
		resp.Records = append(resp.Records, &traceledgerv1.ProvenRecord{Index: r.Index, Record: r.Record,
			Inclusion: &traceledgerv1.LogInclusionProof{Index: r.Index, Size_: b.State.LogSize, Hashes: fromHexes(r.Inclusion)}})
	}
	return resp
}

// New assembles a bundle from a history answer, further map entries
// answered at the same state, and the light blocks from the trust root to
// header H+1 (ascending). trust names the root those blocks start from.
func New(chainID, identifier string, trust Trust, hist *traceledgerv1.HistoryResponse,
	values []*traceledgerv1.ProvenValue, blocks []*types.LightBlock, created time.Time,
) (*Bundle, error) {
	if hist == nil || hist.Roots == nil {
		return nil, fmt.Errorf("%w: no history answer", ErrMalformed)
	}
	r := hist.Roots
	b := &Bundle{Format: Format, Version: Version, ChainID: chainID, Identifier: identifier, Trust: trust,
		State: State{Height: r.Height, LogSize: r.LogSize, LogRoot: r.LogRoot, MapRoot: r.MapRoot, RecordsRoot: r.RecordsRoot},
		Head:  ValueOf(hist.Head), Records: []Record{}}
	if !created.IsZero() {
		b.CreatedAt = created.UTC().Format(time.RFC3339)
	}
	for _, pr := range hist.Records {
		if pr == nil || pr.Inclusion == nil {
			return nil, fmt.Errorf("%w: a record without inclusion proof", ErrMalformed)
		}
		b.Records = append(b.Records, Record{Index: pr.Index, Record: pr.Record, Inclusion: toHexes(pr.Inclusion.Hashes)})
	}
	for _, v := range values {
		b.Values = append(b.Values, ValueOf(v))
	}
	for _, lb := range blocks {
		raw, err := cmtjson.Marshal(lb)
		if err != nil {
			return nil, fmt.Errorf("encode light block: %w", err)
		}
		b.LightBlocks = append(b.LightBlocks, raw)
	}
	return b, nil
}

// Encode writes the bundle as indented JSON.
func (b *Bundle) Encode(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(b)
}

// Decode reads a bundle strictly: unknown fields, trailing data, a
// different format or version are errors wrapping ErrMalformed.
func Decode(r io.Reader) (*Bundle, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read bundle: %w", err)
	}
	if len(data) > MaxBytes {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrMalformed, MaxBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var b Bundle
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the bundle", ErrMalformed)
	}
	if b.Format != Format || b.Version != Version {
		return nil, fmt.Errorf("%w: format %q version %d; this verifier reads %q version %d", ErrMalformed, b.Format, b.Version, Format, Version)
	}
	return &b, nil
}

// DecodeLightBlocks decodes the bundle's light blocks.
func (b *Bundle) DecodeLightBlocks() ([]*types.LightBlock, error) {
	out := make([]*types.LightBlock, len(b.LightBlocks))
	for i, raw := range b.LightBlocks {
		var lb types.LightBlock
		if err := cmtjson.Unmarshal(raw, &lb); err != nil {
			return nil, fmt.Errorf("%w: light block %d: %v", ErrMalformed, i, err)
		}
		if lb.SignedHeader == nil || lb.Header == nil || lb.Commit == nil || lb.ValidatorSet == nil {
			return nil, fmt.Errorf("%w: light block %d is incomplete", ErrMalformed, i)
		}
		out[i] = &lb
	}
	return out, nil
}

// Report says what a bundle proved.
type Report struct {
	ChainID    string `json:"chain_id"`
	Identifier string `json:"identifier"`
	// TrustRoot describes where header trust started; HeaderPath lists the
	// heights of the light blocks verified from it.
	TrustRoot  string  `json:"trust_root"`
	HeaderPath []int64 `json:"header_path"`
	// StateHeight is H; Header is header H+1 (verified) whose app hash
	// commits to the state roots.
	StateHeight int64        `json:"state_height"`
	Header      HeaderReport `json:"header"`
	LogSize     uint64       `json:"log_size"`
	// HasHistory is false when the identifier is proven to have no record.
	HasHistory bool `json:"has_history"`
	// Count and ChainHash are the head's; Complete is true when the records
	// are proven to be all of them, in order.
	Count     uint64 `json:"count"`
	ChainHash Hex    `json:"chain_hash,omitempty"`
	Complete  bool   `json:"complete"`
	// Recalls counts the recall records in the history; with Complete it
	// proves whether the identifier was recalled as of the state height.
	Recalls int            `json:"recalls"`
	Records []RecordReport `json:"records"`
	Values  []ValueReport  `json:"values,omitempty"`
	// Errors lists every check that failed; Verified is true when there is
	// none.
	Errors   []string `json:"errors,omitempty"`
	Verified bool     `json:"verified"`
}

// HeaderReport describes the verified header that commits to the state.
type HeaderReport struct {
	Height  int64     `json:"height"`
	Hash    Hex       `json:"hash"`
	AppHash Hex       `json:"app_hash"`
	Time    time.Time `json:"time"`
	// Signed and Validators count the commit's signatures and the header's
	// validators; SignedPower and TotalPower are their voting power.
	Signed      int   `json:"signed"`
	Validators  int   `json:"validators"`
	SignedPower int64 `json:"signed_power"`
	TotalPower  int64 `json:"total_power"`
}

// RecordReport says what was proven about one record.
type RecordReport struct {
	Index     uint64 `json:"index"`
	LeafHash  Hex    `json:"leaf_hash,omitempty"`
	Height    int64  `json:"height"`
	TimeMs    int64  `json:"time_ms"`
	Signer    string `json:"signer"`
	Kind      string `json:"kind"`
	EventType string `json:"event_type,omitempty"`
	// Proven says what holds, e.g. "in the log of 42 records at state
	// height 17"; Error says why not.
	Proven   string `json:"proven,omitempty"`
	Error    string `json:"error,omitempty"`
	Verified bool   `json:"verified"`
}

// ValueReport says what was proven about one further map entry.
type ValueReport struct {
	Key      string `json:"key"`
	Present  bool   `json:"present"`
	Error    string `json:"error,omitempty"`
	Verified bool   `json:"verified"`
}

// RecordKind names a record's body for reports: the kind's stable name
// from the contract (traceledgerv1.KindOf) and a detail (the event type, the
// attestation or recall id, ...).
func RecordKind(r *traceledgerv1.Record) (kind, detail string) {
	kind = traceledgerv1.KindOf(r).String()
	switch b := r.GetBody().(type) {
	case *traceledgerv1.Record_Event:
		detail = b.Event.GetEventType()
	case *traceledgerv1.Record_ParticipantRegistered:
		detail = b.ParticipantRegistered.GetId()
	case *traceledgerv1.Record_Attestation:
		a := b.Attestation
		if a.GetIssued() != nil {
			detail = a.GetAttestationId()
		} else {
			detail = fmt.Sprintf("%s %s -> %s", a.GetAttestationId(), a.GetFrom(), a.GetTo())
		}
	case *traceledgerv1.Record_Credit:
		if rc := b.Credit.GetRecall(); rc != nil {
			detail = rc.GetBody().GetId()
		}
	}
	return kind, detail
}

// Verify checks b with no network: the light blocks from root to
// header H+1 (light.VerifyHeaderChain), the state roots against that header's app
// hash, the identifier's head in the map (or its absence), each record's
// inclusion in the log, completeness (count, order, chain hash, last
// index), and each further map entry. The report says, per record and
// entry, what was proven; the error is nil only if everything verified.
func Verify(b *Bundle, root light.TrustRoot, opts light.HeaderOptions) (*Report, error) {
	rep := &Report{ChainID: b.ChainID, Identifier: b.Identifier, TrustRoot: root.String(),
		StateHeight: b.State.Height, LogSize: b.State.LogSize, Records: []RecordReport{}}
	fail := func(err error) (*Report, error) {
		rep.Errors = append(rep.Errors, err.Error())
		rep.Verified = false
		return rep, err
	}
	if b.Format != Format || b.Version != Version {
		return fail(fmt.Errorf("%w: format %q version %d", ErrMalformed, b.Format, b.Version))
	}
	// Header trust: nothing below holds unless header H+1 is trusted.
	blocks, err := b.DecodeLightBlocks()
	if err != nil {
		return fail(err)
	}
	return verifyBlocks(b, blocks, root, opts, rep)
}

// verifyBlocks is Verify after the light blocks are decoded.
func verifyBlocks(b *Bundle, blocks []*types.LightBlock, root light.TrustRoot, opts light.HeaderOptions, rep *Report) (*Report, error) {
	fail := func(err error) (*Report, error) {
		rep.Errors = append(rep.Errors, err.Error())
		rep.Verified = false
		return rep, err
	}
	var errs []error
	note := func(err error) {
		errs = append(errs, err)
		rep.Errors = append(rep.Errors, err.Error())
	}
	if b.ChainID != root.ChainID {
		return fail(fmt.Errorf("%w: bundle is for chain %q, the trust root for %q", light.ErrHeaderNotTrusted, b.ChainID, root.ChainID))
	}
	verified, err := light.VerifyHeaderChain(root, blocks, opts)
	if err != nil {
		return fail(err)
	}
	var top *types.LightBlock
	for _, lb := range verified {
		rep.HeaderPath = append(rep.HeaderPath, lb.Height)
		if lb.Height == b.State.Height+1 {
			top = lb
		}
	}
	if top == nil {
		return fail(fmt.Errorf("%w: the light blocks do not reach header %d, which commits to state height %d", light.ErrHeaderNotTrusted, b.State.Height+1, b.State.Height))
	}
	rep.Header = headerReport(top)
	roots := b.Roots()
	if err := light.VerifyRootsInHeader(roots, top.SignedHeader); err != nil {
		return fail(err)
	}
	// The records, one by one.
	for _, br := range b.Records {
		rr := RecordReport{Index: br.Index}
		vr, err := proof.VerifyRecord(roots, &traceledgerv1.ProvenRecord{Index: br.Index, Record: br.Record,
			Inclusion: &traceledgerv1.LogInclusionProof{Index: br.Index, Size_: b.State.LogSize, Hashes: fromHexes(br.Inclusion)}})
		if err != nil {
			rr.Error = err.Error()
			note(fmt.Errorf("record %d: %w", br.Index, err))
		} else {
			rr.Verified = true
			rr.LeafHash = vr.LeafHash[:]
			rr.Height, rr.TimeMs, rr.Signer = vr.Record.Height, vr.Record.TimeMs, vr.Record.Signer
			rr.Kind, rr.EventType = RecordKind(vr.Record)
			if rr.Kind == "recall" {
				rep.Recalls++
			}
			rr.Proven = fmt.Sprintf("in the log of %d records at state height %d (header %d)", b.State.LogSize, b.State.Height, top.Height)
		}
		rep.Records = append(rep.Records, rr)
	}
	// The head and completeness.
	vh, err := proof.VerifyHistory(b.Identifier, traceledgerv1.HeadKey(b.Identifier), b.history())
	if err != nil {
		note(fmt.Errorf("history of %q: %w", b.Identifier, err))
	} else if c, cerr := epcis.CanonicalIdentifier(b.Identifier); vh.Head == nil && (cerr != nil || c != b.Identifier) {
		// Histories are filed under canonical identifiers only: the
		// absence of another spelling's head proves nothing about the lot.
		note(fmt.Errorf("the bundle proves no history for %q, which is not the canonical form of an identifier (its history would be under %q): an absence is only evidence for the canonical key", b.Identifier, c))
	} else {
		rep.Complete = true
		if vh.Head != nil {
			rep.HasHistory, rep.Count, rep.ChainHash = true, vh.Head.Count, vh.Head.ChainHash
			for i := range rep.Records {
				rep.Records[i].Proven += fmt.Sprintf("; record %d of %d of %q", i+1, vh.Head.Count, b.Identifier)
			}
		}
	}
	// Further map entries.
	for _, v := range b.Values {
		vrep := ValueReport{Key: v.Key}
		present, err := proof.VerifyValue(roots, v.Key, v.wire())
		if err != nil {
			vrep.Error = err.Error()
			note(fmt.Errorf("map entry %q: %w", v.Key, err))
		} else {
			vrep.Present, vrep.Verified = present, true
		}
		rep.Values = append(rep.Values, vrep)
	}
	rep.Verified = len(errs) == 0
	return rep, errors.Join(errs...)
}

func headerReport(lb *types.LightBlock) HeaderReport {
	hr := HeaderReport{Height: lb.Height, Hash: Hex(lb.Hash()), AppHash: Hex(lb.AppHash), Time: lb.Time,
		Validators: lb.ValidatorSet.Size(), TotalPower: lb.ValidatorSet.TotalVotingPower()}
	for _, s := range lb.Commit.Signatures {
		if s.BlockIDFlag != types.BlockIDFlagCommit {
			continue
		}
		hr.Signed++
		if _, v := lb.ValidatorSet.GetByAddress(s.ValidatorAddress); v != nil {
			hr.SignedPower += v.VotingPower
		}
	}
	return hr
}
