// SPDX-License-Identifier: Apache-2.0

package app

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/epcis"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// TestEPCISSameEventBothSyntaxes (app protocol 6): one event with CBV
// master-data ILMD fields, captured in XML (namespace urn:epcglobal:cbv:mda)
// and in JSON-LD (cbvmda:), has one Event Hash ID on the ledger: the
// second recording by the same participant is a duplicate, and a message
// claiming the ID of the pre-5 rule (the XML spelling kept in the
// pre-hash) is refused as a hash mismatch.
func TestEPCISSameEventBothSyntaxes(t *testing.T) {
	f := newFixture(t)
	at := blockTime(1)
	when := at.Add(-time.Hour).UTC()
	xmlDoc := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" xmlns:cbvmda="urn:epcglobal:cbv:mda"
  schemaVersion="2.0" creationDate="2026-11-01T00:00:00Z"><EPCISBody><EventList><ObjectEvent>
  <eventTime>%s</eventTime><eventTimeZoneOffset>+08:00</eventTimeZoneOffset>
  <epcList><epc>urn:epc:id:sgtin:6901234.000012.77</epc></epcList><action>ADD</action>
  <bizStep>urn:epcglobal:cbv:bizstep:commissioning</bizStep>
  <readPoint><id>urn:epc:id:sgln:6901234.00001.0</id></readPoint>
  <ilmd><cbvmda:lotNumber>LOT9</cbvmda:lotNumber><cbvmda:bestBeforeDate>2027-01-01</cbvmda:bestBeforeDate></ilmd>
</ObjectEvent></EventList></EPCISBody></epcis:EPCISDocument>`, when.Format(time.RFC3339))
	jsonDoc := fmt.Sprintf(`{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
  "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-01T00:00:00Z",
  "epcisBody": {"eventList": [{"type": "ObjectEvent", "eventTime": %q, "eventTimeZoneOffset": "+08:00",
    "epcList": ["urn:epc:id:sgtin:6901234.000012.77"], "action": "ADD", "bizStep": "commissioning",
    "readPoint": {"id": "urn:epc:id:sgln:6901234.00001.0"},
    "ilmd": {"cbvmda:bestBeforeDate": "2027-01-01", "cbvmda:lotNumber": "LOT9"}}]}}`, when.Format(time.RFC3339))
	fromXML := prepared(t, xmlDoc, client.ImportPublic)[0]
	fromJSON := prepared(t, jsonDoc, client.ImportPublic)[0]
	if fromXML.HashId != fromJSON.HashId {
		t.Fatalf("XML capture hashes to %s, JSON-LD capture to %s", fromXML.HashId, fromJSON.HashId)
	}
	pre, err := epcis.PreHash(mustFromProto(t, fromXML.GetPublic()))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(pre, "{urn:epcglobal:cbv:mda:}lotNumber") {
		t.Fatalf("pre-hash %s lacks the JSON-LD spelling of the master-data namespace", pre)
	}
	oldID := epcis.HashIDFromDigest(sha256.Sum256([]byte(strings.ReplaceAll(pre, "{urn:epcglobal:cbv:mda:}", "{urn:epcglobal:cbv:mda}"))))
	stale := clone(t, fromXML)
	stale.HashId = oldID

	a := openApp(t, "", nil)
	defer a.Close()
	initChain(t, a, f)
	res, err := finalize(t, a, 1, [][]byte{
		signTx(t, f.farm, 0, testChainID, eventMsgOf(fromXML)),
		signTx(t, f.farm, 1, testChainID, eventMsgOf(fromJSON)),
		signTx(t, f.market, 0, testChainID, eventMsgOf(stale)),
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []tlv1.Code{tlv1.CodeOK, tlv1.CodeEPCISDuplicateEvent, tlv1.CodeEPCISHashMismatch} {
		if got := tlv1.Code(res.TxResults[i].Code); got != want {
			t.Errorf("tx %d: code %d (%s), want %d", i, got, res.TxResults[i].Log, want)
		}
	}
}

func mustFromProto(t *testing.T, p *tlv1.EPCISEvent) epcis.Event {
	t.Helper()
	ev, err := epcis.FromProto(p, 0)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}
