// SPDX-License-Identifier: Apache-2.0

package epcisrest_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/types"

	"github.com/traceledger/traceledger/api"
	"github.com/traceledger/traceledger/api/epcisrest"
	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/client/keyring"
	"github.com/traceledger/traceledger/genesis"
	"github.com/traceledger/traceledger/node"
)

// The tests share one real single-department node with two enterprises,
// farm and mill, whose keys the gateways under test hold.
var fx struct {
	url       string
	doc       *types.GenesisDoc
	c         *client.Client
	farmSeed  []byte
	millSeed  []byte
	straySeed []byte // a key no participant registered
}

const passphrase = "gateway passphrase"

func TestMain(m *testing.M) {
	home, err := os.MkdirTemp("", "epcisrest-test-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	stop, err := startNode(home)
	if err != nil {
		fmt.Fprintln(os.Stderr, "start the test node:", err)
		os.RemoveAll(home)
		os.Exit(1)
	}
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

func seed() []byte {
	b := make([]byte, ed25519.SeedSize)
	rand.Read(b)
	return b
}

func startNode(home string) (func(), error) {
	adminPub, _, _ := ed25519.GenerateKey(rand.Reader)
	fx.farmSeed, fx.millSeed, fx.straySeed = seed(), seed(), seed()
	farmPub := ed25519.NewKeyFromSeed(fx.farmSeed).Public().(ed25519.PublicKey)
	millPub := ed25519.NewKeyFromSeed(fx.millSeed).Public().(ed25519.PublicKey)
	rpcAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	p2pAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	doc, err := node.Init(home, node.InitOptions{
		ChainID:    "traceledger-epcisrest-test",
		Department: genesis.Department{ID: "agri", Name: "Agriculture", AdminKeys: [][]byte{adminPub}},
		Participants: []genesis.Participant{
			{ID: "farm", Name: "Farm", Role: "enterprise", Department: "agri", CreditCode: "91520100MA6DKQ1X3R", Keys: [][]byte{farmPub}},
			{ID: "mill", Name: "Mill", Role: "enterprise", Department: "agri", CreditCode: "91520100MA6DLG8R28", Keys: [][]byte{millPub}},
		},
		Configure: func(c *cfg.Config) {
			c.RPC.ListenAddress = "tcp://" + rpcAddr
			c.P2P.ListenAddress = "tcp://" + p2pAddr
			c.Consensus.TimeoutCommit = 100 * time.Millisecond
		},
	})
	if err != nil {
		return nil, err
	}
	conf, err := node.LoadConfig(home)
	if err != nil {
		return nil, err
	}
	nd, err := node.New(context.Background(), conf, nil)
	if err != nil {
		return nil, err
	}
	if err := nd.Start(); err != nil {
		return nil, err
	}
	stop := func() { nd.Stop() }
	fx.url, fx.doc = "http://"+rpcAddr, doc
	if fx.c, err = client.New(fx.url, doc); err != nil {
		stop()
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := fx.c.WaitForHeight(ctx, 2); err != nil {
		stop()
		return nil, err
	}
	return stop, nil
}

// gateway is a gateway under test: its home, tokens and server.
type gateway struct {
	t      *testing.T
	home   string
	url    string
	gw     *epcisrest.Gateway
	farm   string // token of farm
	mill   string // token of mill
	stray  string // token of farm whose key the ledger does not know
	cancel context.CancelFunc
	done   chan error
}

// newHome makes a gateway home holding the farm's, the mill's and the
// stray key, and a token for each.
func newHome(t *testing.T) (home, farm, mill, stray string) {
	t.Helper()
	home = t.TempDir()
	kr, err := keyring.Open(keyring.Dir(home), keyring.WithScrypt(1<<10, 8, 1))
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string][]byte{"farm": fx.farmSeed, "mill": fx.millSeed, "stray": fx.straySeed} {
		if _, err := kr.ImportSeed(name, s, []byte(passphrase)); err != nil {
			t.Fatal(err)
		}
	}
	toks, err := epcisrest.OpenTokens(home)
	if err != nil {
		t.Fatal(err)
	}
	add := func(name, participant, key string) string {
		s, _, err := toks.Add(name, participant, key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	return home, add("farm-erp", "farm", "farm"), add("mill-erp", "mill", "mill"), add("farm-stray", "farm", "stray")
}

// startGateway serves a gateway of home behind a real API server; run
// says whether its job runner runs.
func startGateway(t *testing.T, home string, opts epcisrest.Options, run bool) *gateway {
	t.Helper()
	c, err := client.New(fx.url, fx.doc)
	if err != nil {
		t.Fatal(err)
	}
	opts.Home, opts.Passphrase = home, []byte(passphrase)
	opts.RetryDelay = 200 * time.Millisecond
	gw, err := epcisrest.New(c, opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := api.New(c, api.Options{})
	gw.Mount(srv.Handle)
	ts := httptest.NewServer(srv.Handler())
	g := &gateway{t: t, home: home, url: ts.URL, gw: gw}
	ctx, cancel := context.WithCancel(context.Background())
	g.cancel = cancel
	g.done = make(chan error, 1)
	if run {
		go func() { g.done <- gw.Run(ctx) }()
	} else {
		g.done <- nil
	}
	var stopped bool
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		ts.Close()
		cancel()
		if err := <-g.done; err != nil {
			t.Errorf("gateway Run: %v", err)
		}
	}
	t.Cleanup(stop)
	return g
}

// newGateway is a fresh home with a running gateway.
func newGateway(t *testing.T, opts epcisrest.Options) *gateway {
	t.Helper()
	home, farm, mill, stray := newHome(t)
	g := startGateway(t, home, opts, true)
	g.farm, g.mill, g.stray = farm, mill, stray
	return g
}

// reply is an HTTP answer, read.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (g *gateway) do(method, path string, body []byte, hdr map[string]string) reply {
	g.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, g.url+path, rd)
	if err != nil {
		g.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		g.t.Fatal(err)
	}
	return reply{status: res.StatusCode, header: res.Header, body: b}
}

// bearer is the Authorization header of token.
func bearer(token string, more ...string) map[string]string {
	h := map[string]string{"Authorization": "Bearer " + token, "Content-Type": "application/ld+json"}
	for i := 0; i+1 < len(more); i += 2 {
		h[more[i]] = more[i+1]
	}
	return h
}

// problem decodes a problem document.
func (r reply) problem(t *testing.T) epcisrest.Problem {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != api.ProblemContentType {
		t.Fatalf("status %d with Content-Type %q, want a problem document: %s", r.status, ct, r.body)
	}
	var p epcisrest.Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("problem: %v: %s", err, r.body)
	}
	if p.Status != r.status || !strings.HasPrefix(p.Type, "epcisException:") || p.Name == "" {
		t.Fatalf("problem document does not match its answer (status %d): %s", r.status, r.body)
	}
	return p
}

// capture posts doc and returns the job's path.
func (g *gateway) capture(token string, doc []byte, hdr ...string) string {
	g.t.Helper()
	r := g.do(http.MethodPost, "/epcis/capture", doc, bearer(token, hdr...))
	if r.status != http.StatusAccepted {
		g.t.Fatalf("capture: %d %s", r.status, r.body)
	}
	loc := r.header.Get("Location")
	if !strings.HasPrefix(loc, "/epcis/capture/") {
		g.t.Fatalf("capture Location %q", loc)
	}
	return loc
}

// job reads a job.
func (g *gateway) job(token, loc string) epcisrest.Job {
	g.t.Helper()
	r := g.do(http.MethodGet, loc, nil, bearer(token))
	if r.status != http.StatusOK {
		g.t.Fatalf("GET %s: %d %s", loc, r.status, r.body)
	}
	var j epcisrest.Job
	if err := json.Unmarshal(r.body, &j); err != nil {
		g.t.Fatalf("job: %v %s", err, r.body)
	}
	return j
}

// wait polls a job until it finished.
func (g *gateway) wait(token, loc string) epcisrest.Job {
	g.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		j := g.job(token, loc)
		if !j.Running {
			return j
		}
		if time.Now().After(deadline) {
			g.t.Fatalf("job %s still running: %+v", loc, j)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// queryDoc is the part of an EPCISQueryDocument the tests read.
type queryDoc struct {
	Type      string `json:"type"`
	EPCISBody struct {
		QueryResults struct {
			QueryName   string `json:"queryName"`
			ResultsBody struct {
				EventList []map[string]any `json:"eventList"`
			} `json:"resultsBody"`
		} `json:"queryResults"`
	} `json:"epcisBody"`
	Ledger epcisrest.LedgerProofs `json:"tl:ledger"`
}

// query GETs path and decodes the query document.
func (g *gateway) query(path string, hdr map[string]string) (queryDoc, reply) {
	g.t.Helper()
	r := g.do(http.MethodGet, path, nil, hdr)
	if r.status != http.StatusOK {
		g.t.Fatalf("GET %s: %d %s", path, r.status, r.body)
	}
	var d queryDoc
	if err := json.Unmarshal(r.body, &d); err != nil {
		g.t.Fatalf("query document: %v %s", err, r.body)
	}
	if d.Type != "EPCISQueryDocument" {
		g.t.Fatalf("answer is a %q", d.Type)
	}
	validateSchema(g.t, "answer of GET "+path, r.body)
	return d, r
}

// eventIDs lists the eventIDs of an answer's events.
func (d queryDoc) eventIDs() []string {
	var out []string
	for _, e := range d.EPCISBody.QueryResults.ResultsBody.EventList {
		id, _ := e["eventID"].(string)
		out = append(out, id)
	}
	return out
}
