// SPDX-License-Identifier: Apache-2.0

package epcisrest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/traceledger/traceledger/api/epcisrest"
	"github.com/traceledger/traceledger/epcis"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// epcOf is the EPC of a test's lot.
func epcOf(lot string) string { return "urn:epc:id:sgtin:6901234.500012." + lot }

// event is one ObjectEvent of lot, i hours before now; bad makes its
// eventTime malformed.
func event(lot string, i int, bizStep string, bad bool) map[string]any {
	when := time.Now().Add(-time.Duration(10-i) * time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)
	if bad {
		when = "yesterday"
	}
	return map[string]any{
		"type": "ObjectEvent", "eventTime": when, "eventTimeZoneOffset": "+08:00",
		"epcList": []string{epcOf(lot)}, "action": "OBSERVE", "bizStep": bizStep,
		"readPoint": map[string]string{"id": "urn:epc:id:sgln:6901234.00001.0"},
	}
}

// document is an EPCISDocument of events.
func document(t *testing.T, events ...map[string]any) []byte {
	t.Helper()
	doc := map[string]any{
		"@context": []any{epcis.EPCISContextURL}, "type": "EPCISDocument", "schemaVersion": "2.0",
		"creationDate": time.Now().UTC().Format(time.RFC3339), "epcisBody": map[string]any{"eventList": events},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// threeEvents is a valid document of three events of lot.
func threeEvents(t *testing.T, lot string) []byte {
	return document(t, event(lot, 0, "commissioning", false), event(lot, 1, "packing", false), event(lot, 2, "shipping", false))
}

func hashes(t *testing.T, doc []byte) []string {
	t.Helper()
	ids, err := epcis.HashDocument(bytes.NewReader(doc), epcis.FormatJSON)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestCaptureAndQuery: a document of three events is captured (202, job
// success with every log index), then queried back from the ledger: by
// identifier, by event ID, by type and time window, page by page, each
// event re-hashing to its eventID and carrying its proof.
func TestCaptureAndQuery(t *testing.T) {
	g := newGateway(t, epcisrest.Options{})
	lot := "Q1"
	doc := threeEvents(t, lot)
	validateSchema(t, "the captured document", doc)
	want := hashes(t, doc)
	loc := g.capture(g.farm, doc, epcisrest.HeaderCaptureMode, "public")
	j := g.wait(g.farm, loc)
	if !j.Success || len(j.Errors) != 0 || len(j.Recorded) != 3 || j.CaptureErrorBehaviour != "rollback" || j.Participant != "farm" {
		t.Fatalf("job: %+v", j)
	}
	for i, r := range j.Recorded {
		if r.EventIndex != i || r.EventID != want[i] || r.Height <= 0 {
			t.Fatalf("recorded %d: %+v", i, r)
		}
		ve, _, err := fx.c.Event(t.Context(), want[i])
		if rc := ve.By("farm"); err != nil || rc == nil || rc.Index != r.LogIndex || len(ve.Recordings) != 1 {
			t.Fatalf("event %d on the ledger: %v %+v, job says log index %d", i, err, ve, r.LogIndex)
		}
	}

	// By identifier, in ledger order, with the proofs.
	d, r := g.query("/epcis/events?MATCH_anyEPC="+url.QueryEscape(epcOf(lot)), nil)
	if got := d.eventIDs(); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	if r.header.Get("GS1-EPCIS-Version") == "" || !strings.Contains(r.header.Get("Link"), "/v1/history/") {
		t.Fatalf("headers: %v", r.header)
	}
	rehash(t, r.body, want)
	if len(d.Ledger.Events) != 3 || len(d.Ledger.Histories) != 1 || d.Ledger.Histories[0].Count != 3 {
		t.Fatalf("proofs: %+v", d.Ledger)
	}
	for i, p := range d.Ledger.Events {
		if p.EventID != want[i] || p.LogIndex != j.Recorded[i].LogIndex || !p.InEventList || p.Kind != "public" || p.State.HeaderHeight != p.State.Height+1 || p.Signer != "farm" {
			t.Fatalf("proof %d: %+v", i, p)
		}
	}

	// Filters.
	cases := []struct {
		name, query string
		want        []string
	}{
		{"MATCH_epc", "MATCH_epc=" + url.QueryEscape(epcOf(lot)), want},
		{"MATCH_epc as a Digital Link", "MATCH_epc=" + url.QueryEscape(otherDomain(t, epcOf(lot))), want},
		{"MATCH_epcClass", "MATCH_epcClass=" + url.QueryEscape(epcOf(lot)), nil},
		{"bizStep", "MATCH_anyEPC=" + url.QueryEscape(epcOf(lot)) + "&EQ_bizStep=packing", want[1:2]},
		{"bizStep URN", "MATCH_anyEPC=" + url.QueryEscape(epcOf(lot)) + "&EQ_bizStep=" + url.QueryEscape("urn:epcglobal:cbv:bizstep:shipping|packing"), want[1:3]},
		{"eventType", "MATCH_anyEPC=" + url.QueryEscape(epcOf(lot)) + "&eventType=AggregationEvent", nil},
		{"time window", "MATCH_anyEPC=" + url.QueryEscape(epcOf(lot)) + "&GE_eventTime=" + url.QueryEscape(time.Now().Add(-9*time.Hour-30*time.Minute).Format(time.RFC3339)), want[1:]},
		{"LT_eventTime", "MATCH_anyEPC=" + url.QueryEscape(epcOf(lot)) + "&LT_eventTime=" + url.QueryEscape(time.Now().Add(-9*time.Hour-30*time.Minute).Format(time.RFC3339)), want[:1]},
		{"orderBy DESC, first", "MATCH_anyEPC=" + url.QueryEscape(epcOf(lot)) + "&orderBy=eventTime&eventCountLimit=1", want[2:]},
		{"EQ_eventID", "EQ_eventID=" + url.QueryEscape(want[1]), want[1:2]},
		{"EQ_action", "MATCH_anyEPC=" + url.QueryEscape(epcOf(lot)) + "&EQ_action=ADD", nil},
		{"readPoint", "MATCH_anyEPC=" + url.QueryEscape(epcOf(lot)) + "&EQ_readPoint=" + url.QueryEscape("urn:epc:id:sgln:6901234.00001.0"), want},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, _ := g.query("/epcis/events?"+tc.query, nil)
			if got := d.eventIDs(); !slices.Equal(got, tc.want) {
				t.Fatalf("%s: %v, want %v", tc.query, got, tc.want)
			}
		})
	}

	// Browse routes.
	d, _ = g.query("/epcis/epcs/"+url.PathEscape(epcOf(lot))+"/events", nil)
	if !slices.Equal(d.eventIDs(), want) {
		t.Fatalf("epcs/{epc}/events: %v", d.eventIDs())
	}
	d, _ = g.query("/epcis/events/"+url.PathEscape(want[2]), nil)
	if !slices.Equal(d.eventIDs(), want[2:]) || len(d.Ledger.Events) != 1 || d.Ledger.Events[0].LogIndex != j.Recorded[2].LogIndex {
		t.Fatalf("events/{id}: %v %+v", d.eventIDs(), d.Ledger)
	}
	r = g.do(http.MethodGet, "/epcis/eventTypes", nil, nil)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), "TransformationEvent") {
		t.Fatalf("eventTypes: %d %s", r.status, r.body)
	}

	// Pages of two: Link rel="next", then the last page without one.
	d, r = g.query("/epcis/events?perPage=2&MATCH_anyEPC="+url.QueryEscape(epcOf(lot)), nil)
	next := nextLink(t, r.header)
	if !slices.Equal(d.eventIDs(), want[:2]) || next == "" {
		t.Fatalf("page 1: %v, next %q", d.eventIDs(), next)
	}
	d, r = g.query(next, nil)
	if !slices.Equal(d.eventIDs(), want[2:]) || nextLink(t, r.header) != "" {
		t.Fatalf("page 2: %v, %v", d.eventIDs(), r.header)
	}
	// A tampered token, or one of another query, is refused.
	u, _ := url.Parse(next)
	q := u.Query()
	tok := q.Get("nextPageToken")
	q.Set("nextPageToken", "0"+tok[1:])
	bad := []string{"/epcis/events?" + q.Encode()}
	q.Set("nextPageToken", tok)
	q.Set("EQ_bizStep", "shipping")
	bad = append(bad, "/epcis/events?"+q.Encode())
	for _, b := range bad {
		if r := g.do(http.MethodGet, b, nil, nil); r.status != http.StatusBadRequest || r.problem(t).Field != "nextPageToken" {
			t.Fatalf("tampered page token %s: %d %s", b, r.status, r.body)
		}
	}
}

// nextLink is the rel="next" target of a Link header, or "".
func nextLink(t *testing.T, h http.Header) string {
	t.Helper()
	for _, l := range h.Values("Link") {
		if strings.HasSuffix(l, `rel="next"`) {
			return strings.SplitN(l, ">", 2)[0][1:]
		}
	}
	return ""
}

// otherDomain spells an identifier as a Digital Link on another domain.
func otherDomain(t *testing.T, id string) string {
	t.Helper()
	c, err := epcis.CanonicalIdentifier(id)
	if err != nil || !strings.HasPrefix(c, "https://id.gs1.org/") {
		t.Fatalf("canonical %q: %v", c, err)
	}
	return "https://example.com/" + strings.TrimPrefix(c, "https://id.gs1.org/")
}

// rehash checks that the events of an answer re-hash to want.
func rehash(t *testing.T, body []byte, want []string) {
	t.Helper()
	got, err := epcis.HashDocument(bytes.NewReader(body), epcis.FormatJSON)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("the answer's events re-hash to %v (%v), want %v", got, err, want)
	}
}

// TestQueryParameters: conflicting, unknown and malformed parameters are
// QueryParameterExceptions; a query naming no identifier is too complex.
func TestQueryParameters(t *testing.T) {
	g := newGateway(t, epcisrest.Options{})
	epc := url.QueryEscape(epcOf("P1"))
	cases := []struct {
		query  string
		status int
		typ    string
		field  string
	}{
		{"MATCH_anyEPC=" + epc + "&eventCountLimit=1&maxEventCount=2&orderBy=eventTime", 400, "epcisException:QueryParameterException", "eventCountLimit"},
		{"MATCH_anyEPC=" + epc + "&eventCountLimit=1", 400, "epcisException:QueryParameterException", "eventCountLimit"},
		{"MATCH_anyEPC=" + epc + "&EQ_quantity=3", 400, "epcisException:QueryParameterException", "EQ_quantity"},
		{"MATCH_anyEPC=" + epc + "&orderDirection=UP", 400, "epcisException:QueryParameterException", "orderDirection"},
		{"MATCH_anyEPC=" + epc + "&GE_eventTime=yesterday", 400, "epcisException:QueryParameterException", "GE_eventTime"},
		{"MATCH_anyEPC=not-a-uri", 400, "epcisException:QueryParameterException", "MATCH_anyEPC"},
		{"eventType=ObjectEvent", 413, "epcisException:QueryTooComplexException", "MATCH_anyEPC"},
		{"EQ_eventID=abc", 400, "epcisException:QueryParameterException", "EQ_eventID"},
	}
	for _, tc := range cases {
		r := g.do(http.MethodGet, "/epcis/events?"+tc.query, nil, nil)
		if r.status != tc.status {
			t.Fatalf("%s: %d %s", tc.query, r.status, r.body)
		}
		if p := r.problem(t); p.Type != tc.typ || p.Field != tc.field {
			t.Fatalf("%s: %+v", tc.query, p)
		}
	}
	r := g.do(http.MethodGet, "/epcis/events/"+url.PathEscape(epcis.HashIDFromDigest([32]byte{1})), nil, nil)
	if r.status != http.StatusNotFound || r.problem(t).Type != "epcisException:NoSuchResourceException" {
		t.Fatalf("unknown event: %d %s", r.status, r.body)
	}
}

// TestCaptureRollback: one bad event in the middle of a document under
// rollback (the default) records nothing, and the job names the event and
// the field.
func TestCaptureRollback(t *testing.T) {
	g := newGateway(t, epcisrest.Options{})
	lot := "RB1"
	doc := document(t, event(lot, 0, "commissioning", false), event(lot, 1, "packing", true), event(lot, 2, "shipping", false))
	j := g.wait(g.farm, g.capture(g.farm, doc))
	if j.Success || len(j.Recorded) != 0 || len(j.Errors) != 1 {
		t.Fatalf("job: %+v", j)
	}
	e := j.Errors[0]
	if e.EventIndex == nil || *e.EventIndex != 1 || e.Field != "eventTime" || e.Type != "epcisException:ValidationException" || e.Name != tlv1.CodeEPCISInvalidEvent.String() {
		t.Fatalf("error: %+v", e)
	}
	ids := good(t, doc)
	for _, id := range ids {
		if ve, _, err := fx.c.Event(t.Context(), id); err != nil || ve != nil {
			t.Fatalf("event %s recorded under rollback: %v %+v", id, err, ve)
		}
	}
}

// good hashes the valid events of doc (those that hash).
func good(t *testing.T, doc []byte) []string {
	t.Helper()
	var d struct {
		Body struct {
			List []json.RawMessage `json:"eventList"`
		} `json:"epcisBody"`
	}
	json.Unmarshal(doc, &d)
	var out []string
	for _, e := range d.Body.List {
		one := fmt.Appendf(nil, `{"@context":[%q],"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2026-01-01T00:00:00Z","epcisBody":{"eventList":[%s]}}`, epcis.EPCISContextURL, e)
		if ids, err := epcis.HashDocument(bytes.NewReader(one), epcis.FormatJSON); err == nil {
			out = append(out, ids...)
		}
	}
	return out
}

// TestCaptureProceed: with proceed, the good events are recorded and the
// bad one is reported; a repeated capture then reports the recorded
// events as duplicates (409 problems), and under rollback records nothing.
func TestCaptureProceed(t *testing.T) {
	g := newGateway(t, epcisrest.Options{})
	lot := "PR1"
	doc := document(t, event(lot, 0, "commissioning", false), event(lot, 1, "packing", true), event(lot, 2, "shipping", false))
	j := g.wait(g.farm, g.capture(g.farm, doc, epcisrest.HeaderErrorBehaviour, "proceed"))
	ids := good(t, doc)
	if j.Success || j.CaptureErrorBehaviour != "proceed" || len(j.Errors) != 1 || *j.Errors[0].EventIndex != 1 || len(j.Recorded) != 2 {
		t.Fatalf("job: %+v", j)
	}
	if j.Recorded[0].EventIndex != 0 || j.Recorded[1].EventIndex != 2 || j.Recorded[0].EventID != ids[0] || j.Recorded[1].EventID != ids[1] {
		t.Fatalf("recorded: %+v", j.Recorded)
	}
	// Hashed by default: the public sees the hash records, the farm the
	// full events (from the gateway's store), the mill only hash records.
	path := "/epcis/events?MATCH_anyEPC=" + url.QueryEscape(epcOf(lot))
	d, _ := g.query(path, nil)
	if len(d.eventIDs()) != 0 || len(d.Ledger.Events) != 2 || d.Ledger.Events[0].Kind != "hashed" || d.Ledger.Events[0].InEventList || d.Ledger.Events[0].Index == nil {
		t.Fatalf("public view of hashed events: %v %+v", d.eventIDs(), d.Ledger)
	}
	d, r := g.query(path, bearer(g.farm))
	if !slices.Equal(d.eventIDs(), ids) || !d.Ledger.Events[0].InEventList {
		t.Fatalf("the farm's view: %v %+v", d.eventIDs(), d.Ledger)
	}
	rehash(t, r.body, ids)
	if d, _ := g.query(path, bearer(g.mill)); len(d.eventIDs()) != 0 {
		t.Fatalf("the mill sees the farm's payloads: %v", d.eventIDs())
	}
	// The same document again: the recorded events are duplicates.
	j = g.wait(g.farm, g.capture(g.farm, doc))
	if j.Success || len(j.Recorded) != 0 || len(j.Errors) != 3 {
		t.Fatalf("second capture: %+v", j)
	}
	dup := j.Errors[0]
	if dup.Type != "epcisException:ResourceAlreadyExistsException" || dup.Status != http.StatusConflict || dup.ExistingIndex == nil || *dup.ExistingIndex != j2(t, ids[0]) {
		t.Fatalf("duplicate: %+v", dup)
	}
}

// j2 is the log index of a recorded event.
func j2(t *testing.T, id string) uint64 {
	t.Helper()
	ve, _, err := fx.c.Event(t.Context(), id)
	if err != nil || ve == nil {
		t.Fatalf("event %s: %v", id, err)
	}
	return ve.Recordings[0].Index
}

// TestCaptureEvent: POST /events records one event (201, Location), and
// the same event again is 409.
func TestCaptureEvent(t *testing.T) {
	g := newGateway(t, epcisrest.Options{})
	ev := event("EV1", 0, "receiving", false)
	ev["@context"] = []any{epcis.EPCISContextURL}
	body, _ := json.Marshal(ev)
	r := g.do(http.MethodPost, "/epcis/events", body, bearer(g.farm, epcisrest.HeaderCaptureMode, "public"))
	if r.status != http.StatusCreated {
		t.Fatalf("POST /events: %d %s", r.status, r.body)
	}
	ids, _ := epcis.HashDocument(bytes.NewReader(body), epcis.FormatJSON)
	if loc := r.header.Get("Location"); loc != "/epcis/events/"+url.PathEscape(ids[0]) {
		t.Fatalf("Location %q", loc)
	}
	d, _ := g.query(r.header.Get("Location"), nil)
	if !slices.Equal(d.eventIDs(), ids) {
		t.Fatalf("GET Location: %v", d.eventIDs())
	}
	r = g.do(http.MethodPost, "/epcis/events", body, bearer(g.farm))
	if r.status != http.StatusConflict {
		t.Fatalf("again: %d %s", r.status, r.body)
	}
	if p := r.problem(t); p.Type != "epcisException:ResourceAlreadyExistsException" || p.ExistingIndex == nil || *p.ExistingIndex != j2(t, ids[0]) {
		t.Fatalf("409: %+v", p)
	}
	// A bad event is 400 naming the field; nothing is recorded.
	ev["action"] = "JUMP"
	body, _ = json.Marshal(ev)
	r = g.do(http.MethodPost, "/epcis/events", body, bearer(g.farm))
	if p := r.problem(t); r.status != http.StatusBadRequest || p.Field != "action" || p.Type != "epcisException:ValidationException" {
		t.Fatalf("bad event: %d %s", r.status, r.body)
	}
}

// TestCaptureLimits: OPTIONS announces the limits; a body or an event
// count beyond them is 413 with the limits; a malformed document is 400
// with its position; a wrong media type 415.
func TestCaptureLimits(t *testing.T) {
	g := newGateway(t, epcisrest.Options{CaptureLimit: 2, CaptureFileSizeLimit: 2000})
	r := g.do(http.MethodOptions, "/epcis/capture", nil, nil)
	if r.status != http.StatusNoContent || r.header.Get("GS1-EPCIS-Capture-Limit") != "2" || r.header.Get("GS1-EPCIS-Capture-File-Size-Limit") != "2000" ||
		r.header.Get("GS1-Capture-Error-Behaviour") != "all" {
		t.Fatalf("OPTIONS: %d %v", r.status, r.header)
	}
	big := document(t, event("L1", 0, "a", false), event("L1", 1, "b", false), event("L1", 2, "c", false))
	r = g.do(http.MethodPost, "/epcis/capture", big, bearer(g.farm))
	if p := r.problem(t); r.status != http.StatusRequestEntityTooLarge || p.Type != "epcisException:CaptureLimitExceededException" || r.header.Get("GS1-EPCIS-Capture-Limit") != "2" {
		t.Fatalf("3 events: %d %s", r.status, r.body)
	}
	huge := append(bytes.Repeat([]byte(" "), 2100), big...)
	r = g.do(http.MethodPost, "/epcis/capture", huge, bearer(g.farm))
	if p := r.problem(t); r.status != http.StatusRequestEntityTooLarge || p.Type != "epcisException:CaptureLimitExceededException" {
		t.Fatalf("2,100 bytes: %d %s", r.status, r.body)
	}
	r = g.do(http.MethodPost, "/epcis/events", huge, bearer(g.farm))
	if r.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("POST /events of 2,100 bytes: %d %s", r.status, r.body)
	}
	r = g.do(http.MethodPost, "/epcis/capture", []byte(`{"type":"EPCISDocument","epcisBody":{"eventList":[{"type":`), bearer(g.farm))
	if p := r.problem(t); r.status != http.StatusBadRequest || p.Type != "epcisException:ValidationException" || !strings.Contains(p.Field, "body") {
		t.Fatalf("malformed: %d %s", r.status, r.body)
	}
	r = g.do(http.MethodPost, "/epcis/capture", big, bearer(g.farm, "Content-Type", "text/csv"))
	if r.status != http.StatusUnsupportedMediaType {
		t.Fatalf("text/csv: %d %s", r.status, r.body)
	}
}

// TestCaptureAuth: no token or an unknown one is 401; a token cannot act
// as another participant, sign with a key the ledger does not register to
// its participant, nor read another participant's job (403).
func TestCaptureAuth(t *testing.T) {
	g := newGateway(t, epcisrest.Options{})
	doc := threeEvents(t, "AU1")
	cases := []struct {
		name   string
		hdr    map[string]string
		status int
		code   tlv1.Code
	}{
		{"no token", map[string]string{"Content-Type": "application/json"}, 401, tlv1.CodeAPIUnauthenticated},
		{"unknown token", bearer(epcisrest.TokenPrefix + "AAAA"), 401, tlv1.CodeAPIUnauthenticated},
		{"basic auth", map[string]string{"Authorization": "Basic Zm9vOmJhcg=="}, 401, tlv1.CodeAPIUnauthenticated},
		{"farm's token as mill", bearer(g.farm, epcisrest.HeaderParticipant, "mill"), 403, tlv1.CodeAPIForbidden},
		{"a key not the farm's", bearer(g.stray), 403, tlv1.CodeAPIForbidden},
	}
	for _, tc := range cases {
		for _, path := range []string{"/epcis/capture", "/epcis/events"} {
			r := g.do(http.MethodPost, path, doc, tc.hdr)
			if r.status != tc.status {
				t.Fatalf("%s %s: %d %s", tc.name, path, r.status, r.body)
			}
			if p := r.problem(t); p.Type != "epcisException:SecurityException" || p.Code != uint32(tc.code) {
				t.Fatalf("%s: %+v", tc.name, p)
			}
			if tc.status == 401 && r.header.Get("WWW-Authenticate") == "" {
				t.Fatalf("%s: 401 without WWW-Authenticate", tc.name)
			}
		}
	}
	loc := g.capture(g.farm, doc)
	g.wait(g.farm, loc)
	if r := g.do(http.MethodGet, loc, nil, bearer(g.mill)); r.status != http.StatusForbidden {
		t.Fatalf("the mill reads the farm's job: %d %s", r.status, r.body)
	}
	if r := g.do(http.MethodGet, loc, nil, nil); r.status != http.StatusUnauthorized {
		t.Fatalf("job without a token: %d", r.status)
	}
	// The mill's list holds none of the farm's jobs; the farm's holds it.
	var list []epcisrest.Job
	r := g.do(http.MethodGet, "/epcis/capture", nil, bearer(g.mill))
	if json.Unmarshal(r.body, &list); r.status != http.StatusOK || len(list) != 0 {
		t.Fatalf("mill's jobs: %d %s", r.status, r.body)
	}
	r = g.do(http.MethodGet, "/epcis/capture", nil, bearer(g.farm))
	if json.Unmarshal(r.body, &list); r.status != http.StatusOK || len(list) != 1 || "/epcis/capture/"+list[0].CaptureID != loc {
		t.Fatalf("farm's jobs: %d %s", r.status, r.body)
	}
	// A revoked token stops working at once.
	toks, _ := epcisrest.OpenTokens(g.home)
	if _, err := toks.Revoke("farm-erp"); err != nil {
		t.Fatal(err)
	}
	if r := g.do(http.MethodGet, loc, nil, bearer(g.farm)); r.status != http.StatusUnauthorized {
		t.Fatalf("revoked token: %d", r.status)
	}
}

// TestJobsSurviveRestart: a job acknowledged (202) by a gateway that stops
// before running it is run by the next gateway on the same home, and a
// finished job is still reported after a restart.
func TestJobsSurviveRestart(t *testing.T) {
	home, farm, _, _ := newHome(t)
	g1 := startGateway(t, home, epcisrest.Options{}, false) // acknowledges, never runs
	doc := threeEvents(t, "RS1")
	loc := g1.capture(farm, doc, epcisrest.HeaderCaptureMode, "public")
	if j := g1.job(farm, loc); !j.Running || len(j.Recorded) != 0 {
		t.Fatalf("job before the restart: %+v", j)
	}
	g1.cancel()
	g2 := startGateway(t, home, epcisrest.Options{}, true)
	j := g2.wait(farm, loc)
	if !j.Success || len(j.Recorded) != 3 {
		t.Fatalf("job after the restart: %+v", j)
	}
	g3 := startGateway(t, home, epcisrest.Options{}, false)
	if j3 := g3.job(farm, loc); j3.Running || !j3.Success || len(j3.Recorded) != 3 || j3.Recorded[2].LogIndex != j.Recorded[2].LogIndex {
		t.Fatalf("finished job after another restart: %+v", j3)
	}
}

// TestLaterBatchRefused: events the gateway cannot check (an event time
// the ledger finds too far after its block time) are refused by the
// ledger batch by batch. Under rollback the job stops there and reports
// exactly the events earlier batches recorded; under proceed the refused
// event is taken out and the rest of its batch recorded.
func TestLaterBatchRefused(t *testing.T) {
	g := newGateway(t, epcisrest.Options{MaxBatch: 2})
	future := func(lot string) map[string]any {
		e := event(lot, 0, "shipping", false)
		e["eventTime"] = time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339)
		return e
	}
	for _, tc := range []struct {
		behaviour string
		recorded  []int
	}{
		{"rollback", []int{0, 1}},
		{"proceed", []int{0, 1, 2, 4}},
	} {
		t.Run(tc.behaviour, func(t *testing.T) {
			lot := "LB" + tc.behaviour
			doc := document(t, event(lot, 0, "commissioning", false), event(lot, 1, "packing", false), event(lot, 2, "storing", false), future(lot), event(lot, 4, "receiving", false))
			ids := hashes(t, doc)
			j := g.wait(g.farm, g.capture(g.farm, doc, epcisrest.HeaderErrorBehaviour, tc.behaviour, epcisrest.HeaderCaptureMode, "public"))
			var got []int
			for _, r := range j.Recorded {
				got = append(got, r.EventIndex)
				if r.EventID != ids[r.EventIndex] || j2(t, r.EventID) != r.LogIndex {
					t.Fatalf("recorded %+v is not on the ledger so", r)
				}
			}
			if j.Success || !slices.Equal(got, tc.recorded) {
				t.Fatalf("job: recorded %v, want %v: %+v", got, tc.recorded, j)
			}
			if e := j.Errors[0]; e.EventIndex == nil || *e.EventIndex != 3 || e.Name != tlv1.CodeEventInFuture.String() {
				t.Fatalf("error: %+v", e)
			}
			for i, id := range ids {
				ve, _, err := fx.c.Event(t.Context(), id)
				if err != nil || (ve != nil) != slices.Contains(tc.recorded, i) {
					t.Fatalf("event %d on the ledger: %v %v", i, ve != nil, err)
				}
			}
		})
	}
}

// TestCaptureXML: an XML document is captured like JSON-LD, and its events
// come back in JSON-LD re-hashing to the IDs of the XML.
func TestCaptureXML(t *testing.T) {
	g := newGateway(t, epcisrest.Options{})
	doc, err := os.ReadFile("../../docs/examples/receiving.xml")
	if err != nil {
		t.Fatal(err)
	}
	want, err := epcis.HashDocument(bytes.NewReader(doc), epcis.FormatXML)
	if err != nil {
		t.Fatal(err)
	}
	j := g.wait(g.farm, g.capture(g.farm, doc, "Content-Type", "application/xml", epcisrest.HeaderCaptureMode, "public"))
	if !j.Success || len(j.Recorded) != len(want) {
		t.Fatalf("job: %+v", j)
	}
	d, r := g.query("/epcis/events?EQ_eventID="+url.QueryEscape(strings.Join(want, "|")), nil)
	if !slices.Equal(d.eventIDs(), want) {
		t.Fatalf("events %v, want %v", d.eventIDs(), want)
	}
	rehash(t, r.body, want)
}
