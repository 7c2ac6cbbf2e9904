// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/proof"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// traceDoc is a JSON-LD document of n events of one lot: commissioning of
// serials (with the lot as quantity), then a TransformationEvent, an
// AggregationEvent and a hashed-worthy shipping event.
func traceDoc(lot string, n int, at time.Time, extra string) string {
	var evs []string
	for i := 0; i < n; i++ {
		evs = append(evs, fmt.Sprintf(`{"type": "ObjectEvent", "eventTime": %q, "eventTimeZoneOffset": "+08:00",
      "epcList": ["urn:epc:id:sgtin:6901234.000012.%s-%d"],
      "quantityList": [{"epcClass": "urn:epc:class:lgtin:6901234.000012.%s", "quantity": 2.5, "uom": "KGM"}],
      "action": "ADD", "bizStep": "commissioning", "disposition": "active",
      "readPoint": {"id": "urn:epc:id:sgln:6901234.00001.0"}, "tl:chainLink": "packaging_label",
      "ex:grade": {"ex:class": "A", "ex:score": 97}}`,
			at.Add(time.Duration(i)*time.Second).Format(time.RFC3339), lot, i, lot))
	}
	return `{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
     {"ex": "https://ns.example.com/farm/", "tl": "https://ns.traceledger.org/epcis/"}],
  "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-01T00:00:00Z",
  "epcisBody": {"eventList": [` + strings.Join(evs, ",\n") + extra + `]}}`
}

// TestEPCISEndToEnd drives the epcis and anchor commands against a real
// node: import (JSON-LD and XML, public and hashed) with idempotent
// re-import, export and re-hash, disclosed-payload checks, bad input, and
// an anchor proved from leaf to ledger.
func TestEPCISEndToEnd(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TRACELEDGER_PASSPHRASE", "correct horse battery staple")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	n := startTestNode(t, ctx, "epcis-test")
	home, node := n.home, n.url
	conn := []string{"--home", home, "--node", node}
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	type importView struct {
		Events, Recorded, AlreadyRecorded, Transactions int
	}
	importDoc := func(path string, extra ...string) (importView, error) {
		args := append([]string{"epcis", "import", path, "--from", "farm1", "-o", "json"}, conn...)
		out, err := run(t, ctx, append(args, extra...)...)
		if err != nil {
			return importView{}, err
		}
		var v struct {
			Events          int `json:"events"`
			Recorded        int `json:"recorded"`
			AlreadyRecorded int `json:"already_recorded"`
			Transactions    int `json:"transactions"`
		}
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("import output: %v %s", err, out)
		}
		return importView{v.Events, v.Recorded, v.AlreadyRecorded, v.Transactions}, nil
	}
	hashes := func(path string) []string {
		out, err := run(t, ctx, "epcis", "hash", path)
		if err != nil {
			t.Fatalf("epcis hash %s: %v", path, err)
		}
		return strings.Fields(out)
	}

	// Public import in several batches (--batch 7), then idempotent re-import.
	at := time.Now().Add(-time.Hour).Truncate(time.Second)
	doc := write("lot1.jsonld", traceDoc("LOT1", 25, at, ""))
	var v importView
	var err error
	for i := 0; ; i++ { // the node takes transactions after its first block
		if v, err = importDoc(doc, "--batch", "7"); err == nil || i > 50 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil || v.Events != 25 || v.Recorded != 25 || v.Transactions != 4 {
		t.Fatalf("first import: %+v %v", v, err)
	}
	if v, err = importDoc(doc); err != nil || v.Recorded != 0 || v.AlreadyRecorded != 25 {
		t.Fatalf("re-import: %+v %v", v, err)
	}

	// XML and JSON-LD renderings of the same events: the second records nothing.
	conf := filepath.Join("..", "..", "epcis", "testdata", "conformance")
	if v, err = importDoc(filepath.Join(conf, "epcisDocWithVariousEventTypes.xml")); err != nil || v.Recorded != 13 {
		t.Fatalf("XML import: %+v %v", v, err)
	}
	if v, err = importDoc(filepath.Join(conf, "epcisDocWithVariousEventTypes.jsonld")); err != nil || v.Recorded != 0 || v.AlreadyRecorded != 13 {
		t.Fatalf("JSON-LD import of the same events: %+v %v", v, err)
	}

	// A query document (EPCISQueryDocument) imports like a document. Its
	// two events differ only in fields its ignoreFields excludes from the
	// hash: one hash ID, recorded once.
	if v, err = importDoc(filepath.Join(conf, "epcisQueryDocHavingEventWithIgnoreFields.jsonld")); err != nil || v.Events != 2 || v.Recorded != 1 {
		t.Fatalf("query document import: %+v %v", v, err)
	}

	// Export the lot's history and re-hash it: the same hash IDs, in order.
	exported := filepath.Join(dir, "export.jsonld")
	if _, err := run(t, ctx, append([]string{"epcis", "export", "--id", "urn:epc:class:lgtin:6901234.000012.LOT1", "--out", exported}, conn...)...); err != nil {
		t.Fatalf("export: %v", err)
	}
	want, got := hashes(doc), hashes(exported)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("exported document re-hashes to\n%v\nwant\n%v", got, want)
	}
	var exp struct {
		Ledger struct {
			Count   int `json:"count"`
			Records []struct {
				EventID   string   `json:"eventID"`
				Inclusion []string `json:"inclusion"`
			} `json:"records"`
			AppHash string `json:"appHash"`
		} `json:"tl:ledger"`
	}
	data, _ := os.ReadFile(exported)
	if err := json.Unmarshal(data, &exp); err != nil || exp.Ledger.Count != 25 || len(exp.Ledger.Records) != 25 || exp.Ledger.Records[3].EventID != want[3] || exp.Ledger.AppHash == "" {
		t.Fatalf("export proofs: %v %+v", err, exp.Ledger)
	}
	// The serial's history, addressed by its Digital Link URI, holds one event.
	out, err := run(t, ctx, append([]string{"epcis", "export", "--id", "https://example.com/01/06901234000122/21/LOT1-4"}, conn...)...)
	if err != nil || !strings.Contains(out, want[4]) || strings.Contains(out, want[5]) {
		t.Fatalf("export by Digital Link: %v", err)
	}

	// Hashed import with disclosed payloads, then checks.
	hdoc := write("lot2.jsonld", traceDoc("LOT2", 3, at, ""))
	payloads := filepath.Join(dir, "payloads")
	if v, err = importDoc(hdoc, "--hashed", "--payload-dir", payloads); err != nil || v.Recorded != 3 {
		t.Fatalf("hashed import: %+v %v", v, err)
	}
	files, _ := filepath.Glob(filepath.Join(payloads, "*.json"))
	if len(files) != 3 {
		t.Fatalf("%d payload files", len(files))
	}
	out, err = run(t, ctx, append([]string{"epcis", "check", files[0]}, conn...)...)
	if err != nil || !strings.Contains(out, "MATCH") || !strings.Contains(out, "verified at state height") {
		t.Fatalf("check payload: %v %s", err, out)
	}
	out, err = run(t, ctx, append([]string{"epcis", "check", doc}, conn...)...)
	if err != nil || strings.Count(out, "PUBLIC") != 25 {
		t.Fatalf("check public document: %v %s", err, out)
	}
	// A disclosed payload altered outside the hashed fields: the hash ID is
	// recorded, the payload hash is not.
	p0, _ := os.ReadFile(files[0])
	var obj map[string]any
	json.Unmarshal(p0, &obj)
	obj["recordTime"] = "2026-11-28T00:00:00Z" // not part of the event hash
	alteredBytes, _ := json.Marshal(obj)
	altered := write("altered.json", string(alteredBytes))
	out, err = run(t, ctx, append([]string{"epcis", "check", altered}, conn...)...)
	if err == nil || !strings.Contains(out, "PAYLOAD-MISMATCH") {
		t.Fatalf("altered payload: %v %s", err, out)
	}
	out, err = run(t, ctx, append([]string{"epcis", "check", write("new.jsonld", traceDoc("LOT9", 1, at, ""))}, conn...)...)
	if err == nil || !strings.Contains(out, "NOT-RECORDED") {
		t.Fatalf("unrecorded event: %v %s", err, out)
	}

	// Bad input: rejected before anything is sent, naming event and field.
	bad := traceDoc("LOT3", 3, at, `, {"type": "ObjectEvent", "eventTime": "2026-01-01T00:00:00Z", "epcList": ["urn:x:1"], "action": "ADD"}`)
	if _, err = importDoc(write("bad.jsonld", bad)); err == nil || !strings.Contains(err.Error(), "event 3") || !strings.Contains(err.Error(), "eventTimeZoneOffset") {
		t.Fatalf("missing eventTimeZoneOffset: %v", err)
	}
	bad = traceDoc("LOT3", 3, at, `, {"type": "ObjectEvent", "eventTime": "2026-01-01T00:00:00Z", "eventTimeZoneOffset": "+08:00", "epcList": ["urn:cn:eartag:99"], "action": "ADD"}`)
	if _, err = importDoc(write("bad2.jsonld", bad)); err == nil || !strings.Contains(err.Error(), "event 3") || !strings.Contains(err.Error(), "epcList") {
		t.Fatalf("bad ear tag: %v", err)
	}
	if _, err = importDoc(write("bad3.jsonld", `{"epcisBody": {"eventList": [{"type": "ObjectEvent",`)); err == nil || !strings.Contains(err.Error(), "malformed JSON") {
		t.Fatalf("malformed JSON: %v", err)
	}
	if _, err = importDoc(write("bad4.jsonld", strings.Replace(traceDoc("LOT3", 2, at, ""), `"type": "ObjectEvent"`, `"type": "QuantityEvent"`, 1))); err == nil || !strings.Contains(err.Error(), "event 0") || !strings.Contains(err.Error(), "unknown event type") {
		t.Fatalf("unknown event type: %v", err)
	}
	if _, err = importDoc(write("future.jsonld", traceDoc("LOT4", 2, time.Now().Add(2*time.Hour), ""))); err == nil || !strings.Contains(err.Error(), "event_in_future") || !strings.Contains(err.Error(), "document event 0") {
		t.Fatalf("future event: %v", err)
	}
	if v, err = importDoc(doc); err != nil || v.Recorded != 0 {
		t.Fatalf("the bad imports changed the ledger: %+v %v", v, err)
	}

	// Anchor 500 sensor readings and prove one.
	var leaves []string
	for i := 0; i < 500; i++ {
		d := sha256.Sum256([]byte(fmt.Sprintf("reading %d", i)))
		leaves = append(leaves, fmt.Sprintf("ni:///sha-256;%x?ver=CBV2.0", d))
	}
	leafFile := write("readings.txt", "# cold room 7\n"+strings.Join(leaves, "\n")+"\n")
	out, err = run(t, ctx, append([]string{"anchor", "submit", leafFile, "--from", "farm1", "--source", "urn:epc:id:giai:6901234.COLD7", "-o", "json"}, conn...)...)
	if err != nil {
		t.Fatalf("anchor submit: %v", err)
	}
	root, _ := run(t, ctx, "anchor", "root", leafFile)
	if !strings.Contains(out, strings.Fields(root)[0]) {
		t.Fatalf("submitted root differs from 'anchor root': %s vs %s", out, root)
	}
	proofFile := filepath.Join(dir, "proof.json")
	if _, err := run(t, ctx, append([]string{"anchor", "prove", leafFile, "--event", leaves[321], "--out", proofFile}, conn...)...); err != nil {
		t.Fatalf("anchor prove: %v", err)
	}
	gen := filepath.Join(home, "config", "genesis.json")
	out, err = run(t, ctx, "anchor", "verify", proofFile, "--genesis", gen)
	if err != nil || !strings.HasPrefix(out, "VERIFIED") {
		t.Fatalf("anchor verify: %v %s", err, out)
	}
	// Without a trust root nothing is verified: it refuses and says why.
	if _, err := run(t, ctx, "anchor", "verify", proofFile); err == nil || !strings.Contains(err.Error(), "no trust root") {
		t.Fatalf("anchor verify without a trust root: %v", err)
	}
	pf, _ := os.ReadFile(proofFile)
	tampered := regexp.MustCompile(`"leafIndex": \d+`).ReplaceAll(pf, []byte(`"leafIndex": 320`))
	var ee *exitError
	if _, err := run(t, ctx, "anchor", "verify", write("tampered.json", string(tampered)), "--genesis", gen); !errors.As(err, &ee) || ee.code != exitNotVerified {
		t.Fatalf("a proof with another leaf index: %v, want exit %d", err, exitNotVerified)
	}
	// A forgery that version 1 accepted: an event that was never anchored,
	// under a made-up root, in a made-up one-record log whose roots hash to
	// a consistently recomputed app hash. The genuine light blocks do not
	// sign that app hash.
	forged := forgeAnchorProof(t, pf)
	if _, err := run(t, ctx, "anchor", "verify", write("forged.json", string(forged)), "--genesis", gen); !errors.As(err, &ee) || ee.code != exitNotVerified || !strings.Contains(err.Error(), "commits to") {
		t.Fatalf("a forged anchor proof: %v, want exit %d (roots not committed by the header)", err, exitNotVerified)
	}
	if _, err := run(t, ctx, append([]string{"anchor", "prove", leafFile, "--event", leaves[0][:len(leaves[0])-12] + "0000?ver=CBV2.0"}, conn...)...); err == nil {
		t.Fatal("proved an event that is not a leaf")
	}
}

// forgeAnchorProof returns genuine's proof rewritten for an event that was
// never anchored: a new tree over three made-up leaves, an AnchorRecord of
// its root as the only record of a log, and the app hash recomputed from
// those roots; the light blocks are genuine's.
func forgeAnchorProof(t *testing.T, genuine []byte) []byte {
	t.Helper()
	var p client.AnchorProof
	if err := json.Unmarshal(genuine, &p); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 3 {
		d := sha256.Sum256([]byte(fmt.Sprintf("never anchored %d", i)))
		ids = append(ids, fmt.Sprintf("ni:///sha-256;%x?ver=CBV2.0", d))
	}
	tree, err := client.NewAnchorTree(ids)
	if err != nil {
		t.Fatal(err)
	}
	path, err := tree.Prove(1)
	if err != nil {
		t.Fatal(err)
	}
	root := tree.Root()
	rec := &tlv1.Record{Height: p.StateHeight, Body: &tlv1.Record_Anchor{Anchor: &tlv1.AnchorRecord{Anchor: &tlv1.AnchorRoot{
		Root: root[:], LeafCount: 3, Source: p.Source}}}}
	recBytes, err := rec.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	rb, _ := base64.StdEncoding.DecodeString(p.Roots)
	var roots tlv1.StateRoots
	if err := roots.Unmarshal(rb); err != nil {
		t.Fatal(err)
	}
	leaf := proof.LeafHash(recBytes)
	roots.LogSize, roots.LogRoot = 1, leaf[:]
	appHash, err := proof.AppHashOf(&roots)
	if err != nil {
		t.Fatal(err)
	}
	rb, _ = roots.Marshal()
	p.EventHashID, p.LeafIndex, p.TreeSize, p.Root = ids[1], 1, 3, hex.EncodeToString(root[:])
	p.Path = nil
	for _, h := range path {
		p.Path = append(p.Path, hex.EncodeToString(h))
	}
	p.LogIndex, p.Record, p.Inclusion = 0, base64.StdEncoding.EncodeToString(recBytes), nil
	p.Roots, p.AppHash = base64.StdEncoding.EncodeToString(rb), hex.EncodeToString(appHash[:])
	out, err := json.Marshal(&p)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestEPCISPartnerRecordsFirst reproduces issue 16's finding 4 against a
// real node: a pharmacy imports the farm's shipment document first; the
// farm's own import must still record every event (protocol 2 answered
// "nothing to record: already on the ledger" and the history showed the
// events signed by the pharmacy only), a re-import records nothing, and
// 'epcis show' lists both recorders, verified, in log order.
func TestEPCISPartnerRecordsFirst(t *testing.T) {
	t.Setenv("TRACELEDGER_PASSPHRASE", "correct horse battery staple")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n := startTestNode(t, ctx, "epcis-partner")
	n.eventually("validators", func() bool { _, err := n.cli("query", "validators"); return err == nil })
	kout, err := run(t, ctx, "keys", "add", "pharmacy1", "--home", n.home, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var key struct {
		PublicKey string `json:"public_key"`
	}
	if err := json.Unmarshal([]byte(kout), &key); err != nil {
		t.Fatal(err)
	}
	n.must("tx", "participant", "register", "--from", "agri-admin", "--id", "pharmacy1", "--name", "City Pharmacy",
		"--credit-code", "91520100MA6DLG8R28", "--division", "520000", "--key", key.PublicKey)

	doc := filepath.Join(t.TempDir(), "shipment.jsonld")
	if err := os.WriteFile(doc, []byte(traceDoc("LOTP", 3, time.Now().Add(-time.Hour).Truncate(time.Second), "")), 0o600); err != nil {
		t.Fatal(err)
	}
	type importView struct {
		Recorder        string `json:"recorder"`
		Recorded        int    `json:"recorded"`
		AlreadyRecorded int    `json:"already_recorded"`
	}
	importAs := func(from string) importView {
		t.Helper()
		out := n.must("epcis", "import", doc, "--from", from, "-o", "json")
		var v importView
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("import output: %v %s", err, out)
		}
		return v
	}
	if v := importAs("pharmacy1"); v.Recorder != "pharmacy1" || v.Recorded != 3 {
		t.Fatalf("pharmacy's import of the farm's document: %+v", v)
	}
	if v := importAs("farm1"); v.Recorder != "farm1" || v.Recorded != 3 || v.AlreadyRecorded != 0 {
		t.Fatalf("farm's import after the pharmacy's: %+v, want 3 recorded (the pharmacy's recordings are not the farm's)", v)
	}
	if v := importAs("farm1"); v.Recorded != 0 || v.AlreadyRecorded != 3 {
		t.Fatalf("farm's re-import: %+v", v)
	}
	if out := n.must("epcis", "import", doc, "--from", "farm1"); !strings.Contains(out, "nothing to record: farm1 already recorded all 3 events") {
		t.Fatalf("farm's re-import (text): %s", out)
	}

	hashOut, err := run(t, ctx, "epcis", "hash", doc)
	if err != nil {
		t.Fatal(err)
	}
	id := strings.Fields(hashOut)[0]
	out := n.must("epcis", "show", id, "-o", "json")
	var show struct {
		Recorded   bool `json:"recorded"`
		Verified   bool `json:"verified"`
		Recordings []struct {
			Signer   string `json:"signer"`
			LogIndex uint64 `json:"log_index"`
			Kind     string `json:"kind"`
		} `json:"recordings"`
	}
	if err := json.Unmarshal([]byte(out), &show); err != nil {
		t.Fatalf("show output: %v %s", err, out)
	}
	if !show.Recorded || !show.Verified || len(show.Recordings) != 2 || show.Recordings[0].Signer != "pharmacy1" || show.Recordings[1].Signer != "farm1" ||
		show.Recordings[0].LogIndex >= show.Recordings[1].LogIndex || show.Recordings[1].Kind != "public" {
		t.Fatalf("epcis show: %s", out)
	}
	text := n.must("epcis", "show", id)
	if !strings.Contains(text, "recorded by 2 participants  VERIFIED") || !strings.Contains(text, "  pharmacy1: public event") || !strings.Contains(text, "  farm1: public event") {
		t.Fatalf("epcis show (text): %s", text)
	}
	// The lot's history holds both participants' records.
	out = n.must("query", "history", "urn:epc:class:lgtin:6901234.000012.LOTP", "-o", "json")
	if strings.Count(out, `"pharmacy1"`) != 3 || strings.Count(out, `"farm1"`) != 3 {
		t.Fatalf("history: %s", out)
	}
}
