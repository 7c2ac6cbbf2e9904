// SPDX-License-Identifier: Apache-2.0

package api

import (
	"cmp"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	"github.com/cometbft/cometbft/types"
	"github.com/cosmos/gogoproto/jsonpb"
	"github.com/cosmos/gogoproto/proto"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/proof"
	"github.com/traceledger/traceledger/proof/bundle"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Evidence is what a read answer rests on, for a client that trusts no
// server: the node's answers exactly as it gave them (protobuf, base64),
// and the light blocks (signed header and validator set, CometBFT's JSON)
// whose app hash commits to the answers' state roots. The API server
// checked both before serving them: the answers against their roots (Merkle
// proofs, completeness) and the headers with CometBFT's light client from
// the genesis trust root.
type Evidence struct {
	Answers []NodeAnswer `json:"answers"`
	// LightBlocks are in ascending height order; the answer at state
	// height H is committed by the app hash of light block H+1.
	LightBlocks []json.RawMessage `json:"light_blocks"`
}

// NodeAnswer is one ABCI query and the node's answer, unchanged.
type NodeAnswer struct {
	// Path is the ABCI query path, Request the marshalled request.
	Path    string `json:"path"`
	Request []byte `json:"request,omitempty"`
	// Height is the state height the node answered at; Value the
	// marshalled answer (e.g. a traceledger.v1.HistoryResponse).
	Height int64  `json:"height"`
	Value  []byte `json:"value"`
}

// marshaler and unmarshaler are the protobuf messages a read uses.
type marshaler interface{ Marshal() ([]byte, error) }
type unmarshaler interface{ Unmarshal([]byte) error }

// reader runs the queries of one request at one state height, verifies
// every answer and collects the evidence. It is safe for concurrent use
// (a trace reads histories in parallel).
type reader struct {
	s   *Server
	ctx context.Context

	latest bool // a latest read: its header must be fresh (client.CheckFresh)

	mu      sync.Mutex
	height  int64 // the state height every query is asked at (0 until the first answer, for latest)
	ev      Evidence
	blocks  map[int64]json.RawMessage   // light blocks by header height
	pending map[string]*tlv1.StateRoots // roots to verify, by their encoding
}

func (s *Server) newReader(ctx context.Context, height int64) *reader {
	return &reader{s: s, ctx: ctx, latest: height == 0, height: height, blocks: map[int64]json.RawMessage{}, pending: map[string]*tlv1.StateRoots{}}
}

// query asks path with req at the reader's height (the first answer of a
// latest read fixes it for the rest) and decodes the answer into resp. The
// answer is only recorded; the caller verifies it against its roots and
// calls roots.
func (r *reader) query(path string, req marshaler, resp unmarshaler) (int64, error) {
	var data []byte
	if req != nil {
		var err error
		if data, err = req.Marshal(); err != nil {
			return 0, fmt.Errorf("encode %s request: %w", path, err)
		}
	}
	r.mu.Lock()
	at := r.height
	r.mu.Unlock()
	start := time.Now()
	res, err := r.s.c.RPC().ABCIQueryWithOptions(r.ctx, path, data, rpcclient.ABCIQueryOptions{Height: at})
	r.s.metrics.nodeQuery.WithLabelValues(path).Observe(time.Since(start).Seconds())
	if err != nil {
		return 0, fmt.Errorf("query %s: %w", path, err)
	}
	if res.Response.Code != 0 {
		return 0, &client.QueryError{Code: res.Response.Code, Log: res.Response.Log}
	}
	h := res.Response.Height
	if at != 0 && h != at {
		return 0, fmt.Errorf("%w: asked at height %d, the node answered at %d", client.ErrNotVerified, at, h)
	}
	if err := resp.Unmarshal(res.Response.Value); err != nil {
		return 0, fmt.Errorf("%w: decode %s answer: %v", client.ErrNotVerified, path, err)
	}
	r.mu.Lock()
	if r.height == 0 {
		r.height = h
	}
	r.ev.Answers = append(r.ev.Answers, NodeAnswer{Path: path, Request: data, Height: h, Value: res.Response.Value})
	r.mu.Unlock()
	return h, nil
}

// roots notes that roots, the state roots of an answer at height, must be
// committed by a header the light client verified. The check is made by
// verify, after the reader's queries: a latest read asks every query at the
// first answer's height, and the node keeps only two heights, so the
// queries run before the wait for header H+1. Nothing is served before
// verify succeeds.
func (r *reader) roots(roots *tlv1.StateRoots, height int64) error {
	if roots == nil || roots.Height != height {
		return fmt.Errorf("%w: answer roots are not for the answered height %d", client.ErrNotVerified, height)
	}
	b, err := roots.Marshal()
	if err != nil {
		return fmt.Errorf("encode roots: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.pending[string(b)]; !ok {
		r.pending[string(b)] = roots
	}
	return nil
}

// verify checks every noted root against a verified header and adds those
// light blocks to the evidence.
func (r *reader) verify() error {
	r.mu.Lock()
	todo := make([]*tlv1.StateRoots, 0, len(r.pending))
	for _, roots := range r.pending {
		todo = append(todo, roots)
	}
	r.mu.Unlock()
	slices.SortFunc(todo, func(a, b *tlv1.StateRoots) int { return cmp.Compare(a.Height, b.Height) })
	if len(todo) == 0 {
		return fmt.Errorf("%w: no state roots to check the answer against", client.ErrNotVerified)
	}
	for _, roots := range todo {
		p, err := r.s.verifyRoots(r.ctx, roots, roots.Height)
		if err != nil {
			return err
		}
		if r.latest {
			if err := r.s.c.CheckFresh(p); err != nil {
				return err
			}
		}
		lb, err := r.s.lightBlock(r.ctx, p.Header)
		if err != nil {
			return err
		}
		r.mu.Lock()
		r.blocks[p.Header.Height] = lb.raw
		r.mu.Unlock()
	}
	return nil
}

// evidence returns what the reader collected.
func (r *reader) evidence() *Evidence {
	r.mu.Lock()
	defer r.mu.Unlock()
	ev := Evidence{Answers: slices.Clone(r.ev.Answers), LightBlocks: []json.RawMessage{}}
	heights := make([]int64, 0, len(r.blocks))
	for h := range r.blocks {
		heights = append(heights, h)
	}
	slices.Sort(heights)
	for _, h := range heights {
		ev.LightBlocks = append(ev.LightBlocks, r.blocks[h])
	}
	return &ev
}

// answeredHeight is the state height the reader's answers are at.
func (r *reader) answeredHeight() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.height
}

// verifyRoots checks roots against the light client's headers.
//
// Requests at one state height share the wait for its header H+1: the
// first asks the light client (which waits while the header is not yet
// committed); the others wait for that check to end and then check their
// own roots, which for a header already verified is a lookup in the light
// client's store. Nothing else is serialised here: client.HeaderVerifier
// runs the light client one call at a time itself, so a request whose
// header is already verified never queues behind one that waits for the
// next block. A leader that fails (its node's roots did not match, or its
// request ended) decides nothing for the others: each checks its own.
func (s *Server) verifyRoots(ctx context.Context, roots *tlv1.StateRoots, height int64) (client.Proven, error) {
	s.flightMu.Lock()
	f, follower := s.flights[height]
	if !follower {
		f = make(chan struct{})
		s.flights[height] = f
	}
	s.flightMu.Unlock()
	if follower {
		s.metrics.sharedHeaderWaits.Inc()
		select {
		case <-f:
		case <-ctx.Done():
			return client.Proven{}, fmt.Errorf("waiting for header %d: %w", height+1, ctx.Err())
		}
		return s.c.VerifyAnswerRoots(ctx, roots, height)
	}
	defer func() {
		s.flightMu.Lock()
		delete(s.flights, height)
		s.flightMu.Unlock()
		close(f)
	}()
	return s.c.VerifyAnswerRoots(ctx, roots, height)
}

// cachedBlock is a light block in CometBFT's JSON.
type cachedBlock struct {
	raw json.RawMessage
}

// maxCachedBlocks bounds the light-block cache (one entry per height).
const maxCachedBlocks = 256

// lightBlock returns the light block of a verified header: the header with
// the validator set that signed it, read from the node and checked against
// the header's validators hash. Blocks are cached by height (immutable).
func (s *Server) lightBlock(ctx context.Context, sh *types.SignedHeader) (cachedBlock, error) {
	h := sh.Height
	hash := string(sh.Hash())
	s.blockMu.Lock()
	b, ok := s.blocks[h]
	s.blockMu.Unlock()
	if ok && b.hash == hash {
		return b.block, nil
	}
	var vals []*types.Validator
	for page := 1; ; page++ {
		perPage := 100
		pg := page
		res, err := s.c.RPC().Validators(ctx, &h, &pg, &perPage)
		if err != nil {
			return cachedBlock{}, fmt.Errorf("validators at height %d: %w", h, err)
		}
		vals = append(vals, res.Validators...)
		if len(vals) >= res.Total || len(res.Validators) == 0 {
			break
		}
	}
	vs := types.NewValidatorSet(vals)
	if string(vs.Hash()) != string(sh.ValidatorsHash) {
		return cachedBlock{}, fmt.Errorf("%w: the validator set the node gives for height %d is not the verified header's", client.ErrNotVerified, h)
	}
	lb := &types.LightBlock{SignedHeader: sh, ValidatorSet: vs}
	if err := lb.ValidateBasic(sh.ChainID); err != nil {
		return cachedBlock{}, fmt.Errorf("%w: light block %d: %v", client.ErrNotVerified, h, err)
	}
	raw, err := cmtjson.Marshal(lb)
	if err != nil {
		return cachedBlock{}, fmt.Errorf("encode light block %d: %w", h, err)
	}
	out := cachedBlock{raw: raw}
	s.blockMu.Lock()
	if len(s.blocks) >= maxCachedBlocks {
		clear(s.blocks)
	}
	s.blocks[h] = blockEntry{hash: hash, block: out}
	s.blockMu.Unlock()
	return out, nil
}

// blockEntry is a cached light block with its header hash.
type blockEntry struct {
	hash  string
	block cachedBlock
}

// Views: proofs and records as JSON, for people and for clients that do
// not decode protobuf. The evidence holds the same answers as the node's
// bytes.

// RecordView is a verified log record: its index, leaf hash, the bytes
// that were hashed (base64), the decoded record (protobuf JSON mapping)
// and its inclusion path in the log of the answer's state.
type RecordView struct {
	Index     uint64          `json:"index"`
	LeafHash  bundle.Hex      `json:"leaf_hash"`
	Kind      string          `json:"kind"`
	Bytes     []byte          `json:"bytes"`
	Record    json.RawMessage `json:"record"`
	Inclusion []bundle.Hex    `json:"inclusion,omitempty"`
}

// recordView builds the view of a verified record and its proof.
func recordView(vr *proof.VerifiedRecord, pr *tlv1.ProvenRecord) (RecordView, error) {
	js, err := protoJSON(vr.Record)
	if err != nil {
		return RecordView{}, err
	}
	v := RecordView{Index: vr.Index, LeafHash: vr.LeafHash[:], Kind: tlv1.KindOf(vr.Record).String(), Bytes: vr.Bytes, Record: js}
	if pr != nil && pr.Inclusion != nil {
		for _, h := range pr.Inclusion.Hashes {
			v.Inclusion = append(v.Inclusion, h)
		}
	}
	return v, nil
}

// rootsView is the answer's state roots.
func rootsView(r *tlv1.StateRoots) bundle.State {
	if r == nil {
		return bundle.State{}
	}
	return bundle.State{Height: r.Height, LogSize: r.LogSize, LogRoot: r.LogRoot, MapRoot: r.MapRoot, RecordsRoot: r.RecordsRoot}
}

// protoJSON renders a message with the protobuf JSON mapping (field names
// as in the .proto files).
func protoJSON(m proto.Message) (json.RawMessage, error) {
	if m == nil {
		return json.RawMessage("null"), nil
	}
	mar := jsonpb.Marshaler{OrigName: true}
	s, err := mar.MarshalToString(m)
	if err != nil {
		return nil, fmt.Errorf("render %T as JSON: %w", m, err)
	}
	return json.RawMessage(s), nil
}

// hexOf is a lowercase hex string.
func hexOf(b []byte) string { return hex.EncodeToString(b) }

// replaceLast replaces the value of the last answer recorded by the
// proven part of it (an answer with fields no proof covers).
func (r *reader) replaceLast(m marshaler) error {
	b, err := m.Marshal()
	if err != nil {
		return fmt.Errorf("encode the proven answer: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := len(r.ev.Answers); n > 0 {
		r.ev.Answers[n-1].Value = b
	}
	return nil
}
