// SPDX-License-Identifier: Apache-2.0

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

// reportRate reports n items per wall-clock second, and per CPU second of
// the process (which other load on the machine does not dilute).
func reportRate(b *testing.B, n int, unit string, cpu0 float64) {
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), unit+"/s")
	if cpu := epcisCPU().Seconds() - cpu0; cpu > 0 {
		b.ReportMetric(float64(n)/cpu, unit+"/cpu-s")
	}
}

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
	cpu0 := epcisCPU().Seconds()
	b.ResetTimer()
	for b.Loop() {
		if _, err := HashID(ev); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, b.N, "hashes", cpu0)
}

// BenchmarkHashProto measures what a validator does for a public event:
// the typed protobuf event back to the tree, then the hash.
func BenchmarkHashProto(b *testing.B) {
	events, err := Parse(strings.NewReader(benchObjectEvent), FormatAuto)
	if err != nil {
		b.Fatal(err)
	}
	p, err := ToProto(events[0])
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	cpu0 := epcisCPU().Seconds()
	b.ResetTimer()
	for b.Loop() {
		if _, err := CheckProto(p, 0); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, b.N, "events", cpu0)
}

// BenchmarkHashDocument includes parsing the JSON-LD document.
func BenchmarkHashDocument(b *testing.B) {
	b.ReportAllocs()
	cpu0 := epcisCPU().Seconds()
	for b.Loop() {
		if _, err := HashDocument(strings.NewReader(benchObjectEvent), FormatJSON); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, b.N, "docs", cpu0)
}
