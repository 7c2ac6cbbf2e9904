// SPDX-License-Identifier: Apache-2.0

package client_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/epcis"
	"github.com/traceledger/traceledger/genesis"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// planDoc is an EPCIS document of n ObjectEvents at time at, the first
// carrying an extension of pad bytes.
func planDoc(lot string, n int, at time.Time, pad int) []byte {
	var evs []string
	for i := 0; i < n; i++ {
		ext := ""
		if i == 0 && pad > 0 {
			ext = fmt.Sprintf(`, "ex:note": %q`, strings.Repeat("x", pad))
		}
		evs = append(evs, fmt.Sprintf(`{"type": "ObjectEvent", "eventTime": %q, "eventTimeZoneOffset": "+08:00",
  "epcList": ["urn:epc:id:sgtin:6901234.000012.%s-%d"], "action": "ADD", "bizStep": "commissioning"%s}`,
			at.Add(time.Duration(i)*time.Second).UTC().Format(time.RFC3339), lot, i, ext))
	}
	return []byte(`{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"ex": "https://ns.example.com/farm/"}],
  "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-01T00:00:00Z",
  "epcisBody": {"eventList": [` + strings.Join(evs, ",") + `]}}`)
}

// codeOf is the network code a refusal carries: a *LimitError's (found
// before submitting) or a *TxError's (the network's).
func codeOf(err error) tlv1.Code {
	var le *client.LimitError
	if errors.As(err, &le) {
		return le.Code
	}
	var te *client.TxError
	if errors.As(err, &te) {
		return tlv1.Code(te.Code)
	}
	return tlv1.CodeOK
}

// TestPlanImportLimits: issue 16, finding 8 (`epcis import --dry-run`
// passed an event the import then refused as too large). PlanImport
// applies the limits the submission meets, read with a proof from the
// chain's params: a document that an import refuses is refused by the
// plan with the same code (an event too large for a transaction: 2; an
// event too far in the future: the block refuses it with 18), and a good
// document is planned in the transactions the import then uses.
func TestPlanImportLimits(t *testing.T) {
	def := genesis.DefaultParams()
	if lim := client.DefaultImportLimits(""); lim.MaxTxBytes != def.MaxTxBytes || lim.MaxMsgsPerTx != def.MaxMsgsPerTx ||
		lim.MaxEventFutureSkew != time.Duration(def.MaxEventFutureSkewSeconds)*time.Second {
		t.Fatalf("client defaults %+v differ from genesis defaults %+v", lim, def)
	}
	nodeURL, doc, farm := startNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := client.New(nodeURL, doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitForHeight(ctx, 1); err != nil {
		t.Fatal(err)
	}
	lim, err := c.ImportLimits(ctx)
	if err != nil || !lim.Verified || lim.MaxTxBytes != def.MaxTxBytes || lim.ChainID != doc.ChainID || lim.Proven.Header == nil {
		t.Fatalf("verified limits: %+v %v", lim, err)
	}
	now := time.Now()
	cases := []struct {
		name string
		doc  []byte
		code tlv1.Code // 0: both pass
	}{
		{"good", planDoc("PLAN1", 3, now.Add(-time.Hour), 0), tlv1.CodeOK},
		{"event too large for a transaction", planDoc("PLAN2", 3, now.Add(-time.Hour), int(def.MaxTxBytes)), tlv1.CodeTxTooLarge},
		{"event in the future", planDoc("PLAN3", 2, now.Add(time.Hour), 0), tlv1.CodeEventInFuture},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			events, err := client.PrepareImport(tc.doc, epcis.FormatAuto, client.ImportPublic)
			if err != nil {
				t.Fatalf("prepare: %v", err)
			}
			plan, perr := client.PlanImport(events, 0, lim, time.Now())
			if got := codeOf(perr); got != tc.code {
				t.Fatalf("plan: code %d (%v), want %d", got, perr, tc.code)
			}
			res, ierr := c.Import(ctx, events, client.ImportOptions{Signer: client.Signer{Key: farm}})
			if got := codeOf(ierr); got != tc.code {
				t.Fatalf("import: code %d (%v), want %d", got, ierr, tc.code)
			}
			var pe, ie *client.ImportError
			if tc.code != tlv1.CodeOK && (!errors.As(perr, &pe) || !errors.As(ierr, &ie) || pe.Index != ie.Index) {
				t.Errorf("plan and import name different events: %v / %v", perr, ierr)
			}
			if tc.code == tlv1.CodeOK && (len(plan.Batches) != len(res.Txs) || plan.TxBytes[0] > int(lim.MaxTxBytes)) {
				t.Errorf("plan %+v, import %d transactions", plan, len(res.Txs))
			}
		})
	}
}
