// SPDX-License-Identifier: Apache-2.0

package watch

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/epcis"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
	"github.com/traceledger/traceledger/trace"
)

// A complaint on the ledger (record_complaint) names the enterprise and
// keeps only the complaint's hash and category: the product the
// complainant bought is in the complaint document, which the receiving
// department holds. Assess therefore takes the complaint's log index and
// the product's identifier from that document, and checks the rest
// against the ledger.

// Assessment is the impact assessment of a complaint: the responsible
// enterprise located from the product's back-trace, and the sales range
// from the trace-forward of the lots it held, every fact with the record
// it rests on. It is what a department turns into a recall (Recall).
type Assessment struct {
	// Complaint is the complaint record; Enterprise and Category what it
	// says.
	Complaint  EvidenceRecord `json:"complaint"`
	Enterprise string         `json:"enterprise"`
	Category   string         `json:"category"`
	// Product is the complained-about identifier (canonical).
	Product string `json:"product"`
	// Located is true when the product's back-trace holds an event the
	// enterprise signed (Held); Findings say what does not fit.
	Located  bool             `json:"located"`
	Held     []EvidenceRecord `json:"held"`
	Findings []string         `json:"findings,omitempty"`
	// Origins are the origins of the product's back-trace; Upstream its
	// participants with their divisions.
	Origins  []string          `json:"origins"`
	Upstream map[string]string `json:"upstream"`
	// Lots are the identifiers of the back-trace the enterprise held: the
	// lots a recall would name.
	Lots []string `json:"lots"`
	// Impact is the trace-forward of Lots: the sales range.
	Impact Impact `json:"impact"`
	// Recall is a draft recall ordered by the department, from the
	// assessment (the department completes hazard, level and period).
	Recall *tlv1.InitiateRecall `json:"recall"`
	// Command is the command that records the draft.
	Command string `json:"command"`
}

// Impact is the sales range of lots: what the trace-forward reached.
type Impact struct {
	// Reached are the identifiers downstream (lots, items, containers).
	Reached []string `json:"reached"`
	// Holders are the enterprises that held any of them, with divisions.
	Holders   map[string]string `json:"holders"`
	Divisions []string          `json:"divisions"`
	// Dispositions are each reached identifier's last recorded disposition.
	Dispositions map[string]string `json:"dispositions,omitempty"`
	// Quantities are the quantities public events recorded per
	// identifier and unit ("12.5 KGM"); hashed events keep theirs off the
	// ledger.
	Quantities map[string][]string `json:"quantities,omitempty"`
	// Edges are the records of the forward graph's edges.
	Edges []EvidenceRecord `json:"edges"`
}

// Assess builds the assessment of the complaint recorded at log index
// complaintIndex about product (canonicalised), reading verified records
// and histories through c.
func Assess(ctx context.Context, c *client.Client, complaintIndex uint64, product string) (*Assessment, error) {
	vr, _, err := c.Record(ctx, complaintIndex)
	if err != nil {
		return nil, err
	}
	cp := vr.Record.GetCredit().GetComplaint()
	if cp == nil {
		return nil, fmt.Errorf("record %d is a %s record, not a complaint", complaintIndex, tlv1.KindOf(vr.Record))
	}
	canon := product
	if cc, err := epcis.CanonicalIdentifier(product); err == nil {
		canon = cc
	}
	x := trace.NewIndex(trace.NewClientSource(c))
	return assess(ctx, x, trace.Decode(vr, nil), cp, canon)
}

// assess is Assess over an index.
func assess(ctx context.Context, x *trace.Index, complaint *trace.Event, cp *tlv1.RecordComplaint, product string) (*Assessment, error) {
	a := &Assessment{Complaint: evidenceOf(complaint, "complaint"), Enterprise: cp.Enterprise, Category: cp.Category.String(), Product: product,
		Held: []EvidenceRecord{}, Origins: []string{}, Upstream: map[string]string{}, Lots: []string{}}
	back, err := x.Walk(ctx, product, trace.Back)
	if err != nil {
		return nil, err
	}
	if back.Absent {
		a.Findings = append(a.Findings, fmt.Sprintf("%s has no history on the ledger (verified absence): the product cannot be traced", product))
		return a, nil
	}
	a.Origins = append(a.Origins, back.Leaves()...)
	for _, p := range back.Participants {
		if d, ok := back.Divisions[p]; ok {
			a.Upstream[p] = d
		} else if !strings.Contains(p, ":") {
			a.Upstream[p] = ""
		}
	}
	for _, ev := range back.Events {
		if ev.Signer != cp.Enterprise || (ev.Kind != trace.KindEPCIS && ev.Kind != trace.KindEvent) {
			continue
		}
		a.Held = append(a.Held, evidenceOf(ev, "held"))
		for _, s := range subjectsOf(ev) {
			if back.Reached(s) && !slices.Contains(a.Lots, s) {
				a.Lots = append(a.Lots, s)
			}
		}
	}
	a.Located = len(a.Held) > 0
	if !a.Located {
		a.Findings = append(a.Findings, fmt.Sprintf("the complaint names %s, but no event of %s is in the complete back-trace of %s: check the product identifier or the enterprise", cp.Enterprise, cp.Enterprise, product))
		return a, nil
	}
	a.Impact = Impact{Reached: []string{}, Holders: map[string]string{}, Divisions: []string{}, Dispositions: map[string]string{}, Quantities: map[string][]string{}, Edges: []EvidenceRecord{}}
	seen := map[uint64]bool{}
	for _, lot := range a.Lots {
		fg, err := x.Walk(ctx, lot, trace.Forward)
		if err != nil {
			return nil, err
		}
		for _, n := range fg.Nodes {
			if !slices.Contains(a.Impact.Reached, n) {
				a.Impact.Reached = append(a.Impact.Reached, n)
			}
			if d := fg.Disposition[n]; d != nil {
				a.Impact.Dispositions[n] = d.Disposition
			}
		}
		for _, p := range fg.Participants {
			if d, ok := fg.Divisions[p]; ok {
				a.Impact.Holders[p] = d
				if !slices.Contains(a.Impact.Divisions, d) {
					a.Impact.Divisions = append(a.Impact.Divisions, d)
				}
			}
		}
		for _, e := range fg.Edges {
			if !seen[e.Event.Index] {
				seen[e.Event.Index] = true
				a.Impact.Edges = append(a.Impact.Edges, evidenceOf(e.Event, "edge"))
			}
		}
		for _, ev := range fg.Events {
			pub := ev.Record.Record.GetEpcis().GetPublic()
			if pub == nil {
				continue
			}
			for _, l := range [][]*tlv1.QuantityElement{pub.QuantityList, pub.ChildQuantityList, pub.OutputQuantityList} {
				for _, q := range l {
					if q == nil || q.Quantity == "" {
						continue
					}
					id := canonicalOr(q.EpcClass)
					a.Impact.Quantities[id] = append(a.Impact.Quantities[id], strings.TrimSpace(q.Quantity+" "+q.Uom))
				}
			}
		}
	}
	sort.Strings(a.Impact.Divisions)
	a.Recall = &tlv1.InitiateRecall{Id: fmt.Sprintf("C%d", a.Complaint.Index), Enterprise: cp.Enterprise, Lots: a.Lots,
		Reason: fmt.Sprintf("complaint recorded at log index %d (%s)", a.Complaint.Index, a.Category)}
	parts := []string{"traceledger tx recall start", a.Recall.Id, "--enterprise", cp.Enterprise}
	for _, l := range a.Lots {
		parts = append(parts, "--lot", l)
	}
	parts = append(parts, "--reason", fmt.Sprintf("%q", a.Recall.Reason), "--hazard HAZARD --level LEVEL --period-from DATE --period-until DATE --from DEPARTMENT-KEY")
	a.Command = strings.Join(parts, " ")
	return a, nil
}
