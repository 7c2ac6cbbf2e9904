// SPDX-License-Identifier: Apache-2.0

package epcis

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/traceledger/traceledger/proof"
)

// TestExportRoundTrip renders every conformance document (JSON-LD and XML)
// as a JSON-LD EPCISDocument, through the typed protobuf as the ledger
// stores it, parses the result and checks every event keeps its hash.
func TestExportRoundTrip(t *testing.T) {
	events, skipped := 0, 0
	for _, c := range conformanceCases(t) {
		data, err := os.ReadFile(filepath.Join(conformanceDir, c.file))
		if err != nil {
			t.Fatal(err)
		}
		evs, err := ParseBytes(data, c.format)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		var stored []Event
		for _, ev := range evs {
			h, err := HashID(ev)
			if err != nil {
				t.Fatal(err)
			}
			_, back := protoRoundTrip(t, ev)
			if _, err := EventObject(back, NewNamespaces(), ""); errors.Is(err, ErrNotRepresentable) {
				skipped++
				t.Logf("%s event %d: %v", c.file, ev.Index, err)
				continue
			}
			want = append(want, h)
			stored = append(stored, back)
		}
		doc, err := MarshalDocument(stored, DocumentOptions{CreationDate: time.Unix(0, 0), EventIDs: want})
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		got, err := HashDocument(bytes.NewReader(doc), FormatJSON)
		if err != nil {
			t.Fatalf("%s: exported document does not parse: %v\n%s", c.file, err, doc)
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: hashes changed by export\n got %v\nwant %v\n%s", c.file, got, want, doc)
		}
		events += len(got)
	}
	// One XML vector has a user extension list (c4l:wasteList) whose
	// entries are not named after it (c4l:wasteElement); the JSON binding
	// names list entries after their list, so no JSON-LD document parses to
	// that tree. The writer must say so rather than write a document that
	// hashes differently.
	if skipped > 1 {
		t.Errorf("%d conformance events have no JSON-LD rendering, want at most 1", skipped)
	}
	t.Logf("%d events: document -> protobuf -> JSON-LD -> re-hash equal", events)
}

func TestExportNotRepresentable(t *testing.T) {
	ev := Event{Type: "ObjectEvent", Fields: []Field{
		{Name: "eventTime", Value: "2024-01-01T00:00:00Z"},
		{Name: "{urn:ns}temp", Value: "5", Children: []Field{{Name: "unit", Value: "C"}}},
	}}
	if _, err := MarshalEvent(ev, ""); !errors.Is(err, ErrNotRepresentable) {
		t.Fatalf("text and attributes: %v", err)
	}
	ev.Fields[1] = Field{Name: "{urn:ns}fooList", Children: []Field{{Name: "{urn:ns}bar", Value: "1"}}}
	if _, err := MarshalEvent(ev, ""); !errors.Is(err, ErrNotRepresentable) {
		t.Fatalf("list entry with another name: %v", err)
	}
}

func TestExportShape(t *testing.T) {
	evs, err := Parse(strings.NewReader(benchObjectEvent), FormatJSON)
	if err != nil {
		t.Fatal(err)
	}
	js, err := MarshalEvent(evs[0], "ni:///x")
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal(js, &obj); err != nil {
		t.Fatal(err)
	}
	ctx, _ := json.Marshal(obj["@context"])
	if !strings.Contains(string(ctx), EPCISContextURL) || !strings.Contains(string(ctx), `"ext1":"https://ns.example.com/epcis/"`) {
		t.Errorf("@context %s", ctx)
	}
	if _, ok := obj["ext1:shipmentNote"]; !ok || obj["eventID"] != "ni:///x" || obj["type"] != "ObjectEvent" {
		t.Errorf("event object %s", js)
	}
	if l, ok := obj["epcList"].([]any); !ok || len(l) != 4 {
		t.Errorf("epcList %v", obj["epcList"])
	}
}

func TestPayloads(t *testing.T) {
	doc := []byte(benchObjectEvent)
	ps, err := Payloads(doc, FormatAuto)
	if err != nil || len(ps) != 1 {
		t.Fatalf("%v %d", err, len(ps))
	}
	if ps[0].SHA256 != sha256.Sum256(ps[0].JSON) {
		t.Fatal("SHA256 is not the hash of JSON")
	}
	// The payload alone is a self-contained event with the same hash ID.
	want, _ := HashDocument(bytes.NewReader(doc), FormatJSON)
	got, err := HashDocument(bytes.NewReader(ps[0].JSON), FormatJSON)
	if err != nil || got[0] != want[0] {
		t.Fatalf("payload hashes to %v (%v), the document to %v", got, err, want)
	}
	// Key order and white space do not change the payload hash.
	var v any
	json.Unmarshal(ps[0].JSON, &v)
	pretty, _ := json.MarshalIndent(v, "", "    ")
	again, err := Payloads(pretty, FormatJSON)
	if err != nil || again[0].SHA256 != ps[0].SHA256 {
		t.Fatalf("re-formatted payload: %v", err)
	}
	// XML: the payload is the JSON-LD rendering, with the same hash ID.
	for _, name := range []string{"epcisDocWithVariousEventTypes.xml", "SensorDataExamples.xml"} {
		x, _ := os.ReadFile(filepath.Join(conformanceDir, name))
		xp, err := Payloads(x, FormatAuto)
		if err != nil {
			t.Fatal(err)
		}
		xh, _ := HashDocument(bytes.NewReader(x), FormatXML)
		for i, p := range xp {
			h, err := HashDocument(bytes.NewReader(p.JSON), FormatJSON)
			if err != nil || h[0] != xh[i] {
				t.Errorf("%s event %d: payload hashes to %v (%v), want %s", name, i, h, err, xh[i])
			}
		}
	}
	if _, err := Payloads([]byte(`{"epcisBody":{"eventList":[1]}}`), FormatJSON); err == nil {
		t.Error("accepted a non-object event")
	}
}

func TestAnchorTree(t *testing.T) {
	for _, n := range []int{1, 2, 3, 5, 7, 8, 13, 100} {
		digests := make([][32]byte, n)
		for i := range digests {
			digests[i] = sha256.Sum256([]byte{byte(i), byte(n)})
		}
		tree, err := NewAnchorTree(digests)
		if err != nil {
			t.Fatal(err)
		}
		root := tree.Root()
		for i := range digests {
			p, err := tree.Prove(i)
			if err != nil {
				t.Fatal(err)
			}
			if err := proof.VerifyInclusion(AnchorLeafHash(digests[i]), uint64(i), uint64(n), p, root); err != nil {
				t.Fatalf("n=%d leaf %d: %v", n, i, err)
			}
			other := sha256.Sum256([]byte("other"))
			if proof.VerifyInclusion(AnchorLeafHash(other), uint64(i), uint64(n), p, root) == nil {
				t.Fatalf("n=%d leaf %d: proof verifies a different leaf", n, i)
			}
		}
		if _, err := tree.Prove(n); err == nil {
			t.Fatal("proved a leaf outside the tree")
		}
	}
	if _, err := NewAnchorTree(nil); err == nil {
		t.Fatal("built an empty tree")
	}
}

// TestPayloadContexts: an event with its own @context inside a document
// with one gets both, in order, so the payload alone keeps its hash ID.
func TestPayloadContexts(t *testing.T) {
	doc := []byte(`{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"a": "https://a.example/"}],
	  "type": "EPCISDocument", "epcisBody": {"eventList": [{"@context": {"b": "https://b.example/"},
	  "type": "ObjectEvent", "eventTime": "2024-01-01T00:00:00Z", "eventTimeZoneOffset": "+00:00", "action": "OBSERVE",
	  "a:x": "1", "b:y": "2"}]}}`)
	want, err := HashDocument(bytes.NewReader(doc), FormatJSON)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := Payloads(doc, FormatJSON)
	if err != nil {
		t.Fatal(err)
	}
	got, err := HashDocument(bytes.NewReader(ps[0].JSON), FormatJSON)
	if err != nil || got[0] != want[0] {
		t.Fatalf("payload hashes to %v (%v), the document to %v", got, err, want)
	}
}
