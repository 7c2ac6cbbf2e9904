// SPDX-License-Identifier: Apache-2.0

package epcis

import (
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// The conversion between the format-neutral Event tree and the typed
// protobuf message tlv1.EPCISEvent.
//
// ToProto takes a field into a typed protobuf field only when the typed form
// gives back exactly the same field (name, value and children); anything
// else — user extensions, unknown fields, a standard field in a shape the
// typed model does not hold (a repeated singular field, an empty list, text
// inside a container) — is kept verbatim as an Element. FromProto emits the
// typed fields and the Elements again. The result can differ from the input
// only in the order of sibling fields and, for bizTransaction, source and
// destination, in whether the identifier is the element's text or a member
// of the same name; the pre-hash depends on neither (it sorts siblings, and
// reads the identifier from either place). So
//
//	PreHash(FromProto(ToProto(ev))) == PreHash(ev)
//
// for every event, which TestProtoRoundTrip checks over the conformance
// vectors and FuzzProtoRoundTrip over arbitrary documents.

var eventTypeByName = map[string]tlv1.EPCISEventType{
	"ObjectEvent":         tlv1.EPCIS_EVENT_TYPE_OBJECT,
	"AggregationEvent":    tlv1.EPCIS_EVENT_TYPE_AGGREGATION,
	"TransactionEvent":    tlv1.EPCIS_EVENT_TYPE_TRANSACTION,
	"TransformationEvent": tlv1.EPCIS_EVENT_TYPE_TRANSFORMATION,
	"AssociationEvent":    tlv1.EPCIS_EVENT_TYPE_ASSOCIATION,
}

// EventTypeOf returns the protobuf enum of an event type name
// ("ObjectEvent", ...), or EPCIS_EVENT_TYPE_UNSPECIFIED.
func EventTypeOf(name string) tlv1.EPCISEventType { return eventTypeByName[name] }

// EventTypeName returns the EPCIS name of an event type enum, or "" for an
// unknown value.
func EventTypeName(t tlv1.EPCISEventType) string {
	switch t {
	case tlv1.EPCIS_EVENT_TYPE_OBJECT:
		return "ObjectEvent"
	case tlv1.EPCIS_EVENT_TYPE_AGGREGATION:
		return "AggregationEvent"
	case tlv1.EPCIS_EVENT_TYPE_TRANSACTION:
		return "TransactionEvent"
	case tlv1.EPCIS_EVENT_TYPE_TRANSFORMATION:
		return "TransformationEvent"
	case tlv1.EPCIS_EVENT_TYPE_ASSOCIATION:
		return "AssociationEvent"
	}
	return ""
}

// ToProto converts a parsed event into the typed message. It fails only for
// an unknown event type; field values are checked by ValidateProto and
// PreHash.
func ToProto(ev Event) (*tlv1.EPCISEvent, error) {
	t := EventTypeOf(ev.Type)
	if t == tlv1.EPCIS_EVENT_TYPE_UNSPECIFIED {
		return nil, eventErr(ev.Index, "type", ev.Type, ErrUnknownEventType, "")
	}
	p := &tlv1.EPCISEvent{Type: t}
	taken := map[string]bool{}
	for _, f := range ev.Fields {
		if emptyIdentifierList(f) {
			continue // <epcList/>: renders nothing in the pre-hash
		}
		if taken[f.Name] || !takeTop(p, f) {
			p.Extensions = append(p.Extensions, toElement(f))
			continue
		}
		if !repeatableTop[f.Name] {
			taken[f.Name] = true
		}
	}
	return p, nil
}

// repeatableTop are the top-level fields the typed model keeps as a list of
// separate fields (certificationInfo may appear more than once).
var repeatableTop = map[string]bool{"certificationInfo": true}

// emptyIdentifierList reports whether f is an empty EPC or quantity list
// (XML documents often carry <epcList/>). Such a list is in the canonical
// property order and contributes nothing to the pre-hash, so dropping it
// changes no hash.
func emptyIdentifierList(f Field) bool {
	if f.Value != "" || len(f.Children) > 0 {
		return false
	}
	switch f.Name {
	case "epcList", "childEPCs", "inputEPCList", "outputEPCList",
		"quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList":
		return true
	}
	return false
}

// isLeaf reports whether f is a field with a non-empty value and no
// children: what a typed string field can give back exactly.
func isLeaf(f Field) bool { return f.Value != "" && len(f.Children) == 0 }

// isContainer reports whether f holds children and no text.
func isContainer(f Field) bool { return f.Value == "" && len(f.Children) > 0 }

// takeTop stores f in its typed field if it fits exactly.
func takeTop(p *tlv1.EPCISEvent, f Field) bool {
	switch f.Name {
	case "eventTime":
		return leafInto(&p.EventTime, f)
	case "eventTimeZoneOffset":
		return leafInto(&p.EventTimeZoneOffset, f)
	case "recordTime":
		return leafInto(&p.RecordTime, f)
	case "eventID":
		return leafInto(&p.EventId, f)
	case "parentID":
		return leafInto(&p.ParentId, f)
	case "transformationID":
		return leafInto(&p.TransformationId, f)
	case "action":
		return leafInto(&p.Action, f)
	case "bizStep":
		return leafInto(&p.BizStep, f)
	case "disposition":
		return leafInto(&p.Disposition, f)
	case "certificationInfo":
		if !isLeaf(f) {
			return false
		}
		p.CertificationInfo = append(p.CertificationInfo, f.Value)
		return true
	case "epcList":
		return epcsInto(&p.EpcList, f)
	case "childEPCs":
		return epcsInto(&p.ChildEpcs, f)
	case "inputEPCList":
		return epcsInto(&p.InputEpcList, f)
	case "outputEPCList":
		return epcsInto(&p.OutputEpcList, f)
	case "quantityList":
		return quantitiesInto(&p.QuantityList, f)
	case "childQuantityList":
		return quantitiesInto(&p.ChildQuantityList, f)
	case "inputQuantityList":
		return quantitiesInto(&p.InputQuantityList, f)
	case "outputQuantityList":
		return quantitiesInto(&p.OutputQuantityList, f)
	case "readPoint":
		return locationInto(&p.ReadPoint, f)
	case "bizLocation":
		return locationInto(&p.BizLocation, f)
	case "bizTransactionList":
		return typedIDsInto(&p.BizTransactionList, f, "bizTransaction")
	case "sourceList":
		return typedIDsInto(&p.SourceList, f, "source")
	case "destinationList":
		return typedIDsInto(&p.DestinationList, f, "destination")
	case "persistentDisposition":
		if f.Value != "" {
			return false
		}
		pd := &tlv1.PersistentDisposition{}
		for _, c := range f.Children {
			switch {
			case c.Name == "set" && isLeaf(c):
				pd.Set = append(pd.Set, c.Value)
			case c.Name == "unset" && isLeaf(c):
				pd.Unset = append(pd.Unset, c.Value)
			default:
				pd.Extensions = append(pd.Extensions, toElement(c))
			}
		}
		p.PersistentDisposition = pd
		return true
	case "sensorElementList":
		return sensorElementsInto(&p.SensorElementList, f)
	case "ilmd":
		if !isContainer(f) {
			return false
		}
		p.Ilmd = toElements(f.Children)
		return true
	case "errorDeclaration":
		if f.Value != "" {
			return false
		}
		p.ErrorDeclaration = errorDeclaration(f)
		return true
	}
	return false
}

func leafInto(dst *string, f Field) bool {
	if !isLeaf(f) {
		return false
	}
	*dst = f.Value
	return true
}

// epcsInto takes a list whose children are all "epc" leaves.
func epcsInto(dst *[]string, f Field) bool {
	if !isContainer(f) {
		return false
	}
	for _, c := range f.Children {
		if c.Name != "epc" || !isLeaf(c) {
			return false
		}
	}
	out := make([]string, len(f.Children))
	for i, c := range f.Children {
		out[i] = c.Value
	}
	*dst = out
	return true
}

// fieldTaker moves the children of a structure into typed string fields:
// a name is taken when exactly one child has it and that child is a leaf;
// every other child is kept verbatim.
type fieldTaker struct {
	children []Field
	used     []bool
}

func newTaker(children []Field) *fieldTaker {
	return &fieldTaker{children: children, used: make([]bool, len(children))}
}

func (t *fieldTaker) take(name string, dst *string) {
	at := -1
	for i, c := range t.children {
		if c.Name == name {
			if at >= 0 {
				return
			}
			at = i
		}
	}
	if at >= 0 && isLeaf(t.children[at]) {
		*dst = t.children[at].Value
		t.used[at] = true
	}
}

// rest returns the children not taken, as Elements.
func (t *fieldTaker) rest() []*tlv1.Element {
	var out []*tlv1.Element
	for i, c := range t.children {
		if !t.used[i] {
			out = append(out, toElement(c))
		}
	}
	return out
}

func quantitiesInto(dst *[]*tlv1.QuantityElement, f Field) bool {
	if !isContainer(f) {
		return false
	}
	for _, c := range f.Children {
		if c.Name != "quantityElement" || c.Value != "" {
			return false
		}
	}
	out := make([]*tlv1.QuantityElement, len(f.Children))
	for i, c := range f.Children {
		q := &tlv1.QuantityElement{}
		t := newTaker(c.Children)
		t.take("epcClass", &q.EpcClass)
		t.take("quantity", &q.Quantity)
		t.take("uom", &q.Uom)
		q.Extensions = t.rest()
		out[i] = q
	}
	*dst = out
	return true
}

func locationInto(dst **tlv1.Location, f Field) bool {
	if f.Value != "" {
		return false
	}
	l := &tlv1.Location{}
	t := newTaker(f.Children)
	t.take("id", &l.Id)
	l.Extensions = t.rest()
	*dst = l
	return true
}

// typedIDsInto takes a bizTransactionList, sourceList or destinationList
// whose entries each have at most one "type" leaf and an identifier that
// is either the entry's text or its single leaf member named elem.
func typedIDsInto(dst *[]*tlv1.TypedID, f Field, elem string) bool {
	if !isContainer(f) {
		return false
	}
	out := make([]*tlv1.TypedID, len(f.Children))
	for i, c := range f.Children {
		if c.Name != elem {
			return false
		}
		tid := &tlv1.TypedID{Id: c.Value}
		types, ids := 0, 0
		for _, cc := range c.Children {
			switch cc.Name {
			case "type":
				types++
				if types > 1 || !isLeaf(cc) {
					return false
				}
				tid.Type = cc.Value
			case elem:
				if c.Value != "" {
					tid.Extensions = append(tid.Extensions, toElement(cc))
					continue
				}
				ids++
				if ids > 1 || !isLeaf(cc) {
					return false
				}
				tid.Id = cc.Value
			default:
				tid.Extensions = append(tid.Extensions, toElement(cc))
			}
		}
		out[i] = tid
	}
	*dst = out
	return true
}

func sensorElementsInto(dst *[]*tlv1.SensorElement, f Field) bool {
	if !isContainer(f) {
		return false
	}
	for _, c := range f.Children {
		if c.Name != "sensorElement" || c.Value != "" {
			return false
		}
	}
	out := make([]*tlv1.SensorElement, len(f.Children))
	for i, c := range f.Children {
		se := &tlv1.SensorElement{}
		metas := 0
		for _, cc := range c.Children {
			if cc.Name == "sensorMetadata" {
				metas++
			}
		}
		for _, cc := range c.Children {
			switch {
			case cc.Name == "sensorMetadata" && metas == 1 && cc.Value == "":
				se.SensorMetadata = sensorMetadata(cc)
			case cc.Name == "sensorReport" && cc.Value == "":
				se.SensorReport = append(se.SensorReport, sensorReport(cc))
			default:
				se.Extensions = append(se.Extensions, toElement(cc))
			}
		}
		out[i] = se
	}
	*dst = out
	return true
}

func sensorMetadata(f Field) *tlv1.SensorMetadata {
	m := &tlv1.SensorMetadata{}
	t := newTaker(f.Children)
	t.take("time", &m.Time)
	t.take("startTime", &m.StartTime)
	t.take("endTime", &m.EndTime)
	t.take("deviceID", &m.DeviceId)
	t.take("deviceMetadata", &m.DeviceMetadata)
	t.take("rawData", &m.RawData)
	t.take("dataProcessingMethod", &m.DataProcessingMethod)
	t.take("bizRules", &m.BizRules)
	m.Extensions = t.rest()
	return m
}

func sensorReport(f Field) *tlv1.SensorReport {
	r := &tlv1.SensorReport{}
	t := newTaker(f.Children)
	for _, s := range sensorReportFields(r) {
		t.take(s.name, s.dst)
	}
	r.Extensions = t.rest()
	return r
}

type namedString struct {
	name string
	dst  *string
}

// sensorReportFields lists the typed fields of a sensor report with their
// EPCIS names, in the canonical order.
func sensorReportFields(r *tlv1.SensorReport) []namedString {
	return []namedString{
		{"type", &r.Type}, {"exception", &r.Exception}, {"deviceID", &r.DeviceId},
		{"deviceMetadata", &r.DeviceMetadata}, {"rawData", &r.RawData},
		{"dataProcessingMethod", &r.DataProcessingMethod}, {"time", &r.Time},
		{"microorganism", &r.Microorganism}, {"chemicalSubstance", &r.ChemicalSubstance},
		{"value", &r.Value}, {"component", &r.Component}, {"stringValue", &r.StringValue},
		{"booleanValue", &r.BooleanValue}, {"hexBinaryValue", &r.HexBinaryValue},
		{"uriValue", &r.UriValue}, {"minValue", &r.MinValue}, {"maxValue", &r.MaxValue},
		{"meanValue", &r.MeanValue}, {"sDev", &r.SDev}, {"percRank", &r.PercRank},
		{"percValue", &r.PercValue}, {"uom", &r.Uom},
		{"coordinateReferenceSystem", &r.CoordinateReferenceSystem},
	}
}

func sensorMetadataFields(m *tlv1.SensorMetadata) []namedString {
	return []namedString{
		{"time", &m.Time}, {"startTime", &m.StartTime}, {"endTime", &m.EndTime},
		{"deviceID", &m.DeviceId}, {"deviceMetadata", &m.DeviceMetadata},
		{"rawData", &m.RawData}, {"dataProcessingMethod", &m.DataProcessingMethod},
		{"bizRules", &m.BizRules},
	}
}

// errorDeclaration takes an errorDeclaration (not part of the hash). The
// corrective event IDs come either as repeated leaves (JSON) or wrapped in
// one correctiveEventIDs element (XML).
func errorDeclaration(f Field) *tlv1.ErrorDeclaration {
	d := &tlv1.ErrorDeclaration{}
	t := newTaker(f.Children)
	t.take("declarationTime", &d.DeclarationTime)
	t.take("reason", &d.Reason)
	for i, c := range t.children {
		if t.used[i] || c.Name != "correctiveEventIDs" {
			continue
		}
		if isLeaf(c) {
			d.CorrectiveEventIds = append(d.CorrectiveEventIds, c.Value)
			t.used[i] = true
			continue
		}
		ok := isContainer(c)
		for _, cc := range c.Children {
			ok = ok && cc.Name == "correctiveEventID" && isLeaf(cc)
		}
		if ok {
			for _, cc := range c.Children {
				d.CorrectiveEventIds = append(d.CorrectiveEventIds, cc.Value)
			}
			t.used[i] = true
		}
	}
	d.Extensions = t.rest()
	return d
}

func toElement(f Field) *tlv1.Element {
	return &tlv1.Element{Name: f.Name, Value: f.Value, Children: toElements(f.Children)}
}

func toElements(fs []Field) []*tlv1.Element {
	if len(fs) == 0 {
		return nil
	}
	out := make([]*tlv1.Element, len(fs))
	for i, f := range fs {
		out[i] = toElement(f)
	}
	return out
}

// ---------------------------------------------------------------------------
// Back to the Event tree.

// FromProto converts the typed message back into an Event with the given
// index, ready for PreHash. It fails for an unknown event type.
func FromProto(p *tlv1.EPCISEvent, index int) (Event, error) {
	if p == nil {
		return Event{}, eventErr(index, "", "", ErrMissingField, "event is empty")
	}
	name := EventTypeName(p.Type)
	if name == "" {
		return Event{}, eventErr(index, "type", p.Type.String(), ErrUnknownEventType, "")
	}
	b := fieldBuilder{out: make([]Field, 0, 16+len(p.Extensions))}
	b.leaf("eventTime", p.EventTime)
	b.leaf("eventTimeZoneOffset", p.EventTimeZoneOffset)
	b.leaf("recordTime", p.RecordTime)
	b.leaf("eventID", p.EventId)
	for _, c := range p.CertificationInfo {
		b.leaf("certificationInfo", c)
	}
	b.epcs("epcList", p.EpcList)
	b.leaf("parentID", p.ParentId)
	b.epcs("inputEPCList", p.InputEpcList)
	b.epcs("childEPCs", p.ChildEpcs)
	b.quantities("quantityList", p.QuantityList)
	b.quantities("childQuantityList", p.ChildQuantityList)
	b.quantities("inputQuantityList", p.InputQuantityList)
	b.epcs("outputEPCList", p.OutputEpcList)
	b.quantities("outputQuantityList", p.OutputQuantityList)
	b.leaf("action", p.Action)
	b.leaf("transformationID", p.TransformationId)
	b.leaf("bizStep", p.BizStep)
	b.leaf("disposition", p.Disposition)
	if pd := p.PersistentDisposition; pd != nil {
		var c fieldBuilder
		for _, s := range pd.Set {
			c.leaf("set", s)
		}
		for _, s := range pd.Unset {
			c.leaf("unset", s)
		}
		c.elements(pd.Extensions)
		b.out = append(b.out, Field{Name: "persistentDisposition", Children: c.out})
	}
	b.location("readPoint", p.ReadPoint)
	b.location("bizLocation", p.BizLocation)
	if len(p.SensorElementList) > 0 {
		list := Field{Name: "sensorElementList", Children: make([]Field, len(p.SensorElementList))}
		for i, se := range p.SensorElementList {
			if se == nil {
				se = &tlv1.SensorElement{}
			}
			var c fieldBuilder
			if m := se.SensorMetadata; m != nil {
				var mc fieldBuilder
				for _, s := range sensorMetadataFields(m) {
					mc.leaf(s.name, *s.dst)
				}
				mc.elements(m.Extensions)
				c.out = append(c.out, Field{Name: "sensorMetadata", Children: mc.out})
			}
			for _, r := range se.SensorReport {
				if r == nil {
					r = &tlv1.SensorReport{}
				}
				var rc fieldBuilder
				for _, s := range sensorReportFields(r) {
					rc.leaf(s.name, *s.dst)
				}
				rc.elements(r.Extensions)
				c.out = append(c.out, Field{Name: "sensorReport", Children: rc.out})
			}
			c.elements(se.Extensions)
			list.Children[i] = Field{Name: "sensorElement", Children: c.out}
		}
		b.out = append(b.out, list)
	}
	b.typedIDs("bizTransactionList", "bizTransaction", p.BizTransactionList)
	b.typedIDs("sourceList", "source", p.SourceList)
	b.typedIDs("destinationList", "destination", p.DestinationList)
	if len(p.Ilmd) > 0 {
		b.out = append(b.out, Field{Name: "ilmd", Children: fromElements(p.Ilmd)})
	}
	if d := p.ErrorDeclaration; d != nil {
		var c fieldBuilder
		c.leaf("declarationTime", d.DeclarationTime)
		c.leaf("reason", d.Reason)
		for _, id := range d.CorrectiveEventIds {
			c.leaf("correctiveEventIDs", id)
		}
		c.elements(d.Extensions)
		b.out = append(b.out, Field{Name: "errorDeclaration", Children: c.out})
	}
	b.elements(p.Extensions)
	return Event{Index: index, Type: name, Fields: b.out}, nil
}

// fieldBuilder appends fields, skipping empty typed values.
type fieldBuilder struct {
	out []Field
}

func (b *fieldBuilder) leaf(name, v string) {
	if v != "" {
		b.out = append(b.out, Field{Name: name, Value: v})
	}
}

func (b *fieldBuilder) epcs(name string, epcs []string) {
	if len(epcs) == 0 {
		return
	}
	f := Field{Name: name, Children: make([]Field, len(epcs))}
	for i, e := range epcs {
		f.Children[i] = Field{Name: "epc", Value: e}
	}
	b.out = append(b.out, f)
}

func (b *fieldBuilder) quantities(name string, qs []*tlv1.QuantityElement) {
	if len(qs) == 0 {
		return
	}
	f := Field{Name: name, Children: make([]Field, len(qs))}
	for i, q := range qs {
		if q == nil {
			q = &tlv1.QuantityElement{}
		}
		var c fieldBuilder
		c.leaf("epcClass", q.EpcClass)
		c.leaf("quantity", q.Quantity)
		c.leaf("uom", q.Uom)
		c.elements(q.Extensions)
		f.Children[i] = Field{Name: "quantityElement", Children: c.out}
	}
	b.out = append(b.out, f)
}

func (b *fieldBuilder) location(name string, l *tlv1.Location) {
	if l == nil {
		return
	}
	var c fieldBuilder
	c.leaf("id", l.Id)
	c.elements(l.Extensions)
	b.out = append(b.out, Field{Name: name, Children: c.out})
}

func (b *fieldBuilder) typedIDs(list, elem string, ids []*tlv1.TypedID) {
	if len(ids) == 0 {
		return
	}
	f := Field{Name: list, Children: make([]Field, len(ids))}
	for i, t := range ids {
		if t == nil {
			t = &tlv1.TypedID{}
		}
		var c fieldBuilder
		c.leaf("type", t.Type)
		c.elements(t.Extensions)
		f.Children[i] = Field{Name: elem, Value: t.Id, Children: c.out}
	}
	b.out = append(b.out, f)
}

func (b *fieldBuilder) elements(es []*tlv1.Element) {
	for _, e := range es {
		b.out = append(b.out, fromElement(e))
	}
}

func fromElement(e *tlv1.Element) Field {
	if e == nil {
		return Field{}
	}
	return Field{Name: e.Name, Value: e.Value, Children: fromElements(e.Children)}
}

func fromElements(es []*tlv1.Element) []Field {
	if len(es) == 0 {
		return nil
	}
	out := make([]Field, len(es))
	for i, e := range es {
		out[i] = fromElement(e)
	}
	return out
}

// HashProto returns the Event Hash ID of a typed event (FromProto, then
// HashID). Validators use it to check a public event's claimed hash ID.
func HashProto(p *tlv1.EPCISEvent, index int) (string, error) {
	ev, err := FromProto(p, index)
	if err != nil {
		return "", err
	}
	return HashID(ev)
}

// standardTopField are the event-level fields of EPCIS 2.0 that the typed
// model holds. ValidateProto rejects them as generic elements: the ledger
// indexes their identifiers, so they must be in their standard shape.
var standardTopField = map[string]bool{
	"eventTime": true, "eventTimeZoneOffset": true, "recordTime": true, "eventID": true,
	"certificationInfo": true, "epcList": true, "parentID": true, "childEPCs": true,
	"quantityList": true, "childQuantityList": true, "inputEPCList": true,
	"inputQuantityList": true, "outputEPCList": true, "outputQuantityList": true,
	"transformationID": true, "action": true, "bizStep": true, "disposition": true,
	"persistentDisposition": true, "readPoint": true, "bizLocation": true,
	"bizTransactionList": true, "sourceList": true, "destinationList": true,
	"sensorElementList": true, "ilmd": true, "errorDeclaration": true,
}
