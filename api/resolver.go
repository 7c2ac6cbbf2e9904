// SPDX-License-Identifier: Apache-2.0

package api

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/epcis"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// A first GS1 Digital Link resolver (GS1-Conformant Resolver 1.2, partly):
// GET /{primary key AI}/{value}[/{qualifier AI}/{value}...] for the primary
// keys package epcis parses. The key is canonicalised like every
// identifier, its history is read and verified (an unknown key is a 404
// problem with the absence proof), and then:
//   - Accept: application/linkset+json, or ?linkType=linkset / all: the
//     RFC 9264 linkset of the key;
//   - ?linkType=<a link type of the linkset>: 307 to that link;
//   - otherwise (a browser, a scanner): 307 to the default link, the
//     product page.

// resolverPattern is the resolver's route: every two-or-more-segment path
// no other route takes.
const resolverPattern = "GET /{ai}/{rest...}"

// resolverPrimaryKeys are the GS1 primary keys the resolver answers (their
// numeric application identifiers, and the alphabetic ones of GTIN, GLN
// and SSCC that Digital Links may use).
var resolverPrimaryKeys = []string{"01", "00", "253", "255", "401", "402", "414", "417", "8003", "8004", "8006", "8010", "8017", "8018", "gtin", "gln", "sscc"}

// Link relation types of the GS1 Web Vocabulary the linkset uses.
const (
	gs1Voc             = "https://gs1.org/voc/"
	linkDefault        = gs1Voc + "defaultLink"
	linkTraceability   = gs1Voc + "traceability"
	linkEPCIS          = gs1Voc + "epcis"
	linkCertification  = gs1Voc + "certificationInfo"
	linkRecallStatus   = gs1Voc + "recallStatus"
	linksetContentType = "application/linkset+json"
)

// Link is one target of a linkset.
type Link struct {
	Href  string `json:"href"`
	Title string `json:"title,omitempty"`
	Type  string `json:"type,omitempty"`
}

// linkTypes are the relations of a key's linkset, in order.
var linkTypes = []string{linkDefault, linkTraceability, linkEPCIS, linkCertification, linkRecallStatus}

// links returns the linkset targets of canonical, on base.
func (s *Server) links(base, canonical string) map[string][]Link {
	id := url.PathEscape(canonical)
	page := strings.ReplaceAll(s.opts.ProductPage, "{id}", id)
	switch {
	case page == "":
		page = base + "/v1/history/" + id
	case strings.HasPrefix(page, "/"):
		page = base + page // a page on this server (the portal)
	}
	return map[string][]Link{
		linkDefault:       {{Href: page, Title: "Product page", Type: "text/html"}},
		linkTraceability:  {{Href: base + "/v1/trace/back/" + id, Title: "Trace back, with a proof per edge", Type: "application/json"}},
		linkEPCIS:         {{Href: base + "/v1/history/" + id, Title: "Complete verified history", Type: "application/json"}},
		linkCertification: {{Href: base + "/v1/trace/back/" + id, Title: "Attestations found in the trace (graph.attestations)", Type: "application/json"}},
		linkRecallStatus: {{Href: base + "/v1/recalls?lot=" + url.QueryEscape(canonical), Title: "Every recall recorded against this key, proven complete", Type: "application/json"},
			{Href: base + "/v1/trace/forward/" + id, Title: "Recalls found in the trace (graph.recalls)", Type: "application/json"}},
	}
}

// baseURL is Options.BaseURL, or the request's own scheme and host.
func (s *Server) baseURL(r *http.Request) string {
	if s.opts.BaseURL != "" {
		return strings.TrimSuffix(s.opts.BaseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// wantsLinkset reports whether the request asks for the linkset.
func wantsLinkset(r *http.Request) bool {
	switch r.URL.Query().Get("linkType") {
	case "linkset", "all":
		return true
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == linksetContentType {
			return true
		}
	}
	return false
}

// resolve answers a Digital Link path.
func (s *Server) resolve(w http.ResponseWriter, r *http.Request) {
	if !slices.Contains(resolverPrimaryKeys, r.PathValue("ai")) {
		s.noRoute(w, r)
		return
	}
	ctx := r.Context()
	// The Digital Link on this host, without the resolver's own parameters.
	dl := "https://resolver.invalid" + r.URL.EscapedPath()
	canonical, err := client.CanonicalSubject(dl)
	if _, gs1 := epcis.DigitalLink(dl); err == nil && !gs1 {
		err = fmt.Errorf("%w: %s is not a GS1 key", client.ErrInvalidIdentifier, r.URL.EscapedPath())
	}
	if err != nil {
		writeProblem(w, &problemError{status: http.StatusBadRequest, code: tlv1.CodeEPCISInvalidIdentifier, field: "identifier", detail: err.Error(),
			hint: "give a GS1 Digital Link path: /01/{14-digit GTIN}[/10/{lot}|/21/{serial}] or another primary key"})
		return
	}
	p := &prepared{key: "resolve\x00" + canonical, fetch: func(rd *reader) (any, error) {
		_, vh, err := readHistory(rd, canonical, walked)
		if err != nil {
			return nil, err
		}
		if vh.Head == nil {
			return nil, absent(rd, tlv1.CodeNotFound, "identifier", "%s has no history on the ledger", canonical)
		}
		return nil, nil
	}}
	tctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	if _, _, err := s.fetchVerified(tctx, p, 0); err != nil {
		s.fail(tctx, w, r, err)
		return
	}
	base := s.baseURL(r)
	links := s.links(base, canonical)
	h := w.Header()
	h.Set("Vary", "Accept")
	h.Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(s.opts.LatestMaxAge.Seconds())))
	var lh []string
	for _, rel := range linkTypes {
		for _, l := range links[rel] {
			lh = append(lh, fmt.Sprintf(`<%s>; rel="%s"`, l.Href, rel))
		}
	}
	h.Set("Link", strings.Join(lh, ", "))
	if wantsLinkset(r) {
		entry := map[string]any{"anchor": canonical}
		for _, rel := range linkTypes {
			entry[rel] = links[rel]
		}
		h.Set("Content-Type", linksetContentType)
		writeJSON(w, http.StatusOK, map[string]any{"linkset": []any{entry}})
		return
	}
	target := links[linkDefault][0].Href
	if lt := r.URL.Query().Get("linkType"); lt != "" {
		rel := lt
		if name, ok := strings.CutPrefix(lt, "gs1:"); ok {
			rel = gs1Voc + name
		}
		if l, ok := links[rel]; ok {
			target = l[0].Href
		}
	}
	h.Set("Location", target)
	w.WriteHeader(http.StatusTemporaryRedirect)
}

// wellKnown describes the resolver (/.well-known/gs1resolver).
func (s *Server) wellKnown(w http.ResponseWriter, r *http.Request) {
	base := s.baseURL(r)
	var keys []string
	for _, k := range resolverPrimaryKeys {
		if k[0] >= '0' && k[0] <= '9' {
			keys = append(keys, k)
		}
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	writeJSON(w, http.StatusOK, map[string]any{
		"name":                        "TraceLedger",
		"resolverRoot":                base,
		"supportedPrimaryKeys":        keys,
		"linkTypeDefaultCanBeLinkset": false,
		"supportedLinkType":           linkTypes,
		"linksetMediaType":            linksetContentType,
	})
}
