// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/traceledger/traceledger/client"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// TestEPCISDryRunLimits: issue 16, finding 8. `epcis import --dry-run`
// applies every limit the submission meets, with the chain's params read
// with a proof: a document whose first event is too large for a
// transaction fails the dry run with the code the import fails with (2
// tx_too_large, the same event named, the same exit code), a good one
// passes it and names the verified params, and with no node reachable the
// default params are applied and named.
func TestEPCISDryRunLimits(t *testing.T) {
	t.Setenv("TRACELEDGER_PASSPHRASE", "correct horse battery staple")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n := startTestNode(t, ctx, "epcis-dryrun")
	dir := t.TempDir()
	write := func(name, extraField string) string {
		doc := traceDoc("DRY"+name, 3, time.Now().Add(-time.Hour).Truncate(time.Second), "")
		if extraField != "" {
			doc = strings.Replace(doc, `"ex:grade"`, extraField+`, "ex:grade"`, 1)
		}
		p := filepath.Join(dir, name+".jsonld")
		if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	big := write("big", fmt.Sprintf(`"ex:note": %q`, strings.Repeat("x", 262144)))
	good := write("good", "")

	limitCode := func(err error) (tlv1.Code, int) {
		var le *client.LimitError
		var ie *client.ImportError
		if !errors.As(err, &le) || !errors.As(err, &ie) {
			t.Fatalf("want a limit refusal naming an event, got %v", err)
		}
		return le.Code, ie.Index
	}
	_, dryErr := n.cli("epcis", "import", big, "--dry-run", "--from", "farm1", "-o", "json")
	_, impErr := n.cli("epcis", "import", big, "--from", "farm1", "-o", "json")
	dc, di := limitCode(dryErr)
	ic, ii := limitCode(impErr)
	if dc != tlv1.CodeTxTooLarge || dc != ic || di != ii || exitCodeOf(dryErr) != exitCodeOf(impErr) {
		t.Fatalf("dry run: code %d event %d exit %d; import: code %d event %d exit %d", dc, di, exitCodeOf(dryErr), ic, ii, exitCodeOf(impErr))
	}

	var view struct {
		Events       int `json:"events"`
		Transactions int `json:"transactions"`
		Limits       struct {
			MaxTxBytes int64  `json:"max_tx_bytes"`
			Verified   bool   `json:"verified"`
			Source     string `json:"source"`
		} `json:"limits"`
	}
	out := n.must("epcis", "import", good, "--dry-run", "--from", "farm1", "-o", "json")
	if err := json.Unmarshal([]byte(out), &view); err != nil || view.Events != 3 || view.Transactions != 1 || !view.Limits.Verified ||
		!strings.Contains(view.Limits.Source, "verified") {
		t.Fatalf("dry run of a good document: %v %s", err, out)
	}
	offline, err := run(t, ctx, "epcis", "import", good, "--dry-run", "--from", "farm1", "-o", "json", "--home", n.home, "--node", "http://"+freePort(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(offline), &view); err != nil || view.Limits.Verified || !strings.Contains(view.Limits.Source, "default") ||
		view.Limits.MaxTxBytes != client.DefaultMaxTxBytes {
		t.Fatalf("dry run without a node: %v %s", err, offline)
	}
}
