package epcis

import (
	"strings"
	"testing"
)

// benchObjectEvent is a typical shipping ObjectEvent: a few EPCs as EPC
// URIs, CBV bare words, a read point, a business transaction, source and
// destination, one user extension.
const benchObjectEvent = `{
  "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
               {"ex": "https://ns.example.com/epcis/"}],
  "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2024-05-06T12:00:00Z",
  "epcisBody": {"eventList": [{
    "type": "ObjectEvent",
    "eventTime": "2024-05-06T10:11:12.345+02:00",
    "eventTimeZoneOffset": "+02:00",
    "epcList": ["urn:epc:id:sgtin:4012345.011111.1001", "urn:epc:id:sgtin:4012345.011111.1002",
                "urn:epc:id:sgtin:4012345.011111.1003", "urn:epc:id:sscc:4012345.0000000111"],
    "action": "OBSERVE",
    "bizStep": "shipping",
    "disposition": "in_transit",
    "readPoint": {"id": "urn:epc:id:sgln:4012345.00005.0"},
    "bizLocation": {"id": "urn:epc:id:sgln:4012345.00005.0"},
    "bizTransactionList": [{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:PO-4711"}],
    "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:4012345.00000"}],
    "destinationList": [{"type": "owning_party", "destination": "urn:epc:id:pgln:0614141.00000"}],
    "ex:shipmentNote": "pallet 3 of 7"
  }]}
}`

// BenchmarkHashID measures Event Hash IDs per second for a typical parsed
// ObjectEvent (canonicalisation, pre-hash string and SHA-256; parsing is
// outside the loop).
func BenchmarkHashID(b *testing.B) {
	events, err := Parse(strings.NewReader(benchObjectEvent), FormatAuto)
	if err != nil {
		b.Fatal(err)
	}
	ev := events[0]
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := HashID(ev); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "hashes/s")
}

// BenchmarkHashDocument includes parsing the JSON-LD document.
func BenchmarkHashDocument(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := HashDocument(strings.NewReader(benchObjectEvent), FormatJSON); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}
