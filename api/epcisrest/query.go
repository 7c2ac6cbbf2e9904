// SPDX-License-Identifier: Apache-2.0

package epcisrest

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/epcis"
	"github.com/traceledger/traceledger/proof"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Queries are answered from the ledger's authenticated state, which
// indexes events by identifier (every identifier's complete history) and
// by Event Hash ID. So a query names at least one identifier (MATCH_...)
// or event ID (EQ_eventID); the other parameters filter what those
// histories hold. A query that names neither would need a full scan: it is
// answered 413 QueryTooComplexException.

// The query parameters answered; any other is a QueryParameterException.
var identifierParams = map[string][]tlv1.IdentifierRole{
	"MATCH_epc":         {tlv1.IDENTIFIER_ROLE_INSTANCE, tlv1.IDENTIFIER_ROLE_CHILD},
	"MATCH_parentID":    {tlv1.IDENTIFIER_ROLE_PARENT},
	"MATCH_inputEPC":    {tlv1.IDENTIFIER_ROLE_INPUT},
	"MATCH_outputEPC":   {tlv1.IDENTIFIER_ROLE_OUTPUT},
	"MATCH_anyEPC":      {tlv1.IDENTIFIER_ROLE_INSTANCE, tlv1.IDENTIFIER_ROLE_CHILD, tlv1.IDENTIFIER_ROLE_PARENT, tlv1.IDENTIFIER_ROLE_INPUT, tlv1.IDENTIFIER_ROLE_OUTPUT},
	"MATCH_epcClass":    {tlv1.IDENTIFIER_ROLE_CLASS, tlv1.IDENTIFIER_ROLE_CHILD},
	"MATCH_anyEPCClass": {tlv1.IDENTIFIER_ROLE_CLASS, tlv1.IDENTIFIER_ROLE_CHILD, tlv1.IDENTIFIER_ROLE_INPUT, tlv1.IDENTIFIER_ROLE_OUTPUT},
}

var otherParams = []string{
	"eventType", "GE_eventTime", "LT_eventTime", "GE_recordTime", "LT_recordTime", "EQ_action", "EQ_bizStep", "EQ_disposition",
	"EQ_readPoint", "WD_readPoint", "EQ_bizLocation", "WD_bizLocation", "EQ_eventID", "EXISTS_errorDeclaration",
	"orderBy", "orderDirection", "eventCountLimit", "maxEventCount", "perPage", "nextPageToken",
}

// query is a parsed GET /events.
type query struct {
	// subjects are the canonical identifiers to read, with the roles each
	// MATCH_ parameter accepts.
	subjects                             map[string]bool
	match                                []identifierMatch
	eventIDs                             []string
	types                                []string
	geEvent, ltEvent, geRecord, ltRecord *int64
	actions, bizSteps, dispositions      []string
	readPoints, bizLocations             []string
	errorDecl                            bool
	orderBy                              string
	desc                                 bool
	countLimit, maxCount                 int
	perPage, offset                      int
	digest                               string
}

// identifierMatch is one MATCH_ parameter: an event matches when one of
// its identifiers is one of ids in one of roles.
type identifierMatch struct {
	ids   map[string]bool
	roles []tlv1.IdentifierRole
}

// listParam splits a pipe-delimited parameter value.
func listParam(v []string) []string {
	var out []string
	for _, s := range v {
		for _, p := range strings.Split(s, "|") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// timeParam reads a date-time parameter as Unix milliseconds.
func timeParam(q url.Values, name string) (*int64, *problemError) {
	v := q.Get(name)
	if v == "" {
		return nil, nil
	}
	// An unencoded '+' of a time zone offset arrives as a space.
	t, err := time.Parse(time.RFC3339Nano, strings.ReplaceAll(v, " ", "+"))
	if err != nil {
		return nil, queryParam(name, "give an RFC 3339 date-time, e.g. 2026-11-02T08:00:00.000+08:00 (percent-encode the +)", "%s %q is not a date-time", name, v)
	}
	ms := t.UnixMilli()
	return &ms, nil
}

// parseQuery reads the parameters of GET /events (extra: a browse route's
// path value as a parameter).
func (g *Gateway) parseQuery(r *http.Request, extra url.Values) (*query, *problemError) {
	q := r.URL.Query()
	for k, v := range extra {
		q[k] = append(q[k], v...)
	}
	for name := range q {
		if _, ok := identifierParams[name]; !ok && !slices.Contains(otherParams, name) {
			return nil, queryParam(name, "docs/EPCIS-REST.md lists the parameters this interface answers", "query parameter %q is unknown or not supported", name)
		}
	}
	qq := &query{subjects: map[string]bool{}}
	for name, roles := range identifierParams {
		ids := listParam(q[name])
		if len(ids) == 0 {
			continue
		}
		m := identifierMatch{ids: map[string]bool{}, roles: roles}
		for _, id := range ids {
			c, err := epcis.CanonicalIdentifier(id)
			if err != nil {
				return nil, queryParam(name, "give EPC URIs or GS1 Digital Links (patterns are not supported), pipe-delimited", "%s: %v", name, err)
			}
			m.ids[c] = true
			qq.subjects[c] = true
		}
		qq.match = append(qq.match, m)
	}
	for _, id := range listParam(q["EQ_eventID"]) {
		if !epcis.ValidHashID(id) {
			return nil, queryParam("EQ_eventID", "event IDs on this ledger are CBV 2.0 Event Hash IDs (ni:///sha-256;<64 hex>?ver=CBV2.0)", "%q is not an Event Hash ID", id)
		}
		qq.eventIDs = append(qq.eventIDs, id)
	}
	qq.types = listParam(q["eventType"])
	for _, t := range qq.types {
		if !epcis.IsEventType(t) {
			return nil, queryParam("eventType", "give ObjectEvent, AggregationEvent, TransactionEvent, TransformationEvent or AssociationEvent", "%q is not an EPCIS 2.0 event type", t)
		}
	}
	var pe *problemError
	if qq.geEvent, pe = timeParam(q, "GE_eventTime"); pe != nil {
		return nil, pe
	}
	if qq.ltEvent, pe = timeParam(q, "LT_eventTime"); pe != nil {
		return nil, pe
	}
	if qq.geRecord, pe = timeParam(q, "GE_recordTime"); pe != nil {
		return nil, pe
	}
	if qq.ltRecord, pe = timeParam(q, "LT_recordTime"); pe != nil {
		return nil, pe
	}
	qq.actions = listParam(q["EQ_action"])
	for _, a := range qq.actions {
		if a != "ADD" && a != "OBSERVE" && a != "DELETE" {
			return nil, queryParam("EQ_action", "give ADD, OBSERVE or DELETE", "%q is not an action", a)
		}
	}
	for _, s := range listParam(q["EQ_bizStep"]) {
		qq.bizSteps = append(qq.bizSteps, cbvWord(s))
	}
	for _, s := range listParam(q["EQ_disposition"]) {
		qq.dispositions = append(qq.dispositions, cbvWord(s))
	}
	// Without master data no location has descendants: WD_ is EQ_.
	for _, s := range append(listParam(q["EQ_readPoint"]), listParam(q["WD_readPoint"])...) {
		qq.readPoints = append(qq.readPoints, canonicalOrSelf(s))
	}
	for _, s := range append(listParam(q["EQ_bizLocation"]), listParam(q["WD_bizLocation"])...) {
		qq.bizLocations = append(qq.bizLocations, canonicalOrSelf(s))
	}
	if v := q.Get("EXISTS_errorDeclaration"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, queryParam("EXISTS_errorDeclaration", "give true or false", "%q is not a boolean", v)
		}
		qq.errorDecl = b
	}
	switch v := q.Get("orderBy"); v {
	case "", "eventTime", "recordTime":
		qq.orderBy = v
	default:
		return nil, queryParam("orderBy", "give eventTime or recordTime", "orderBy %q is not supported", v)
	}
	qq.desc = true
	switch v := q.Get("orderDirection"); v {
	case "", "DESC":
	case "ASC":
		qq.desc = false
	default:
		return nil, queryParam("orderDirection", "give ASC or DESC", "orderDirection %q is neither ASC nor DESC", v)
	}
	intParam := func(name string) (int, *problemError) {
		v := q.Get(name)
		if v == "" {
			return 0, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return 0, queryParam(name, "give a positive integer", "%s %q is not a positive integer", name, v)
		}
		return n, nil
	}
	if qq.countLimit, pe = intParam("eventCountLimit"); pe != nil {
		return nil, pe
	}
	if qq.maxCount, pe = intParam("maxEventCount"); pe != nil {
		return nil, pe
	}
	if qq.countLimit > 0 && qq.maxCount > 0 {
		return nil, queryParam("eventCountLimit", "give eventCountLimit or maxEventCount, not both", "eventCountLimit and maxEventCount are mutually exclusive")
	}
	if qq.countLimit > 0 && qq.orderBy == "" {
		return nil, queryParam("eventCountLimit", "give orderBy with eventCountLimit", "eventCountLimit needs orderBy")
	}
	if len(qq.subjects) == 0 && len(qq.eventIDs) == 0 {
		return nil, newProblem(http.StatusRequestEntityTooLarge, excQueryTooComplex, tlv1.CodeInvalidQuery, "MATCH_anyEPC",
			"name at least one identifier (MATCH_anyEPC, MATCH_epc, MATCH_epcClass, ... or /epcis/epcs/{epc}/events) or EQ_eventID",
			"the ledger indexes events by identifier and by event ID; a query that names neither would scan the whole ledger")
	}
	qq.digest = queryDigest(r.URL.Path, q)
	if qq.perPage, qq.offset, pe = g.paging(q, qq.digest); pe != nil {
		return nil, pe
	}
	return qq, nil
}

// queryDigest names a query's result set: path and parameters but the
// paging ones.
func queryDigest(path string, q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		if k != "perPage" && k != "nextPageToken" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00", path)
	for _, k := range keys {
		fmt.Fprintf(h, "%s=%s\x00", k, strings.Join(q[k], "\x01"))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// cbvWord is a CBV value as its bare word (URN and Web URI spellings of
// the standard vocabulary are one value).
func cbvWord(s string) string {
	for _, p := range []string{"urn:epcglobal:cbv:bizstep:", "urn:epcglobal:cbv:disp:", "https://ref.gs1.org/cbv/BizStep-", "https://ref.gs1.org/cbv/Disp-", "cbv:BizStep-", "cbv:Disp-"} {
		if rest, ok := strings.CutPrefix(s, p); ok {
			return rest
		}
	}
	return s
}

// canonicalOrSelf is an identifier's canonical form, or itself when it has
// none (a location that is not a GS1 key).
func canonicalOrSelf(s string) string {
	if c, err := epcis.CanonicalIdentifier(s); err == nil {
		return c
	}
	return s
}

// candidate is one verified EPCIS record the query looked at.
type candidate struct {
	hashID    string
	index     uint64
	leafHash  [32]byte
	inclusion [][]byte
	roots     *tlv1.StateRoots
	header    client.Proven
	rec       *tlv1.Record
	er        *tlv1.EPCISRecord
	// ev and p are the full event: the public event, or the hashed one's
	// payload from the gateway's store for the participant that recorded
	// it (checked against the committed payload hash); nil otherwise.
	ev *epcis.Event
	p  *tlv1.EPCISEvent
}

// answer is a query's verified result.
type answer struct {
	items     []*candidate
	histories []HistoryProof
}

// queryEvents answers GET /events.
func (g *Gateway) queryEvents(w http.ResponseWriter, r *http.Request) {
	g.runQuery(w, r, nil)
}

// browseEvents answers GET /{resource}/{value}/events: the query with the
// path value as parameter param.
func (g *Gateway) browseEvents(pathName, param string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		g.runQuery(w, r, url.Values{param: {r.PathValue(pathName)}})
	}
}

func (g *Gateway) runQuery(w http.ResponseWriter, r *http.Request, extra url.Values) {
	cl, pe := g.authenticate(r, false)
	if pe != nil {
		writeProblem(w, pe)
		return
	}
	qq, pe := g.parseQuery(r, extra)
	if pe != nil {
		writeProblem(w, pe)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), g.opts.Timeout)
	defer cancel()
	ans, err := g.collect(ctx, qq, cl)
	if err != nil {
		g.fail(ctx, w, r, err)
		return
	}
	items := filterItems(ans.items, qq)
	sortItems(items, qq)
	if qq.countLimit > 0 && len(items) > qq.countLimit {
		items = items[:qq.countLimit]
	}
	if qq.maxCount > 0 && len(items) > qq.maxCount {
		writeProblem(w, newProblem(http.StatusRequestEntityTooLarge, excQueryTooLarge, tlv1.CodeInvalidQuery, "maxEventCount",
			"narrow the query or raise maxEventCount", "the query matches %d events, more than maxEventCount %d", len(items), qq.maxCount))
		return
	}
	page := items[min(qq.offset, len(items)):min(qq.offset+qq.perPage, len(items))]
	if qq.offset+qq.perPage < len(items) {
		g.linkNext(w, r, qq.digest, qq.offset+qq.perPage, qq.perPage)
	}
	for _, h := range ans.histories {
		w.Header().Add("Link", fmt.Sprintf(`<%s>; rel="%sevidence"`, h.Evidence, epcis.TraceLedgerNS))
	}
	g.writeQueryDocument(w, r, page, ans.histories)
}

// collect reads the verified histories (and events) the query names.
func (g *Gateway) collect(ctx context.Context, qq *query, cl *caller) (*answer, error) {
	ans := &answer{}
	seen := map[string]bool{}
	subjects := make([]string, 0, len(qq.subjects))
	for s := range qq.subjects {
		subjects = append(subjects, s)
	}
	slices.Sort(subjects)
	for _, s := range subjects {
		resp, vh, p, err := g.c.ProvenHistory(ctx, s)
		if err != nil {
			return nil, err
		}
		raw, err := resp.Marshal()
		if err != nil {
			return nil, err
		}
		hp := HistoryProof{Subject: vh.Subject, State: stateOf(resp.Roots, p), HistoryResponse: base64.StdEncoding.EncodeToString(raw),
			Evidence: "/v1/history/" + url.PathEscape(vh.Subject)}
		if vh.Head != nil {
			hp.Count, hp.ChainHash = vh.Head.Count, hex.EncodeToString(vh.Head.ChainHash)
		}
		ans.histories = append(ans.histories, hp)
		for i, vr := range vh.Records {
			er := vr.Record.GetEpcis()
			if er == nil || seen[er.HashId] {
				continue
			}
			seen[er.HashId] = true
			c := &candidate{hashID: er.HashId, index: vr.Index, leafHash: vr.LeafHash, inclusion: resp.Records[i].Inclusion.Hashes,
				roots: resp.Roots, header: p, rec: vr.Record, er: er}
			if err := g.fill(c, cl); err != nil {
				return nil, err
			}
			ans.items = append(ans.items, c)
		}
	}
	if len(qq.subjects) == 0 {
		for _, id := range qq.eventIDs {
			if seen[id] {
				continue
			}
			seen[id] = true
			c, err := g.eventCandidate(ctx, id, cl.participant())
			if err != nil {
				return nil, err
			}
			if c == nil {
				continue
			}
			if err := g.fill(c, cl); err != nil {
				return nil, err
			}
			ans.items = append(ans.items, c)
		}
	}
	return ans, nil
}

// eventCandidate reads one event by hash ID with its proof; nil when it is
// proven not to be recorded. Of several participants' recordings it takes
// prefer's (the caller's, whose hashed payload the gateway may hold), else
// the first.
func (g *Gateway) eventCandidate(ctx context.Context, hashID, prefer string) (*candidate, error) {
	req := &tlv1.EventRequest{HashId: hashID}
	data, err := req.Marshal()
	if err != nil {
		return nil, err
	}
	res, err := g.c.RPC().ABCIQuery(ctx, tlv1.PathEPCISEvent, data)
	if err != nil {
		return nil, fmt.Errorf("query event %s: %w", hashID, err)
	}
	if res.Response.Code != 0 {
		return nil, &client.QueryError{Code: res.Response.Code, Log: res.Response.Log}
	}
	var resp tlv1.EventResponse
	if err := resp.Unmarshal(res.Response.Value); err != nil {
		return nil, fmt.Errorf("%w: decode event answer: %v", client.ErrNotVerified, err)
	}
	ve, err := client.VerifyEventResponse(hashID, &resp)
	if err != nil {
		return nil, err
	}
	p, err := g.c.VerifyAnswerRoots(ctx, resp.Roots, res.Response.Height)
	if err != nil {
		return nil, err
	}
	if ve == nil {
		return nil, nil
	}
	k := 0
	for i, rc := range ve.Recordings {
		if prefer != "" && rc.Signer == prefer {
			k = i
			break
		}
	}
	rc := ve.Recordings[k]
	return &candidate{hashID: hashID, index: rc.Index, leafHash: rc.LeafHash, inclusion: resp.Records[k].Inclusion.Hashes,
		roots: resp.Roots, header: p, rec: rc.Record, er: rc.EPCIS}, nil
}

// fill sets a candidate's full event: the public one, or the hashed one's
// stored payload when the caller's participant recorded it and the payload
// is the one the ledger committed to.
func (g *Gateway) fill(c *candidate, cl *caller) error {
	if pub := c.er.GetPublic(); pub != nil {
		ev, err := epcis.FromProto(pub, int(c.er.BatchIndex))
		if err != nil {
			return fmt.Errorf("%w: record %d: %v", client.ErrNotVerified, c.index, err)
		}
		c.ev, c.p = &ev, pub
		return nil
	}
	h := c.er.GetHashed()
	if h == nil || cl == nil || c.rec.Signer != cl.tok.Participant {
		return nil
	}
	d, err := epcis.HashIDDigest(c.hashID)
	if err != nil {
		return nil
	}
	b, err := os.ReadFile(g.p.payload(d))
	if err != nil {
		return nil // not captured through this gateway
	}
	sum := sha256.Sum256(b)
	if !bytes.Equal(sum[:], h.PayloadSha256) {
		g.log.Warn("stored payload does not match the ledger's payload hash", "event_id", c.hashID)
		return nil
	}
	evs, err := epcis.ParseBytes(b, epcis.FormatJSON)
	if err != nil || len(evs) != 1 {
		return nil
	}
	if id, err := epcis.HashID(evs[0]); err != nil || id != c.hashID {
		return nil
	}
	p, err := epcis.ToProto(evs[0])
	if err != nil {
		return nil
	}
	c.ev, c.p = &evs[0], p
	return nil
}

// Fields of a candidate for filtering: from the full event when there is
// one, else from the hashed record's public index fields.
func (c *candidate) eventType() string {
	if c.p != nil {
		return epcis.EventTypeName(c.p.Type)
	}
	return epcis.EventTypeName(c.er.GetHashed().GetType())
}

func (c *candidate) eventTimeMs() int64 {
	if h := c.er.GetHashed(); h != nil {
		return h.EventTimeMs
	}
	ms, _, err := epcis.IndexProto(c.p, int(c.er.BatchIndex))
	if err != nil {
		return 0
	}
	return ms
}

func (c *candidate) identifiers() []*tlv1.EventIdentifier {
	if h := c.er.GetHashed(); h != nil {
		return h.Identifiers
	}
	return epcis.EventIdentifiers(c.p)
}

func (c *candidate) bizStep() string {
	if c.p != nil {
		return c.p.BizStep
	}
	return c.er.GetHashed().GetBizStep()
}

func (c *candidate) disposition() string {
	if c.p != nil {
		return c.p.Disposition
	}
	return c.er.GetHashed().GetDisposition()
}

func (c *candidate) readPoint() string {
	if c.p != nil {
		return c.p.GetReadPoint().GetId()
	}
	return c.er.GetHashed().GetReadPoint()
}

func (c *candidate) bizLocation() string {
	if c.p != nil {
		return c.p.GetBizLocation().GetId()
	}
	return c.er.GetHashed().GetBizLocation()
}

// filterItems keeps the candidates every parameter accepts. A field a
// hashed record does not carry (action, error declaration) never matches.
func filterItems(items []*candidate, qq *query) []*candidate {
	var out []*candidate
	for _, c := range items {
		if qq.matches(c) {
			out = append(out, c)
		}
	}
	return out
}

func (qq *query) matches(c *candidate) bool {
	if len(qq.eventIDs) > 0 && !slices.Contains(qq.eventIDs, c.hashID) {
		return false
	}
	if len(qq.types) > 0 && !slices.Contains(qq.types, c.eventType()) {
		return false
	}
	t := c.eventTimeMs()
	if (qq.geEvent != nil && t < *qq.geEvent) || (qq.ltEvent != nil && t >= *qq.ltEvent) {
		return false
	}
	rt := c.rec.TimeMs
	if (qq.geRecord != nil && rt < *qq.geRecord) || (qq.ltRecord != nil && rt >= *qq.ltRecord) {
		return false
	}
	if len(qq.actions) > 0 && (c.p == nil || !slices.Contains(qq.actions, c.p.Action)) {
		return false
	}
	if len(qq.bizSteps) > 0 && !slices.Contains(qq.bizSteps, cbvWord(c.bizStep())) {
		return false
	}
	if len(qq.dispositions) > 0 && !slices.Contains(qq.dispositions, cbvWord(c.disposition())) {
		return false
	}
	if len(qq.readPoints) > 0 && !slices.Contains(qq.readPoints, canonicalOrSelf(c.readPoint())) {
		return false
	}
	if len(qq.bizLocations) > 0 && !slices.Contains(qq.bizLocations, canonicalOrSelf(c.bizLocation())) {
		return false
	}
	if qq.errorDecl && (c.p == nil || c.p.ErrorDeclaration == nil) {
		return false
	}
	if len(qq.match) > 0 {
		ids := c.identifiers()
		for _, m := range qq.match {
			if !slices.ContainsFunc(ids, func(id *tlv1.EventIdentifier) bool {
				return slices.Contains(m.roles, id.Role) && m.ids[canonicalOrSelf(id.Id)]
			}) {
				return false
			}
		}
	}
	return true
}

// sortItems orders by orderBy (ties, and no orderBy: ledger order).
func sortItems(items []*candidate, qq *query) {
	slices.SortStableFunc(items, func(a, b *candidate) int {
		var d int
		switch qq.orderBy {
		case "eventTime":
			d = cmp.Compare(a.eventTimeMs(), b.eventTimeMs())
		case "recordTime":
			d = cmp.Compare(a.rec.TimeMs, b.rec.TimeMs)
		}
		if qq.orderBy != "" && qq.desc {
			d = -d
		}
		if d == 0 {
			d = cmp.Compare(a.index, b.index)
		}
		return d
	})
}

// getEvent answers GET /events/{eventID}: the verified event as an
// EPCISQueryDocument with its proof; 404 with the absence proven.
func (g *Gateway) getEvent(w http.ResponseWriter, r *http.Request) {
	cl, pe := g.authenticate(r, false)
	if pe != nil {
		writeProblem(w, pe)
		return
	}
	id := r.PathValue("eventID")
	if !epcis.ValidHashID(id) {
		writeProblem(w, newProblem(http.StatusNotFound, excNoSuchResource, tlv1.CodeNotFound, "eventID",
			"event IDs on this ledger are CBV 2.0 Event Hash IDs (ni:///sha-256;<64 hex>?ver=CBV2.0), percent-encoded as one path segment", "%q is not an Event Hash ID", id))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), g.opts.Timeout)
	defer cancel()
	c, err := g.eventCandidate(ctx, id, cl.participant())
	if err != nil {
		g.fail(ctx, w, r, err)
		return
	}
	if c == nil {
		writeProblem(w, newProblem(http.StatusNotFound, excNoSuchResource, tlv1.CodeNotFound, "eventID", "",
			"event %s is not recorded (absence proven against a verified header)", id))
		return
	}
	if err := g.fill(c, cl); err != nil {
		g.fail(ctx, w, r, err)
		return
	}
	g.writeQueryDocument(w, r, []*candidate{c}, nil)
}

// stateOf is the state a proof ends in.
func stateOf(roots *tlv1.StateRoots, p client.Proven) State {
	s := State{Height: roots.GetHeight(), LogSize: roots.GetLogSize(), LogRoot: hex.EncodeToString(roots.GetLogRoot()), MapRoot: hex.EncodeToString(roots.GetMapRoot())}
	if p.Header != nil {
		s.HeaderHeight, s.AppHash = p.Header.Height, hex.EncodeToString(p.Header.AppHash)
	}
	return s
}

// verifyLeaf re-checks an inclusion proof (a guard: every candidate came
// from a verified answer).
func verifyLeaf(c *candidate) error {
	var root [32]byte
	copy(root[:], c.roots.LogRoot)
	if err := proof.VerifyInclusion(c.leafHash, c.index, c.roots.LogSize, c.inclusion, root); err != nil {
		return fmt.Errorf("%w: record %d: %v", client.ErrNotVerified, c.index, err)
	}
	return nil
}
