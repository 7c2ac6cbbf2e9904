// SPDX-License-Identifier: Apache-2.0

package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"

	"github.com/traceledger/traceledger/api"
	"github.com/traceledger/traceledger/client"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// headerFault is what a headerProxy does to the light client's calls.
type headerFault int

const (
	// faultDelay holds header calls until the caller gives up.
	faultDelay headerFault = iota
	// faultDrop closes the connection of header calls.
	faultDrop
	// faultMalformed changes the app hash of every header it serves
	// (the commit then signs another block: a malformed light block).
	faultMalformed
	// faultConflict changes the app hash and makes the commit name the
	// changed header: a well-formed light block that conflicts with the
	// real one (its signatures do not verify).
	faultConflict
)

// headerProxy is an HTTP proxy to nodeURL that, once its switch is on,
// applies fault to the JSON-RPC calls CometBFT's light client makes for
// headers (commit, and validators for delay and drop) and passes every
// other call (ABCI queries, status) on unchanged.
func headerProxy(t *testing.T, nodeURL string, fault headerFault) (string, *atomic.Bool) {
	t.Helper()
	on := new(atomic.Bool)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var call struct {
			Method string `json:"method"`
		}
		_ = json.Unmarshal(body, &call)
		header := call.Method == "commit" || (fault <= faultDrop && call.Method == "validators")
		if on.Load() && header {
			switch fault {
			case faultDelay:
				select {
				case <-r.Context().Done():
				case <-time.After(20 * time.Second):
				}
				return
			case faultDrop:
				if hj, ok := w.(http.Hijacker); ok {
					if conn, _, err := hj.Hijack(); err == nil {
						conn.Close()
					}
				}
				return
			}
		}
		req, err := http.NewRequestWithContext(r.Context(), r.Method, nodeURL+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		req.Header = r.Header.Clone()
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		out, err := io.ReadAll(res.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		if on.Load() && header {
			out = alterCommit(t, out, fault == faultConflict)
		}
		w.Header().Set("Content-Type", res.Header.Get("Content-Type"))
		w.WriteHeader(res.StatusCode)
		_, _ = w.Write(out)
	}))
	t.Cleanup(ts.Close)
	return ts.URL, on
}

// alterCommit changes the app hash of a commit answer's header; with
// consistent, the commit then names the changed header.
func alterCommit(t *testing.T, body []byte, consistent bool) []byte {
	var msg struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Result  json.RawMessage `json:"result"`
	}
	if json.Unmarshal(body, &msg) != nil || len(msg.Result) == 0 {
		return body
	}
	var rc ctypes.ResultCommit
	if err := cmtjson.Unmarshal(msg.Result, &rc); err != nil || rc.Header == nil {
		return body
	}
	h := rc.Header
	h.AppHash = append([]byte{}, h.AppHash...)
	h.AppHash[0] ^= 1
	if consistent && rc.Commit != nil {
		rc.Commit.BlockID.Hash = h.Hash()
	}
	res, err := cmtjson.Marshal(&rc)
	if err != nil {
		t.Errorf("encode the altered commit: %v", err)
		return body
	}
	msg.Result = res
	out, err := json.Marshal(msg)
	if err != nil {
		return body
	}
	return out
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// apiServerWith runs the API in front of primary with witnesses.
func apiServerWith(t *testing.T, primary string, witnesses []string, opts api.Options) (*httptest.Server, *api.Server) {
	t.Helper()
	c, err := client.New(primary, fx.doc, witnesses...)
	if err != nil {
		t.Fatal(err)
	}
	s := api.New(c, opts)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts, s
}

// TestHeaderTransportFailures: a node that cannot be heard while a header
// is verified (held past the deadline, connection dropped) is answered
// 504/503 and not counted as a verification failure; a node whose header
// is altered is answered 502 and counted.
func TestHeaderTransportFailures(t *testing.T) {
	cases := []struct {
		name    string
		fault   headerFault
		status  int
		code    tlv1.Code
		counted bool
	}{
		{"delayed", faultDelay, http.StatusGatewayTimeout, tlv1.CodeAPITimeout, false},
		{"dropped", faultDrop, http.StatusServiceUnavailable, tlv1.CodeAPINodeUnavailable, false},
		{"altered", faultMalformed, http.StatusBadGateway, tlv1.CodeAPINotVerified, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			proxy, on := headerProxy(t, fx.url, tc.fault)
			ts, s := apiServer(t, proxy, api.Options{Timeout: 2 * time.Second})
			if r := get(t, ts.URL+"/v1/status"); r.status != http.StatusOK {
				t.Fatalf("before the fault: %d %s", r.status, r.body)
			}
			on.Store(true)
			r := get(t, ts.URL+"/v1/history/"+seg(lotEPC))
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if p := r.problem(t); tlv1.Code(p.Code) != tc.code {
				t.Fatalf("code %s, want %s: %s", p.Name, tc.code, r.body)
			}
			want := uint64(0)
			if tc.counted {
				want = 1
			}
			if got := s.VerificationFailures(); got != want {
				t.Fatalf("%d verification failures counted, want %d", got, want)
			}
		})
	}
}

// TestLyingWitness: in front of an honest primary with one lying witness
// (and an honest one), the API server keeps serving answers verified
// against the primary, and reports the conflict: counted, in the metrics
// and /readyz, logged at error level with both headers' hashes; the light
// client drops the lying witness.
func TestLyingWitness(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault headerFault
	}{{"conflicting header", faultConflict}, {"malformed header", faultMalformed}} {
		t.Run(tc.name, func(t *testing.T) {
			liar, on := headerProxy(t, fx.url, tc.fault)
			var logs syncBuffer
			ts, s := apiServerWith(t, fx.url, []string{liar, fx.url}, api.Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
			if r := get(t, ts.URL+"/v1/status"); r.status != http.StatusOK {
				t.Fatalf("before the lie: %d %s", r.status, r.body)
			}
			if n := s.WitnessConflicts(); n != 0 {
				t.Fatalf("%d conflicts before the lie", n)
			}
			on.Store(true)
			for _, p := range []string{"/v1/status", "/v1/history/" + seg(lotEPC), "/v1/participants/farm"} {
				if r := get(t, ts.URL+p); r.status != http.StatusOK {
					t.Fatalf("%s: an honest primary's answer was not served: %d %s", p, r.status, r.body)
				}
			}
			if n := s.WitnessConflicts(); n != 1 {
				t.Fatalf("%d witness conflicts counted, want 1 (the witness is dropped)", n)
			}
			if n := s.VerificationFailures(); n != 0 {
				t.Fatalf("%d verification failures counted for a lying witness", n)
			}
			if m := metricsText(t, s); !strings.Contains(m, "traceledger_api_witness_conflicts_total 1") {
				t.Fatalf("metrics do not show the conflict:\n%s", m)
			}
			r := get(t, ts.URL+"/readyz")
			var ready struct {
				WitnessConflicts uint64 `json:"witness_conflicts"`
				Witnesses        *int   `json:"witnesses"`
			}
			if err := json.Unmarshal(r.body, &ready); err != nil || r.status != 200 || ready.WitnessConflicts != 1 || ready.Witnesses == nil || *ready.Witnesses != 1 {
				t.Fatalf("readyz: %d %s", r.status, r.body)
			}
			var line map[string]any
			for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
				var m map[string]any
				if json.Unmarshal([]byte(l), &m) == nil && m["witness_conflicts"] != nil {
					line = m
				}
			}
			if line == nil || line["level"] != "ERROR" || line["primary_hash"] == "" || !strings.Contains(fmt.Sprint(line["witness"]), strings.TrimPrefix(liar, "http://")) {
				t.Fatalf("no error log of the conflict: %s", logs.String())
			}
			ph, wh := fmt.Sprint(line["primary_hash"]), fmt.Sprint(line["witness_hash"])
			if tc.fault == faultConflict && (len(wh) != 64 || wh == ph) {
				t.Fatalf("the log does not name both headers' hashes: %v", line)
			}
		})
	}
}

// TestOnlyWitnessLies: when the one witness lies, no witness confirms the
// primary's headers: reads are refused 503 (not served, not counted as
// verification failures), and the conflict is counted.
func TestOnlyWitnessLies(t *testing.T) {
	liar, on := headerProxy(t, fx.url, faultConflict)
	ts, s := apiServerWith(t, fx.url, []string{liar}, api.Options{})
	if r := get(t, ts.URL+"/v1/status"); r.status != http.StatusOK {
		t.Fatalf("before the lie: %d %s", r.status, r.body)
	}
	on.Store(true)
	r := get(t, ts.URL+"/v1/history/"+seg(lotEPC))
	if p := r.problem(t); r.status != http.StatusServiceUnavailable || tlv1.Code(p.Code) != tlv1.CodeAPINodeUnavailable {
		t.Fatalf("with only a lying witness: %d %s", r.status, r.body)
	}
	if s.WitnessConflicts() == 0 || s.VerificationFailures() != 0 {
		t.Fatalf("%d conflicts, %d verification failures", s.WitnessConflicts(), s.VerificationFailures())
	}
}
