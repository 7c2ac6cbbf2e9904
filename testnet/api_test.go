// SPDX-License-Identifier: Apache-2.0

package testnet

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/types"

	"github.com/traceledger/traceledger/api"
	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/epcis"
	"github.com/traceledger/traceledger/proof"
	prooflight "github.com/traceledger/traceledger/proof/light"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// An API server's answers are checked here as a client that trusts no
// server would: the node answers in the evidence with package proof, and
// the light block they end in against the genesis validator set.

// httpReply is an HTTP answer, read whole.
type httpReply struct {
	status int
	header http.Header
	body   []byte
}

// httpDo sends a request and reads the answer.
func httpDo(ctx context.Context, method, u string, body []byte, hdr map[string]string) (httpReply, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return httpReply{}, err
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		return httpReply{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return httpReply{status: res.StatusCode, header: res.Header, body: b}, err
}

// waitReady polls base/readyz until it answers 200.
func waitReady(ctx context.Context, t *testing.T, base string) {
	t.Helper()
	var last string
	for {
		r, err := httpDo(ctx, http.MethodGet, base+"/readyz", nil, nil)
		if err == nil && r.status == http.StatusOK {
			return
		}
		if err != nil {
			last = err.Error()
		} else {
			last = fmt.Sprintf("%d %s", r.status, r.body)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("API server %s not ready: %s", base, last)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// answerOf decodes a read answer envelope, its data into data.
func answerOf(t *testing.T, r httpReply, chainID string, data any) (int64, *api.Evidence) {
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
	if env.ChainID != chainID || env.Height <= 0 || env.Evidence == nil || len(env.Evidence.Answers) == 0 || len(env.Evidence.LightBlocks) == 0 {
		t.Fatalf("answer without chain %s, height or evidence: %s", chainID, r.body)
	}
	if data != nil {
		if err := json.Unmarshal(env.Data, data); err != nil {
			t.Fatalf("answer data: %v: %s", err, env.Data)
		}
	}
	return env.Height, env.Evidence
}

// checkRootsSigned checks, without any server, that roots are committed by
// the light block of the evidence at roots.Height+1 and that the block is
// signed by more than 2/3 of the genesis validator set (the networks of
// these tests keep it), and returns the light block.
func checkRootsSigned(t *testing.T, doc *types.GenesisDoc, ev *api.Evidence, roots *tlv1.StateRoots) *types.LightBlock {
	t.Helper()
	if roots == nil {
		t.Fatal("an answer without roots")
	}
	var lb *types.LightBlock
	for _, raw := range ev.LightBlocks {
		var b types.LightBlock
		if err := cmtjson.Unmarshal(raw, &b); err != nil {
			t.Fatalf("light block: %v", err)
		}
		if b.Height == roots.Height+1 {
			lb = &b
		}
	}
	if lb == nil {
		t.Fatalf("no light block %d for state height %d in the evidence", roots.Height+1, roots.Height)
	}
	if err := lb.ValidateBasic(doc.ChainID); err != nil {
		t.Fatalf("light block %d: %v", lb.Height, err)
	}
	if err := prooflight.VerifyRootsInHeader(roots, lb.SignedHeader); err != nil {
		t.Fatalf("roots not committed by header %d: %v", lb.Height, err)
	}
	root, err := prooflight.GenesisTrustRoot(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(lb.ValidatorSet.Hash(), types.NewValidatorSet(root.GenesisValidators.Validators).Hash()) {
		t.Fatalf("light block %d is not signed by the genesis validator set", lb.Height)
	}
	if err := lb.ValidatorSet.VerifyCommitLight(doc.ChainID, lb.Commit.BlockID, lb.Height, lb.Commit); err != nil {
		t.Fatalf("light block %d: commit signatures: %v", lb.Height, err)
	}
	return lb
}

// nodeAnswer decodes the evidence's answer to path into resp.
func nodeAnswer(t *testing.T, ev *api.Evidence, path string, resp interface{ Unmarshal([]byte) error }) {
	t.Helper()
	for _, a := range ev.Answers {
		if a.Path == path {
			if err := resp.Unmarshal(a.Value); err != nil {
				t.Fatalf("evidence answer %s: %v", path, err)
			}
			return
		}
	}
	t.Fatalf("no %s answer in the evidence", path)
}

// checkStatusAnswer checks a /v1/status answer from its evidence alone and
// returns its state height.
func checkStatusAnswer(t *testing.T, doc *types.GenesisDoc, r httpReply) int64 {
	t.Helper()
	var st api.StatusView
	h, ev := answerOf(t, r, doc.ChainID, &st)
	var resp tlv1.StatusResponse
	nodeAnswer(t, ev, tlv1.PathStatus, &resp)
	if resp.ChainId != doc.ChainID || resp.Roots == nil || resp.Roots.Height != h || st.HeaderHeight != h+1 || st.State.LogSize != resp.Roots.LogSize {
		t.Fatalf("status %+v does not match its evidence (height %d)", st, h)
	}
	checkRootsSigned(t, doc, ev, resp.Roots)
	return h
}

// TestLoopbackAPIEndToEnd runs a standalone API server in front of the
// observer of a real four-validator loopback network (the validators are
// its light client's witnesses): a transaction posted to /v1/txs commits;
// the history read back through the API checks offline (package proof, the
// light block against the genesis validators) and its header is the one
// the validators signed; the resolver answers the lot; an unknown lot is a
// 404 whose absence proof checks offline.
func TestLoopbackAPIEndToEnd(t *testing.T) {
	ctx := loopbackCtx(t, 3*time.Minute)
	c := newProcessCluster(t, 1, "farm1")
	nw := c.nw
	obs, ok := nw.Node("observer1")
	if !ok || obs.Validator {
		t.Fatal("no observer in the network")
	}
	var witnesses []string
	for _, v := range nw.Validators() {
		witnesses = append(witnesses, v.RPCURL)
	}
	cl, err := client.New(obs.RPCURL, nw.Genesis, witnesses...)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	srv := api.New(cl, api.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, stopServer := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, ln) }()
	t.Cleanup(func() {
		stopServer()
		if err := <-done; err != nil {
			t.Errorf("API server: %v", err)
		}
		if t.Failed() {
			t.Logf("API server log:\n%s", logs.String())
		}
	})
	base := "http://" + ln.Addr().String()
	waitReady(ctx, t, base)
	get := func(path string, hdr map[string]string) httpReply {
		t.Helper()
		r, err := httpDo(ctx, http.MethodGet, base+path, nil, hdr)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		return r
	}
	checkStatusAnswer(t, nw.Genesis, get("/v1/status", nil))

	// Submit through POST /v1/txs, signed here (the server sees no key).
	key, err := nw.EnterpriseKey("farm1", fastKDF...)
	if err != nil {
		t.Fatal(err)
	}
	farm := client.Signer{Key: key}
	var kv api.ValueAnswer
	answerOf(t, get("/v1/values/"+url.PathEscape(tlv1.KeyKey(farm.KeyID())), nil), nw.ChainID, &kv)
	var k tlv1.Key
	if err := k.Unmarshal(kv.Entry.Value); err != nil {
		t.Fatal(err)
	}
	const lot = "urn:epc:class:lgtin:6901234.500012.E2E1"
	canonical, err := epcis.CanonicalIdentifier(lot)
	if err != nil {
		t.Fatal(err)
	}
	event := func(typ string) *tlv1.Msg {
		sum := [32]byte{byte(len(typ)), typ[0]}
		return &tlv1.Msg{Sum: &tlv1.Msg_RecordEvent{RecordEvent: &tlv1.RecordEvent{Subject: lot, EventType: typ,
			EventTimeMs: time.Now().Add(-time.Minute).UnixMilli(), PayloadSha256: sum[:]}}}
	}
	tx, err := client.BuildTx(nw.ChainID, farm, k.Sequence, event("harvest"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"tx": base64.StdEncoding.EncodeToString(tx), "wait": "commit"})
	r, err := httpDo(ctx, http.MethodPost, base+"/v1/txs", body, map[string]string{"Content-Type": "application/json"})
	if err != nil {
		t.Fatal(err)
	}
	var ans api.TxAnswer
	if r.status != http.StatusOK || json.Unmarshal(r.body, &ans) != nil || !ans.Committed || ans.Height <= 0 || len(ans.LogIndexes) != 1 {
		t.Fatalf("POST /v1/txs: %d %s", r.status, r.body)
	}
	// A second event through the SDK's API transport (reads from the
	// observer, the write through the API server).
	sdk, err := client.New(obs.RPCURL, nw.Genesis, witnesses...)
	if err != nil {
		t.Fatal(err)
	}
	b, err := client.NewAPIBroadcaster(base, nil)
	if err != nil {
		t.Fatal(err)
	}
	sdk.UseBroadcaster(b)
	second, err := sdk.Submit(ctx, farm, event("packing"))
	if err != nil {
		t.Fatalf("SDK submit through the API: %v", err)
	}

	// The history, by another spelling, read back through the API and
	// checked offline.
	dl := "https://example.com/" + strings.TrimPrefix(canonical, "https://id.gs1.org/") + "?src=label"
	var ha api.HistoryAnswer
	_, ev := answerOf(t, get("/v1/history/"+url.PathEscape(dl), nil), nw.ChainID, &ha)
	if ha.Canonical != canonical || ha.Head.Count != 2 || len(ha.Records) != 2 ||
		ha.Records[0].Index != ans.LogIndexes[0] || ha.Records[1].Index != second.Indexes[0] {
		t.Fatalf("history %+v, want records %d and %v of %s", ha, ans.LogIndexes[0], second.Indexes, canonical)
	}
	var hr tlv1.HistoryResponse
	nodeAnswer(t, ev, tlv1.PathHistory, &hr)
	vh, err := proof.VerifyHistory(canonical, tlv1.HeadKey(canonical), &hr)
	if err != nil || vh.Head == nil || vh.Head.Count != 2 || len(vh.Records) != 2 {
		t.Fatalf("the history's evidence does not verify offline: %v", err)
	}
	for i, rec := range vh.Records {
		if rec.Index != ha.Records[i].Index || !bytes.Equal(rec.Bytes, ha.Records[i].Bytes) {
			t.Fatalf("record %d of the answer differs from its evidence", i)
		}
	}
	lb := checkRootsSigned(t, nw.Genesis, ev, hr.Roots)
	// The header the observer's API served is the one the validators hold.
	for _, v := range nw.Validators() {
		rc, err := rpcClient(v.RPCURL)
		if err != nil {
			t.Fatal(err)
		}
		h := lb.Height
		cm, err := rc.Commit(ctx, &h)
		if err != nil {
			t.Fatalf("commit %d from %s: %v", h, v.Name, err)
		}
		if !bytes.Equal(cm.SignedHeader.Hash(), lb.SignedHeader.Hash()) {
			t.Fatalf("%s's header %d differs from the one the API served", v.Name, h)
		}
	}

	// The resolver: the linkset for machines, 307 for a browser.
	gs1Path := strings.TrimPrefix(canonical, "https://id.gs1.org")
	r = get(gs1Path, map[string]string{"Accept": "application/linkset+json"})
	var ls struct {
		Linkset []map[string]json.RawMessage `json:"linkset"`
	}
	if r.status != http.StatusOK || json.Unmarshal(r.body, &ls) != nil || len(ls.Linkset) != 1 || string(ls.Linkset[0]["anchor"]) != fmt.Sprintf("%q", canonical) {
		t.Fatalf("resolver linkset of %s: %d %s", gs1Path, r.status, r.body)
	}
	r = get(gs1Path, map[string]string{"Accept": "text/html"})
	if loc := r.header.Get("Location"); r.status != http.StatusTemporaryRedirect || !strings.Contains(loc, "/v1/history/") {
		t.Fatalf("resolver for a browser: %d Location %q", r.status, loc)
	}

	// A lot never recorded: 404, whose absence proof checks offline.
	unknown := "urn:epc:class:lgtin:6901234.500012.E2ENEVER"
	r = get("/v1/history/"+url.PathEscape(unknown), nil)
	var p api.Problem
	if r.status != http.StatusNotFound || json.Unmarshal(r.body, &p) != nil || p.Evidence == nil || p.Height <= 0 || tlv1.Code(p.Code) != tlv1.CodeNotFound {
		t.Fatalf("unknown lot: %d %s", r.status, r.body)
	}
	var ar tlv1.HistoryResponse
	nodeAnswer(t, p.Evidence, tlv1.PathHistory, &ar)
	ucanon, _ := epcis.CanonicalIdentifier(unknown)
	av, err := proof.VerifyHistory(ucanon, tlv1.HeadKey(ucanon), &ar)
	if err != nil || av.Head != nil || len(av.Records) != 0 || ar.Roots == nil || ar.Roots.Height != p.Height {
		t.Fatalf("the absence does not verify offline: %v", err)
	}
	checkRootsSigned(t, nw.Genesis, p.Evidence, ar.Roots)
	if r := get(gs1Path+"X", map[string]string{"Accept": "application/linkset+json"}); r.status != http.StatusNotFound {
		t.Fatalf("resolver for an unknown lot: %d %s", r.status, r.body)
	}

	if n := srv.VerificationFailures(); n != 0 {
		t.Fatalf("%d answers failed verification on an honest network", n)
	}
	// Stopping the server ends Serve without error (checked at cleanup).
	stopServer()
	select {
	case err := <-done:
		done <- err
	case <-time.After(api.ShutdownGrace + 5*time.Second):
		t.Fatal("the API server did not shut down")
	}
	if _, err := httpDo(context.Background(), http.MethodGet, base+"/healthz", nil, nil); err == nil {
		t.Fatal("the API server still answers after shutdown")
	}
}
