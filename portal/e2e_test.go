// SPDX-License-Identifier: Apache-2.0

package portal_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/types"

	"github.com/traceledger/traceledger/api"
	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/epcis"
	"github.com/traceledger/traceledger/genesis"
	"github.com/traceledger/traceledger/node"
	"github.com/traceledger/traceledger/portal"
	"github.com/traceledger/traceledger/portal/verify"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// The seeded supply chain: a pesticide maker commissions the pesticide lot
// P1; a farm makes the harvest H1 from P1 and the seed lot S1 and ships
// it; a processor makes the product lot L1 from H1, packs and ships it; a
// lab certifies L1; P1 is then recalled. B50 is a lot with 50 records
// (the benchmark's history).
const (
	lotP1  = "urn:epc:class:lgtin:6901234.500021.P1"
	lotS1  = "urn:epc:class:lgtin:6901234.500022.S1"
	lotH1  = "urn:epc:class:lgtin:6901234.500023.H1"
	lotL1  = "urn:epc:class:lgtin:6901234.500012.LOT1"
	lotB50 = "urn:epc:class:lgtin:6901234.500012.B50"
)

// network is a real one-department node with the seeded chain.
type network struct {
	url string
	doc *types.GenesisDoc
	c   *client.Client
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// creditCode is a valid unified social credit code ending in n.
func creditCode(t *testing.T, n int) string {
	t.Helper()
	body := fmt.Sprintf("91520100MA6DP%04d", n)
	c, ok := genesis.CreditCodeCheckChar(body)
	if !ok {
		t.Fatalf("credit code body %q", body)
	}
	return body + string(c)
}

func key(t *testing.T) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

func hashedEvent(label string, typ tlv1.EPCISEventType, bizStep, disposition, place string, link tlv1.ChainLink, ids ...*tlv1.EventIdentifier) *tlv1.Msg {
	h := sha256.Sum256([]byte("portal e2e " + label))
	p := sha256.Sum256([]byte("payload " + label))
	e := &tlv1.RecordEPCISEvent{HashId: "ni:///sha-256;" + hex.EncodeToString(h[:]) + "?ver=CBV2.0",
		Kind: &tlv1.RecordEPCISEvent_Hashed{Hashed: &tlv1.HashedEvent{Type: typ, EventTimeMs: time.Now().Add(-time.Hour).UnixMilli(),
			EventTimeZoneOffset: "+08:00", BizStep: "urn:epcglobal:cbv:bizstep:" + bizStep, Disposition: disposition,
			BizLocation: place, Identifiers: ids, PayloadSha256: p[:]}}}
	if link != tlv1.CHAIN_LINK_UNSPECIFIED {
		e.Context = &tlv1.TraceContext{ChainLink: link}
	}
	return &tlv1.Msg{Sum: &tlv1.Msg_RecordEpcisEvent{RecordEpcisEvent: e}}
}

func role(id string, r tlv1.IdentifierRole) *tlv1.EventIdentifier {
	return &tlv1.EventIdentifier{Id: id, Role: r}
}

// startNetwork starts the node and records the chain.
func startNetwork(t *testing.T) *network {
	t.Helper()
	home := t.TempDir()
	adminPub, adminKey := key(t)
	farmPub, farmKey := key(t)
	procPub, procKey := key(t)
	pharmaPub, pharmaKey := key(t)
	labPub, labKey := key(t)
	rpcAddr, p2pAddr := freeAddr(t), freeAddr(t)
	doc, err := node.Init(home, node.InitOptions{
		ChainID:    "traceledger-portal-test",
		Department: genesis.Department{ID: "agri", Name: "Agriculture Department", AdminKeys: [][]byte{adminPub}},
		Participants: []genesis.Participant{
			{ID: "farm", Name: "Green Valley Farm", Role: "enterprise", Department: "agri", CreditCode: creditCode(t, 1), DivisionCode: "520102", Keys: [][]byte{farmPub}},
			{ID: "proc", Name: "Mountain Foods Co.", Role: "enterprise", Department: "agri", CreditCode: creditCode(t, 2), DivisionCode: "520302", Keys: [][]byte{procPub}},
			{ID: "pharma", Name: "Agrochem Ltd.", Role: "enterprise", Department: "agri", CreditCode: creditCode(t, 3), DivisionCode: "520402", Keys: [][]byte{pharmaPub}},
			{ID: "lab", Name: "Provincial Test Lab", Role: "certifier", Department: "agri", CreditCode: creditCode(t, 4), Keys: [][]byte{labPub}},
		},
		Configure: func(c *cfg.Config) {
			c.RPC.ListenAddress = "tcp://" + rpcAddr
			c.P2P.ListenAddress = "tcp://" + p2pAddr
			c.Consensus.TimeoutCommit = 500 * time.Millisecond
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	conf, err := node.LoadConfig(home)
	if err != nil {
		t.Fatal(err)
	}
	nd, err := node.New(context.Background(), conf, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := nd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nd.Stop() })
	n := &network{url: "http://" + rpcAddr, doc: doc}
	if n.c, err = client.New(n.url, doc); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if err := n.c.WaitForHeight(ctx, 2); err != nil {
		t.Fatal(err)
	}
	submit := func(what string, k ed25519.PrivateKey, msgs ...*tlv1.Msg) {
		t.Helper()
		if _, err := n.c.Submit(ctx, client.Signer{Key: k}, msgs...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	O, T := tlv1.EPCIS_EVENT_TYPE_OBJECT, tlv1.EPCIS_EVENT_TYPE_TRANSFORMATION
	cls, in, out := tlv1.IDENTIFIER_ROLE_CLASS, tlv1.IDENTIFIER_ROLE_INPUT, tlv1.IDENTIFIER_ROLE_OUTPUT
	none := tlv1.CHAIN_LINK_UNSPECIFIED
	submit("pesticide", pharmaKey, hashedEvent("p1", O, "commissioning", "active", "urn:epc:id:sgln:6901234.00001.0", none, role(lotP1, cls)))
	submit("harvest", farmKey,
		hashedEvent("s1", O, "receiving", "", "urn:epc:id:sgln:6901234.00002.0", none, role(lotS1, cls)),
		hashedEvent("h1", T, "harvesting", "", "urn:epc:id:sgln:6901234.00002.0", tlv1.CHAIN_LINK_INPUT_USE, role(lotP1, in), role(lotS1, in), role(lotH1, out)),
		hashedEvent("h1-exit", O, "shipping", "in_transit", "urn:epc:id:sgln:6901234.00002.0", tlv1.CHAIN_LINK_ORIGIN_EXIT, role(lotH1, cls)))
	submit("processing", procKey,
		hashedEvent("l1", T, "transforming", "", "urn:epc:id:sgln:6901234.00003.0", tlv1.CHAIN_LINK_PRODUCTION_RECORD, role(lotH1, in), role(lotL1, out)),
		hashedEvent("l1-pack", O, "packing", "active", "urn:epc:id:sgln:6901234.00003.0", tlv1.CHAIN_LINK_PACKAGING_LABEL, role(lotL1, cls)),
		hashedEvent("l1-ship", O, "shipping", "in_transit", "urn:epc:id:sgln:6901234.00003.0", tlv1.CHAIN_LINK_MARKET_ACCESS, role(lotL1, cls)))
	now := time.Now()
	id, _, err := n.c.Propose(ctx, client.Signer{Key: adminKey}, &tlv1.SubmitProposal{Title: "accredit the lab",
		Change: &tlv1.ProposalChange{Change: &tlv1.ProposalChange_AccreditCertifier{AccreditCertifier: &tlv1.AccreditCertifier{
			Certifier: "lab", Schemes: []string{"green_food"}, AccreditationNumber: "CNAS-L0001",
			ValidFromMs: now.Add(-48 * time.Hour).UnixMilli(), ValidUntilMs: now.Add(365 * 24 * time.Hour).UnixMilli()}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.c.Vote(ctx, client.Signer{Key: adminKey}, id, true); err != nil {
		t.Fatal(err)
	}
	ev := sha256.Sum256([]byte("certificate"))
	if _, _, err := n.c.IssueAttestation(ctx, client.Signer{Key: labKey}, "lab", &tlv1.IssueAttestation{Scheme: "green_food", Standard: "NY/T 391",
		CertificateNumber: "GF-2026-001", Subject: &tlv1.AttestationSubject{Enterprise: "proc", Lots: []string{lotL1}},
		ValidFromMs: now.Add(-24 * time.Hour).UnixMilli(), ValidUntilMs: now.Add(365 * 24 * time.Hour).UnixMilli(), EvidenceSha256: ev[:]}); err != nil {
		t.Fatal(err)
	}
	rc := &tlv1.InitiateRecall{Id: "R-P1", Enterprise: "pharma", Lots: []string{lotP1}, Reason: "banned active ingredient found in the lot",
		Hazard: "pesticide residue", Level: tlv1.RECALL_LEVEL_1, PeriodFromMs: now.Add(-24 * time.Hour).UnixMilli(), PeriodUntilMs: now.Add(24 * time.Hour).UnixMilli()}
	if err := n.c.FillHeldEvidence(ctx, rc); err != nil {
		t.Fatal(err)
	}
	if _, err := n.c.InitiateRecall(ctx, client.Signer{Key: pharmaKey}, rc); err != nil {
		t.Fatal(err)
	}
	for batch := range 5 {
		var msgs []*tlv1.Msg
		for i := range 10 {
			sum := sha256.Sum256(fmt.Appendf(nil, "b50 %d %d", batch, i))
			msgs = append(msgs, &tlv1.Msg{Sum: &tlv1.Msg_RecordEvent{RecordEvent: &tlv1.RecordEvent{Subject: lotB50,
				EventType: fmt.Sprintf("step-%02d", batch*10+i), EventTimeMs: now.Add(-time.Duration(50-batch*10-i) * time.Minute).UnixMilli(), PayloadSha256: sum[:]}}})
		}
		submit("b50", farmKey, msgs...)
	}
	return n
}

// apiServer runs the API with the portal in front of nodeURL.
func (n *network) apiServer(t *testing.T) string {
	t.Helper()
	c, err := client.New(n.url, n.doc)
	if err != nil {
		t.Fatal(err)
	}
	srv := api.New(c, api.Options{ProductPage: portal.ProductPath})
	if err := portal.Mount(srv, portal.Options{Genesis: n.doc}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts.URL
}

// lyingProxy sits between the page and the API: it passes everything on
// but changes one byte of the record at log index target wherever an
// answer carries it (the proof bundle, the node answers in the evidence
// and the JSON data), as a server that lies consistently would.
func lyingProxy(t *testing.T, apiURL string, target uint64) string {
	t.Helper()
	u, _ := url.Parse(apiURL)
	rp := httputil.NewSingleHostReverseProxy(u)
	direct := rp.Director
	rp.Director = func(r *http.Request) {
		direct(r)
		r.Header.Del("Accept-Encoding") // plain JSON to alter (the API compresses on request)
	}
	rp.ModifyResponse = func(res *http.Response) error {
		if !strings.HasPrefix(res.Request.URL.Path, "/v1/") || res.StatusCode != http.StatusOK {
			return nil
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			return err
		}
		var doc map[string]any
		if json.Unmarshal(body, &doc) == nil && alter(doc, target) {
			body, _ = json.Marshal(doc)
		}
		res.Body = io.NopCloser(bytes.NewReader(body))
		res.ContentLength = int64(len(body))
		res.Header.Set("Content-Length", fmt.Sprint(len(body)))
		return nil
	}
	ts := httptest.NewServer(rp)
	t.Cleanup(ts.Close)
	return ts.URL
}

// flip changes one byte of a record, in its middle.
func flip(b []byte) []byte {
	out := bytes.Clone(b)
	out[len(out)/2] ^= 0x20
	return out
}

// alter changes the record at index target in an answer or bundle.
func alter(doc map[string]any, target uint64) bool {
	changed := false
	var walk func(x any)
	walk = func(x any) {
		switch v := x.(type) {
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			idx, _ := v["index"].(float64)
			if uint64(idx) == target {
				for _, f := range []string{"record", "bytes"} {
					if s, ok := v[f].(string); ok {
						if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) > 0 {
							v[f] = base64.StdEncoding.EncodeToString(flip(b))
							changed = true
						}
					}
				}
			}
			if p, _ := v["path"].(string); p == tlv1.PathHistory {
				if s, ok := v["value"].(string); ok {
					raw, _ := base64.StdEncoding.DecodeString(s)
					var resp tlv1.HistoryResponse
					if resp.Unmarshal(raw) == nil {
						for _, r := range resp.Records {
							if r.Index == target {
								r.Record = flip(r.Record)
								changed = true
							}
						}
						if b, err := resp.Marshal(); err == nil {
							v["value"] = base64.StdEncoding.EncodeToString(b)
						}
					}
				}
			}
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(doc)
	return changed
}

// fetchInput reads what the product page reads, as the page does, for the
// Go verifier.
func fetchInput(t *testing.T, base, canonical string, genesisDoc []byte) verify.Input {
	t.Helper()
	getJSON := func(path string) (int, json.RawMessage) {
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
	st, hist := getJSON("/v1/history/" + url.PathEscape(canonical))
	if st != http.StatusOK {
		t.Fatalf("history: %d %s", st, hist)
	}
	var h struct {
		Height int64 `json:"height"`
		Data   struct {
			Records []struct {
				Record struct {
					Signer string `json:"signer"`
				} `json:"record"`
			} `json:"records"`
		} `json:"data"`
	}
	json.Unmarshal(hist, &h)
	in := verify.Input{Genesis: genesisDoc, Product: canonical, Trace: true, Answers: []json.RawMessage{hist}}
	_, in.Bundle = getJSON("/v1/bundles/" + url.PathEscape(canonical))
	st, tr := getJSON("/v1/trace/back/" + url.PathEscape(canonical))
	if st != http.StatusOK {
		t.Fatalf("trace: %d %s", st, tr)
	}
	in.Answers = append(in.Answers, tr)
	var g struct {
		Data struct {
			Graph struct {
				Participants []string `json:"participants"`
				Attestations []string `json:"attestations"`
			} `json:"graph"`
		} `json:"data"`
	}
	json.Unmarshal(tr, &g)
	seen := map[string]bool{}
	ids := g.Data.Graph.Participants
	for _, r := range h.Data.Records {
		ids = append(ids, r.Record.Signer)
	}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if st, b := getJSON("/v1/credit/" + url.PathEscape(id)); st == http.StatusOK {
			in.Answers = append(in.Answers, b)
		}
	}
	for _, a := range g.Data.Graph.Attestations {
		if st, b := getJSON("/v1/attestations/" + url.PathEscape(a)); st == http.StatusOK {
			in.Answers = append(in.Answers, b)
		}
	}
	return in
}

// chromium returns Debian's chromium, or skips (fails in CI) without it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed: CI must install it (apt-get install -y chromium, see .ci/run)")
	}
	t.Skip("chromium is not installed (apt-get install -y chromium): the browser test is skipped")
	return ""
}

func canonical(t *testing.T, id string) string {
	t.Helper()
	c, err := epcis.CanonicalIdentifier(id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
