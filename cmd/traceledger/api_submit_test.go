// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/traceledger/traceledger/client"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// startServe runs 'serve' in front of node n on a free loopback port until
// the test ends and returns its base URL once it is ready.
func startServe(t *testing.T, ctx context.Context, n testNode) string {
	t.Helper()
	addr := freePort(t)
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := run(t, sctx, "serve", "--node", n.url, "--genesis", n.genesis, "--addr", addr)
		done <- err
	}()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	base := "http://" + addr
	n.eventually("serve answers /readyz", func() bool {
		res, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	return base
}

// TestAPISubmitCLI: the writing commands take --api and submit through an
// API server's POST /v1/txs; what they record reads back (verified, from
// the node); a refusal through the API is the same error and exit code as
// through the node's RPC.
func TestAPISubmitCLI(t *testing.T) {
	t.Setenv("TRACELEDGER_PASSPHRASE", "correct horse battery staple")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	n := startTestNode(t, ctx, "api-submit-test")
	base := startServe(t, ctx, n)
	dir := t.TempDir()
	payload := filepath.Join(dir, "harvest.json")
	if err := os.WriteFile(payload, []byte(`{"kg":1200}`), 0o600); err != nil {
		t.Fatal(err)
	}
	lot := "urn:epc:class:lgtin:6901234.500012.APICLI1"

	// tx record through the API, read back through the node.
	var rec struct {
		Hash    string   `json:"tx_hash"`
		Height  int64    `json:"height"`
		Indexes []uint64 `json:"log_indexes"`
	}
	out := n.must("tx", "record", "--api", base, "--from", "farm1", "--subject", lot, "--type", "harvest", "--payload", payload, "-o", "json")
	if err := json.Unmarshal([]byte(out), &rec); err != nil || rec.Height <= 0 || len(rec.Indexes) != 1 || len(rec.Hash) != 64 {
		t.Fatalf("tx record --api: %v %s", err, out)
	}
	var hist struct {
		Verified bool `json:"verified"`
		Records  []struct {
			Index     uint64 `json:"index"`
			EventType string `json:"event_type"`
		} `json:"records"`
	}
	out = n.must("query", "history", lot, "-o", "json")
	if err := json.Unmarshal([]byte(out), &hist); err != nil || !hist.Verified || len(hist.Records) != 1 || hist.Records[0].Index != rec.Indexes[0] {
		t.Fatalf("history after tx record --api: %v %s", err, out)
	}

	// epcis import through the API (batches broadcast, then waited for
	// through the node), idempotent on re-import.
	doc := filepath.Join(dir, "lot.jsonld")
	if err := os.WriteFile(doc, []byte(traceDoc("APICLI2", 5, time.Now().Add(-time.Hour).Truncate(time.Second), "")), 0o600); err != nil {
		t.Fatal(err)
	}
	var imp struct {
		Recorded        int `json:"recorded"`
		AlreadyRecorded int `json:"already_recorded"`
		Transactions    int `json:"transactions"`
	}
	out = n.must("epcis", "import", doc, "--api", base, "--from", "farm1", "--batch", "2", "-o", "json")
	if err := json.Unmarshal([]byte(out), &imp); err != nil || imp.Recorded != 5 || imp.Transactions != 3 {
		t.Fatalf("epcis import --api: %v %s", err, out)
	}
	out = n.must("epcis", "import", doc, "--api", base, "--from", "farm1", "-o", "json")
	if err := json.Unmarshal([]byte(out), &imp); err != nil || imp.Recorded != 0 || imp.AlreadyRecorded != 5 {
		t.Fatalf("epcis re-import --api: %v %s", err, out)
	}

	// A duplicate through the API is recognised like one through RPC.
	n.must("tx", "record", "--api", base, "--from", "farm1", "--subject", lot, "--type", "harvest", "--payload", payload,
		"--time", "2026-01-02T03:04:05Z", "-o", "json")
	out = n.must("tx", "record", "--api", base, "--from", "farm1", "--subject", lot, "--type", "harvest", "--payload", payload,
		"--time", "2026-01-02T03:04:05Z", "-o", "json")
	if !strings.Contains(out, `"already_recorded": true`) {
		t.Fatalf("duplicate through the API: %s", out)
	}

	// Refusals: the same error and exit code through either transport.
	future := time.Now().Add(3 * time.Hour).UTC().Format(time.RFC3339)
	for _, tc := range []struct {
		name string
		args []string
		code tlv1.Code
	}{
		{"refused in the block", []string{"tx", "record", "--from", "farm1", "--subject", lot, "--type", "harvest", "--payload", payload, "--time", future},
			tlv1.CodeEventInFuture},
		{"refused by the mempool", []string{"tx", "record", "--from", "agri-admin", "--subject", lot, "--type", "harvest", "--payload", payload},
			tlv1.CodeUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errRPC := n.cli(tc.args...)
			waitBlock(t, ctx, n)
			_, errAPI := n.cli(append(tc.args, "--api", base)...)
			waitBlock(t, ctx, n)
			var teRPC, teAPI *client.TxError
			if !errors.As(errRPC, &teRPC) || !errors.As(errAPI, &teAPI) {
				t.Fatalf("not both refusals: RPC %v; API %v", errRPC, errAPI)
			}
			if tlv1.Code(teRPC.Code) != tc.code {
				t.Fatalf("RPC refusal code %d, want %d: %v", teRPC.Code, tc.code, errRPC)
			}
			if errRPC.Error() != errAPI.Error() || exitCodeOf(errRPC) != exitCodeOf(errAPI) || exitCodeOf(errAPI) != exitUsage {
				t.Fatalf("refusals differ:\n RPC (exit %d) %v\n API (exit %d) %v", exitCodeOf(errRPC), errRPC, exitCodeOf(errAPI), errAPI)
			}
			if !reflect.DeepEqual(teRPC, teAPI) {
				t.Fatalf("refusals differ: RPC %+v %+v, API %+v %+v", teRPC, teRPC.Rejection, teAPI, teAPI.Rejection)
			}
		})
	}

	// An API server that cannot be reached is exit 3, like a node; a bad
	// --api is a usage error.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	args := []string{"tx", "record", "--from", "farm1", "--subject", lot, "--type", "harvest", "--payload", payload}
	if _, err := n.cli(append(args, "--api", dead)...); exitCodeOf(err) != exitUnreachable {
		t.Fatalf("unreachable API: exit %d: %v", exitCodeOf(err), err)
	}
	if _, err := n.cli(append(args, "--api", "ftp://x")...); exitCodeOf(err) != exitUsage || !strings.Contains(err.Error(), "--api") {
		t.Fatalf("bad --api: exit %d: %v", exitCodeOf(err), err)
	}
}

// waitBlock waits until the node's application committed the block after
// its latest (a transaction refused in a block is in the node's tx index
// before the application's Commit, when the mempool may still count its
// sequence as pending).
func waitBlock(t *testing.T, ctx context.Context, n testNode) {
	t.Helper()
	c, err := client.New(n.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.RPC().ABCIInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitForHeight(ctx, info.Response.LastBlockHeight+1); err != nil {
		t.Fatal(err)
	}
}
