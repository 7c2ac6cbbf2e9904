// SPDX-License-Identifier: Apache-2.0

package epcis

import (
	"bytes"
	"fmt"
	"io"
)

// maxDepth bounds the nesting of elements / JSON values in a document.
const maxDepth = 256

// DetectFormat tells XML from JSON by content: after an optional UTF-8
// byte order mark and white space, '<' starts XML; anything else is
// treated as JSON.
func DetectFormat(data []byte) Format {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	data = bytes.TrimLeft(data, " \t\r\n")
	if len(data) > 0 && data[0] == '<' {
		return FormatXML
	}
	return FormatJSON
}

// Parse reads an EPCIS 2.0 document — an EPCISDocument, an
// EPCISQueryDocument (its query results), or a single bare event — and
// returns its events in document order. FormatAuto detects the format
// from the content.
func Parse(r io.Reader, format Format) ([]Event, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("epcis: reading document: %w", err)
	}
	return ParseBytes(data, format)
}

// ParseBytes is Parse for a document held in memory.
func ParseBytes(data []byte, format Format) ([]Event, error) {
	if format == FormatAuto {
		format = DetectFormat(data)
	}
	switch format {
	case FormatJSON:
		return ParseJSON(data)
	case FormatXML:
		return ParseXML(data)
	}
	return nil, fmt.Errorf("epcis: unsupported format %v", format)
}

// PreHashDocument returns the pre-hash string of every event of the
// document, in document order.
func PreHashDocument(r io.Reader, format Format) ([]string, error) {
	events, err := Parse(r, format)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(events))
	for i, ev := range events {
		if out[i], err = PreHash(ev); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// HashDocument returns the Event Hash ID of every event of the document,
// in document order.
func HashDocument(r io.Reader, format Format) ([]string, error) {
	pre, err := PreHashDocument(r, format)
	if err != nil {
		return nil, err
	}
	for i, p := range pre {
		pre[i] = HashPreHash(p)
	}
	return pre, nil
}

// removeIgnored drops the top-level fields named in ignore (names compared
// in their pre-hash spelling, so that an XML list of ignored fields and a
// JSON-LD one name the same fields).
func removeIgnored(fields []Field, ignore map[string]bool) []Field {
	if len(ignore) == 0 {
		return fields
	}
	canon := make(map[string]bool, len(ignore))
	for name := range ignore {
		canon[canonName(name)] = true
	}
	out := fields[:0]
	for _, f := range fields {
		if !canon[canonName(f.Name)] {
			out = append(out, f)
		}
	}
	return out
}
