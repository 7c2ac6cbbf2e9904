// SPDX-License-Identifier: Apache-2.0

// Package trace builds trace-forward and trace-back graphs from verified
// histories (issue 6; docs/ATTESTATIONS.md).
//
// Every identifier's history on the ledger is proven complete by its head
// (proof.VerifyHistory: the head's map proof, each record's inclusion
// proof, the chain hash over all of them). A graph built by walking
// verified histories is therefore itself proven: each edge names the record
// that supports it, and that record is in a history whose completeness was
// checked; an identifier the ledger does not know is a verified absence
// (its head is proven absent), not an error.
//
// The package needs only a Source of verified histories and participants;
// ClientSource reads them from a node through package client, and Index is
// the in-memory index the walk runs on (filled from a Source on demand, or
// directly, e.g. by the benchmark).
package trace

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/traceledger/traceledger/epcis"
	"github.com/traceledger/traceledger/proof"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// History is one subject's verified history with the proofs it rests on.
type History struct {
	Subject string
	// Head is nil when the subject is proven to have no history.
	Head *tlv1.Head
	// Records are the verified records in log order; Proofs[i] is the
	// inclusion proof of Records[i] as the node sent it.
	Records []*proof.VerifiedRecord
	Proofs  []*tlv1.ProvenRecord
	// Roots are the state roots the proofs end in (at Roots.Height).
	Roots *tlv1.StateRoots
	// RecordRoots, when set, are the roots Proofs[i] ends in, for a
	// history read in pages at several heights (client.HistoryPagesOf);
	// Roots are then the newest page's, which hold the head.
	RecordRoots []*tlv1.StateRoots
}

// VerifyHistoryResponse checks a /history answer for subject (map key
// "head/<subject>") and returns it as a History. The caller is responsible
// for checking that resp.Roots are committed (client.Client does it against
// a verified header).
func VerifyHistoryResponse(subject string, resp *tlv1.HistoryResponse) (*History, error) {
	vh, err := proof.VerifyHistory(subject, tlv1.HeadKey(subject), resp)
	if err != nil {
		return nil, fmt.Errorf("history of %q: %w", subject, err)
	}
	return &History{Subject: subject, Head: vh.Head, Records: vh.Records, Proofs: resp.Records, Roots: resp.Roots}, nil
}

// Source gives verified histories and participants.
type Source interface {
	// History returns the subject's verified history (Head nil when absent).
	History(ctx context.Context, subject string) (*History, error)
	// Participant returns the verified participant, nil when proven absent.
	Participant(ctx context.Context, id string) (*tlv1.Participant, error)
}

// Kind is what a record is about.
type Kind uint8

// Record kinds.
const (
	KindOther       Kind = iota
	KindEPCIS            // an EPCIS event (public or hashed)
	KindEvent            // a minimal RecordEvent
	KindAttestation      // an attestation issue or status change
	KindRecall           // a recall
)

// ID is an identifier an event names, with its role.
type ID struct {
	ID   string
	Role tlv1.IdentifierRole
}

// Event is the part of a record a walk needs, decoded once.
type Event struct {
	// Index is the record's log index; Record and Proof are the verified
	// record and its inclusion proof (nil in a synthetic index).
	Index  uint64
	Record *proof.VerifiedRecord
	Proof  *tlv1.ProvenRecord
	// Roots are the state roots the proof ends in (nil in a synthetic
	// index); the Source verified them against a signed header.
	Roots  *tlv1.StateRoots
	Kind   Kind
	Signer string
	TimeMs int64
	// EPCIS fields.
	Type        tlv1.EPCISEventType
	IDs         []ID
	BizStep     string
	Disposition string
	ChainLink   tlv1.ChainLink
	// Parties are the source and destination list ids of a public event.
	Parties []string
	// Attestation or Recall is set for those kinds.
	Attestation *tlv1.AttestationRecord
	Recall      *tlv1.Recall
	// Subject is a minimal event's subject.
	Subject string
}

// canonical returns the canonical form of an identifier (as the ledger
// stores it in subjects), or s itself when it does not parse.
func canonical(s string) string {
	if c, err := epcis.CanonicalIdentifier(s); err == nil {
		return c
	}
	return s
}

// Decode turns a verified record into an Event.
func Decode(vr *proof.VerifiedRecord, pr *tlv1.ProvenRecord) *Event {
	r := vr.Record
	ev := &Event{Index: vr.Index, Record: vr, Proof: pr, Signer: r.Signer, TimeMs: r.TimeMs}
	switch b := r.Body.(type) {
	case *tlv1.Record_Epcis:
		ev.Kind = KindEPCIS
		ev.ChainLink = b.Epcis.Context.GetChainLink()
		switch k := b.Epcis.Kind.(type) {
		case *tlv1.EPCISRecord_Public:
			p := k.Public
			ev.Type, ev.BizStep, ev.Disposition = p.Type, p.BizStep, p.Disposition
			for _, id := range epcis.EventIdentifiers(p) {
				ev.IDs = append(ev.IDs, ID{ID: canonical(id.Id), Role: id.Role})
			}
			for _, l := range [][]*tlv1.TypedID{p.SourceList, p.DestinationList} {
				for _, t := range l {
					if t != nil && t.Id != "" && !slices.Contains(ev.Parties, t.Id) {
						ev.Parties = append(ev.Parties, t.Id)
					}
				}
			}
		case *tlv1.EPCISRecord_Hashed:
			h := k.Hashed
			ev.Type, ev.BizStep, ev.Disposition, ev.TimeMs = h.Type, h.BizStep, h.Disposition, h.EventTimeMs
			for _, id := range h.Identifiers {
				if id != nil {
					ev.IDs = append(ev.IDs, ID{ID: canonical(id.Id), Role: id.Role})
				}
			}
		}
	case *tlv1.Record_Event:
		ev.Kind, ev.Subject, ev.BizStep = KindEvent, b.Event.Subject, b.Event.EventType
	case *tlv1.Record_Attestation:
		ev.Kind, ev.Attestation = KindAttestation, b.Attestation
	case *tlv1.Record_Credit:
		if rc := b.Credit.GetRecall(); rc != nil {
			ev.Kind, ev.Recall = KindRecall, rc
		}
	}
	return ev
}

// entry is one subject in the index.
type entry struct {
	known  bool
	events []*Event
	hist   *History
}

// Index holds decoded histories by subject and participants by id. It
// fetches what it lacks from its Source (if any), up to eight histories at
// once (the Source must be safe for concurrent use). An Index itself is not
// safe for concurrent use.
type Index struct {
	src          Source
	subjects     map[string]*entry
	participants map[string]*tlv1.Participant
}

// NewIndex returns an empty index that reads from src (nil: only what is
// added with Add and AddParticipant).
func NewIndex(src Source) *Index {
	return &Index{src: src, subjects: map[string]*entry{}, participants: map[string]*tlv1.Participant{}}
}

// Add appends a decoded event to subject's history in the index.
func (x *Index) Add(subject string, ev *Event) {
	e := x.subjects[subject]
	if e == nil {
		e = &entry{known: true}
		x.subjects[subject] = e
	}
	e.events = append(e.events, ev)
}

// AddParticipant puts a participant in the index.
func (x *Index) AddParticipant(p *tlv1.Participant) { x.participants[p.Id] = p }

// events returns subject's events and whether the subject is known.
func (x *Index) events(ctx context.Context, subject string) ([]*Event, bool, error) {
	if e, ok := x.subjects[subject]; ok {
		return e.events, e.known, nil
	}
	if x.src == nil {
		x.subjects[subject] = &entry{}
		return nil, false, nil
	}
	h, err := x.src.History(ctx, subject)
	if err != nil {
		return nil, false, err
	}
	e := x.put(subject, h)
	return e.events, e.known, nil
}

// Prefetch limits: histories fetched ahead of the walk, and at once.
const (
	prefetchAhead   = 64
	prefetchWorkers = 8
)

// prefetch fetches, concurrently, the histories of the next queued
// subjects the index lacks, so that a walk over a node does not pay one
// round trip per identifier in sequence. Results are stored in queue order;
// the walk's answer does not depend on the fetch order.
func (x *Index) prefetch(ctx context.Context, queue []string) error {
	if x.src == nil {
		return nil
	}
	if _, ok := x.subjects[queue[0]]; ok {
		return nil
	}
	var want []string
	for _, s := range queue {
		if len(want) == prefetchAhead {
			break
		}
		if _, ok := x.subjects[s]; !ok && !slices.Contains(want, s) {
			want = append(want, s)
		}
	}
	hs := make([]*History, len(want))
	errs := make([]error, len(want))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(prefetchWorkers, len(want)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				hs[i], errs[i] = x.src.History(ctx, want[i])
			}
		}()
	}
	for i := range want {
		work <- i
	}
	close(work)
	wg.Wait()
	for i, s := range want {
		if errs[i] != nil {
			return errs[i]
		}
		x.put(s, hs[i])
	}
	return nil
}

// put stores a fetched history in the index.
func (x *Index) put(subject string, h *History) *entry {
	e := &entry{known: h.Head != nil, hist: h}
	for i, vr := range h.Records {
		var pr *tlv1.ProvenRecord
		if i < len(h.Proofs) {
			pr = h.Proofs[i]
		}
		ev := Decode(vr, pr)
		ev.Roots = h.Roots
		if i < len(h.RecordRoots) && h.RecordRoots[i] != nil {
			ev.Roots = h.RecordRoots[i]
		}
		e.events = append(e.events, ev)
	}
	x.subjects[subject] = e
	return e
}

// participant returns a participant (nil when unknown).
func (x *Index) participant(ctx context.Context, id string) (*tlv1.Participant, error) {
	if p, ok := x.participants[id]; ok {
		return p, nil
	}
	if x.src == nil {
		return nil, nil
	}
	p, err := x.src.Participant(ctx, id)
	if err != nil {
		return nil, err
	}
	x.participants[id] = p
	return p, nil
}

// Edge is one link of a graph, with the event that supports it.
type Edge struct {
	From, To string
	// Rel is transformed_into, aggregated_into, contains (only from the
	// root), includes (forward); made_from, of_lot (back).
	Rel   string
	Event *Event
}

// Graph is the answer of a trace.
type Graph struct {
	Root string
	// Absent is true when Root has no history: a verified absence.
	Absent bool
	// Nodes are the identifiers reached, root first, in walk order.
	Nodes []string
	Edges []Edge
	// Participants are the participants that held or were party to any
	// reached identifier, sorted; Divisions maps each to its division code
	// (from its verified participant entry; empty when unknown).
	Participants []string
	Divisions    map[string]string
	// DivisionsReached are the distinct division codes, sorted.
	DivisionsReached []string
	// Disposition is each node's last known disposition and the event
	// that set it (nodes with no disposition are absent).
	Disposition map[string]*Event
	// Attestations are the attestation records found in the reached
	// histories; Recalls the recall records.
	Attestations []*Event
	Recalls      []*Event
	// Events are all distinct events seen in the reached histories, in log
	// order (used by the seven-link report).
	Events []*Event
}

// Direction of a walk.
type Direction int

// Directions.
const (
	Forward Direction = iota
	Back
)

// next returns the edges the walk follows from node through ev.
func next(dir Direction, node string, isRoot bool, ev *Event, out []Edge) []Edge {
	if ev.Kind != KindEPCIS {
		return out
	}
	var roles []tlv1.IdentifierRole
	for _, id := range ev.IDs {
		if id.ID == node {
			roles = append(roles, id.Role)
		}
	}
	add := func(role tlv1.IdentifierRole, rel string) {
		for _, id := range ev.IDs {
			if id.Role == role && id.ID != node {
				out = append(out, Edge{From: node, To: id.ID, Rel: rel, Event: ev})
			}
		}
	}
	for _, r := range roles {
		switch {
		case dir == Forward && ev.Type == tlv1.EPCIS_EVENT_TYPE_TRANSFORMATION && r == tlv1.IDENTIFIER_ROLE_INPUT:
			add(tlv1.IDENTIFIER_ROLE_OUTPUT, "transformed_into")
		case dir == Back && ev.Type == tlv1.EPCIS_EVENT_TYPE_TRANSFORMATION && r == tlv1.IDENTIFIER_ROLE_OUTPUT:
			add(tlv1.IDENTIFIER_ROLE_INPUT, "made_from")
		case dir == Forward && (ev.Type == tlv1.EPCIS_EVENT_TYPE_AGGREGATION || ev.Type == tlv1.EPCIS_EVENT_TYPE_ASSOCIATION) && r == tlv1.IDENTIFIER_ROLE_CHILD:
			add(tlv1.IDENTIFIER_ROLE_PARENT, "aggregated_into")
		case dir == Forward && isRoot && (ev.Type == tlv1.EPCIS_EVENT_TYPE_AGGREGATION || ev.Type == tlv1.EPCIS_EVENT_TYPE_ASSOCIATION) && r == tlv1.IDENTIFIER_ROLE_PARENT:
			// Only the root's contents: a container reached from an
			// affected item is affected, but its other contents are not.
			add(tlv1.IDENTIFIER_ROLE_CHILD, "contains")
		case dir == Forward && ev.Type == tlv1.EPCIS_EVENT_TYPE_OBJECT && r == tlv1.IDENTIFIER_ROLE_CLASS:
			add(tlv1.IDENTIFIER_ROLE_INSTANCE, "includes")
		case dir == Back && ev.Type == tlv1.EPCIS_EVENT_TYPE_OBJECT && r == tlv1.IDENTIFIER_ROLE_INSTANCE:
			add(tlv1.IDENTIFIER_ROLE_CLASS, "of_lot")
		}
	}
	return out
}

// Walk traces from root in direction dir over the index: every identifier
// reachable through transformation, aggregation, association and
// object (lot to item) events, the participants that recorded events on
// them or are named as source or destination, their divisions, and each
// node's last known disposition. An unknown root gives a Graph with Absent
// set (a verified absence when the index reads from a verifying Source).
func (x *Index) Walk(ctx context.Context, root string, dir Direction) (*Graph, error) {
	root = canonical(root)
	g := &Graph{Root: root, Divisions: map[string]string{}, Disposition: map[string]*Event{}}
	evs, known, err := x.events(ctx, root)
	if err != nil {
		return nil, err
	}
	if !known {
		g.Absent = true
		return g, nil
	}
	_ = evs // the root's history is read again (from the index) in the loop
	seen := map[string]bool{root: true}
	seenEv := map[uint64]bool{} // by log index: one record is in several histories
	parts := map[string]bool{}
	queue := []string{root}
	var buf []Edge
	for len(queue) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := x.prefetch(ctx, queue); err != nil {
			return nil, err
		}
		node := queue[0]
		queue = queue[1:]
		g.Nodes = append(g.Nodes, node)
		evs, _, err := x.events(ctx, node)
		if err != nil {
			return nil, err
		}
		for _, ev := range evs {
			if !seenEv[ev.Index] {
				seenEv[ev.Index] = true
				g.Events = append(g.Events, ev)
				switch ev.Kind {
				case KindAttestation:
					g.Attestations = append(g.Attestations, ev)
				case KindRecall:
					g.Recalls = append(g.Recalls, ev)
				}
			}
			if ev.Kind == KindEPCIS || ev.Kind == KindEvent {
				if ev.Signer != "" && !parts[ev.Signer] {
					parts[ev.Signer] = true
				}
				for _, p := range ev.Parties {
					parts[p] = true
				}
			}
			if ev.Disposition != "" {
				if d := g.Disposition[node]; d == nil || d.Index < ev.Index {
					g.Disposition[node] = ev
				}
			}
			buf = next(dir, node, node == root, ev, buf[:0])
			for _, e := range buf {
				g.Edges = append(g.Edges, e)
				if !seen[e.To] {
					seen[e.To] = true
					queue = append(queue, e.To)
				}
			}
		}
	}
	for p := range parts {
		g.Participants = append(g.Participants, p)
	}
	slices.Sort(g.Participants)
	divs := map[string]bool{}
	for _, id := range g.Participants {
		p, err := x.participant(ctx, id)
		if err != nil {
			return nil, err
		}
		if p != nil && p.DivisionCode != "" {
			g.Divisions[id] = p.DivisionCode
			divs[p.DivisionCode] = true
		}
	}
	for d := range divs {
		g.DivisionsReached = append(g.DivisionsReached, d)
	}
	slices.Sort(g.DivisionsReached)
	slices.SortFunc(g.Events, func(a, b *Event) int { return cmpU64(a.Index, b.Index) })
	return g, nil
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Reached reports whether id (canonical form) is a node of the graph.
func (g *Graph) Reached(id string) bool { return slices.Contains(g.Nodes, canonical(id)) }

// Leaves are the reached nodes no edge leaves from: the end of the supply
// chain (forward) or the origins (back).
func (g *Graph) Leaves() []string {
	from := map[string]bool{}
	for _, e := range g.Edges {
		from[e.From] = true
	}
	var out []string
	for _, n := range g.Nodes {
		if !from[n] {
			out = append(out, n)
		}
	}
	return out
}

// SevenLinks are the seven links of agricultural-product traceability, in
// order.
var SevenLinks = []tlv1.ChainLink{
	tlv1.CHAIN_LINK_ORIGIN_ENVIRONMENT_CERTIFICATION, tlv1.CHAIN_LINK_PRODUCT_CERTIFICATION,
	tlv1.CHAIN_LINK_INPUT_USE, tlv1.CHAIN_LINK_PRODUCTION_RECORD, tlv1.CHAIN_LINK_PACKAGING_LABEL,
	tlv1.CHAIN_LINK_ORIGIN_EXIT, tlv1.CHAIN_LINK_MARKET_ACCESS,
}

// LinkReport is the seven-link report of a lot: the events of each link
// found in the lot's back-trace (its own history and its inputs'), and the
// links with none.
type LinkReport struct {
	Lot     string
	Present map[tlv1.ChainLink][]*Event
	Missing []tlv1.ChainLink
}

// SevenLinkReport builds the report from a back-trace graph of the lot.
func SevenLinkReport(g *Graph) *LinkReport {
	r := &LinkReport{Lot: g.Root, Present: map[tlv1.ChainLink][]*Event{}}
	for _, ev := range g.Events {
		if ev.ChainLink != tlv1.CHAIN_LINK_UNSPECIFIED {
			r.Present[ev.ChainLink] = append(r.Present[ev.ChainLink], ev)
		}
	}
	for _, l := range SevenLinks {
		if len(r.Present[l]) == 0 {
			r.Missing = append(r.Missing, l)
		}
	}
	return r
}

// LinkName is the lower-case name of a chain link.
func LinkName(l tlv1.ChainLink) string {
	if n := epcis.ChainLinkName(l); n != "" {
		return n
	}
	return strings.ToLower(strings.TrimPrefix(l.String(), "CHAIN_LINK_"))
}
