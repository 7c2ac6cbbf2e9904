// SPDX-License-Identifier: Apache-2.0

package watch

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/epcis"
	"github.com/traceledger/traceledger/proof"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
	"github.com/traceledger/traceledger/trace"
)

// batch is the working data of one batch of records: one history cache
// and one trace index, so that the rules of a batch share their reads.
type batch struct {
	ctx   context.Context
	src   *cachedSource
	x     *trace.Index
	backs map[string]*trace.Graph
}

func newBatch(ctx context.Context, src Source) *batch {
	c := newCache(src)
	return &batch{ctx: ctx, src: c, x: trace.NewIndex(c), backs: map[string]*trace.Graph{}}
}

// prefetchWorkers is how many histories a batch reads ahead at once.
const prefetchWorkers = 16

// prefetch reads, concurrently, the histories of the identifiers the
// batch's events name and the entries of their signers, so that the rules
// (which run one record after another, in log order) find them cached.
func (b *batch) prefetch(evs []*trace.Event) {
	var subjects, signers []string
	seenS, seenP := map[string]bool{}, map[string]bool{}
	for _, ev := range evs {
		for _, s := range subjectsOf(ev) {
			if !seenS[s] {
				seenS[s] = true
				subjects = append(subjects, s)
			}
		}
		if ev.Signer != "" && !seenP[ev.Signer] && (ev.Kind == trace.KindEPCIS || ev.Kind == trace.KindEvent) {
			seenP[ev.Signer] = true
			signers = append(signers, ev.Signer)
		}
	}
	work := make(chan func())
	var wg sync.WaitGroup
	for range prefetchWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				f()
			}
		}()
	}
	for _, s := range subjects {
		work <- func() { b.src.History(b.ctx, s) } // errors surface when the rule reads it
	}
	for _, p := range signers {
		work <- func() { b.src.Participant(b.ctx, p) }
	}
	close(work)
	wg.Wait()
}

// back is the back-trace graph of id (cached for the batch).
func (b *batch) back(id string) (*trace.Graph, error) {
	if g, ok := b.backs[id]; ok {
		return g, nil
	}
	g, err := b.x.Walk(b.ctx, id, trace.Back)
	if err != nil {
		return nil, err
	}
	b.backs[id] = g
	return g, nil
}

// history is subject's verified history (cached).
func (b *batch) history(subject string) (*trace.History, error) {
	return b.src.History(b.ctx, subject)
}

// participant is the verified participant (nil when not registered).
func (b *batch) participant(id string) (*tlv1.Participant, error) {
	return b.src.Participant(b.ctx, id)
}

// finding is an alert before the watcher numbers and stamps it.
type finding struct {
	subjects   []string
	enterprise string
	message    string
	ev         *Evidence
}

// stepWord is a business step's bare word: "shipping" for
// urn:epcglobal:cbv:bizstep:shipping, https://ref.gs1.org/cbv/BizStep-shipping
// or shipping.
func stepWord(s string) string {
	if i := strings.LastIndexAny(s, ":/"); i >= 0 {
		s = s[i+1:]
	}
	s = strings.TrimPrefix(s, "BizStep-")
	return strings.ToLower(s)
}

// stepOf is the event's business step (an EPCIS bizStep or a trace
// event's type) as a bare word.
func stepOf(ev *trace.Event) string {
	if ev.Kind != trace.KindEPCIS && ev.Kind != trace.KindEvent {
		return ""
	}
	return stepWord(ev.BizStep)
}

func hasStep(steps []string, ev *trace.Event) bool {
	s := stepOf(ev)
	if s == "" {
		return false
	}
	for _, w := range steps {
		if stepWord(w) == s {
			return true
		}
	}
	return false
}

// subjectsOf are the identifiers an event moves or names (canonical,
// distinct, in the event's order).
func subjectsOf(ev *trace.Event) []string {
	var out []string
	switch ev.Kind {
	case trace.KindEPCIS:
		for _, id := range ev.IDs {
			if id.Role == tlv1.IDENTIFIER_ROLE_INPUT {
				continue // inputs are consumed, not moved
			}
			if !slices.Contains(out, id.ID) {
				out = append(out, id.ID)
			}
		}
	case trace.KindEvent:
		s := ev.Subject
		if c, err := epcis.CanonicalIdentifier(s); err == nil {
			s = c
		}
		out = append(out, s)
	}
	return out
}

// eventTimeMs is the event time the record carries (an EPCIS or trace
// event's own time), else its block time.
func eventTimeMs(ev *trace.Event) int64 {
	r := ev.Record.Record
	if e := r.GetEvent(); e != nil && e.EventTimeMs > 0 {
		return e.EventTimeMs
	}
	if h := r.GetEpcis().GetHashed(); h != nil && h.EventTimeMs > 0 {
		return h.EventTimeMs
	}
	if p := r.GetEpcis().GetPublic(); p != nil {
		if t, err := time.Parse(time.RFC3339Nano, p.EventTime); err == nil {
			return t.UnixMilli()
		}
	}
	return r.TimeMs
}

func linkByName(s string) (tlv1.ChainLink, bool) {
	l, err := epcis.ParseChainLink(s)
	return l, err == nil
}

// path returns the events of the edges from root to node in a graph
// (the first way the walk found), root side first.
func path(g *trace.Graph, node string) []*trace.Event {
	parent := map[string]trace.Edge{}
	for _, e := range g.Edges {
		if _, ok := parent[e.To]; !ok && e.To != g.Root {
			parent[e.To] = e
		}
	}
	var out []*trace.Event
	for n := node; n != g.Root; {
		e, ok := parent[n]
		if !ok || len(out) > len(g.Edges) {
			break
		}
		out = append(out, e.Event)
		n = e.From
	}
	slices.Reverse(out)
	return out
}

func canonicalOr(s string) string {
	if c, err := epcis.CanonicalIdentifier(s); err == nil {
		return c
	}
	return s
}

// evalMovementAfterRecall: a movement of an identifier whose back-trace
// reaches a lot (or product class) of a recall recorded before it.
func evalMovementAfterRecall(b *batch, p *MovementParams, ev *trace.Event) ([]finding, error) {
	if !hasStep(p.Steps, ev) {
		return nil, nil
	}
	var out []finding
	for _, s := range subjectsOf(ev) {
		g, err := b.back(s)
		if err != nil {
			return nil, err
		}
		if g.Absent {
			continue
		}
		for _, rc := range g.Recalls {
			if rc.Index >= ev.Index || rc.Recall.GetBody() == nil {
				continue
			}
			body := rc.Recall.Body
			var hit string
			for _, l := range append(slices.Clone(body.Lots), body.Products...) {
				if c := canonicalOr(l); g.Reached(c) {
					hit = c
					break
				}
			}
			if hit == "" {
				continue
			}
			f := finding{subjects: []string{s}, enterprise: ev.Signer, ev: &Evidence{}}
			via := ""
			if hit != s {
				via = fmt.Sprintf(", made from or part of recalled %s", hit)
			}
			f.message = fmt.Sprintf("%s moved (%s) by %s at log index %d after recall %s (level %d, %s) started at index %d%s",
				s, stepOf(ev), ev.Signer, ev.Index, body.Id, int(body.Level), body.Hazard, rc.Index, via)
			f.ev.addRecord(ev, "trigger")
			f.ev.addRecord(rc, "recall")
			for _, pe := range path(g, hit) {
				f.ev.addRecord(pe, "edge")
			}
			for _, id := range []string{s, hit} {
				h, _ := b.history(id)
				f.ev.addHistory(h)
			}
			out = append(out, f)
		}
	}
	return out, nil
}

// statusBefore is the last participant-status change in a membership
// history before log index idx (nil when none).
func statusBefore(h *trace.History, idx uint64) (*trace.Event, *tlv1.ParticipantStatusChanged) {
	var ev *trace.Event
	var sc *tlv1.ParticipantStatusChanged
	for i, r := range h.Records {
		if r.Index >= idx {
			break
		}
		if c := r.Record.GetGovernance().GetParticipantStatusChanged(); c != nil {
			ev, sc = historyEvent(h, i), c
		}
	}
	return ev, sc
}

// historyEvent is record i of h as an event with its proof and roots.
func historyEvent(h *trace.History, i int) *trace.Event {
	var pr *tlv1.ProvenRecord
	if i < len(h.Proofs) {
		pr = h.Proofs[i]
	}
	ev := trace.Decode(h.Records[i], pr)
	ev.Roots = h.Roots
	if i < len(h.RecordRoots) && h.RecordRoots[i] != nil {
		ev.Roots = h.RecordRoots[i]
	}
	return ev
}

// evalSuspendedUpstream: a movement of products an enterprise held
// upstream while it was suspended (or after it collected the set number of
// violations).
func evalSuspendedUpstream(b *batch, p *SuspendedParams, ev *trace.Event) ([]finding, error) {
	if !hasStep(p.Steps, ev) {
		return nil, nil
	}
	var out []finding
	for _, s := range subjectsOf(ev) {
		g, err := b.back(s)
		if err != nil {
			return nil, err
		}
		for _, up := range g.Participants {
			if up == ev.Signer {
				continue
			}
			pt, err := b.participant(up)
			if err != nil {
				return nil, err
			}
			if pt == nil || pt.Role != tlv1.ROLE_ENTERPRISE {
				continue
			}
			mh, err := b.history(tlv1.ParticipantSubject(up))
			if err != nil {
				return nil, err
			}
			f := finding{subjects: []string{s}, enterprise: up, ev: &Evidence{}}
			if sev, sc := statusBefore(mh, ev.Index); sc != nil && sc.To == tlv1.PARTICIPANT_STATUS_SUSPENDED {
				f.message = fmt.Sprintf("%s moved (%s) by %s at log index %d: upstream enterprise %s has been suspended since index %d (%s)",
					s, stepOf(ev), ev.Signer, ev.Index, up, sev.Index, sc.Reason)
				f.ev.addRecord(ev, "trigger")
				f.ev.addRecord(sev, "suspension")
				f.ev.addHistory(mh)
				out = append(out, f)
				continue
			}
			if p.ViolationsAtLeast <= 0 {
				continue
			}
			ch, err := b.history(tlv1.CreditSubject(up))
			if err != nil {
				return nil, err
			}
			var viol []*trace.Event
			for i, r := range ch.Records {
				if r.Index < ev.Index && r.Record.GetCredit().GetViolation() != nil {
					viol = append(viol, historyEvent(ch, i))
				}
			}
			if len(viol) >= p.ViolationsAtLeast {
				f.message = fmt.Sprintf("%s moved (%s) by %s at log index %d: upstream enterprise %s has %d recorded violations (threshold %d)",
					s, stepOf(ev), ev.Signer, ev.Index, up, len(viol), p.ViolationsAtLeast)
				f.ev.addRecord(ev, "trigger")
				for _, v := range viol {
					f.ev.addRecord(v, "violation")
				}
				f.ev.addHistory(ch)
				out = append(out, f)
			}
		}
	}
	return out, nil
}

func verifiedHistory(h *trace.History) *proof.VerifiedHistory {
	return &proof.VerifiedHistory{Subject: h.Subject, Head: h.Head, Records: h.Records}
}

// evalCertification: an event by an enterprise that held no attestation
// of the scheme valid at the event time.
func evalCertification(b *batch, p *CertificationParams, ev *trace.Event) ([]finding, error) {
	if ev.Kind != trace.KindEPCIS && ev.Kind != trace.KindEvent {
		return nil, nil
	}
	if len(p.Enterprises) > 0 && !slices.Contains(p.Enterprises, ev.Signer) {
		return nil, nil
	}
	if len(p.Steps) > 0 || len(p.Links) > 0 {
		match := hasStep(p.Steps, ev)
		for _, l := range p.Links {
			if cl, _ := linkByName(l); cl == ev.ChainLink && cl != tlv1.CHAIN_LINK_UNSPECIFIED {
				match = true
			}
		}
		if !match {
			return nil, nil
		}
	}
	pt, err := b.participant(ev.Signer)
	if err != nil {
		return nil, err
	}
	if pt == nil || pt.Role != tlv1.ROLE_ENTERPRISE {
		return nil, nil
	}
	t := eventTimeMs(ev)
	if p.Time == "record" {
		t = ev.Record.Record.TimeMs
	}
	ch, err := b.history(tlv1.CreditSubject(ev.Signer))
	if err != nil {
		return nil, err
	}
	f := finding{subjects: subjectsOf(ev), enterprise: ev.Signer, ev: &Evidence{}}
	f.ev.addRecord(ev, "trigger")
	f.ev.addHistory(ch)
	found := 0
	for i, r := range ch.Records {
		a := r.Record.GetAttestation().GetIssued()
		if a == nil || a.Body == nil || a.Body.Scheme != p.Scheme || r.Index >= ev.Index {
			continue
		}
		found++
		ah, err := b.history(tlv1.AttestationHistorySubject(a.Id))
		if err != nil {
			return nil, err
		}
		ih, err := b.history(tlv1.ParticipantSubject(a.Issuer))
		if err != nil {
			return nil, err
		}
		v, err := client.AttestationValidAt(verifiedHistory(ah), verifiedHistory(ih), t)
		if err != nil {
			return nil, err
		}
		if v.Valid {
			return nil, nil
		}
		f.ev.addRecord(historyEvent(ch, i), "attestation")
		for j, hr := range ah.Records {
			if v.Status != nil && hr.Index == v.Status.Index {
				f.ev.addRecord(historyEvent(ah, j), "attestation_status")
			}
		}
		f.ev.addHistory(ah)
		f.ev.addHistory(ih)
		for _, fl := range v.Failures {
			f.ev.Failures = append(f.ev.Failures, a.Id+": "+fl)
		}
	}
	at := time.UnixMilli(t).UTC().Format(time.RFC3339)
	if found == 0 {
		f.message = fmt.Sprintf("%s recorded %s at log index %d without any %s certification recorded before it (event time %s)", ev.Signer, describe(ev), ev.Index, p.Scheme, at)
		f.ev.Failures = append(f.ev.Failures, fmt.Sprintf("the complete credit history of %s holds no %s attestation issued before index %d", ev.Signer, p.Scheme, ev.Index))
	} else {
		f.message = fmt.Sprintf("%s recorded %s at log index %d while none of its %d %s certification(s) was valid at the event time %s", ev.Signer, describe(ev), ev.Index, found, p.Scheme, at)
	}
	return []finding{f}, nil
}

// describe names an event in a message: its step or chain link.
func describe(ev *trace.Event) string {
	var parts []string
	if s := stepOf(ev); s != "" {
		parts = append(parts, s)
	}
	if n := epcis.ChainLinkName(ev.ChainLink); n != "" {
		parts = append(parts, n)
	}
	if len(parts) == 0 {
		return "an event"
	}
	return "an event (" + strings.Join(parts, ", ") + ")"
}

// evalSevenLinks: a market-access event for a lot whose back-trace, as
// recorded before it, lacks required links.
func evalSevenLinks(b *batch, p *SevenLinksParams, ev *trace.Event) ([]finding, error) {
	if ev.Kind != trace.KindEPCIS {
		return nil, nil
	}
	if ev.ChainLink != tlv1.CHAIN_LINK_MARKET_ACCESS && !hasStep(p.Steps, ev) {
		return nil, nil
	}
	required := trace.SevenLinks
	if len(p.Required) > 0 {
		required = nil
		for _, n := range p.Required {
			l, _ := linkByName(n)
			required = append(required, l)
		}
	}
	var out []finding
	for _, s := range subjectsOf(ev) {
		g, err := b.back(s)
		if err != nil {
			return nil, err
		}
		present := map[tlv1.ChainLink]*trace.Event{}
		for _, e := range g.Events {
			if e.Index <= ev.Index && e.ChainLink != tlv1.CHAIN_LINK_UNSPECIFIED && present[e.ChainLink] == nil {
				present[e.ChainLink] = e
			}
		}
		var missing []string
		for _, l := range required {
			if present[l] == nil && l != tlv1.CHAIN_LINK_MARKET_ACCESS {
				missing = append(missing, trace.LinkName(l))
			}
		}
		if len(missing) == 0 {
			continue
		}
		f := finding{subjects: []string{s}, enterprise: ev.Signer, ev: &Evidence{}}
		f.message = fmt.Sprintf("%s offered for market access by %s at log index %d with missing links of the seven-link chain: %s",
			s, ev.Signer, ev.Index, strings.Join(missing, ", "))
		f.ev.addRecord(ev, "trigger")
		for _, l := range trace.SevenLinks {
			if e := present[l]; e != nil {
				f.ev.addRecord(e, "link:"+trace.LinkName(l))
			}
		}
		for _, n := range g.Nodes {
			h, _ := b.history(n)
			f.ev.addHistory(h)
		}
		for _, m := range missing {
			f.ev.Failures = append(f.ev.Failures, "no "+m+" event in the complete histories of the back-trace before index "+strconv.FormatUint(ev.Index, 10))
		}
		out = append(out, f)
	}
	return out, nil
}

// reading is one sensor value at a time.
type reading struct {
	t     time.Time
	value float64
	out   bool
}

// Excursion is a run of readings outside the declared range.
type Excursion struct {
	From, To time.Time
	// Worst is the value furthest outside the range.
	Worst float64
}

// Duration is the excursion's length.
func (e Excursion) Duration() time.Duration { return e.To.Sub(e.From) }

func parseTime(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// Excursions finds the runs of sensor reports of the declared type
// outside [min, max] in a public EPCIS event. A run lasts from its first
// out-of-range report to the next report back in range (or its last
// report, or the sensor period's end, when none came back). A report with
// minValue/maxValue covers the sensor's period: out of range when either
// bound is, lasting the whole period.
func Excursions(p *ColdChainParams, e *tlv1.EPCISEvent) []Excursion {
	outside := func(v float64) bool {
		return (p.Min != nil && v < *p.Min) || (p.Max != nil && v > *p.Max)
	}
	dist := func(v float64) float64 {
		d := 0.0
		if p.Min != nil && v < *p.Min {
			d = *p.Min - v
		}
		if p.Max != nil && v > *p.Max {
			d = max(d, v-*p.Max)
		}
		return d
	}
	var out []Excursion
	for _, se := range e.SensorElementList {
		if se == nil {
			continue
		}
		md := se.SensorMetadata
		var start, end time.Time
		if md != nil {
			start, _ = parseTime(md.StartTime)
			end, _ = parseTime(md.EndTime)
			if t, ok := parseTime(md.Time); ok && start.IsZero() {
				start = t
			}
		}
		var rs []reading
		for _, r := range se.SensorReport {
			if r == nil || !strings.EqualFold(stepWord(r.Type), p.SensorType) {
				continue
			}
			if p.UOM != "" && r.Uom != "" && !strings.EqualFold(r.Uom, p.UOM) {
				continue
			}
			t, ok := parseTime(r.Time)
			if !ok {
				t = start
			}
			if v, err := strconv.ParseFloat(r.Value, 64); err == nil && !math.IsNaN(v) {
				rs = append(rs, reading{t: t, value: v, out: outside(v)})
				continue
			}
			lo, errLo := strconv.ParseFloat(r.MinValue, 64)
			hi, errHi := strconv.ParseFloat(r.MaxValue, 64)
			if errLo == nil && errHi == nil && (outside(lo) || outside(hi)) && !start.IsZero() && !end.IsZero() {
				worst := lo
				if dist(hi) > dist(lo) {
					worst = hi
				}
				out = append(out, Excursion{From: start, To: end, Worst: worst})
			}
		}
		sort.SliceStable(rs, func(i, j int) bool { return rs[i].t.Before(rs[j].t) })
		for i := 0; i < len(rs); i++ {
			if !rs[i].out {
				continue
			}
			ex := Excursion{From: rs[i].t, To: rs[i].t, Worst: rs[i].value}
			j := i
			for ; j < len(rs) && rs[j].out; j++ {
				ex.To = rs[j].t
				if dist(rs[j].value) > dist(ex.Worst) {
					ex.Worst = rs[j].value
				}
			}
			switch {
			case j < len(rs):
				ex.To = rs[j].t
			case !end.IsZero() && end.After(ex.To):
				ex.To = end
			}
			out = append(out, ex)
			i = j
		}
	}
	return out
}

// evalColdChain: sensor reports of a public EPCIS event outside the range.
func evalColdChain(_ *batch, p *ColdChainParams, ev *trace.Event) ([]finding, error) {
	pub := ev.Record.Record.GetEpcis().GetPublic()
	if pub == nil || len(pub.SensorElementList) == 0 {
		return nil, nil
	}
	var out []finding
	for _, ex := range Excursions(p, pub) {
		if ex.Duration() < time.Duration(p.MinDurationS)*time.Second {
			continue
		}
		f := finding{subjects: subjectsOf(ev), enterprise: ev.Signer, ev: &Evidence{}}
		f.message = fmt.Sprintf("%s outside [%s, %s] %s for %s (from %s to %s, worst %g) in the event recorded by %s at log index %d",
			p.SensorType, bound(p.Min), bound(p.Max), p.UOM, ex.Duration(), ex.From.UTC().Format(time.RFC3339), ex.To.UTC().Format(time.RFC3339), ex.Worst, ev.Signer, ev.Index)
		f.ev.addRecord(ev, "trigger")
		out = append(out, f)
	}
	return out, nil
}

func bound(v *float64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatFloat(*v, 'g', -1, 64)
}

// evaluate runs rule r on one record.
func evaluate(b *batch, r *Rule, ev *trace.Event) ([]finding, error) {
	switch p := r.params.(type) {
	case *MovementParams:
		return evalMovementAfterRecall(b, p, ev)
	case *SuspendedParams:
		return evalSuspendedUpstream(b, p, ev)
	case *CertificationParams:
		return evalCertification(b, p, ev)
	case *SevenLinksParams:
		return evalSevenLinks(b, p, ev)
	case *ColdChainParams:
		return evalColdChain(b, p, ev)
	}
	return nil, fmt.Errorf("rule %s has no evaluator", r.ID)
}
