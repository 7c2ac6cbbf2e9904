// SPDX-License-Identifier: Apache-2.0

package verify

import (
	"encoding/hex"
	"strings"

	"github.com/traceledger/traceledger/epcis"
	"github.com/traceledger/traceledger/proof"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
	"github.com/traceledger/traceledger/trace"
)

// The views are what the page draws: records and map values decoded from
// the bytes that were verified (never from the server's JSON rendering of
// them), with enum values as short lower-case names the page translates.

// RecordView is one log record.
type RecordView struct {
	Index    uint64 `json:"index"`
	LeafHash string `json:"leaf_hash"`
	Height   int64  `json:"height"`
	TimeMs   int64  `json:"time_ms"`
	Signer   string `json:"signer"`
	// Kind is the record kind's stable name (tlv1.RecordKind).
	Kind        string           `json:"kind"`
	Event       *EventView       `json:"event,omitempty"`
	Attestation *AttestationView `json:"attestation,omitempty"`
	Recall      *RecallView      `json:"recall,omitempty"`
	Complaint   *ComplaintView   `json:"complaint,omitempty"`
	Violation   *ViolationView   `json:"violation,omitempty"`
	Status      *StatusView      `json:"status,omitempty"`
	Participant *ParticipantView `json:"participant,omitempty"`
}

// EventView is a trace event: an EPCIS event (public or hashed) or a
// minimal event.
type EventView struct {
	// Type is object, aggregation, transaction, transformation or
	// association; empty for a minimal event.
	Type        string   `json:"type,omitempty"`
	Public      bool     `json:"public"`
	Action      string   `json:"action,omitempty"`
	BizStep     string   `json:"biz_step,omitempty"`
	Disposition string   `json:"disposition,omitempty"`
	ReadPoint   string   `json:"read_point,omitempty"`
	BizLocation string   `json:"biz_location,omitempty"`
	EventTimeMs int64    `json:"event_time_ms,omitempty"`
	TimeZone    string   `json:"time_zone,omitempty"`
	ChainLink   string   `json:"chain_link,omitempty"`
	DomainStep  string   `json:"domain_step,omitempty"`
	IDs         []IDView `json:"ids,omitempty"`
	Sources     []string `json:"sources,omitempty"`
	Dests       []string `json:"destinations,omitempty"`
	Certs       []string `json:"certification_info,omitempty"`
	// Subject is a minimal event's subject.
	Subject string `json:"subject,omitempty"`
}

// IDView is an identifier an event names and its role.
type IDView struct {
	ID   string `json:"id"`
	Role string `json:"role"`
}

// AttestationView is an attestation record (issue or status change) or
// an attestation's current state.
type AttestationView struct {
	ID           string   `json:"id"`
	Issuer       string   `json:"issuer,omitempty"`
	Scheme       string   `json:"scheme,omitempty"`
	Standard     string   `json:"standard,omitempty"`
	Number       string   `json:"certificate_number,omitempty"`
	Enterprise   string   `json:"enterprise,omitempty"`
	Lots         []string `json:"lots,omitempty"`
	ProductClass string   `json:"product_class,omitempty"`
	Scope        string   `json:"scope,omitempty"`
	ValidFromMs  int64    `json:"valid_from_ms,omitempty"`
	ValidUntilMs int64    `json:"valid_until_ms,omitempty"`
	// Status is the state (current state) or the new status (a change);
	// From the status before a change.
	Status string `json:"status,omitempty"`
	From   string `json:"from,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// RecallView is a recall.
type RecallView struct {
	ID            string   `json:"id"`
	Enterprise    string   `json:"enterprise"`
	Products      []string `json:"products,omitempty"`
	Lots          []string `json:"lots,omitempty"`
	Reason        string   `json:"reason,omitempty"`
	Hazard        string   `json:"hazard,omitempty"`
	Level         int      `json:"level"`
	OrderedBy     string   `json:"ordered_by,omitempty"`
	PeriodFromMs  int64    `json:"period_from_ms,omitempty"`
	PeriodUntilMs int64    `json:"period_until_ms,omitempty"`
	// Covers are the nodes of the trace graph the recall names (the
	// product or an input of it).
	Covers []string `json:"covers,omitempty"`
}

// ComplaintView is a complaint recorded against an enterprise.
type ComplaintView struct {
	Enterprise string `json:"enterprise"`
	Category   string `json:"category"`
}

// ViolationView is a violation recorded against an enterprise.
type ViolationView struct {
	Enterprise string `json:"enterprise"`
	Kind       string `json:"kind"`
	Penalty    string `json:"penalty,omitempty"`
}

// StatusView is a participant's status change (suspension, reinstatement).
type StatusView struct {
	Participant string `json:"participant"`
	From        string `json:"from"`
	To          string `json:"to"`
	Reason      string `json:"reason,omitempty"`
	By          string `json:"by,omitempty"`
}

// ParticipantView is a participant.
type ParticipantView struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Role         string `json:"role"`
	Department   string `json:"department,omitempty"`
	Status       string `json:"status"`
	StatusReason string `json:"status_reason,omitempty"`
	CreditCode   string `json:"credit_code,omitempty"`
	DivisionCode string `json:"division_code,omitempty"`
}

// enumName turns a protobuf enum name into the page's short name:
// PARTICIPANT_STATUS_SUSPENDED with prefix PARTICIPANT_STATUS_ is
// "suspended".
func enumName(s, prefix string) string {
	return strings.ToLower(strings.TrimPrefix(s, prefix))
}

func eventType(t tlv1.EPCISEventType) string {
	if t == tlv1.EPCIS_EVENT_TYPE_UNSPECIFIED {
		return ""
	}
	return enumName(t.String(), "EPCIS_EVENT_TYPE_")
}

func attestationStatus(s tlv1.AttestationStatus) string {
	return enumName(s.String(), "ATTESTATION_STATUS_")
}

func participantStatus(s tlv1.ParticipantStatus) string {
	return enumName(s.String(), "PARTICIPANT_STATUS_")
}

func participantView(p *tlv1.Participant) *ParticipantView {
	if p == nil {
		return nil
	}
	return &ParticipantView{ID: p.Id, Name: p.Name, Role: enumName(p.Role.String(), "ROLE_"), Department: p.Department,
		Status: participantStatus(p.Status), StatusReason: p.StatusReason, CreditCode: p.CreditCode, DivisionCode: p.DivisionCode}
}

func attestationView(a *tlv1.Attestation) *AttestationView {
	v := &AttestationView{ID: a.Id, Issuer: a.Issuer, Status: attestationStatus(a.Status), Reason: a.StatusReason}
	if b := a.Body; b != nil {
		v.Scheme, v.Standard, v.Number, v.Scope = b.Scheme, b.Standard, b.CertificateNumber, b.Scope
		v.ValidFromMs, v.ValidUntilMs = b.ValidFromMs, b.ValidUntilMs
		if s := b.Subject; s != nil {
			v.Enterprise, v.Lots, v.ProductClass = s.Enterprise, s.Lots, s.ProductClass
		}
	}
	return v
}

func recallView(r *tlv1.Recall) *RecallView {
	v := &RecallView{OrderedBy: r.OrderedBy}
	if b := r.Body; b != nil {
		v.ID, v.Enterprise, v.Products, v.Lots, v.Reason, v.Hazard = b.Id, b.Enterprise, b.Products, b.Lots, b.Reason, b.Hazard
		v.Level, v.PeriodFromMs, v.PeriodUntilMs = int(b.Level), b.PeriodFromMs, b.PeriodUntilMs
	}
	return v
}

func locationID(l *tlv1.Location) string {
	if l == nil {
		return ""
	}
	return l.Id
}

func typedIDs(l []*tlv1.TypedID) []string {
	var out []string
	for _, t := range l {
		if t != nil && t.Id != "" {
			out = append(out, t.Id)
		}
	}
	return out
}

// canonical is an identifier's canonical form, or itself.
func canonical(s string) string {
	if c, err := epcis.CanonicalIdentifier(s); err == nil {
		return c
	}
	return s
}

// recordView decodes a record for the page.
func recordView(index uint64, leaf [32]byte, r *tlv1.Record) RecordView {
	v := RecordView{Index: index, LeafHash: hex.EncodeToString(leaf[:]), Height: r.Height, TimeMs: r.TimeMs, Signer: r.Signer,
		Kind: tlv1.KindOf(r).String()}
	switch b := r.Body.(type) {
	case *tlv1.Record_Event:
		v.Event = &EventView{BizStep: b.Event.EventType, Subject: b.Event.Subject, EventTimeMs: b.Event.EventTimeMs}
	case *tlv1.Record_Epcis:
		ev := &EventView{}
		if c := b.Epcis.Context; c != nil {
			if c.ChainLink != tlv1.CHAIN_LINK_UNSPECIFIED {
				ev.ChainLink = trace.LinkName(c.ChainLink)
			}
			if c.DomainStep != tlv1.DOMAIN_STEP_UNSPECIFIED {
				ev.DomainStep = enumName(c.DomainStep.String(), "DOMAIN_STEP_")
			}
		}
		switch k := b.Epcis.Kind.(type) {
		case *tlv1.EPCISRecord_Public:
			p := k.Public
			ev.Public, ev.Type, ev.Action, ev.BizStep, ev.Disposition = true, eventType(p.Type), p.Action, p.BizStep, p.Disposition
			ev.ReadPoint, ev.BizLocation, ev.TimeZone = locationID(p.ReadPoint), locationID(p.BizLocation), p.EventTimeZoneOffset
			ev.Sources, ev.Dests, ev.Certs = typedIDs(p.SourceList), typedIDs(p.DestinationList), p.CertificationInfo
			for _, id := range epcis.EventIdentifiers(p) {
				ev.IDs = append(ev.IDs, IDView{ID: canonical(id.Id), Role: enumName(id.Role.String(), "IDENTIFIER_ROLE_")})
			}
			if ms, ok := epcisTimeMs(p.EventTime); ok {
				ev.EventTimeMs = ms
			}
		case *tlv1.EPCISRecord_Hashed:
			h := k.Hashed
			ev.Type, ev.BizStep, ev.Disposition, ev.EventTimeMs, ev.TimeZone = eventType(h.Type), h.BizStep, h.Disposition, h.EventTimeMs, h.EventTimeZoneOffset
			ev.ReadPoint, ev.BizLocation = h.ReadPoint, h.BizLocation
			for _, id := range h.Identifiers {
				if id != nil {
					ev.IDs = append(ev.IDs, IDView{ID: canonical(id.Id), Role: enumName(id.Role.String(), "IDENTIFIER_ROLE_")})
				}
			}
		}
		v.Event = ev
	case *tlv1.Record_Attestation:
		a := b.Attestation
		if a.Issued != nil {
			v.Attestation = attestationView(a.Issued)
		} else {
			v.Attestation = &AttestationView{ID: a.AttestationId, Status: attestationStatus(a.To), From: attestationStatus(a.From), Reason: a.Reason}
		}
		if v.Attestation.ID == "" {
			v.Attestation.ID = a.AttestationId
		}
	case *tlv1.Record_Credit:
		switch c := b.Credit.Body.(type) {
		case *tlv1.CreditRecord_Recall:
			v.Recall = recallView(c.Recall)
		case *tlv1.CreditRecord_Complaint:
			v.Complaint = &ComplaintView{Enterprise: c.Complaint.Enterprise, Category: enumName(c.Complaint.Category.String(), "COMPLAINT_CATEGORY_")}
		case *tlv1.CreditRecord_Violation:
			v.Violation = &ViolationView{Enterprise: c.Violation.Enterprise, Kind: c.Violation.Kind, Penalty: c.Violation.Penalty}
		}
	case *tlv1.Record_ParticipantRegistered:
		v.Participant = participantView(b.ParticipantRegistered)
	case *tlv1.Record_Governance:
		if s := b.Governance.GetParticipantStatusChanged(); s != nil {
			v.Status = &StatusView{Participant: s.Participant, From: participantStatus(s.From), To: participantStatus(s.To), Reason: s.Reason, By: s.By}
		}
	}
	return v
}

// viewOf is recordView of a verified record.
func viewOf(vr *proof.VerifiedRecord) RecordView { return recordView(vr.Index, vr.LeafHash, vr.Record) }
