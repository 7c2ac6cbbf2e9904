// SPDX-License-Identifier: Apache-2.0

package epcisrest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/traceledger/traceledger/epcis"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Every query answer is an EPCISQueryDocument whose events are exactly as
// the ledger holds them (so they re-hash to their eventID, the Event Hash
// ID), with the proofs beside them in the document member "tl:ledger"
// (prefix tl = https://ns.traceledger.org/epcis/): per event its log
// index, leaf hash, inclusion proof and the state and signed header it
// ends in; per identifier read, its history's completeness proof and the
// node's answer. A hashed event the caller may not read in full is listed
// there only, with its public index fields. A client that knows nothing of
// TraceLedger reads a standard document; one that does checks it.

// LedgerProofs is the "tl:ledger" member of a query answer.
type LedgerProofs struct {
	// Events are the page's events in eventList order, then the hashed
	// events listed without their payload.
	Events []EventProof `json:"events"`
	// Histories are the identifiers' histories the answer was taken from.
	Histories []HistoryProof `json:"histories,omitempty"`
}

// State is the ledger state a proof ends in: the state roots at Height,
// committed by the app hash of the verified header HeaderHeight (=
// Height+1).
type State struct {
	Height       int64  `json:"stateHeight"`
	HeaderHeight int64  `json:"headerHeight"`
	AppHash      string `json:"appHash"`
	LogSize      uint64 `json:"logSize"`
	LogRoot      string `json:"logRoot"`
	MapRoot      string `json:"mapRoot"`
}

// EventProof proves one event's record in the log.
type EventProof struct {
	EventID string `json:"eventID"`
	// Kind is "public" (the event is on the ledger in full) or "hashed".
	Kind string `json:"kind"`
	// InEventList is false for a hashed event served without its payload.
	InEventList bool     `json:"inEventList"`
	LogIndex    uint64   `json:"logIndex"`
	LeafHash    string   `json:"leafHash"`
	Inclusion   []string `json:"inclusion"`
	State       State    `json:"state"`
	// Signer is the participant that recorded it; RecordTime the block
	// time of its record.
	Signer     string `json:"signer"`
	RecordTime string `json:"recordTime"`
	// PayloadSHA256 is a hashed event's committed payload hash.
	PayloadSHA256 string `json:"payloadSha256,omitempty"`
	// Index are a hashed event's public index fields.
	Index *HashedIndex `json:"index,omitempty"`
	// Evidence is the API route with the record's full evidence (the
	// light blocks its proof ends in).
	Evidence string `json:"evidence"`
}

// HashedIndex is the public part of a hashed event.
type HashedIndex struct {
	Type                string       `json:"type"`
	EventTime           string       `json:"eventTime"`
	EventTimeZoneOffset string       `json:"eventTimeZoneOffset,omitempty"`
	BizStep             string       `json:"bizStep,omitempty"`
	Disposition         string       `json:"disposition,omitempty"`
	ReadPoint           string       `json:"readPoint,omitempty"`
	BizLocation         string       `json:"bizLocation,omitempty"`
	Identifiers         []Identifier `json:"identifiers"`
}

// Identifier is an identifier a hashed event names, with its role.
type Identifier struct {
	ID   string `json:"id"`
	Role string `json:"role"`
}

// HistoryProof is an identifier's complete, verified history.
type HistoryProof struct {
	Subject string `json:"subject"`
	State   State  `json:"state"`
	// Count and ChainHash are the history's head: it is complete when its
	// records rehash to ChainHash.
	Count     uint64 `json:"count"`
	ChainHash string `json:"chainHash,omitempty"`
	// HistoryResponse is the node's answer (protobuf HistoryResponse,
	// base64), from which everything is re-verified.
	HistoryResponse string `json:"historyResponse"`
	// Evidence is the API route with the same history and its light blocks.
	Evidence string `json:"evidence"`
}

// roleNames are the identifier roles' names in answers.
var roleNames = map[tlv1.IdentifierRole]string{
	tlv1.IDENTIFIER_ROLE_INSTANCE: "epc", tlv1.IDENTIFIER_ROLE_CLASS: "epcClass", tlv1.IDENTIFIER_ROLE_PARENT: "parentID",
	tlv1.IDENTIFIER_ROLE_CHILD: "child", tlv1.IDENTIFIER_ROLE_INPUT: "input", tlv1.IDENTIFIER_ROLE_OUTPUT: "output",
}

// queryDocumentType is the standard's document type of query answers.
const queryDocumentType = "EPCISQueryDocument"

// writeQueryDocument writes a page of candidates as an EPCISQueryDocument
// with their proofs.
func (g *Gateway) writeQueryDocument(w http.ResponseWriter, r *http.Request, page []*candidate, histories []HistoryProof) {
	ns := epcis.NewNamespaces()
	list := []any{}
	proofs := LedgerProofs{Events: []EventProof{}, Histories: histories}
	var listed []EventProof
	var maxHeight int64
	for _, c := range page {
		if err := verifyLeaf(c); err != nil {
			g.fail(r.Context(), w, r, err)
			return
		}
		ep := EventProof{EventID: c.hashID, Kind: "public", LogIndex: c.index, LeafHash: hex.EncodeToString(c.leafHash[:]),
			Inclusion: []string{}, State: stateOf(c.roots, c.header), Signer: c.rec.Signer,
			RecordTime: time.UnixMilli(c.rec.TimeMs).UTC().Format("2006-01-02T15:04:05.000Z"),
			Evidence:   "/v1/records/" + strconv.FormatUint(c.index, 10)}
		for _, h := range c.inclusion {
			ep.Inclusion = append(ep.Inclusion, hex.EncodeToString(h))
		}
		maxHeight = max(maxHeight, c.roots.GetHeight())
		if h := c.er.GetHashed(); h != nil {
			ep.Kind, ep.PayloadSHA256 = "hashed", hex.EncodeToString(h.PayloadSha256)
			if c.ev == nil {
				ep.Index = hashedIndex(h)
				listed = append(listed, ep)
				continue
			}
		}
		obj, err := epcis.EventObject(*c.ev, ns, c.hashID)
		if err != nil { // no exact JSON-LD rendering: listed with its proof
			ep.Index = nil
			listed = append(listed, ep)
			continue
		}
		ep.InEventList = true
		list = append(list, obj)
		proofs.Events = append(proofs.Events, ep)
	}
	proofs.Events = append(proofs.Events, listed...)
	ctx := ns.Context().([]any)
	defs := map[string]any{}
	if len(ctx) > 1 {
		defs = ctx[1].(map[string]any)
	}
	if _, taken := defs["tl"]; !taken {
		defs["tl"] = epcis.TraceLedgerNS
	}
	doc := map[string]any{
		"@context":      []any{epcis.EPCISContextURL, defs},
		"type":          queryDocumentType,
		"schemaVersion": "2.0",
		"creationDate":  time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		"epcisBody": map[string]any{"queryResults": map[string]any{
			"queryName":   "SimpleEventQuery",
			"resultsBody": map[string]any{"eventList": list},
		}},
		"tl:ledger": proofs,
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		g.fail(r.Context(), w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/ld+json")
	h.Set("Cache-Control", "no-store")
	if maxHeight > 0 {
		h.Set("X-TraceLedger-Height", strconv.FormatInt(maxHeight, 10))
	}
	setVersionHeaders(h)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// hashedIndex is a hashed record's index fields.
func hashedIndex(h *tlv1.HashedEvent) *HashedIndex {
	out := &HashedIndex{Type: epcis.EventTypeName(h.Type), EventTime: time.UnixMilli(h.EventTimeMs).UTC().Format("2006-01-02T15:04:05.000Z"),
		EventTimeZoneOffset: h.EventTimeZoneOffset, BizStep: h.BizStep, Disposition: h.Disposition, ReadPoint: h.ReadPoint,
		BizLocation: h.BizLocation, Identifiers: []Identifier{}}
	for _, id := range h.Identifiers {
		out.Identifiers = append(out.Identifiers, Identifier{ID: id.Id, Role: roleNames[id.Role]})
	}
	return out
}

// Page tokens: "<offset>.<digest>.<mac>", the MAC (HMAC-SHA-256 under the
// gateway's secret, truncated to 16 bytes) over the offset and the query's
// digest, so a token is good only for the query it was made for and
// cannot be altered.

func (g *Gateway) pageToken(scope string, offset int) string {
	msg := strconv.Itoa(offset) + "." + scope
	m := hmac.New(sha256.New, g.secret)
	m.Write([]byte(msg))
	return strconv.Itoa(offset) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// paging reads perPage and nextPageToken for the result set scope.
func (g *Gateway) paging(q url.Values, scope string) (perPage, offset int, pe *problemError) {
	perPage = DefaultPerPage
	if v := q.Get("perPage"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return 0, 0, queryParam("perPage", fmt.Sprintf("give 1 to %d", MaxPerPage), "perPage %q is not a positive integer", v)
		}
		perPage = min(n, MaxPerPage)
	}
	if tok := q.Get("nextPageToken"); tok != "" {
		off, _, ok := strings.Cut(tok, ".")
		n, err := strconv.Atoi(off)
		if !ok || err != nil || n < 0 || !hmac.Equal([]byte(g.pageToken(scope, n)), []byte(tok)) {
			return 0, 0, queryParam("nextPageToken", "follow the Link rel=\"next\" of the previous page, with the same query parameters",
				"nextPageToken was not made by this gateway for this query, or was altered")
		}
		offset = n
	}
	return perPage, offset, nil
}

// linkNext sets the Link header of the next page.
func (g *Gateway) linkNext(w http.ResponseWriter, r *http.Request, scope string, offset, perPage int) {
	q := r.URL.Query()
	q.Set("perPage", strconv.Itoa(perPage))
	q.Set("nextPageToken", g.pageToken(scope, offset))
	u := url.URL{Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: q.Encode()}
	w.Header().Add("Link", fmt.Sprintf(`<%s>; rel="next"`, u.String()))
}

// collection is a JSON-LD Collection answer.
func collection(w http.ResponseWriter, members []string) {
	setVersionHeaders(w.Header())
	w.Header().Set("Content-Type", "application/ld+json")
	writeJSON(w, http.StatusOK, map[string]any{"@context": []any{epcis.EPCISContextURL}, "type": "Collection", "member": members})
}

// topLevel answers GET /epcis/: the resources this interface serves.
func (g *Gateway) topLevel(w http.ResponseWriter, _ *http.Request) {
	collection(w, []string{"capture", "events", "eventTypes", "epcs"})
}

// eventTypes answers GET /eventTypes: the five event types.
func (g *Gateway) eventTypes(w http.ResponseWriter, _ *http.Request) {
	collection(w, []string{"AggregationEvent", "AssociationEvent", "ObjectEvent", "TransactionEvent", "TransformationEvent"})
}

// subResources answers GET /eventTypes/{eventType} and /epcs/{epc}.
func (g *Gateway) subResources(w http.ResponseWriter, r *http.Request) {
	if t := r.PathValue("eventType"); t != "" && !epcis.IsEventType(t) {
		writeProblem(w, newProblem(http.StatusNotFound, excNoSuchResource, tlv1.CodeNotFound, "eventType", "see GET /epcis/eventTypes", "no event type %q", t))
		return
	}
	if e := r.PathValue("epc"); e != "" {
		if _, err := epcis.CanonicalIdentifier(e); err != nil {
			writeProblem(w, newProblem(http.StatusBadRequest, excQueryParameter, tlv1.CodeEPCISInvalidIdentifier, "epc",
				"give an EPC URI or a GS1 Digital Link, percent-encoded as one path segment", "%v", err))
			return
		}
	}
	collection(w, []string{"events"})
}
