// SPDX-License-Identifier: Apache-2.0

package epcis

import (
	"encoding/xml"
	"errors"
	"fmt"
)

// Format names a serialisation of an EPCIS document.
type Format int

const (
	// FormatAuto detects the format from the content: a document whose
	// first non-blank character is '<' is XML, anything else is JSON.
	FormatAuto Format = iota
	// FormatJSON is EPCIS 2.0 JSON / JSON-LD.
	FormatJSON
	// FormatXML is EPCIS XML (2.0, and 1.x documents whose events use the
	// <extension> wrappers).
	FormatXML
)

// String returns "auto", "json" or "xml".
func (f Format) String() string {
	switch f {
	case FormatAuto:
		return "auto"
	case FormatJSON:
		return "json"
	case FormatXML:
		return "xml"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// Event is one EPCIS event in a format-neutral tree form.
//
// Standard EPCIS fields carry their plain local name ("eventTime", "epcList",
// "epc", ...). Extension fields carry "{namespace}localName". XML attributes
// (for example on sensorReport or bizTransaction) are children like
// elements. Lists are containers whose children repeat the element name
// ("epcList" holds "epc" fields, "quantityList" holds "quantityElement"
// fields), as in the XML binding; JSON input is brought into this shape.
type Event struct {
	// Index is the 0-based position of the event in its document.
	Index int
	// Type is the event type, e.g. "ObjectEvent".
	Type string
	// Fields are the top-level fields of the event.
	Fields []Field
}

// Field is one element, attribute or JSON member of an event.
type Field struct {
	// Name is the local name of a standard field, or "{namespace}local"
	// for an extension field.
	Name string
	// Value is the text content (empty for pure containers).
	Value string
	// Children are nested fields, in document order.
	Children []Field
}

// eventTypes lists the EPCIS 2.0 event types.
var eventTypes = map[string]bool{
	"ObjectEvent":         true,
	"AggregationEvent":    true,
	"TransactionEvent":    true,
	"TransformationEvent": true,
	"AssociationEvent":    true,
}

// IsEventType reports whether name is one of the five EPCIS 2.0 event types.
func IsEventType(name string) bool { return eventTypes[name] }

// Sentinel errors; test with errors.Is.
var (
	// ErrMalformed reports input that is not well-formed JSON or XML, or
	// that lacks the EPCIS document structure.
	ErrMalformed = errors.New("malformed EPCIS document")
	// ErrUnknownEventType reports an event whose type is not one of the
	// five EPCIS 2.0 event types.
	ErrUnknownEventType = errors.New("unknown event type")
	// ErrMissingField reports a required field that is absent or empty.
	ErrMissingField = errors.New("missing required field")
	// ErrInvalidTimestamp reports a timestamp that is not an ISO 8601 /
	// xsd:dateTime value.
	ErrInvalidTimestamp = errors.New("invalid timestamp")
	// ErrInvalidURI reports a value that must be a URI (an EPC, a location,
	// a vocabulary term, ...) but is not one, or is a malformed EPC URI.
	ErrInvalidURI = errors.New("invalid URI")
	// ErrInvalidValue reports any other value that violates its syntax
	// (for example an eventTimeZoneOffset that is not ±hh:mm).
	ErrInvalidValue = errors.New("invalid value")
)

// EventError is the error type for problems with one event. It names the
// event's 0-based index in document order and the field, as a dotted path
// ("readPoint.id", "sensorElementList.sensorElement.sensorReport.time").
type EventError struct {
	// Index is the 0-based position of the event in its document.
	Index int
	// Field is the dotted path of the offending field ("" for the event
	// as a whole).
	Field string
	// Value is the offending value, if any.
	Value string
	// Err is the cause; it wraps one of the sentinel errors.
	Err error
}

// Error implements error.
func (e *EventError) Error() string {
	msg := fmt.Sprintf("epcis: event %d", e.Index)
	if e.Field != "" {
		msg += fmt.Sprintf(", field %s", e.Field)
	}
	if e.Value != "" {
		msg += fmt.Sprintf(" (value %q)", truncate(e.Value, 80))
	}
	return msg + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *EventError) Unwrap() error { return e.Err }

// SyntaxError reports input that is not well-formed JSON or XML. It wraps
// ErrMalformed.
type SyntaxError struct {
	// Format is the format the input was read as.
	Format Format
	// Event is the 0-based index of the event being read when the error
	// occurred, or -1 when it occurred outside the events.
	Event int
	// Line and Column locate the problem (1-based; 0 if unknown).
	Line, Column int
	// Err is the underlying decoder error.
	Err error
}

// Error implements error.
func (e *SyntaxError) Error() string {
	loc := ""
	if e.Line > 0 {
		loc = fmt.Sprintf(" at line %d", e.Line)
		if e.Column > 0 {
			loc += fmt.Sprintf(", column %d", e.Column)
		}
	}
	ev := ""
	if e.Event >= 0 {
		ev = fmt.Sprintf(" in event %d", e.Event)
	}
	msg := e.Err.Error()
	var xe *xml.SyntaxError
	if errors.As(e.Err, &xe) {
		msg = xe.Msg
	}
	return fmt.Sprintf("epcis: malformed %s%s%s: %s", formatLabel(e.Format), ev, loc, msg)
}

// Unwrap returns both ErrMalformed and the decoder error.
func (e *SyntaxError) Unwrap() []error { return []error{ErrMalformed, e.Err} }

func formatLabel(f Format) string {
	if f == FormatXML {
		return "XML"
	}
	return "JSON"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// eventErr builds an *EventError wrapping sentinel with an optional detail.
func eventErr(index int, field, value string, sentinel error, detail string) error {
	err := sentinel
	if detail != "" {
		err = fmt.Errorf("%w: %s", sentinel, detail)
	}
	return &EventError{Index: index, Field: field, Value: value, Err: err}
}
