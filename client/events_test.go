// SPDX-License-Identifier: Apache-2.0

package client

import (
	"slices"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

func TestRecordIndexes(t *testing.T) {
	if tlv1.EventRecord != "traceledger.record" || tlv1.EventRecords != "traceledger.records" {
		t.Fatalf("the app's record event types changed (%q, %q); update RecordIndexes", tlv1.EventRecord, tlv1.EventRecords)
	}
	rec := func(index string) abci.Event {
		return abci.Event{Type: tlv1.EventRecord, Attributes: []abci.EventAttribute{{Key: "kind", Value: "record_event"}, {Key: "index", Value: index}, {Key: "subject", Value: "urn:x"}}}
	}
	rng := func(first, count string) abci.Event {
		return abci.Event{Type: tlv1.EventRecords, Attributes: []abci.EventAttribute{{Key: "kind", Value: "record_event_batch"}, {Key: "first_index", Value: first}, {Key: "count", Value: count}}}
	}
	for _, tc := range []struct {
		name   string
		events []abci.Event
		want   []uint64
	}{
		{"none", nil, nil},
		{"one record", []abci.Event{rec("7")}, []uint64{7}},
		{"two messages", []abci.Event{rec("7"), rec("8")}, []uint64{7, 8}},
		{"a batch", []abci.Event{rng("10", "3")}, []uint64{10, 11, 12}},
		{"record then batch", []abci.Event{rec("9"), rng("10", "2")}, []uint64{9, 10, 11}},
		{"other events ignored", []abci.Event{{Type: "message", Attributes: []abci.EventAttribute{{Key: "index", Value: "1"}}}, rec("2")}, []uint64{2}},
		{"bad index skipped", []abci.Event{rec("x"), rec("3")}, []uint64{3}},
		{"range without count skipped", []abci.Event{{Type: tlv1.EventRecords, Attributes: []abci.EventAttribute{{Key: "first_index", Value: "1"}}}}, nil},
		{"absurd range skipped", []abci.Event{rng("0", "99999999999")}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := RecordIndexes(tc.events); !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}
