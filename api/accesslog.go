// SPDX-License-Identifier: Apache-2.0

package api

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// heightHeader names the state height of an answer.
const heightHeader = "X-TraceLedger-Height"

// accessLog is the access-log layer: one line per request to
// Options.AccessLog (off when nil) with the method, path, route pattern,
// status, bytes sent (after compression), duration, client (after trusted
// proxies), the answer's state height and the request id. It sits outside
// the metrics and the rate limit, so refused requests are logged too.
func (s *Server) accessLog(next http.Handler) http.Handler {
	lg := s.opts.AccessLog
	if lg == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		cw := &countingWriter{ResponseWriter: w}
		next.ServeHTTP(cw, r)
		status := cw.status
		if status == 0 {
			status = http.StatusOK
		}
		attrs := make([]slog.Attr, 0, 10)
		attrs = append(attrs,
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("route", r.Pattern),
			slog.Int("status", status),
			slog.Int64("bytes", cw.bytes),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
		)
		var id string
		if ri := infoOf(r.Context()); ri != nil {
			id = ri.id
			attrs = append(attrs, slog.String("client", ri.client.String()))
		}
		if h, err := strconv.ParseInt(w.Header().Get(heightHeader), 10, 64); err == nil {
			attrs = append(attrs, slog.Int64("height", h))
		}
		attrs = append(attrs, slog.String("request_id", id))
		lg.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	})
}

// countingWriter records the status and how many body bytes were sent.
type countingWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

// WriteHeader records the first final status.
func (w *countingWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write counts b.
func (w *countingWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}
