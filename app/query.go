// SPDX-License-Identifier: Apache-2.0

package app

import (
	"context"
	"fmt"
	"slices"
	"strings"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/traceledger/traceledger/proof"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// queryHandler answers one query path from a committed state; data is the
// request protobuf.
type queryHandler func(q *querier, data []byte) (marshaler, error)

// newQueries builds the path table from the core paths and each domain's.
func newQueries() map[string]queryHandler {
	m := map[string]queryHandler{
		tlv1.PathStatus: func(q *querier, _ []byte) (marshaler, error) {
			return &tlv1.StatusResponse{ChainId: q.c.info.ChainId, Roots: q.roots(), MapSize: uint64(q.c.tree.Len())}, nil
		},
		tlv1.PathRecord: func(q *querier, data []byte) (marshaler, error) {
			var r tlv1.RecordRequest
			if err := r.Unmarshal(data); err != nil {
				return nil, rejectf(tlv1.CodeInvalidQuery, "data is not a RecordRequest: %v", err)
			}
			return q.record(&r)
		},
		tlv1.PathHistory: func(q *querier, data []byte) (marshaler, error) {
			var r tlv1.HistoryRequest
			if err := r.Unmarshal(data); err != nil {
				return nil, rejectf(tlv1.CodeInvalidQuery, "data is not a HistoryRequest: %v", err)
			}
			return q.history(&r)
		},
		tlv1.PathValue: func(q *querier, data []byte) (marshaler, error) {
			var r tlv1.ValueRequest
			if err := r.Unmarshal(data); err != nil {
				return nil, rejectf(tlv1.CodeInvalidQuery, "data is not a ValueRequest: %v", err)
			}
			pv, err := q.value(r.Key)
			if err != nil {
				return nil, err
			}
			return &tlv1.ValueResponse{Roots: q.roots(), Value: pv}, nil
		},
	}
	for _, domain := range []map[string]queryHandler{governanceQueries(), epcisQueries(), proofQueries()} {
		for path, h := range domain {
			if _, dup := m[path]; dup {
				panic("app: two handlers for query path " + path)
			}
			m[path] = h
		}
	}
	return m
}

func (a *App) queryPaths() []string {
	out := make([]string, 0, len(a.queries))
	for p := range a.queries {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// MaxHistoryRecords caps the records one unpaged history answer carries
// (longer histories are read in pages of tlv1.MaxHistoryPage).
const MaxHistoryRecords = tlv1.MaxHistoryRecords

// Query answers read requests with proofs. Only the latest committed height
// and the one before it are served: the log itself carries all history.
func (a *App) Query(_ context.Context, req *abci.RequestQuery) (*abci.ResponseQuery, error) {
	if strings.HasPrefix(req.Path, tlv1.StorePathPrefix) {
		return a.storeQuery(req), nil // standard-format ProofOps (app/proofquery.go)
	}
	c, err := a.stateAt(req.Height)
	if err != nil {
		return queryError(err), nil
	}
	v := a.st.viewAt(c.info.Height)
	defer v.discard()
	q := &querier{c: c, v: v}
	h, ok := a.queries[req.Path]
	if !ok {
		return queryError(rejectf(tlv1.CodeInvalidQuery, "unknown query path %q (known: %s)", req.Path, strings.Join(a.queryPaths(), ", "))), nil
	}
	out, err := h(q, req.Data)
	if err != nil {
		return queryError(err), nil
	}
	bz, err := out.Marshal()
	if err != nil {
		return queryError(fmt.Errorf("encode answer: %w", err)), nil
	}
	return &abci.ResponseQuery{Code: uint32(tlv1.CodeOK), Value: bz, Height: c.info.Height}, nil
}

// stateAt picks the committed state a query reads: 0 means the latest.
func (a *App) stateAt(height int64) (*committed, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	switch {
	case a.cur == nil:
		return nil, rejectf(tlv1.CodeHeightUnavailable, "nothing is committed yet; retry after the first block")
	case height == 0 || height == a.cur.info.Height:
		return a.cur, nil
	case a.prev != nil && height == a.prev.info.Height:
		return a.prev, nil
	default:
		return nil, rejectf(tlv1.CodeHeightUnavailable, "height %d is not kept: this node serves heights %d and %d; query the latest and use the log for history",
			height, a.cur.info.Height, a.cur.info.Height-1)
	}
}

func queryError(err error) *abci.ResponseQuery {
	return &abci.ResponseQuery{Code: uint32(CodeOf(err)), Codespace: tlv1.Codespace, Log: err.Error()}
}

// querier builds answers from one committed state.
type querier struct {
	c *committed
	v *view
}

func (q *querier) roots() *tlv1.StateRoots {
	return &tlv1.StateRoots{Height: q.c.info.Height, LogSize: q.c.info.LogSize, LogRoot: q.c.info.LogRoot, MapRoot: q.c.info.MapRoot, RecordsRoot: q.c.info.RecordsRoot}
}

func (q *querier) provenRecord(index uint64) (*tlv1.ProvenRecord, error) {
	if index >= q.c.info.LogSize {
		return nil, rejectf(tlv1.CodeNotFound, "log index %d is beyond the log size %d at height %d", index, q.c.info.LogSize, q.c.info.Height)
	}
	rec, err := q.v.record(index)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, fmt.Errorf("record %d missing from storage", index)
	}
	incl, err := inclusionProof(q.v, index, q.c.info.LogSize)
	if err != nil {
		return nil, err
	}
	return &tlv1.ProvenRecord{Index: index, Record: rec, Inclusion: incl}, nil
}

func (q *querier) record(r *tlv1.RecordRequest) (*tlv1.RecordResponse, error) {
	index := r.Index
	if len(r.LeafHash) > 0 {
		if len(r.LeafHash) != 32 {
			return nil, rejectf(tlv1.CodeInvalidQuery, "leaf_hash is %d bytes, want 32", len(r.LeafHash))
		}
		i, ok, err := q.v.indexOfLeaf(r.LeafHash)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, rejectf(tlv1.CodeNotFound, "no record has leaf hash %X at height %d", r.LeafHash, q.c.info.Height)
		}
		index = i
	}
	pr, err := q.provenRecord(index)
	if err != nil {
		return nil, err
	}
	return &tlv1.RecordResponse{Roots: q.roots(), Record: pr}, nil
}

// value proves the map entry at key, or its absence.
func (q *querier) value(key string) (*tlv1.ProvenValue, error) {
	if key == "" {
		return nil, rejectf(tlv1.CodeInvalidQuery, "key is empty")
	}
	val, err := q.v.mapValue(key)
	if err != nil {
		return nil, err
	}
	return &tlv1.ProvenValue{Key: key, Value: val, Proof: q.c.tree.Prove(proof.MapKeyHash([]byte(key)))}, nil
}

// history answers a HistoryRequest: the whole history (limit 0), or the
// page the request selects (proof.HistoryPageBounds) with what links it to
// the head: the chain value before it and the leaf hashes after it, up to
// the head or the request's anchor (docs/PROOFS.md, "Paged histories").
// The chain value before a page is rehashed from the subject's first
// record, so a page costs reads of every record up to the end of its
// suffix; it is not kept in the state.
func (q *querier) history(r *tlv1.HistoryRequest) (*tlv1.HistoryResponse, error) {
	subject := r.Subject
	if subject == "" {
		return nil, rejectf(tlv1.CodeInvalidQuery, "subject is empty")
	}
	// Histories live under canonical identifiers only (identifier.go): an
	// answer for another spelling would prove an absence that is not one.
	if c := mustCanonical(subject); c != subject {
		return nil, rejectf(tlv1.CodeInvalidQuery, "subject %q is not canonical: its history is under %q; ask for that", truncate(subject, 100), c)
	}
	head, err := q.value(tlv1.HeadKey(subject))
	if err != nil {
		return nil, err
	}
	resp := &tlv1.HistoryResponse{Roots: q.roots(), Head: head}
	if head.Value == nil {
		return resp, nil // proven absent: no history, whichever page was asked
	}
	var h tlv1.Head
	if err := h.Unmarshal(head.Value); err != nil {
		return nil, fmt.Errorf("decode head of %q: %w", subject, err)
	}
	if r.Limit == 0 && h.Count > MaxHistoryRecords {
		return nil, rejectf(tlv1.CodeInvalidQuery, "%q has %d records, more than one answer carries (%d): ask for it in pages (HistoryRequest limit, at most %d records a page; from_end for the newest)",
			subject, h.Count, MaxHistoryRecords, tlv1.MaxHistoryPage)
	}
	b, err := proof.HistoryPageBounds(r, h.Count)
	if err != nil {
		return nil, rejectf(tlv1.CodeInvalidQuery, "history page of %q (%d records): %v", truncate(subject, 100), h.Count, err)
	}
	leafAt := func(n uint64) ([32]byte, error) {
		idx, err := q.v.historyIndex(subject, n)
		if err != nil {
			return [32]byte{}, err
		}
		rec, err := q.v.record(idx)
		if err != nil {
			return [32]byte{}, err
		}
		if rec == nil {
			return [32]byte{}, fmt.Errorf("record %d missing from storage", idx)
		}
		return proof.LeafHash(rec), nil
	}
	var chain []byte
	for n := uint64(0); n < b.Start; n++ {
		lh, err := leafAt(n)
		if err != nil {
			return nil, err
		}
		c := proof.ChainHash(chain, lh)
		chain = c[:]
	}
	resp.Offset, resp.ChainBefore = b.Start, chain
	for n := b.Start; n < b.End; n++ {
		idx, err := q.v.historyIndex(subject, n)
		if err != nil {
			return nil, err
		}
		pr, err := q.provenRecord(idx)
		if err != nil {
			return nil, err
		}
		resp.Records = append(resp.Records, pr)
	}
	for n := b.End; n < b.SuffixEnd; n++ {
		lh, err := leafAt(n)
		if err != nil {
			return nil, err
		}
		resp.SuffixLeafHashes = append(resp.SuffixLeafHashes, lh[:])
	}
	return resp, nil
}
