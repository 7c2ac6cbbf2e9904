// SPDX-License-Identifier: Apache-2.0

package api

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/proof"
	"github.com/traceledger/traceledger/proof/bundle"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
	"github.com/traceledger/traceledger/trace"
)

// notVerified marks err as a failed verification.
func notVerified(err error) error { return fmt.Errorf("%w: %w", client.ErrNotVerified, err) }

// absent is a verified absence answered 404 with its evidence.
func absent(rd *reader, code tlv1.Code, field, format string, args ...any) error {
	h := rd.answeredHeight()
	return &problemError{status: http.StatusNotFound, code: code, field: field, cacheable: true, height: h, absence: true,
		detail: fmt.Sprintf(format, args...) + fmt.Sprintf(" (absence proven at state height %d)", h)}
}

// StatusView is the chain's verified status.
type StatusView struct {
	ChainID string       `json:"chain_id"`
	State   bundle.State `json:"state"`
	// HeaderHeight is the height of the verified header that commits to
	// the state (in the evidence's light blocks).
	HeaderHeight int64 `json:"header_height"`
}

func (s *Server) status(*http.Request) (*prepared, error) {
	return &prepared{key: "status", fetch: func(rd *reader) (any, error) { return s.readStatus(rd) }}, nil
}

// readStatus reads and verifies the status.
func (s *Server) readStatus(rd *reader) (*StatusView, error) {
	var resp tlv1.StatusResponse
	h, err := rd.query(tlv1.PathStatus, nil, &resp)
	if err != nil {
		return nil, err
	}
	if resp.ChainId != s.c.ChainID() {
		return nil, &client.ChainIDMismatchError{NodeChainID: resp.ChainId, LocalChainID: s.c.ChainID()}
	}
	if err := rd.roots(resp.Roots, h); err != nil {
		return nil, err
	}
	// map_size is not committed by the app hash: neither served nor
	// passed on in the evidence, which holds the proven part of the
	// answer re-encoded.
	proven := tlv1.StatusResponse{ChainId: resp.ChainId, Roots: resp.Roots}
	if err := rd.replaceLast(&proven); err != nil {
		return nil, err
	}
	return &StatusView{ChainID: resp.ChainId, State: rootsView(resp.Roots), HeaderHeight: h + 1}, nil
}

// RecordAnswer is a verified record at a log index.
type RecordAnswer struct {
	State  bundle.State `json:"state"`
	Record RecordView   `json:"record"`
}

func (s *Server) record(r *http.Request) (*prepared, error) {
	v := r.PathValue("index")
	idx, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return nil, badRequest(tlv1.CodeInvalidQuery, "index", "give the record's log index, a non-negative integer", "log index %q is not a non-negative integer", v)
	}
	return &prepared{key: "record\x00" + strconv.FormatUint(idx, 10), fetch: func(rd *reader) (any, error) {
		var resp tlv1.RecordResponse
		h, err := rd.query(tlv1.PathRecord, &tlv1.RecordRequest{Index: idx}, &resp)
		if err != nil {
			return nil, err
		}
		vr, err := proof.VerifyRecord(resp.Roots, resp.Record)
		if err != nil {
			return nil, notVerified(err)
		}
		if vr.Index != idx {
			return nil, notVerified(fmt.Errorf("answer is record %d, asked for %d", vr.Index, idx))
		}
		if err := rd.roots(resp.Roots, h); err != nil {
			return nil, err
		}
		view, err := recordView(vr, resp.Record)
		if err != nil {
			return nil, err
		}
		return RecordAnswer{State: rootsView(resp.Roots), Record: view}, nil
	}}, nil
}

// HistoryAnswer is an identifier's complete, verified history.
type HistoryAnswer struct {
	// Identifier is as asked; Canonical is the key the ledger files it
	// under (every spelling of one identifier has one).
	Identifier string       `json:"identifier"`
	Canonical  string       `json:"canonical"`
	State      bundle.State `json:"state"`
	// Head is the map entry that proves completeness: the count of
	// records, the last index and the chain hash over them.
	Head      HeadView     `json:"head"`
	HeadProof bundle.Value `json:"head_proof"`
	Records   []RecordView `json:"records"`
	// Page is set for a paged read (?limit=, ?offset=): Records are then
	// the page's records, at positions Page.Offset, Page.Offset+1, ...
	Page *PageView `json:"page,omitempty"`
}

// PageView is where a page of a history sits and what links it to the
// head (docs/PROOFS.md, "Paged histories"): ChainBefore, the records and
// SuffixLeafHashes rehash to Head.ChainHash in Count-Offset steps.
type PageView struct {
	// Offset is the position of the page's first record (0 is the oldest);
	// Count is the history's record count (the head's), Limit the most
	// records the page was asked with.
	Offset uint64 `json:"offset"`
	Limit  uint32 `json:"limit"`
	Count  uint64 `json:"count"`
	// ChainBefore is the chain hash over the records before the page
	// (empty for the first page); SuffixLeafHashes the leaf hashes of the
	// records after it, oldest first.
	ChainBefore      bundle.Hex   `json:"chain_before"`
	SuffixLeafHashes []bundle.Hex `json:"suffix_leaf_hashes"`
	// Next is the page of newer records, Prev the page of older ones
	// (relative URLs; absent at the newest or the oldest end, and Prev
	// also when that page would end further than MaxHistorySuffix records
	// before the newest).
	Next string `json:"next,omitempty"`
	Prev string `json:"prev,omitempty"`
}

// HeadView is a history head.
type HeadView struct {
	Count     uint64     `json:"count"`
	LastIndex uint64     `json:"last_index"`
	ChainHash bundle.Hex `json:"chain_hash"`
}

// identifierParam canonicalises a path parameter.
func identifierParam(r *http.Request, name string) (given, canonical string, err error) {
	given = r.PathValue(name)
	if strings.TrimSpace(given) == "" {
		return "", "", badRequest(tlv1.CodeEPCISInvalidIdentifier, name, "give the identifier, percent-encoded as one path segment", "empty identifier")
	}
	canonical, err = client.CanonicalSubject(given)
	if err != nil {
		return "", "", &problemError{status: http.StatusBadRequest, code: tlv1.CodeEPCISInvalidIdentifier, field: name, detail: err.Error(),
			hint: "give a GS1 key (EPC URI or Digital Link on any domain), a national code that passes its structure check, or another absolute URI; percent-encode it as one path segment"}
	}
	return given, canonical, nil
}

// Whole histories are walked in pages (docs/PROOFS.md, "Paged
// histories"): one node answer carries at most tlv1.MaxHistoryPage records
// and an unpaged one at most tlv1.MaxHistoryRecords, while anyone can
// lengthen a lot's history. A read that needs a whole history asks for
// the newest page, then each older page anchored at the chain value
// before the page after it, all at the reader's height; a history that
// fits one page is one query, its answer the unpaged one. The walk is
// bounded: a history longer than the read's cap is refused with 400,
// telling the caller to page (/v1/history/{identifier}?offset=&limit=).
const (
	// maxServedHistory caps a whole history served record by record
	// (/v1/history without a page, an attestation's valid-at histories):
	// the node's own cap on an unpaged answer.
	maxServedHistory = tlv1.MaxHistoryRecords
	// maxWalkedHistory caps a history a composite read walks to find the
	// records it serves (credit, trace, recalls, the resolver).
	maxWalkedHistory = 100000
)

// historyUse says what a whole history is read for, and so its cap.
type historyUse int

const (
	served historyUse = iota // served record by record: maxServedHistory
	walked                   // walked for some of its records: maxWalkedHistory
)

// readHistory reads and verifies subject's whole history (already
// canonical), walking its pages at the reader's height; a history longer
// than use's cap is refused (400).
func readHistory(rd *reader, subject string, use historyUse) (*tlv1.HistoryResponse, *proof.VerifiedHistory, error) {
	key := tlv1.HeadKey(subject)
	page, limit := rd.s.walk.page, rd.s.walk.served
	if use == walked {
		limit = rd.s.walk.walked
	}
	req := &tlv1.HistoryRequest{Subject: subject, FromEnd: true, Limit: page}
	var first tlv1.HistoryResponse
	h, err := rd.query(tlv1.PathHistory, req, &first)
	if err != nil {
		return nil, nil, err
	}
	vp, err := client.VerifyHistoryPage(subject, key, req, &first, nil)
	if err != nil {
		return nil, nil, err
	}
	if err := rd.roots(first.Roots, h); err != nil {
		return nil, nil, err
	}
	if vp.Head == nil || vp.Offset == 0 {
		return &first, &proof.VerifiedHistory{Subject: subject, Head: vp.Head, Records: vp.Records}, nil
	}
	if vp.Head.Count > limit {
		return nil, nil, &problemError{status: http.StatusBadRequest, code: tlv1.CodeInvalidQuery, field: "identifier",
			detail: fmt.Sprintf("%s has %d records, more than this read walks (%d)", subject, vp.Head.Count, limit),
			hint:   fmt.Sprintf("read the history in pages: /v1/history/%s?limit=%d for the newest, then each page's prev link", url.PathEscape(subject), tlv1.MaxHistoryPage)}
	}
	rootsBytes, err := first.Roots.Marshal()
	if err != nil {
		return nil, nil, fmt.Errorf("encode roots: %w", err)
	}
	pages := [][]*tlv1.ProvenRecord{first.Records}
	total := len(first.Records)
	for vp.Offset > 0 {
		l := min(vp.Offset, uint64(page))
		preq := &tlv1.HistoryRequest{Subject: subject, Offset: vp.Offset - l, Limit: uint32(l), Anchor: vp.Offset}
		var resp tlv1.HistoryResponse
		if _, err := rd.query(tlv1.PathHistory, preq, &resp); err != nil {
			return nil, nil, fmt.Errorf("history of %s, page at %d: %w", subject, preq.Offset, err)
		}
		if b, err := resp.Roots.Marshal(); err != nil || string(b) != string(rootsBytes) {
			return nil, nil, notVerified(fmt.Errorf("history page at %d of %s answered at other roots than its newest page", preq.Offset, subject))
		}
		if vp, err = client.VerifyHistoryPage(subject, key, preq, &resp, vp.ChainBefore); err != nil {
			return nil, nil, err
		}
		pages = append(pages, resp.Records)
		total += len(resp.Records)
	}
	whole := &tlv1.HistoryResponse{Roots: first.Roots, Head: first.Head, Records: make([]*tlv1.ProvenRecord, 0, total)}
	for i := len(pages) - 1; i >= 0; i-- {
		whole.Records = append(whole.Records, pages[i]...)
	}
	vh, err := client.VerifyHistory(subject, key, whole)
	if err != nil {
		return nil, nil, err
	}
	return whole, vh, nil
}

// recordViews renders a verified history's records with their proofs.
func recordViews(resp *tlv1.HistoryResponse, vh *proof.VerifiedHistory) ([]RecordView, error) {
	out := []RecordView{}
	for i, vr := range vh.Records {
		v, err := recordView(vr, resp.Records[i])
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (s *Server) history(r *http.Request) (*prepared, error) {
	given, canonical, err := identifierParam(r, "identifier")
	if err != nil {
		return nil, err
	}
	req, err := pageParams(r, canonical)
	if err != nil {
		return nil, err
	}
	if req != nil {
		return s.historyPage(given, canonical, req), nil
	}
	return &prepared{key: "history\x00" + canonical, fetch: func(rd *reader) (any, error) {
		resp, vh, err := readHistory(rd, canonical, served)
		if err != nil {
			return nil, err
		}
		if vh.Head == nil {
			return nil, absent(rd, tlv1.CodeNotFound, "identifier", "%s (canonical %s) has no history on the ledger", given, canonical)
		}
		recs, err := recordViews(resp, vh)
		if err != nil {
			return nil, err
		}
		return HistoryAnswer{Identifier: given, Canonical: canonical, State: rootsView(resp.Roots),
			Head:      HeadView{Count: vh.Head.Count, LastIndex: vh.Head.LastIndex, ChainHash: vh.Head.ChainHash},
			HeadProof: bundle.ValueOf(resp.Head), Records: recs}, nil
	}}, nil
}

// pageParams reads ?offset= and ?limit= into a page request for subject,
// or nil when neither is given (the whole history). A limit alone asks
// for the newest records; an offset alone for a page of MaxHistoryPage.
func pageParams(r *http.Request, subject string) (*tlv1.HistoryRequest, error) {
	q := r.URL.Query()
	if !q.Has("offset") && !q.Has("limit") {
		return nil, nil
	}
	req := &tlv1.HistoryRequest{Subject: subject, Limit: tlv1.MaxHistoryPage, FromEnd: !q.Has("offset")}
	if q.Has("offset") {
		v := q.Get("offset")
		off, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, badRequest(tlv1.CodeInvalidQuery, "offset", "give the position of the page's first record: 0 is the oldest", "offset %q is not a non-negative integer", v)
		}
		req.Offset = off
	}
	if q.Has("limit") {
		v := q.Get("limit")
		l, err := strconv.ParseUint(v, 10, 32)
		if err != nil || l == 0 || l > tlv1.MaxHistoryPage {
			return nil, badRequest(tlv1.CodeInvalidQuery, "limit", fmt.Sprintf("give the most records the page holds, 1 to %d", tlv1.MaxHistoryPage), "limit %q is not an integer from 1 to %d", v, tlv1.MaxHistoryPage)
		}
		req.Limit = uint32(l)
	}
	return req, nil
}

// historyPage reads and verifies one page of a history against its head.
func (s *Server) historyPage(given, canonical string, req *tlv1.HistoryRequest) *prepared {
	key := fmt.Sprintf("history\x00%s\x00%d\x00%d\x00%t", canonical, req.Offset, req.Limit, req.FromEnd)
	return &prepared{key: key, fetch: func(rd *reader) (any, error) {
		var resp tlv1.HistoryResponse
		h, err := rd.query(tlv1.PathHistory, req, &resp)
		if err != nil {
			return nil, err
		}
		vp, err := client.VerifyHistoryPage(canonical, tlv1.HeadKey(canonical), req, &resp, nil)
		if err != nil {
			return nil, err
		}
		if err := rd.roots(resp.Roots, h); err != nil {
			return nil, err
		}
		if vp.Head == nil {
			return nil, absent(rd, tlv1.CodeNotFound, "identifier", "%s (canonical %s) has no history on the ledger", given, canonical)
		}
		recs, err := recordViews(&resp, &proof.VerifiedHistory{Subject: canonical, Head: vp.Head, Records: vp.Records})
		if err != nil {
			return nil, err
		}
		pv := &PageView{Offset: vp.Offset, Limit: req.Limit, Count: vp.Head.Count, ChainBefore: resp.ChainBefore, SuffixLeafHashes: []bundle.Hex{}}
		for _, lh := range resp.SuffixLeafHashes {
			pv.SuffixLeafHashes = append(pv.SuffixLeafHashes, lh)
		}
		link := func(offset uint64, limit uint64) string {
			return fmt.Sprintf("/v1/history/%s?offset=%d&limit=%d", url.PathEscape(canonical), offset, limit)
		}
		if end := vp.End(); end < vp.Head.Count {
			pv.Next = link(end, uint64(req.Limit))
		}
		if vp.Offset > 0 && vp.Head.Count-vp.Offset <= tlv1.MaxHistorySuffix {
			l := min(vp.Offset, uint64(req.Limit))
			pv.Prev = link(vp.Offset-l, l)
		}
		return HistoryAnswer{Identifier: given, Canonical: canonical, State: rootsView(resp.Roots),
			Head:      HeadView{Count: vp.Head.Count, LastIndex: vp.Head.LastIndex, ChainHash: vp.Head.ChainHash},
			HeadProof: bundle.ValueOf(resp.Head), Records: recs, Page: pv}, nil
	}}
}

// ValueAnswer is a verified map entry.
type ValueAnswer struct {
	Key   string       `json:"key"`
	State bundle.State `json:"state"`
	// Entry is the entry with its map proof; Entry.Value is the
	// marshalled value (base64).
	Entry bundle.Value `json:"entry"`
}

// readValue reads and verifies the map entry at key; present is false for
// a proven absence.
func readValue(rd *reader, key string) (*tlv1.ValueResponse, bool, error) {
	var resp tlv1.ValueResponse
	h, err := rd.query(tlv1.PathValue, &tlv1.ValueRequest{Key: key}, &resp)
	if err != nil {
		return nil, false, err
	}
	present, err := proof.VerifyValue(resp.Roots, key, resp.Value)
	if err != nil {
		return nil, false, notVerified(err)
	}
	if err := rd.roots(resp.Roots, h); err != nil {
		return nil, false, err
	}
	return &resp, present, nil
}

func (s *Server) value(r *http.Request) (*prepared, error) {
	key := r.PathValue("key")
	if key == "" {
		return nil, badRequest(tlv1.CodeInvalidQuery, "key", "give the map key, percent-encoded as one path segment", "empty map key")
	}
	return &prepared{key: "value\x00" + key, fetch: func(rd *reader) (any, error) {
		resp, present, err := readValue(rd, key)
		if err != nil {
			return nil, err
		}
		if !present {
			return nil, absent(rd, tlv1.CodeNotFound, "key", "the map has no entry %q", key)
		}
		return ValueAnswer{Key: key, State: rootsView(resp.Roots), Entry: bundle.ValueOf(resp.Value)}, nil
	}}, nil
}

// ParticipantAnswer is a verified participant with its active keys and,
// for a department, its validator entry.
type ParticipantAnswer struct {
	State       bundle.State      `json:"state"`
	Participant json.RawMessage   `json:"participant"`
	Keys        []json.RawMessage `json:"keys"`
	Department  json.RawMessage   `json:"department,omitempty"`
	// Proofs are the map entries the answer rests on.
	Proofs []bundle.Value `json:"proofs"`
}

func (s *Server) participant(r *http.Request) (*prepared, error) {
	id := r.PathValue("id")
	if id == "" {
		return nil, badRequest(tlv1.CodeInvalidQuery, "id", "give the participant id", "empty participant id")
	}
	return &prepared{key: "participant\x00" + id, fetch: func(rd *reader) (any, error) {
		var resp tlv1.ParticipantResponse
		h, err := rd.query(tlv1.PathParticipant, &tlv1.ParticipantRequest{Id: id}, &resp)
		if err != nil {
			return nil, err
		}
		info, err := client.VerifyParticipant(id, &resp)
		if err != nil {
			return nil, err
		}
		if err := rd.roots(resp.Roots, h); err != nil {
			return nil, err
		}
		if info.Participant == nil {
			return nil, absent(rd, tlv1.CodeParticipantNotFound, "id", "participant %q is not registered", id)
		}
		out := ParticipantAnswer{State: rootsView(resp.Roots), Keys: []json.RawMessage{}, Proofs: []bundle.Value{bundle.ValueOf(resp.Participant)}}
		if out.Participant, err = protoJSON(info.Participant); err != nil {
			return nil, err
		}
		for i, k := range info.Keys {
			js, err := protoJSON(k)
			if err != nil {
				return nil, err
			}
			out.Keys = append(out.Keys, js)
			out.Proofs = append(out.Proofs, bundle.ValueOf(resp.Keys[i]))
		}
		if info.Department != nil {
			if out.Department, err = protoJSON(info.Department); err != nil {
				return nil, err
			}
			out.Proofs = append(out.Proofs, bundle.ValueOf(resp.Department))
		}
		return out, nil
	}}, nil
}

// AttestationAnswer is an attestation's verified current state.
type AttestationAnswer struct {
	ID          string          `json:"id"`
	State       bundle.State    `json:"state"`
	Attestation json.RawMessage `json:"attestation"`
	Entry       bundle.Value    `json:"entry"`
}

// ValidityAnswer says whether an attestation was valid at a time, with the
// records of the two complete histories it rests on.
type ValidityAnswer struct {
	ID       string   `json:"id"`
	At       string   `json:"at"`
	AtMs     int64    `json:"at_ms"`
	Valid    bool     `json:"valid"`
	Failures []string `json:"failures"`
	StatusAt string   `json:"status_at"`
	// Issued, Status and Accreditation are the records the verdict rests
	// on (Status and Accreditation null when none was at or before t).
	Issued        *RecordView `json:"issued"`
	Status        *RecordView `json:"status"`
	Accreditation *RecordView `json:"accreditation"`
	// Histories are the two complete histories read: the attestation's
	// and its issuer's.
	Histories []HistoryAnswer `json:"histories"`
}

// timeParam reads an RFC 3339 time or Unix milliseconds.
func timeParam(r *http.Request, name string) (ms int64, set bool, err error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, false, nil
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return n, true, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return 0, false, badRequest(tlv1.CodeInvalidQuery, name, "give an RFC 3339 time (2026-01-02T15:04:05Z) or Unix milliseconds", "%s %q is not a time", name, v)
	}
	return t.UnixMilli(), true, nil
}

func (s *Server) attestation(r *http.Request) (*prepared, error) {
	id := r.PathValue("id")
	issuer, _, ok := tlv1.ParseAttestationID(id)
	if !ok {
		return nil, badRequest(tlv1.CodeInvalidQuery, "id", "an attestation id is <issuer>/<certificate number>, percent-encoded as one path segment", "%q is not an attestation id", id)
	}
	t, at, err := timeParam(r, "valid_at")
	if err != nil {
		return nil, err
	}
	if !at {
		return &prepared{key: "attestation\x00" + id, fetch: func(rd *reader) (any, error) {
			resp, present, err := readValue(rd, tlv1.AttestationKey(id))
			if err != nil {
				return nil, err
			}
			if !present {
				return nil, absent(rd, tlv1.CodeAttestNotFound, "id", "no attestation has the id %q", id)
			}
			var a tlv1.Attestation
			if err := a.Unmarshal(resp.Value.Value); err != nil {
				return nil, notVerified(fmt.Errorf("attestation does not decode: %w", err))
			}
			js, err := protoJSON(&a)
			if err != nil {
				return nil, err
			}
			return AttestationAnswer{ID: id, State: rootsView(resp.Roots), Attestation: js, Entry: bundle.ValueOf(resp.Value)}, nil
		}}, nil
	}
	return &prepared{key: "attestation-valid\x00" + id + "\x00" + strconv.FormatInt(t, 10), fetch: func(rd *reader) (any, error) {
		var hists []HistoryAnswer
		var views = map[uint64]RecordView{}
		read := func(subject string) (*proof.VerifiedHistory, error) {
			resp, vh, err := readHistory(rd, subject, served)
			if err != nil {
				return nil, err
			}
			recs, err := recordViews(resp, vh)
			if err != nil {
				return nil, err
			}
			ha := HistoryAnswer{Identifier: subject, Canonical: subject, State: rootsView(resp.Roots), HeadProof: bundle.ValueOf(resp.Head), Records: recs}
			if vh.Head != nil {
				ha.Head = HeadView{Count: vh.Head.Count, LastIndex: vh.Head.LastIndex, ChainHash: vh.Head.ChainHash}
			}
			for _, v := range recs {
				views[v.Index] = v
			}
			hists = append(hists, ha)
			return vh, nil
		}
		ah, err := read(tlv1.AttestationHistorySubject(id))
		if err != nil {
			return nil, err
		}
		if ah.Head == nil {
			return nil, absent(rd, tlv1.CodeAttestNotFound, "id", "no attestation has the id %q", id)
		}
		ih, err := read(tlv1.ParticipantSubject(issuer))
		if err != nil {
			return nil, err
		}
		v, err := client.AttestationValidAt(ah, ih, t)
		if err != nil {
			return nil, err
		}
		pick := func(vr *proof.VerifiedRecord) *RecordView {
			if vr == nil {
				return nil
			}
			rv := views[vr.Index]
			return &rv
		}
		out := ValidityAnswer{ID: id, At: time.UnixMilli(t).UTC().Format(time.RFC3339Nano), AtMs: t, Valid: v.Valid,
			Failures: append([]string{}, v.Failures...), StatusAt: v.StatusAt.String(),
			Issued: pick(v.Issued), Status: pick(v.Status), Accreditation: pick(v.Accreditation), Histories: hists}
		return out, nil
	}}, nil
}

// CreditAnswer is an enterprise's verified quality-credit profile.
type CreditAnswer struct {
	State      bundle.State    `json:"state"`
	Enterprise json.RawMessage `json:"enterprise"`
	Entry      bundle.Value    `json:"entry"`
	// The records of the credit history by kind, and the status changes
	// of the membership history, each with its inclusion proof.
	Certifications []RecordView `json:"certifications"`
	Recalls        []RecordView `json:"recalls"`
	Complaints     []RecordView `json:"complaints"`
	Violations     []RecordView `json:"violations"`
	Suspensions    []RecordView `json:"suspensions"`
	// CreditHead and MembershipHead prove both histories complete.
	CreditHead     bundle.Value `json:"credit_head"`
	MembershipHead bundle.Value `json:"membership_head"`
}

func (s *Server) credit(r *http.Request) (*prepared, error) {
	id := r.PathValue("enterprise")
	if id == "" {
		return nil, badRequest(tlv1.CodeInvalidQuery, "enterprise", "give the enterprise's participant id", "empty enterprise id")
	}
	return &prepared{key: "credit\x00" + id, fetch: func(rd *reader) (any, error) {
		pv, present, err := readValue(rd, tlv1.ParticipantKey(id))
		if err != nil {
			return nil, err
		}
		if !present {
			return nil, absent(rd, tlv1.CodeParticipantNotFound, "enterprise", "participant %q is not registered", id)
		}
		var p tlv1.Participant
		if err := p.Unmarshal(pv.Value.Value); err != nil {
			return nil, notVerified(fmt.Errorf("participant does not decode: %w", err))
		}
		out := CreditAnswer{State: rootsView(pv.Roots), Entry: bundle.ValueOf(pv.Value),
			Certifications: []RecordView{}, Recalls: []RecordView{}, Complaints: []RecordView{}, Violations: []RecordView{}, Suspensions: []RecordView{}}
		if out.Enterprise, err = protoJSON(&p); err != nil {
			return nil, err
		}
		cresp, ch, err := readHistory(rd, tlv1.CreditSubject(id), walked)
		if err != nil {
			return nil, err
		}
		out.CreditHead = bundle.ValueOf(cresp.Head)
		for i, vr := range ch.Records {
			var list *[]RecordView
			switch b := vr.Record.Body.(type) {
			case *tlv1.Record_Attestation:
				list = &out.Certifications
			case *tlv1.Record_Credit:
				switch b.Credit.Body.(type) {
				case *tlv1.CreditRecord_Recall:
					list = &out.Recalls
				case *tlv1.CreditRecord_Complaint:
					list = &out.Complaints
				case *tlv1.CreditRecord_Violation:
					list = &out.Violations
				}
			}
			if list == nil {
				continue
			}
			v, err := recordView(vr, cresp.Records[i])
			if err != nil {
				return nil, err
			}
			*list = append(*list, v)
		}
		mresp, mh, err := readHistory(rd, tlv1.ParticipantSubject(id), walked)
		if err != nil {
			return nil, err
		}
		out.MembershipHead = bundle.ValueOf(mresp.Head)
		for i, vr := range mh.Records {
			if vr.Record.GetGovernance().GetParticipantStatusChanged() == nil {
				continue
			}
			v, err := recordView(vr, mresp.Records[i])
			if err != nil {
				return nil, err
			}
			out.Suspensions = append(out.Suspensions, v)
		}
		return out, nil
	}}, nil
}

// TraceAnswer is a trace graph with a proof per edge; a back-trace also
// carries the seven-link report.
type TraceAnswer struct {
	Identifier string          `json:"identifier"`
	Graph      trace.GraphView `json:"graph"`
	Links      *LinksView      `json:"seven_links,omitempty"`
}

// LinksView is the seven-link report: the log indexes of the events found
// for each link, and the links with none.
type LinksView struct {
	Present map[string][]uint64 `json:"present"`
	Missing []string            `json:"missing"`
}

// readerSource is a trace.Source that reads through a reader, so every
// history the walk reads is verified and lands in the evidence.
type readerSource struct{ rd *reader }

// History implements trace.Source.
func (src readerSource) History(_ context.Context, subject string) (*trace.History, error) {
	canonical, err := client.CanonicalSubject(subject)
	if err != nil {
		return nil, err
	}
	resp, vh, err := readHistory(src.rd, canonical, walked)
	if err != nil {
		return nil, err
	}
	return &trace.History{Subject: canonical, Head: vh.Head, Records: vh.Records, Proofs: resp.Records, Roots: resp.Roots}, nil
}

// Participant implements trace.Source.
func (src readerSource) Participant(_ context.Context, id string) (*tlv1.Participant, error) {
	resp, present, err := readValue(src.rd, tlv1.ParticipantKey(id))
	if err != nil || !present {
		return nil, err
	}
	var p tlv1.Participant
	if err := p.Unmarshal(resp.Value.Value); err != nil {
		return nil, notVerified(fmt.Errorf("participant %q does not decode: %w", id, err))
	}
	return &p, nil
}

func (s *Server) trace(r *http.Request) (*prepared, error) {
	var dir trace.Direction
	switch d := r.PathValue("direction"); d {
	case "back":
		dir = trace.Back
	case "forward":
		dir = trace.Forward
	default:
		return nil, badRequest(tlv1.CodeInvalidQuery, "direction", "trace back or forward: /v1/trace/back/{identifier}", "direction %q is neither back nor forward", d)
	}
	given, canonical, err := identifierParam(r, "identifier")
	if err != nil {
		return nil, err
	}
	return &prepared{key: "trace\x00" + r.PathValue("direction") + "\x00" + canonical, fetch: func(rd *reader) (any, error) {
		g, err := trace.NewIndex(readerSource{rd}).Walk(rd.ctx, canonical, dir)
		if err != nil {
			return nil, err
		}
		if g.Absent {
			return nil, absent(rd, tlv1.CodeNotFound, "identifier", "%s (canonical %s) has no history on the ledger", given, canonical)
		}
		out := TraceAnswer{Identifier: given, Graph: g.View(dir)}
		if out.Graph.Edges == nil {
			out.Graph.Edges = []trace.EdgeView{}
		}
		if dir == trace.Back {
			rep := trace.SevenLinkReport(g)
			lv := &LinksView{Present: map[string][]uint64{}, Missing: []string{}}
			for l, evs := range rep.Present {
				for _, ev := range evs {
					lv.Present[trace.LinkName(l)] = append(lv.Present[trace.LinkName(l)], ev.Index)
				}
			}
			for _, l := range rep.Missing {
				lv.Missing = append(lv.Missing, trace.LinkName(l))
			}
			out.Links = lv
		}
		return out, nil
	}}, nil
}

// maxBundleValues caps the further map entries a bundle may ask for.
const maxBundleValues = 16

func (s *Server) bundle(r *http.Request) (*prepared, error) {
	_, canonical, err := identifierParam(r, "identifier")
	if err != nil {
		return nil, err
	}
	values := r.URL.Query()["value"]
	if len(values) > maxBundleValues {
		return nil, badRequest(tlv1.CodeInvalidQuery, "value", fmt.Sprintf("ask for at most %d further map entries", maxBundleValues), "%d map entries asked for", len(values))
	}
	for _, v := range values {
		if v == "" {
			return nil, badRequest(tlv1.CodeInvalidQuery, "value", "name a map key, e.g. recall/<lot>", "empty map key")
		}
	}
	return &prepared{key: "bundle\x00" + canonical + "\x00" + strings.Join(values, "\x00"), fetch: func(rd *reader) (any, error) {
		b, err := s.c.ExportBundle(rd.ctx, client.ExportOptions{Identifier: canonical, Height: rd.answeredHeight(), Values: values})
		if err != nil {
			return nil, err
		}
		rd.setHeight(b.State.Height)
		return raw{contentType: "application/json", filename: fmt.Sprintf("traceledger-proof-%d.json", b.State.Height), body: b}, nil
	}, selfVerified: true}, nil
}

// ConsistencyAnswer proves that the log the client checkpointed (old) is a
// prefix of the verified current one.
type ConsistencyAnswer struct {
	Old          bundle.State `json:"old"`
	New          bundle.State `json:"new"`
	LogProof     ProofView    `json:"log_proof"`
	RecordsProof ProofView    `json:"records_proof"`
}

// ProofView is an RFC 6962 consistency proof.
type ProofView struct {
	Size1  uint64       `json:"size1"`
	Size2  uint64       `json:"size2"`
	Hashes []bundle.Hex `json:"hashes"`
}

func proofView(p *tlv1.LogConsistencyProof) ProofView {
	v := ProofView{Hashes: []bundle.Hex{}}
	if p != nil {
		v.Size1, v.Size2 = p.Size1, p.Size2
		for _, h := range p.Hashes {
			v.Hashes = append(v.Hashes, h)
		}
	}
	return v
}

// hashParam reads a 32-byte hex parameter.
func hashParam(r *http.Request, name string) ([]byte, error) {
	v := r.URL.Query().Get(name)
	b, err := hex.DecodeString(v)
	if err != nil || len(b) != 32 {
		return nil, badRequest(tlv1.CodeInvalidQuery, name, "give the root of your checkpoint as 64 hexadecimal digits (from an earlier /v1/status)", "%s %q is not a 32-byte hex hash", name, v)
	}
	return b, nil
}

func (s *Server) consistency(r *http.Request) (*prepared, error) {
	q := r.URL.Query()
	size, err := strconv.ParseUint(q.Get("size"), 10, 64)
	if err != nil {
		return nil, badRequest(tlv1.CodeInvalidQuery, "size", "give your checkpoint's log size (from an earlier /v1/status)", "size %q is not a non-negative integer", q.Get("size"))
	}
	logRoot, err := hashParam(r, "log_root")
	if err != nil {
		return nil, err
	}
	recRoot, err := hashParam(r, "records_root")
	if err != nil {
		return nil, err
	}
	old := &tlv1.StateRoots{LogSize: size, LogRoot: logRoot, RecordsRoot: recRoot}
	key := fmt.Sprintf("consistency\x00%d\x00%x\x00%x", size, logRoot, recRoot)
	return &prepared{key: key, fetch: func(rd *reader) (any, error) {
		var resp tlv1.ConsistencyResponse
		h, err := rd.query(tlv1.PathConsistency, &tlv1.ConsistencyRequest{Size1: size}, &resp)
		if err != nil {
			return nil, err
		}
		// The current roots first: once they are verified, a proof that
		// does not lead to the checkpoint is about the checkpoint.
		if err := rd.roots(resp.Roots, h); err != nil {
			return nil, err
		}
		if err := proof.VerifyRootsConsistency(old, resp.Roots, resp.Log, resp.Records); err != nil {
			return nil, &problemError{status: http.StatusConflict, code: tlv1.CodeAPINotVerified, field: "log_root",
				detail: fmt.Sprintf("the verified log at state height %d does not extend your checkpoint: %v", h, err),
				hint:   "check the checkpoint's size and roots; if they came from a verified answer of this chain, history was rewritten: report it"}
		}
		return ConsistencyAnswer{Old: rootsView(old), New: rootsView(resp.Roots), LogProof: proofView(resp.Log), RecordsProof: proofView(resp.Records)}, nil
	}}, nil
}

// setHeight fixes the reader's height from an answer read elsewhere.
func (r *reader) setHeight(h int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.height = h
}
