// SPDX-License-Identifier: Apache-2.0

package watch

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/proof"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
	"github.com/traceledger/traceledger/trace"
)

// Source is what the watcher reads: the verified tip of the log, the
// records appended to it, and verified histories and participants (the
// trace.Source the rules walk).
type Source interface {
	trace.Source
	// Tip returns the latest committed state roots, verified against a
	// header the light client checked.
	Tip(ctx context.Context) (*tlv1.StateRoots, error)
	// Records returns the records at log indexes from..to-1, each proven
	// against roots (a Tip's answer). ErrMovedOn means the node no longer
	// keeps roots' height: ask Tip again.
	Records(ctx context.Context, roots *tlv1.StateRoots, from, to uint64) ([]*trace.Event, error)
}

// ErrMovedOn is a Records call at a height the node no longer keeps.
var ErrMovedOn = errors.New("the node no longer keeps that height")

// ClientSource reads through a verifying client: the tip is client.Status
// (its roots checked against a verified header), each record's inclusion
// proof is checked against the roots it was answered at and those against
// a verified header (once per height); histories are
// client.HistoryPagesOf (complete, verified).
type ClientSource struct {
	*trace.ClientSource
	// Workers is how many records are asked at once (16 when 0).
	Workers int

	mu       sync.Mutex
	verified map[string]bool // roots already checked against a header
}

// NewClientSource reads through c.
func NewClientSource(c *client.Client) *ClientSource {
	return &ClientSource{ClientSource: trace.NewClientSource(c)}
}

// Tip implements Source.
func (s *ClientSource) Tip(ctx context.Context) (*tlv1.StateRoots, error) {
	st, _, err := s.C.Status(ctx)
	if err != nil {
		return nil, err
	}
	return st.Roots, nil
}

// Records implements Source. Each record is asked at the node's latest
// height (the node keeps only its latest two, and a fast chain moves on
// while a batch is read) and proven against the roots it was answered
// at; each distinct set of roots is then checked once against a header the
// light client verified (client.VerifyAnswerRoots), so one header check
// covers every record answered at that height.
func (s *ClientSource) Records(ctx context.Context, roots *tlv1.StateRoots, from, to uint64) ([]*trace.Event, error) {
	if to <= from {
		return nil, nil
	}
	out := make([]*trace.Event, to-from)
	errs := make([]error, to-from)
	workers := s.Workers
	if workers <= 0 {
		workers = 16
	}
	work := make(chan uint64)
	var wg sync.WaitGroup
	for range min(uint64(workers), to-from) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for idx := range work {
				out[idx-from], errs[idx-from] = s.record(ctx, idx)
			}
		}()
	}
	for idx := from; idx < to; idx++ {
		work <- idx
	}
	close(work)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	for _, ev := range out {
		if err := s.verifyRoots(ctx, ev.Roots); err != nil {
			return nil, fmt.Errorf("record %d: %w", ev.Index, err)
		}
	}
	return out, nil
}

// History implements trace.Source: the newest page, asked at the node's
// latest height, verified against its roots (head, inclusion proofs,
// completeness) and the roots against a verified header once per height;
// a history longer than one page is read with client.HistoryPagesOf.
func (s *ClientSource) History(ctx context.Context, subject string) (*trace.History, error) {
	canonical, err := client.CanonicalSubject(subject)
	if err != nil {
		return nil, err
	}
	req := &tlv1.HistoryRequest{Subject: canonical, FromEnd: true, Limit: tlv1.MaxHistoryPage}
	var resp tlv1.HistoryResponse
	if err := s.query(ctx, tlv1.PathHistory, req, &resp, func() *tlv1.StateRoots { return resp.Roots }); err != nil {
		return nil, err
	}
	vp, err := client.VerifyHistoryPage(canonical, tlv1.HeadKey(canonical), req, &resp, nil)
	if err != nil {
		return nil, err
	}
	if vp.Offset > 0 {
		return s.ClientSource.History(ctx, canonical)
	}
	if err := s.verifyRoots(ctx, resp.Roots); err != nil {
		return nil, err
	}
	return &trace.History{Subject: canonical, Head: vp.Head, Records: vp.Records, Proofs: resp.Records, Roots: resp.Roots}, nil
}

// Participant implements trace.Source, verified like History.
func (s *ClientSource) Participant(ctx context.Context, id string) (*tlv1.Participant, error) {
	key := tlv1.ParticipantKey(id)
	var resp tlv1.ValueResponse
	if err := s.query(ctx, tlv1.PathValue, &tlv1.ValueRequest{Key: key}, &resp, func() *tlv1.StateRoots { return resp.Roots }); err != nil {
		return nil, err
	}
	present, err := proof.VerifyValue(resp.Roots, key, resp.Value)
	if err != nil {
		return nil, fmt.Errorf("%w: participant %s: %w", client.ErrNotVerified, id, err)
	}
	if err := s.verifyRoots(ctx, resp.Roots); err != nil {
		return nil, err
	}
	if !present || len(resp.Value.GetValue()) == 0 {
		return nil, nil
	}
	var p tlv1.Participant
	if err := p.Unmarshal(resp.Value.Value); err != nil {
		return nil, fmt.Errorf("%w: participant %s does not decode: %v", client.ErrNotVerified, id, err)
	}
	return &p, nil
}

// query asks path at the node's latest height and decodes the answer,
// checking that its roots (got after decoding) name the answered height.
func (s *ClientSource) query(ctx context.Context, path string, req interface{ Marshal() ([]byte, error) }, resp interface{ Unmarshal([]byte) error }, roots func() *tlv1.StateRoots) error {
	data, err := req.Marshal()
	if err != nil {
		return err
	}
	res, err := s.C.RPC().ABCIQuery(ctx, path, data)
	if err != nil {
		return fmt.Errorf("query %s: %w", path, err)
	}
	if res.Response.Code != 0 {
		return &client.QueryError{Code: res.Response.Code, Log: res.Response.Log}
	}
	if err := resp.Unmarshal(res.Response.Value); err != nil {
		return fmt.Errorf("%w: decode %s answer: %v", client.ErrNotVerified, path, err)
	}
	if r := roots(); r == nil || r.Height != res.Response.Height {
		return fmt.Errorf("%w: %s answer's roots are not for the answered height %d", client.ErrNotVerified, path, res.Response.Height)
	}
	return nil
}

// verifyRoots checks roots against a verified header once per distinct
// roots (a small cache: the heights a batch was answered at).
func (s *ClientSource) verifyRoots(ctx context.Context, roots *tlv1.StateRoots) error {
	key, err := roots.Marshal()
	if err != nil {
		return err
	}
	s.mu.Lock()
	ok := s.verified[string(key)]
	s.mu.Unlock()
	if ok {
		return nil
	}
	if _, err := s.C.VerifyAnswerRoots(ctx, roots, roots.Height); err != nil {
		return err
	}
	s.mu.Lock()
	if s.verified == nil || len(s.verified) > 256 {
		s.verified = map[string]bool{}
	}
	s.verified[string(key)] = true
	s.mu.Unlock()
	return nil
}

// record asks for one record at the latest height and checks it against
// the answer's roots (verifyRoots checks those).
func (s *ClientSource) record(ctx context.Context, idx uint64) (*trace.Event, error) {
	data, _ := (&tlv1.RecordRequest{Index: idx}).Marshal()
	res, err := s.C.RPC().ABCIQuery(ctx, tlv1.PathRecord, data)
	if err != nil {
		return nil, fmt.Errorf("record %d: %w", idx, err)
	}
	if res.Response.Code != 0 {
		return nil, &client.QueryError{Code: res.Response.Code, Log: res.Response.Log}
	}
	var rr tlv1.RecordResponse
	if err := rr.Unmarshal(res.Response.Value); err != nil {
		return nil, fmt.Errorf("%w: record %d does not decode: %v", client.ErrNotVerified, idx, err)
	}
	if rr.Roots == nil || rr.Roots.Height != res.Response.Height {
		return nil, fmt.Errorf("%w: record %d: the answer's roots are not for the answered height %d", client.ErrNotVerified, idx, res.Response.Height)
	}
	vr, err := proof.VerifyRecord(rr.Roots, rr.Record)
	if err == nil && vr.Index != idx {
		err = fmt.Errorf("answer is record %d, asked for %d", vr.Index, idx)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: record %d: %w", client.ErrNotVerified, idx, err)
	}
	ev := trace.Decode(vr, rr.Record)
	ev.Roots = rr.Roots
	return ev, nil
}

// cachedSource caches histories and participants for one batch (histories
// only grow; a batch's rules see them as of the first read).
type cachedSource struct {
	src Source
	mu  sync.Mutex
	h   map[string]*trace.History
	p   map[string]*tlv1.Participant
}

func newCache(src Source) *cachedSource {
	return &cachedSource{src: src, h: map[string]*trace.History{}, p: map[string]*tlv1.Participant{}}
}

// History implements trace.Source.
func (c *cachedSource) History(ctx context.Context, subject string) (*trace.History, error) {
	c.mu.Lock()
	h, ok := c.h[subject]
	c.mu.Unlock()
	if ok {
		return h, nil
	}
	h, err := c.src.History(ctx, subject)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.h[subject] = h
	c.mu.Unlock()
	return h, nil
}

// Participant implements trace.Source.
func (c *cachedSource) Participant(ctx context.Context, id string) (*tlv1.Participant, error) {
	c.mu.Lock()
	p, ok := c.p[id]
	c.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err := c.src.Participant(ctx, id)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.p[id] = p
	c.mu.Unlock()
	return p, nil
}
