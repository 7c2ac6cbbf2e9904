// SPDX-License-Identifier: Apache-2.0

package epcis

import (
	"bytes"
	"crypto/sha256"
	"slices"
	"strings"
)

// fieldSpec describes one standard field in the canonical property order.
type fieldSpec struct {
	name string
	role role
	// sub, when non-nil, makes the field a structure whose children are
	// rendered in this order; its extension children follow them.
	sub []fieldSpec
}

var (
	epcSpec      = []fieldSpec{{name: "epc", role: roleURI}}
	quantitySpec = []fieldSpec{{name: "quantityElement", sub: []fieldSpec{
		{name: "epcClass", role: roleURI},
		{name: "quantity"},
		{name: "uom"},
	}}}
	sensorMetadataSpec = []fieldSpec{
		{name: "time", role: roleTime},
		{name: "startTime", role: roleTime},
		{name: "endTime", role: roleTime},
		{name: "deviceID", role: roleURI},
		{name: "deviceMetadata", role: roleURI},
		{name: "rawData", role: roleURI},
		{name: "dataProcessingMethod", role: roleURI},
		{name: "bizRules", role: roleURI},
	}
	sensorReportSpec = []fieldSpec{
		{name: "type", role: roleMeasurement},
		{name: "exception", role: roleAlert},
		{name: "deviceID", role: roleURI},
		{name: "deviceMetadata", role: roleURI},
		{name: "rawData", role: roleURI},
		{name: "dataProcessingMethod", role: roleURI},
		{name: "time", role: roleTime},
		{name: "microorganism", role: roleURI},
		{name: "chemicalSubstance", role: roleURI},
		{name: "value"},
		{name: "component", role: roleComponent},
		{name: "stringValue"},
		{name: "booleanValue"},
		{name: "hexBinaryValue"},
		{name: "uriValue", role: roleURI},
		{name: "minValue"},
		{name: "maxValue"},
		{name: "meanValue"},
		{name: "sDev"},
		{name: "percRank"},
		{name: "percValue"},
		{name: "uom"},
		{name: "coordinateReferenceSystem", role: roleURI},
	}

	// eventSpec is the canonical property order of the event level. It
	// applies to all five event types; fields an event type lacks are
	// simply absent.
	eventSpec = []fieldSpec{
		{name: "eventTime", role: roleTime},
		{name: "eventTimeZoneOffset", role: roleOffset},
		{name: "certificationInfo", role: roleURI},
		{name: "epcList", sub: epcSpec},
		{name: "parentID", role: roleURI},
		{name: "inputEPCList", sub: epcSpec},
		{name: "childEPCs", sub: epcSpec},
		{name: "quantityList", sub: quantitySpec},
		{name: "childQuantityList", sub: quantitySpec},
		{name: "inputQuantityList", sub: quantitySpec},
		{name: "outputEPCList", sub: epcSpec},
		{name: "outputQuantityList", sub: quantitySpec},
		{name: "action"},
		{name: "transformationID", role: roleURI},
		{name: "bizStep", role: roleBizStep},
		{name: "disposition", role: roleDisp},
		{name: "persistentDisposition", sub: []fieldSpec{
			{name: "set", role: roleDisp},
			{name: "unset", role: roleDisp},
		}},
		{name: "readPoint", sub: []fieldSpec{{name: "id", role: roleURI}}},
		{name: "bizLocation", sub: []fieldSpec{{name: "id", role: roleURI}}},
		{name: "sensorElementList", sub: []fieldSpec{{name: "sensorElement", sub: []fieldSpec{
			{name: "sensorMetadata", sub: sensorMetadataSpec},
			{name: "sensorReport", sub: sensorReportSpec},
		}}}},
	}

	// pairLists are the event-level lists of typed identifiers: list name
	// to element name and the vocabulary of the element's type.
	pairLists = map[string]struct {
		elem     string
		typeRole role
	}{
		"bizTransactionList": {"bizTransaction", roleBTT},
		"sourceList":         {"source", roleSDT},
		"destinationList":    {"destination", roleSDT},
	}

	// ignoredFields are event-level fields that are not part of the hash.
	ignoredFields = map[string]bool{
		"recordTime":       true,
		"eventID":          true,
		"errorDeclaration": true,
		"type":             true,
	}
)

// isExtension reports whether a field name is namespaced ("{ns}local").
func isExtension(name string) bool { return strings.HasPrefix(name, "{") }

// namespaceSpellings are the namespaces that the EPCIS 2.0 bindings spell
// differently in XML and in JSON-LD: the XML namespace name (left) and
// the IRI of the prefix the GS1 JSON-LD context defines for it (right),
// which is the XML name followed by the separator that JSON-LD's
// concatenation of prefix and term needs. The pre-hash writes the JSON-LD
// IRI in both syntaxes (see "Namespaces" in the package documentation).
// Every other prefix of the context (epcis, cbv, gs1, rdfs, owl, dcterms)
// has one spelling in both bindings.
var namespaceSpellings = [...][2]string{
	{"urn:epcglobal:cbv:mda", "urn:epcglobal:cbv:mda:"},                       // cbvmda: (CBV master data, ILMD)
	{"http://www.w3.org/2001/XMLSchema", "http://www.w3.org/2001/XMLSchema#"}, // xsd:
}

// canonName returns the field name as the pre-hash writes it: a name in
// one of namespaceSpellings' XML namespaces is moved to the JSON-LD
// spelling of that namespace; any other name is returned unchanged.
func canonName(name string) string {
	if len(name) < 2 || name[0] != '{' {
		return name
	}
	end := strings.IndexByte(name, '}')
	if end < 0 {
		return name
	}
	ns := name[1:end]
	for _, sp := range namespaceSpellings {
		if ns == sp[0] {
			return "{" + sp[1] + name[end:]
		}
	}
	return name
}

// PreHash returns the canonical pre-hash string of ev (CBV 2.0 section
// 8.9.2). It fails with an *EventError when the event type is unknown,
// eventTime or eventTimeZoneOffset is missing, or a value is invalid
// (timestamp, time zone offset, URI).
func PreHash(ev Event) (string, error) {
	b, err := appendPreHash(make([]byte, 0, 1024), ev)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// appendPreHash appends the pre-hash string of ev to dst.
func appendPreHash(dst []byte, ev Event) ([]byte, error) {
	if !IsEventType(ev.Type) {
		return nil, eventErr(ev.Index, "type", ev.Type, ErrUnknownEventType,
			"want ObjectEvent, AggregationEvent, TransactionEvent, TransformationEvent or AssociationEvent")
	}
	for _, req := range []string{"eventTime", "eventTimeZoneOffset"} {
		if !hasValue(ev.Fields, req) {
			return nil, eventErr(ev.Index, req, "", ErrMissingField, "")
		}
	}
	fields := make([]Field, 0, len(ev.Fields))
	for _, f := range ev.Fields {
		if !ignoredFields[f.Name] {
			fields = append(fields, f)
		}
	}
	r := &renderer{index: ev.Index}
	dst = append(dst, "eventType="...)
	dst = append(dst, ev.Type...)
	dst, rest, err := r.ordered(dst, fields, eventSpec, 0, true)
	if err != nil {
		return nil, err
	}
	if len(rest) == 0 {
		return dst, nil
	}
	tail := make([]string, 0, len(rest))
	for _, f := range rest {
		s, err := r.leftover(f)
		if err != nil {
			return nil, err
		}
		tail = append(tail, s)
	}
	slices.Sort(tail)
	for _, s := range tail {
		dst = append(dst, s...)
	}
	return dst, nil
}

// HashID returns the CBV 2.0 Event Hash ID of ev:
// "ni:///sha-256;" + hex(SHA-256(PreHash(ev))) + "?ver=CBV2.0".
func HashID(ev Event) (string, error) {
	var buf [1024]byte
	pre, err := appendPreHash(buf[:0], ev)
	if err != nil {
		return "", err
	}
	return HashIDFromDigest(sha256.Sum256(pre)), nil
}

// HashPreHash returns the Event Hash ID for an already computed pre-hash
// string.
func HashPreHash(prehash string) string {
	return HashIDFromDigest(sha256.Sum256([]byte(prehash)))
}

func hasValue(fields []Field, name string) bool {
	for _, f := range fields {
		if f.Name == name && strings.TrimSpace(f.Value) != "" {
			return true
		}
	}
	return false
}

// renderer writes pre-hash strings for one event.
type renderer struct {
	index int
	// names holds the path of the field being rendered (names[:depth]),
	// joined only when an error names it.
	names [maxSpecDepth]string
}

// maxSpecDepth bounds the nesting the renderer tracks: the canonical
// property order nests four levels (sensorElementList, sensorElement,
// sensorReport, field), and lists of typed identifiers three.
const maxSpecDepth = 8

// path returns the dotted path of the first depth names.
func (r *renderer) path(depth int) string { return strings.Join(r.names[:depth], ".") }

// value renders "=<canonical value>" for a field value, or "" when the
// value is blank; the field's path is names[:depth].
func (r *renderer) value(ro role, v string, depth int) (string, error) {
	b, err := r.appendValue(nil, ro, v, depth)
	return string(b), err
}

// appendValue appends "=<canonical value>" for a field value to dst, or
// nothing when the value is blank.
func (r *renderer) appendValue(dst []byte, ro role, v string, depth int) ([]byte, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return dst, nil
	}
	c, err := canonValue(ro, v)
	if err != nil {
		return nil, &EventError{Index: r.index, Field: r.path(depth), Value: v, Err: err}
	}
	dst = append(dst, '=')
	return append(dst, c...), nil
}

// ordered appends the rendering of the fields of one structure, in the
// order given by specs, to dst, followed (below event level) by the
// structure's extension fields. It also returns the fields that were not
// (completely) rendered: names outside specs, and structures some of whose
// children were not rendered, pruned to those children. At event level the
// extension fields are returned too, since they are rendered with the other
// remaining fields. The structure's path is names[:depth].
//
// Repeated fields of one name are rendered into dst one after the other,
// then put in byte order in place.
func (r *renderer) ordered(dst []byte, fields []Field, specs []fieldSpec, depth int, top bool) ([]byte, []Field, error) {
	var ext []Field
	var poolBuf [24]Field
	var doneBuf [24]bool
	pool := poolBuf[:0]
	for _, f := range fields {
		if !top && isExtension(f.Name) {
			ext = append(ext, f)
		} else {
			pool = append(pool, f)
		}
	}
	done := doneBuf[:0]
	if len(pool) <= len(doneBuf) {
		done = doneBuf[:len(pool)]
	} else {
		done = make([]bool, len(pool))
	}
	var segBuf [8][2]int
	for si := range specs {
		sp := &specs[si]
		start := len(dst)
		segs := segBuf[:0]
		for i := range pool {
			f := pool[i]
			if done[i] || f.Name != sp.name {
				continue
			}
			if depth < maxSpecDepth {
				r.names[depth] = sp.name
			}
			segStart := len(dst)
			dst = append(dst, sp.name...)
			nameEnd := len(dst)
			var err error
			if dst, err = r.appendValue(dst, sp.role, f.Value, min(depth+1, maxSpecDepth)); err != nil {
				return nil, nil, err
			}
			rem := f.Children
			if sp.sub != nil {
				if dst, rem, err = r.ordered(dst, f.Children, sp.sub, depth+1, false); err != nil {
					return nil, nil, err
				}
			}
			if len(dst) == nameEnd {
				dst = dst[:segStart] // nothing to render
			} else {
				segs = append(segs, [2]int{segStart, len(dst)})
			}
			if len(rem) == 0 {
				done[i] = true
			} else {
				pool[i] = Field{Name: f.Name, Value: f.Value, Children: rem}
			}
		}
		if len(segs) > 1 {
			dst = sortSegments(dst, start, segs)
		}
	}
	if len(ext) > 0 {
		parts := make([]string, len(ext))
		for i, f := range ext {
			parts[i] = r.generic(f)
		}
		slices.Sort(parts)
		for _, s := range parts {
			dst = append(dst, s...)
		}
	}
	var rest []Field
	for i, f := range pool {
		if !done[i] {
			rest = append(rest, f)
		}
	}
	return dst, rest, nil
}

// sortSegments puts the rendered segments dst[seg[0]:seg[1]], which tile
// dst[start:], in byte order.
func sortSegments(dst []byte, start int, segs [][2]int) []byte {
	tmp := append([]byte(nil), dst[start:]...)
	slices.SortFunc(segs, func(a, b [2]int) int {
		return bytes.Compare(tmp[a[0]-start:a[1]-start], tmp[b[0]-start:b[1]-start])
	})
	dst = dst[:start]
	for _, sg := range segs {
		dst = append(dst, tmp[sg[0]-start:sg[1]-start]...)
	}
	return dst
}

// leftover renders one event-level field that is not in the canonical
// property order.
func (r *renderer) leftover(f Field) (string, error) {
	pl, ok := pairLists[f.Name]
	if !ok {
		return r.generic(f), nil
	}
	r.names[0] = f.Name
	val, err := r.value(roleText, f.Value, 1)
	if err != nil {
		return "", err
	}
	parts := make([]string, 0, len(f.Children))
	for _, c := range f.Children {
		var s string
		if c.Name == pl.elem {
			r.names[1] = pl.elem
			if s, err = r.pair(c, pl.elem, pl.typeRole, 2); err != nil {
				return "", err
			}
		} else {
			s = r.generic(c)
		}
		parts = append(parts, s)
	}
	slices.Sort(parts)
	return f.Name + val + strings.Join(parts, ""), nil
}

// pair renders a typed identifier (bizTransaction, source, destination) as
// "type=<type><elem>=<id>" followed by its other children. The identifier
// is the element's text (XML) or its member of the same name (JSON).
func (r *renderer) pair(f Field, elem string, typeRole role, depth int) (string, error) {
	id := strings.TrimSpace(f.Value)
	var typ string
	var others []string
	haveType := false
	for _, c := range f.Children {
		switch {
		case c.Name == "type" && !haveType && len(c.Children) == 0:
			typ, haveType = c.Value, true
		case c.Name == elem && id == "" && len(c.Children) == 0:
			id = strings.TrimSpace(c.Value)
		default:
			others = append(others, r.generic(c))
		}
	}
	r.names[depth] = "type"
	t, err := r.value(typeRole, typ, depth+1)
	if err != nil {
		return "", err
	}
	v, err := r.value(roleURI, id, depth)
	if err != nil {
		return "", err
	}
	s := ""
	if t != "" {
		s = "type" + t
	}
	if v != "" {
		s += elem + v
	}
	slices.Sort(others)
	return s + strings.Join(others, ""), nil
}

// generic renders a field with no prescribed order: name, "=value" if it
// has a value, then its children rendered the same way and sorted.
func (r *renderer) generic(f Field) string {
	s := canonName(f.Name)
	if v := strings.TrimSpace(f.Value); v != "" {
		c, _ := canonValue(roleText, v) // roleText never fails
		s += "=" + c
	}
	if len(f.Children) == 0 {
		return s
	}
	parts := make([]string, len(f.Children))
	for i, c := range f.Children {
		parts[i] = r.generic(c)
	}
	slices.Sort(parts)
	return s + strings.Join(parts, "")
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
