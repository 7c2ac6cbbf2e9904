// SPDX-License-Identifier: Apache-2.0

package api

import (
	"compress/gzip"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// minGzipBytes is the smallest body compressed: below it the gzip header
// and the CPU cost outweigh the bytes saved (a problem document, a
// health answer).
const minGzipBytes = 1024

// gzipLevel trades size for CPU: answers are dynamic, so the fastest level
// (which still shrinks JSON with base64 proofs by about half) wins.
const gzipLevel = gzip.BestSpeed

// newGzipWriter makes a writer of the server's pool.
func newGzipWriter() any {
	zw, err := gzip.NewWriterLevel(nil, gzipLevel)
	if err != nil {
		panic(err) // gzipLevel is a valid level
	}
	return zw
}

// compress is the gzip layer: a JSON or text answer of at least
// minGzipBytes to a client that accepts gzip (Accept-Encoding, with its
// q-values) is compressed. Every such answer says Vary: Accept-Encoding,
// compressed or not, so a cache keeps the variants apart. The compressed
// variant's ETag is the weak form of the answer's (W/"..."), as the two
// variants are the same answer in different bytes; a revalidation with
// that tag still matches (matchETag compares weakly, as RFC 9110 has
// If-None-Match do), and its 304 names the tag the client holds. 204, 206,
// 304 and HEAD answers are never compressed.
func (s *Server) compress(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gw := &gzipWriter{ResponseWriter: w, s: s, accepts: acceptsGzip(r.Header.Values("Accept-Encoding")),
			head: r.Method == http.MethodHead, inm: r.Header.Get("If-None-Match")}
		next.ServeHTTP(gw, r)
		gw.finish()
	})
}

// States of a gzipWriter.
const (
	gzUndecided   = iota // nothing written yet
	gzPending            // a compressible answer, buffered until it is big enough
	gzIdentity           // passed through as it is
	gzCompressing        // compressed
)

// gzipWriter compresses an answer as it is written. It holds the status
// and the first bytes back until it knows whether the answer is worth
// compressing.
type gzipWriter struct {
	http.ResponseWriter
	s       *Server
	accepts bool
	head    bool
	inm     string

	state  int
	status int
	buf    []byte
	zw     *gzip.Writer
}

// WriteHeader decides, from the headers, whether the answer may be
// compressed; a compressible one waits for its first minGzipBytes.
func (w *gzipWriter) WriteHeader(code int) {
	if code >= 100 && code < 200 {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	if w.state != gzUndecided {
		return
	}
	w.status = code
	h := w.Header()
	compressible := compressibleType(h.Get("Content-Type")) && h.Get("Content-Encoding") == ""
	switch {
	case code == http.StatusNotModified:
		// The 304 stands for the answer the client holds: if that is the
		// compressed variant, name its tag.
		addVary(h)
		if tag := h.Get("ETag"); w.accepts && tag != "" && !strings.HasPrefix(tag, "W/") && listsTag(w.inm, "W/"+tag) {
			h.Set("ETag", "W/"+tag)
		}
	case code == http.StatusNoContent, code == http.StatusPartialContent:
		// No body, or a byte range of the uncompressed answer.
	case compressible && w.accepts && !w.head:
		addVary(h)
		w.state = gzPending
		return
	case compressible:
		addVary(h)
	}
	w.state = gzIdentity
	w.ResponseWriter.WriteHeader(code)
}

// Write buffers, compresses or passes b through.
func (w *gzipWriter) Write(b []byte) (int, error) {
	if w.state == gzUndecided {
		w.WriteHeader(http.StatusOK)
	}
	switch w.state {
	case gzPending:
		w.buf = append(w.buf, b...)
		if len(w.buf) >= minGzipBytes {
			if err := w.startGzip(); err != nil {
				return 0, err
			}
		}
		return len(b), nil
	case gzCompressing:
		return w.zw.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

// startGzip commits to the compressed variant and writes what is
// buffered.
func (w *gzipWriter) startGzip() error {
	h := w.Header()
	h.Set("Content-Encoding", "gzip")
	h.Del("Content-Length")
	h.Del("Accept-Ranges") // ranges would count the compressed bytes
	if tag := h.Get("ETag"); tag != "" && !strings.HasPrefix(tag, "W/") {
		h.Set("ETag", "W/"+tag)
	}
	w.ResponseWriter.WriteHeader(w.status)
	w.zw = w.s.gzipPool.Get().(*gzip.Writer)
	w.zw.Reset(w.ResponseWriter)
	w.state = gzCompressing
	buf := w.buf
	w.buf = nil
	_, err := w.zw.Write(buf)
	return err
}

// finish ends the answer: a small one goes out as it is, a compressed one
// gets its gzip trailer and the writer goes back to the pool.
func (w *gzipWriter) finish() {
	switch w.state {
	case gzPending:
		w.state = gzIdentity
		w.ResponseWriter.WriteHeader(w.status)
		_, _ = w.ResponseWriter.Write(w.buf)
		w.buf = nil
	case gzCompressing:
		_ = w.zw.Close()
		w.zw.Reset(nil)
		w.s.gzipPool.Put(w.zw)
		w.zw = nil
	}
}

// acceptsGzip reports whether Accept-Encoding (all its lines) accepts
// gzip: gzip or x-gzip with a q-value above 0, or, when neither is named,
// "*" above 0 (RFC 9110 section 12.5.3). A malformed q-value counts as 0.
func acceptsGzip(lines []string) bool {
	gz, star := -1.0, -1.0
	for _, line := range lines {
		for _, part := range strings.Split(line, ",") {
			name, params, _ := strings.Cut(part, ";")
			q := 1.0
			for _, p := range strings.Split(params, ";") {
				k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
					if err != nil || f < 0 || f > 1 {
						f = 0
					}
					q = f
				}
			}
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "gzip", "x-gzip":
				gz = max(gz, q)
			case "*":
				star = max(star, q)
			}
		}
	}
	if gz >= 0 {
		return gz > 0
	}
	return star > 0
}

// compressibleType reports whether an answer of content type ct is
// compressed: JSON (application/json and every +json type: problem
// documents, linksets) and text.
func compressibleType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json") || strings.HasPrefix(mt, "text/")
}

// addVary adds Accept-Encoding to Vary unless it is there.
func addVary(h http.Header) {
	for _, line := range h.Values("Vary") {
		for _, v := range strings.Split(line, ",") {
			if v = strings.TrimSpace(v); v == "*" || strings.EqualFold(v, "Accept-Encoding") {
				return
			}
		}
	}
	h.Add("Vary", "Accept-Encoding")
}

// listsTag reports whether the If-None-Match value inm lists tag exactly.
func listsTag(inm, tag string) bool {
	for _, t := range strings.Split(inm, ",") {
		if strings.TrimSpace(t) == tag {
			return true
		}
	}
	return false
}
