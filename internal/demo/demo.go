// SPDX-License-Identifier: Apache-2.0

// Package demo runs TraceLedger's first-contact demonstration: a
// one-department network started in-process in a temporary home, a
// vegetable lot recorded from field to shelf by a farm, a wholesale market
// and a retailer, and the lot's history read back and verified against the
// signed header. It is what `traceledger demo` runs; with Options.Serve
// the network stays up behind the HTTP API until interrupted.
package demo

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/libs/log"

	"github.com/traceledger/traceledger/api"
	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/epcis"
	"github.com/traceledger/traceledger/genesis"
	"github.com/traceledger/traceledger/node"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Lot is the identifier of the demo's vegetable lot (a GS1 LGTIN).
const Lot = "urn:epc:class:lgtin:6901234.500012.LOT20261128A"

// Options configure a demo run.
type Options struct {
	// Out receives the narrative; Keep keeps the temporary home.
	Out  io.Writer
	Keep bool
	// Home, if set, is used instead of a temporary directory.
	Home string
	// Serve, if set, is a loopback address (HOST:PORT) where the demo's
	// HTTP API is served once the lot is recorded, with the network left
	// running, until ctx ends (then both shut down gracefully). A newcomer
	// can then look at the verified answers with a browser or curl.
	Serve string
	// ServeAnyPort serves on a free loopback port when Serve is taken.
	ServeAnyPort bool
}

// Step is one event of the lot's journey.
type step struct {
	actor   string // participant id
	typ     string
	note    string
	payload map[string]any
}

var journey = []step{
	{"farm", "planting", "seedlings planted, plot 7", map[string]any{"plot": "7", "variety": "Shanghai green pak choi", "seed_lot": "SD-2026-0912"}},
	{"farm", "fertilizer_application", "organic fertilizer", map[string]any{"product": "organic fertilizer", "kg": 120, "input_lot": "FZ-2026-3301"}},
	{"farm", "pesticide_application", "registered pesticide, pre-harvest interval 7 d", map[string]any{"label_code": "PD20240017", "dose_ml_per_mu": 30, "phi_days": 7}},
	{"farm", "harvest", "harvested 1,200 kg", map[string]any{"kg": 1200, "crew": 6}},
	{"farm", "inspection", "rapid pesticide-residue test passed", map[string]any{"method": "GB/T 5009.199", "result": "pass"}},
	{"farm", "packing", "packed in 240 cartons with QR labels", map[string]any{"cartons": 240, "label": "QR"}},
	{"farm", "shipping", "origin exit, cold truck", map[string]any{"truck": "cold-chain", "temp_c": 4}},
	{"market", "receiving", "market access check passed", map[string]any{"checked": true, "stall": "B-12"}},
	{"market", "shipping", "sold on to retailer", map[string]any{"cartons": 40}},
	{"retailer", "receiving", "received at store", map[string]any{"cartons": 40, "store": "Guanshanhu 3"}},
	{"retailer", "retail_selling", "on shelf", map[string]any{"shelf": "produce-4"}},
}

// participant is a demo participant with its key.
type participant struct {
	genesis.Participant
	key ed25519.PrivateKey
}

// Run executes the demo and returns an error if any step or verification
// fails.
func Run(ctx context.Context, opts Options) error {
	out := opts.Out
	if out == nil {
		out = os.Stdout
	}
	start := time.Now()
	home := opts.Home
	if home == "" {
		dir, err := os.MkdirTemp("", "traceledger-demo-")
		if err != nil {
			return fmt.Errorf("create temporary home: %w", err)
		}
		home = dir
		if !opts.Keep {
			defer os.RemoveAll(dir)
		}
	}
	var ln net.Listener
	if opts.Serve != "" {
		// Listen first: a bad or taken address fails before the demo runs.
		l, err := listenLoopback(opts.Serve, opts.ServeAnyPort)
		if err != nil {
			return err
		}
		ln = l
		defer ln.Close()
	}
	fmt.Fprintf(out, "TraceLedger demo: one department, three enterprises, one vegetable lot\nhome: %s\n\n", home)

	adminPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	parts := []*participant{
		newParticipant("farm", "Green Valley Cooperative Farm", "91520100MA6DKQ1X3R"),
		newParticipant("market", "Provincial Agricultural Wholesale Market", "91520100MA6DLG8R28"),
		newParticipant("retailer", "Fresh Street Supermarket", "91520100MA6DM0NP40"),
	}
	var gps []genesis.Participant
	for _, p := range parts {
		gps = append(gps, p.Participant)
	}
	rpcAddr, p2pAddr, err := freeAddrs()
	if err != nil {
		return err
	}
	doc, err := node.Init(home, node.InitOptions{
		ChainID:      "traceledger-demo",
		Department:   genesis.Department{ID: "agri", Name: "Department of Agriculture and Rural Affairs", AdminKeys: [][]byte{adminPub}, DivisionCode: "520000"},
		Participants: gps,
		Configure: func(c *cfg.Config) {
			c.RPC.ListenAddress = "tcp://" + rpcAddr
			c.P2P.ListenAddress = "tcp://" + p2pAddr
			c.Consensus.TimeoutCommit = 200 * time.Millisecond
			c.Moniker = "agri"
		},
	})
	if err != nil {
		return fmt.Errorf("initialise home: %w", err)
	}
	fmt.Fprintf(out, "genesis: chain %s, department agri (validator), enterprises farm, market, retailer\n", doc.ChainID)

	conf, err := node.LoadConfig(home)
	if err != nil {
		return err
	}
	logFile, err := os.Create(filepath.Join(home, "node.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	n, err := node.New(ctx, conf, log.NewTMLogger(logFile))
	if err != nil {
		return err
	}
	if err := n.Start(); err != nil {
		n.Stop()
		return err
	}
	defer n.Stop()
	fmt.Fprintf(out, "node: started, RPC on http://%s (log in %s)\n\n", rpcAddr, logFile.Name())

	c, err := client.New("http://"+rpcAddr, doc)
	if err != nil {
		return err
	}
	if err := c.WaitForHeight(ctx, 1); err != nil {
		return err
	}
	byID := map[string]*participant{}
	for _, p := range parts {
		byID[p.ID] = p
	}
	fmt.Fprintf(out, "recording lot %s\n", Lot)
	t0 := time.Now().Add(-72 * time.Hour).Truncate(time.Minute)
	for i, s := range journey {
		payload, _ := json.Marshal(map[string]any{"lot": Lot, "step": s.typ, "detail": s.payload})
		sum := sha256.Sum256(payload)
		msg := &tlv1.Msg{Sum: &tlv1.Msg_RecordEvent{RecordEvent: &tlv1.RecordEvent{
			Subject: Lot, EventType: s.typ, EventTimeMs: t0.Add(time.Duration(i) * 6 * time.Hour).UnixMilli(),
			PayloadSha256: sum[:], Note: s.note,
		}}}
		res, err := c.Submit(ctx, client.Signer{Key: byID[s.actor].key}, msg)
		if err != nil {
			return fmt.Errorf("record %s by %s: %w", s.typ, s.actor, err)
		}
		fmt.Fprintf(out, "  [%2d/%d] %-9s %-24s committed at height %d, log index %v\n", i+1, len(journey), s.actor, s.typ, res.Height, res.Indexes)
	}

	fmt.Fprintf(out, "\nquerying the lot's history and verifying every proof...\n")
	h, proven, err := c.History(ctx, Lot)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	if h.Head == nil || int(h.Head.Count) != len(journey) {
		return fmt.Errorf("history has %v records, want %d", h.Head, len(journey))
	}
	fmt.Fprintf(out, "\ntimeline of %s (state height %d, header %d signed by %d validator(s), app hash %X)\n",
		Lot, proven.Height, proven.Header.Height, len(proven.Header.Commit.Signatures), proven.Header.AppHash)
	for _, r := range h.Records {
		ev := r.Record.GetEvent()
		fmt.Fprintf(out, "  %s  %-9s %-24s %-46s log #%d  VERIFIED\n",
			time.UnixMilli(ev.EventTimeMs).UTC().Format(time.RFC3339), r.Record.Signer, ev.EventType, ev.Note, r.Index)
	}
	fmt.Fprintf(out, "  complete: %d records rehash to the chain hash %X in the authenticated map\n", h.Head.Count, h.Head.ChainHash)

	unknown := "urn:epc:class:lgtin:6901234.500012.NO-SUCH-LOT"
	uh, up, err := c.History(ctx, unknown)
	if err != nil {
		return fmt.Errorf("absence query: %w", err)
	}
	if uh.Head != nil {
		return fmt.Errorf("unknown lot has a history")
	}
	fmt.Fprintf(out, "\n%s: no records, proven absent at height %d (VERIFIED)\n", unknown, up.Height)
	if ln == nil {
		fmt.Fprintf(out, "\ndemo finished in %s; shutting down\n", time.Since(start).Round(100*time.Millisecond))
		return nil
	}
	fmt.Fprintf(out, "\ndemo finished in %s; the network keeps running\n", time.Since(start).Round(100*time.Millisecond))
	return serve(ctx, out, ln, c, logFile, "http://"+rpcAddr, filepath.Join(home, "config", "genesis.json"))
}

// serve answers the demo network's HTTP API on ln until ctx ends.
func serve(ctx context.Context, out io.Writer, ln net.Listener, c *client.Client, logTo io.Writer, rpcURL, genesisPath string) error {
	canonical, err := epcis.CanonicalIdentifier(Lot)
	if err != nil {
		return err
	}
	srv := api.New(c, api.Options{Logger: slog.New(slog.NewTextHandler(logTo, nil))})
	base := "http://" + ln.Addr().String()
	gs1Path := strings.TrimPrefix(canonical, "https://id.gs1.org")
	fmt.Fprintf(out, "\nAPI on %s (every answer verified, with its evidence; docs/API.md). Try:\n", base)
	fmt.Fprintf(out, "  curl %s/v1/status\n", base)
	fmt.Fprintf(out, "  curl %s/v1/history/%s\n", base, url.PathEscape(Lot))
	fmt.Fprintf(out, "  curl -H 'Accept: application/linkset+json' %s%s    # the GS1 resolver\n", base, gs1Path)
	fmt.Fprintf(out, "  traceledger query history --node %s --genesis %s %s\n", rpcURL, genesisPath, Lot)
	fmt.Fprintf(out, "Ctrl-C stops the API and the network.\n")
	if err := srv.Serve(ctx, ln); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nstopped: API and network shut down\n")
	return nil
}

// ErrServeAddr marks an Options.Serve address that cannot be served: not
// loopback, malformed, or taken.
var ErrServeAddr = errors.New("cannot serve the demo's API there")

// CheckServeAddr checks an Options.Serve address without listening ("" is
// fine: no API): HOST:PORT on a loopback address.
func CheckServeAddr(addr string) error {
	if addr == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%w: serve address %q: give HOST:PORT on a loopback address, e.g. 127.0.0.1:8080", ErrServeAddr, addr)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("%w: serve address %q is not a loopback address: the demo serves plain HTTP on this machine only (e.g. 127.0.0.1:8080)", ErrServeAddr, addr)
	}
	return nil
}

// listenLoopback listens on addr, which must be a loopback address (the
// demo serves plain HTTP); with anyPort, a taken addr gives way to a free
// loopback port.
func listenLoopback(addr string, anyPort bool) (net.Listener, error) {
	if err := CheckServeAddr(addr); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil && anyPort {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		return nil, fmt.Errorf("%w: listen on %s: %w (choose another with --serve=HOST:PORT)", ErrServeAddr, addr, err)
	}
	return ln, nil
}

func newParticipant(id, name, creditCode string) *participant {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return &participant{
		Participant: genesis.Participant{ID: id, Name: name, Role: "enterprise", Department: "agri", CreditCode: creditCode, DivisionCode: "520102", Keys: [][]byte{pub}},
		key:         priv,
	}
}

// freeAddrs returns two free loopback addresses for RPC and P2P.
func freeAddrs() (string, string, error) {
	var addrs []string
	var ls []net.Listener
	for i := 0; i < 2; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", "", fmt.Errorf("find a free port: %w", err)
		}
		ls = append(ls, l)
		addrs = append(addrs, l.Addr().String())
	}
	for _, l := range ls {
		l.Close()
	}
	return addrs[0], addrs[1], nil
}
