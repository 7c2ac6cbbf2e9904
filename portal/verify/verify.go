// SPDX-License-Identifier: Apache-2.0

// Package verify is what the portal's page runs, compiled to WebAssembly
// (portal/wasm), to check in the browser what the API server sent: it
// trusts only the genesis document the page carries (and, if the user
// pinned one, only that genesis hash). From it, it verifies the light
// blocks of a proof bundle (the whole header path from the genesis
// validator set) and of every answer's evidence (each from the highest
// header already verified below it), the state roots of every answer
// against the app hash of header H+1, every record's inclusion proof, the
// completeness of every history (count, order, chain hash) and every map
// entry's proof; it checks that the server's JSON rendering agrees with the
// verified bytes; and it runs the trace-back walk (package trace) over the
// verified histories itself, so the graph and the recall banner rest on
// verified records only.
//
// The page draws only what Verify returns: records and values decoded from
// the verified bytes. When a check fails, Result.Verified is false, the
// errors say why, and the views (decoded from the same untrusted bytes)
// are to be shown marked as unverified.
//
// The package never links CometBFT (package proof/lightblock verifies the
// headers), so it builds for GOOS=js GOARCH=wasm.
package verify

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/traceledger/traceledger/epcis"
	"github.com/traceledger/traceledger/proof"
	"github.com/traceledger/traceledger/proof/lightblock"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
	"github.com/traceledger/traceledger/trace"
)

// Input is what the page hands over.
type Input struct {
	// Genesis is the genesis document the page carries (compact JSON,
	// base64 in JSON); its SHA-256 is the genesis hash.
	Genesis []byte `json:"genesis"`
	// Pin, when set, is the genesis hash the user pinned: any other
	// genesis is refused.
	Pin string `json:"pin,omitempty"`
	// Product is the canonical identifier of the product page.
	Product string `json:"product"`
	// Bundle is the product's proof bundle (/v1/bundles/{id}): its
	// history and the header path from the genesis.
	Bundle json.RawMessage `json:"bundle"`
	// Answers are API read answers (/v1/history, /v1/trace/back,
	// /v1/credit, /v1/attestations, ...): envelopes with data and
	// evidence.
	Answers []json.RawMessage `json:"answers,omitempty"`
	// Trace asks for the trace-back walk from Product over the verified
	// histories (the answers must include /v1/trace/back's).
	Trace bool `json:"trace,omitempty"`
}

// Result is what the page draws.
type Result struct {
	// Verified is true only when every check passed.
	Verified bool     `json:"verified"`
	Errors   []string `json:"errors"`
	// Checks lists what was verified, for the page's details.
	Checks []string `json:"checks"`

	ChainID     string `json:"chain_id"`
	GenesisHash string `json:"genesis_hash"`
	// GenesisValidators is the size of the genesis validator set.
	GenesisValidators int `json:"genesis_validators"`

	Product string `json:"product"`
	// StateHeight is the bundle's state height H; Header the verified
	// header H+1 that commits to it.
	StateHeight int64      `json:"state_height"`
	Header      HeaderView `json:"header"`
	HeaderPath  []int64    `json:"header_path"`

	// History is the product's history (from the bundle).
	History *HistoryView `json:"history"`
	// Histories are every history read, by subject.
	Histories map[string]*HistoryView `json:"histories"`
	// Participants and Attestations are the map entries read, decoded.
	Participants map[string]*ParticipantView `json:"participants"`
	Attestations map[string]*AttestationView `json:"attestations"`
	// Credit is each enterprise's credit profile (when its credit and
	// membership histories were read).
	Credit map[string]*CreditView `json:"credit"`
	// Graph and SevenLinks are the trace back from the product, computed
	// here; Recalls the recall records the walk reached.
	Graph      *trace.GraphView `json:"graph,omitempty"`
	SevenLinks *LinksView       `json:"seven_links,omitempty"`
	Recalls    []RecordView     `json:"recalls"`
	// Certs are the attestation records the walk reached.
	Certs []RecordView `json:"certifications"`

	Records   int     `json:"records_checked"`
	ElapsedMs float64 `json:"elapsed_ms"`
}

// HeaderView is the verified header that commits to the state.
type HeaderView struct {
	Height      int64     `json:"height"`
	Hash        string    `json:"hash"`
	Time        time.Time `json:"time"`
	Signed      int       `json:"signed"`
	Validators  int       `json:"validators"`
	SignedPower int64     `json:"signed_power"`
	TotalPower  int64     `json:"total_power"`
}

// HistoryView is a subject's history.
type HistoryView struct {
	Subject string       `json:"subject"`
	Count   uint64       `json:"count"`
	Absent  bool         `json:"absent"`
	Records []RecordView `json:"records"`
}

// CreditView is an enterprise's quality-credit profile: the records of
// its credit history by kind and the status changes (suspensions,
// reinstatements) of its membership history.
type CreditView struct {
	Enterprise     *ParticipantView `json:"enterprise"`
	Certifications []RecordView     `json:"certifications"`
	Recalls        []RecordView     `json:"recalls"`
	Complaints     []RecordView     `json:"complaints"`
	Violations     []RecordView     `json:"violations"`
	StatusChanges  []RecordView     `json:"status_changes"`
}

// LinksView is the seven-link report.
type LinksView struct {
	Present map[string][]uint64 `json:"present"`
	Missing []string            `json:"missing"`
}

// jsonHex is bytes as hex in JSON.
type jsonHex []byte

func (h *jsonHex) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := hex.DecodeString(s)
	*h = v
	return err
}

func hexes(in []jsonHex) [][]byte {
	out := make([][]byte, len(in))
	for i, h := range in {
		out[i] = h
	}
	return out
}

// The proof bundle document (docs/proof-bundle.md), as far as it is read.
type bundleDoc struct {
	Format     string `json:"format"`
	Version    int    `json:"version"`
	ChainID    string `json:"chain_id"`
	Identifier string `json:"identifier"`
	State      struct {
		Height      int64   `json:"height"`
		LogSize     uint64  `json:"log_size"`
		LogRoot     jsonHex `json:"log_root"`
		MapRoot     jsonHex `json:"map_root"`
		RecordsRoot jsonHex `json:"records_root"`
	} `json:"state"`
	Head    bundleValue `json:"head"`
	Records []struct {
		Index     uint64    `json:"index"`
		Record    []byte    `json:"record"`
		Inclusion []jsonHex `json:"inclusion"`
	} `json:"records"`
	Values      []bundleValue     `json:"values"`
	LightBlocks []json.RawMessage `json:"light_blocks"`
}

type bundleValue struct {
	Key   string `json:"key"`
	Value []byte `json:"value"`
	Proof struct {
		Depth         uint32    `json:"depth"`
		EmptySiblings jsonHex   `json:"empty_siblings"`
		Siblings      []jsonHex `json:"siblings"`
		LeafKeyHash   jsonHex   `json:"leaf_key_hash"`
		LeafValueHash jsonHex   `json:"leaf_value_hash"`
	} `json:"proof"`
}

func (v bundleValue) wire() *tlv1.ProvenValue {
	return &tlv1.ProvenValue{Key: v.Key, Value: v.Value, Proof: &tlv1.MapProof{Depth: v.Proof.Depth, EmptySiblings: v.Proof.EmptySiblings,
		Siblings: hexes(v.Proof.Siblings), LeafKeyHash: v.Proof.LeafKeyHash, LeafValueHash: v.Proof.LeafValueHash}}
}

// Bundle format and version this verifier reads (proof/bundle's).
const (
	bundleFormat  = "traceledger-proof-bundle"
	bundleVersion = 1
)

// envelope is an API read answer.
type envelope struct {
	ChainID  string          `json:"chain_id"`
	Height   int64           `json:"height"`
	Data     json.RawMessage `json:"data"`
	Evidence *struct {
		Answers []struct {
			Path    string `json:"path"`
			Request []byte `json:"request"`
			Height  int64  `json:"height"`
			Value   []byte `json:"value"`
		} `json:"answers"`
		LightBlocks []json.RawMessage `json:"light_blocks"`
	} `json:"evidence"`
}

// verifier is one Verify run.
type verifier struct {
	root    lightblock.TrustRoot
	res     *Result
	trusted map[int64]*lightblock.LightBlock // verified headers by height
	heights []int64                          // their heights, ascending
	// records are the records seen, by log index: bytes and leaf hash.
	records map[uint64]*proof.VerifiedRecord
	// hists are the histories read (verified or, on failure, decoded),
	// values the map entries.
	hists  map[string]*trace.History
	values map[string][]byte
}

func (v *verifier) fail(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if !slices.Contains(v.res.Errors, msg) {
		v.res.Errors = append(v.res.Errors, msg)
	}
}

func (v *verifier) check(format string, args ...any) {
	v.res.Checks = append(v.res.Checks, fmt.Sprintf(format, args...))
}

// Verify checks in and returns what the page draws. It never returns an
// error: every failure is in Result.Errors, and Result.Verified is false.
func Verify(in Input) *Result {
	t0 := time.Now()
	res := &Result{Errors: []string{}, Checks: []string{}, Histories: map[string]*HistoryView{}, Participants: map[string]*ParticipantView{},
		Attestations: map[string]*AttestationView{}, Credit: map[string]*CreditView{}, Recalls: []RecordView{}, Certs: []RecordView{}, Product: in.Product}
	defer func() { res.ElapsedMs = float64(time.Since(t0).Microseconds()) / 1000 }()
	v := &verifier{res: res, trusted: map[int64]*lightblock.LightBlock{}, records: map[uint64]*proof.VerifiedRecord{},
		hists: map[string]*trace.History{}, values: map[string][]byte{}}
	root, err := lightblock.GenesisTrustRoot(in.Genesis)
	if err != nil {
		v.fail("the page's genesis document: %v", err)
		return res
	}
	v.root = root
	res.ChainID, res.GenesisHash, res.GenesisValidators = root.ChainID, root.GenesisHash, len(root.Validators.Validators)
	if in.Pin != "" && !bytes.EqualFold([]byte(in.Pin), []byte(root.GenesisHash)) {
		v.fail("the genesis this page carries (hash %s) is not the one you pinned (%s): the server may be another network's; nothing is verified", root.GenesisHash, in.Pin)
		return res
	}
	v.check("trust root: the genesis validator set of %s (%d validators, genesis hash %s)", root.ChainID, res.GenesisValidators, root.GenesisHash)
	v.bundle(in.Bundle, in.Product)
	for i, raw := range in.Answers {
		v.answer(i, raw)
	}
	v.collect()
	if in.Trace {
		v.walk(in.Product)
	}
	res.Records = len(v.records)
	res.Verified = len(res.Errors) == 0
	return res
}

// trust adds a verified light block.
func (v *verifier) trust(lb *lightblock.LightBlock) {
	if _, ok := v.trusted[lb.Height()]; !ok {
		v.trusted[lb.Height()] = lb
		v.heights = append(v.heights, lb.Height())
		slices.Sort(v.heights)
	}
}

// bundle verifies the product's proof bundle.
func (v *verifier) bundle(raw json.RawMessage, product string) {
	if len(raw) == 0 {
		v.fail("no proof bundle: the header path from the genesis is missing")
		return
	}
	var b bundleDoc
	if err := json.Unmarshal(raw, &b); err != nil {
		v.fail("the proof bundle does not decode: %v", err)
		return
	}
	if b.Format != bundleFormat || b.Version != bundleVersion {
		v.fail("the proof bundle is %q version %d; this page reads %q version %d", b.Format, b.Version, bundleFormat, bundleVersion)
		return
	}
	if b.ChainID != v.root.ChainID {
		v.fail("the proof bundle is for chain %q, the page's genesis for %q", b.ChainID, v.root.ChainID)
		return
	}
	if product != "" && b.Identifier != product {
		v.fail("the proof bundle is about %q, the page shows %q", b.Identifier, product)
	}
	if c, err := epcis.CanonicalIdentifier(b.Identifier); err != nil || c != b.Identifier {
		v.fail("the proof bundle's identifier %q is not canonical", b.Identifier)
	}
	roots := &tlv1.StateRoots{Height: b.State.Height, LogSize: b.State.LogSize, LogRoot: b.State.LogRoot, MapRoot: b.State.MapRoot, RecordsRoot: b.State.RecordsRoot}
	resp := &tlv1.HistoryResponse{Roots: roots, Head: b.Head.wire()}
	for _, r := range b.Records {
		resp.Records = append(resp.Records, &tlv1.ProvenRecord{Index: r.Index, Record: r.Record,
			Inclusion: &tlv1.LogInclusionProof{Index: r.Index, Size_: b.State.LogSize, Hashes: hexes(r.Inclusion)}})
	}
	v.res.StateHeight = b.State.Height
	var blocks []*lightblock.LightBlock
	for i, lraw := range b.LightBlocks {
		lb, err := lightblock.Decode(lraw)
		if err != nil {
			v.fail("the proof bundle's light block %d: %v", i, err)
			v.history(b.Identifier, resp, false)
			return
		}
		blocks = append(blocks, lb)
	}
	path, err := lightblock.VerifyChain(v.root, blocks, lightblock.Options{})
	if err != nil {
		v.fail("the header path from the genesis does not verify: %v", err)
		v.history(b.Identifier, resp, false)
		return
	}
	var top *lightblock.LightBlock
	for _, lb := range path {
		v.trust(lb)
		v.res.HeaderPath = append(v.res.HeaderPath, lb.Height())
		if lb.Height() == b.State.Height+1 {
			top = lb
		}
	}
	v.check("header path %v verified from the genesis validator set (CometBFT light-client rules, every signature checked)", v.res.HeaderPath)
	if top == nil {
		v.fail("the proof bundle's headers do not reach header %d, which commits to state height %d", b.State.Height+1, b.State.Height)
		v.history(b.Identifier, resp, false)
		return
	}
	signed, vals, sp, tp := top.Signed()
	v.res.Header = HeaderView{Height: top.Height(), Hash: fmt.Sprintf("%X", top.Header.Hash()), Time: top.Header.Time.UTC(),
		Signed: signed, Validators: vals, SignedPower: sp, TotalPower: tp}
	v.history(b.Identifier, resp, true)
	for _, bv := range b.Values {
		if err := v.rootsAt(roots, "the proof bundle"); err != nil {
			break
		}
		pv := bv.wire()
		present, err := proof.VerifyValue(roots, bv.Key, pv)
		if err != nil {
			v.fail("map entry %q: %v", bv.Key, err)
			continue
		}
		v.value(bv.Key, present, pv.Value)
	}
}

// rootsAt checks that roots are committed by a verified header.
func (v *verifier) rootsAt(roots *tlv1.StateRoots, what string) error {
	if roots == nil {
		err := fmt.Errorf("%s has no state roots", what)
		v.fail("%v", err)
		return err
	}
	lb := v.trusted[roots.Height+1]
	if lb == nil {
		err := fmt.Errorf("%s is at state height %d, but no verified header %d commits to it", what, roots.Height, roots.Height+1)
		v.fail("%v", err)
		return err
	}
	if err := lightblock.VerifyRootsInHeader(roots, lb); err != nil {
		err = fmt.Errorf("%s: its state roots are not the ones header %d commits to: %w", what, lb.Height(), err)
		v.fail("%v", err)
		return err
	}
	return nil
}

// history verifies a history answer (roots checked by the caller when
// rootsOK) and records it; on failure the records are still decoded, for
// the page to show as unverified.
func (v *verifier) history(subject string, resp *tlv1.HistoryResponse, rootsOK bool) {
	if rootsOK && v.rootsAt(resp.Roots, fmt.Sprintf("the history of %s", subject)) != nil {
		rootsOK = false
	}
	vh, err := proof.VerifyHistory(subject, tlv1.HeadKey(subject), resp)
	h := &trace.History{Subject: subject, Proofs: resp.Records, Roots: resp.Roots}
	if err != nil {
		v.fail("the history of %s: %v", subject, err)
		for _, pr := range resp.Records {
			if pr == nil {
				continue
			}
			var r tlv1.Record
			if r.Unmarshal(pr.Record) == nil {
				h.Records = append(h.Records, &proof.VerifiedRecord{Index: pr.Index, LeafHash: proof.LeafHash(pr.Record), Record: &r, Bytes: pr.Record})
			}
		}
		if len(h.Records) > 0 {
			h.Head = &tlv1.Head{Count: uint64(len(h.Records))}
		}
	} else {
		h.Head, h.Records = vh.Head, vh.Records
		if rootsOK {
			if vh.Head == nil {
				v.check("%s: proven to have no history at state height %d", subject, resp.Roots.Height)
			} else {
				v.check("%s: %d records, each in the log (RFC 6962 inclusion), the history complete (count, order, chain hash) at state height %d", subject, vh.Head.Count, resp.Roots.Height)
			}
		}
		for _, vr := range vh.Records {
			v.records[vr.Index] = vr
		}
	}
	if prev, ok := v.hists[subject]; ok && prev.Head != nil && h.Head != nil && prev.Head.Count > h.Head.Count {
		return // keep the longer (later) history
	}
	v.hists[subject] = h
}

// value records a verified map entry.
func (v *verifier) value(key string, present bool, b []byte) {
	if !present {
		b = nil
	}
	v.values[key] = b
}

// lightBlocks verifies an answer's light blocks: one already verified
// must be the same header; another is verified from the highest verified
// header below it.
func (v *verifier) lightBlocks(what string, raws []json.RawMessage) {
	for i, raw := range raws {
		lb, err := lightblock.Decode(raw)
		if err != nil {
			v.fail("%s, light block %d: %v", what, i, err)
			continue
		}
		if t := v.trusted[lb.Height()]; t != nil {
			if err := lb.ValidateBasic(v.root.ChainID); err != nil {
				v.fail("%s, light block %d: %v", what, lb.Height(), err)
			} else if !bytes.Equal(t.Header.Hash(), lb.Header.Hash()) {
				v.fail("%s: header %d is not the verified header of that height (two headers for one height)", what, lb.Height())
			}
			continue
		}
		var below *lightblock.LightBlock
		for _, h := range v.heights {
			if h < lb.Height() {
				below = v.trusted[h]
			}
		}
		if below == nil {
			v.fail("%s: no verified header below header %d to verify it from", what, lb.Height())
			continue
		}
		if err := lightblock.Verify(v.root.ChainID, below, lb, lightblock.Options{}); err != nil {
			v.fail("%s: header %d does not verify from header %d: %v", what, lb.Height(), below.Height(), err)
			continue
		}
		v.check("header %d verified from header %d", lb.Height(), below.Height())
		v.trust(lb)
	}
}

// answer verifies one API answer envelope.
func (v *verifier) answer(i int, raw json.RawMessage) {
	what := fmt.Sprintf("answer %d", i+1)
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		v.fail("%s does not decode: %v", what, err)
		return
	}
	if env.ChainID != v.root.ChainID {
		v.fail("%s is for chain %q, the page's genesis for %q", what, env.ChainID, v.root.ChainID)
		return
	}
	if env.Evidence == nil || len(env.Evidence.Answers) == 0 {
		v.fail("%s carries no evidence", what)
		return
	}
	v.lightBlocks(what, env.Evidence.LightBlocks)
	for j, a := range env.Evidence.Answers {
		awhat := fmt.Sprintf("%s, node answer %d (%s)", what, j+1, a.Path)
		switch a.Path {
		case tlv1.PathHistory:
			var req tlv1.HistoryRequest
			var resp tlv1.HistoryResponse
			if err := req.Unmarshal(a.Request); err != nil || resp.Unmarshal(a.Value) != nil {
				v.fail("%s does not decode", awhat)
				continue
			}
			if resp.Roots == nil || resp.Roots.Height != a.Height {
				v.fail("%s: the roots are not for the answered height %d", awhat, a.Height)
				continue
			}
			v.history(req.Subject, &resp, true)
		case tlv1.PathValue:
			var req tlv1.ValueRequest
			var resp tlv1.ValueResponse
			if err := req.Unmarshal(a.Request); err != nil || resp.Unmarshal(a.Value) != nil {
				v.fail("%s does not decode", awhat)
				continue
			}
			if resp.Roots == nil || resp.Roots.Height != a.Height {
				v.fail("%s: the roots are not for the answered height %d", awhat, a.Height)
				continue
			}
			if v.rootsAt(resp.Roots, fmt.Sprintf("map entry %q", req.Key)) != nil {
				continue
			}
			present, err := proof.VerifyValue(resp.Roots, req.Key, resp.Value)
			if err != nil {
				v.fail("map entry %q: %v", req.Key, err)
				continue
			}
			v.check("map entry %q proven %s at state height %d", req.Key, map[bool]string{true: "present", false: "absent"}[present], resp.Roots.Height)
			v.value(req.Key, present, resp.Value.GetValue())
		case tlv1.PathRecord:
			var req tlv1.RecordRequest
			var resp tlv1.RecordResponse
			if err := req.Unmarshal(a.Request); err != nil || resp.Unmarshal(a.Value) != nil {
				v.fail("%s does not decode", awhat)
				continue
			}
			if v.rootsAt(resp.Roots, fmt.Sprintf("record %d", req.Index)) != nil {
				continue
			}
			vr, err := proof.VerifyRecord(resp.Roots, resp.Record)
			if err != nil || (len(req.LeafHash) == 0 && vr.Index != req.Index) {
				v.fail("%s: the record does not verify: %v", awhat, err)
				continue
			}
			v.records[vr.Index] = vr
		default:
			v.fail("%s: this page does not check answers to %s", awhat, a.Path)
		}
	}
	v.crossCheck(what, env.Data)
}

// crossCheck walks the server's JSON rendering of an answer: every record
// it shows (an object with index and bytes) must be a verified record with
// those bytes, and every trace edge (log_index and leaf_hash) must rest on
// a verified record with that leaf hash.
func (v *verifier) crossCheck(what string, data json.RawMessage) {
	if len(data) == 0 {
		return
	}
	var doc any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		v.fail("%s: its data does not decode: %v", what, err)
		return
	}
	bad := 0
	var walk func(x any)
	walk = func(x any) {
		switch t := x.(type) {
		case []any:
			for _, e := range t {
				walk(e)
			}
		case map[string]any:
			if idx, ok := jsonIndex(t["index"]); ok {
				if s, ok := t["bytes"].(string); ok {
					vr := v.records[idx]
					if b, err := base64Decode(s); err != nil || vr == nil || !bytes.Equal(b, vr.Bytes) {
						bad++
						if bad > 3 {
							// enough said
						} else if vr == nil {
							v.fail("%s: the server's data shows record %d, which the evidence does not prove", what, idx)
						} else {
							v.fail("%s: the server's data shows record %d differently from the verified evidence", what, idx)
						}
					}
				}
			}
			if idx, ok := jsonIndex(t["log_index"]); ok {
				if s, ok := t["leaf_hash"].(string); ok && s != "" {
					vr := v.records[idx]
					if vr == nil || hex.EncodeToString(vr.LeafHash[:]) != s {
						bad++
						if bad <= 3 {
							v.fail("%s: the server's data names record %d with a leaf hash the verified evidence does not have", what, idx)
						}
					}
				}
			}
			keys := make([]string, 0, len(t))
			for k := range t {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(t[k])
			}
		}
	}
	walk(doc)
}

func jsonIndex(x any) (uint64, bool) {
	n, ok := x.(json.Number)
	if !ok {
		return 0, false
	}
	u, err := strconv.ParseUint(n.String(), 10, 64)
	return u, err == nil
}

// collect turns what was read into the views.
func (v *verifier) collect() {
	subjects := make([]string, 0, len(v.hists))
	for s := range v.hists {
		subjects = append(subjects, s)
	}
	sort.Strings(subjects)
	for _, s := range subjects {
		h := v.hists[s]
		hv := &HistoryView{Subject: s, Absent: h.Head == nil, Records: []RecordView{}}
		if h.Head != nil {
			hv.Count = h.Head.Count
		}
		for _, vr := range h.Records {
			hv.Records = append(hv.Records, viewOf(vr))
		}
		v.res.Histories[s] = hv
		if s == v.res.Product {
			v.res.History = hv
		}
	}
	keys := make([]string, 0, len(v.values))
	for k := range v.values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b := v.values[k]
		if id, ok := tlv1.ParseParticipantKey(k); ok && b != nil {
			var p tlv1.Participant
			if p.Unmarshal(b) == nil {
				v.res.Participants[id] = participantView(&p)
				if cv := v.credit(id); cv != nil {
					cv.Enterprise = v.res.Participants[id]
					v.res.Credit[id] = cv
				}
			}
		}
		if issuer, number, ok := tlv1.ParseAttestationKey(k); ok && b != nil {
			var a tlv1.Attestation
			if a.Unmarshal(b) == nil {
				v.res.Attestations[tlv1.AttestationID(issuer, number)] = attestationView(&a)
			}
		}
	}
}

// credit builds an enterprise's profile from its credit and membership
// histories, nil unless both were read.
func (v *verifier) credit(id string) *CreditView {
	ch, mh := v.res.Histories[tlv1.CreditSubject(id)], v.res.Histories[tlv1.ParticipantSubject(id)]
	if ch == nil || mh == nil {
		return nil
	}
	cv := &CreditView{Certifications: []RecordView{}, Recalls: []RecordView{}, Complaints: []RecordView{}, Violations: []RecordView{}, StatusChanges: []RecordView{}}
	for _, r := range ch.Records {
		switch {
		case r.Attestation != nil:
			cv.Certifications = append(cv.Certifications, r)
		case r.Recall != nil:
			cv.Recalls = append(cv.Recalls, r)
		case r.Complaint != nil:
			cv.Complaints = append(cv.Complaints, r)
		case r.Violation != nil:
			cv.Violations = append(cv.Violations, r)
		}
	}
	for _, r := range mh.Records {
		if r.Status != nil {
			cv.StatusChanges = append(cv.StatusChanges, r)
		}
	}
	return cv
}

// source is a trace.Source over what was read: a history or participant
// the walk needs and the answers did not carry is an error.
type source struct{ v *verifier }

// History implements trace.Source.
func (s source) History(_ context.Context, subject string) (*trace.History, error) {
	if h, ok := s.v.hists[canonical(subject)]; ok {
		return h, nil
	}
	return nil, fmt.Errorf("the answers do not carry the history of %s, which the trace back reaches", subject)
}

// Participant implements trace.Source.
func (s source) Participant(_ context.Context, id string) (*tlv1.Participant, error) {
	b, ok := s.v.values[tlv1.ParticipantKey(id)]
	if !ok {
		return nil, fmt.Errorf("the answers do not carry participant %s, whom the trace back reaches", id)
	}
	if b == nil {
		return nil, nil
	}
	var p tlv1.Participant
	if err := p.Unmarshal(b); err != nil {
		return nil, fmt.Errorf("participant %s does not decode: %w", id, err)
	}
	return &p, nil
}

// walk runs the trace back from product over the histories read.
func (v *verifier) walk(product string) {
	g, err := trace.NewIndex(source{v}).Walk(context.Background(), product, trace.Back)
	if err != nil {
		v.fail("trace back from %s: %v", product, err)
		return
	}
	gv := g.View(trace.Back)
	if gv.Edges == nil {
		gv.Edges = []trace.EdgeView{}
	}
	v.res.Graph = &gv
	rep := trace.SevenLinkReport(g)
	lv := &LinksView{Present: map[string][]uint64{}, Missing: []string{}}
	for l, evs := range rep.Present {
		for _, ev := range evs {
			lv.Present[trace.LinkName(l)] = append(lv.Present[trace.LinkName(l)], ev.Index)
		}
	}
	for _, l := range rep.Missing {
		lv.Missing = append(lv.Missing, trace.LinkName(l))
	}
	v.res.SevenLinks = lv
	nodes := map[string]bool{}
	for _, n := range g.Nodes {
		nodes[n] = true
	}
	for _, ev := range g.Recalls {
		rv := viewOf(ev.Record)
		for _, id := range append(append([]string{}, rv.Recall.Lots...), rv.Recall.Products...) {
			if c := canonical(id); nodes[c] && !slices.Contains(rv.Recall.Covers, c) {
				rv.Recall.Covers = append(rv.Recall.Covers, c)
			}
		}
		v.res.Recalls = append(v.res.Recalls, rv)
	}
	for _, ev := range g.Attestations {
		v.res.Certs = append(v.res.Certs, viewOf(ev.Record))
	}
	v.check("trace back from %s computed here over the verified histories: %d nodes, %d edges, %d recalls", product, len(g.Nodes), len(g.Edges), len(g.Recalls))
}

// base64Decode reads standard base64 (encoding/json's for []byte).
func base64Decode(s string) ([]byte, error) {
	var b []byte
	err := json.Unmarshal([]byte(strconv.Quote(s)), &b)
	return b, err
}

// epcisTimeMs parses an EPCIS event time (RFC 3339).
func epcisTimeMs(s string) (int64, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, false
	}
	return t.UnixMilli(), true
}

// ErrNoInput is returned by Decode for an empty input.
var ErrNoInput = errors.New("no input")

// Decode reads an Input from JSON.
func Decode(b []byte) (Input, error) {
	var in Input
	if len(bytes.TrimSpace(b)) == 0 {
		return in, ErrNoInput
	}
	if err := json.Unmarshal(b, &in); err != nil {
		return in, fmt.Errorf("decode the verifier's input: %w", err)
	}
	return in, nil
}
