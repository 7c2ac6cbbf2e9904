// SPDX-License-Identifier: Apache-2.0

// Package api is TraceLedger's HTTP face: versioned JSON reads under /v1/
// whose every answer the server verified before serving it and that carry
// their evidence (the node's answers with their proofs and the light block
// whose signed header commits to them), signed submissions, health and
// readiness. It reads through package client, which checks every answer
// against headers CometBFT's light client verified from the genesis trust
// root; an answer that fails is never served (502, counted). It depends on
// client, proof, epcis and trace, never on the application or the node.
// docs/API.md describes the routes.
package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/traceledger/traceledger/client"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Defaults of Options.
const (
	DefaultMaxBodyBytes = 4 << 20
	DefaultTimeout      = 30 * time.Second
	DefaultLatestMaxAge = time.Second
	// ShutdownGrace is how long Serve lets requests in flight finish.
	ShutdownGrace = 10 * time.Second
)

// Options tune a Server; the zero value takes the defaults.
type Options struct {
	// MaxBodyBytes caps a request body (a submission); larger is 413.
	MaxBodyBytes int64
	// Timeout caps the time to answer one request; later is 504.
	Timeout time.Duration
	// LatestMaxAge is the Cache-Control max-age of an answer at the latest
	// height (answers at an explicit ?height= are immutable).
	LatestMaxAge time.Duration
	// Logger receives verification failures and server errors; nil
	// discards them.
	Logger *slog.Logger
	// ProductPage is the URL of the portal's product page, where the
	// resolver sends browsers, with {id} for the percent-encoded canonical
	// key; a path (/portal/p/{id}) is on this server, at BaseURL; empty
	// means the verified history (/v1/history/{id}).
	ProductPage string
	// BaseURL is the public URL of the API (scheme and host) the resolver's
	// links use; empty means the request's own.
	BaseURL string

	// ReadRate and ReadBurst are each client's token bucket for public
	// reads (GET, HEAD, OPTIONS): ReadRate requests a second, ReadBurst at
	// once; SubmitRate and SubmitBurst the stricter one for everything
	// else (POST /v1/txs). Zero takes the defaults (DefaultReadRate, ...);
	// a negative rate turns that limit off. Health, readiness and metrics
	// are never limited.
	ReadRate    float64
	ReadBurst   int
	SubmitRate  float64
	SubmitBurst int
	// RateClients caps how many clients each limit remembers; the client
	// idle longest makes room (DefaultRateClients when zero).
	RateClients int
	// TrustedProxies are the reverse proxies whose Forwarded or
	// X-Forwarded-For header names the client (ParseTrustedProxy); from
	// any other peer those headers are ignored and the peer is the client.
	TrustedProxies []netip.Prefix
	// AccessLog receives one line per request (method, path, route,
	// status, bytes, duration, client, height, request id); nil turns the
	// access log off.
	AccessLog *slog.Logger
	// BlobDir is a content-addressed ciphertext store (client.BlobStore)
	// served at GET /v1/blobs/{sha256}; empty serves none.
	BlobDir string
}

// Server answers the HTTP API from one verifying client.
type Server struct {
	c    *client.Client
	opts Options
	mux  *http.ServeMux
	log  *slog.Logger

	// flights are the header checks under way, by state height; the
	// channel closes when the check ends (verifyRoots).
	flightMu sync.Mutex
	flights  map[int64]chan struct{}
	blockMu  sync.Mutex
	blocks   map[int64]blockEntry

	failures  atomic.Uint64
	conflicts atomic.Uint64 // witness conflicts (witnessConflict)
	metrics   *metrics

	readLimit, submitLimit *limiterTable // nil: off
	gzipPool               sync.Pool     // of *gzip.Writer

	// table is the API's routes (routeTable).
	table []route
	// docTag is the ETag of the OpenAPI document.
	docTag string
	// walk is how whole histories are walked (smaller only in tests).
	walk walkLimits
}

// walkLimits are the page size whole histories are walked in and the
// caps of readHistory.
type walkLimits struct {
	page           uint32
	served, walked uint64
}

// New returns a Server reading through c.
func New(c *client.Client, opts Options) *Server {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.LatestMaxAge <= 0 {
		opts.LatestMaxAge = DefaultLatestMaxAge
	}
	if opts.ReadRate == 0 {
		opts.ReadRate = DefaultReadRate
	}
	if opts.ReadBurst <= 0 {
		opts.ReadBurst = max(DefaultReadBurst, int(opts.ReadRate))
	}
	if opts.SubmitRate == 0 {
		opts.SubmitRate = DefaultSubmitRate
	}
	if opts.SubmitBurst <= 0 {
		opts.SubmitBurst = max(DefaultSubmitBurst, int(opts.SubmitRate))
	}
	if opts.RateClients <= 0 {
		opts.RateClients = DefaultRateClients
	}
	lg := opts.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	s := &Server{c: c, opts: opts, mux: http.NewServeMux(), log: lg, blocks: map[int64]blockEntry{}, flights: map[int64]chan struct{}{}, docTag: openAPITag(), walk: walkLimits{page: tlv1.MaxHistoryPage, served: maxServedHistory, walked: maxWalkedHistory}}
	s.gzipPool.New = newGzipWriter
	s.readLimit, s.submitLimit = newLimits(opts)
	s.metrics = newMetrics(s)
	s.table = s.routeTable()
	s.routes()
	if c != nil {
		c.OnWitnessConflict(s.witnessConflict)
	}
	return s
}

// witnessConflict counts and logs a witness that served a header other
// than the primary's for a height the light client checked. CometBFT's
// light client drops that witness and keeps serving headers verified
// against the primary when another witness confirmed them; when the
// conflicting header verifies instead (an attack on the primary's side),
// the primary's header is refused and the read answered 502.
func (s *Server) witnessConflict(c client.WitnessConflict) {
	n := s.conflicts.Add(1)
	s.log.Error("a witness served a header that conflicts with the primary's", "witness", c.Witness, "height", c.Height,
		"primary_hash", hexOf(c.PrimaryHash), "witness_hash", hexOf(c.WitnessHash), "witness_error", errString(c.Err),
		"primary_refused", c.Attack, "witness_conflicts", n)
}

// errString is err's text, or "" for nil.
func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// WitnessConflicts is how many times a witness served a header that
// conflicts with the primary's (or a malformed one) since the server
// started.
func (s *Server) WitnessConflicts() uint64 { return s.conflicts.Load() }

// Handler is the API's HTTP handler. Reads are public: they answer any
// origin (CORS), and a browser's preflight for them is answered here.
//
// A request passes, in this order: request id (taken or made, echoed;
// the client resolved through trusted proxies) -> access log -> metrics
// -> rate limit -> gzip -> CORS -> the routes. So the access log and the
// metrics see every request, refused ones included; a refused request
// costs neither compression nor routing; and only the request-id layer
// replaces the request, so the metrics and the access log read the route
// pattern the mux stamps on the one request they share.
func (s *Server) Handler() http.Handler {
	var h http.Handler = s.mux
	h = cors(h)
	h = s.compress(h)
	h = s.rateLimit(h)
	h = s.metrics.layer(h)
	h = s.accessLog(h)
	return s.withRequestInfo(h)
}

// cors answers a browser: reads are open to any origin, and their
// preflight is answered here.
func cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		corsHeaders(h, r)
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, HEAD")
			h.Set("Access-Control-Allow-Headers", "If-None-Match, "+RequestIDHeader)
			h.Set("Access-Control-Max-Age", "86400")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// corsHeaders opens a read's answer to any origin, exposing the headers
// a page needs.
func corsHeaders(h http.Header, r *http.Request) {
	if r.Header.Get("Origin") != "" && (r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions) {
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Expose-Headers", "ETag, "+heightHeader+", Retry-After, "+RequestIDHeader)
	}
}

// noRoute answers a request no route takes: 405 naming the method a route
// of that path takes, else 404.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "/" && pattern != "" && pattern != resolverPattern {
			w.Header().Set("Allow", m)
			writeProblem(w, &problemError{status: http.StatusMethodNotAllowed, code: tlv1.CodeInvalidQuery,
				detail: fmt.Sprintf("%s does not take %s", r.URL.Path, r.Method), hint: "use " + m + "; see docs/API.md"})
			return
		}
	}
	writeProblem(w, notFound(tlv1.CodeNotFound, "", "see docs/API.md for the routes", "no route %s %s", r.Method, r.URL.Path))
}

// Handle registers h for pattern (http.ServeMux syntax) beside the API's
// own routes, behind the same layers (request id, access log, metrics,
// rate limit, gzip, CORS; see Handler): the EPCIS
// interface and the portal mount themselves on the API server this way.
// It panics, as ServeMux does, on a pattern that conflicts with a route.
func (s *Server) Handle(pattern string, h http.Handler) {
	s.mux.Handle(pattern, h)
}

// VerificationFailures is how many node answers failed verification and
// were refused since the server started.
func (s *Server) VerificationFailures() uint64 { return s.failures.Load() }

// route is one of the API's own routes: a ServeMux pattern and what
// answers it. The table below is the one list of them: routes registers
// it, Routes reports it, and the OpenAPI document is checked against it.
type route struct {
	pattern string
	handler http.HandlerFunc
}

// routeTable is every route of the API, in registration order.
func (s *Server) routeTable() []route {
	return []route{
		{"GET /healthz", s.healthz},
		{"GET /readyz", s.readyz},
		{"GET /v1/openapi.json", s.openAPI},
		{"GET /v1/status", s.read(s.status)},
		{"GET /v1/records/{index}", s.read(s.record)},
		{"GET /v1/history/{identifier}", s.read(s.history)},
		{"GET /v1/values/{key}", s.read(s.value)},
		{"GET /v1/participants", s.read(s.participants)},
		{"GET /v1/participants/{id}", s.read(s.participant)},
		{"GET /v1/attestations/{id}", s.read(s.attestation)},
		{"GET /v1/credit/{enterprise}", s.read(s.credit)},
		{"GET /v1/validators", s.read(s.validators)},
		{"GET /v1/proposals", s.read(s.proposals)},
		{"GET /v1/proposals/{id}", s.read(s.proposal)},
		{"GET /v1/recalls", s.read(s.lotRecalls)},
		{"GET /v1/recalls/{id}", s.read(s.recall)},
		{"GET /v1/trace/{direction}/{identifier}", s.read(s.trace)},
		{"GET /v1/bundles/{identifier}", s.read(s.bundle)},
		{"GET /v1/consistency", s.read(s.consistency)},
		{"GET /v1/blobs/{sha256}", s.blob},
		{"POST /v1/txs", s.submit},
		{"GET /.well-known/gs1resolver", s.wellKnown},
		{resolverPattern, s.resolve},
	}
}

// routes registers every route, and noRoute for the paths none takes.
func (s *Server) routes() {
	for _, rt := range s.table {
		s.mux.HandleFunc(rt.pattern, rt.handler)
	}
	s.mux.HandleFunc("/", s.noRoute)
}

// Routes lists the ServeMux patterns of the API's own routes, the ones
// its OpenAPI document (GET /v1/openapi.json) describes: not the
// catch-all that answers 404 and 405, nor handlers mounted with Handle,
// which describe themselves.
func (s *Server) Routes() []string {
	out := make([]string, 0, len(s.table))
	for _, rt := range s.table {
		out = append(out, rt.pattern)
	}
	return out
}

// A read is prepared from the request (input checks, canonical key) before
// anything is asked, so that an answer at an explicit height can be
// answered 304 from its ETag alone; then it is fetched and verified.
type prepared struct {
	// key names the answer among all answers at a height: the route and
	// its canonical parameters.
	key   string
	fetch func(rd *reader) (any, error)
	// selfVerified is set when fetch verified its answer in full itself
	// (a proof bundle, checked by client.ExportBundle with bundle.Verify).
	selfVerified bool
}

// readFunc prepares a read.
type readFunc func(r *http.Request) (*prepared, error)

// Answer is the envelope of every read answer.
type Answer struct {
	ChainID string `json:"chain_id"`
	// Height is the state height H of the answer; its roots are committed
	// by the app hash of header H+1 (in Evidence.LightBlocks).
	Height   int64     `json:"height"`
	Data     any       `json:"data"`
	Evidence *Evidence `json:"evidence"`
}

// raw is a prepared answer written as it is (a proof bundle), not wrapped.
type raw struct {
	contentType string
	filename    string
	body        any
}

// read is the handler of a read route.
func (s *Server) read(f readFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.opts.Timeout)
		defer cancel()
		height, perr := heightParam(r)
		if perr != nil {
			writeProblem(w, perr)
			return
		}
		p, err := f(r)
		if err != nil {
			s.fail(ctx, w, r, err)
			return
		}
		if height > 0 {
			tag := s.etag(height, p.key)
			if matchETag(r, tag) {
				s.cacheHeaders(w, height, true, tag)
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
		rd, data, err := s.fetchVerified(ctx, p, height)
		if err != nil {
			s.fail(ctx, w, r, err)
			return
		}
		h := rd.answeredHeight()
		tag := s.etag(h, p.key)
		s.cacheHeaders(w, h, height > 0, tag)
		if matchETag(r, tag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		if rw, ok := data.(raw); ok {
			w.Header().Set("Content-Type", rw.contentType)
			if rw.filename != "" {
				w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", rw.filename))
			}
			writeJSON(w, http.StatusOK, rw.body)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		writeJSON(w, http.StatusOK, Answer{ChainID: s.c.ChainID(), Height: h, Data: data, Evidence: rd.evidence()})
	}
}

// latestAttempts is how often a latest read is tried again when the node
// dropped the height its first answer was at (it keeps two heights).
const latestAttempts = 3

// fetchVerified runs a prepared read and verifies every root its answers
// rest on. A verified absence comes back as its problem with the evidence
// attached.
func (s *Server) fetchVerified(ctx context.Context, p *prepared, height int64) (*reader, any, error) {
	for attempt := 1; ; attempt++ {
		rd := s.newReader(ctx, height)
		data, err := p.fetch(rd)
		var pe *problemError
		absence := errors.As(err, &pe) && pe.absence
		if (err == nil || absence) && !p.selfVerified {
			if verr := rd.verify(); verr != nil {
				err = verr
			} else if absence {
				pe.evidence = rd.evidence()
			}
		}
		var qe *client.QueryError
		if height == 0 && attempt < latestAttempts && errors.As(err, &qe) && tlv1.Code(qe.Code) == tlv1.CodeHeightUnavailable {
			continue
		}
		return rd, data, err
	}
}

// fail answers err as a problem document, counting failed verifications.
func (s *Server) fail(ctx context.Context, w http.ResponseWriter, r *http.Request, err error) {
	p, unverified := classify(ctx, err)
	if unverified {
		n := s.failures.Add(1)
		s.log.Error("refused an answer that failed verification", "method", r.Method, "path", r.URL.Path, "err", err, "failures", n, "request_id", RequestID(ctx))
	} else if p.status >= 500 {
		s.log.Warn("request failed", "method", r.Method, "path", r.URL.Path, "status", p.status, "err", err, "request_id", RequestID(ctx))
	}
	if p.cacheable && p.height > 0 {
		s.cacheHeaders(w, p.height, r.URL.Query().Has("height"), "")
	}
	writeProblem(w, p)
}

// heightParam reads ?height= (0: latest).
func heightParam(r *http.Request) (int64, *problemError) {
	v := r.URL.Query().Get("height")
	if v == "" {
		return 0, nil
	}
	h, err := strconv.ParseInt(v, 10, 64)
	if err != nil || h <= 0 {
		return 0, badRequest(tlv1.CodeInvalidQuery, "height", "give a positive state height, or leave it out for the latest",
			"height %q is not a positive integer", v)
	}
	return h, nil
}

// etag names an answer: chain, state height, route and canonical key.
func (s *Server) etag(height int64, key string) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%s", s.c.ChainID(), height, key))
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// matchETag reports whether If-None-Match names tag (or is "*").
func matchETag(r *http.Request, tag string) bool {
	inm := r.Header.Get("If-None-Match")
	if inm == "" {
		return false
	}
	for _, t := range strings.Split(inm, ",") {
		t = strings.TrimSpace(t)
		t = strings.TrimPrefix(t, "W/")
		if t == tag || t == "*" {
			return true
		}
	}
	return false
}

// cacheHeaders sets ETag and Cache-Control: an answer at an explicit
// height never changes; the latest answer changes with every block.
func (s *Server) cacheHeaders(w http.ResponseWriter, height int64, pinned bool, tag string) {
	h := w.Header()
	if tag != "" {
		h.Set("ETag", tag)
	}
	h.Set("X-TraceLedger-Height", strconv.FormatInt(height, 10))
	if pinned {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(s.opts.LatestMaxAge/time.Second)))
	}
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}

// healthz answers 200 while the process serves.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 when a verified status can be read from the node.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.Timeout)
	defer cancel()
	rd, _, err := s.fetchVerified(ctx, &prepared{key: "status", fetch: func(rd *reader) (any, error) { return s.readStatus(rd) }}, 0)
	if err != nil {
		s.fail(ctx, w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	ready := map[string]any{"status": "ready", "height": rd.answeredHeight(), "verification_failures": s.VerificationFailures(),
		"witness_conflicts": s.WitnessConflicts()}
	if n, ok := s.c.Witnesses(); ok {
		ready["witnesses"] = n
	}
	writeJSON(w, http.StatusOK, ready)
}

// HTTPServer returns an http.Server for the API with read, write and idle
// time limits.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.opts.Timeout,
		WriteTimeout:      s.opts.Timeout + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}

// Serve serves the API on ln until ctx ends, then shuts down gracefully:
// it stops accepting, lets requests in flight finish for up to
// ShutdownGrace, and returns nil.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := s.HTTPServer()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// ListenAndServe listens on addr (host:port) and serves until ctx ends.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	return s.Serve(ctx, ln)
}
