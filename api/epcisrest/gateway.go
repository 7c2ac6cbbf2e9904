// SPDX-License-Identifier: Apache-2.0

// Package epcisrest is the GS1 EPCIS 2.0 REST interface (EPCIS 2.0 section
// 12, GS1's REST bindings) in front of the ledger, mounted by the API server
// under /epcis/: capture of EPCIS documents and single events by an
// enterprise's gateway, and queries answered from the ledger's verified
// histories as EPCISQueryDocuments that carry their proofs.
//
// Capture writes under an enterprise's key, so it runs on a gateway that the
// enterprise (or a service provider acting for it) operates: a TraceLedger
// home with the enterprise's encrypted keyring, and bearer tokens, stored
// hashed, each scoped to one participant and the key that signs for it.
// A capture job is stored durably before its 202 is answered and resumes
// after a restart: nothing acknowledged is ever lost. Hashed captures keep
// the events' payloads in the gateway's store, so that queries by the same
// enterprise return full events (each checked against the payload hash the
// ledger committed to).
//
// Queries read verified histories through package client: every event
// served was proven against a header the light client verified from the
// genesis trust root. docs/EPCIS-REST.md lists routes, headers and what is
// left out.
package epcisrest

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/client/keyring"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Defaults of Options.
const (
	// DefaultCaptureLimit is the most events one capture may carry
	// (GS1-EPCIS-Capture-Limit).
	DefaultCaptureLimit = 10_000
	// DefaultCaptureFileSizeLimit is the largest capture body, bytes
	// (GS1-EPCIS-Capture-File-Size-Limit).
	DefaultCaptureFileSizeLimit = 16 << 20
	// DefaultPerPage is the page size of a query without perPage (the
	// standard's default); MaxPerPage caps perPage.
	DefaultPerPage = 30
	MaxPerPage     = 1000
	// DefaultTimeout bounds one query or single-event capture.
	DefaultTimeout = 30 * time.Second
)

// BasePath is where the interface is mounted on the API server.
const BasePath = "/epcis"

// Options configure a Gateway.
type Options struct {
	// Home is the gateway's home: keyring, tokens, capture jobs, payloads.
	Home string
	// Passphrase decrypts the keyring keys the tokens name. Without it
	// the gateway answers queries only; capture is refused (503).
	Passphrase []byte
	// CaptureLimit and CaptureFileSizeLimit bound one capture (413
	// beyond them); zero takes the defaults.
	CaptureLimit         int
	CaptureFileSizeLimit int64
	// Timeout bounds a query or a single-event capture.
	Timeout time.Duration
	// Logger receives job progress and failures; nil discards them.
	Logger *slog.Logger
	// MaxBatch is the most events per RecordEventBatch (default and
	// limit 1,000, the ledger's).
	MaxBatch int
	// RetryDelay is how long a job whose node was unreachable waits before
	// it tries again (default 2 s).
	RetryDelay time.Duration
}

// Gateway serves the EPCIS interface from one verifying client.
type Gateway struct {
	c      *client.Client
	opts   Options
	p      paths
	log    *slog.Logger
	tokens *Tokens
	kr     *keyring.Keyring
	secret []byte

	submitMu sync.Mutex // one transaction at a time: sequences per key stay in order

	mu      sync.Mutex
	signers map[string]ed25519.PrivateKey // by keyring name
	keyOK   map[string]keyCheck           // by key id: the ledger's verified owner
	jobsMu  sync.Mutex                    // job files: one writer at a time
	// pendingJobs are acknowledged jobs not yet run, in order; prepared
	// holds the events a capture already prepared.
	pendingJobs []string
	prepared    map[string]*captureRequest
	wake        chan struct{}
	started     bool
}

// keyCheck caches a verified key registration.
type keyCheck struct {
	participant string
	active      bool
	at          time.Time
}

// keyCheckTTL is how long a verified key registration is trusted before it
// is read again (a revoked key is refused by the ledger in any case).
const keyCheckTTL = time.Minute

// New opens the gateway of opts.Home in front of c.
func New(c *client.Client, opts Options) (*Gateway, error) {
	if opts.Home == "" {
		return nil, errors.New("epcis gateway: no home directory")
	}
	if opts.CaptureLimit <= 0 {
		opts.CaptureLimit = DefaultCaptureLimit
	}
	if opts.CaptureFileSizeLimit <= 0 {
		opts.CaptureFileSizeLimit = DefaultCaptureFileSizeLimit
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxBatch <= 0 || opts.MaxBatch > tlv1.MaxBatchEvents {
		opts.MaxBatch = tlv1.MaxBatchEvents
	}
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = 2 * time.Second
	}
	lg := opts.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	p := paths{root: opts.Home}
	if err := p.ensure(); err != nil {
		return nil, err
	}
	secret, err := p.readSecret()
	if err != nil {
		return nil, err
	}
	tokens, err := OpenTokens(opts.Home)
	if err != nil {
		return nil, err
	}
	kr, err := keyring.Open(keyring.Dir(opts.Home))
	if err != nil {
		return nil, err
	}
	return &Gateway{c: c, opts: opts, p: p, log: lg, tokens: tokens, kr: kr, secret: secret,
		signers: map[string]ed25519.PrivateKey{}, keyOK: map[string]keyCheck{},
		prepared: map[string]*captureRequest{}, wake: make(chan struct{}, 1)}, nil
}

// Mount registers the interface's routes with handle (the API server's
// Handle): every route under BasePath, with method-specific patterns so
// they sit beside the API's own routes and its resolver.
func (g *Gateway) Mount(handle func(pattern string, h http.Handler)) {
	route := func(pattern string, f http.HandlerFunc) {
		method, path, _ := strings.Cut(pattern, " ")
		handle(method+" "+BasePath+path, f)
	}
	route("GET /{$}", g.topLevel)
	route("OPTIONS /{$}", g.options("GET, OPTIONS"))
	route("POST /capture", g.capture)
	route("GET /capture", g.listJobs)
	route("OPTIONS /capture", g.captureOptions)
	route("GET /capture/{captureID}", g.getJob)
	route("OPTIONS /capture/{captureID}", g.options("GET, OPTIONS"))
	route("GET /events", g.queryEvents)
	route("POST /events", g.captureEvent)
	route("OPTIONS /events", g.eventsOptions)
	route("GET /events/{eventID}", g.getEvent)
	route("OPTIONS /events/{eventID}", g.options("GET, OPTIONS"))
	route("GET /eventTypes", g.eventTypes)
	route("OPTIONS /eventTypes", g.options("GET, OPTIONS"))
	route("GET /eventTypes/{eventType}", g.subResources)
	route("GET /eventTypes/{eventType}/events", g.browseEvents("eventType", "eventType"))
	route("GET /epcs/{epc}", g.subResources)
	route("GET /epcs/{epc}/events", g.browseEvents("epc", "MATCH_anyEPC"))
	route("GET /bizSteps/{bizStep}/events", g.browseEvents("bizStep", "EQ_bizStep"))
	route("GET /bizLocations/{bizLocation}/events", g.browseEvents("bizLocation", "EQ_bizLocation"))
	route("GET /readPoints/{readPoint}/events", g.browseEvents("readPoint", "EQ_readPoint"))
	route("GET /dispositions/{disposition}/events", g.browseEvents("disposition", "EQ_disposition"))
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
		route(m+" /{rest...}", g.noRoute)
	}
}

// Run resumes the capture jobs a previous run left unfinished, then runs
// the jobs queued by captures until ctx ends. Jobs run one at a time, in
// the order they were acknowledged.
func (g *Gateway) Run(ctx context.Context) error {
	g.mu.Lock()
	if g.started {
		g.mu.Unlock()
		return errors.New("epcis gateway: Run called twice")
	}
	g.started = true
	g.mu.Unlock()
	unfinished, err := g.unfinishedJobs()
	if err != nil {
		return err
	}
	g.mu.Lock()
	for _, id := range unfinished {
		if !slices.Contains(g.pendingJobs, id) {
			g.pendingJobs = append(g.pendingJobs, id)
		}
	}
	g.mu.Unlock()
	if len(unfinished) > 0 {
		g.log.Info("resuming capture jobs", "jobs", len(unfinished))
	}
	for {
		g.mu.Lock()
		var id string
		if len(g.pendingJobs) > 0 {
			id = g.pendingJobs[0]
		}
		g.mu.Unlock()
		if id == "" {
			select {
			case <-ctx.Done():
				return nil
			case <-g.wake:
			}
			continue
		}
		if !g.runJob(ctx, id) {
			return nil // ctx ended: the job stays running on disk, resumed next time
		}
		g.mu.Lock()
		g.pendingJobs = slices.DeleteFunc(g.pendingJobs, func(x string) bool { return x == id })
		delete(g.prepared, id)
		g.mu.Unlock()
	}
}

// caller is an authenticated request's token.
type caller struct {
	tok Token
}

// participant is the caller's participant; "" for an anonymous caller.
func (c *caller) participant() string {
	if c == nil {
		return ""
	}
	return c.tok.Participant
}

// authenticate reads the bearer token: nil, nil when there is none and
// required is false (a public query).
func (g *Gateway) authenticate(r *http.Request, required bool) (*caller, *problemError) {
	h := r.Header.Get("Authorization")
	if h == "" {
		if !required {
			return nil, nil
		}
		pe := newProblem(http.StatusUnauthorized, excSecurity, tlv1.CodeAPIUnauthenticated, "Authorization",
			"send Authorization: Bearer <token>; the gateway's operator makes tokens with 'traceledger api token add'", "capture needs a bearer token")
		pe.headers = map[string]string{"WWW-Authenticate": `Bearer realm="traceledger-epcis"`}
		return nil, pe
	}
	scheme, secret, _ := strings.Cut(h, " ")
	secret = strings.TrimSpace(secret)
	if !strings.EqualFold(scheme, "Bearer") || secret == "" {
		pe := newProblem(http.StatusUnauthorized, excSecurity, tlv1.CodeAPIUnauthenticated, "Authorization",
			"send Authorization: Bearer <token>", "the Authorization header is not a bearer token")
		pe.headers = map[string]string{"WWW-Authenticate": `Bearer realm="traceledger-epcis", error="invalid_request"`}
		return nil, pe
	}
	tok, ok, err := g.tokens.lookup(secret)
	if err != nil {
		g.log.Error("token store", "err", err)
		return nil, newProblem(http.StatusInternalServerError, excImplementation, tlv1.CodeInternal, "", "the gateway's operator checks its token store", "token store unreadable")
	}
	if !ok {
		pe := newProblem(http.StatusUnauthorized, excSecurity, tlv1.CodeAPIUnauthenticated, "Authorization",
			"the token is unknown or revoked: ask the gateway's operator for a new one", "unknown bearer token")
		pe.headers = map[string]string{"WWW-Authenticate": `Bearer realm="traceledger-epcis", error="invalid_token"`}
		return nil, pe
	}
	// A caller may name the participant it acts for; the token decides.
	if as := strings.TrimSpace(r.Header.Get(HeaderParticipant)); as != "" && as != tok.Participant {
		return nil, newProblem(http.StatusForbidden, excSecurity, tlv1.CodeAPIForbidden, HeaderParticipant,
			"use the token of the participant you act for", "the token is scoped to participant %q; it cannot act as %q", tok.Participant, as)
	}
	return &caller{tok: tok}, nil
}

// HeaderParticipant optionally names the participant a capture is for; it
// must be the token's.
const HeaderParticipant = "TraceLedger-Participant"

// signer returns the key that signs for the caller, after checking on the
// ledger (verified) that the key is registered, active, to the token's
// participant.
func (g *Gateway) signer(ctx context.Context, cl *caller) (client.Signer, *problemError) {
	if len(g.opts.Passphrase) == 0 {
		return client.Signer{}, newProblem(http.StatusServiceUnavailable, excImplementation, tlv1.CodeInternal, "",
			"the gateway's operator starts it with the keyring passphrase (--gateway-passphrase-file)", "this gateway has no keyring passphrase: it cannot capture")
	}
	g.mu.Lock()
	key, ok := g.signers[cl.tok.Key]
	g.mu.Unlock()
	if !ok {
		k, err := g.kr.Signer(cl.tok.Key, g.opts.Passphrase)
		if err != nil {
			g.log.Error("gateway key", "key", cl.tok.Key, "err", err)
			return client.Signer{}, newProblem(http.StatusServiceUnavailable, excImplementation, tlv1.CodeInternal, "",
				"the gateway's operator checks the token's key and the passphrase", "the gateway cannot open key %q of token %q", cl.tok.Key, cl.tok.Name)
		}
		key = k
		g.mu.Lock()
		g.signers[cl.tok.Key] = k
		g.mu.Unlock()
	}
	s := client.Signer{Key: key}
	id := s.KeyID()
	g.mu.Lock()
	kc, ok := g.keyOK[id]
	g.mu.Unlock()
	if !ok || time.Since(kc.at) > keyCheckTTL {
		raw, _, err := g.c.Value(ctx, tlv1.KeyKey(id))
		if err != nil {
			return client.Signer{}, g.classify(ctx, err)
		}
		kc = keyCheck{at: time.Now()}
		if raw != nil {
			var k tlv1.Key
			if err := k.Unmarshal(raw); err != nil {
				return client.Signer{}, g.classify(ctx, fmt.Errorf("%w: key %s does not decode: %v", client.ErrNotVerified, id, err))
			}
			kc.participant, kc.active = k.Participant, k.Status == tlv1.KEY_STATUS_ACTIVE
		}
		g.mu.Lock()
		g.keyOK[id] = kc
		g.mu.Unlock()
	}
	if kc.participant != cl.tok.Participant || !kc.active {
		return client.Signer{}, newProblem(http.StatusForbidden, excSecurity, tlv1.CodeAPIForbidden, "",
			"the gateway's operator gives the token a key the participant's department registered",
			"key %q (%s) of token %q is not an active key of participant %q on the ledger (registered to %q)", cl.tok.Key, id, cl.tok.Name, cl.tok.Participant, kc.participant)
	}
	return s, nil
}

// versionHeaders are the versions the interface speaks.
func setVersionHeaders(h http.Header) {
	h.Set("GS1-EPCIS-Version", "2.0.0")
	h.Set("GS1-CBV-Version", "2.0.0")
}
