// SPDX-License-Identifier: Apache-2.0

package epcis

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// xmlValuePrefixes are the compact-URI prefixes expanded in XML values
// (CBV 2.0: gs1, cbv and epcis). Other prefixes in values are kept as
// written: XML namespace declarations scope element names, not text.
var xmlValuePrefixes = [...][2]string{
	{"gs1:", "https://gs1.org/voc/"},
	{"cbv:", "https://ref.gs1.org/cbv/"},
	{"epcis:", "https://ref.gs1.org/epcis/"},
}

// epcisNamespaces are the namespaces of the EPCIS XML schemas; elements in
// them count as standard (unqualified) fields.
var epcisNamespaces = map[string]bool{
	"urn:epcglobal:epcis:xsd:1":       true,
	"urn:epcglobal:epcis:xsd:2":       true,
	"urn:epcglobal:epcis-query:xsd:1": true,
	"urn:epcglobal:epcis-query:xsd:2": true,
}

// xnode is an element of the parsed XML tree.
type xnode struct {
	name     xml.Name
	attrs    []xml.Attr
	text     []byte
	children []*xnode
	hasChild bool // text after the first child element is not content
	wrapper  bool // <extension>/<baseExtension>: children belong to the parent
	event    int  // index of the event this element starts, or -1
	line     int
}

// ParseXML reads an EPCIS XML document (EPCISDocument, EPCISQueryDocument
// or a single event element) and returns its events in document order.
// The EPCIS 1.x <extension> and <baseExtension> wrappers are transparent.
func ParseXML(data []byte) ([]Event, error) {
	root, err := readXMLTree(data)
	if err != nil {
		return nil, err
	}
	var eventNodes []*xnode
	if IsEventType(root.name.Local) {
		eventNodes = []*xnode{root}
	} else {
		list := findXML(root, func(n *xnode) bool { return n.name.Local == "EventList" }, nil)
		if list == nil {
			return nil, fmt.Errorf("epcis: %w: no EventList element (root element is <%s>)", ErrMalformed, root.name.Local)
		}
		eventNodes = list.children
		ignore := map[string]bool{}
		collectIgnoreFields(root, list, ignore)
		events := make([]Event, 0, len(eventNodes))
		for i, n := range eventNodes {
			ev, err := xmlEvent(n, i)
			if err != nil {
				return nil, err
			}
			ev.Fields = removeIgnored(ev.Fields, ignore)
			events = append(events, ev)
		}
		return events, nil
	}
	ev, err := xmlEvent(root, 0)
	if err != nil {
		return nil, err
	}
	return []Event{ev}, nil
}

func xmlEvent(n *xnode, index int) (Event, error) {
	if !IsEventType(n.name.Local) || (n.name.Space != "" && !epcisNamespaces[n.name.Space]) {
		return Event{}, eventErr(index, "type", xmlFieldName(n.name), ErrUnknownEventType,
			fmt.Sprintf("element <%s> at line %d", n.name.Local, n.line))
	}
	f := xmlField(n)
	return Event{Index: index, Type: n.name.Local, Fields: f.Children}, nil
}

func xmlFieldName(n xml.Name) string {
	if n.Space == "" || epcisNamespaces[n.Space] {
		return n.Local
	}
	return "{" + n.Space + "}" + n.Local
}

func xmlValue(s string) string {
	s = strings.TrimSpace(s)
	for _, p := range xmlValuePrefixes {
		if strings.HasPrefix(s, p[0]) {
			return p[1] + s[len(p[0]):]
		}
	}
	return s
}

// xmlField converts an element: its attributes and child elements become
// children, its leading text the value.
func xmlField(n *xnode) Field {
	f := Field{Name: xmlFieldName(n.name), Value: xmlValue(string(n.text))}
	for _, a := range n.attrs {
		f.Children = append(f.Children, Field{Name: xmlFieldName(a.Name), Value: xmlValue(a.Value)})
	}
	for _, c := range n.children {
		f.Children = append(f.Children, xmlField(c))
	}
	return f
}

// findXML returns the first node in document order below n (or n itself)
// that satisfies match, not descending into skip.
func findXML(n *xnode, match func(*xnode) bool, skip *xnode) *xnode {
	if n == skip {
		return nil
	}
	if match(n) {
		return n
	}
	for _, c := range n.children {
		if m := findXML(c, match, skip); m != nil {
			return m
		}
	}
	return nil
}

// collectIgnoreFields gathers the names listed by "ignoreFields" elements
// (any namespace) outside the event list.
func collectIgnoreFields(n, eventList *xnode, out map[string]bool) {
	if n == eventList {
		return
	}
	if n.name.Local == "ignoreFields" {
		for _, c := range n.children {
			out[xmlFieldName(c.name)] = true
		}
		return
	}
	for _, c := range n.children {
		collectIgnoreFields(c, eventList, out)
	}
}

// readXMLTree parses data into a tree of elements.
func readXMLTree(data []byte) (*xnode, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.CharsetReader = charsetReader
	var stack []*xnode
	var root *xnode
	events := 0
	fail := func(err error) error {
		se := xmlSyntaxError(d, err)
		for i := len(stack) - 1; i >= 0; i-- {
			if stack[i].event >= 0 {
				se.Event = stack[i].event
				break
			}
		}
		return se
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fail(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil && len(stack) == 0 {
				return nil, fail(errors.New("more than one root element"))
			}
			if len(stack) >= maxDepth {
				return nil, fail(errors.New("elements nested too deeply"))
			}
			line, _ := d.InputPos()
			n := &xnode{name: t.Name, line: line, event: -1}
			n.wrapper = t.Name.Space == "" && (t.Name.Local == "extension" || t.Name.Local == "baseExtension") && len(stack) > 0
			if !n.wrapper && startsEvent(stack, t.Name) {
				n.event = events
				events++
			}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
					continue
				}
				n.attrs = append(n.attrs, a)
			}
			if len(stack) > 0 {
				stack[len(stack)-1].hasChild = true
			}
			stack = append(stack, n)
		case xml.EndElement:
			n := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				root = n
				continue
			}
			parent := stack[len(stack)-1]
			if n.wrapper {
				parent.children = append(parent.children, n.children...)
			} else {
				parent.children = append(parent.children, n)
			}
		case xml.CharData:
			if len(stack) > 0 {
				if top := stack[len(stack)-1]; !top.hasChild {
					top.text = append(top.text, t...)
				}
			}
		}
	}
	if root == nil {
		return nil, &SyntaxError{Format: FormatXML, Event: -1, Err: errors.New("no root element")}
	}
	return root, nil
}

// startsEvent reports whether an element named name, opened below stack,
// is an event: a child of EventList (through any <extension> wrappers), or
// a root element named like an event type.
func startsEvent(stack []*xnode, name xml.Name) bool {
	if len(stack) == 0 {
		return IsEventType(name.Local)
	}
	for i := len(stack) - 1; i >= 0; i-- {
		if !stack[i].wrapper {
			return stack[i].name.Local == "EventList"
		}
	}
	return false
}

func xmlSyntaxError(d *xml.Decoder, err error) *SyntaxError {
	out := &SyntaxError{Format: FormatXML, Event: -1, Err: err}
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		out.Line = se.Line
	} else {
		out.Line, out.Column = d.InputPos()
	}
	return out
}

// charsetReader accepts the single-byte encodings EPCIS documents declare
// besides UTF-8.
func charsetReader(label string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return input, nil
	case "iso-8859-1", "latin1", "latin-1", "iso8859-1":
		b, err := io.ReadAll(input)
		if err != nil {
			return nil, fmt.Errorf("epcis: reading ISO-8859-1 input: %w", err)
		}
		out := make([]byte, 0, len(b))
		for _, c := range b {
			out = utf8.AppendRune(out, rune(c))
		}
		return bytes.NewReader(out), nil
	}
	return nil, fmt.Errorf("unsupported character encoding %q", label)
}
