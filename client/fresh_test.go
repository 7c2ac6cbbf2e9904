// SPDX-License-Identifier: Apache-2.0

package client_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/cometbft/cometbft/types"

	"github.com/traceledger/traceledger/client"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// TestCheckFresh: a header within the bound passes, an older one is a
// *StaleError that wraps ErrNotVerified and carries its facts, and a
// negative bound accepts any age.
func TestCheckFresh(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	proven := func(age time.Duration) client.Proven {
		return client.Proven{Height: 41, Header: &types.SignedHeader{Header: &types.Header{Height: 42, Time: now.Add(-age)}}}
	}
	for _, tc := range []struct {
		name      string
		bound     time.Duration
		p         client.Proven
		wantStale bool
	}{
		{"fresh, default bound", 0, proven(2 * time.Second), false},
		{"at the default bound", 0, proven(client.DefaultMaxAnswerAge), false},
		{"older than the default bound", 0, proven(client.DefaultMaxAnswerAge + time.Millisecond), true},
		{"a day old", 0, proven(24 * time.Hour), true},
		{"own bound, within", 5 * time.Second, proven(4 * time.Second), false},
		{"own bound, beyond", 5 * time.Second, proven(6 * time.Second), true},
		{"no bound", -1, proven(365 * 24 * time.Hour), false},
		{"header from the future (clock drift)", 0, proven(-3 * time.Second), false},
		{"no header (an offline answer)", 0, client.Proven{Height: 41}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := client.New("http://127.0.0.1:1", &types.GenesisDoc{ChainID: "x"})
			if err != nil {
				t.Fatal(err)
			}
			c.SetMaxAnswerAge(tc.bound)
			c.SetClock(func() time.Time { return now })
			err = c.CheckFresh(tc.p)
			var stale *client.StaleError
			if got := errors.As(err, &stale); got != tc.wantStale {
				t.Fatalf("stale = %v (%v), want %v", got, err, tc.wantStale)
			}
			if !tc.wantStale {
				return
			}
			if !errors.Is(err, client.ErrNotVerified) {
				t.Errorf("a stale answer must not verify as current: %v", err)
			}
			if stale.Height != 41 || !stale.HeaderTime.Equal(tc.p.Header.Time) || stale.Age != now.Sub(tc.p.Header.Time) || stale.Age <= stale.MaxAge {
				t.Errorf("facts %+v", stale)
			}
		})
	}
}

// replayingProxy passes every RPC call to nodeURL, remembers the last
// answer to an ABCI query of path, and, once replay is set, answers that
// query with the remembered one (its id rewritten): a node or a proxy that
// serves a genuine old answer as the current one.
type replayingProxy struct {
	path string
	rp   *httputil.ReverseProxy

	mu     sync.Mutex
	replay bool
	saved  json.RawMessage // the result of the remembered answer
}

type rpcRequest struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params struct {
		Path string `json:"path"`
	} `json:"params"`
}

func (p *replayingProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req rpcRequest
	isQuery := json.Unmarshal(body, &req) == nil && req.Method == "abci_query" && req.Params.Path == p.path
	p.mu.Lock()
	replay, saved := p.replay, p.saved
	p.mu.Unlock()
	if isQuery && replay {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"jsonrpc": "2.0", "id": req.ID, "result": saved})
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if !isQuery {
		p.rp.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	p.rp.ServeHTTP(rec, r)
	var res struct {
		Result json.RawMessage `json:"result"`
	}
	if json.Unmarshal(rec.Body.Bytes(), &res) == nil && len(res.Result) > 0 {
		p.mu.Lock()
		p.saved = res.Result
		p.mu.Unlock()
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// TestReplayedAnswerIsStale: issue 16, finding 2. A proxy saves a lot's
// genuine history (one record), the lot gets a second record (a recall
// notice, say), and the proxy then replays the saved answer. Without a
// freshness bound the client takes it as complete and current; with one it
// refuses it as stale, naming the height and age; the honest node gives
// both records.
func TestReplayedAnswerIsStale(t *testing.T) {
	nodeURL, doc, farm := startNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	target, _ := url.Parse(nodeURL)
	px := &replayingProxy{path: tlv1.PathHistory, rp: httputil.NewSingleHostReverseProxy(target)}
	ts := httptest.NewServer(px)
	defer ts.Close()

	direct, err := client.New(nodeURL, doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := direct.WaitForHeight(ctx, 1); err != nil {
		t.Fatal(err)
	}
	lot := "urn:epc:class:lgtin:6901234.500012.STALE1"
	record := func(step string) {
		t.Helper()
		sum := sha256.Sum256([]byte(step))
		msg := &tlv1.Msg{Sum: &tlv1.Msg_RecordEvent{RecordEvent: &tlv1.RecordEvent{Subject: lot, EventType: step, EventTimeMs: time.Now().UnixMilli(), PayloadSha256: sum[:]}}}
		if _, err := direct.Submit(ctx, client.Signer{Key: farm}, msg); err != nil {
			t.Fatal(err)
		}
	}
	record("harvest")

	const bound = 2 * time.Second
	viaProxy := func(maxAge time.Duration) *client.Client {
		c, err := client.New(ts.URL, doc)
		if err != nil {
			t.Fatal(err)
		}
		c.SetMaxAnswerAge(maxAge)
		return c
	}
	h, saved, err := viaProxy(bound).History(ctx, lot)
	if err != nil || h.Head == nil || h.Head.Count != 1 {
		t.Fatalf("first read through the proxy: %v %+v", err, h)
	}
	record("recall-notice")
	// Let the saved answer's header age past the bound (setup, not a timing
	// assertion: the check compares the header's own time).
	for time.Since(saved.Header.Time) <= bound+500*time.Millisecond {
		time.Sleep(200 * time.Millisecond)
	}
	px.mu.Lock()
	px.replay = true
	px.mu.Unlock()

	fooled, _, err := viaProxy(-1).History(ctx, lot)
	if err != nil || fooled.Head.Count != 1 {
		t.Fatalf("without a bound the replay should pass as a 1-record history (the attack): %v %+v", err, fooled)
	}
	_, _, err = viaProxy(bound).History(ctx, lot)
	var stale *client.StaleError
	if !errors.As(err, &stale) || !errors.Is(err, client.ErrNotVerified) {
		t.Fatalf("replayed answer: got %v, want a *StaleError", err)
	}
	if stale.Height != saved.Height || stale.Age <= bound {
		t.Errorf("stale facts %+v, saved answer at %d", stale, saved.Height)
	}
	honest, _, err := direct.History(ctx, lot)
	if err != nil || honest.Head.Count != 2 {
		t.Fatalf("honest history: %v %+v", err, honest)
	}
}
