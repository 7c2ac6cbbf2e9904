// SPDX-License-Identifier: Apache-2.0

package epcisrest

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzQueryParams feeds any query string to the parser of GET /events: it
// never panics, answers a problem or a query, and takes a nextPageToken
// only if this gateway made it for exactly this query.
func FuzzQueryParams(f *testing.F) {
	for _, s := range []string{
		"MATCH_anyEPC=urn:epc:id:sgtin:6901234.500012.1",
		"MATCH_epc=urn:epc:id:sgtin:6901234.500012.1|urn:epc:id:sgtin:6901234.500012.2&eventType=ObjectEvent&GE_eventTime=2026-01-01T00:00:00Z",
		"EQ_eventID=ni:///sha-256;" + strings.Repeat("0", 64) + "?ver=CBV2.0&perPage=2&nextPageToken=2.AAAA",
		"MATCH_anyEPC=x&orderBy=eventTime&orderDirection=ASC&eventCountLimit=1",
		"EQ_bizStep=urn:epcglobal:cbv:bizstep:shipping&MATCH_epcClass=urn:epc:class:lgtin:6901234.500012.L1",
		"%zz&&=",
	} {
		f.Add(s)
	}
	g := &Gateway{secret: []byte("fuzz secret, 32 bytes long......")}
	f.Fuzz(func(t *testing.T, raw string) {
		r := httptest.NewRequest("GET", "/epcis/events", nil)
		r.URL.RawQuery = raw
		q, pe := g.parseQuery(r, nil)
		if (q == nil) == (pe == nil) {
			t.Fatalf("%q: query %v and problem %v", raw, q, pe)
		}
		if pe != nil {
			if pe.p.Status < 400 || pe.p.Type == "" || pe.p.Name == "" {
				t.Fatalf("%q: problem %+v", raw, pe.p)
			}
			return
		}
		if tok := r.URL.Query().Get("nextPageToken"); tok != "" && g.pageToken(q.digest, q.offset) != tok {
			t.Fatalf("%q: a page token this gateway did not make for this query was taken", raw)
		}
		if q.perPage <= 0 || q.perPage > MaxPerPage || q.offset < 0 {
			t.Fatalf("%q: paging %d/%d", raw, q.perPage, q.offset)
		}
	})
}
