// SPDX-License-Identifier: Apache-2.0

package api

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"
)

// openAPIDocument is the OpenAPI 3.1 description of the routes (written by
// hand; TestOpenAPICoversEveryRoute keeps it and routeTable in step, and
// every handler test validates its answers against it).
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPI returns the API's OpenAPI 3.1 document, as served at
// GET /v1/openapi.json, so that tools and tests can load the same bytes.
func OpenAPI() []byte { return bytes.Clone(openAPIDocument) }

// openAPITag is the document's ETag: it changes only with the binary.
func openAPITag() string {
	sum := sha256.Sum256(openAPIDocument)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// openAPI serves the document, cacheable for an hour and revalidated by
// its ETag (it changes only when the server is upgraded).
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("ETag", s.docTag)
	h.Set("Cache-Control", "public, max-age=3600")
	if matchETag(r, s.docTag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(openAPIDocument)
}
