// SPDX-License-Identifier: Apache-2.0

package epcis

import (
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// What the ledger requires of an event beyond the hash algorithm: the
// standard fields in their typed shape, the fields of its event type only,
// a valid action, and identifiers that pass their scheme's check. Checked
// events yield the canonical identifiers whose histories they extend.

// MaxElementDepth bounds the nesting of generic elements (as the parsers
// bound documents).
const MaxElementDepth = maxDepth

const (
	hashIDPrefix = "ni:///sha-256;"
	hashIDSuffix = "?ver=CBV2.0"
)

// ValidHashID reports whether s is a CBV 2.0 Event Hash ID as this package
// writes it: "ni:///sha-256;" + 64 lower-case hex digits + "?ver=CBV2.0".
func ValidHashID(s string) bool {
	if len(s) != len(hashIDPrefix)+64+len(hashIDSuffix) || !strings.HasPrefix(s, hashIDPrefix) || !strings.HasSuffix(s, hashIDSuffix) {
		return false
	}
	for _, c := range s[len(hashIDPrefix) : len(hashIDPrefix)+64] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// HashIDDigest returns the 32-byte SHA-256 digest in an Event Hash ID.
func HashIDDigest(hashID string) ([32]byte, error) {
	var d [32]byte
	if !ValidHashID(hashID) {
		return d, fmt.Errorf("%w: %q is not an Event Hash ID (ni:///sha-256;<64 hex>?ver=CBV2.0)", ErrInvalidValue, truncate(hashID, 100))
	}
	hex.Decode(d[:], []byte(hashID[len(hashIDPrefix):len(hashIDPrefix)+64]))
	return d, nil
}

// HashIDFromDigest writes an Event Hash ID from its digest.
func HashIDFromDigest(d [32]byte) string {
	return hashIDPrefix + hex.EncodeToString(d[:]) + hashIDSuffix
}

// Checked is what CheckProto learns about a valid public event.
type Checked struct {
	// HashID is the recomputed Event Hash ID.
	HashID string
	// EventTimeMs is the event time in Unix milliseconds.
	EventTimeMs int64
	// Identifiers are the identifiers the event names, with their roles.
	Identifiers []*tlv1.EventIdentifier
	// Subjects are the canonical forms of Identifiers, without duplicates,
	// in the order the identifiers are named.
	Subjects []string
}

// typeFields lists, per event type, the typed "what" fields it may carry.
var typeFields = map[tlv1.EPCISEventType]string{
	tlv1.EPCIS_EVENT_TYPE_OBJECT:         "epcList quantityList action ilmd",
	tlv1.EPCIS_EVENT_TYPE_AGGREGATION:    "parentID childEPCs childQuantityList action",
	tlv1.EPCIS_EVENT_TYPE_TRANSACTION:    "parentID epcList quantityList action",
	tlv1.EPCIS_EVENT_TYPE_TRANSFORMATION: "inputEPCList inputQuantityList outputEPCList outputQuantityList transformationID ilmd",
	tlv1.EPCIS_EVENT_TYPE_ASSOCIATION:    "parentID childEPCs childQuantityList action",
}

// CheckProto validates a typed public event (its index in its batch or
// document is used in errors), recomputes its Event Hash ID and extracts
// its identifiers. Errors are *EventError values wrapping the package's
// sentinels.
func CheckProto(p *tlv1.EPCISEvent, index int) (*Checked, error) {
	if p == nil {
		return nil, eventErr(index, "", "", ErrMissingField, "event is empty")
	}
	name := EventTypeName(p.Type)
	if name == "" {
		return nil, eventErr(index, "type", p.Type.String(), ErrUnknownEventType,
			"want ObjectEvent, AggregationEvent, TransactionEvent, TransformationEvent or AssociationEvent")
	}
	if p.EventTime == "" {
		return nil, eventErr(index, "eventTime", "", ErrMissingField, "")
	}
	if p.EventTimeZoneOffset == "" {
		return nil, eventErr(index, "eventTimeZoneOffset", "", ErrMissingField, "")
	}
	t, err := parseTimestamp(strings.TrimSpace(p.EventTime))
	if err != nil {
		return nil, eventErr(index, "eventTime", p.EventTime, ErrInvalidTimestamp, err.Error())
	}
	if err := checkTypeFields(p, name, index); err != nil {
		return nil, err
	}
	for i, e := range p.Extensions {
		if e != nil && standardTopField[e.Name] {
			return nil, eventErr(index, fmt.Sprintf("extensions[%d]", i), e.Name, ErrInvalidValue,
				"a standard EPCIS field must be in its typed field, in its EPCIS 2.0 shape")
		}
	}
	if err := checkStrings(p, index); err != nil {
		return nil, err
	}
	ids := EventIdentifiers(p)
	subjects, err := subjectsOf(ids, identifierPaths(p), index)
	if err != nil {
		return nil, err
	}
	for _, l := range []struct {
		name string
		loc  *tlv1.Location
	}{{"readPoint.id", p.ReadPoint}, {"bizLocation.id", p.BizLocation}} {
		if l.loc != nil && l.loc.Id != "" {
			if _, err := ParseIdentifier(strings.TrimSpace(l.loc.Id)); err != nil {
				return nil, &EventError{Index: index, Field: l.name, Value: l.loc.Id, Err: err}
			}
		}
	}
	ev, err := FromProto(p, index)
	if err != nil {
		return nil, err
	}
	hashID, err := HashID(ev)
	if err != nil {
		return nil, err
	}
	return &Checked{HashID: hashID, EventTimeMs: t.UnixMilli(), Identifiers: ids, Subjects: subjects}, nil
}

// IndexProto returns the event time and the canonical subjects of a typed
// event that CheckProto accepted, without recomputing its hash: what the
// state machine needs when it records an event it has already checked.
func IndexProto(p *tlv1.EPCISEvent, index int) (eventTimeMs int64, subjects []string, err error) {
	t, err := parseTimestamp(strings.TrimSpace(p.EventTime))
	if err != nil {
		return 0, nil, eventErr(index, "eventTime", p.EventTime, ErrInvalidTimestamp, err.Error())
	}
	subjects, err = subjectsOf(EventIdentifiers(p), identifierPaths(p), index)
	return t.UnixMilli(), subjects, err
}

func checkTypeFields(p *tlv1.EPCISEvent, name string, index int) error {
	allowed := typeFields[p.Type]
	present := []struct {
		field string
		set   bool
	}{
		{"epcList", len(p.EpcList) > 0}, {"quantityList", len(p.QuantityList) > 0},
		{"parentID", p.ParentId != ""}, {"childEPCs", len(p.ChildEpcs) > 0},
		{"childQuantityList", len(p.ChildQuantityList) > 0},
		{"inputEPCList", len(p.InputEpcList) > 0}, {"inputQuantityList", len(p.InputQuantityList) > 0},
		{"outputEPCList", len(p.OutputEpcList) > 0}, {"outputQuantityList", len(p.OutputQuantityList) > 0},
		{"transformationID", p.TransformationId != ""}, {"action", p.Action != ""},
		{"ilmd", len(p.Ilmd) > 0},
	}
	for _, f := range present {
		if f.set && !strings.Contains(" "+allowed+" ", " "+f.field+" ") {
			return eventErr(index, f.field, "", ErrInvalidValue, "not a field of "+name)
		}
	}
	if p.Type != tlv1.EPCIS_EVENT_TYPE_TRANSFORMATION {
		switch strings.TrimSpace(p.Action) {
		case "ADD", "OBSERVE", "DELETE":
		case "":
			return eventErr(index, "action", "", ErrMissingField, name+" requires action ADD, OBSERVE or DELETE")
		default:
			return eventErr(index, "action", p.Action, ErrInvalidValue, "want ADD, OBSERVE or DELETE")
		}
	}
	action := strings.TrimSpace(p.Action)
	switch p.Type {
	case tlv1.EPCIS_EVENT_TYPE_ASSOCIATION:
		if p.ParentId == "" {
			return eventErr(index, "parentID", "", ErrMissingField, "an AssociationEvent names its parent")
		}
	case tlv1.EPCIS_EVENT_TYPE_AGGREGATION:
		if p.ParentId == "" && action != "OBSERVE" {
			return eventErr(index, "parentID", "", ErrMissingField, "an AggregationEvent with action "+action+" names its parent")
		}
	}
	return nil
}

// checkStrings checks that every string of the event is valid UTF-8 and
// that generic elements are not nested too deeply.
func checkStrings(p *tlv1.EPCISEvent, index int) error {
	bad := ""
	str := func(field, s string) {
		if bad == "" && !utf8.ValidString(s) {
			bad = field
		}
	}
	var elems func(field string, es []*tlv1.Element, depth int)
	elems = func(field string, es []*tlv1.Element, depth int) {
		for _, e := range es {
			if bad != "" || e == nil {
				continue
			}
			if depth > MaxElementDepth {
				bad = field + " (nested too deeply)"
				return
			}
			str(field, e.Name)
			str(field, e.Value)
			elems(field, e.Children, depth+1)
		}
	}
	for _, s := range []string{p.EventTime, p.EventTimeZoneOffset, p.RecordTime, p.EventId, p.ParentId,
		p.TransformationId, p.Action, p.BizStep, p.Disposition} {
		str("event", s)
	}
	for _, list := range [][]string{p.CertificationInfo, p.EpcList, p.ChildEpcs, p.InputEpcList, p.OutputEpcList} {
		for _, s := range list {
			str("event", s)
		}
	}
	for _, list := range [][]*tlv1.QuantityElement{p.QuantityList, p.ChildQuantityList, p.InputQuantityList, p.OutputQuantityList} {
		for _, q := range list {
			if q != nil {
				str("quantityList", q.EpcClass+q.Quantity+q.Uom)
				elems("quantityList", q.Extensions, 1)
			}
		}
	}
	for _, list := range [][]*tlv1.TypedID{p.BizTransactionList, p.SourceList, p.DestinationList} {
		for _, t := range list {
			if t != nil {
				str("bizTransaction/source/destination", t.Type+t.Id)
				elems("bizTransaction/source/destination", t.Extensions, 1)
			}
		}
	}
	for _, l := range []*tlv1.Location{p.ReadPoint, p.BizLocation} {
		if l != nil {
			str("location", l.Id)
			elems("location", l.Extensions, 1)
		}
	}
	if pd := p.PersistentDisposition; pd != nil {
		str("persistentDisposition", strings.Join(pd.Set, "")+strings.Join(pd.Unset, ""))
		elems("persistentDisposition", pd.Extensions, 1)
	}
	for _, se := range p.SensorElementList {
		if se == nil {
			continue
		}
		if m := se.SensorMetadata; m != nil {
			for _, s := range sensorMetadataFields(m) {
				str("sensorMetadata", *s.dst)
			}
			elems("sensorMetadata", m.Extensions, 1)
		}
		for _, r := range se.SensorReport {
			if r != nil {
				for _, s := range sensorReportFields(r) {
					str("sensorReport", *s.dst)
				}
				elems("sensorReport", r.Extensions, 1)
			}
		}
		elems("sensorElement", se.Extensions, 1)
	}
	if d := p.ErrorDeclaration; d != nil {
		str("errorDeclaration", d.DeclarationTime+d.Reason+strings.Join(d.CorrectiveEventIds, ""))
		elems("errorDeclaration", d.Extensions, 1)
	}
	elems("ilmd", p.Ilmd, 1)
	elems("extensions", p.Extensions, 1)
	if bad != "" {
		return eventErr(index, bad, "", ErrInvalidValue, "invalid UTF-8 or too deep")
	}
	return nil
}

// EventIdentifiers returns the identifiers a typed event names, with their
// roles, in this order: parent, epcList, childEPCs, inputs, outputs, then
// the classes of the quantity lists (quantity, child, input, output).
// Values are trimmed of surrounding white space, as the hash does.
func EventIdentifiers(p *tlv1.EPCISEvent) []*tlv1.EventIdentifier {
	ids, _ := eventIdentifiers(p, false)
	return ids
}

// eventIdentifiers is EventIdentifiers, with each identifier's field path
// when paths is set (for error messages).
func eventIdentifiers(p *tlv1.EPCISEvent, paths bool) ([]*tlv1.EventIdentifier, []string) {
	n := len(p.EpcList) + len(p.ChildEpcs) + len(p.InputEpcList) + len(p.OutputEpcList) +
		len(p.QuantityList) + len(p.ChildQuantityList) + len(p.InputQuantityList) + len(p.OutputQuantityList) + 1
	out := make([]*tlv1.EventIdentifier, 0, n)
	var where []string
	add := func(id string, role tlv1.IdentifierRole, field string, i int) {
		if id = strings.TrimSpace(id); id != "" {
			out = append(out, &tlv1.EventIdentifier{Id: id, Role: role})
			if paths {
				if i >= 0 {
					field = fmt.Sprintf(field, i)
				}
				where = append(where, field)
			}
		}
	}
	add(p.ParentId, tlv1.IDENTIFIER_ROLE_PARENT, "parentID", -1)
	for _, list := range []struct {
		ids   []string
		role  tlv1.IdentifierRole
		field string
	}{
		{p.EpcList, tlv1.IDENTIFIER_ROLE_INSTANCE, "epcList[%d]"}, {p.ChildEpcs, tlv1.IDENTIFIER_ROLE_CHILD, "childEPCs[%d]"},
		{p.InputEpcList, tlv1.IDENTIFIER_ROLE_INPUT, "inputEPCList[%d]"}, {p.OutputEpcList, tlv1.IDENTIFIER_ROLE_OUTPUT, "outputEPCList[%d]"},
	} {
		for i, id := range list.ids {
			add(id, list.role, list.field, i)
		}
	}
	for _, list := range []struct {
		qs    []*tlv1.QuantityElement
		role  tlv1.IdentifierRole
		field string
	}{
		{p.QuantityList, tlv1.IDENTIFIER_ROLE_CLASS, "quantityList[%d].epcClass"}, {p.ChildQuantityList, tlv1.IDENTIFIER_ROLE_CHILD, "childQuantityList[%d].epcClass"},
		{p.InputQuantityList, tlv1.IDENTIFIER_ROLE_INPUT, "inputQuantityList[%d].epcClass"}, {p.OutputQuantityList, tlv1.IDENTIFIER_ROLE_OUTPUT, "outputQuantityList[%d].epcClass"},
	} {
		for i, q := range list.qs {
			if q != nil {
				add(q.EpcClass, list.role, list.field, i)
			}
		}
	}
	return out, where
}

// identifierPaths returns a function naming the field of the i-th
// identifier of p, computed only when an error needs it.
func identifierPaths(p *tlv1.EPCISEvent) func(i int) string {
	return func(i int) string {
		_, paths := eventIdentifiers(p, true)
		if i < len(paths) {
			return paths[i]
		}
		return fmt.Sprintf("identifiers[%d]", i)
	}
}

// subjectsOf checks every identifier and returns their canonical forms
// without duplicates, in order. path, if not nil, names an identifier's
// field for errors.
func subjectsOf(ids []*tlv1.EventIdentifier, path func(int) string, index int) ([]string, error) {
	out := make([]string, 0, len(ids))
	var seen map[string]bool
	if len(ids) > 8 {
		seen = make(map[string]bool, len(ids))
	}
	for i, id := range ids {
		c, err := ParseIdentifier(id.Id)
		if err != nil {
			field := fmt.Sprintf("identifiers[%d]", i)
			if path != nil {
				field = path(i)
			}
			return nil, &EventError{Index: index, Field: field, Value: id.Id, Err: err}
		}
		dup := false
		if seen != nil {
			dup = seen[c.Canonical]
			seen[c.Canonical] = true
		} else {
			for _, s := range out {
				if s == c.Canonical {
					dup = true
					break
				}
			}
		}
		if !dup {
			out = append(out, c.Canonical)
		}
	}
	return out, nil
}

// CheckHashed validates the public index of a hashed event and returns the
// canonical subjects of its identifiers.
func CheckHashed(h *tlv1.HashedEvent, index int) ([]string, error) {
	if h == nil {
		return nil, eventErr(index, "", "", ErrMissingField, "hashed event is empty")
	}
	if EventTypeName(h.Type) == "" {
		return nil, eventErr(index, "type", h.Type.String(), ErrUnknownEventType, "")
	}
	if h.EventTimeMs <= 0 {
		return nil, eventErr(index, "eventTime", fmt.Sprint(h.EventTimeMs), ErrMissingField, "event_time_ms must be a positive Unix time in milliseconds")
	}
	if h.EventTimeZoneOffset == "" {
		return nil, eventErr(index, "eventTimeZoneOffset", "", ErrMissingField, "")
	}
	if !validOffset(h.EventTimeZoneOffset) {
		return nil, eventErr(index, "eventTimeZoneOffset", h.EventTimeZoneOffset, ErrInvalidValue, "not a time zone offset of the form ±hh:mm")
	}
	for _, v := range []struct {
		field, value string
		role         role
	}{{"bizStep", h.BizStep, roleBizStep}, {"disposition", h.Disposition, roleDisp}} {
		if v.value == "" {
			continue
		}
		if strings.TrimSpace(v.value) != v.value {
			return nil, eventErr(index, v.field, v.value, ErrInvalidValue, "surrounding white space")
		}
		if _, err := canonValue(v.role, v.value); err != nil {
			return nil, &EventError{Index: index, Field: v.field, Value: v.value, Err: err}
		}
	}
	for _, l := range []struct{ field, value string }{{"readPoint", h.ReadPoint}, {"bizLocation", h.BizLocation}} {
		if l.value == "" {
			continue
		}
		if _, err := ParseIdentifier(l.value); err != nil {
			return nil, &EventError{Index: index, Field: l.field, Value: l.value, Err: err}
		}
	}
	for i, id := range h.Identifiers {
		if id == nil || id.Role <= tlv1.IDENTIFIER_ROLE_UNSPECIFIED || id.Role > tlv1.IDENTIFIER_ROLE_OUTPUT {
			return nil, eventErr(index, fmt.Sprintf("identifiers[%d].role", i), "", ErrInvalidValue, "want a role (instance, class, parent, child, input or output)")
		}
		if id.Id != strings.TrimSpace(id.Id) {
			return nil, eventErr(index, fmt.Sprintf("identifiers[%d]", i), id.Id, ErrInvalidURI, "surrounding white space")
		}
	}
	if len(h.PayloadSha256) != 32 {
		return nil, eventErr(index, "payload_sha256", "", ErrInvalidValue, fmt.Sprintf("must be 32 bytes, got %d", len(h.PayloadSha256)))
	}
	return subjectsOf(h.Identifiers, nil, index)
}
