// SPDX-License-Identifier: Apache-2.0

package epcis

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"

	"github.com/gowebpki/jcs"
)

// The payload of a hashed event: what the enterprise keeps and may disclose
// later, and whose SHA-256 the ledger holds.
//
// The payload of an event is one self-contained JSON object: for a JSON /
// JSON-LD document, the event's object as written, with the document's
// @context copied in when the event has none of its own (so the object
// alone hashes to the same Event Hash ID); for an XML document, the event
// rendered as JSON-LD by MarshalEvent. The ledger holds SHA-256 of its
// JCS (RFC 8785) canonical form, so key order, white space and number
// spelling of the disclosed file do not matter.

func contextList(ctx any) []any {
	if l, ok := ctx.([]any); ok {
		return append([]any(nil), l...)
	}
	return []any{ctx}
}

// Payload is one event's payload in JCS canonical form, with its SHA-256.
type Payload struct {
	JSON   []byte
	SHA256 [32]byte
}

// PayloadOf canonicalises one payload (a JSON value) with JCS and hashes it.
func PayloadOf(data []byte) (Payload, error) {
	c, err := jcs.Transform(data)
	if err != nil {
		return Payload{}, fmt.Errorf("epcis: JCS canonicalisation: %w", err)
	}
	return Payload{JSON: c, SHA256: sha256.Sum256(c)}, nil
}

// Payloads returns the payload of every event of a document, in document
// order.
func Payloads(data []byte, format Format) ([]Payload, error) {
	if format == FormatAuto {
		format = DetectFormat(data)
	}
	if format == FormatXML {
		events, err := ParseXML(data)
		if err != nil {
			return nil, err
		}
		out := make([]Payload, len(events))
		for i, ev := range events {
			js, err := MarshalEvent(ev, "")
			if err != nil {
				return nil, err
			}
			if out[i], err = PayloadOf(js); err != nil {
				return nil, &EventError{Index: i, Err: err}
			}
		}
		return out, nil
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return nil, jsonSyntaxError(data, err)
	}
	var items []any
	var docCtx any
	switch v := root.(type) {
	case []any:
		items = v
	case map[string]any:
		if _, isDoc := v["epcisBody"]; isDoc {
			docCtx = v["@context"] // a bare event keeps its own as it is
		}
		var err error
		if items, _, err = jsonEventItems(newJSONContext().with(v["@context"]), v); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("epcis: %w: top-level JSON value is neither an object nor an array of events", ErrMalformed)
	}
	out := make([]Payload, len(items))
	for i, item := range items {
		obj, ok := item.(map[string]any)
		if !ok {
			return nil, eventErr(i, "", "", ErrMalformed, "event is not a JSON object")
		}
		if docCtx != nil {
			if own, has := obj["@context"]; has {
				// The event's own context extends the document's.
				obj["@context"] = append(contextList(docCtx), contextList(own)...)
			} else {
				obj["@context"] = docCtx
			}
		}
		js, err := marshalJSON(obj)
		if err != nil {
			return nil, &EventError{Index: i, Err: err}
		}
		if out[i], err = PayloadOf(js); err != nil {
			return nil, &EventError{Index: i, Err: err}
		}
	}
	return out, nil
}
