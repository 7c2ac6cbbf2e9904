// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/traceledger/traceledger/epcis"
)

// TestOneLotOneHistory (issue 12): a lot recorded by `tx record` as an EPC
// class URI, by `epcis import` as a GS1 Digital Link on another domain,
// attested naming it as the canonical Digital Link and recalled naming it
// with a query string, has one history. Queried, exported, traced and
// proven by each spelling, every answer names the same canonical key and
// the same records, and no spelling reports an absence.
func TestOneLotOneHistory(t *testing.T) {
	t.Setenv("TRACELEDGER_PASSPHRASE", "correct horse battery staple")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	n := startTestNode(t, ctx, "one-lot")
	home, cli, must, eventually := n.home, n.cli, n.must, n.eventually

	urn := "urn:epc:class:lgtin:6901234.500012.LOT20261130A"
	canonical, ok := epcis.DigitalLink(urn)
	if !ok {
		t.Fatalf("%s has no Digital Link form", urn)
	}
	path := strings.TrimPrefix(canonical, "https://id.gs1.org")
	otherDomain := "https://qr.example.com" + path
	withQuery := "https://id.gs1.org" + path + "?linkType=gs1:pip"
	spellings := []string{urn, otherDomain, canonical, withQuery}

	// Nothing yet: every spelling is a verified absence of the same key
	// (printed, and exit code 4: answered, negative).
	for _, s := range spellings {
		var h historyJSON
		out, err := cli("query", "history", s, "-o", "json")
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != 4 {
			t.Fatalf("history of %s before any record: %v, want exit code 4", s, err)
		}
		if err := json.Unmarshal([]byte(out), &h); err != nil || !h.Absent || h.Subject != canonical {
			t.Fatalf("history of %s before any record: %v %+v, want absent under %s", s, err, h, canonical)
		}
	}

	harvest := []string{"tx", "record", "--from", "farm1", "--type", "harvest", "--payload-sha256", strings.Repeat("ab", 32), "--time", "2026-11-30T07:00:00+08:00", "-o", "json"}
	var rec struct {
		Already bool     `json:"already_recorded"`
		Indexes []uint64 `json:"log_indexes"`
	}
	if err := json.Unmarshal([]byte(must(append(harvest, "--subject", urn)...)), &rec); err != nil || rec.Already || len(rec.Indexes) != 1 {
		t.Fatalf("tx record: %v %+v", err, rec)
	}
	// A retry (here by another spelling of the lot) is answered with the
	// record, not recorded twice.
	first := rec.Indexes[0]
	if err := json.Unmarshal([]byte(must(append(harvest, "--subject", otherDomain)...)), &rec); err != nil || !rec.Already || len(rec.Indexes) != 1 || rec.Indexes[0] != first {
		t.Fatalf("retried tx record: %v %+v, want already recorded at %d", err, rec, first)
	}
	doc := filepath.Join(t.TempDir(), "pack.json")
	if err := os.WriteFile(doc, []byte(`{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
  "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-30T00:00:00Z",
  "epcisBody": {"eventList": [{"type": "ObjectEvent", "eventTime": "2026-11-30T08:00:00+08:00", "eventTimeZoneOffset": "+08:00",
    "quantityList": [{"epcClass": "`+otherDomain+`", "quantity": 1200, "uom": "KGM"}],
    "action": "OBSERVE", "bizStep": "packing", "readPoint": {"id": "urn:epc:id:sgln:6901234.00001.0"}}]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	eventually("epcis import", func() bool { _, err := cli("epcis", "import", doc, "--from", "farm1"); return err == nil })

	// A certifier, accredited by the department, attests the lot.
	lab, err := run(t, ctx, "keys", "add", "lab1", "--home", home, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var key struct {
		PublicKey string `json:"public_key"`
	}
	if err := json.Unmarshal([]byte(lab), &key); err != nil {
		t.Fatal(err)
	}
	must("tx", "participant", "register", "--from", "agri-admin", "--id", "lab1", "--name", "Provincial Lab", "--role", "certifier",
		"--credit-code", "91520100MA6DLG8R28", "--key", key.PublicKey)
	must("tx", "dept", "propose", "accredit", "--from", "agri-admin", "--certifier", "lab1", "--scheme", "gap",
		"--number", "CNAS-L1234", "--valid-from", "2026-01-01", "--valid-until", "2030-01-01")
	must("tx", "dept", "vote", "1", "yes", "--from", "agri-admin")
	eventually("accreditation", func() bool {
		out, _ := cli("query", "participant", "lab1")
		return strings.Contains(out, "CNAS-L1234")
	})
	must("tx", "attest", "issue", "--from", "lab1", "--scheme", "gap", "--standard", "GB/Z 26575", "--number", "GAP-7",
		"--enterprise", "farm1", "--lot", canonical, "--valid-from", "2026-01-01", "--valid-until", "2030-01-01", "--evidence-sha256", strings.Repeat("cd", 32))
	// The farm recalls it by a fourth spelling: the held evidence is found
	// in the one history.
	must("tx", "recall", "start", "R-7", "--from", "farm1", "--enterprise", "farm1", "--lot", withQuery, "--reason", "residue",
		"--hazard", "chlorpyrifos", "--level", "2", "--period-from", "2026-11-01", "--period-until", "2026-12-01")

	var want historyJSON
	eventually("four records", func() bool {
		out, err := cli("query", "history", urn, "-o", "json")
		return err == nil && json.Unmarshal([]byte(out), &want) == nil && len(want.Records) == 4
	})
	var kinds []string
	for _, r := range want.Records {
		kinds = append(kinds, r.Kind)
	}
	if !slices.Equal(kinds, []string{"event", "epcis_event", "attestation_issued", "recall"}) {
		t.Errorf("record kinds %v, want event, epcis_event, attestation_issued, recall", kinds)
	}
	for _, s := range spellings {
		var h historyJSON
		if err := json.Unmarshal([]byte(must("query", "history", s, "-o", "json")), &h); err != nil {
			t.Fatal(err)
		}
		if h.Absent || h.Subject != canonical || !slices.Equal(h.indexes(), want.indexes()) {
			t.Errorf("history of %s: subject %s absent %v records %v; want %s with %v", s, h.Subject, h.Absent, h.indexes(), canonical, want.indexes())
		}
		if out := must("trace", "certs", s); !strings.Contains(out, "lab1/GAP-7") {
			t.Errorf("trace certs %s misses the attestation: %s", s, out)
		}
		out := must("trace", "back", s, "--format", "json")
		var g struct {
			Absent  bool     `json:"absent"`
			Recalls []string `json:"recalls"`
		}
		if err := json.Unmarshal([]byte(out), &g); err != nil || g.Absent || len(g.Recalls) != 1 {
			t.Errorf("trace back %s: %v %s", s, err, out)
		}
		// The proof bundle of any spelling is the bundle of the canonical
		// key, with the same records, and it verifies.
		bundleFile := filepath.Join(t.TempDir(), "bundle.json")
		must("proof", "export", "--id", s, "--out", bundleFile)
		var b struct {
			Identifier string `json:"identifier"`
			Records    []struct {
				Index uint64 `json:"index"`
			} `json:"records"`
		}
		raw, err := os.ReadFile(bundleFile)
		if err != nil || json.Unmarshal(raw, &b) != nil {
			t.Fatalf("proof export --id %s: %v", s, err)
		}
		var bi []uint64
		for _, r := range b.Records {
			bi = append(bi, r.Index)
		}
		if b.Identifier != canonical || !slices.Equal(bi, want.indexes()) {
			t.Errorf("proof export --id %s: bundle of %s with records %v, want %s with %v", s, b.Identifier, bi, canonical, want.indexes())
		}
		if out, err := run(t, ctx, "verify", bundleFile, "--genesis", filepath.Join(home, "config", "genesis.json")); err != nil || !strings.Contains(out, "VERIFIED") {
			t.Errorf("verify the bundle of %s: %v %s", s, err, out)
		}
		exported := filepath.Join(t.TempDir(), "export.json")
		must("epcis", "export", "--id", s, "--out", exported)
		if raw, err := os.ReadFile(exported); err != nil || !strings.Contains(string(raw), `"packing"`) {
			t.Errorf("epcis export --id %s lacks the imported event: %v", s, err)
		}
	}
	// The same recall again, by yet another spelling, is the same recall.
	if _, err := cli("tx", "recall", "start", "R-7", "--from", "farm1", "--enterprise", "farm1", "--lot", otherDomain, "--reason", "residue",
		"--hazard", "chlorpyrifos", "--level", "2", "--period-from", "2026-11-01", "--period-until", "2026-12-01"); err == nil || !strings.Contains(err.Error(), "already recorded") {
		t.Errorf("a second recall R-7: %v", err)
	}

	// A national code that fails its structure check is refused before
	// anything is signed, as EPCIS import refuses it.
	var ee *exitError
	if _, err := cli("tx", "record", "--from", "farm1", "--subject", "urn:cn:eartag:123", "--type", "tagging", "--payload-sha256", strings.Repeat("ab", 32)); err == nil || !strings.Contains(err.Error(), "15 digits") || errors.As(err, &ee) && ee.code != 1 {
		t.Errorf("tx record of a malformed ear tag: %v, want an input error (exit 1)", err)
	}
}

// historyJSON is what `query history -o json` prints.
type historyJSON struct {
	Subject string `json:"subject"`
	Absent  bool   `json:"absent"`
	Records []struct {
		Index uint64 `json:"index"`
		Kind  string `json:"kind"`
	} `json:"records"`
}

func (h historyJSON) indexes() []uint64 {
	out := make([]uint64, len(h.Records))
	for i, r := range h.Records {
		out[i] = r.Index
	}
	return out
}
