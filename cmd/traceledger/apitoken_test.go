// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeGateway: 'api token add|list|revoke' administer a gateway home
// (the node's own home here, with farm1's key), and 'serve --gateway-home'
// mounts the EPCIS interface: a capture with the new token is recorded
// and queryable; after 'api token revoke' the token is refused.
func TestServeGateway(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const pass = "correct horse battery staple"
	t.Setenv("TRACELEDGER_PASSPHRASE", pass)
	n := startTestNode(t, ctx, "gateway-test")
	tokens := func(args ...string) (string, error) {
		return run(t, ctx, append(append([]string{"api", "token"}, args...), "--home", n.home)...)
	}
	must := func(args ...string) string {
		out, err := tokens(args...)
		if err != nil {
			t.Fatalf("api token %v: %v", args, err)
		}
		return out
	}

	out := must("add", "farm-erp", "--participant", "farm1", "-o", "json")
	var tok struct {
		Name, Participant, Key, Token, SHA256 string
	}
	if err := json.Unmarshal([]byte(out), &tok); err != nil || !strings.HasPrefix(tok.Token, "tlgw_") || tok.Key != "farm1" || tok.SHA256 == "" {
		t.Fatalf("token add: %v %s", err, out)
	}
	if _, err := tokens("add", "farm-erp", "--participant", "farm1"); exitCodeOf(err) != exitUsage {
		t.Fatalf("a second token of the same name: %v", err)
	}
	if _, err := tokens("add", "other", "--participant", "farm1", "--key", "nosuchkey"); exitCodeOf(err) != exitUsage {
		t.Fatalf("a token with an unknown key: %v", err)
	}
	out = must("list", "-o", "json")
	if strings.Contains(out, tok.Token) || !strings.Contains(out, `"farm-erp"`) {
		t.Fatalf("token list: %s", out)
	}

	passFile := filepath.Join(t.TempDir(), "pass")
	os.WriteFile(passFile, []byte(pass+"\n"), 0o600)
	addr := freePort(t)
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := run(t, sctx, "serve", "--node", n.url, "--genesis", n.genesis, "--addr", addr, "--gateway-home", n.home, "--gateway-passphrase-file", passFile)
		done <- err
	}()
	base := "http://" + addr
	do := func(method, path string, body []byte, token string) (int, http.Header, []byte) {
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/ld+json")
		req.Header.Set("TraceLedger-Capture-Mode", "public")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, nil, []byte(err.Error())
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header, b
	}
	n.eventually("serve answers", func() bool {
		st, _, _ := do(http.MethodOptions, "/epcis/capture", nil, "")
		return st == http.StatusNoContent
	})
	epc := "urn:epc:id:sgtin:6901234.500012.GW1"
	doc := fmt.Appendf(nil, `{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"EPCISDocument","schemaVersion":"2.0",
"creationDate":"2026-01-01T00:00:00Z","epcisBody":{"eventList":[{"type":"ObjectEvent","eventTime":%q,"eventTimeZoneOffset":"+08:00",
"epcList":[%q],"action":"OBSERVE","bizStep":"shipping"}]}}`, time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), epc)
	st, hdr, body := do(http.MethodPost, "/epcis/capture", doc, tok.Token)
	if st != http.StatusAccepted {
		t.Fatalf("capture: %d %s", st, body)
	}
	loc := hdr.Get("Location")
	var job struct {
		Running, Success bool
		Recorded         []struct{ LogIndex uint64 }
	}
	n.eventually("the capture job finishes", func() bool {
		_, _, b := do(http.MethodGet, loc, nil, tok.Token)
		return json.Unmarshal(b, &job) == nil && !job.Running
	})
	if !job.Success || len(job.Recorded) != 1 {
		t.Fatalf("job: %+v", job)
	}
	st, _, body = do(http.MethodGet, "/epcis/events?MATCH_epc="+epc, nil, "")
	if st != http.StatusOK || !strings.Contains(string(body), `"eventList":[{`) || !strings.Contains(string(body), "tl:ledger") {
		t.Fatalf("query: %d %s", st, body)
	}

	must("revoke", "farm-erp")
	if st, _, body := do(http.MethodGet, loc, nil, tok.Token); st != http.StatusUnauthorized {
		t.Fatalf("revoked token: %d %s", st, body)
	}
	if _, err := tokens("revoke", "farm-erp"); exitCodeOf(err) != exitUsage {
		t.Fatalf("revoke twice: %v", err)
	}
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve stopped with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}
