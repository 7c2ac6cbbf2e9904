// SPDX-License-Identifier: Apache-2.0

package client_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/epcis"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// fakeCommitProxy passes every RPC call to the node except, while faking,
// broadcast_tx_sync (answered "accepted" and never forwarded: the
// transaction is never broadcast) and tx (answered "committed at height
// with these events"): a lying node that claims commits.
type fakeCommitProxy struct {
	rp *httputil.ReverseProxy

	mu     sync.Mutex
	fake   bool
	height int64
	events []abci.Event
	// dropped counts the transactions the proxy swallowed.
	dropped int
}

func (p *fakeCommitProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req rpctypes.RPCRequest
	p.mu.Lock()
	fake, height, events := p.fake, p.height, p.events
	p.mu.Unlock()
	if fake && json.Unmarshal(body, &req) == nil {
		var result any
		switch req.Method {
		case "broadcast_tx_sync":
			var params struct {
				Tx []byte `json:"tx"`
			}
			if err := json.Unmarshal(req.Params, &params); err == nil {
				sum := sha256.Sum256(params.Tx)
				result = &ctypes.ResultBroadcastTx{Hash: sum[:]}
				p.mu.Lock()
				p.dropped++
				p.mu.Unlock()
			}
		case "tx":
			var params struct {
				Hash []byte `json:"hash"`
			}
			if err := json.Unmarshal(req.Params, &params); err == nil {
				result = &ctypes.ResultTx{Hash: params.Hash, Height: height, TxResult: abci.ExecTxResult{Events: events}}
			}
		}
		if result != nil {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(rpctypes.NewRPCSuccessResponse(req.ID, result))
			return
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	p.rp.ServeHTTP(w, r)
}

func recordEvent(index uint64) abci.Event {
	return abci.Event{Type: tlv1.EventRecord, Attributes: []abci.EventAttribute{{Key: tlv1.AttrIndex, Value: fmt.Sprint(index)}}}
}

// TestSubmitConfirmedByProof: issue 16 (SECURITY.md, "submissions are
// confirmed by the node's word"). A proxy swallows the transaction and
// answers the tx RPC with a commit that never happened, naming another
// transaction's record, a record past the log, or no record at all: each
// is refused as a *CommitNotVerifiedError (ErrNotVerified), the signer's
// sequence is re-read afterwards, and the same submission through the
// honest proxy commits with a proof.
func TestSubmitConfirmedByProof(t *testing.T) {
	nodeURL, doc, farm := startNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	target, _ := url.Parse(nodeURL)
	px := &fakeCommitProxy{rp: httputil.NewSingleHostReverseProxy(target)}
	ts := httptest.NewServer(px)
	defer ts.Close()
	c, err := client.New(ts.URL, doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitForHeight(ctx, 1); err != nil {
		t.Fatal(err)
	}
	signer := client.Signer{Key: farm}
	n := 0
	msg := func() *tlv1.Msg {
		n++
		sum := sha256.Sum256(fmt.Appendf(nil, "payload %d", n))
		return &tlv1.Msg{Sum: &tlv1.Msg_RecordEvent{RecordEvent: &tlv1.RecordEvent{
			Subject: fmt.Sprintf("urn:epc:class:lgtin:6901234.500012.C%d", n), EventType: "harvest",
			EventTimeMs: time.Now().UnixMilli(), PayloadSha256: sum[:]}}}
	}
	honest, err := c.Submit(ctx, signer, msg())
	if err != nil {
		t.Fatal(err)
	}
	if honest.Proven.Header == nil || honest.Proven.Height < honest.Height || len(honest.Indexes) != 1 {
		t.Fatalf("honest commit not confirmed with a proof: %+v", honest)
	}
	st, err := c.RPC().Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		events []abci.Event
		reason string
	}{
		{"another transaction's record", []abci.Event{recordEvent(honest.Indexes[0])}, "belongs to transaction"},
		{"a record past the log", []abci.Event{recordEvent(1 << 40)}, "could not be read with a proof"},
		{"no record", nil, "is unspent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			px.mu.Lock()
			px.fake, px.height, px.events = true, st.SyncInfo.LatestBlockHeight, tc.events
			px.mu.Unlock()
			defer func() {
				px.mu.Lock()
				px.fake = false
				px.mu.Unlock()
			}()
			res, err := c.Submit(ctx, signer, msg())
			var nv *client.CommitNotVerifiedError
			if !errors.As(err, &nv) || !errors.Is(err, client.ErrNotVerified) {
				t.Fatalf("faked commit: got %+v, %v; want a *CommitNotVerifiedError", res, err)
			}
			if !strings.Contains(nv.Reason, tc.reason) || nv.Height != st.SyncInfo.LatestBlockHeight || len(nv.Hash) != sha256.Size {
				t.Errorf("error facts %+v, want reason with %q", nv, tc.reason)
			}
		})
	}
	// An import through the lying proxy: its batches are swallowed and
	// their commits faked (one naming the honest record, one none).
	for _, events := range [][]abci.Event{{recordEvent(honest.Indexes[0])}, nil} {
		prepared, err := client.PrepareImport(planDoc(fmt.Sprintf("FAKE%d", len(events)), 3, time.Now().Add(-time.Hour), 0), epcis.FormatAuto, client.ImportPublic)
		if err != nil {
			t.Fatal(err)
		}
		px.mu.Lock()
		px.fake, px.height, px.events = true, st.SyncInfo.LatestBlockHeight, events
		px.mu.Unlock()
		res, err := c.Import(ctx, prepared, client.ImportOptions{Signer: signer})
		px.mu.Lock()
		px.fake = false
		px.mu.Unlock()
		var nv *client.CommitNotVerifiedError
		var ie *client.ImportError
		if !errors.As(err, &nv) || !errors.As(err, &ie) || res == nil || res.Committed != 0 || len(res.Txs) != 0 {
			t.Fatalf("import through a lying proxy: %+v, %v; want a *CommitNotVerifiedError and nothing counted committed", res, err)
		}
	}
	px.mu.Lock()
	dropped := px.dropped
	px.mu.Unlock()
	if dropped != 5 {
		t.Fatalf("the proxy swallowed %d transactions, want 5", dropped)
	}
	// The sequence the swallowed transactions used was forgotten: the next
	// submission reads it again and commits.
	again, err := c.Submit(ctx, signer, msg())
	if err != nil || again.Proven.Header == nil {
		t.Fatalf("submission after the lies: %+v %v", again, err)
	}
}
