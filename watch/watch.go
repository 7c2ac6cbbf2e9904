// SPDX-License-Identifier: Apache-2.0

// Package watch is TraceLedger's supervision watcher (issue 19): it
// follows the committed log through a verifying client, record by record
// from the last one it processed, evaluates a declared, versioned rule set
// (rules as data: rule ids, parameters, the divisions each is on for) over
// verified ledger data, and raises alerts that carry the records and
// proofs they rest on, so that a department can act on an alert without
// trusting the watcher. Alerts sharing an origin lot across several
// divisions aggregate into a systemic-risk alert naming every division and
// enterprise the lot reached (from the trace-forward graph).
//
// Because the watcher reads every record of the log in order, each proven
// against verified roots, it also keeps lists no single map proof gives:
// the suspensions, violations and recalls recorded in the log up to its
// position. Those lists are complete for the log prefix it read (anyone
// can replay the same prefix and must find the same entries), and each
// entry carries its record's proof; they are served as the public
// blacklist and consumer warnings (Handler). docs/SUPERVISION.md.
package watch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
	"github.com/traceledger/traceledger/trace"
)

// StateVersion is the version of the state file format.
const StateVersion = 1

// DefaultBatch is how many records one batch reads (and one state save
// covers) when Config.Batch is 0.
const DefaultBatch = 500

// maxWarnings bounds the public alerts the state keeps.
const maxWarnings = 1000

// Config configures a Watcher.
type Config struct {
	Rules *RuleSet
	// ChainID is the chain the state file must be for.
	ChainID string
	// StatePath is the state file; empty keeps the state in memory.
	StatePath string
	// Alerts receives alerts as JSON lines (nil: none written).
	Alerts io.Writer
	// Metrics, if set, are updated on every step.
	Metrics *Metrics
	// Batch is the records per batch (DefaultBatch when 0).
	Batch int
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// FromTip makes a fresh state (no state file yet) start at the log's
	// current tip instead of its first record: only new records are
	// evaluated, and the lists cover only what follows (their
	// completeness is then for [start, log_size), see Lists).
	FromTip bool
}

// State is what the watcher remembers: where it is in the log, the
// aggregation's origins, and the lists it keeps.
type State struct {
	Version int    `json:"version"`
	ChainID string `json:"chain_id"`
	// RuleSet is the version of the rule set last used.
	RuleSet string `json:"rule_set"`
	// Start is the first log index the watcher read (0 unless it started
	// at the tip); Next the index it continues from; Height the state
	// height of the roots the last batch was proven at.
	Start  uint64 `json:"start,omitempty"`
	Next   uint64 `json:"next"`
	Height int64  `json:"height"`
	// Origins are the origin lots behind alerts (aggregation).
	Origins map[string]*Origin `json:"origins,omitempty"`
	Lists   Lists              `json:"lists"`
	// Counts are the alerts raised so far, by rule.
	Counts map[string]int `json:"counts,omitempty"`
}

// Origin is an origin lot behind alerts: the alerts by division, and how
// many divisions the last aggregated alert named (0: none raised).
type Origin struct {
	Alerts map[string][]string `json:"alerts"`
	Raised int                 `json:"raised,omitempty"`
}

// Lists are what the watcher found in the log prefix it read.
type Lists struct {
	// Status is each participant's last status change.
	Status map[string]*StatusEntry `json:"status,omitempty"`
	// Violations are each enterprise's violation records.
	Violations map[string][]ListRecord `json:"violations,omitempty"`
	// Complaints are each enterprise's complaint records.
	Complaints map[string][]ListRecord `json:"complaints,omitempty"`
	// Recalls are the recalls by id.
	Recalls map[string]*RecallEntry `json:"recalls,omitempty"`
	// Warnings are the latest public alerts (at most 1,000).
	Warnings []*Alert `json:"warnings,omitempty"`
}

// ListRecord is a record of a list with its proof and what it says.
type ListRecord struct {
	EvidenceRecord
	TimeMs int64  `json:"time_ms"`
	Signer string `json:"signer"`
	// Summary is the record's public fields in words (a violation's kind
	// and penalty, a complaint's category).
	Summary string `json:"summary,omitempty"`
}

// StatusEntry is a participant's last status change.
type StatusEntry struct {
	Status string     `json:"status"`
	Reason string     `json:"reason,omitempty"`
	By     string     `json:"by,omitempty"`
	Record ListRecord `json:"record"`
}

// RecallEntry is a recall as recorded.
type RecallEntry struct {
	ID            string     `json:"id"`
	Enterprise    string     `json:"enterprise"`
	OrderedBy     string     `json:"ordered_by,omitempty"`
	Lots          []string   `json:"lots,omitempty"`
	Products      []string   `json:"products,omitempty"`
	Level         int        `json:"level"`
	Hazard        string     `json:"hazard,omitempty"`
	Reason        string     `json:"reason,omitempty"`
	PeriodFromMs  int64      `json:"period_from_ms"`
	PeriodUntilMs int64      `json:"period_until_ms"`
	Record        ListRecord `json:"record"`
}

// Watcher follows the log and raises alerts. Step and Run must not be
// called concurrently; Snapshot and Handler may be used meanwhile.
type Watcher struct {
	cfg Config
	src Source

	mu    sync.Mutex // guards state
	state *State
}

// New creates a watcher over src, loading its state from cfg.StatePath.
func New(cfg Config, src Source) (*Watcher, error) {
	if cfg.Rules == nil {
		return nil, fmt.Errorf("no rule set")
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	st := newState()
	if cfg.StatePath != "" {
		var err error
		if st, err = LoadState(cfg.StatePath); err != nil {
			return nil, err
		}
	}
	if st.ChainID == "" {
		st.ChainID = cfg.ChainID
	}
	if cfg.ChainID != "" && st.ChainID != cfg.ChainID {
		return nil, fmt.Errorf("watch state %s is for chain %q, the trust root for %q", cfg.StatePath, st.ChainID, cfg.ChainID)
	}
	st.RuleSet = cfg.Rules.Version
	return &Watcher{cfg: cfg, src: src, state: st}, nil
}

func newState() *State {
	return &State{Version: StateVersion, Origins: map[string]*Origin{}, Counts: map[string]int{}}
}

// LoadState reads a state file; a missing file is a fresh state.
func LoadState(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return newState(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read watch state: %w", err)
	}
	st := newState()
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("watch state %s: %w", path, err)
	}
	if st.Version != StateVersion {
		return nil, fmt.Errorf("watch state %s has version %d, this watcher reads %d", path, st.Version, StateVersion)
	}
	if st.Origins == nil {
		st.Origins = map[string]*Origin{}
	}
	if st.Counts == nil {
		st.Counts = map[string]int{}
	}
	return st, nil
}

// save writes the state atomically.
func (s *State) save(path string) error {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode watch state: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".watch-state-*")
	if err != nil {
		return fmt.Errorf("write watch state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write watch state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write watch state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write watch state: %w", err)
	}
	return nil
}

// Snapshot returns a deep copy of the state.
func (w *Watcher) Snapshot() *State {
	w.mu.Lock()
	defer w.mu.Unlock()
	b, _ := json.Marshal(w.state)
	st := newState()
	json.Unmarshal(b, st)
	return st
}

// StepReport is the outcome of one step.
type StepReport struct {
	// From and To are the log indexes processed, [From, To).
	From uint64 `json:"from"`
	To   uint64 `json:"to"`
	// Height is the state height of the last batch's roots.
	Height  int64         `json:"height"`
	Records int           `json:"records"`
	Alerts  []*Alert      `json:"alerts"`
	Elapsed time.Duration `json:"elapsed_ns"`
	// Rate is records per second in this step.
	Rate float64 `json:"records_per_second"`
}

// Step processes every record from the state's position to the log's
// verified tip, batch by batch, saving the state after each batch. The
// error is for failures of the watcher or of verification; a batch that
// failed is read again by the next step.
func (w *Watcher) Step(ctx context.Context) (*StepReport, error) {
	start := w.cfg.Now()
	w.mu.Lock()
	rep := &StepReport{From: w.state.Next, To: w.state.Next}
	w.mu.Unlock()
	defer func() {
		rep.Elapsed = w.cfg.Now().Sub(start)
		if s := rep.Elapsed.Seconds(); s > 0 {
			rep.Rate = float64(rep.Records) / s
		}
		if m := w.cfg.Metrics; m != nil && rep.Records > 0 {
			m.Rate.Set(rep.Rate)
		}
	}()
	roots, err := w.src.Tip(ctx)
	if err != nil {
		return rep, err
	}
	w.mu.Lock()
	if w.cfg.FromTip && w.state.Next == 0 && w.state.Height == 0 {
		w.state.Start, w.state.Next, w.state.Height = roots.LogSize, roots.LogSize, roots.Height
		rep.From, rep.To = roots.LogSize, roots.LogSize
	}
	w.mu.Unlock()
	for retries := 0; rep.To < roots.LogSize; {
		to := min(roots.LogSize, rep.To+uint64(w.cfg.Batch))
		evs, err := w.src.Records(ctx, roots, rep.To, to)
		if errors.Is(err, ErrMovedOn) && retries < 5 {
			retries++
			if roots, err = w.src.Tip(ctx); err != nil {
				return rep, err
			}
			continue
		}
		if err != nil {
			return rep, err
		}
		alerts, err := w.process(ctx, evs)
		if err != nil {
			return rep, err
		}
		w.mu.Lock()
		w.state.Next, w.state.Height = to, roots.Height
		var serr error
		if w.cfg.StatePath != "" {
			serr = w.state.save(w.cfg.StatePath)
		}
		w.mu.Unlock()
		if serr != nil {
			return rep, serr
		}
		w.emit(alerts)
		rep.Alerts = append(rep.Alerts, alerts...)
		rep.Records += len(evs)
		rep.To, rep.Height = to, roots.Height
		if m := w.cfg.Metrics; m != nil {
			m.Records.Add(float64(len(evs)))
			m.Next.Set(float64(to))
			m.Height.Set(float64(roots.Height))
		}
		if ctx.Err() != nil {
			break
		}
	}
	if m := w.cfg.Metrics; m != nil {
		m.Steps.Inc()
		m.LogSize.Set(float64(roots.LogSize))
	}
	return rep, nil
}

// emit writes alerts as JSON lines and counts them.
func (w *Watcher) emit(alerts []*Alert) {
	for _, a := range alerts {
		if w.cfg.Alerts != nil {
			line, _ := json.Marshal(a)
			w.cfg.Alerts.Write(append(line, '\n'))
		}
		if m := w.cfg.Metrics; m != nil {
			m.Alerts.WithLabelValues(a.Rule, a.Severity).Inc()
		}
	}
}

// Run steps every interval until ctx is done; onStep, if set, sees each
// report.
func (w *Watcher) Run(ctx context.Context, interval time.Duration, onStep func(*StepReport)) error {
	for {
		rep, err := w.Step(ctx)
		if err != nil && ctx.Err() == nil {
			return err
		}
		if onStep != nil && rep != nil {
			onStep(rep)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(interval):
		}
	}
}

// process evaluates every enabled rule on each record of a batch, in log
// order, updates the lists, and aggregates.
func (w *Watcher) process(ctx context.Context, evs []*trace.Event) ([]*Alert, error) {
	b := newBatch(ctx, w.src)
	if slices.ContainsFunc(w.cfg.Rules.Rules, func(r Rule) bool { return r.Enabled }) {
		b.prefetch(evs)
	}
	var out []*Alert
	for _, ev := range evs {
		w.observe(ev)
		for i := range w.cfg.Rules.Rules {
			r := &w.cfg.Rules.Rules[i]
			if !r.Enabled {
				continue
			}
			fs, err := evaluate(b, r, ev)
			if err != nil {
				return nil, fmt.Errorf("rule %s on record %d: %w", r.ID, ev.Index, err)
			}
			n := 0
			for _, f := range fs {
				div := ""
				if p, err := b.participant(f.enterprise); err != nil {
					return nil, err
				} else if p != nil {
					div = p.DivisionCode
				}
				if len(r.Divisions) > 0 && !slices.Contains(r.Divisions, div) {
					continue
				}
				a := &Alert{ID: fmt.Sprintf("%s/%d/%d", r.ID, ev.Index, n), Rule: r.ID, Type: r.Type, RuleSet: w.cfg.Rules.Version,
					Severity: r.Severity, Subjects: f.subjects, Enterprise: f.enterprise, Division: div,
					Time: time.UnixMilli(ev.Record.Record.TimeMs).UTC(), Index: ev.Index, Raised: w.cfg.Now().UTC(),
					Message: f.message, Public: r.Public, Evidence: f.ev}
				if a.Subjects == nil {
					a.Subjects = []string{}
				}
				n++
				out = append(out, a)
				agg, err := w.aggregate(b, a)
				if err != nil {
					return nil, err
				}
				out = append(out, agg...)
			}
		}
	}
	w.mu.Lock()
	for _, a := range out {
		w.state.Counts[a.Rule]++
		if a.Public {
			w.state.Lists.Warnings = append(w.state.Lists.Warnings, a)
		}
	}
	if n := len(w.state.Lists.Warnings); n > maxWarnings {
		w.state.Lists.Warnings = slices.Clone(w.state.Lists.Warnings[n-maxWarnings:])
	}
	w.mu.Unlock()
	return out, nil
}

// listRecord is ev as a list entry.
func listRecord(ev *trace.Event, role, summary string) ListRecord {
	return ListRecord{EvidenceRecord: evidenceOf(ev, role), TimeMs: ev.Record.Record.TimeMs, Signer: ev.Record.Record.Signer, Summary: summary}
}

// observe files a record in the lists.
func (w *Watcher) observe(ev *trace.Event) {
	r := ev.Record.Record
	w.mu.Lock()
	defer w.mu.Unlock()
	l := &w.state.Lists
	if sc := r.GetGovernance().GetParticipantStatusChanged(); sc != nil {
		if l.Status == nil {
			l.Status = map[string]*StatusEntry{}
		}
		l.Status[sc.Participant] = &StatusEntry{Status: sc.To.String(), Reason: sc.Reason, By: sc.By, Record: listRecord(ev, "status", sc.Reason)}
	}
	switch c := r.GetCredit().GetBody().(type) {
	case *tlv1.CreditRecord_Violation:
		if l.Violations == nil {
			l.Violations = map[string][]ListRecord{}
		}
		v := c.Violation
		l.Violations[v.Enterprise] = append(l.Violations[v.Enterprise], listRecord(ev, "violation", v.Kind+": "+v.Penalty))
	case *tlv1.CreditRecord_Complaint:
		if l.Complaints == nil {
			l.Complaints = map[string][]ListRecord{}
		}
		x := c.Complaint
		l.Complaints[x.Enterprise] = append(l.Complaints[x.Enterprise], listRecord(ev, "complaint", x.Category.String()))
	case *tlv1.CreditRecord_Recall:
		if l.Recalls == nil {
			l.Recalls = map[string]*RecallEntry{}
		}
		if b := c.Recall.GetBody(); b != nil {
			l.Recalls[b.Id] = &RecallEntry{ID: b.Id, Enterprise: b.Enterprise, OrderedBy: c.Recall.OrderedBy, Lots: b.Lots, Products: b.Products,
				Level: int(b.Level), Hazard: b.Hazard, Reason: b.Reason, PeriodFromMs: b.PeriodFromMs, PeriodUntilMs: b.PeriodUntilMs,
				Record: listRecord(ev, "recall", b.Reason)}
		}
	}
}

// aggregate files alert a under the origin lots of its subjects'
// back-traces; an origin behind alerts in at least MinDivisions divisions
// (more than when it last raised) raises a systemic-risk alert naming
// every division and enterprise its trace-forward graph reached.
func (w *Watcher) aggregate(b *batch, a *Alert) ([]*Alert, error) {
	ag := w.cfg.Rules.Aggregate
	if ag == nil || a.Division == "" {
		return nil, nil
	}
	var origins []string
	for _, s := range a.Subjects {
		g, err := b.back(s)
		if err != nil {
			return nil, err
		}
		for _, l := range g.Leaves() {
			if !slices.Contains(origins, l) {
				origins = append(origins, l)
			}
		}
	}
	var out []*Alert
	for _, o := range origins {
		w.mu.Lock()
		st := w.state.Origins[o]
		if st == nil {
			st = &Origin{Alerts: map[string][]string{}}
			w.state.Origins[o] = st
		}
		if !slices.Contains(st.Alerts[a.Division], a.ID) {
			st.Alerts[a.Division] = append(st.Alerts[a.Division], a.ID)
		}
		n, raised := len(st.Alerts), st.Raised
		var related []string
		for _, ids := range st.Alerts {
			related = append(related, ids...)
		}
		w.mu.Unlock()
		if n < ag.MinDivisions || n <= raised {
			continue
		}
		sort.Strings(related)
		fg, err := b.x.Walk(b.ctx, o, trace.Forward)
		if err != nil {
			return nil, err
		}
		var ents []string
		for _, p := range fg.Participants {
			if pt, err := b.participant(p); err != nil {
				return nil, err
			} else if pt != nil && pt.Role == tlv1.ROLE_ENTERPRISE {
				ents = append(ents, p)
			}
		}
		ev := &Evidence{}
		seen := map[uint64]bool{}
		for _, e := range fg.Edges {
			if !seen[e.Event.Index] {
				seen[e.Event.Index] = true
				ev.addRecord(e.Event, "edge")
			}
		}
		for _, nd := range fg.Nodes {
			h, _ := b.history(nd)
			ev.addHistory(h)
		}
		w.mu.Lock()
		var alertDivs []string
		for d := range st.Alerts {
			alertDivs = append(alertDivs, d)
		}
		st.Raised = n
		w.mu.Unlock()
		sort.Strings(alertDivs)
		divs := fg.DivisionsReached
		if divs == nil {
			divs = alertDivs
		}
		out = append(out, &Alert{ID: fmt.Sprintf("%s/%d/%s/%d", ag.ID, a.Index, o, n), Rule: ag.ID, Type: "aggregate", RuleSet: w.cfg.Rules.Version,
			Severity: ag.Severity, Subjects: []string{o}, Divisions: divs, Enterprises: ents, Time: a.Time, Index: a.Index, Raised: w.cfg.Now().UTC(),
			Message: fmt.Sprintf("systemic risk: origin %s is behind %d alerts in %d divisions (%v); it reached %d enterprises in divisions %v",
				o, len(related), n, alertDivs, len(ents), divs),
			Public: ag.Public, Related: related, Evidence: ev})
	}
	return out, nil
}
