// SPDX-License-Identifier: Apache-2.0

package epcis

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// defaultPrefixes are the compact-IRI prefixes of the EPCIS 2.0 JSON-LD
// context (https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld).
var defaultPrefixes = map[string]string{
	"epcis":   "https://ref.gs1.org/epcis/",
	"cbv":     "https://ref.gs1.org/cbv/",
	"cbvmda":  "urn:epcglobal:cbv:mda:",
	"gs1":     "https://gs1.org/voc/",
	"rdfs":    "http://www.w3.org/2000/01/rdf-schema#",
	"owl":     "http://www.w3.org/2002/07/owl#",
	"xsd":     "http://www.w3.org/2001/XMLSchema#",
	"dcterms": "http://purl.org/dc/terms/",
}

const rdfsComment = "{http://www.w3.org/2000/01/rdf-schema#}comment"

// jsonContext holds the prefixes in scope for a JSON-LD document.
type jsonContext struct {
	prefixes map[string]string
}

func newJSONContext() *jsonContext {
	c := &jsonContext{prefixes: make(map[string]string, len(defaultPrefixes)+4)}
	for k, v := range defaultPrefixes {
		c.prefixes[k] = v
	}
	return c
}

// with returns a context extended by a "@context" value (a URL, a map of
// term definitions, or an array of those). Remote contexts are not
// fetched: the EPCIS context's prefixes are built in.
func (c *jsonContext) with(ctx any) *jsonContext {
	if ctx == nil {
		return c
	}
	out := &jsonContext{prefixes: make(map[string]string, len(c.prefixes)+4)}
	for k, v := range c.prefixes {
		out.prefixes[k] = v
	}
	var add func(v any)
	add = func(v any) {
		switch v := v.(type) {
		case []any:
			for _, e := range v {
				add(e)
			}
		case map[string]any:
			for term, def := range v {
				if strings.HasPrefix(term, "@") || strings.Contains(term, ":") {
					continue
				}
				switch d := def.(type) {
				case string:
					out.prefixes[term] = d
				case map[string]any:
					if id, ok := d["@id"].(string); ok {
						out.prefixes[term] = id
					}
				}
			}
		}
	}
	add(ctx)
	return out
}

// expand turns a compact IRI "prefix:suffix" into prefix IRI + suffix.
func (c *jsonContext) expand(s string) (ns, local string, ok bool) {
	i := strings.IndexByte(s, ':')
	if i <= 0 || strings.HasPrefix(s[i+1:], "//") {
		return "", "", false
	}
	ns, ok = c.prefixes[s[:i]]
	return ns, s[i+1:], ok
}

// key maps a JSON member name to a field name: "{namespace}local" for
// compact IRIs with a known prefix, the name itself otherwise.
func (c *jsonContext) key(k string) string {
	if ns, local, ok := c.expand(k); ok {
		return "{" + ns + "}" + local
	}
	return k
}

// value expands a string value that is a compact IRI with a known prefix.
func (c *jsonContext) value(v string) string {
	if ns, local, ok := c.expand(v); ok {
		return ns + local
	}
	return v
}

// ParseJSON reads an EPCIS 2.0 JSON / JSON-LD document (EPCISDocument,
// EPCISQueryDocument or a single event) and returns its events in
// document order.
func ParseJSON(data []byte) ([]Event, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return nil, jsonSyntaxError(data, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			err = errors.New("data after the top-level value")
		}
		return nil, jsonSyntaxError(data, err)
	}
	ctx := newJSONContext()
	var items, ignore []any
	switch v := root.(type) {
	case []any:
		items = v
	case map[string]any:
		ctx = ctx.with(v["@context"])
		var err error
		if items, ignore, err = jsonEventItems(ctx, v); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("epcis: %w: top-level JSON value is neither an object nor an array of events", ErrMalformed)
	}

	ignored := map[string]bool{}
	for _, name := range ignore {
		if s, ok := name.(string); ok {
			ignored[ctx.key(s)] = true
		}
	}
	events := make([]Event, 0, len(items))
	for i, item := range items {
		obj, ok := item.(map[string]any)
		if !ok {
			return nil, eventErr(i, "", "", ErrMalformed, "event is not a JSON object")
		}
		ev, err := jsonEvent(ctx, obj, i)
		if err != nil {
			return nil, err
		}
		ev.Fields = removeIgnored(ev.Fields, ignored)
		events = append(events, ev)
	}
	return events, nil
}

// jsonEventItems finds the events of a top-level JSON object: the
// eventList of an EPCISDocument, the query results of an
// EPCISQueryDocument, epcisBody.event, or the object itself when it is a
// bare event. It also returns the names listed by ignoreFields members.
func jsonEventItems(ctx *jsonContext, doc map[string]any) (items, ignore []any, err error) {
	ignore = ignoreFieldsJSON(ctx, doc)
	body, isDoc := doc["epcisBody"]
	if !isDoc {
		typ, _ := doc["type"].(string)
		if typ == "" || typ == "EPCISDocument" || typ == "EPCISQueryDocument" {
			return nil, nil, fmt.Errorf("epcis: %w: JSON object is neither an EPCIS document with an epcisBody nor an event", ErrMalformed)
		}
		return []any{doc}, ignore, nil // a bare event; jsonEvent checks its type
	}
	bm, ok := body.(map[string]any)
	if !ok {
		return nil, nil, fmt.Errorf("epcis: %w: epcisBody is not an object", ErrMalformed)
	}
	if list, ok := bm["eventList"]; ok {
		if list == nil {
			return nil, ignore, nil
		}
		if items, ok = asList(list); !ok {
			return nil, nil, fmt.Errorf("epcis: %w: epcisBody.eventList is not an array", ErrMalformed)
		}
		return items, ignore, nil
	}
	if q, ok := bm["queryResults"]; ok {
		qr, ok := q.(map[string]any)
		if !ok {
			return nil, nil, fmt.Errorf("epcis: %w: epcisBody.queryResults is not an object", ErrMalformed)
		}
		ignore = append(ignore, ignoreFieldsJSON(ctx, qr)...)
		rb, ok := qr["resultsBody"].(map[string]any)
		if !ok {
			return nil, nil, fmt.Errorf("epcis: %w: queryResults.resultsBody is missing or not an object", ErrMalformed)
		}
		if rb["eventList"] == nil {
			return nil, ignore, nil
		}
		if items, ok = asList(rb["eventList"]); !ok {
			return nil, nil, fmt.Errorf("epcis: %w: resultsBody.eventList is not an array", ErrMalformed)
		}
		return items, ignore, nil
	}
	if ev, ok := bm["event"]; ok {
		return []any{ev}, ignore, nil
	}
	return nil, nil, fmt.Errorf("epcis: %w: epcisBody has no eventList, queryResults or event", ErrMalformed)
}

func asList(v any) ([]any, bool) {
	switch v := v.(type) {
	case []any:
		return v, true
	case map[string]any:
		return []any{v}, true
	}
	return nil, false
}

// ignoreFieldsJSON returns the field names listed in an "ignoreFields"
// member (in any namespace) of obj.
func ignoreFieldsJSON(ctx *jsonContext, obj map[string]any) []any {
	var out []any
	for k, v := range obj {
		name := ctx.key(k)
		if name != "ignoreFields" && !strings.HasSuffix(name, "}ignoreFields") {
			continue
		}
		switch v := v.(type) {
		case []any:
			out = append(out, v...)
		case string:
			out = append(out, v)
		}
	}
	return out
}

func jsonEvent(ctx *jsonContext, obj map[string]any, index int) (Event, error) {
	ev := Event{Index: index}
	typ, ok := obj["type"].(string)
	if !ok {
		if obj["type"] == nil {
			return ev, eventErr(index, "type", "", ErrUnknownEventType, "event has no type")
		}
		return ev, eventErr(index, "type", "", ErrUnknownEventType, "type is not a string")
	}
	if !IsEventType(typ) {
		return ev, eventErr(index, "type", typ, ErrUnknownEventType, "")
	}
	ev.Type = typ
	if c, ok := obj["@context"]; ok {
		ctx = ctx.with(c)
	}
	conv := jsonConverter{ctx: ctx, index: index}
	fields, err := conv.members(obj, 1, true)
	if err != nil {
		return ev, err
	}
	ev.Fields = fields
	return ev, nil
}

// jsonConverter turns JSON values into Fields shaped like the XML binding.
type jsonConverter struct {
	ctx   *jsonContext
	index int
}

func (c jsonConverter) members(obj map[string]any, depth int, top bool) ([]Field, error) {
	if depth > maxDepth {
		return nil, eventErr(c.index, "", "", ErrMalformed, "nesting too deep")
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []Field
	for _, k := range keys {
		if strings.HasPrefix(k, "@") || (top && k == "type") {
			continue
		}
		name := c.ctx.key(k)
		if name == "comment" || name == "rdfs:comment" || name == rdfsComment {
			continue
		}
		var err error
		if out, err = c.add(out, name, obj[k], depth); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// add appends the field(s) for member name with value v.
func (c jsonConverter) add(out []Field, name string, v any, depth int) ([]Field, error) {
	if isListName(name) {
		items, ok := v.([]any)
		if !ok {
			items = []any{v}
		}
		list := Field{Name: name}
		for _, item := range items {
			var err error
			if list.Children, err = c.add(list.Children, listItemName(name, item), item, depth+1); err != nil {
				return nil, err
			}
		}
		return append(out, list), nil
	}
	switch v := v.(type) {
	case nil:
		return out, nil
	case string:
		return append(out, Field{Name: name, Value: c.ctx.value(v)}), nil
	case json.Number:
		return append(out, Field{Name: name, Value: v.String()}), nil
	case bool:
		s := "false"
		if v {
			s = "true"
		}
		return append(out, Field{Name: name, Value: s}), nil
	case map[string]any:
		children, err := c.members(v, depth+1, false)
		if err != nil {
			return nil, err
		}
		return append(out, Field{Name: name, Children: children}), nil
	case []any:
		if depth > maxDepth {
			return nil, eventErr(c.index, "", "", ErrMalformed, "nesting too deep")
		}
		for _, item := range v {
			var err error
			if out, err = c.add(out, name, item, depth+1); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return out, nil
}

// isListName reports whether a JSON member holds a list whose XML binding
// wraps each entry in an element: names ending in "List", and childEPCs.
func isListName(name string) bool {
	local := name[strings.LastIndexByte(name, '}')+1:]
	return (len(local) > len("List") && strings.HasSuffix(local, "List")) || name == "childEPCs"
}

// listItemName names the entries of a JSON list the way the XML binding
// names its elements: epcList -> epc, quantityList -> quantityElement,
// inputEPCList -> epc, bizTransactionList -> bizTransaction, and
// "{ns}fooList" -> "{ns}foo".
func listItemName(list string, item any) string {
	if list == "childEPCs" {
		return "epc"
	}
	name := strings.TrimSuffix(list, "List")
	switch name {
	case "inputEPC", "outputEPC":
		return "epc"
	case "inputQuantity", "outputQuantity", "childQuantity":
		return "quantityElement"
	case "quantity":
		if _, isObj := item.(map[string]any); isObj {
			return "quantityElement"
		}
	}
	return name
}

// jsonSyntaxError wraps a decoder error with its line and column.
func jsonSyntaxError(data []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		off = int64(len(data))
		if errors.Is(err, io.EOF) {
			err = errors.New("empty document")
		}
	}
	out := &SyntaxError{Format: FormatJSON, Event: -1, Err: err}
	if off >= 0 {
		if off > int64(len(data)) {
			off = int64(len(data))
		}
		out.Line = 1 + bytes.Count(data[:off], []byte("\n"))
		out.Column = int(off) - bytes.LastIndexByte(data[:off], '\n')
		out.Event = jsonEventAt(data[:off])
	}
	return out
}

// jsonEventAt returns the index of the event (element of an "eventList"
// array) that the end of prefix lies in, or -1. prefix is the part of a
// document before a syntax error; it is re-tokenised up to the error.
func jsonEventAt(prefix []byte) int {
	type frame struct {
		array     bool
		key       string // member name of this container in its parent
		count     int    // array: values started so far
		expectKey bool   // object: next token is a member name
		lastKey   string
	}
	dec := json.NewDecoder(bytes.NewReader(prefix))
	dec.UseNumber()
	var stack []frame
	eventIndex := func() int {
		for i := len(stack) - 1; i >= 0; i-- {
			if f := stack[i]; f.array && f.key == "eventList" && f.count > 0 {
				return f.count - 1
			}
		}
		return -1
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return eventIndex()
		}
		// The member name under which a value starting now is stored.
		key := ""
		if n := len(stack); n > 0 {
			top := &stack[n-1]
			if top.array {
				if d, ok := tok.(json.Delim); !ok || (d != ']' && d != '}') {
					top.count++
				}
			} else if top.expectKey {
				if s, ok := tok.(string); ok {
					top.lastKey, top.expectKey = s, false
					continue
				}
			} else {
				key = top.lastKey
				top.expectKey = true
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{key: key, expectKey: true})
		case json.Delim('['):
			stack = append(stack, frame{array: true, key: key})
		case json.Delim('}'), json.Delim(']'):
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		}
	}
}
