// SPDX-License-Identifier: Apache-2.0

package api

import (
	"context"
	"crypto/rand"
	"net/http"
)

// RequestIDHeader carries a request's id: honoured from the client (or the
// proxy in front) when it is sane, generated otherwise, and echoed in the
// answer, so one request can be followed through the proxy's log, the
// access log and the server's error log.
const RequestIDHeader = "X-Request-Id"

// maxRequestIDLen caps a request id taken from a request; a longer one is
// replaced, never truncated (a truncated id would not find its origin).
const maxRequestIDLen = 128

// requestInfo is what the outermost layer learns about a request for the
// layers inside it: its id and the client it is counted against.
type requestInfo struct {
	id string
	// client is the client's address (after trusted proxies), the key
	// of its rate limits and the access log's client.
	client clientAddr
}

// requestInfoKey is the context key of a request's *requestInfo.
type requestInfoKey struct{}

// RequestID is the id of the request ctx belongs to ("" outside the
// API's handler): handlers mounted with Server.Handle log it so their
// lines join the access log's.
func RequestID(ctx context.Context) string {
	if ri := infoOf(ctx); ri != nil {
		return ri.id
	}
	return ""
}

// infoOf is the request's info, nil outside the handler chain.
func infoOf(ctx context.Context) *requestInfo {
	ri, _ := ctx.Value(requestInfoKey{}).(*requestInfo)
	return ri
}

// saneRequestID reports whether id, taken from a request, may be used:
// 1 to 128 characters of letters, digits and -_.:/+=@ (what UUIDs, ULIDs,
// base64 and the common tracing formats use), so that it cannot break a
// log line or a header.
func saneRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-', c == '_', c == '.', c == ':', c == '/', c == '+', c == '=', c == '@':
		default:
			return false
		}
	}
	return true
}

// withRequestInfo is the outermost layer: it gives the request its id
// (echoed in the answer's header) and resolves the client it comes from,
// once, for the access log and the rate limits inside. It is the only
// layer that replaces the request (to carry the info in its context), so
// the layers inside share the one request the mux stamps with its route
// pattern.
func (s *Server) withRequestInfo(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !saneRequestID(id) {
			id = rand.Text()
		}
		w.Header().Set(RequestIDHeader, id)
		ri := &requestInfo{id: id, client: s.clientOf(r)}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, ri)))
	})
}
