// SPDX-License-Identifier: Apache-2.0

package api_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/types"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/traceledger/traceledger/api"
	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/epcis"
	"github.com/traceledger/traceledger/genesis"
	"github.com/traceledger/traceledger/node"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// The tests share one real single-department node (starting one takes
// seconds): a farm that recorded events of lotEPC, and a certifier lab,
// accredited by proposal, that certified the farm (attestation attID).
const (
	lotEPC     = "urn:epc:class:lgtin:6901234.500012.APILOT1"
	unknownLot = "urn:epc:class:lgtin:6901234.500012.NEVER1"
	attID      = "lab/GAP-1"
	// recalledLot is another lot of the farm, recalled as recallID.
	recalledLot = "urn:epc:class:lgtin:6901234.500012.APILOT2"
	recallID    = "R-1"
)

// lotDL is lotEPC as a GS1 Digital Link on another domain with a query
// string (set by TestMain).
var lotDL string

// spellings derives the other spellings of lotEPC from its canonical key.
func spellings() error {
	canon, err := epcis.CanonicalIdentifier(lotEPC)
	if err != nil {
		return err
	}
	rest, ok := strings.CutPrefix(canon, "https://id.gs1.org/01/")
	if !ok || len(rest) < 14 {
		return fmt.Errorf("unexpected canonical key %q", canon)
	}
	lotDL = "https://example.com/01/" + rest + "?x=1"
	return nil
}

// fixture is the shared node.
type fixture struct {
	url      string
	doc      *types.GenesisDoc
	c        *client.Client
	farmKey  ed25519.PrivateKey
	adminKey ed25519.PrivateKey
	events   int // events of lotEPC recorded
}

var fx *fixture

func TestMain(m *testing.M) {
	if err := spellings(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	home, err := os.MkdirTemp("", "api-test-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	f, stop, err := startFixture(home)
	if err != nil {
		fmt.Fprintln(os.Stderr, "start the test node:", err)
		os.RemoveAll(home)
		os.Exit(1)
	}
	fx = f
	code := m.Run()
	stop()
	os.RemoveAll(home)
	os.Exit(code)
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// startFixture starts the node and records the shared data.
func startFixture(home string) (*fixture, func(), error) {
	adminPub, adminKey, _ := ed25519.GenerateKey(rand.Reader)
	farmPub, farmKey, _ := ed25519.GenerateKey(rand.Reader)
	labPub, labKey, _ := ed25519.GenerateKey(rand.Reader)
	rpcAddr, err := freeAddr()
	if err != nil {
		return nil, nil, err
	}
	p2pAddr, err := freeAddr()
	if err != nil {
		return nil, nil, err
	}
	doc, err := node.Init(home, node.InitOptions{
		ChainID:    "traceledger-api-test",
		Department: genesis.Department{ID: "agri", Name: "Agriculture", AdminKeys: [][]byte{adminPub}},
		Participants: []genesis.Participant{
			{ID: "farm", Name: "Farm", Role: "enterprise", Department: "agri", CreditCode: "91520100MA6DKQ1X3R", Keys: [][]byte{farmPub}},
			{ID: "lab", Name: "Lab", Role: "certifier", Department: "agri", CreditCode: "91520100MA6DLG8R28", Keys: [][]byte{labPub}},
		},
		Configure: func(c *cfg.Config) {
			c.RPC.ListenAddress = "tcp://" + rpcAddr
			c.P2P.ListenAddress = "tcp://" + p2pAddr
			c.Consensus.TimeoutCommit = 100 * time.Millisecond
		},
	})
	if err != nil {
		return nil, nil, err
	}
	conf, err := node.LoadConfig(home)
	if err != nil {
		return nil, nil, err
	}
	nd, err := node.New(context.Background(), conf, nil)
	if err != nil {
		return nil, nil, err
	}
	if err := nd.Start(); err != nil {
		return nil, nil, err
	}
	stop := func() { nd.Stop() }
	f := &fixture{url: "http://" + rpcAddr, doc: doc, farmKey: farmKey, adminKey: adminKey}
	if f.c, err = client.New(f.url, doc); err != nil {
		stop()
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := f.c.WaitForHeight(ctx, 2); err != nil {
		stop()
		return nil, nil, err
	}
	for i := range 3 {
		if _, err := f.c.Submit(ctx, client.Signer{Key: farmKey}, eventMsg(lotEPC, i)); err != nil {
			stop()
			return nil, nil, fmt.Errorf("record event %d: %w", i, err)
		}
		f.events++
	}
	now := time.Now()
	id, _, err := f.c.Propose(ctx, client.Signer{Key: adminKey}, &tlv1.SubmitProposal{Title: "accredit lab",
		Change: &tlv1.ProposalChange{Change: &tlv1.ProposalChange_AccreditCertifier{AccreditCertifier: &tlv1.AccreditCertifier{
			Certifier: "lab", Schemes: []string{"gap"}, AccreditationNumber: "CNAS-L1",
			ValidFromMs: now.Add(-48 * time.Hour).UnixMilli(), ValidUntilMs: now.Add(48 * time.Hour).UnixMilli()}}}})
	if err != nil {
		stop()
		return nil, nil, fmt.Errorf("propose: %w", err)
	}
	if _, err := f.c.Vote(ctx, client.Signer{Key: adminKey}, id, true); err != nil {
		stop()
		return nil, nil, fmt.Errorf("vote: %w", err)
	}
	evidence := sha256.Sum256([]byte("certificate"))
	if _, _, err := f.c.IssueAttestation(ctx, client.Signer{Key: labKey}, "lab", &tlv1.IssueAttestation{Scheme: "gap", Standard: "GB/Z 26575",
		CertificateNumber: "GAP-1", Subject: &tlv1.AttestationSubject{Enterprise: "farm", Lots: []string{lotEPC}},
		ValidFromMs: now.Add(-24 * time.Hour).UnixMilli(), ValidUntilMs: now.Add(24 * time.Hour).UnixMilli(), EvidenceSha256: evidence[:]}); err != nil {
		stop()
		return nil, nil, fmt.Errorf("issue attestation: %w", err)
	}
	if _, err := f.c.Submit(ctx, client.Signer{Key: farmKey}, eventMsg(recalledLot, 0)); err != nil {
		stop()
		return nil, nil, fmt.Errorf("record event of %s: %w", recalledLot, err)
	}
	rc := &tlv1.InitiateRecall{Id: recallID, Enterprise: "farm", Lots: []string{recalledLot}, Reason: "residue", Hazard: "pesticide residue",
		Level: tlv1.RECALL_LEVEL_2, PeriodFromMs: now.Add(-24 * time.Hour).UnixMilli(), PeriodUntilMs: now.Add(24 * time.Hour).UnixMilli()}
	if err := f.c.FillHeldEvidence(ctx, rc); err != nil {
		stop()
		return nil, nil, fmt.Errorf("held evidence: %w", err)
	}
	if _, err := f.c.InitiateRecall(ctx, client.Signer{Key: farmKey}, rc); err != nil {
		stop()
		return nil, nil, fmt.Errorf("recall: %w", err)
	}
	return f, stop, nil
}

// eventMsg is a trace event of subject.
func eventMsg(subject string, i int) *tlv1.Msg {
	sum := sha256.Sum256(fmt.Appendf(nil, "payload %d %d", i, time.Now().UnixNano()))
	return &tlv1.Msg{Sum: &tlv1.Msg_RecordEvent{RecordEvent: &tlv1.RecordEvent{Subject: subject, EventType: fmt.Sprintf("step%d", i),
		EventTimeMs: time.Now().Add(-time.Hour).UnixMilli(), PayloadSha256: sum[:]}}}
}

// apiServer runs the API in front of nodeURL (the fixture node unless a
// proxy or a dead address is given).
func apiServer(t *testing.T, nodeURL string, opts api.Options) (*httptest.Server, *api.Server) {
	t.Helper()
	c, err := client.New(nodeURL, fx.doc)
	if err != nil {
		t.Fatal(err)
	}
	s := api.New(c, opts)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts, s
}

// reply is an HTTP answer, read.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request and reads the whole answer.
func do(t *testing.T, method, u string, body []byte, hdr map[string]string) reply {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return send(t, http.DefaultClient, req)
}

// send sends req with hc, reads the whole answer and checks it against the
// OpenAPI document: every answer a test gets is validated.
func send(t *testing.T, hc *http.Client, req *http.Request) reply {
	t.Helper()
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := reply{status: res.StatusCode, header: res.Header, body: b}
	if err := validateReply(req, r); err != nil {
		t.Fatalf("%s %s: the answer does not match the OpenAPI document: %v", req.Method, req.URL.RequestURI(), err)
	}
	return r
}

// openAPIContract is the API's OpenAPI document, loaded and validated once,
// with kin-openapi's router over its paths and the operations of the
// answers given before or without routing (CORS preflight, no route, a
// method the route does not take), which the document describes as
// components.responses.
type openAPIContract struct {
	doc       *openapi3.T
	router    routers.Router
	preflight *openapi3.Operation
	noRoute   *openapi3.Operation
}

var loadContract = sync.OnceValues(func() (*openAPIContract, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPI())
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("router: %w", err)
	}
	resp := func(name string) *openapi3.ResponseRef {
		r := doc.Components.Responses[name]
		if r == nil {
			err = fmt.Errorf("components.responses has no %s", name)
		}
		return r
	}
	c := &openAPIContract{doc: doc, router: router,
		preflight: &openapi3.Operation{Responses: openapi3.NewResponses(openapi3.WithStatus(http.StatusNoContent, resp("Preflight")))},
		noRoute: &openapi3.Operation{Responses: openapi3.NewResponses(openapi3.WithStatus(http.StatusNotFound, resp("NoRoute")),
			openapi3.WithStatus(http.StatusMethodNotAllowed, resp("MethodNotAllowed")))}}
	return c, err
})

// validateReply checks an answer against the operation of its request:
// the status must be documented, the documented headers present and well
// formed, and the body of the documented media type and schema
// (openapi3filter.ValidateResponse, which validates OpenAPI 3.1 schemas as
// JSON Schema 2020-12). Redirects and 304, which ValidateResponse passes
// unchecked, are checked here for their status and required headers.
func validateReply(req *http.Request, r reply) error {
	c, err := loadContract()
	if err != nil {
		return fmt.Errorf("the OpenAPI document: %w", err)
	}
	var route *routers.Route
	var params map[string]string
	switch {
	case req.Method == http.MethodOptions && req.Header.Get("Access-Control-Request-Method") != "":
		route = &routers.Route{Spec: c.doc, Method: req.Method, Operation: c.preflight}
	default:
		find := req
		if req.Method == http.MethodHead {
			// A GET route answers HEAD: the GET operation's statuses and
			// headers, no body (ValidateResponse checks nothing more).
			find = req.Clone(req.Context())
			find.Method = http.MethodGet
		}
		route, params, err = c.router.FindRoute(find)
		if errors.Is(err, routers.ErrPathNotFound) || errors.Is(err, routers.ErrMethodNotAllowed) {
			route, err = &routers.Route{Spec: c.doc, Method: req.Method, Operation: c.noRoute}, nil
		}
		if err != nil {
			return fmt.Errorf("find the operation: %w", err)
		}
	}
	ref := route.Operation.Responses.Status(r.status)
	if ref == nil || ref.Value == nil {
		return fmt.Errorf("status %d is not documented for %s %s", r.status, route.Method, route.Path)
	}
	if len(ref.Value.Content) == 0 && len(r.body) > 0 {
		return fmt.Errorf("status %d of %s %s is documented without a body, got %d bytes", r.status, route.Method, route.Path, len(r.body))
	}
	switch r.status {
	case http.StatusNotModified, http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		for name, h := range ref.Value.Headers {
			if h.Value != nil && h.Value.Required && r.header.Get(name) == "" {
				return fmt.Errorf("status %d of %s %s without the required header %s", r.status, route.Method, route.Path, name)
			}
		}
		return nil
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 r.status,
		Header:                 r.header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	}
	in.SetBodyBytes(r.body)
	return openapi3filter.ValidateResponse(context.Background(), in)
}

func get(t *testing.T, u string) reply { t.Helper(); return do(t, http.MethodGet, u, nil, nil) }

// problem decodes a problem document, checking its media type.
func (r reply) problem(t *testing.T) api.Problem {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != api.ProblemContentType {
		t.Fatalf("status %d with Content-Type %q, want a problem document: %s", r.status, ct, r.body)
	}
	var p api.Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("problem document: %v: %s", err, r.body)
	}
	if p.Status != r.status {
		t.Fatalf("problem status %d, HTTP status %d", p.Status, r.status)
	}
	if c, ok := tlv1.CodeByName(p.Name); !ok || uint32(c) != p.Code {
		t.Fatalf("problem code %d name %q do not match the contract", p.Code, p.Name)
	}
	return p
}

// answer decodes a read answer envelope with its data into data.
func (r reply) answer(t *testing.T, data any) (int64, *api.Evidence) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var env struct {
		ChainID  string          `json:"chain_id"`
		Height   int64           `json:"height"`
		Data     json.RawMessage `json:"data"`
		Evidence *api.Evidence   `json:"evidence"`
	}
	if err := json.Unmarshal(r.body, &env); err != nil {
		t.Fatalf("answer: %v: %s", err, r.body)
	}
	if env.ChainID != fx.doc.ChainID || env.Height <= 0 || env.Evidence == nil || len(env.Evidence.Answers) == 0 || len(env.Evidence.LightBlocks) == 0 {
		t.Fatalf("answer envelope without chain, height or evidence: %s", r.body)
	}
	if data != nil {
		if err := json.Unmarshal(env.Data, data); err != nil {
			t.Fatalf("answer data: %v: %s", err, env.Data)
		}
	}
	return env.Height, env.Evidence
}

// seg percent-encodes one path segment.
func seg(s string) string { return url.PathEscape(s) }

// tamperingProxy is an HTTP proxy to nodeURL that alters the value of every
// abci_query answer with alter and passes everything else on (headers,
// validators, broadcasts) unchanged.
func tamperingProxy(t *testing.T, nodeURL string, alter func([]byte)) string {
	t.Helper()
	target, _ := url.Parse(nodeURL)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ModifyResponse = func(res *http.Response) error {
		if res.StatusCode != http.StatusOK {
			return nil
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			return err
		}
		var msg map[string]any
		if json.Unmarshal(body, &msg) == nil {
			if r, ok := msg["result"].(map[string]any); ok {
				if resp, ok := r["response"].(map[string]any); ok {
					if v, ok := resp["value"].(string); ok && v != "" {
						raw, err := base64.StdEncoding.DecodeString(v)
						if err == nil && len(raw) > 0 {
							alter(raw)
							resp["value"] = base64.StdEncoding.EncodeToString(raw)
							body, _ = json.Marshal(msg)
						}
					}
				}
			}
		}
		res.Body = io.NopCloser(bytes.NewReader(body))
		res.ContentLength = int64(len(body))
		res.Header.Del("Content-Length")
		return nil
	}
	ts := httptest.NewServer(rp)
	t.Cleanup(ts.Close)
	return ts.URL
}
