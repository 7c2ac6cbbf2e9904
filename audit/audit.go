// SPDX-License-Identifier: Apache-2.0

// Package audit is TraceLedger's multi-department auditor. It follows the
// chain on nodes run by several departments, verifying every header from a
// trust root with CometBFT's light-client rules; checks each node's state
// roots against the verified headers and that each node's log extends the
// last verified checkpoint (like a transparency-log monitor); asks every
// node the same queries and checks and compares the answers; and detects
// conflicting signed headers for one height. Findings are alerts (JSON
// lines) with evidence files; the auditor's progress is a state file; its
// health is Prometheus metrics.
package audit

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/types"

	"github.com/traceledger/traceledger/epcis"
	"github.com/traceledger/traceledger/proof"
	"github.com/traceledger/traceledger/proof/bundle"
	"github.com/traceledger/traceledger/proof/light"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Defaults of Config.
const (
	DefaultSweepRecords = 64
	DefaultMaxLag       = 5
)

// Config configures an Auditor.
type Config struct {
	// Trust is the trust root headers are verified from.
	Trust light.TrustRoot
	// StatePath is the state file; empty keeps the state in memory only.
	StatePath string
	// EvidenceDir receives evidence files; empty means "evidence" beside
	// the state file (no files without a state file).
	EvidenceDir string
	// Alerts receives alerts as JSON lines (nil: none written).
	Alerts io.Writer
	// Identifiers are subjects whose complete history every node is asked
	// for, verified and compared, on every pass.
	Identifiers []string
	// SweepRecords is how many log records every node re-proves per pass,
	// continuing round the whole log (DefaultSweepRecords when 0; negative
	// disables the sweep).
	SweepRecords int
	// MaxLag is how many blocks behind the verified top a node may be
	// before it is reported lagging (DefaultMaxLag when 0).
	MaxLag int64
	// MaxHeadersPerPass bounds the headers verified in one pass (0: all).
	MaxHeadersPerPass int64
	// TrustingPeriod defaults to light.DefaultTrustingPeriod.
	TrustingPeriod time.Duration
	// Metrics, if set, are updated on every pass.
	Metrics *Metrics
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Auditor audits a set of nodes. Pass and Run must not be called
// concurrently.
type Auditor struct {
	cfg     Config
	sources []Source
	state   *State
	sink    *alertSink
	vals    map[string]*types.ValidatorSet // by hash
}

// New creates an auditor of sources, loading its state from cfg.StatePath.
func New(cfg Config, sources []Source) (*Auditor, error) {
	if len(sources) == 0 {
		return nil, fmt.Errorf("no nodes to audit")
	}
	if cfg.Trust.ChainID == "" {
		return nil, fmt.Errorf("no trust root")
	}
	if cfg.SweepRecords == 0 {
		cfg.SweepRecords = DefaultSweepRecords
	}
	// Histories live under canonical identifiers: watch those, so that a
	// watched lot is never "proven absent" under a spelling nobody files.
	ids := make([]string, len(cfg.Identifiers))
	for i, id := range cfg.Identifiers {
		c, err := epcis.CanonicalIdentifier(id)
		if err != nil {
			return nil, fmt.Errorf("watched identifier %q: %w", id, err)
		}
		ids[i] = c
	}
	cfg.Identifiers = ids
	if cfg.MaxLag == 0 {
		cfg.MaxLag = DefaultMaxLag
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.EvidenceDir == "" && cfg.StatePath != "" {
		cfg.EvidenceDir = filepath.Join(filepath.Dir(cfg.StatePath), "evidence")
	}
	st := &State{Version: StateVersion, Nodes: map[string]*NodeState{}}
	if cfg.StatePath != "" {
		var err error
		if st, err = LoadState(cfg.StatePath); err != nil {
			return nil, err
		}
	}
	if st.ChainID == "" {
		st.ChainID = cfg.Trust.ChainID
	}
	if st.ChainID != cfg.Trust.ChainID {
		return nil, fmt.Errorf("audit state is for chain %q, the trust root for %q", st.ChainID, cfg.Trust.ChainID)
	}
	return &Auditor{cfg: cfg, sources: sources, state: st,
		sink: &alertSink{w: cfg.Alerts, evidenceDir: cfg.EvidenceDir}, vals: map[string]*types.ValidatorSet{}}, nil
}

// State returns the auditor's current state.
func (a *Auditor) State() *State { return a.state }

// PassReport is the outcome of one pass.
type PassReport struct {
	// From and To are the heights of the headers verified in this pass
	// (To < From when none).
	From, To int64
	// Headers is the number verified; HeaderRate their rate per second.
	Headers    int
	HeaderRate float64
	Duration   time.Duration
	// Checkpoint is the verified checkpoint after the pass.
	Checkpoint *Checkpoint
	// Alerts are the alerts raised.
	Alerts []Alert
	// Nodes is each node's height and health.
	Nodes []NodeReport
}

// NodeReport is one node's outcome in a pass.
type NodeReport struct {
	Name    string `json:"name"`
	Height  int64  `json:"height"`
	Healthy bool   `json:"healthy"`
	// Answers is how many answers of the node verified.
	Answers int `json:"answers"`
}

// pass carries one pass's working data.
type pass struct {
	report     *PassReport
	headerTime time.Duration // spent verifying headers
	// pre holds signed headers fetched ahead from source preSrc.
	pre     map[int64]*types.SignedHeader
	preSrc  int
	stuck   int64   // a height no node served a verifiable header for
	latest  []int64 // per source; -1 when unreachable
	alerted []bool
	answers []int
	// open are each node's alert kinds of the last pass; kinds this pass's.
	open, kinds [][]string
}

func (a *Auditor) alert(p *pass, src int, kind string, height int64, msg string, ev *Evidence) {
	node := ""
	if src >= 0 {
		node = a.sources[src].Name()
		p.alerted[src] = true
		ns := a.state.node(node)
		ns.LastAlert = kind
		if slices.Contains(p.open[src], kind) && kind != AlertFork && kind != AlertForgedHeader {
			ev = nil // the same finding as in the last pass: its evidence is saved
			msg += " (ongoing: evidence saved when it was first found)"
		}
		if !slices.Contains(p.kinds[src], kind) {
			p.kinds[src] = append(p.kinds[src], kind)
		}
	}
	if ev != nil {
		ev.Kind, ev.Node, ev.ChainID, ev.Height, ev.Message = kind, node, a.state.ChainID, height, msg
		ev.Time = a.cfg.Now().UTC()
	}
	al := a.sink.raise(Alert{Time: a.cfg.Now().UTC(), Kind: kind, Node: node, Height: height, Message: msg}, ev)
	p.report.Alerts = append(p.report.Alerts, al)
	if m := a.cfg.Metrics; m != nil {
		m.Alerts.WithLabelValues(kind, node).Inc()
	}
}

// Pass runs one audit pass and saves the state. The error is for failures
// of the auditor itself (its state file); findings about nodes are alerts.
func (a *Auditor) Pass(ctx context.Context) (*PassReport, error) {
	start := a.cfg.Now()
	p := &pass{report: &PassReport{}, latest: make([]int64, len(a.sources)), alerted: make([]bool, len(a.sources)), answers: make([]int, len(a.sources)),
		open: make([][]string, len(a.sources)), kinds: make([][]string, len(a.sources))}
	for i, s := range a.sources {
		p.open[i] = a.state.node(s.Name()).Open
	}
	a.fetchLatest(ctx, p)
	if err := a.followHeaders(ctx, p); err != nil {
		return p.report, err
	}
	a.checkNodes(ctx, p)
	p.report.Duration = a.cfg.Now().Sub(start)
	if cp := a.state.Checkpoint; cp != nil {
		c := *cp
		p.report.Checkpoint = &c
	}
	top := a.topHeight()
	for i, s := range a.sources {
		ns := a.state.node(s.Name())
		if p.latest[i] >= 0 {
			ns.Height = p.latest[i]
		}
		ns.Healthy = !p.alerted[i]
		ns.Open = p.kinds[i]
		p.report.Nodes = append(p.report.Nodes, NodeReport{Name: s.Name(), Height: ns.Height, Healthy: ns.Healthy, Answers: p.answers[i]})
		if m := a.cfg.Metrics; m != nil {
			m.NodeHeight.WithLabelValues(s.Name()).Set(float64(ns.Height))
			m.NodeLag.WithLabelValues(s.Name()).Set(float64(max(0, top-ns.Height)))
			m.NodeHealthy.WithLabelValues(s.Name()).Set(boolFloat(ns.Healthy))
		}
	}
	if m := a.cfg.Metrics; m != nil {
		m.Passes.Inc()
		m.VerifiedHeight.Set(float64(top))
		if cp := a.state.Checkpoint; cp != nil {
			m.CheckpointHeight.Set(float64(cp.Height))
			m.CheckpointSize.Set(float64(cp.LogSize))
		}
	}
	if a.cfg.StatePath != "" {
		if err := a.state.Save(a.cfg.StatePath); err != nil {
			return p.report, err
		}
	}
	return p.report, nil
}

// Run runs passes every interval until ctx is done; onPass, if set, sees
// each report.
func (a *Auditor) Run(ctx context.Context, interval time.Duration, onPass func(*PassReport)) error {
	for {
		rep, err := a.Pass(ctx)
		if err != nil {
			return err
		}
		if onPass != nil {
			onPass(rep)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(interval):
		}
	}
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// topHeight is the height of the last verified header (0 before any).
func (a *Auditor) topHeight() int64 {
	if n := len(a.state.Headers); n > 0 {
		return a.state.Headers[n-1].Height
	}
	return 0
}

// fetchLatest asks every node for its latest height, concurrently.
func (a *Auditor) fetchLatest(ctx context.Context, p *pass) {
	errs := make([]error, len(a.sources))
	var wg sync.WaitGroup
	for i, s := range a.sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h, err := s.Latest(ctx)
			p.latest[i], errs[i] = h, err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			p.latest[i] = -1
			a.alert(p, i, AlertUnreachable, 0, err.Error(), nil)
		}
	}
}

// lightBlock fetches the light block at height from source i, reusing
// validator sets already seen (by hash).
func (a *Auditor) lightBlock(ctx context.Context, p *pass, i int, height int64) (*types.LightBlock, error) {
	s := a.sources[i]
	sh, ok := p.prefetched(i, height)
	if !ok {
		var err error
		if sh, err = s.SignedHeader(ctx, height); err != nil {
			return nil, err
		}
	}
	if sh == nil || sh.Header == nil || sh.Commit == nil {
		return nil, fmt.Errorf("%s: empty signed header at %d", s.Name(), height)
	}
	key := hex.EncodeToString(sh.ValidatorsHash)
	vals, ok := a.vals[key]
	if !ok {
		var err error
		if vals, err = s.Validators(ctx, height); err != nil {
			return nil, err
		}
		if bytes.Equal(vals.Hash(), sh.ValidatorsHash) {
			a.vals[key] = vals
		}
	}
	return &types.LightBlock{SignedHeader: sh, ValidatorSet: vals}, nil
}

func (p *pass) prefetched(i int, height int64) (*types.SignedHeader, bool) {
	if p.pre == nil || p.preSrc != i {
		return nil, false
	}
	sh, ok := p.pre[height]
	delete(p.pre, height)
	return sh, ok
}

// prefetchWindow is how many signed headers are fetched ahead, concurrently,
// while catching up (RPC latency, not verification, would otherwise bound
// the rate).
const prefetchWindow = 32

// prefetch fetches the signed headers from..to of source i, eight at a time.
func (a *Auditor) prefetch(ctx context.Context, p *pass, i int, from, to int64) {
	shs := make([]*types.SignedHeader, to-from+1)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for h := from; h <= to; h++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if sh, err := a.sources[i].SignedHeader(ctx, h); err == nil {
				shs[h-from] = sh
			}
		}()
	}
	wg.Wait()
	p.pre, p.preSrc = map[int64]*types.SignedHeader{}, i
	for k, sh := range shs {
		if sh != nil {
			p.pre[from+int64(k)] = sh
		}
	}
}

// candidates lists the reachable sources that have height, highest first
// (ties in the configured order).
func (p *pass) candidates(height int64) []int {
	var out []int
	for i, l := range p.latest {
		if l >= height {
			out = append(out, i)
		}
	}
	sort.SliceStable(out, func(x, y int) bool { return p.latest[out[x]] > p.latest[out[y]] })
	return out
}

func (a *Auditor) headerOptions() light.HeaderOptions {
	return light.HeaderOptions{TrustingPeriod: a.cfg.TrustingPeriod, Now: a.cfg.Now()}
}

// anchor verifies the light block at the trust root's height.
func (a *Auditor) anchor(ctx context.Context, p *pass) (*types.LightBlock, error) {
	h := a.cfg.Trust.StartHeight()
	var failures []string
	for _, i := range p.candidates(h) {
		lb, err := a.lightBlock(ctx, p, i, h)
		if err == nil {
			err = a.cfg.Trust.CheckAnchor(lb)
		}
		if err == nil {
			return lb, nil
		}
		failures = append(failures, fmt.Sprintf("%s: %v", a.sources[i].Name(), err))
	}
	if len(failures) == 0 {
		return nil, nil // no node has the first block yet
	}
	a.alert(p, -1, AlertNoValidHeader, h, "no node serves a trust-root header that verifies: "+strings.Join(failures, "; "), nil)
	return nil, nil
}

// followHeaders verifies every header from the last trusted one up to the
// highest a node has, comparing each height's block hash across nodes.
func (a *Auditor) followHeaders(ctx context.Context, p *pass) error {
	best := int64(0)
	for _, l := range p.latest {
		best = max(best, l)
	}
	if a.cfg.MaxHeadersPerPass > 0 {
		best = min(best, a.topHeight()+a.cfg.MaxHeadersPerPass)
	}
	return a.followTo(ctx, p, best)
}

// followTo verifies headers from the last trusted one up to target.
func (a *Auditor) followTo(ctx context.Context, p *pass, target int64) error {
	trusted, err := a.state.trusted()
	if err != nil {
		return err
	}
	if trusted == nil {
		if trusted, err = a.anchor(ctx, p); err != nil || trusted == nil {
			return err
		}
		if err := a.state.setTrusted(trusted); err != nil {
			return err
		}
		a.state.addHeader(summaryOf(trusted))
	}
	if p.report.Headers == 0 {
		p.report.From, p.report.To = trusted.Height+1, trusted.Height
	}
	if p.stuck > 0 && target >= p.stuck {
		target = p.stuck - 1 // no node proved that height in this pass
	}
	started := time.Now()
	defer func() { p.headerTime += time.Since(started) }()
	hashes := make([]map[int64][]byte, len(a.sources))
	const chunk = 200
	first := trusted.Height + 1
	for h := first; h <= target; h++ {
		if (h-first)%chunk == 0 {
			hi := min(target, h+chunk-1)
			for i := range a.sources {
				hashes[i] = nil
				if p.latest[i] >= h {
					if m, err := a.sources[i].HeaderHashes(ctx, h, min(hi, p.latest[i])); err == nil {
						hashes[i] = m
					}
				}
			}
		}
		if c := p.candidates(h); len(c) > 0 {
			if _, ok := p.pre[h]; !ok || p.preSrc != c[0] {
				a.prefetch(ctx, p, c[0], h, min(target, h+prefetchWindow-1, p.latest[c[0]]))
			}
		}
		lb, checked := a.nextHeader(ctx, p, trusted, h)
		if lb == nil {
			p.stuck = h
			break
		}
		for i := range a.sources {
			if checked[i] || p.latest[i] < h || hashes[i] == nil {
				continue
			}
			if got, ok := hashes[i][h]; ok && !bytes.Equal(got, lb.Hash()) {
				a.conflict(ctx, p, i, trusted, lb)
			}
		}
		trusted = lb
		a.state.addHeader(summaryOf(lb))
		p.report.To = h
		p.report.Headers++
		if m := a.cfg.Metrics; m != nil {
			m.HeadersVerified.Inc()
		}
		if ctx.Err() != nil {
			break
		}
	}
	if p.report.Headers > 0 {
		p.report.HeaderRate = float64(p.report.Headers) / (p.headerTime + time.Since(started)).Seconds()
		if m := a.cfg.Metrics; m != nil {
			m.CatchUpRate.Set(p.report.HeaderRate)
		}
	}
	return a.state.setTrusted(trusted)
}

// nextHeader returns the verified light block at height, trying the nodes
// that have it; a node whose header does not verify while another's does is
// reported (forged header). checked marks the nodes whose header it already
// examined.
func (a *Auditor) nextHeader(ctx context.Context, p *pass, trusted *types.LightBlock, height int64) (lb *types.LightBlock, checked map[int]bool) {
	checked = map[int]bool{}
	type bad struct {
		src int
		lb  *types.LightBlock
		err error
	}
	var bads []bad
	var fetchErrs []string
	for _, i := range p.candidates(height) {
		lb, err := a.lightBlock(ctx, p, i, height)
		if err != nil {
			fetchErrs = append(fetchErrs, err.Error())
			continue
		}
		checked[i] = true
		if err := light.VerifyStep(a.state.ChainID, trusted, lb, a.headerOptions()); err != nil {
			bads = append(bads, bad{i, lb, err})
			continue
		}
		for _, b := range bads {
			a.reportForged(p, b.src, trusted, lb, b.lb, b.err)
		}
		return lb, checked
	}
	if len(bads) > 0 || len(fetchErrs) > 0 {
		msgs := fetchErrs
		for _, b := range bads {
			msgs = append(msgs, fmt.Sprintf("%s: %v", a.sources[b.src].Name(), b.err))
		}
		ev := &Evidence{Trusted: lightBlockJSON(trusted)}
		for _, b := range bads {
			ev.Headers = append(ev.Headers, lightBlockJSON(b.lb))
			ev.Verification = append(ev.Verification, b.err.Error())
		}
		a.alert(p, -1, AlertNoValidHeader, height, "no node serves a header that verifies from the trusted header "+
			fmt.Sprint(trusted.Height)+": "+strings.Join(msgs, "; "), ev)
	}
	return nil, checked
}

func (a *Auditor) reportForged(p *pass, src int, trusted, good, forged *types.LightBlock, verr error) {
	a.state.Forks = appendUnique(a.state.Forks, forged.Height)
	ev := &Evidence{Trusted: lightBlockJSON(trusted), Headers: []json.RawMessage{lightBlockJSON(good), lightBlockJSON(forged)},
		Verification: []string{"verified from the trusted header", "does not verify: " + verr.Error()}}
	a.alert(p, src, AlertForgedHeader, forged.Height, fmt.Sprintf("serves header %X for height %d, the verified header is %X; its header does not verify: %v",
		forged.Hash(), forged.Height, good.Hash(), verr), ev)
}

func summaryOf(lb *types.LightBlock) HeaderSummary {
	return HeaderSummary{Height: lb.Height, Hash: bundle.Hex(lb.Hash()), AppHash: bundle.Hex(lb.AppHash)}
}

// conflict examines a node whose block hash at a verified height differs:
// its signed header is fetched and checked from the same trusted header. If
// it verifies too, the chain forked (two headers each signed by more than
// 2/3); otherwise the node serves a forged header. Both are saved.
func (a *Auditor) conflict(ctx context.Context, p *pass, src int, trusted, good *types.LightBlock) {
	other, err := a.lightBlock(ctx, p, src, good.Height)
	if err != nil {
		a.alert(p, src, AlertForgedHeader, good.Height, fmt.Sprintf("reports another block hash at height %d than the verified %X, and does not serve its header: %v",
			good.Height, good.Hash(), err), &Evidence{Trusted: lightBlockJSON(trusted), Headers: []json.RawMessage{lightBlockJSON(good)}})
		return
	}
	if bytes.Equal(other.Hash(), good.Hash()) {
		return // the hash listing was stale; the header agrees
	}
	verr := light.VerifyStep(a.state.ChainID, trusted, other, a.headerOptions())
	if verr != nil {
		a.reportForged(p, src, trusted, good, other, verr)
		return
	}
	a.state.Forks = appendUnique(a.state.Forks, good.Height)
	ev := &Evidence{Trusted: lightBlockJSON(trusted), Headers: []json.RawMessage{lightBlockJSON(good), lightBlockJSON(other)},
		Verification: []string{"verified from the trusted header", "also verifies from the trusted header"}}
	a.alert(p, src, AlertFork, good.Height, fmt.Sprintf("FORK: two headers for height %d both signed by more than 2/3 of the validators: %X and %X",
		good.Height, good.Hash(), other.Hash()), ev)
}

func appendUnique(s []int64, v int64) []int64 {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

// answer is one node's verified (or failed) answer, for comparison.
type answer struct {
	src   int
	key   string // query identity: path and request
	value []byte // the answer's comparable content
}

// emptyCheckpoint is the state before anything: every log extends it.
func emptyCheckpoint() *Checkpoint {
	e := proof.EmptyLogRoot()
	return &Checkpoint{LogRoot: e[:], MapRoot: make([]byte, 32), RecordsRoot: e[:]}
}

// checkNodes asks every reachable node the same queries at the newest
// height whose header is verified, verifies and compares the answers, and
// moves the checkpoint.
func (a *Auditor) checkNodes(ctx context.Context, p *pass) {
	if a.topHeight() == 0 {
		return
	}
	cp := a.state.Checkpoint
	if cp == nil {
		cp = emptyCheckpoint()
	}
	var newCP *tlv1.StateRoots
	var answers []answer
	for i, s := range a.sources {
		if p.latest[i] < 0 {
			continue
		}
		if top := a.topHeight(); top-p.latest[i] > a.cfg.MaxLag {
			a.alert(p, i, AlertLagging, p.latest[i], fmt.Sprintf("at height %d, %d blocks behind the verified header %d (allowed: %d)",
				p.latest[i], top-p.latest[i], top, a.cfg.MaxLag), nil)
		}
		res := a.checkLatest(ctx, p, i, s, cp)
		if res.skip {
			continue
		}
		if !a.reportNode(p, i, res, cp) {
			continue
		}
		answers = append(answers, res.answers...)
		if res.roots != nil && len(res.bad.queries) == 0 && len(res.inconsistent.queries) == 0 && (newCP == nil || res.roots.Height > newCP.Height) {
			newCP = res.roots
		}
	}
	a.compare(p, answers)
	if newCP != nil {
		a.state.Checkpoint = checkpointOf(newCP)
		if a.cfg.SweepRecords > 0 {
			a.state.SweepCursor += uint64(a.cfg.SweepRecords)
			if a.state.SweepCursor >= newCP.LogSize {
				a.state.SweepCursor = 0
			}
		}
	}
}

// checkLatest checks node i at its latest height but one. A node keeps
// only its latest two heights: it is asked at its latest-1 (header latest
// verified first), and again if it moved on meanwhile. The result has skip
// set when there is nothing to check the node at yet (or it did not say
// its height, which is alerted here).
func (a *Auditor) checkLatest(ctx context.Context, p *pass, i int, s Source, cp *Checkpoint) nodeResult {
	var res nodeResult
	for attempt := 0; attempt < 3; attempt++ {
		l, err := s.Latest(ctx)
		if err != nil {
			a.alert(p, i, AlertUnreachable, 0, err.Error(), nil)
			return nodeResult{skip: true}
		}
		p.latest[i] = max(p.latest[i], l)
		if l > a.topHeight() && l-a.topHeight() <= followOnCheck {
			if err := a.followTo(ctx, p, l); err != nil {
				return nodeResult{skip: true}
			}
		}
		r := min(l, a.topHeight()) - 1
		hdr, ok := a.state.header(r + 1)
		if r < 1 || !ok || r < cp.Height {
			return nodeResult{skip: true} // nothing this node can be checked at yet
		}
		if res = a.checkNode(ctx, p, i, s, r, hdr, cp); !res.movedOn {
			break
		}
	}
	return res
}

// reportNode raises the alerts of one node's result. It reports false when
// the node stopped answering, whose answers are then not compared.
func (a *Auditor) reportNode(p *pass, i int, res nodeResult, cp *Checkpoint) bool {
	if res.unreachable != nil {
		a.alert(p, i, AlertUnreachable, res.height, res.unreachable.Error(), nil)
		return false
	}
	if len(res.bad.queries) > 0 {
		a.alert(p, i, AlertBadAnswer, res.height, fmt.Sprintf("%d answer(s) fail their proofs: %s", len(res.bad.queries), summarize(res.bad.msgs)),
			&Evidence{Queries: res.bad.queries, Checkpoint: cp})
	}
	if len(res.inconsistent.queries) > 0 {
		a.alert(p, i, AlertInconsistent, res.height, fmt.Sprintf("the log is not an extension of the verified checkpoint at height %d: %s", cp.Height, summarize(res.inconsistent.msgs)),
			&Evidence{Queries: res.inconsistent.queries, Checkpoint: cp})
	}
	return true
}

// failures collects one node's failed answers into one alert.
type failures struct {
	queries []QueryEvidence
	msgs    []string
}

func (f *failures) add(q QueryEvidence, err error) {
	q.Error = err.Error()
	f.queries = append(f.queries, q)
	f.msgs = append(f.msgs, fmt.Sprintf("%s: %v", q.Path, err))
}

// nodeResult is what checking one node found.
type nodeResult struct {
	height int64
	// roots are the node's verified roots (nil when they failed).
	roots   *tlv1.StateRoots
	answers []answer
	// bad and inconsistent are the failed answers by alert kind.
	bad, inconsistent failures
	// unreachable is set when the node stopped answering.
	unreachable error
	// movedOn is set when the node no longer keeps the height asked (it
	// committed blocks meanwhile): ask again.
	movedOn bool
	skip    bool
}

// followOnCheck is how far a node may have moved past the verified top
// while it is checked for the auditor to verify the new headers at once; a
// node further ahead (a catch-up limited by MaxHeadersPerPass) is checked on
// a later pass.
const followOnCheck = 10

// query runs one query and returns its evidence record.
func (a *Auditor) query(ctx context.Context, s Source, path string, req interface{ Marshal() ([]byte, error) }, height int64) (*abci.ResponseQuery, QueryEvidence, error) {
	data, _ := req.Marshal()
	qe := QueryEvidence{Node: s.Name(), Path: path, Data: data, Height: height}
	res, err := s.Query(ctx, path, data, height)
	if err != nil {
		return nil, qe, err
	}
	qe.Code, qe.Log, qe.Value, qe.Answer = res.Code, res.Log, res.Value, res.Height
	return res, qe, nil
}

// checkNode checks one node at state height r (header r+1 is verified):
// its roots against the header, consistency from the checkpoint, the
// configured histories and the record sweep. It stops at the first query
// the node does not answer or can no longer answer at r.
func (a *Auditor) checkNode(ctx context.Context, p *pass, i int, s Source, r int64, hdr HeaderSummary, cp *Checkpoint) nodeResult {
	c := &nodeCheck{a: a, ctx: ctx, p: p, src: i, s: s, r: r, hdr: hdr, cp: cp, out: nodeResult{height: r}}
	c.consistency()
	if !c.stopped() {
		c.histories()
	}
	if !c.stopped() {
		c.sweep()
	}
	return c.out
}

// nodeCheck is the state of checking one node at one height: what it asks
// with, and what it found so far (out).
type nodeCheck struct {
	a   *Auditor
	ctx context.Context
	p   *pass
	src int // the node's index in a.sources
	s   Source
	r   int64         // the state height asked at
	hdr HeaderSummary // the verified header r+1
	cp  *Checkpoint   // the verified checkpoint the log must extend
	out nodeResult
}

// verified counts one verified answer.
func (c *nodeCheck) verified() {
	c.p.answers[c.src]++
	if m := c.a.cfg.Metrics; m != nil {
		m.Answers.WithLabelValues(c.s.Name(), "verified").Inc()
	}
}

// fail records a failed answer in f (out.bad or out.inconsistent).
func (c *nodeCheck) fail(f *failures, qe QueryEvidence, err error) {
	f.add(qe, err)
	if m := c.a.cfg.Metrics; m != nil {
		m.Answers.WithLabelValues(c.s.Name(), "failed").Inc()
	}
}

// stopped reports whether the node stopped answering or moved past r.
func (c *nodeCheck) stopped() bool { return c.out.unreachable != nil || c.out.movedOn }

// checkRoots checks that an answer is at height r and that its roots hash
// to the verified header's app hash.
func (c *nodeCheck) checkRoots(roots *tlv1.StateRoots, answerHeight int64) error {
	if roots == nil || roots.Height != c.r || answerHeight != c.r {
		return fmt.Errorf("answer is not at the asked height %d", c.r)
	}
	want, err := proof.AppHashOf(roots)
	if err != nil {
		return err
	}
	if !bytes.Equal(want[:], c.hdr.AppHash) {
		return fmt.Errorf("%w: roots at height %d hash to %X, verified header %d has app hash %X", proof.ErrRootMismatch, c.r, want, c.hdr.Height, []byte(c.hdr.AppHash))
	}
	return nil
}

// ask runs a query at r; it returns nil when the node refused it or moved
// on (recorded in out), else the answer.
func (c *nodeCheck) ask(path string, req interface{ Marshal() ([]byte, error) }) (*abci.ResponseQuery, QueryEvidence) {
	res, qe, err := c.a.query(c.ctx, c.s, path, req, c.r)
	switch {
	case err != nil:
		c.out.unreachable = err
		return nil, qe
	case tlv1.Code(res.Code) == tlv1.CodeHeightUnavailable:
		c.out.movedOn = true
		return nil, qe
	case tlv1.Code(res.Code) == tlv1.CodeProofSizeAhead && path == tlv1.PathConsistency:
		c.fail(&c.out.inconsistent, qe, fmt.Errorf("the node's log at height %d is shorter than the verified checkpoint (size %d at height %d)", c.r, c.cp.LogSize, c.cp.Height))
		return nil, qe
	case res.Code != 0:
		c.fail(&c.out.bad, qe, fmt.Errorf("refused (code %d): %s", res.Code, res.Log))
		return nil, qe
	}
	return res, qe
}

// consistency checks the node's roots and the consistency of its log from
// the checkpoint; verified roots become out.roots.
func (c *nodeCheck) consistency() {
	res, qe := c.ask(tlv1.PathConsistency, &tlv1.ConsistencyRequest{Size1: c.cp.LogSize})
	if res == nil {
		return
	}
	var cr tlv1.ConsistencyResponse
	if err := cr.Unmarshal(res.Value); err != nil {
		c.fail(&c.out.bad, qe, fmt.Errorf("answer does not decode: %w", err))
		return
	}
	if err := c.checkRoots(cr.Roots, res.Height); err != nil {
		c.fail(&c.out.bad, qe, err)
		return
	}
	if err := proof.VerifyRootsConsistency(c.cp.Roots(), cr.Roots, cr.Log, cr.Records); err != nil {
		c.fail(&c.out.inconsistent, qe, err)
		return
	}
	c.verified()
	c.out.roots = cr.Roots
	rb, _ := cr.Roots.Marshal()
	c.out.answers = append(c.out.answers, answer{src: c.src, key: fmt.Sprintf("roots@%d", c.r), value: rb})
}

// histories checks the complete history of each configured identifier.
func (c *nodeCheck) histories() {
	for _, id := range c.a.cfg.Identifiers {
		res, qe := c.ask(tlv1.PathHistory, &tlv1.HistoryRequest{Subject: id})
		if c.stopped() {
			return
		}
		if res != nil {
			c.history(id, res, qe)
		}
	}
}

// history verifies one history answer.
func (c *nodeCheck) history(id string, res *abci.ResponseQuery, qe QueryEvidence) {
	var hr tlv1.HistoryResponse
	if err := hr.Unmarshal(res.Value); err != nil {
		c.fail(&c.out.bad, qe, fmt.Errorf("answer does not decode: %w", err))
		return
	}
	if err := c.checkRoots(hr.Roots, res.Height); err != nil {
		c.fail(&c.out.bad, qe, err)
		return
	}
	vh, err := proof.VerifyHistory(id, tlv1.HeadKey(id), &hr)
	if err != nil {
		c.fail(&c.out.bad, qe, err)
		return
	}
	c.verified()
	var sum []byte
	for _, rec := range vh.Records {
		sum = append(sum, rec.LeafHash[:]...)
	}
	c.out.answers = append(c.out.answers, answer{src: c.src, key: fmt.Sprintf("history %q@%d", id, c.r), value: sum})
}

// sweep checks the next SweepRecords records from the sweep cursor (from
// the start again past the node's log size); it needs verified roots.
func (c *nodeCheck) sweep() {
	n := c.a.cfg.SweepRecords
	if n <= 0 || c.out.roots == nil {
		return
	}
	from := c.a.state.SweepCursor
	if from >= c.out.roots.LogSize {
		from = 0
	}
	to := min(c.out.roots.LogSize, from+uint64(n))
	for idx := from; idx < to; idx++ {
		res, qe := c.ask(tlv1.PathRecord, &tlv1.RecordRequest{Index: idx})
		if c.stopped() {
			return
		}
		if res != nil {
			c.record(idx, res, qe)
		}
	}
}

// record verifies the answer for record idx.
func (c *nodeCheck) record(idx uint64, res *abci.ResponseQuery, qe QueryEvidence) {
	var rr tlv1.RecordResponse
	if err := rr.Unmarshal(res.Value); err != nil {
		c.fail(&c.out.bad, qe, fmt.Errorf("answer does not decode: %w", err))
		return
	}
	if err := c.checkRoots(rr.Roots, res.Height); err != nil {
		c.fail(&c.out.bad, qe, err)
		return
	}
	vr, err := proof.VerifyRecord(rr.Roots, rr.Record)
	if err == nil && vr.Index != idx {
		err = fmt.Errorf("%w: asked for record %d, got %d", proof.ErrAnswerMismatch, idx, vr.Index)
	}
	if err != nil {
		c.fail(&c.out.bad, qe, err)
		return
	}
	c.verified()
	c.out.answers = append(c.out.answers, answer{src: c.src, key: fmt.Sprintf("record %d", idx), value: vr.LeafHash[:]})
}

func summarize(msgs []string) string {
	const most = 3
	if len(msgs) <= most {
		return strings.Join(msgs, "; ")
	}
	return strings.Join(msgs[:most], "; ") + fmt.Sprintf("; and %d more (see the evidence)", len(msgs)-most)
}

// compare groups verified answers to the same query and reports the nodes
// whose answer differs from the majority's.
func (a *Auditor) compare(p *pass, answers []answer) {
	byKey := map[string][]answer{}
	var keys []string
	for _, an := range answers {
		if _, ok := byKey[an.key]; !ok {
			keys = append(keys, an.key)
		}
		byKey[an.key] = append(byKey[an.key], an)
	}
	sort.Strings(keys)
	for _, k := range keys {
		group := byKey[k]
		counts := map[string]int{}
		for _, an := range group {
			counts[string(an.value)]++
		}
		if len(counts) < 2 {
			continue
		}
		majority, best := "", 0
		for v, c := range counts {
			if c > best || (c == best && v < majority) {
				majority, best = v, c
			}
		}
		for _, an := range group {
			if string(an.value) == majority {
				continue
			}
			a.alert(p, an.src, AlertDisagreement, 0, fmt.Sprintf("%s: answers %X, %d other node(s) answer %X", k, an.value, best, []byte(majority)), &Evidence{})
		}
	}
}
