// SPDX-License-Identifier: Apache-2.0

package epcis

import (
	"errors"
	"strings"
	"testing"
)

// The same TransactionEvent written three ways; all must give wantPre.
const (
	txJSON = `{
  "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
               {"ex": "https://example.org/ns/"}],
  "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2024-05-06T12:00:00Z",
  "epcisBody": {"eventList": [{
    "type": "TransactionEvent",
    "eventID": "urn:uuid:00000000-0000-4000-8000-000000000000",
    "recordTime": "2024-05-06T12:00:00Z",
    "eventTime": "2024-05-06T10:11:12.3456+02:00",
    "eventTimeZoneOffset": "+02:00",
    "parentID": "urn:epc:id:sscc:4012345.0000000111",
    "epcList": ["urn:epc:id:sgtin:4012345.011111.2",
                "https://example.com/01/04012345111118/21/1?x=y"],
    "action": "ADD",
    "bizStep": "shipping",
    "disposition": "in_transit",
    "readPoint": {"id": "urn:epc:id:sgln:4012345.00005.0", "ex:dock": "7"},
    "bizTransactionList": [
      {"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:PO-1"},
      {"bizTransaction": "http://tx.example.com/inv/9"}],
    "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:4012345.00000"}],
    "destinationList": [{"type": "location", "destination": "urn:epc:id:sgln:0614141.00001.0"}],
    "ex:note": {"ex:b": 2.50, "ex:a": "x"},
    "rdfs:comment": "comments are not hashed"
  }]}
}`

	// Different key order, list order, identifier syntax, time zone.
	txJSONShuffled = `{
  "epcisBody": {"eventList": [{
    "ex:note": {"ex:a": "x", "ex:b": "2.5"},
    "destinationList": [{"destination": "https://id.gs1.org/414/0614141000012", "type": "location"}],
    "sourceList": [{"source": "https://id.gs1.org/417/4012345000009", "type": "owning_party"}],
    "bizTransactionList": [
      {"bizTransaction": "http://tx.example.com/inv/9"},
      {"bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:PO-1", "type": "urn:epcglobal:cbv:btt:po"}],
    "readPoint": {"ex:dock": "7.0", "id": "https://id.gs1.org/414/4012345000054"},
    "disposition": "https://ref.gs1.org/cbv/Disp-in_transit",
    "bizStep": "urn:epcglobal:cbv:bizstep:shipping",
    "action": "ADD",
    "epcList": ["https://id.gs1.org/01/04012345111118/21/2", "urn:epc:id:sgtin:4012345.011111.1"],
    "parentID": "https://id.gs1.org/00/040123450000001112",
    "eventTimeZoneOffset": "+02:00",
    "eventTime": "2024-05-06T08:11:12.3456Z",
    "type": "TransactionEvent"
  }]},
  "type": "EPCISDocument",
  "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
               {"other": "https://example.org/ns/"}, {"ex": "https://example.org/ns/"}]
}`

	txXML = `<?xml version="1.0" encoding="UTF-8"?>
<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" xmlns:e="https://example.org/ns/"
    schemaVersion="2.0" creationDate="2024-05-06T12:00:00Z">
  <EPCISBody>
    <EventList>
      <TransactionEvent>
        <eventTime>2024-05-06T08:11:12.3456Z</eventTime>
        <recordTime>2024-05-06T12:00:00Z</recordTime>
        <eventTimeZoneOffset>+02:00</eventTimeZoneOffset>
        <eventID>urn:uuid:11111111-0000-4000-8000-000000000000</eventID>
        <errorDeclaration><declarationTime>2024-05-07T00:00:00Z</declarationTime></errorDeclaration>
        <bizTransactionList>
          <bizTransaction>http://tx.example.com/inv/9</bizTransaction>
          <bizTransaction type="urn:epcglobal:cbv:btt:po">urn:epcglobal:cbv:bt:4012345000009:PO-1</bizTransaction>
        </bizTransactionList>
        <parentID>https://id.gs1.org/00/040123450000001112</parentID>
        <epcList>
          <epc>https://id.gs1.org/01/04012345111118/21/2</epc>
          <epc>urn:epc:id:sgtin:4012345.011111.1</epc>
        </epcList>
        <action>ADD</action>
        <bizStep>urn:epcglobal:cbv:bizstep:shipping</bizStep>
        <disposition>https://ref.gs1.org/cbv/Disp-in_transit</disposition>
        <readPoint><id>https://id.gs1.org/414/4012345000054</id><e:dock>7.0</e:dock></readPoint>
        <extension>
          <sourceList><source type="urn:epcglobal:cbv:sdt:owning_party">urn:epc:id:pgln:4012345.00000</source></sourceList>
          <destinationList><destination type="cbv:SDT-location"> https://id.gs1.org/414/0614141000012 </destination></destinationList>
        </extension>
        <!-- a comment -->
        <e:note><e:a> x </e:a><e:b>2.5</e:b></e:note>
      </TransactionEvent>
    </EventList>
  </EPCISBody>
</epcis:EPCISDocument>`

	txPre = "eventType=TransactionEvent" +
		"eventTime=2024-05-06T08:11:12.346Z" +
		"eventTimeZoneOffset=+02:00" +
		"epcListepc=https://id.gs1.org/01/04012345111118/21/1epc=https://id.gs1.org/01/04012345111118/21/2" +
		"parentID=https://id.gs1.org/00/040123450000001112" +
		"action=ADD" +
		"bizStep=https://ref.gs1.org/cbv/BizStep-shipping" +
		"disposition=https://ref.gs1.org/cbv/Disp-in_transit" +
		"readPointid=https://id.gs1.org/414/4012345000054{https://example.org/ns/}dock=7" +
		"bizTransactionListbizTransaction=http://tx.example.com/inv/9" +
		"type=https://ref.gs1.org/cbv/BTT-pobizTransaction=urn:epcglobal:cbv:bt:4012345000009:PO-1" +
		"destinationListtype=https://ref.gs1.org/cbv/SDT-locationdestination=https://id.gs1.org/414/0614141000012" +
		"sourceListtype=https://ref.gs1.org/cbv/SDT-owning_partysource=https://id.gs1.org/417/4012345000009" +
		"{https://example.org/ns/}note{https://example.org/ns/}a=x{https://example.org/ns/}b=2.5"
)

func TestPreHashRepresentations(t *testing.T) {
	tests := []struct {
		name   string
		doc    string
		format Format
	}{
		{"JSON-LD", txJSON, FormatJSON},
		{"JSON-LD reordered", txJSONShuffled, FormatAuto},
		{"XML", txXML, FormatAuto},
	}
	wantID := HashPreHash(txPre)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pre, err := PreHashDocument(strings.NewReader(tt.doc), tt.format)
			if err != nil {
				t.Fatal(err)
			}
			if len(pre) != 1 || pre[0] != txPre {
				t.Fatalf("pre-hash\n got %q\nwant %q", pre, txPre)
			}
			ids, err := HashDocument(strings.NewReader(tt.doc), tt.format)
			if err != nil {
				t.Fatal(err)
			}
			if ids[0] != wantID {
				t.Errorf("hash %s, want %s", ids[0], wantID)
			}
		})
	}
}

func TestPreHashEventShapes(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []string
	}{
		{
			name: "bare JSON event",
			doc: `{"type":"ObjectEvent","eventTime":"2021-01-01T00:00:00Z","eventTimeZoneOffset":"+00:00",
			       "epcList":[],"action":"OBSERVE","quantityList":[{"epcClass":"urn:epc:class:lgtin:4012345.012345.L1","quantity":10.0,"uom":"KGM"}]}`,
			want: []string{"eventType=ObjectEventeventTime=2021-01-01T00:00:00.000ZeventTimeZoneOffset=+00:00" +
				"quantityListquantityElementepcClass=https://id.gs1.org/01/04012345123456/10/L1quantity=10uom=KGMaction=OBSERVE"},
		},
		{
			name: "bare XML event",
			doc: `<ObjectEvent><eventTime>2021-01-01T01:00:00+01:00</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
			      <epcList/><action>OBSERVE</action><quantityList><quantityElement><epcClass>https://id.gs1.org/01/04012345123456/10/L1</epcClass>
			      <quantity>10</quantity><uom>KGM</uom></quantityElement></quantityList></ObjectEvent>`,
			want: []string{"eventType=ObjectEventeventTime=2021-01-01T00:00:00.000ZeventTimeZoneOffset=+00:00" +
				"quantityListquantityElementepcClass=https://id.gs1.org/01/04012345123456/10/L1quantity=10uom=KGMaction=OBSERVE"},
		},
		{
			name: "JSON single event body",
			doc:  `{"type":"EPCISDocument","epcisBody":{"event":{"type":"AssociationEvent","eventTime":"2021-01-01T00:00:00Z","eventTimeZoneOffset":"+00:00","parentID":"urn:epc:id:grai:4012345.55555.1","childEPCs":["urn:epc:id:giai:4012345.X1"],"action":"ADD"}}}`,
			want: []string{"eventType=AssociationEventeventTime=2021-01-01T00:00:00.000ZeventTimeZoneOffset=+00:00" +
				"parentID=https://id.gs1.org/8003/040123455555541childEPCsepc=https://id.gs1.org/8004/4012345X1action=ADD"},
		},
		{
			name: "XML query document, EPCIS 1.x wrappers",
			doc: `<epcisq:EPCISQueryDocument xmlns:epcisq="urn:epcglobal:epcis-query:xsd:1"><EPCISBody><epcisq:QueryResults>
			      <queryName>SimpleEventQuery</queryName><resultsBody><EventList>
			      <extension><TransformationEvent><eventTime>2021-01-01T00:00:00Z</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
			      <inputEPCList><epc>urn:epc:id:sgtin:4012345.011111.1</epc></inputEPCList>
			      <outputQuantityList><quantityElement><epcClass>urn:epc:idpat:sgtin:4012345.011111.*</epcClass><quantity>2.50</quantity></quantityElement></outputQuantityList>
			      <transformationID>urn:epc:id:gdti:4012345.55555.T1</transformationID>
			      <ilmd><extension><x:bestBefore xmlns:x="urn:x:">2021-02-01</x:bestBefore></extension></ilmd>
			      </TransformationEvent></extension>
			      <ObjectEvent><eventTime>2021-01-01T00:00:00Z</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset><action>OBSERVE</action>
			      <baseExtension><eventID>x</eventID></baseExtension></ObjectEvent>
			      </EventList></resultsBody></epcisq:QueryResults></EPCISBody></epcisq:EPCISQueryDocument>`,
			want: []string{
				"eventType=TransformationEventeventTime=2021-01-01T00:00:00.000ZeventTimeZoneOffset=+00:00" +
					"inputEPCListepc=https://id.gs1.org/01/04012345111118/21/1" +
					"outputQuantityListquantityElementepcClass=https://id.gs1.org/01/04012345111118quantity=2.5" +
					"transformationID=https://id.gs1.org/253/4012345555554T1ilmd{urn:x:}bestBefore=2021-02-01",
				"eventType=ObjectEventeventTime=2021-01-01T00:00:00.000ZeventTimeZoneOffset=+00:00action=OBSERVE",
			},
		},
		{
			name: "JSON query document with ignoreFields",
			doc: `{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",{"r":"https://repository-x.example.com/","ex":"https://example.org/"}],
			  "type":"EPCISQueryDocument","epcisBody":{"queryResults":{"r:ignoreFields":["r:hash"],"resultsBody":{"eventList":[
			  {"type":"ObjectEvent","eventTime":"2021-01-01T00:00:00Z","eventTimeZoneOffset":"+00:00","action":"OBSERVE","r:hash":"abc","ex:keep":"1"}]}}}}`,
			want: []string{"eventType=ObjectEventeventTime=2021-01-01T00:00:00.000ZeventTimeZoneOffset=+00:00action=OBSERVE{https://example.org/}keep=1"},
		},
		{
			name: "sensor elements",
			doc: `{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",{"ex":"https://example.org/"}],
			  "type":"EPCISDocument","epcisBody":{"eventList":[{"type":"ObjectEvent","eventTime":"2021-01-01T00:00:00Z","eventTimeZoneOffset":"+00:00","action":"OBSERVE",
			  "sensorElementList":[
			    {"sensorReport":[{"type":"Temperature","value":21.50,"uom":"CEL","ex:q":"ok"},{"type":"gs1:RelativeHumidity","value":40,"uom":"P1"}],
			     "sensorMetadata":{"time":"2021-01-01T01:00:00+01:00","deviceID":"urn:epc:id:giai:4012345.D1","ex:fw":"1.2"},
			     "ex:site":"A"},
			    {"sensorReport":[{"type":"Speed","component":"x","value":3,"uom":"MTS","exception":"ALARM_CONDITION"}]}]}]}}`,
			want: []string{"eventType=ObjectEventeventTime=2021-01-01T00:00:00.000ZeventTimeZoneOffset=+00:00action=OBSERVE" +
				"sensorElementList" +
				"sensorElementsensorMetadatatime=2021-01-01T00:00:00.000ZdeviceID=https://id.gs1.org/8004/4012345D1{https://example.org/}fw=1.2" +
				"sensorReporttype=https://gs1.org/voc/RelativeHumidityvalue=40uom=P1" +
				"sensorReporttype=https://gs1.org/voc/Temperaturevalue=21.5uom=CEL{https://example.org/}q=ok" +
				"{https://example.org/}site=A" +
				"sensorElementsensorReporttype=https://gs1.org/voc/Speedexception=https://gs1.org/voc/ALARM_CONDITIONvalue=3component=https://ref.gs1.org/cbv/Comp-xuom=MTS"},
		},
		{
			name: "persistent disposition and certification",
			doc: `{"type":"ObjectEvent","eventTime":"2021-01-01T00:00:00Z","eventTimeZoneOffset":"+00:00","action":"OBSERVE",
			  "certificationInfo":["https://cert.example.org/b","https://cert.example.org/a"],
			  "persistentDisposition":{"unset":["recalled"],"set":["damaged","conformant"]},
			  "bizLocation":{"id":"urn:epc:id:sgln:4012345.00005.12"}}`,
			want: []string{"eventType=ObjectEventeventTime=2021-01-01T00:00:00.000ZeventTimeZoneOffset=+00:00" +
				"certificationInfo=https://cert.example.org/acertificationInfo=https://cert.example.org/b" +
				"action=OBSERVE" +
				"persistentDispositionset=https://ref.gs1.org/cbv/Disp-conformantset=https://ref.gs1.org/cbv/Disp-damagedunset=https://ref.gs1.org/cbv/Disp-recalled" +
				"bizLocationid=https://id.gs1.org/414/4012345000054/254/12"},
		},
		{
			name: "unrecognised field inside a standard structure",
			doc: `<ObjectEvent><eventTime>2021-01-01T00:00:00Z</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset><action>OBSERVE</action>
			      <sensorElementList><sensorElement><sensorReport type="gs1:Temperature" value="1" odd="https://example.com/253/4012345000054987"/></sensorElement></sensorElementList></ObjectEvent>`,
			want: []string{"eventType=ObjectEventeventTime=2021-01-01T00:00:00.000ZeventTimeZoneOffset=+00:00action=OBSERVE" +
				"sensorElementListsensorElementsensorReporttype=https://gs1.org/voc/Temperaturevalue=1" +
				"sensorElementListsensorElementsensorReportodd=https://id.gs1.org/253/4012345000054987"},
		},
		{
			name: "empty document",
			doc:  `{"type":"EPCISDocument","epcisBody":{"eventList":[]}}`,
			want: []string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := PreHashDocument(strings.NewReader(tt.doc), FormatAuto)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Fatalf("pre-hashes\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestPreHashSpecOrder pins the order of epcList and parentID, which the
// README table and the reference code of the algorithm disagree on; this
// package follows the published table (epcList first).
func TestPreHashSpecOrder(t *testing.T) {
	ev := Event{Type: "TransactionEvent", Fields: []Field{
		{Name: "parentID", Value: "https://id.gs1.org/00/040123450000001112"},
		{Name: "eventTimeZoneOffset", Value: "+00:00"},
		{Name: "epcList", Children: []Field{{Name: "epc", Value: "https://id.gs1.org/01/04012345111118/21/1"}}},
		{Name: "eventTime", Value: "2021-01-01T00:00:00Z"},
		{Name: "action", Value: "ADD"},
	}}
	got, err := PreHash(ev)
	if err != nil {
		t.Fatal(err)
	}
	want := "eventType=TransactionEventeventTime=2021-01-01T00:00:00.000ZeventTimeZoneOffset=+00:00" +
		"epcListepc=https://id.gs1.org/01/04012345111118/21/1parentID=https://id.gs1.org/00/040123450000001112action=ADD"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestErrors(t *testing.T) {
	const head = `{"type":"EPCISDocument","epcisBody":{"eventList":[` +
		`{"type":"ObjectEvent","eventTime":"2021-01-01T00:00:00Z","eventTimeZoneOffset":"+00:00","action":"OBSERVE"},`
	tests := []struct {
		name    string
		doc     string
		target  error
		index   int    // event index, -1 for document-level errors
		field   string // EventError field
		syntaxF Format // SyntaxError format, 0 if not a SyntaxError
	}{
		{"malformed JSON in event", head + `{"type":"ObjectEvent","eventTime": }]}}`, ErrMalformed, 1, "", FormatJSON},
		{"malformed JSON outside events", `{"type": "EPCISDocument",, }`, ErrMalformed, -1, "", FormatJSON},
		{"empty input", ``, ErrMalformed, -1, "", FormatJSON},
		{"trailing data", `{"type":"ObjectEvent"} {}`, ErrMalformed, -1, "", FormatJSON},
		{"malformed XML in event", `<EPCISDocument><EPCISBody><EventList><ObjectEvent></ObjectEvent><ObjectEvent><eventTime>x</eventTim></ObjectEvent></EventList></EPCISBody></EPCISDocument>`, ErrMalformed, 1, "", FormatXML},
		{"malformed XML", `<a><b></a>`, ErrMalformed, -1, "", FormatXML},
		{"XML without EventList", `<EPCISDocument/>`, ErrMalformed, -1, "", 0},
		{"JSON without body", `{"type":"EPCISDocument"}`, ErrMalformed, -1, "", 0},
		{"event not an object", head + `"x"]}}`, ErrMalformed, 1, "", 0},
		{"unknown JSON event type", head + `{"type":"QuantityEvent"}]}}`, ErrUnknownEventType, 1, "type", 0},
		{"JSON event without type", head + `{"eventTime":"2021-01-01T00:00:00Z"}]}}`, ErrUnknownEventType, 1, "type", 0},
		{"unknown XML event type", `<EPCISDocument><EPCISBody><EventList><ObjectEvent/><x:Foo xmlns:x="urn:x"/></EventList></EPCISBody></EPCISDocument>`, ErrUnknownEventType, 1, "type", 0},
		{"missing eventTime", head + `{"type":"ObjectEvent","eventTimeZoneOffset":"+00:00"}]}}`, ErrMissingField, 1, "eventTime", 0},
		{"missing eventTimeZoneOffset", head + `{"type":"ObjectEvent","eventTime":"2021-01-01T00:00:00Z"}]}}`, ErrMissingField, 1, "eventTimeZoneOffset", 0},
		{"blank eventTime", `<ObjectEvent><eventTime> </eventTime><eventTimeZoneOffset>+01:00</eventTimeZoneOffset></ObjectEvent>`, ErrMissingField, 0, "eventTime", 0},
		{"invalid eventTime", head + `{"type":"ObjectEvent","eventTime":"noon","eventTimeZoneOffset":"+00:00"}]}}`, ErrInvalidTimestamp, 1, "eventTime", 0},
		{"invalid offset", head + `{"type":"ObjectEvent","eventTime":"2021-01-01T00:00:00Z","eventTimeZoneOffset":"CET"}]}}`, ErrInvalidValue, 1, "eventTimeZoneOffset", 0},
		{"invalid readPoint", head + `{"type":"ObjectEvent","eventTime":"2021-01-01T00:00:00Z","eventTimeZoneOffset":"+00:00","readPoint":{"id":"dock 7"}}]}}`, ErrInvalidURI, 1, "readPoint.id", 0},
		{"malformed EPC", head + `{"type":"ObjectEvent","eventTime":"2021-01-01T00:00:00Z","eventTimeZoneOffset":"+00:00","epcList":["urn:epc:id:sgtin:1.2.3"]}]}}`, ErrInvalidURI, 1, "epcList.epc", 0},
		{"invalid bizTransaction type", head + `{"type":"ObjectEvent","eventTime":"2021-01-01T00:00:00Z","eventTimeZoneOffset":"+00:00","bizTransactionList":[{"type":"purchase order","bizTransaction":"urn:x:1"}]}]}}`, ErrInvalidURI, 1, "bizTransactionList.bizTransaction.type", 0},
		{"invalid sensor time", head + `{"type":"ObjectEvent","eventTime":"2021-01-01T00:00:00Z","eventTimeZoneOffset":"+00:00","sensorElementList":[{"sensorReport":[{"type":"Speed","time":"later"}]}]}]}}`, ErrInvalidTimestamp, 1, "sensorElementList.sensorElement.sensorReport.time", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := HashDocument(strings.NewReader(tt.doc), FormatAuto)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, tt.target) {
				t.Fatalf("error %v does not wrap %v", err, tt.target)
			}
			if !strings.HasPrefix(err.Error(), "epcis: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			var se *SyntaxError
			var ee *EventError
			switch {
			case tt.syntaxF != 0:
				if !errors.As(err, &se) {
					t.Fatalf("error %v (%T) is not a *SyntaxError", err, err)
				}
				if se.Format != tt.syntaxF || se.Event != tt.index {
					t.Errorf("SyntaxError format %v event %d, want %v event %d (%v)", se.Format, se.Event, tt.syntaxF, tt.index, err)
				}
			case tt.index >= 0:
				if !errors.As(err, &ee) {
					t.Fatalf("error %v (%T) is not an *EventError", err, err)
				}
				if ee.Index != tt.index || ee.Field != tt.field {
					t.Errorf("EventError index %d field %q, want %d %q (%v)", ee.Index, ee.Field, tt.index, tt.field, err)
				}
			}
		})
	}
}

func TestPreHashProgrammatic(t *testing.T) {
	// Events built in code: unknown types and missing fields are reported
	// with the event's Index.
	_, err := PreHash(Event{Index: 7, Type: "Thing"})
	var ee *EventError
	if !errors.As(err, &ee) || ee.Index != 7 || !errors.Is(err, ErrUnknownEventType) {
		t.Fatalf("got %v", err)
	}
	ev := Event{Type: "ObjectEvent", Fields: []Field{
		{Name: "eventTime", Value: "2021-01-01T00:00:00Z"},
		{Name: "eventTimeZoneOffset", Value: "+00:00"},
		{Name: "{urn:x:}deep", Children: []Field{{Name: "{urn:x:}b", Value: "2"}, {Name: "{urn:x:}a", Children: []Field{{Name: "{urn:x:}c", Value: "3"}}}}},
	}}
	got, err := HashID(ev)
	if err != nil {
		t.Fatal(err)
	}
	want := HashPreHash("eventType=ObjectEventeventTime=2021-01-01T00:00:00.000ZeventTimeZoneOffset=+00:00" +
		"{urn:x:}deep{urn:x:}a{urn:x:}c=3{urn:x:}b=2")
	if got != want {
		t.Fatalf("got %s want %s", got, want)
	}
	if !strings.HasPrefix(got, "ni:///sha-256;") || !strings.HasSuffix(got, "?ver=CBV2.0") || len(got) != len("ni:///sha-256;?ver=CBV2.0")+64 {
		t.Errorf("malformed hash ID %q", got)
	}
}

func TestDetectFormat(t *testing.T) {
	tests := []struct {
		in   string
		want Format
	}{
		{"<x/>", FormatXML},
		{"\ufeff \n\t<?xml version='1.0'?><x/>", FormatXML},
		{`{"a":1}`, FormatJSON},
		{"  [", FormatJSON},
		{"", FormatJSON},
	}
	for _, tt := range tests {
		if got := DetectFormat([]byte(tt.in)); got != tt.want {
			t.Errorf("DetectFormat(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
