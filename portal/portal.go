// SPDX-License-Identifier: Apache-2.0

// Package portal is the public query portal: a search page and a product
// page (history timeline, trace-back graph, certifications, credit status,
// recall banner) served by the API server from assets embedded in the
// binary, nothing loaded from elsewhere. The page does not ask to be
// trusted: it carries the genesis document the server was started with,
// and its WebAssembly verifier (portal/wasm, built from package
// portal/verify) checks every answer it draws against that genesis in the
// browser. The page shows the chain id and genesis hash so that a person
// can compare them with the ones the departments publish, and pin them.
// docs/PORTAL.md describes it.
package portal

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/cometbft/cometbft/types"

	"github.com/traceledger/traceledger/genesis"
)

//go:embed assets
var assets embed.FS

//go:embed index.html
var indexHTML string

// Asset names.
const (
	// WasmGz is the committed, gzip-compressed verifier (make wasm).
	WasmGz = "assets/verifier.wasm.gz"
	// WasmExec is the Go WebAssembly support script of the toolchain that
	// built the verifier (make wasm copies it).
	WasmExec = "assets/wasm_exec.js"
)

// ProductPath is the path of a product page, {id} the percent-encoded
// canonical identifier: the GS1 resolver's default link when the portal
// is on (api.Options.ProductPage).
const ProductPath = "/portal/p/{id}"

// Patterns are the routes the portal takes on a server (api.Server.Handle):
// the search page at the root, the product pages and the genesis under
// /portal/, the assets under /assets/. None shadows an API route (/v1/,
// /healthz, /readyz, /.well-known/, the resolver's /{AI}/...).
var Patterns = []string{"GET /{$}", "GET /portal/", "GET /assets/"}

// Options configure the portal.
type Options struct {
	// Genesis is the trust root the page carries: the genesis document of
	// the network the API server verifies against.
	Genesis *types.GenesisDoc
}

// Mux is what the portal mounts on (api.Server and http.ServeMux have it).
type Mux interface {
	Handle(pattern string, h http.Handler)
}

// Mount registers the portal's Handler on m for every pattern of Patterns.
func Mount(m Mux, opts Options) error {
	h, err := Handler(opts)
	if err != nil {
		return err
	}
	for _, p := range Patterns {
		m.Handle(p, h)
	}
	return nil
}

// trustRoot is what the page carries about its genesis. ChainID and
// GenesisHash are for display before the verifier has started; the
// verifier derives both from Genesis itself.
type trustRoot struct {
	ChainID     string `json:"chain_id"`
	GenesisHash string `json:"genesis_hash"`
	// Genesis is the compact genesis document (base64): its SHA-256 is
	// the genesis hash `traceledger genesis hash` prints.
	Genesis []byte `json:"genesis"`
}

type handler struct {
	page     []byte // the rendered index.html
	genesis  []byte // compact genesis JSON
	wasmGz   []byte
	wasmRaw  []byte // decompressed once, for clients without gzip
	static   fs.FS
	etagWasm string
}

// Handler serves the portal: / (search), /portal/p/{id} (product page),
// /portal/genesis.json (the genesis the page carries) and /assets/...
func Handler(opts Options) (http.Handler, error) {
	if opts.Genesis == nil {
		return nil, fmt.Errorf("portal: no genesis document: the page must carry the trust root")
	}
	doc, err := CompactGenesis(opts.Genesis)
	if err != nil {
		return nil, err
	}
	hash, err := genesis.Hash(opts.Genesis)
	if err != nil {
		return nil, fmt.Errorf("portal: %w", err)
	}
	tmpl, err := template.New("index").Parse(indexHTML)
	if err != nil {
		return nil, fmt.Errorf("portal: index.html: %w", err)
	}
	var page bytes.Buffer
	if err := tmpl.Execute(&page, map[string]any{"Trust": trustRoot{ChainID: opts.Genesis.ChainID, GenesisHash: hash, Genesis: doc}, "ChainID": opts.Genesis.ChainID, "GenesisHash": hash}); err != nil {
		return nil, fmt.Errorf("portal: render index.html: %w", err)
	}
	gz, err := assets.ReadFile(WasmGz)
	if err != nil {
		return nil, fmt.Errorf("portal: the verifier is not built (make wasm): %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("portal: %s: %w", WasmGz, err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("portal: %s: %w", WasmGz, err)
	}
	static, _ := fs.Sub(assets, "assets")
	return &handler{page: page.Bytes(), genesis: doc, wasmGz: gz, wasmRaw: raw, static: static, etagWasm: fmt.Sprintf(`"%x"`, len(gz))}, nil
}

// CompactGenesis is the genesis document as the page carries it: the
// document in CometBFT's JSON without insignificant whitespace, whose
// SHA-256 is genesis.Hash.
func CompactGenesis(doc *types.GenesisDoc) ([]byte, error) {
	b, err := genesis.Encode(doc)
	if err != nil {
		return nil, fmt.Errorf("portal: %w", err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return nil, fmt.Errorf("portal: compact the genesis: %w", err)
	}
	return buf.Bytes(), nil
}

// csp lets the page load only its own scripts, styles and verifier, and
// talk only to its own server.
const csp = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

func (p *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	securityHeaders(h)
	switch {
	case r.URL.Path == "/" || strings.HasPrefix(r.URL.Path, "/portal/p/") || r.URL.Path == "/portal/":
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-cache")
		w.Write(p.page)
	case r.URL.Path == "/portal/genesis.json":
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "no-cache")
		h.Set("Content-Disposition", `attachment; filename="genesis.json"`)
		w.Write(p.genesis)
	case r.URL.Path == "/assets/verifier.wasm":
		h.Set("Content-Type", "application/wasm")
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", p.etagWasm)
		h.Set("Vary", "Accept-Encoding")
		if r.Header.Get("If-None-Match") == p.etagWasm {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		if acceptsGzip(r) {
			h.Set("Content-Encoding", "gzip")
			h.Set("Content-Length", fmt.Sprint(len(p.wasmGz)))
			w.Write(p.wasmGz)
			return
		}
		h.Set("Content-Length", fmt.Sprint(len(p.wasmRaw)))
		w.Write(p.wasmRaw)
	case strings.HasPrefix(r.URL.Path, "/assets/"):
		name := strings.TrimPrefix(r.URL.Path, "/assets/")
		if name == "" || strings.Contains(name, "/") || strings.HasSuffix(name, ".gz") {
			http.NotFound(w, r)
			return
		}
		b, err := fs.ReadFile(p.static, name)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		switch path.Ext(name) {
		case ".js":
			h.Set("Content-Type", "text/javascript; charset=utf-8")
		case ".css":
			h.Set("Content-Type", "text/css; charset=utf-8")
		case ".svg":
			h.Set("Content-Type", "image/svg+xml")
		}
		h.Set("Cache-Control", "no-cache")
		w.Write(b)
	default:
		http.NotFound(w, r)
	}
}

// acceptsGzip reports whether the request accepts gzip content coding.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.TrimSpace(q) != "q=0" {
			return true
		}
	}
	return false
}
