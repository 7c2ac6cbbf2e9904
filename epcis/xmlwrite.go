// SPDX-License-Identifier: Apache-2.0

package epcis

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Writing events as EPCIS 2.0 XML, so that an event captured in JSON-LD
// can be answered in XML and re-hash to the same Event Hash ID (ParseXML
// reads the document back into a tree with the same pre-hash). Standard
// fields are unqualified elements; the identifier of a bizTransaction,
// source or destination is the element's text and its type an attribute;
// the plain fields of sensorMetadata and sensorReport are attributes, as in
// the XML binding. Extension fields keep their namespace, except that the
// JSON-LD spelling of the CBV master-data namespace (urn:epcglobal:cbv:mda:)
// is written as its XML namespace (urn:epcglobal:cbv:mda), which hashes
// alike (see "Namespaces" in the package documentation). What XML cannot
// carry exactly — a name that is not an XML name, a value with characters
// XML 1.0 forbids, a field named like the EPCIS 1.x extension wrappers —
// is reported with ErrNotRepresentable.

// xmlPrefixes gives the prefix the XML writer declares for well-known
// namespaces; others get ext1, ext2, ...
var xmlPrefixes = map[string]string{
	"urn:epcglobal:cbv:mda":    "cbvmda",
	"https://gs1.org/voc/":     "gs1",
	"https://ref.gs1.org/cbv/": "cbv",
	TraceLedgerNS:              "tl",
}

// xmlWordRoles are the fields whose JSON-LD bare words (CBV and GS1 Web
// Vocabulary terms, "shipping", "Temperature") the XML writer spells as
// their Web URIs, the form the XML binding takes; the pre-hash expands
// them alike. Keyed by the enclosing field's name and the field's name.
var xmlWordRoles = map[[2]string]role{
	{"", "bizStep"}:                    roleBizStep,
	{"", "disposition"}:                roleDisp,
	{"persistentDisposition", "set"}:   roleDisp,
	{"persistentDisposition", "unset"}: roleDisp,
	{"bizTransaction", "type"}:         roleBTT,
	{"source", "type"}:                 roleSDT,
	{"destination", "type"}:            roleSDT,
	{"sensorReport", "type"}:           roleMeasurement,
	{"sensorReport", "exception"}:      roleAlert,
	{"sensorReport", "component"}:      roleComponent,
}

// xmlWord returns v, or the Web URI of v when it is a bare word of the
// vocabulary field name takes under parent.
func xmlWord(parent, name, v string) string {
	if r, ok := xmlWordRoles[[2]string{parent, name}]; ok {
		if u, ok := expandWord(r, strings.TrimSpace(v)); ok {
			return u
		}
	}
	return v
}

// xmlAttrFields are the structures whose plain (unqualified, leaf, not
// repeated) fields the XML binding writes as attributes.
var xmlAttrFields = map[string]bool{"sensorMetadata": true, "sensorReport": true}

// xmlWriter renders one document.
type xmlWriter struct {
	buf    bytes.Buffer
	prefix map[string]string // namespace -> prefix
	order  []string          // namespaces in the order prefixes were given
}

// MarshalDocumentXML renders events as an EPCIS 2.0 XML EPCISDocument.
func MarshalDocumentXML(events []Event, creationDate time.Time) ([]byte, error) {
	w := &xmlWriter{prefix: map[string]string{}}
	var body bytes.Buffer
	for _, ev := range events {
		if !IsEventType(ev.Type) {
			return nil, eventErr(ev.Index, "type", ev.Type, ErrUnknownEventType, "")
		}
		w.buf.Reset()
		w.buf.WriteString("<" + ev.Type + ">")
		if err := w.fields(ev.Fields, "", ev.Index, ""); err != nil {
			return nil, err
		}
		w.buf.WriteString("</" + ev.Type + ">")
		body.Write(w.buf.Bytes())
	}
	var out bytes.Buffer
	out.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	out.WriteString(`<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2"`)
	for _, ns := range w.order {
		out.WriteString(" xmlns:" + w.prefix[ns] + `="`)
		xml.EscapeText(&out, []byte(ns))
		out.WriteString(`"`)
	}
	out.WriteString(` schemaVersion="2.0" creationDate="` + creationDate.UTC().Format("2006-01-02T15:04:05.000Z") + `">`)
	out.WriteString("<EPCISBody><EventList>")
	out.Write(body.Bytes())
	out.WriteString("</EventList></EPCISBody></epcis:EPCISDocument>\n")
	return out.Bytes(), nil
}

// qname returns the qualified XML name of a field, declaring its prefix.
func (w *xmlWriter) qname(name, path string, index int) (string, error) {
	ns, local := "", name
	if strings.HasPrefix(name, "{") {
		end := strings.LastIndexByte(name, '}')
		if end < 0 {
			return "", notRepresentable(index, path, fmt.Sprintf("name %q", truncate(name, 60)))
		}
		ns, local = name[1:end], name[end+1:]
		if ns == "" {
			return "", notRepresentable(index, path, "an empty namespace")
		}
	}
	if !isXMLName(local) {
		return "", notRepresentable(index, path, fmt.Sprintf("%q is not an XML name", truncate(local, 60)))
	}
	if ns == "" {
		if local == "extension" || local == "baseExtension" {
			return "", notRepresentable(index, path, "a field named like an EPCIS 1.x extension wrapper")
		}
		return local, nil
	}
	for _, sp := range namespaceSpellings {
		if ns == sp[1] {
			ns = sp[0] // the XML spelling; the pre-hash writes both alike
		}
	}
	p, ok := w.prefix[ns]
	if !ok {
		p = xmlPrefixes[ns]
		if p == "" || slices.ContainsFunc(w.order, func(o string) bool { return w.prefix[o] == p }) {
			p = fmt.Sprintf("ext%d", len(w.order)+1)
		}
		w.prefix[ns] = p
		w.order = append(w.order, ns)
	}
	return p + ":" + local, nil
}

// fields writes sibling fields as elements; parent is the enclosing
// field's name.
func (w *xmlWriter) fields(fields []Field, parent string, index int, path string) error {
	for _, f := range fields {
		if err := w.element(f, parent, index, joinPath(path, f.Name)); err != nil {
			return err
		}
	}
	return nil
}

// element writes one field and its children.
func (w *xmlWriter) element(f Field, parent string, index int, path string) error {
	name, err := w.qname(f.Name, path, index)
	if err != nil {
		return err
	}
	text := xmlWord(parent, f.Name, f.Value)
	children := f.Children
	var attrs []Field
	switch {
	case pairElems[f.Name] && pairLists[parent].elem == f.Name:
		// <bizTransaction type="...">id</bizTransaction>
		children = nil
		for _, c := range f.Children {
			switch {
			case c.Name == "type" && len(c.Children) == 0 && len(attrs) == 0:
				attrs = append(attrs, c)
			case c.Name == f.Name && len(c.Children) == 0 && strings.TrimSpace(text) == "":
				text = c.Value
			default:
				children = append(children, c)
			}
		}
	case xmlAttrFields[f.Name]:
		children = nil
		count := map[string]int{}
		for _, c := range f.Children {
			count[c.Name]++
		}
		for _, c := range f.Children {
			if !isExtension(c.Name) && len(c.Children) == 0 && count[c.Name] == 1 {
				attrs = append(attrs, c)
			} else {
				children = append(children, c)
			}
		}
	}
	w.buf.WriteString("<" + name)
	for _, a := range attrs {
		an, err := w.qname(a.Name, joinPath(path, a.Name), index)
		if err != nil {
			return err
		}
		if err := checkXMLText(a.Value, index, joinPath(path, a.Name)); err != nil {
			return err
		}
		w.buf.WriteString(" " + an + `="`)
		xml.EscapeText(&w.buf, []byte(xmlWord(f.Name, a.Name, a.Value)))
		w.buf.WriteString(`"`)
	}
	if strings.TrimSpace(text) == "" && len(children) == 0 {
		w.buf.WriteString("/>")
		return nil
	}
	w.buf.WriteString(">")
	if err := checkXMLText(text, index, path); err != nil {
		return err
	}
	xml.EscapeText(&w.buf, []byte(strings.TrimSpace(text)))
	if err := w.fields(children, f.Name, index, path); err != nil {
		return err
	}
	w.buf.WriteString("</" + name + ">")
	return nil
}

// checkXMLText reports a value with characters XML 1.0 cannot carry.
func checkXMLText(s string, index int, path string) error {
	for i, r := range s {
		if r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD") {
			return notRepresentable(index, path, "a value that is not UTF-8")
		}
		if !isXMLChar(r) {
			return notRepresentable(index, path, fmt.Sprintf("a value with the character %U, which XML 1.0 forbids", r))
		}
	}
	return nil
}

func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// isXMLName reports whether s is an XML local name (NCName) in the ASCII
// letters, digits, '_', '-' and '.', or any non-ASCII letter.
func isXMLName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= 0xC0 && r != 0xD7 && r != 0xF7 && isXMLChar(r):
		case i > 0 && (r >= '0' && r <= '9' || r == '-' || r == '.' || r == 0xB7):
		default:
			return false
		}
	}
	return true
}
