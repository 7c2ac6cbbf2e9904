// SPDX-License-Identifier: Apache-2.0

package portal_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/types"

	"github.com/traceledger/traceledger/api"
	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/genesis"
	"github.com/traceledger/traceledger/portal"
	"github.com/traceledger/traceledger/proof/lightblock"
)

func testGenesis(t *testing.T) *types.GenesisDoc {
	t.Helper()
	doc := &types.GenesisDoc{ChainID: "portal-test", GenesisTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Validators: []types.GenesisValidator{{PubKey: ed25519.GenPrivKeyFromSecret([]byte("v1")).PubKey(), Power: 10, Name: "agri"}}}
	if err := doc.ValidateAndComplete(); err != nil {
		t.Fatal(err)
	}
	return doc
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func get(t *testing.T, url string, hdr map[string]string) reply {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	tr := &http.Transport{DisableCompression: true}
	res, err := (&http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{res.StatusCode, res.Header, b}
}

// TestHandler: the pages carry the genesis (its hash is genesis.Hash, and
// the verifier reads the same trust root from it), the verifier is served
// compressed or raw, and the policy keeps everything on this server.
func TestHandler(t *testing.T) {
	doc := testGenesis(t)
	mux := http.NewServeMux()
	if err := portal.Mount(mux, portal.Options{Genesis: doc}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(mux)
	defer ts.Close()
	want, _ := genesis.Hash(doc)
	for _, path := range []string{"/", "/portal/p/https%3A%2F%2Fid.gs1.org%2F01%2F06901234500012%2F10%2FLOT1"} {
		r := get(t, ts.URL+path, nil)
		if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Fatalf("%s: %d %s", path, r.status, r.header.Get("Content-Type"))
		}
		if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "connect-src 'self'") {
			t.Errorf("%s: Content-Security-Policy %q", path, csp)
		}
		m := regexp.MustCompile(`(?s)<script type="application/json" id="tl-trust">(.*?)</script>`).FindSubmatch(r.body)
		if m == nil {
			t.Fatalf("%s: no trust root in the page", path)
		}
		var tr struct {
			ChainID     string `json:"chain_id"`
			GenesisHash string `json:"genesis_hash"`
			Genesis     []byte `json:"genesis"`
		}
		if err := json.Unmarshal(m[1], &tr); err != nil {
			t.Fatalf("%s: trust root %s: %v", path, m[1], err)
		}
		sum := sha256.Sum256(tr.Genesis)
		if tr.ChainID != doc.ChainID || tr.GenesisHash != want || hex.EncodeToString(sum[:]) != want {
			t.Errorf("%s: trust root %s / %s, sha256 of the genesis %x; want %s", path, tr.ChainID, tr.GenesisHash, sum, want)
		}
		root, err := lightblock.GenesisTrustRoot(tr.Genesis)
		if err != nil || root.GenesisHash != want || root.ChainID != doc.ChainID || len(root.Validators.Validators) != 1 {
			t.Errorf("%s: the verifier reads the trust root %+v, %v", path, root, err)
		}
		if !bytes.Contains(r.body, []byte(want)) {
			t.Errorf("%s: the genesis hash is not shown", path)
		}
	}
	gz, err := os.ReadFile(filepath.FromSlash(portal.WasmGz))
	if err != nil {
		t.Fatal(err)
	}
	r := get(t, ts.URL+"/assets/verifier.wasm", map[string]string{"Accept-Encoding": "gzip, br"})
	if r.status != http.StatusOK || r.header.Get("Content-Encoding") != "gzip" || r.header.Get("Content-Type") != "application/wasm" || !bytes.Equal(r.body, gz) {
		t.Errorf("gzip verifier: %d %v, %d bytes", r.status, r.header, len(r.body))
	}
	raw := get(t, ts.URL+"/assets/verifier.wasm", nil)
	if raw.status != http.StatusOK || raw.header.Get("Content-Encoding") != "" || !bytes.HasPrefix(raw.body, []byte("\x00asm")) {
		t.Errorf("raw verifier: %d %v, %d bytes", raw.status, raw.header, len(raw.body))
	}
	t.Logf("verifier: %d bytes raw, %d gzipped", len(raw.body), len(gz))
	for path, want := range map[string]int{"/assets/portal.js": 200, "/assets/portal.css": 200, "/assets/wasm_exec.js": 200,
		"/assets/verifier.wasm.gz": 404, "/assets/sub/portal.js": 404, "/assets/": 404, "/portal/genesis.json": 200, "/portal/nothing": 404} {
		if r := get(t, ts.URL+path, nil); r.status != want {
			t.Errorf("%s: %d, want %d", path, r.status, want)
		}
	}
	if g := get(t, ts.URL+"/portal/genesis.json", nil); !strings.Contains(string(g.body), doc.ChainID) {
		t.Errorf("genesis.json: %s", g.body)
	}
}

// TestMountBesideTheAPI: the portal's patterns take their place beside the
// API's routes without taking any of them: the API, its health routes, the
// resolver and its well-known document answer as before.
func TestMountBesideTheAPI(t *testing.T) {
	doc := testGenesis(t)
	c, err := client.New("http://127.0.0.1:1", doc)
	if err != nil {
		t.Fatal(err)
	}
	srv := api.New(c, api.Options{ProductPage: portal.ProductPath, Timeout: 2 * time.Second})
	if err := portal.Mount(srv, portal.Options{Genesis: doc}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	for path, want := range map[string]string{
		"/":                        "text/html",
		"/portal/p/x":              "text/html",
		"/assets/portal.css":       "text/css",
		"/healthz":                 "application/json",
		"/.well-known/gs1resolver": "application/json",
		"/v1/status":               api.ProblemContentType, // no node: a problem, from the API
		"/01/06901234500012":       api.ProblemContentType, // the resolver, not the portal
		"/nothing/here":            api.ProblemContentType,
	} {
		r := get(t, ts.URL+path, map[string]string{"Accept": "text/html"})
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, want) {
			t.Errorf("%s: %d %s, want %s", path, r.status, ct, want)
		}
	}
}

// TestWasmUpToDate: the committed verifier is what `make wasm` builds from
// the sources now, and wasm_exec.js is the toolchain's, so the page never
// runs a stale verifier. It skips when this Go is not the one that built
// the committed file (another compiler makes other bytes).
func TestWasmUpToDate(t *testing.T) {
	built, err := os.ReadFile(filepath.Join("assets", "verifier.goversion"))
	if err != nil {
		t.Fatal(err)
	}
	if v := strings.TrimSpace(string(built)); v != runtime.Version() {
		t.Skipf("the committed verifier was built by %s, this is %s: run make wasm with %s to check it", v, runtime.Version(), v)
	}
	bin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	out := filepath.Join(t.TempDir(), "verifier.wasm")
	cmd := exec.Command(bin, "build", "-trimpath", "-ldflags=-s -w", "-o", out, "./wasm")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the verifier: %v\n%s", err, msg)
	}
	fresh, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	gz, err := os.ReadFile(filepath.FromSlash(portal.WasmGz))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	committed, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fresh, committed) {
		t.Fatalf("portal/%s (%d bytes) is not what the sources build (%d bytes): run make wasm and commit it", portal.WasmGz, len(committed), len(fresh))
	}
	goroot, err := exec.Command(bin, "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		t.Fatal(err)
	}
	have, _ := os.ReadFile(filepath.FromSlash(portal.WasmExec))
	if !bytes.Equal(want, have) {
		t.Fatalf("portal/%s is not this toolchain's wasm_exec.js: run make wasm", portal.WasmExec)
	}
	t.Logf("verifier: %d bytes raw, %d gzipped", len(committed), len(gz))
}
