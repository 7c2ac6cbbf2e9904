// SPDX-License-Identifier: Apache-2.0

package app

// Recalls (issue 6; docs/ATTESTATIONS.md).
//
// InitiateRecall starts a recall: voluntary when the responsible enterprise
// signs it (enterprise must be the signer), ordered when an active
// department signs it (enterprise must be a registered enterprise). The
// recall is the map value "recall/<id>"; its record is appended to
// "recall:<id>", to "credit:<enterprise>" and to the history of every lot
// and product it names, so every later walk of those histories meets it.
// Progress (holding, recalled, returned, destroyed) is recorded by ordinary
// trace events on the lots.
//
// Every named lot must already have a history on the ledger (a recall of a
// lot nobody ever recorded is rejected with recall_unknown_lot). A
// voluntary recall also shows, for each lot, that the enterprise held it:
// held_evidence names the log index of an event record the enterprise
// signed that names the lot (recall_not_held otherwise). The client finds
// it in the lot's verified history (client.HeldEvidence).

import (
	"fmt"
	"slices"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

func recallHandlers() []msgHandler {
	return []msgHandler{{
		name: "initiate_recall", sample: (*tlv1.Msg_InitiateRecall)(nil),
		roles:    []tlv1.Role{tlv1.ROLE_ENTERPRISE, tlv1.ROLE_DEPARTMENT},
		validate: func(m *tlv1.Msg) error { return validateRecall(m.GetInitiateRecall()) },
		exec:     func(c *execCtx, m *tlv1.Msg) ([]recordedEvent, error) { return execRecall(c, m.GetInitiateRecall()) },
	}}
}

func validateRecall(r *tlv1.InitiateRecall) error {
	if r == nil {
		return rejectf(tlv1.CodeRecallInvalid, "initiate_recall is empty")
	}
	if err := attestToken(tlv1.CodeRecallInvalid, "initiate_recall.id", r.Id, maxAttestShort); err != nil {
		return err
	}
	if err := attestToken(tlv1.CodeRecallInvalid, "initiate_recall.enterprise", r.Enterprise, maxAttestShort); err != nil {
		return err
	}
	if len(r.Products) == 0 && len(r.Lots) == 0 {
		return rejectf(tlv1.CodeRecallInvalid, "initiate_recall names no product and no lot")
	}
	if _, err := canonicalList(tlv1.CodeRecallInvalid, "initiate_recall.products", r.Products, maxAttestLots); err != nil {
		return err
	}
	if _, err := canonicalList(tlv1.CodeRecallInvalid, "initiate_recall.lots", r.Lots, maxAttestLots); err != nil {
		return err
	}
	if err := attestText(tlv1.CodeRecallInvalid, "initiate_recall.reason", r.Reason, 1, maxAttestText); err != nil {
		return err
	}
	if err := attestText(tlv1.CodeRecallInvalid, "initiate_recall.hazard", r.Hazard, 1, maxAttestText); err != nil {
		return err
	}
	if r.Level < tlv1.RECALL_LEVEL_1 || r.Level > tlv1.RECALL_LEVEL_3 {
		return rejectf(tlv1.CodeRecallInvalid, "initiate_recall.level %s is not 1, 2 or 3", r.Level)
	}
	if r.PeriodFromMs <= 0 || r.PeriodUntilMs < r.PeriodFromMs {
		return rejectf(tlv1.CodeRecallInvalid, "initiate_recall affected period [%d, %d] ms is not positive or is reversed", r.PeriodFromMs, r.PeriodUntilMs)
	}
	return nil
}

func execRecall(c *execCtx, r *tlv1.InitiateRecall) ([]recordedEvent, error) {
	orderedBy := ""
	switch c.signer.Role {
	case tlv1.ROLE_ENTERPRISE:
		if r.Enterprise != c.signer.Id {
			return nil, rejectf(tlv1.CodeRecallNotResponsible, "enterprise %q may start a voluntary recall only for itself, not for %q (a department orders recalls of others)", c.signer.Id, r.Enterprise)
		}
		if len(r.HeldEvidence) != len(r.Lots) {
			return nil, rejectf(tlv1.CodeRecallNotHeld, "a voluntary recall needs one held_evidence log index per lot: %d lots, %d indexes", len(r.Lots), len(r.HeldEvidence))
		}
	case tlv1.ROLE_DEPARTMENT:
		orderedBy = c.signer.Id
		if len(r.HeldEvidence) != 0 {
			return nil, rejectf(tlv1.CodeRecallInvalid, "initiate_recall.held_evidence must be empty in an ordered recall")
		}
		if err := requireEnterprise(c.o, tlv1.CodeRecallNotResponsible, "initiate_recall.enterprise", r.Enterprise); err != nil {
			return nil, err
		}
	}
	key := tlv1.RecallKey(r.Id)
	if v, err := c.o.mapValue(key); err != nil {
		return nil, err
	} else if v != nil {
		return nil, rejectf(tlv1.CodeRecallDuplicate, "recall %q is already recorded", r.Id)
	}
	for i, l := range r.Lots {
		l = mustCanonical(l)
		h, err := getHead(c.o, l)
		if err != nil {
			return nil, err
		}
		if h.Count == 0 {
			return nil, rejectf(tlv1.CodeRecallUnknownLot, "initiate_recall.lots[%d] %q has no history on the ledger: nobody recorded it", i, l)
		}
		if orderedBy == "" {
			if err := checkHeld(c.o, r.HeldEvidence[i], r.Enterprise, l, i); err != nil {
				return nil, err
			}
		}
	}
	rc := &tlv1.Recall{Body: r, OrderedBy: orderedBy, Height: c.height, TimeMs: c.timeMs}
	if err := putProto(c.o, key, rc); err != nil {
		return nil, err
	}
	subjects := []string{tlv1.RecallSubject(r.Id), tlv1.CreditSubject(r.Enterprise)}
	for _, s := range append(slices.Clone(r.Products), r.Lots...) {
		if s = mustCanonical(s); !slices.Contains(subjects, s) {
			subjects = append(subjects, s)
		}
	}
	rec := c.record()
	rec.Body = &tlv1.Record_Credit{Credit: &tlv1.CreditRecord{Body: &tlv1.CreditRecord_Recall{Recall: rc}}}
	idx, err := c.o.appendRecord(rec, subjects)
	if err != nil {
		return nil, err
	}
	return []recordedEvent{{index: idx, subjects: subjects}}, nil
}

// requireEnterprise checks that id names a registered enterprise.
func requireEnterprise(r mapReader, code tlv1.Code, field, id string) error {
	p, err := getParticipant(r, id)
	if err != nil {
		if CodeOf(err) == tlv1.CodeParticipantNotFound {
			return rejectf(code, "%s %q is not registered", field, id)
		}
		return err
	}
	if p.Role != tlv1.ROLE_ENTERPRISE {
		return rejectf(code, "%s %q is a %s, not an enterprise", field, id, tlv1.RoleName(p.Role))
	}
	return nil
}

// recordSource is a committed state that can read log records (*view,
// committedMap, emptyReader).
type recordSource interface {
	record(index uint64) ([]byte, error)
}

// readRecord returns the record at a log index, from the overlays of the
// executing transaction and block or from the committed state beneath them.
func readRecord(o *overlay, index uint64) ([]byte, error) {
	var r mapReader = o
	for {
		ov, ok := r.(*overlay)
		if !ok {
			break
		}
		if index >= ov.firstIndex && index < ov.firstIndex+uint64(len(ov.records)) {
			return ov.records[index-ov.firstIndex], nil
		}
		r = ov.parent
	}
	rs, ok := r.(recordSource)
	if !ok {
		return nil, fmt.Errorf("state beneath the block (%T) cannot read log records", r)
	}
	return rs.record(index)
}

// checkHeld checks that the record at index is an event signed by
// enterprise that names lot.
func checkHeld(o *overlay, index uint64, enterprise, lot string, i int) error {
	fail := func(why string) error {
		return rejectf(tlv1.CodeRecallNotHeld, "initiate_recall.held_evidence[%d] (log index %d) does not show that %q held %q: %s", i, index, enterprise, lot, why)
	}
	if index >= o.nextIndex() {
		return fail("no such record")
	}
	bz, err := readRecord(o, index)
	if err != nil {
		return fmt.Errorf("read record %d: %w", index, err)
	}
	if bz == nil {
		return fail("no such record")
	}
	var rec tlv1.Record
	if err := rec.Unmarshal(bz); err != nil {
		return fmt.Errorf("decode record %d: %w", index, err)
	}
	if rec.Signer != enterprise {
		return fail("the record was signed by " + rec.Signer)
	}
	switch b := rec.Body.(type) {
	case *tlv1.Record_Event:
		if mustCanonical(b.Event.Subject) == lot {
			return nil
		}
	case *tlv1.Record_Epcis:
		if slices.Contains(b.Epcis.Subjects, lot) {
			return nil
		}
	default:
		return fail("the record is not a trace event")
	}
	return fail("the event does not name the lot")
}
