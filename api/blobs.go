// SPDX-License-Identifier: Apache-2.0

package api

// GET /v1/blobs/{sha256}: the ciphertexts of disclosures (issue 18;
// docs/DISCLOSURE.md) from a content-addressed store the operator
// configures (Options.BlobDir). Only ciphertext is ever stored there, and
// each one's SHA-256 is on the ledger in its disclosure record, so the
// bytes are served as they are, immutable: the recipient checks them
// against the verified record and only its key decrypts them.

import (
	"errors"
	"io/fs"
	"net/http"
	"strconv"

	"github.com/traceledger/traceledger/client"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

func (s *Server) blob(w http.ResponseWriter, r *http.Request) {
	v := r.PathValue("sha256")
	sum, err := client.ParseSHA256(v)
	if err != nil {
		writeProblem(w, badRequest(tlv1.CodeInvalidQuery, "sha256", "give the ciphertext's SHA-256 as 64 hex digits, as the disclosure record names it", "%v", err))
		return
	}
	if s.opts.BlobDir == "" {
		writeProblem(w, notFound(tlv1.CodeNotFound, "sha256", "this API server serves no ciphertext store (traceledger serve --blob-store DIR)", "no ciphertext store is configured"))
		return
	}
	data, err := client.BlobStore{Dir: s.opts.BlobDir}.Get(sum)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		writeProblem(w, notFound(tlv1.CodeNotFound, "sha256", "ask the discloser, or another department's store", "no ciphertext %s in this store", v))
		return
	case err != nil:
		s.log.Error("blob store", "sha256", v, "err", err)
		writeProblem(w, &problemError{status: http.StatusInternalServerError, code: tlv1.CodeInternal, detail: "the ciphertext store could not serve " + v})
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("ETag", `"`+v+`"`)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(data)
	}
}
