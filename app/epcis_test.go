// SPDX-License-Identifier: Apache-2.0

package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/epcis"
	"github.com/traceledger/traceledger/proof"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// epcisDoc is a small traceability document: a lot harvested (with a
// quantity of a lot), a pallet aggregated, shipped, and a livestock ear
// tag observed.
func epcisDoc(at time.Time, n int) string {
	var evs []string
	for i := 0; i < n; i++ {
		t := at.Add(-time.Duration(n-i) * time.Minute).UTC().Format("2006-01-02T15:04:05.000Z")
		evs = append(evs, fmt.Sprintf(`{
      "type": "ObjectEvent", "eventTime": %q, "eventTimeZoneOffset": "+08:00",
      "epcList": ["urn:epc:id:sgtin:6901234.000012.%d"],
      "quantityList": [{"epcClass": "urn:epc:class:lgtin:6901234.000012.LOT1", "quantity": 12.5, "uom": "KGM"}],
      "action": "ADD", "bizStep": "commissioning", "disposition": "active",
      "readPoint": {"id": "urn:epc:id:sgln:6901234.00001.0"},
      "tl:chainLink": "production_record",
      "ex:plot": "7"
    }`, t, i))
	}
	return `{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
      {"ex": "https://ns.example.com/farm/", "tl": "https://ns.traceledger.org/epcis/"}],
    "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-01T00:00:00Z",
    "epcisBody": {"eventList": [` + strings.Join(evs, ",") + `]}}`
}

// prepared parses a document into RecordEPCISEvent messages.
func prepared(t testing.TB, doc string, mode client.ImportMode) []*tlv1.RecordEPCISEvent {
	t.Helper()
	pes, err := client.PrepareImport([]byte(doc), epcis.FormatAuto, mode)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]*tlv1.RecordEPCISEvent, len(pes))
	for i, p := range pes {
		out[i] = p.Msg
	}
	return out
}

func batchMsg(evs ...*tlv1.RecordEPCISEvent) *tlv1.Msg {
	return &tlv1.Msg{Sum: &tlv1.Msg_RecordEventBatch{RecordEventBatch: &tlv1.RecordEventBatch{Events: evs}}}
}

func eventMsgOf(e *tlv1.RecordEPCISEvent) *tlv1.Msg {
	return &tlv1.Msg{Sum: &tlv1.Msg_RecordEpcisEvent{RecordEpcisEvent: e}}
}

// clone deep-copies a message through its encoding.
func clone(t testing.TB, e *tlv1.RecordEPCISEvent) *tlv1.RecordEPCISEvent {
	bz, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var out tlv1.RecordEPCISEvent
	if err := out.Unmarshal(bz); err != nil {
		t.Fatal(err)
	}
	return &out
}

// TestEPCISRecordAndProve records a batch of public events and a hashed
// event, then proves each by hash ID and checks the histories of the
// identifiers they name.
func TestEPCISRecordAndProve(t *testing.T) {
	f := newFixture(t)
	a := openApp(t, "", nil)
	defer a.Close()
	initChain(t, a, f)
	at := blockTime(1)
	pub := prepared(t, epcisDoc(at, 3), client.ImportPublic)
	hashed := prepared(t, epcisDoc(at.Add(-time.Hour), 1), client.ImportHashed)[0]
	res, err := finalize(t, a, 1, [][]byte{
		signTx(t, f.farm, 0, testChainID, batchMsg(pub...)),
		signTx(t, f.market, 0, testChainID, eventMsgOf(hashed)),
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res.TxResults {
		if r.Code != 0 {
			t.Fatalf("tx %d: %s", i, r.Log)
		}
	}
	if ev := res.TxResults[0].Events; len(ev) != 1 || ev[0].Type != tlv1.EventRecords || !slices.ContainsFunc(ev[0].Attributes, func(a abci.EventAttribute) bool { return a.Key == tlv1.AttrCount && a.Value == "3" }) {
		t.Fatalf("batch of 3 produced events %v, want one %s event with count 3", ev, tlv1.EventRecords)
	}
	appHash := res.AppHash
	for i, e := range append(pub, hashed) {
		qr, bz := query(t, a, tlv1.PathEPCISEvent, &tlv1.EventRequest{HashId: e.HashId}, 0)
		if qr.Code != 0 {
			t.Fatalf("event %d: %s", i, qr.Log)
		}
		var resp tlv1.EventResponse
		if err := resp.Unmarshal(bz); err != nil {
			t.Fatal(err)
		}
		verifyAppHash(t, resp.Roots, appHash)
		ve, err := client.VerifyEventResponse(e.HashId, &resp)
		if err != nil || ve == nil || len(ve.Recordings) != 1 {
			t.Fatalf("event %d: %v %v", i, ve, err)
		}
		r := ve.Recordings[0]
		if i < 3 && (r.EPCIS.GetPublic() == nil || r.EPCIS.BatchIndex != uint32(i) || r.Record.Signer != "farm" || r.Signer != "farm") {
			t.Fatalf("event %d: record %+v", i, r.EPCIS)
		}
		if i == 3 && (r.EPCIS.GetHashed() == nil || r.Record.Signer != "market" || r.Signer != "market") {
			t.Fatalf("hashed event: record %+v", r.EPCIS)
		}
		if r.EPCIS.Context.GetChainLink() != tlv1.CHAIN_LINK_PRODUCTION_RECORD {
			t.Fatalf("event %d: context %v", i, r.EPCIS.Context)
		}
		// A tampered answer does not verify.
		resp.Records[0].Record = append([]byte(nil), resp.Records[0].Record...)
		resp.Records[0].Record[len(resp.Records[0].Record)-1] ^= 1
		if _, err := client.VerifyEventResponse(e.HashId, &resp); err == nil {
			t.Fatalf("event %d: a tampered record verified", i)
		}
	}
	// Unknown hash ID: proven absent.
	absent := epcis.HashIDFromDigest(sha256.Sum256([]byte("nothing")))
	_, bz := query(t, a, tlv1.PathEPCISEvent, &tlv1.EventRequest{HashId: absent}, 0)
	var resp tlv1.EventResponse
	resp.Unmarshal(bz)
	if ve, err := client.VerifyEventResponse(absent, &resp); err != nil || ve != nil {
		t.Fatalf("absent event: %v %v", ve, err)
	}
	// The lot is named by all four events (the hashed one through its
	// index fields); each serial by one; the URN and Digital Link
	// spellings are the same history.
	lot := "https://id.gs1.org/01/06901234000122/10/LOT1"
	for subject, want := range map[string]uint64{lot: 4, "https://id.gs1.org/01/06901234000122/21/1": 1} {
		_, bz := query(t, a, tlv1.PathHistory, &tlv1.HistoryRequest{Subject: subject}, 0)
		var hr tlv1.HistoryResponse
		hr.Unmarshal(bz)
		h, err := client.VerifyHistory(subject, tlv1.HeadKey(subject), &hr)
		if err != nil {
			t.Fatal(err)
		}
		if h.Head == nil || h.Head.Count != want {
			t.Fatalf("%s: history %v, want %d records", subject, h.Head, want)
		}
	}
	// Known reports recorded hash IDs.
	_, bz = query(t, a, tlv1.PathEPCISKnown, &tlv1.KnownRequest{HashIds: []string{pub[1].HashId, absent}}, 0)
	var kr tlv1.KnownResponse
	kr.Unmarshal(bz)
	if len(kr.Known) != 2 || !kr.Known[0] || kr.Known[1] {
		t.Fatalf("known %v", kr.Known)
	}
}

// TestEPCISBadInput checks every kind of bad EPCIS input: each is rejected
// by CheckTx (when it is stateless) and by FinalizeBlock with its code and a
// message naming the event and the field, and the block's app hash is that
// of an empty block: a batch with one bad event records nothing.
func TestEPCISBadInput(t *testing.T) {
	f := newFixture(t)
	at := blockTime(2)
	good := prepared(t, epcisDoc(at, 5), client.ImportPublic)
	recorded := prepared(t, epcisDoc(at.Add(-24*time.Hour), 1), client.ImportPublic)[0]
	hashed := prepared(t, epcisDoc(at.Add(-48*time.Hour), 1), client.ImportHashed)[0]

	// edit returns a batch of the five good events with event 3 changed.
	edit := func(fn func(e *tlv1.RecordEPCISEvent)) *tlv1.Msg {
		evs := make([]*tlv1.RecordEPCISEvent, len(good))
		for i := range good {
			evs[i] = clone(t, good[i])
		}
		fn(evs[3])
		return batchMsg(evs...)
	}
	// rehash gives an edited public event its new (correct) hash ID, so
	// the edit itself is what is rejected.
	rehash := func(fn func(p *tlv1.EPCISEvent)) func(e *tlv1.RecordEPCISEvent) {
		return func(e *tlv1.RecordEPCISEvent) {
			fn(e.GetPublic())
			if h, err := epcis.HashProto(e.GetPublic(), 0); err == nil {
				e.HashId = h
			}
		}
	}
	future := prepared(t, epcisDoc(at.Add(time.Hour), 1), client.ImportPublic)[0]
	// 1,001 small hashed events (a batch of public events this long would
	// exceed max_tx_bytes first).
	small := clone(t, hashed)
	small.GetHashed().Identifiers = small.GetHashed().Identifiers[:1]
	small.GetHashed().ReadPoint, small.GetHashed().BizStep, small.GetHashed().Disposition = "", "", ""
	many := make([]*tlv1.RecordEPCISEvent, tlv1.MaxBatchEvents+1)
	for i := range many {
		many[i] = small
	}
	cases := []struct {
		name      string
		msg       *tlv1.Msg
		code      tlv1.Code
		fragments []string
		stateful  bool // only FinalizeBlock can tell
	}{
		{"unknown event type", edit(func(e *tlv1.RecordEPCISEvent) { e.GetPublic().Type = 7 }), tlv1.CodeEPCISUnknownEventType, []string{"events[3]", "field type"}, false},
		{"missing eventTime", edit(rehash(func(p *tlv1.EPCISEvent) { p.EventTime = "" })), tlv1.CodeEPCISMissingField, []string{"events[3]", "eventTime"}, false},
		{"missing eventTimeZoneOffset", edit(rehash(func(p *tlv1.EPCISEvent) { p.EventTimeZoneOffset = "" })), tlv1.CodeEPCISMissingField, []string{"events[3]", "eventTimeZoneOffset"}, false},
		{"invalid timestamp", edit(rehash(func(p *tlv1.EPCISEvent) { p.EventTime = "yesterday" })), tlv1.CodeEPCISInvalidEvent, []string{"events[3]", "eventTime"}, false},
		{"invalid URI", edit(rehash(func(p *tlv1.EPCISEvent) { p.EpcList[0] = "not a uri" })), tlv1.CodeEPCISInvalidIdentifier, []string{"events[3]", "epcList"}, false},
		{"malformed EPC", edit(rehash(func(p *tlv1.EPCISEvent) { p.EpcList[0] = "urn:epc:id:sgtin:6901234.12.1" })), tlv1.CodeEPCISInvalidIdentifier, []string{"events[3]", "epcList"}, false},
		{"invalid ear tag", edit(rehash(func(p *tlv1.EPCISEvent) { p.EpcList[0] = "urn:cn:eartag:99" })), tlv1.CodeEPCISInvalidIdentifier, []string{"events[3]", "eartag"}, false},
		{"invalid detonator code", edit(rehash(func(p *tlv1.EPCISEvent) { p.EpcList[0] = "urn:cn:detonator:5361315A12301" })), tlv1.CodeEPCISInvalidIdentifier, []string{"events[3]", "detonator"}, false},
		{"reserved scheme", edit(rehash(func(p *tlv1.EPCISEvent) { p.EpcList[0] = "participant:farm" })), tlv1.CodeEPCISInvalidIdentifier, []string{"events[3]", "reserved"}, false},
		{"hash mismatch", edit(func(e *tlv1.RecordEPCISEvent) { e.GetPublic().Disposition = "damaged" }), tlv1.CodeEPCISHashMismatch, []string{"events[3]", "hashes to"}, false},
		{"malformed hash ID", edit(func(e *tlv1.RecordEPCISEvent) { e.HashId = "ni:///sha-256;abc" }), tlv1.CodeEPCISInvalidEvent, []string{"events[3]", "hash_id"}, false},
		{"action missing", edit(rehash(func(p *tlv1.EPCISEvent) { p.Action = "" })), tlv1.CodeEPCISMissingField, []string{"events[3]", "action"}, false},
		{"field of another event type", edit(rehash(func(p *tlv1.EPCISEvent) { p.ChildEpcs = []string{"urn:x:1"} })), tlv1.CodeEPCISInvalidEvent, []string{"events[3]", "childEPCs"}, false},
		{"context disagrees with the event", edit(func(e *tlv1.RecordEPCISEvent) { e.Context.ChainLink = tlv1.CHAIN_LINK_MARKET_ACCESS }), tlv1.CodeEPCISInvalidEvent, []string{"events[3]", "disagrees"}, false},
		{"gas filling without user hash", eventMsgOf(func() *tlv1.RecordEPCISEvent {
			e := clone(t, hashed)
			e.Context = &tlv1.TraceContext{DomainStep: tlv1.DOMAIN_STEP_GAS_CYLINDER_FILLING}
			return e
		}()), tlv1.CodeEPCISMissingField, []string{"user_hash"}, false},
		{"user hash outside gas filling", eventMsgOf(func() *tlv1.RecordEPCISEvent {
			e := clone(t, hashed)
			e.Context = &tlv1.TraceContext{UserHash: make([]byte, 32)}
			return e
		}()), tlv1.CodeEPCISInvalidEvent, []string{"user_hash"}, false},
		{"hashed short payload hash", eventMsgOf(func() *tlv1.RecordEPCISEvent {
			e := clone(t, hashed)
			e.GetHashed().PayloadSha256 = []byte{1, 2}
			return e
		}()), tlv1.CodeEPCISInvalidEvent, []string{"payload_sha256"}, false},
		{"neither public nor hashed", eventMsgOf(&tlv1.RecordEPCISEvent{HashId: good[0].HashId}), tlv1.CodeEPCISMissingField, []string{"neither"}, false},
		{"duplicate within the batch", edit(func(e *tlv1.RecordEPCISEvent) { *e = *clone(t, good[1]) }), tlv1.CodeEPCISDuplicateEvent, []string{"events[3]", "events[1]"}, false},
		{"oversized batch", batchMsg(many...), tlv1.CodeEPCISBatchSize, []string{"1001 events", "limit is 1000"}, false},
		{"empty batch", batchMsg(), tlv1.CodeEPCISBatchSize, []string{"empty"}, false},
		{"duplicate of a recorded event", edit(func(e *tlv1.RecordEPCISEvent) { *e = *clone(t, recorded) }), tlv1.CodeEPCISDuplicateEvent, []string{"events[3]", "already recorded"}, true},
		{"event time in the future", edit(func(e *tlv1.RecordEPCISEvent) { *e = *clone(t, future) }), tlv1.CodeEventInFuture, []string{"events[3]", "eventTime"}, true},
		{"anchor root not 32 bytes", &tlv1.Msg{Sum: &tlv1.Msg_AnchorRoot{AnchorRoot: &tlv1.AnchorRoot{Root: []byte{1}, LeafCount: 2, Source: "urn:x:sensor"}}}, tlv1.CodeEPCISInvalidAnchor, []string{"root"}, false},
		{"anchor too many leaves", &tlv1.Msg{Sum: &tlv1.Msg_AnchorRoot{AnchorRoot: &tlv1.AnchorRoot{Root: make([]byte, 32), LeafCount: 1_000_001, Source: "urn:x:sensor"}}}, tlv1.CodeEPCISInvalidAnchor, []string{"leaf_count"}, false},
		{"anchor bad source", &tlv1.Msg{Sum: &tlv1.Msg_AnchorRoot{AnchorRoot: &tlv1.AnchorRoot{Root: make([]byte, 32), LeafCount: 1, Source: "sensor 1"}}}, tlv1.CodeEPCISInvalidAnchor, []string{"source"}, false},
		{"duplicate anchor", &tlv1.Msg{Sum: &tlv1.Msg_AnchorRoot{AnchorRoot: &tlv1.AnchorRoot{Root: bytes.Repeat([]byte{7}, 32), LeafCount: 10, Source: "urn:x:sensor"}}}, tlv1.CodeEPCISDuplicateAnchor, []string{"already anchored"}, true},
	}

	// base: block 1 records one event and one anchor.
	setup := func() (*App, []byte) {
		a := openApp(t, "", nil)
		initChain(t, a, f)
		anchor := &tlv1.Msg{Sum: &tlv1.Msg_AnchorRoot{AnchorRoot: &tlv1.AnchorRoot{Root: bytes.Repeat([]byte{7}, 32), LeafCount: 10, Source: "urn:x:sensor"}}}
		r, err := finalize(t, a, 1, [][]byte{signTx(t, f.farm, 0, testChainID, eventMsgOf(recorded), anchor)})
		if err != nil || r.TxResults[0].Code != 0 {
			t.Fatalf("setup block: %v %v", err, r.TxResults[0].Log)
		}
		empty, err := a.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: 2, Time: at})
		if err != nil {
			t.Fatal(err)
		}
		return a, empty.AppHash
	}
	// The good batch itself is accepted.
	{
		a, _ := setup()
		r, err := a.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: 2, Time: at, Txs: [][]byte{signTx(t, f.farm, 1, testChainID, batchMsg(good...))}})
		if err != nil || r.TxResults[0].Code != 0 {
			t.Fatalf("good batch: %v %s", err, r.TxResults[0].Log)
		}
		a.Close()
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, emptyHash := setup()
			defer a.Close()
			tx := signTx(t, f.farm, 1, testChainID, tc.msg)
			check := func(stage string, code uint32, log string) {
				t.Helper()
				if tlv1.Code(code) != tc.code {
					t.Errorf("%s: code %d (%s) %q; want %d (%s)", stage, code, tlv1.Code(code), log, tc.code, tc.code)
				}
				for _, frag := range tc.fragments {
					if !strings.Contains(log, frag) {
						t.Errorf("%s: log %q lacks %q", stage, log, frag)
					}
				}
			}
			chk, err := a.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: tx, Type: abci.CheckTxType_New})
			if err != nil {
				t.Fatal(err)
			}
			if !tc.stateful {
				check("CheckTx", chk.Code, chk.Log)
			}
			res, err := a.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: 2, Time: at, Txs: [][]byte{tx}})
			if err != nil {
				t.Fatal(err)
			}
			check("FinalizeBlock", res.TxResults[0].Code, res.TxResults[0].Log)
			if !bytes.Equal(res.AppHash, emptyHash) {
				t.Error("a rejected transaction changed the app hash")
			}
		})
	}
}

// TestEPCISAnchor anchors a root over a tree of event hashes and chains
// one event's proof: leaf -> root (the enterprise's tree) -> anchor record
// (the map entry and the log) -> app hash.
func TestEPCISAnchor(t *testing.T) {
	f := newFixture(t)
	a := openApp(t, "", nil)
	defer a.Close()
	initChain(t, a, f)
	digests := make([][32]byte, 1000)
	for i := range digests {
		digests[i] = sha256.Sum256([]byte(fmt.Sprintf("sensor reading %d", i)))
	}
	tree, err := epcis.NewAnchorTree(digests)
	if err != nil {
		t.Fatal(err)
	}
	root := tree.Root()
	msg := &tlv1.Msg{Sum: &tlv1.Msg_AnchorRoot{AnchorRoot: &tlv1.AnchorRoot{Root: root[:], LeafCount: 1000, Source: "urn:epc:id:giai:6901234.SENSOR7",
		FromTimeMs: blockTime(0).UnixMilli(), ToTimeMs: blockTime(1).UnixMilli()}}}
	res, err := finalize(t, a, 1, [][]byte{signTx(t, f.farm, 0, testChainID, msg)})
	if err != nil || res.TxResults[0].Code != 0 {
		t.Fatalf("anchor: %v %s", err, res.TxResults[0].Log)
	}
	_, bz := query(t, a, tlv1.PathEPCISAnchor, &tlv1.AnchorRequest{Root: root[:]}, 0)
	var resp tlv1.EventResponse
	if err := resp.Unmarshal(bz); err != nil {
		t.Fatal(err)
	}
	verifyAppHash(t, resp.Roots, res.AppHash)
	va, err := client.VerifyAnchorResponse(root[:], &resp)
	if err != nil || va == nil {
		t.Fatalf("anchor proof: %v", err)
	}
	p, _ := tree.Prove(617)
	if err := proof.VerifyInclusion(epcis.AnchorLeafHash(digests[617]), 617, va.Anchor.LeafCount, p, [32]byte(va.Anchor.Root)); err != nil {
		t.Fatalf("leaf -> anchored root: %v", err)
	}
	// The source's history holds the anchor.
	_, bz = query(t, a, tlv1.PathHistory, &tlv1.HistoryRequest{Subject: "https://id.gs1.org/8004/6901234SENSOR7"}, 0)
	var hr tlv1.HistoryResponse
	hr.Unmarshal(bz)
	if h, err := client.VerifyHistory("https://id.gs1.org/8004/6901234SENSOR7", tlv1.HeadKey("https://id.gs1.org/8004/6901234SENSOR7"), &hr); err != nil || h.Head == nil || h.Head.Count != 1 {
		t.Fatalf("source history: %v %v", h, err)
	}
}

// TestEPCISDeterminism feeds the same EPCIS blocks to two app instances
// (one in memory, one on disk) and compares app hashes.
func TestEPCISDeterminism(t *testing.T) {
	f := newFixture(t)
	a, b := openApp(t, "", nil), openApp(t, t.TempDir(), nil)
	defer a.Close()
	defer b.Close()
	initChain(t, a, f)
	initChain(t, b, f)
	for h := int64(1); h <= 3; h++ {
		at := blockTime(h)
		pub := prepared(t, epcisDoc(at, 20), client.ImportPublic)
		hs := prepared(t, epcisDoc(at.Add(-time.Hour), 20), client.ImportHashed)
		txs := [][]byte{signTx(t, f.farm, uint64(h-1), testChainID, batchMsg(pub...)), signTx(t, f.market, uint64(h-1), testChainID, batchMsg(hs...))}
		ra, err := finalize(t, a, h, txs)
		if err != nil {
			t.Fatal(err)
		}
		rb, err := finalize(t, b, h, txs)
		if err != nil {
			t.Fatal(err)
		}
		for i := range txs {
			if ra.TxResults[i].Code != 0 || rb.TxResults[i].Code != 0 {
				t.Fatalf("height %d tx %d: %s / %s", h, i, ra.TxResults[i].Log, rb.TxResults[i].Log)
			}
		}
		if !bytes.Equal(ra.AppHash, rb.AppHash) {
			t.Fatalf("height %d: app hashes differ", h)
		}
	}
}

// TestEPCISCheckCache: the cache of checked events is bounded, keeps only
// successes, and an event changed in any byte is checked again.
func TestEPCISCheckCache(t *testing.T) {
	evs := prepared(t, epcisDoc(blockTime(1), 3), client.ImportPublic)
	d := &epcisDomain{cache: newCheckCache(2)}
	for _, e := range evs {
		if _, _, err := d.check(e, "record_epcis_event", 0); err != nil {
			t.Fatal(err)
		}
	}
	if len(d.cache.m) != 2 {
		t.Fatalf("cache holds %d entries, its size is 2", len(d.cache.m))
	}
	k0, _ := checkKeyOf(evs[0])
	k2, _ := checkKeyOf(evs[2])
	if d.cache.get(k0) != nil || d.cache.get(k2) == nil {
		t.Fatal("the oldest entry was not the one evicted")
	}
	// A changed event is a different key: its hash is recomputed and the
	// mismatch found, every time.
	bad := clone(t, evs[2])
	bad.GetPublic().Disposition = "damaged"
	for i := 0; i < 2; i++ {
		if _, _, err := d.check(bad, "record_epcis_event", 0); CodeOf(err) != tlv1.CodeEPCISHashMismatch {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if len(d.cache.m) != 2 {
		t.Fatal("a failed check was cached")
	}
	// exec's lookup finds what validate learnt, and derives it again
	// when the cache lost it.
	for _, e := range []*tlv1.RecordEPCISEvent{evs[0], evs[2]} {
		ck, err := d.checked(e, "record_epcis_event", 0)
		if err != nil || ck.hashID != e.HashId || len(ck.subjects) != 2 {
			t.Fatalf("checked: %+v %v", ck, err)
		}
	}
}

// TestEPCISCheckTxThenFinalize: a block whose events CheckTx has cached
// ends in the same app hash as on a node that never saw them.
func TestEPCISCheckTxThenFinalize(t *testing.T) {
	f := newFixture(t)
	a, b := openApp(t, "", nil), openApp(t, "", nil)
	defer a.Close()
	defer b.Close()
	initChain(t, a, f)
	initChain(t, b, f)
	finalize(t, a, 1, nil)
	finalize(t, b, 1, nil)
	tx := signTx(t, f.farm, 0, testChainID, batchMsg(prepared(t, epcisDoc(blockTime(2), 10), client.ImportPublic)...))
	if r, _ := a.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: tx}); r.Code != 0 {
		t.Fatal(r.Log)
	}
	ra, _ := finalize(t, a, 2, [][]byte{tx})
	rb, _ := finalize(t, b, 2, [][]byte{tx})
	if ra.TxResults[0].Code != 0 || !bytes.Equal(ra.AppHash, rb.AppHash) {
		t.Fatalf("codes %d/%d, app hashes %X / %X", ra.TxResults[0].Code, rb.TxResults[0].Code, ra.AppHash, rb.AppHash)
	}
}
