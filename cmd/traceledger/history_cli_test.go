// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// TestCLIHistoryPages: a lot with 10,001 records (more than one unpaged
// answer carries; issue 16, finding 1) is shown whole by `query history`,
// page by page with --offset and --limit (every page verified, together
// the whole history), and a voluntary recall of it finds its held evidence.
func TestCLIHistoryPages(t *testing.T) {
	t.Setenv("TRACELEDGER_PASSPHRASE", "correct horse battery staple")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	n := startTestNode(t, ctx, "history-pages")
	cli, must, eventually := n.cli, n.must, n.eventually

	const count = tlv1.MaxHistoryRecords + 1
	lot := "urn:epc:class:lgtin:6901234.500012.FLOOD"
	var events []string
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < count; i++ {
		events = append(events, fmt.Sprintf(`{"type": "ObjectEvent", "eventTime": %q, "eventTimeZoneOffset": "+00:00",
 "quantityList": [{"epcClass": %q, "quantity": 1, "uom": "KGM"}], "action": "OBSERVE", "bizStep": "inspecting"}`,
			start.Add(time.Duration(i)*time.Second).Format(time.RFC3339), lot))
	}
	doc := filepath.Join(t.TempDir(), "flood.json")
	if err := os.WriteFile(doc, []byte(`{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
  "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2025-01-02T00:00:00Z",
  "epcisBody": {"eventList": [`+strings.Join(events, ",\n")+`]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	eventually("epcis import", func() bool { _, err := cli("epcis", "import", doc, "--from", "farm1", "--hashed"); return err == nil })

	type page struct {
		Subject string `json:"subject"`
		Offset  uint64 `json:"offset"`
		Count   uint64 `json:"count"`
		Records []struct {
			Index uint64 `json:"index"`
		} `json:"records"`
		Verified bool `json:"verified"`
	}
	var whole page
	if err := json.Unmarshal([]byte(must("query", "history", lot, "-o", "json")), &whole); err != nil || !whole.Verified || len(whole.Records) != count {
		t.Fatalf("query history of %d records: %v, %d records", count, err, len(whole.Records))
	}
	var want, got []uint64
	for _, r := range whole.Records {
		want = append(want, r.Index)
	}
	for off := 0; off < count; off += tlv1.MaxHistoryPage {
		var p page
		if err := json.Unmarshal([]byte(must("query", "history", lot, "--offset", fmt.Sprint(off), "--limit", fmt.Sprint(tlv1.MaxHistoryPage), "-o", "json")), &p); err != nil {
			t.Fatal(err)
		}
		if !p.Verified || p.Offset != uint64(off) || p.Count != count {
			t.Fatalf("page at %d: %+v", off, p)
		}
		for _, r := range p.Records {
			got = append(got, r.Index)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("pages gave %d records, the whole history %d, or another order", len(got), len(want))
	}
	var newest page
	if err := json.Unmarshal([]byte(must("query", "history", lot, "--limit", "3", "-o", "json")), &newest); err != nil ||
		newest.Offset != count-3 || len(newest.Records) != 3 || newest.Records[2].Index != want[count-1] {
		t.Fatalf("newest page: %v %+v", err, newest)
	}
	out := must("query", "history", lot, "--offset", "5", "--limit", "2")
	for _, s := range []string{"records 5 to 6 of 10001", "older: --offset 3 --limit 2", "newer: --offset 7 --limit 2", "verified at state height"} {
		if !strings.Contains(out, s) {
			t.Fatalf("text page lacks %q:\n%s", s, out)
		}
	}
	if out, err := cli("query", "history", lot, "--offset", fmt.Sprint(count+1), "--limit", "2"); err == nil {
		t.Fatalf("a page beyond the history was shown: %s", out)
	}

	// The farm recalls the lot: its held evidence is found in the paged
	// history.
	must("tx", "recall", "start", "R-FLOOD", "--from", "farm1", "--enterprise", "farm1", "--lot", lot, "--reason", "residue",
		"--hazard", "chlorpyrifos", "--level", "2", "--period-from", "2025-01-01", "--period-until", "2025-02-01")
	eventually("the recall in the history", func() bool {
		var p page
		out, err := cli("query", "history", lot, "--limit", "1", "-o", "json")
		return err == nil && json.Unmarshal([]byte(out), &p) == nil && p.Count == count+1
	})
}
