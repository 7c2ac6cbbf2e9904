// SPDX-License-Identifier: Apache-2.0

package epcis

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Writing events as EPCIS 2.0 JSON-LD. The writer renders the Event tree
// in the JSON binding that ParseJSON reads back into the same tree, so an
// exported document re-hashes to the recorded Event Hash IDs. A few XML
// shapes have no JSON-LD rendering (an extension element carrying both
// text and attributes or children; a list whose entries are not named
// after it); MarshalEvent reports them with ErrNotRepresentable rather
// than writing a document that would hash differently.

// EPCISContextURL is the EPCIS 2.0 JSON-LD context.
const EPCISContextURL = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"

// ErrNotRepresentable reports an event that JSON-LD cannot carry exactly.
var ErrNotRepresentable = fmt.Errorf("event has no exact JSON-LD rendering")

// arrayFields are members the EPCIS JSON schema types as arrays although
// their names do not end in "List".
var arrayFields = map[string]bool{
	"set": true, "unset": true, "correctiveEventIDs": true, "sensorReport": true,
}

// numberFields are written as JSON numbers when their value is a decimal.
var numberFields = map[string]bool{
	"quantity": true, "value": true, "minValue": true, "maxValue": true, "meanValue": true,
	"sDev": true, "percRank": true, "percValue": true,
}

// Namespaces assigns JSON-LD prefixes to extension namespaces: the EPCIS
// context's own prefixes where they apply, "ext1", "ext2", ... otherwise.
type Namespaces struct {
	prefixes map[string]string // namespace -> prefix
	order    []string          // namespaces given a new prefix, in order
}

// NewNamespaces returns an empty prefix table.
func NewNamespaces() *Namespaces {
	n := &Namespaces{prefixes: map[string]string{}}
	for p, ns := range defaultPrefixes {
		n.prefixes[ns] = p
	}
	// An XML namespace whose JSON-LD spelling differs (CBV master data:
	// urn:epcglobal:cbv:mda) is written with the context's prefix for it
	// (cbvmda:), not a new prefix whose IRI would concatenate to a
	// different IRI; the pre-hash spells both alike (canonName).
	for _, sp := range namespaceSpellings {
		if p, ok := n.prefixes[sp[1]]; ok {
			n.prefixes[sp[0]] = p
		}
	}
	return n
}

// name turns a field name into a JSON member name.
func (n *Namespaces) name(field string) string {
	if !strings.HasPrefix(field, "{") {
		return field
	}
	end := strings.LastIndexByte(field, '}')
	if end < 0 {
		return field
	}
	ns, local := field[1:end], field[end+1:]
	p, ok := n.prefixes[ns]
	if !ok {
		p = fmt.Sprintf("ext%d", len(n.order)+1)
		n.prefixes[ns] = p
		n.order = append(n.order, ns)
	}
	return p + ":" + local
}

// expands reports whether ParseJSON would expand s as a compact IRI with
// one of the prefixes in scope.
func (n *Namespaces) expands(s string) bool {
	i := strings.IndexByte(s, ':')
	if i <= 0 || strings.HasPrefix(s[i+1:], "//") {
		return false
	}
	p := s[:i]
	if _, ok := defaultPrefixes[p]; ok {
		return true
	}
	for _, q := range n.prefixes {
		if q == p {
			return true
		}
	}
	return strings.HasPrefix(p, "ext") && allDigits(p[3:]) // a prefix this table may give out later
}

// checkName reports a field name that ParseJSON would not read back as
// the same name.
func (n *Namespaces) checkName(name string) error {
	switch {
	case strings.HasPrefix(name, "@"):
		return fmt.Errorf("member name %q is a JSON-LD keyword", name)
	case name == "comment" || name == "rdfs:comment" || name == rdfsComment:
		return fmt.Errorf("member name %q is dropped as a comment", name)
	case !strings.HasPrefix(name, "{") && n.expands(name):
		return fmt.Errorf("member name %q would be read as a compact IRI", name)
	}
	return nil
}

// Context returns the @context value: the EPCIS context and the prefixes
// given out.
func (n *Namespaces) Context() any {
	if len(n.order) == 0 {
		return []any{EPCISContextURL}
	}
	defs := map[string]any{}
	for _, ns := range n.order {
		defs[n.prefixes[ns]] = ns
	}
	return []any{EPCISContextURL, defs}
}

// EventObject renders one event as a JSON object (without @context; use
// the Namespaces' Context). eventID, if not empty and the event has none,
// is added (eventID is not part of the hash).
func EventObject(ev Event, ns *Namespaces, eventID string) (map[string]any, error) {
	obj := map[string]any{"type": ev.Type}
	if err := members(obj, ev.Fields, ns, "", ev.Index); err != nil {
		return nil, err
	}
	if _, ok := obj["eventID"]; !ok && eventID != "" {
		obj["eventID"] = eventID
	}
	return obj, nil
}

// members adds the JSON members for sibling fields to obj. pairElem names
// the identifier member of a bizTransaction, source or destination whose
// identifier is the field's text.
func members(obj map[string]any, fields []Field, ns *Namespaces, path string, index int) error {
	var names []string
	groups := map[string][]Field{}
	for _, f := range fields {
		if _, ok := groups[f.Name]; !ok {
			names = append(names, f.Name)
		}
		groups[f.Name] = append(groups[f.Name], f)
	}
	for _, name := range names {
		g := groups[name]
		if err := ns.checkName(name); err != nil {
			return notRepresentable(index, joinPath(path, name), err.Error())
		}
		key := ns.name(name)
		if _, dup := obj[key]; dup {
			return notRepresentable(index, joinPath(path, name), "two members would share the name "+key)
		}
		p := joinPath(path, name)
		if isListName(name) {
			if len(g) != 1 || g[0].Value != "" {
				return notRepresentable(index, p, "a list with text or repeated")
			}
			items := make([]any, 0, len(g[0].Children))
			for _, c := range g[0].Children {
				v, err := value(c, ns, p, index)
				if err != nil {
					return err
				}
				if want := listItemName(name, v); c.Name != want {
					return notRepresentable(index, p, fmt.Sprintf("list entry %s is not named %s", c.Name, want))
				}
				items = append(items, v)
			}
			obj[key] = items
			continue
		}
		vals := make([]any, len(g))
		for i, f := range g {
			v, err := value(f, ns, p, index)
			if err != nil {
				return err
			}
			vals[i] = v
		}
		if len(vals) == 1 && !arrayFields[name] {
			obj[key] = vals[0]
		} else {
			obj[key] = vals
		}
	}
	return nil
}

// pairElems are the entries of bizTransactionList, sourceList and
// destinationList, whose identifier may be the entry's text.
var pairElems = map[string]bool{"bizTransaction": true, "source": true, "destination": true}

// value renders one field's value: a string, number or boolean for a
// leaf, an object for a structure.
func value(f Field, ns *Namespaces, path string, index int) (any, error) {
	if len(f.Children) == 0 {
		if numberFields[f.Name] && isDecimal(f.Value) && json.Valid([]byte(f.Value)) {
			return json.Number(f.Value), nil
		}
		if f.Name == "booleanValue" && (f.Value == "true" || f.Value == "false") {
			return f.Value == "true", nil
		}
		if ns.expands(f.Value) {
			return nil, notRepresentable(index, path, fmt.Sprintf("value %q would be read as a compact IRI", truncate(f.Value, 60)))
		}
		return f.Value, nil
	}
	obj := map[string]any{}
	children := f.Children
	if f.Value != "" {
		if !pairElems[f.Name] {
			return nil, notRepresentable(index, path, "an element with both text and children")
		}
		for _, c := range children {
			if c.Name == f.Name {
				return nil, notRepresentable(index, path, "an identifier both as text and as member")
			}
		}
		children = append(slices.Clip(children), Field{Name: f.Name, Value: f.Value})
	}
	if err := members(obj, children, ns, path, index); err != nil {
		return nil, err
	}
	return obj, nil
}

func notRepresentable(index int, field, detail string) error {
	return &EventError{Index: index, Field: field, Err: fmt.Errorf("%w: %s", ErrNotRepresentable, detail)}
}

// MarshalEvent renders one event as a self-contained JSON-LD object (with
// its own @context).
func MarshalEvent(ev Event, eventID string) ([]byte, error) {
	ns := NewNamespaces()
	obj, err := EventObject(ev, ns, eventID)
	if err != nil {
		return nil, err
	}
	obj["@context"] = ns.Context()
	return marshalJSON(obj)
}

// DocumentOptions are the document-level parts of an exported document.
type DocumentOptions struct {
	// CreationDate is the document's creation date.
	CreationDate time.Time
	// EventIDs, if set, gives eventID for events that have none (index
	// by position).
	EventIDs []string
	// Extra members of the document object (for example proofs), keyed by
	// full member name; use a prefix declared in Prefixes.
	Extra map[string]any
	// Prefixes are added to the @context (prefix -> namespace IRI).
	Prefixes map[string]string
}

// MarshalDocument renders events as an EPCIS 2.0 JSON-LD EPCISDocument.
func MarshalDocument(events []Event, opts DocumentOptions) ([]byte, error) {
	ns := NewNamespaces()
	for p, iri := range opts.Prefixes {
		ns.prefixes[iri] = p
	}
	list := make([]any, len(events))
	for i, ev := range events {
		id := ""
		if i < len(opts.EventIDs) {
			id = opts.EventIDs[i]
		}
		obj, err := EventObject(ev, ns, id)
		if err != nil {
			return nil, err
		}
		list[i] = obj
	}
	ctx := ns.Context().([]any)
	if len(opts.Prefixes) > 0 {
		defs := map[string]any{}
		if len(ctx) > 1 {
			defs = ctx[1].(map[string]any)
		}
		for p, iri := range opts.Prefixes {
			defs[p] = iri
		}
		ctx = []any{EPCISContextURL, defs}
	}
	doc := map[string]any{
		"@context":      ctx,
		"type":          "EPCISDocument",
		"schemaVersion": "2.0",
		"creationDate":  opts.CreationDate.UTC().Format("2006-01-02T15:04:05.000Z"),
		"epcisBody":     map[string]any{"eventList": list},
	}
	for k, v := range opts.Extra {
		doc[k] = v
	}
	return marshalJSON(doc)
}

// marshalJSON writes indented JSON without HTML escaping (URIs keep their
// '&' characters readable).
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("epcis: encode JSON: %w", err)
	}
	return buf.Bytes(), nil
}
