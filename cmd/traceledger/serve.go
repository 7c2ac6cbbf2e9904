// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"time"

	"github.com/cometbft/cometbft/types"
	"github.com/spf13/cobra"

	"github.com/traceledger/traceledger/api"
	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/genesis"
	"github.com/traceledger/traceledger/portal"
)

// serveFlags configure the HTTP API server.
type serveFlags struct {
	home, genesis, addr  string
	metricsAddr          string
	pprofAddr            string
	productPage, baseURL string
	blobStore            string
	nodes                []string
	tlsCert, tlsKey      string
	publicHTTP           bool
	portal               bool
	timeout              time.Duration
	maxBody              int64
	maxAge               time.Duration
	// rate limits per client (0: off), trusted proxies, access log
	readRate, submitRate   float64
	readBurst, submitBurst int
	trustedProxies         []string
	accessLog              string
	gateway                gatewayFlags
}

func newServeCmd() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the HTTP API in front of nodes, verifying every answer before serving it",
		Long: `serve runs TraceLedger's HTTP API (docs/API.md) in the foreground until
interrupted. It reads from the first --node and verifies every answer against
headers CometBFT's light client checks from the genesis file (the further
--node addresses are its witnesses): an answer that fails is never served
(502, counted and logged). Every read answer carries its evidence: the node's
answers with their proofs and the light blocks they end in.

Before it listens, serve reads a verified status from the node, so a wrong
address or a node of another chain stops it at once. Plain HTTP is served only
on a loopback address unless --public-http; give --tls-cert and --tls-key to
serve HTTPS.

Each client may make --rate-limit public reads a second (bursts of
--rate-burst) and --submit-rate-limit submissions (429 with Retry-After
beyond them; 0 turns a limit off). The client is the peer's address, or,
from a --trusted-proxy, the address its Forwarded or X-Forwarded-For header
names. --access-log writes one JSON line per request.

The public query portal (docs/PORTAL.md) is served at / with it unless
--portal=false: a search page, product pages at /portal/p/{id} (where the
GS1 resolver sends browsers, unless --product-page says otherwise) and a
verifier that checks every answer in the browser against the genesis file
the page carries.`,
		Example: `  traceledger serve --node http://127.0.0.1:26657 --genesis genesis.json --addr 127.0.0.1:8080
  traceledger serve --home ./observer --node http://10.0.0.5:26657 --node http://10.0.0.6:26657 \
      --addr 0.0.0.0:8443 --tls-cert api.crt --tls-key api.key`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runServe(cmd, f) },
	}
	addHomeFlag(cmd, &f.home)
	cmd.Flags().StringArrayVar(&f.nodes, "node", nil, "CometBFT RPC address of a node, http://HOST:PORT; repeat it: the first is read from, the others are light-client witnesses (default: the rpc.laddr of --home's config/config.toml when it has one, else "+defaultNodeURL+")")
	cmd.Flags().StringVar(&f.genesis, "genesis", "", "genesis file, the trust root for verification (default <home>/config/genesis.json)")
	cmd.Flags().StringVar(&f.addr, "addr", "127.0.0.1:8080", "address to listen on, HOST:PORT")
	cmd.Flags().StringVar(&f.tlsCert, "tls-cert", "", "serve HTTPS with this certificate file (PEM; with --tls-key)")
	cmd.Flags().StringVar(&f.tlsKey, "tls-key", "", "the private key file of --tls-cert (PEM)")
	cmd.Flags().BoolVar(&f.publicHTTP, "public-http", false, "allow plain HTTP on a non-loopback address (behind a TLS-terminating proxy)")
	cmd.Flags().StringVar(&f.metricsAddr, "metrics-addr", "", "also serve Prometheus metrics at http://HOST:PORT/metrics (an operator's address; off by default)")
	cmd.Flags().StringVar(&f.pprofAddr, "pprof-addr", "", "also serve Go's pprof profiles at http://HOST:PORT/debug/pprof/ (for profiling, e.g. by 'traceledger bench --modes api'; off by default)")
	cmd.Flags().StringVar(&f.productPage, "product-page", "", "URL of the portal's product page the GS1 resolver sends browsers to, {id} for the canonical key (default: this server's portal, "+portal.ProductPath+"; the verified history with --portal=false)")
	cmd.Flags().BoolVar(&f.portal, "portal", true, "serve the public query portal at / (docs/PORTAL.md)")
	cmd.Flags().StringVar(&f.blobStore, "blob-store", "", "serve the ciphertexts of this content-addressed disclosure store at GET /v1/blobs/{sha256} (docs/DISCLOSURE.md)")
	cmd.Flags().StringVar(&f.baseURL, "base-url", "", "public URL of the API (scheme://host) for the resolver's links (default: the request's host)")
	cmd.Flags().DurationVar(&f.timeout, "timeout", api.DefaultTimeout, "time limit of one request")
	cmd.Flags().Int64Var(&f.maxBody, "max-body", api.DefaultMaxBodyBytes, "size limit of a request body, bytes")
	addMaxAgeFlag(cmd, &f.maxAge)
	cmd.Flags().Float64Var(&f.readRate, "rate-limit", api.DefaultReadRate, "public reads a second per client (token bucket; 429 beyond it); 0 turns the limit off")
	cmd.Flags().IntVar(&f.readBurst, "rate-burst", api.DefaultReadBurst, "public reads a client may make at once")
	cmd.Flags().Float64Var(&f.submitRate, "submit-rate-limit", api.DefaultSubmitRate, "submissions (POST) a second per client; 0 turns the limit off")
	cmd.Flags().IntVar(&f.submitBurst, "submit-rate-burst", api.DefaultSubmitBurst, "submissions a client may make at once")
	cmd.Flags().StringArrayVar(&f.trustedProxies, "trusted-proxy", nil, "address or network (CIDR) of a reverse proxy whose Forwarded/X-Forwarded-For header names the client; repeat it (default: none, the peer is the client)")
	cmd.Flags().StringVar(&f.accessLog, "access-log", "", "write one JSON line per request to FILE (appended), or - for standard output (default: off)")
	f.gateway.add(cmd)
	return cmd
}

// opsOptions turns the rate-limit, proxy and access-log flags into
// options; closeLog closes the access log's file.
func (f serveFlags) opsOptions(cmd *cobra.Command) (o api.Options, closeLog func() error, err error) {
	closeLog = func() error { return nil }
	usage := func(format string, args ...any) error {
		return &usageError{cmd: cmd.CommandPath(), err: fmt.Errorf(format, args...)}
	}
	rate := func(flag string, v float64) (float64, error) {
		switch {
		case v < 0 || math.IsNaN(v) || math.IsInf(v, 0):
			return 0, usage("--%s %v: give requests a second, or 0 for no limit", flag, v)
		case v == 0:
			return -1, nil // api.Options: negative is off
		}
		return v, nil
	}
	if o.ReadRate, err = rate("rate-limit", f.readRate); err != nil {
		return o, closeLog, err
	}
	if o.SubmitRate, err = rate("submit-rate-limit", f.submitRate); err != nil {
		return o, closeLog, err
	}
	if f.readBurst < 1 || f.submitBurst < 1 {
		return o, closeLog, usage("--rate-burst and --submit-rate-burst must be at least 1")
	}
	o.ReadBurst, o.SubmitBurst = f.readBurst, f.submitBurst
	for _, tp := range f.trustedProxies {
		p, err := api.ParseTrustedProxy(tp)
		if err != nil {
			return o, closeLog, usage("--trusted-proxy: %w", err)
		}
		o.TrustedProxies = append(o.TrustedProxies, p)
	}
	switch f.accessLog {
	case "":
	case "-":
		o.AccessLog = slog.New(slog.NewJSONHandler(cmd.OutOrStdout(), nil))
	default:
		fh, err := os.OpenFile(f.accessLog, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
		if err != nil {
			return o, closeLog, fmt.Errorf("--access-log: %w", err)
		}
		o.AccessLog = slog.New(slog.NewJSONHandler(fh, nil))
		closeLog = fh.Close
	}
	return o, closeLog, nil
}

// runServe checks the node, listens and serves until the command's
// context ends.
func runServe(cmd *cobra.Command, f serveFlags) error {
	opts, closeLog, err := f.opsOptions(cmd)
	if err != nil {
		return err
	}
	defer closeLog()
	c, doc, err := f.client()
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	st, p, err := c.Status(sctx)
	cancel()
	if err != nil {
		return fmt.Errorf("check the node before serving: %w", err)
	}
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return &usageError{cmd: cmd.CommandPath(), err: fmt.Errorf("--tls-cert and --tls-key go together")}
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listen on --addr %s: %w", f.addr, err)
	}
	scheme := "http"
	if f.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey)
		if err != nil {
			ln.Close()
			return fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		scheme = "https"
	} else if !f.publicHTTP && !loopback(ln.Addr()) {
		ln.Close()
		return &usageError{cmd: cmd.CommandPath(), err: fmt.Errorf("--addr %s is not a loopback address: serve HTTPS (--tls-cert, --tls-key) or pass --public-http behind a TLS proxy", f.addr)}
	}
	logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
	opts.Timeout, opts.MaxBodyBytes, opts.Logger = f.timeout, f.maxBody, logger
	opts.ProductPage, opts.BaseURL = f.productPage, f.baseURL
	opts.BlobDir = f.blobStore
	srv, err := f.newServer(c, doc, opts)
	if err != nil {
		ln.Close()
		return err
	}
	stopGateway, err := f.gateway.start(cmd, c, srv, logger, f.timeout)
	if err != nil {
		ln.Close()
		return err
	}
	defer stopGateway()
	fmt.Fprintf(cmd.ErrOrStderr(), "API of chain %s (verified state height %d, header %d) on %s://%s; Ctrl-C to stop\n",
		st.ChainID, p.Height, p.Header.Height, scheme, ln.Addr())
	if f.metricsAddr != "" {
		stopMetrics, err := serveMetrics(srv, f.metricsAddr)
		if err != nil {
			ln.Close()
			return err
		}
		defer stopMetrics()
		fmt.Fprintf(cmd.ErrOrStderr(), "metrics on http://%s/metrics\n", f.metricsAddr)
	}
	if f.pprofAddr != "" {
		stopPprof, err := servePprof(f.pprofAddr)
		if err != nil {
			ln.Close()
			return err
		}
		defer stopPprof()
		fmt.Fprintf(cmd.ErrOrStderr(), "pprof on http://%s/debug/pprof/\n", f.pprofAddr)
	}
	err = srv.Serve(ctx, ln)
	fmt.Fprintf(cmd.ErrOrStderr(), "stopped; %d answers refused for failed verification, %d witness conflicts\n", srv.VerificationFailures(), srv.WitnessConflicts())
	return err
}

// newServer builds the API server with opts, with the portal mounted
// unless --portal=false.
func (f serveFlags) newServer(c *client.Client, doc *types.GenesisDoc, opts api.Options) (*api.Server, error) {
	if f.portal && opts.ProductPage == "" {
		opts.ProductPage = portal.ProductPath
	}
	srv := api.New(c, opts)
	if f.portal {
		if err := portal.Mount(srv, portal.Options{Genesis: doc}); err != nil {
			return nil, err
		}
	}
	return srv, nil
}

// client builds the verifying client from the flags; doc is the genesis
// document it trusts.
func (f serveFlags) client() (c *client.Client, doc *types.GenesisDoc, err error) {
	var urls []string
	for _, n := range f.nodes {
		u, err := normalizeNodeURL("--node", n)
		if err != nil {
			return nil, nil, err
		}
		urls = append(urls, u)
	}
	if len(urls) == 0 {
		u, ok := rpcFromHome(f.home)
		if !ok {
			u = defaultNodeURL
		}
		urls = []string{u}
	}
	path := f.genesis
	if path == "" {
		path = filepath.Join(f.home, "config", "genesis.json")
	}
	doc, _, err = genesis.Load(path)
	if err != nil {
		return nil, nil, fmt.Errorf("load genesis (the trust root): %w; pass --genesis FILE, or --home of a node home of the network", err)
	}
	c, err = newClient(urls[0], doc, f.maxAge, urls[1:]...)
	return c, doc, err
}

// loopback reports whether addr is a loopback address.
func loopback(addr net.Addr) bool {
	ta, ok := addr.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// startNodeAPI serves the HTTP API and the portal for the node of home (in
// this process, read through its RPC like any client) on addr, in the
// background. It returns once it listens; stop shuts it down gracefully.
func startNodeAPI(cmd *cobra.Command, home, addr string) (stop func() error, err error) {
	f := serveFlags{home: home, addr: addr, timeout: api.DefaultTimeout, maxBody: api.DefaultMaxBodyBytes, maxAge: client.DefaultMaxAnswerAge, portal: true}
	c, doc, err := f.client()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on --api-addr %s: %w", addr, err)
	}
	if !loopback(ln.Addr()) {
		ln.Close()
		return nil, &usageError{cmd: cmd.CommandPath(), err: fmt.Errorf("--api-addr %s is not a loopback address: run 'traceledger serve' with --tls-cert/--tls-key for a public API", addr)}
	}
	opts := api.Options{Timeout: f.timeout, MaxBodyBytes: f.maxBody, Logger: slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))}
	srv, err := f.newServer(c, doc, opts)
	if err != nil {
		ln.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	fmt.Fprintf(cmd.ErrOrStderr(), "API and portal on http://%s\n", ln.Addr())
	return func() error {
		cancel()
		return <-done
	}, nil
}

// servePprof serves Go's profiles at /debug/pprof/ on addr in the
// background, on a mux of its own (never on the API's address).
func servePprof(addr string) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on --pprof-addr %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), api.ShutdownGrace)
		defer cancel()
		_ = hs.Shutdown(ctx)
	}, nil
}

// serveMetrics serves srv's metrics at /metrics on addr in the background.
func serveMetrics(srv *api.Server, addr string) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on --metrics-addr %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", srv.MetricsHandler())
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), api.ShutdownGrace)
		defer cancel()
		_ = hs.Shutdown(ctx)
	}, nil
}
