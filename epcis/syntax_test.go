// SPDX-License-Identifier: Apache-2.0

package epcis

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// syntaxCase is one event (or document of events) written by hand in both
// EPCIS 2.0 bindings.
type syntaxCase struct {
	name      string
	xml, json string
}

// xmlDoc wraps events in an EPCIS 2.0 XML document declaring the given
// namespace prefixes (prefix -> namespace name).
func xmlDoc(ns map[string]string, events string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0" creationDate="2026-01-01T00:00:00Z"`)
	for _, p := range []string{"cbvmda", "example", "example2", "gs1"} {
		if v, ok := ns[p]; ok {
			b.WriteString(` xmlns:` + p + `="` + v + `"`)
		}
	}
	b.WriteString("><EPCISBody><EventList>" + events + "</EventList></EPCISBody></epcis:EPCISDocument>")
	return b.String()
}

// jsonDoc wraps events in an EPCIS 2.0 JSON-LD document whose context adds
// the given prefixes to the GS1 context.
func jsonDoc(ctx, events string) string {
	c := `"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"`
	if ctx != "" {
		c += `, {` + ctx + `}`
	}
	return `{"@context": [` + c + `], "type": "EPCISDocument", "schemaVersion": "2.0",
	"creationDate": "2026-01-01T00:00:00Z", "epcisBody": {"eventList": [` + events + `]}}`
}

const (
	mdaXML   = "urn:epcglobal:cbv:mda"  // CBV's XML namespace for master data
	mdaIRI   = "urn:epcglobal:cbv:mda:" // the GS1 JSON-LD context's cbvmda:
	exampleN = "https://ns.example.com/epcis/"
	example2 = "https://ns.example2.com/epcis" // no trailing separator
)

var syntaxCases = []syntaxCase{{
	name: "ilmd cbvmda, standard XML namespace",
	xml: xmlDoc(map[string]string{"cbvmda": mdaXML}, `<ObjectEvent>
		<eventTime>2026-03-01T08:00:00.000+08:00</eventTime><eventTimeZoneOffset>+08:00</eventTimeZoneOffset>
		<epcList/><action>ADD</action>
		<bizStep>urn:epcglobal:cbv:bizstep:commissioning</bizStep>
		<readPoint><id>urn:epc:id:sgln:6901234.00001.0</id></readPoint>
		<quantityList><quantityElement><epcClass>urn:epc:class:lgtin:6901234.012345.L2026</epcClass><quantity>500</quantity><uom>KGM</uom></quantityElement></quantityList>
		<ilmd><cbvmda:lotNumber>L2026</cbvmda:lotNumber><cbvmda:bestBeforeDate>2026-09-01</cbvmda:bestBeforeDate><cbvmda:countryOfOrigin>CN</cbvmda:countryOfOrigin></ilmd>
	</ObjectEvent>`),
	json: jsonDoc("", `{"type": "ObjectEvent", "eventTime": "2026-03-01T00:00:00Z", "eventTimeZoneOffset": "+08:00",
		"epcList": [], "action": "ADD", "bizStep": "commissioning",
		"readPoint": {"id": "urn:epc:id:sgln:6901234.00001.0"},
		"quantityList": [{"epcClass": "urn:epc:class:lgtin:6901234.012345.L2026", "quantity": 500, "uom": "KGM"}],
		"ilmd": {"cbvmda:countryOfOrigin": "CN", "cbvmda:bestBeforeDate": "2026-09-01", "cbvmda:lotNumber": "L2026"}}`),
}, {
	name: "ilmd cbvmda, XML namespace with the JSON-LD spelling, JSON-LD context restating cbvmda",
	xml: xmlDoc(map[string]string{"cbvmda": mdaIRI}, `<ObjectEvent>
		<eventTime>2026-03-01T08:00:00+08:00</eventTime><eventTimeZoneOffset>+08:00</eventTimeZoneOffset>
		<epcList><epc>urn:epc:id:sgtin:6901234.012345.1001</epc></epcList><action>ADD</action>
		<ilmd><cbvmda:lotNumber>L7</cbvmda:lotNumber></ilmd>
	</ObjectEvent>`),
	json: jsonDoc(`"cbvmda": "urn:epcglobal:cbv:mda:"`, `{"type": "ObjectEvent", "eventTime": "2026-03-01T08:00:00+08:00", "eventTimeZoneOffset": "+08:00",
		"epcList": ["https://id.gs1.org/01/06901234123456/21/1001"], "action": "ADD",
		"ilmd": {"cbvmda:lotNumber": "L7"}}`),
}, {
	name: "extensions in other namespaces: event level, nested, in readPoint, in ilmd beside cbvmda",
	xml: xmlDoc(map[string]string{"cbvmda": mdaXML, "example": exampleN, "example2": example2}, `<ObjectEvent>
		<eventTime>2026-03-02T10:15:00.000Z</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
		<epcList><epc>urn:epc:id:sgtin:6901234.012345.1002</epc></epcList><action>OBSERVE</action>
		<bizStep>urn:epcglobal:cbv:bizstep:shipping</bizStep><disposition>urn:epcglobal:cbv:disp:in_transit</disposition>
		<readPoint><id>urn:epc:id:sgln:6901234.00001.0</id><example:dock>7</example:dock></readPoint>
		<ilmd><cbvmda:lotNumber>L8</cbvmda:lotNumber><example2:grade>A</example2:grade></ilmd>
		<example:carrier><example:name>Cold Chain Ltd</example:name><example:plate>京A12345</example:plate></example:carrier>
		<example2:temperatureBand>2-8</example2:temperatureBand>
	</ObjectEvent>`),
	json: jsonDoc(`"example": "https://ns.example.com/epcis/", "example2": "https://ns.example2.com/epcis"`,
		`{"type": "ObjectEvent", "eventTime": "2026-03-02T10:15:00Z", "eventTimeZoneOffset": "+00:00",
		"epcList": ["urn:epc:id:sgtin:6901234.012345.1002"], "action": "OBSERVE",
		"bizStep": "shipping", "disposition": "in_transit",
		"readPoint": {"id": "urn:epc:id:sgln:6901234.00001.0", "example:dock": 7},
		"ilmd": {"example2:grade": "A", "cbvmda:lotNumber": "L8"},
		"example2:temperatureBand": "2-8",
		"example:carrier": {"example:plate": "京A12345", "example:name": "Cold Chain Ltd"}}`),
}, {
	name: "transformation with cbvmda ilmd, gs1: extension and a sensor report",
	xml: xmlDoc(map[string]string{"cbvmda": mdaXML, "gs1": "https://gs1.org/voc/"}, `<TransformationEvent>
		<eventTime>2026-03-03T06:00:00.000+08:00</eventTime><eventTimeZoneOffset>+08:00</eventTimeZoneOffset>
		<inputQuantityList><quantityElement><epcClass>urn:epc:class:lgtin:6901234.012345.L2026</epcClass><quantity>100</quantity><uom>KGM</uom></quantityElement></inputQuantityList>
		<outputEPCList><epc>urn:epc:id:sgtin:6901234.054321.1</epc></outputEPCList>
		<bizStep>urn:epcglobal:cbv:bizstep:commissioning</bizStep>
		<sensorElementList><sensorElement><sensorMetadata time="2026-03-03T05:59:00.000+08:00"/>
			<sensorReport type="gs1:Temperature" value="4.50" uom="CEL"/></sensorElement></sensorElementList>
		<ilmd><cbvmda:lotNumber>P1</cbvmda:lotNumber><cbvmda:itemExpirationDate>2026-04-03</cbvmda:itemExpirationDate></ilmd>
		<gs1:netWeight>0.5</gs1:netWeight>
	</TransformationEvent>`),
	json: jsonDoc("", `{"type": "TransformationEvent", "eventTime": "2026-03-02T22:00:00.000Z", "eventTimeZoneOffset": "+08:00",
		"inputQuantityList": [{"epcClass": "urn:epc:class:lgtin:6901234.012345.L2026", "quantity": 100, "uom": "KGM"}],
		"outputEPCList": ["urn:epc:id:sgtin:6901234.054321.1"], "bizStep": "commissioning",
		"sensorElementList": [{"sensorMetadata": {"time": "2026-03-02T21:59:00Z"},
			"sensorReport": [{"type": "Temperature", "value": 4.5, "uom": "CEL"}]}],
		"ilmd": {"cbvmda:itemExpirationDate": "2026-04-03", "cbvmda:lotNumber": "P1"},
		"gs1:netWeight": "0.5"}`),
}}

// TestSyntaxSameHash: the same event written in XML and in JSON-LD has the
// same pre-hash and Event Hash ID, whichever spelling of the CBV
// master-data namespace the XML uses.
func TestSyntaxSameHash(t *testing.T) {
	for _, c := range syntaxCases {
		t.Run(c.name, func(t *testing.T) {
			x := preHashes(t, c.xml, FormatXML)
			j := preHashes(t, c.json, FormatJSON)
			if len(x) != len(j) {
				t.Fatalf("%d XML events, %d JSON-LD events", len(x), len(j))
			}
			for i := range x {
				if x[i] != j[i] {
					t.Errorf("event %d: pre-hash differs\n  XML %s\n JSON %s", i, x[i], j[i])
				}
				if strings.Contains(x[i], "{"+mdaXML+"}") {
					t.Errorf("event %d: pre-hash keeps the XML spelling of the master-data namespace: %s", i, x[i])
				}
			}
		})
	}
}

// TestSyntaxRoundTrip: an event captured in one syntax and answered in
// JSON-LD or in XML by this package's writers (directly, and through the
// ledger's protobuf form as a query answer is built) re-hashes to the
// same ID.
func TestSyntaxRoundTrip(t *testing.T) {
	for _, c := range syntaxCases {
		for _, in := range []struct {
			format Format
			doc    string
		}{{FormatXML, c.xml}, {FormatJSON, c.json}} {
			t.Run(c.name+"/"+in.format.String(), func(t *testing.T) {
				events, err := ParseBytes([]byte(in.doc), in.format)
				if err != nil {
					t.Fatal(err)
				}
				want := hashAll(t, events)

				// Captured, then answered in JSON-LD.
				out, err := MarshalDocument(events, DocumentOptions{CreationDate: time.Unix(0, 0)})
				if err != nil {
					t.Fatalf("MarshalDocument: %v", err)
				}
				if strings.Contains(string(out), `"`+mdaXML+`"`) {
					t.Errorf("the JSON-LD answer declares the XML master-data namespace as a prefix IRI:\n%s", out)
				}
				back, err := ParseJSON(out)
				if err != nil {
					t.Fatalf("ParseJSON of the answer: %v\n%s", err, out)
				}
				compareHashes(t, "JSON-LD answer", want, hashAll(t, back))

				// Recorded on the ledger (protobuf), then answered.
				var viaProto []Event
				for i, ev := range events {
					p, err := ToProto(ev)
					if err != nil {
						t.Fatalf("ToProto: %v", err)
					}
					h, err := HashProto(p, i)
					if err != nil {
						t.Fatalf("HashProto: %v", err)
					}
					if h != want[i] {
						t.Errorf("event %d: HashProto %s, want %s", i, h, want[i])
					}
					ev2, err := FromProto(p, i)
					if err != nil {
						t.Fatalf("FromProto: %v", err)
					}
					viaProto = append(viaProto, ev2)
				}
				out2, err := MarshalDocument(viaProto, DocumentOptions{CreationDate: time.Unix(0, 0)})
				if err != nil {
					t.Fatalf("MarshalDocument from protobuf: %v", err)
				}
				back2, err := ParseJSON(out2)
				if err != nil {
					t.Fatalf("ParseJSON: %v", err)
				}
				compareHashes(t, "JSON-LD answer from the ledger's form", want, hashAll(t, back2))

				// Captured, then answered in XML (directly and from the
				// ledger's form).
				for _, src := range []struct {
					what   string
					events []Event
				}{{"XML answer", events}, {"XML answer from the ledger's form", viaProto}} {
					x, err := MarshalDocumentXML(src.events, time.Unix(0, 0))
					if err != nil {
						t.Fatalf("%s: MarshalDocumentXML: %v", src.what, err)
					}
					if strings.Contains(string(x), `"`+mdaIRI+`"`) {
						t.Errorf("%s declares the JSON-LD spelling of the master-data namespace:\n%s", src.what, x)
					}
					back, err := ParseXML(x)
					if err != nil {
						t.Fatalf("%s: ParseXML: %v\n%s", src.what, err, x)
					}
					compareHashes(t, src.what, want, hashAll(t, back))
				}
			})
		}
	}
}

// TestExportXMLRoundTrip renders every conformance document in XML and
// reads it back: each event re-hashes to its ID (or is reported as not
// representable, which no conformance event is).
func TestExportXMLRoundTrip(t *testing.T) {
	for _, c := range conformanceCases(t) {
		data, err := os.ReadFile(filepath.Join(conformanceDir, c.file))
		if err != nil {
			t.Fatal(err)
		}
		events, err := ParseBytes(data, c.format)
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		want := hashAll(t, events)
		x, err := MarshalDocumentXML(events, time.Unix(0, 0))
		if err != nil {
			t.Errorf("%s: %v", c.file, err)
			continue
		}
		back, err := ParseXML(x)
		if err != nil {
			t.Fatalf("%s: ParseXML: %v\n%s", c.file, err, x)
		}
		compareHashes(t, c.file, want, hashAll(t, back))
	}
}

// TestExportXMLNotRepresentable: what XML cannot carry exactly is refused
// with ErrNotRepresentable, naming the event and field.
func TestExportXMLNotRepresentable(t *testing.T) {
	base := []Field{{Name: "eventTime", Value: "2026-01-01T00:00:00Z"}, {Name: "eventTimeZoneOffset", Value: "+00:00"}}
	for _, c := range []struct {
		name  string
		field Field
	}{
		{"compact name of an unknown prefix", Field{Name: "ex:foo", Value: "1"}},
		{"control character", Field{Name: "{https://ns.example.com/}note", Value: "a\x01b"}},
		{"extension wrapper name", Field{Name: "extension", Value: "1"}},
		{"empty namespace", Field{Name: "{}x", Value: "1"}},
	} {
		ev := Event{Index: 3, Type: "ObjectEvent", Fields: append(slices.Clone(base), c.field)}
		_, err := MarshalDocumentXML([]Event{ev}, time.Unix(0, 0))
		var ee *EventError
		if !errors.Is(err, ErrNotRepresentable) || !errors.As(err, &ee) || ee.Index != 3 {
			t.Errorf("%s: err %v, want ErrNotRepresentable for event 3", c.name, err)
		}
	}
}

// TestSyntaxContextPrefixes checks every prefix of the GS1 JSON-LD context
// against its XML namespace: an ILMD field and an event-level extension in
// that namespace give one pre-hash whether written as prefix:name in
// JSON-LD or as an element in the XML namespace.
func TestSyntaxContextPrefixes(t *testing.T) {
	xmlNS := map[string]string{ // the XML namespace name of each context prefix
		"epcis":   "https://ref.gs1.org/epcis/",
		"cbv":     "https://ref.gs1.org/cbv/",
		"cbvmda":  "urn:epcglobal:cbv:mda",
		"gs1":     "https://gs1.org/voc/",
		"rdfs":    "http://www.w3.org/2000/01/rdf-schema#",
		"owl":     "http://www.w3.org/2002/07/owl#",
		"xsd":     "http://www.w3.org/2001/XMLSchema",
		"dcterms": "http://purl.org/dc/terms/",
	}
	if len(xmlNS) != len(defaultPrefixes) {
		t.Fatalf("the test knows %d prefixes, the context %d", len(xmlNS), len(defaultPrefixes))
	}
	for p := range defaultPrefixes {
		ns, ok := xmlNS[p]
		if !ok {
			t.Fatalf("prefix %s has no XML namespace in this test", p)
		}
		t.Run(p, func(t *testing.T) {
			x := `<?xml version="1.0"?><epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" xmlns:p="` + ns + `"><EPCISBody><EventList>
				<ObjectEvent><eventTime>2026-01-01T00:00:00Z</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
				<epcList/><action>ADD</action><ilmd><p:batch>B1</p:batch></ilmd><p:note><p:text>n</p:text></p:note></ObjectEvent>
				</EventList></EPCISBody></epcis:EPCISDocument>`
			j := jsonDoc("", `{"type": "ObjectEvent", "eventTime": "2026-01-01T00:00:00Z", "eventTimeZoneOffset": "+00:00",
				"epcList": [], "action": "ADD", "ilmd": {"`+p+`:batch": "B1"}, "`+p+`:note": {"`+p+`:text": "n"}}`)
			xp, jp := preHashes(t, x, FormatXML)[0], preHashes(t, j, FormatJSON)[0]
			if xp != jp {
				t.Errorf("XML and JSON-LD differ:\n  XML %s\n JSON %s", xp, jp)
			}
			if !strings.Contains(jp, "{"+defaultPrefixes[p]+"}batch=B1") {
				t.Errorf("pre-hash %s does not write the context IRI %s", jp, defaultPrefixes[p])
			}
		})
	}
}

// TestSyntaxNamespaceStillCounts: normalising the spelling does not merge
// what differs: another namespace, another local name or another value
// changes the hash.
func TestSyntaxNamespaceStillCounts(t *testing.T) {
	base := `{"type": "ObjectEvent", "eventTime": "2026-03-01T00:00:00Z", "eventTimeZoneOffset": "+00:00",
		"epcList": [], "action": "ADD", "ilmd": {%s}}`
	ref := preHashes(t, jsonDoc("", strings.Replace(base, "%s", `"cbvmda:lotNumber": "L1"`, 1)), FormatJSON)[0]
	for _, c := range []struct{ name, ctx, ilmd string }{
		{"other value", "", `"cbvmda:lotNumber": "L2"`},
		{"other local name", "", `"cbvmda:lotNumbers": "L1"`},
		{"namespace with a slash", `"m": "urn:epcglobal:cbv:mda/"`, `"m:lotNumber": "L1"`},
		{"unrelated namespace", `"m": "https://ns.example.com/mda"`, `"m:lotNumber": "L1"`},
	} {
		got := preHashes(t, jsonDoc(c.ctx, strings.Replace(base, "%s", c.ilmd, 1)), FormatJSON)[0]
		if got == ref {
			t.Errorf("%s: same pre-hash as the reference event: %s", c.name, got)
		}
	}
	// While the two spellings of the master-data namespace are one.
	same := preHashes(t, jsonDoc(`"m": "urn:epcglobal:cbv:mda"`, strings.Replace(base, "%s", `"m:lotNumber": "L1"`, 1)), FormatJSON)[0]
	if same != ref {
		t.Errorf("urn:epcglobal:cbv:mda and urn:epcglobal:cbv:mda: hash differently:\n%s\n%s", same, ref)
	}
}

func TestCanonName(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"{urn:epcglobal:cbv:mda}lotNumber", "{urn:epcglobal:cbv:mda:}lotNumber"},
		{"{urn:epcglobal:cbv:mda:}lotNumber", "{urn:epcglobal:cbv:mda:}lotNumber"},
		{"{http://www.w3.org/2001/XMLSchema}x", "{http://www.w3.org/2001/XMLSchema#}x"},
		{"{urn:epcglobal:cbv:mdax}y", "{urn:epcglobal:cbv:mdax}y"},
		{"{https://ns.example.com/epcis/}a", "{https://ns.example.com/epcis/}a"},
		{"lotNumber", "lotNumber"},
		{"{urn:epcglobal:cbv:mda", "{urn:epcglobal:cbv:mda"},
		{"{", "{"},
	} {
		if got := canonName(c.in); got != c.want {
			t.Errorf("canonName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// addSyntaxSeeds adds both renderings of every syntaxCases event to a
// fuzz corpus (FuzzPreHash, FuzzProtoRoundTrip).
func addSyntaxSeeds(f *testing.F) {
	for _, c := range syntaxCases {
		f.Add([]byte(c.xml))
		f.Add([]byte(c.json))
	}
}

func preHashes(t *testing.T, doc string, f Format) []string {
	t.Helper()
	events, err := ParseBytes([]byte(doc), f)
	if err != nil {
		t.Fatalf("parse %v: %v\n%s", f, err, doc)
	}
	out := make([]string, len(events))
	for i, ev := range events {
		if out[i], err = PreHash(ev); err != nil {
			t.Fatalf("PreHash %v event %d: %v", f, i, err)
		}
	}
	return out
}

func hashAll(t *testing.T, events []Event) []string {
	t.Helper()
	out := make([]string, len(events))
	for i, ev := range events {
		var err error
		if out[i], err = HashID(ev); err != nil {
			t.Fatalf("HashID event %d: %v", i, err)
		}
	}
	return out
}

func compareHashes(t *testing.T, what string, want, got []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d events, want %d", what, len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%s: event %d hashes to %s, captured as %s", what, i, got[i], want[i])
		}
	}
}
