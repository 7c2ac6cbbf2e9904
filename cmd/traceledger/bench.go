// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	_ "net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/traceledger/traceledger/genesis"
	"github.com/traceledger/traceledger/internal/bench"
)

func newBenchCmd() *cobra.Command {
	var (
		cfg     bench.Config
		modes   string
		rates   []float64
		out     outputFlag
		timeout time.Duration
		pprof   int
		self    string
		apiCfg  bench.APIConfig
		arms    string
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure a 4-validator loopback network against CometBFT's kvstore",
		Long: `bench starts fresh loopback networks (4 validators by default) as child
processes, offers transactions at increasing rates from pre-signed lanes, and
reports what was committed, counted from the committed blocks (a NewBlockEvents
subscription plus each block's transactions), never from what was sent:

  kvstore    CometBFT's own kvstore application (the cometbft binary of the
             same version, installed with 'go install' into OUT/cache) with
             transactions of the single-event size: the baseline
  single     one signed RecordEvent per transaction; history queries with
             proofs run during its half-load step (--query-workers)
  batch100   one RecordEventBatch of 100 hashed EPCIS events per transaction
  batch1000  one RecordEventBatch of 1,000 hashed EPCIS events per transaction
  prefilled  single on a ledger first loaded with --prefill events (through
             the network, in 1,000-event transactions; the load time is
             reported), with history queries at half load
  api        verified history reads through the HTTP API against the same
             reads with abci_query (runs alone; see below)

Both kinds of network get the same node configuration, address plan, commit
timeout and load tool. For every mode it reports committed transactions and
events per second, submit-to-commit latency p50/p95/p99 at each offered rate
and at half of the maximum, CPU and peak resident memory of each node from
/proc, and disk bytes per event of each home and of the app database. It
writes OUT/result.json and OUT/plot.png and prints a one-screen summary.

A full run takes 10 to 20 minutes (more with prefilled). The machine's other
work changes absolute figures; compare the ratios to kvstore of one run.

--modes api starts 4 validators and --pairs observers, loads the ledger with
--prefill events through the application only when --prefill is given, writes
--subjects subjects of 5 records each through the network, starts one
'traceledger serve' child process in front of each observer (the validators
as its light-client witnesses, rate limits off, metrics on), and runs each
read arm (--arms) for --step with --read-workers readers, one request at a
time each:

  rpc         abci_query /history on the observer's CometBFT RPC at the latest
              height; every proof verified, and the roots against header H+1
              with CometBFT's light client: the baseline, the verification
              the API server does
  api         GET /v1/history/{id} from the API server, latest; the JSON
              answer (records, proofs, evidence) decoded
  rpc-pinned  rpc at height H = the observer's latest - 1, whose header H+1
              is already committed (no wait for the next block)
  api-pinned  api with ?height=H, H as in rpc-pinned
  api-follow  api-pinned through a shared revalidating cache that sends the
              ETag it holds for (subject, H) as If-None-Match: the height-keyed
              cache's 304 path and its hit rate

An arm may end in +load (the network commits single events at --load-rate
meanwhile), +2pairs (readers spread over two pairs; needs --pairs 2) and, for
api arms, +before (read from API servers of --before-binary, a build before a
change, in front of the same observers: before and after in one run). Every
arm reports reads/s, latency p50/p95/p99, errors, answers that failed
verification, the share of 304 answers, and the CPU of every process
(validators, observers, API servers, this tool), with api arms as ratios to
their rpc arm of the same run. It writes OUT/api-result.json.`,
		Example: `  traceledger bench --out bench-out
  traceledger bench --modes kvstore,single --step 10s
  traceledger bench --modes single,prefilled --prefill 5000000
  traceledger bench --modes api --prefill 200000 --step 15s`,
		Args: cobra.NoArgs,
		RunE: out.run(func(cmd *cobra.Command, _ []string) error {
			if modes != "" {
				cfg.Modes = strings.Split(modes, ",")
			}
			apiMode := false
			for _, m := range cfg.Modes {
				switch m {
				case bench.ModeKVStore, bench.ModeSingle, bench.ModeBatch100, bench.ModeBatch1000, bench.ModePrefilled:
				case bench.ModeAPI:
					apiMode = true
				default:
					return fmt.Errorf("--modes: unknown mode %q (known: kvstore, single, batch100, batch1000, prefilled, api)", m)
				}
			}
			if apiMode && len(cfg.Modes) > 1 {
				return &usageError{cmd: cmd.CommandPath(), err: fmt.Errorf("--modes api runs alone")}
			}
			if apiMode {
				if arms != "" {
					apiCfg.Arms = strings.Split(arms, ",")
				}
				for _, a := range apiCfg.Arms {
					if _, _, _, err := bench.ParseArm(a); err != nil {
						return &usageError{cmd: cmd.CommandPath(), err: fmt.Errorf("--arms: %w", err)}
					}
				}
				if apiCfg.Pairs < 1 || apiCfg.Pairs > 2 {
					return &usageError{cmd: cmd.CommandPath(), err: fmt.Errorf("--pairs %d: give 1 or 2", apiCfg.Pairs)}
				}
			}
			cfg.Rates = rates
			if self != "" {
				// Profiles of the tool itself (the bulk load runs the
				// application in this process).
				go http.ListenAndServe(self, nil) //nolint:errcheck // best effort, for profiling only
			}
			if pprof > 0 {
				cfg.Cluster.PprofBase = pprof
			}
			if cfg.Binary == "" {
				exe, err := os.Executable()
				if err != nil {
					return fmt.Errorf("find the traceledger binary: %w", err)
				}
				cfg.Binary = exe
			}
			abs, err := filepath.Abs(cfg.Out)
			if err != nil {
				return err
			}
			cfg.Out = abs
			cfg.Log = cmd.ErrOrStderr()
			ctx := cmd.Context()
			if timeout > 0 {
				var cancel func()
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			if apiMode {
				apiCfg.Out, apiCfg.Binary, apiCfg.Log = cfg.Out, cfg.Binary, cfg.Log
				apiCfg.Cluster = bench.ClusterOptions{Validators: cfg.Cluster.Validators, TimeoutCommit: cfg.Cluster.TimeoutCommit,
					LogLevel: cfg.Cluster.LogLevel, P2PRate: cfg.Cluster.P2PRate, TxIndexer: cfg.Cluster.TxIndexer, MaxBlockBytes: cfg.Cluster.MaxBlockBytes}
				apiCfg.Step, apiCfg.Warmup, apiCfg.KeepNetwork, apiCfg.PprofBase = cfg.Step, cfg.Warmup, cfg.KeepNetworks, pprof
				if cmd.Flags().Changed("prefill") {
					apiCfg.PrefillEvents = cfg.PrefillEvents
				}
				res, err := bench.RunAPIReads(ctx, apiCfg)
				if res != nil {
					perr := out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
						bench.WriteAPISummary(w, res)
						fmt.Fprintf(w, "result: %s\n", filepath.Join(cfg.Out, "api-result.json"))
					})
					if err == nil {
						err = perr
					}
				}
				return err
			}
			res, err := bench.Run(ctx, cfg)
			if res != nil {
				perr := out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
					bench.WriteSummary(w, res)
					fmt.Fprintf(w, "result: %s\nplot:   %s\n", filepath.Join(cfg.Out, "result.json"), filepath.Join(cfg.Out, "plot.png"))
				})
				if err == nil {
					err = perr
				}
			}
			return err
		}),
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Out, "out", "bench-out", "output directory (result.json, plot.png, cache/ with cometbft, net-*/ while running; api-result.json for --modes api)")
	f.StringVar(&modes, "modes", strings.Join(bench.DefaultModes, ","), "comma-separated modes: kvstore, single, batch100, batch1000, prefilled; or api alone")
	f.StringVar(&cfg.Binary, "binary", "", "traceledger binary the nodes run (default: this executable)")
	f.StringVar(&cfg.CometBFTVersion, "cometbft-version", "v0.39.4", "CometBFT version of the kvstore baseline (go install github.com/cometbft/cometbft/cmd/cometbft@VERSION)")
	f.IntVar(&cfg.Cluster.Validators, "validators", 4, "validators per network")
	f.DurationVar(&cfg.Cluster.TimeoutCommit, "timeout-commit", 200*time.Millisecond, "CometBFT timeout_commit of every node of both networks")
	f.IntVar(&cfg.Lanes, "lanes", 32, "concurrent submission lanes (one enterprise key each)")
	f.DurationVar(&cfg.Step, "step", 15*time.Second, "how long each offered rate is held")
	f.DurationVar(&cfg.Warmup, "warmup", 3*time.Second, "unmeasured start of each step")
	f.Float64Var(&cfg.StartEvents, "start-rate", 1000, "first offered rate in events/s (x4 for batch modes)")
	f.Float64Var(&cfg.Ramp, "ramp", 1.6, "factor between offered rates")
	f.IntVar(&cfg.MaxSteps, "max-steps", 8, "most offered rates per mode (the ramp stops after two saturated steps)")
	f.Float64SliceVar(&rates, "rates", nil, "explicit offered rates in events/s instead of the ramp")
	f.IntVar(&cfg.QueryWorkers, "query-workers", 4, "history query workers during the half-load step of single and prefilled")
	f.IntVar(&cfg.PrefillEvents, "prefill", 5_000_000, "events loaded before the prefilled mode; with --modes api, loaded only when given")
	f.StringVar(&arms, "arms", "", "--modes api: comma-separated read arms (default "+strings.Join(bench.DefaultArms, ",")+", and rpc-pinned+2pairs,api-pinned+2pairs with --pairs 2)")
	f.IntVar(&apiCfg.Pairs, "pairs", 1, "--modes api: observer + API server pairs, 1 or 2")
	f.IntVar(&apiCfg.Workers, "read-workers", 32, "--modes api: concurrent readers, one request at a time each")
	f.IntVar(&apiCfg.Subjects, "subjects", 2000, "--modes api: subjects of 5 records written through the network and read")
	f.StringVar(&apiCfg.BeforeBinary, "before-binary", "", "--modes api: a traceledger build before a change of the API server; a second API server from it runs in front of each observer for the +before arms (e.g. api-pinned+before)")
	f.IntVar(&apiCfg.Witnesses, "witnesses", 0, "--modes api: validators the API servers and the rpc arms cross-check headers with (0: the observer alone; CometBFT's light client then never waits for a lagging witness, see docs/PERFORMANCE.md)")
	f.Float64Var(&apiCfg.LoadRate, "load-rate", 1000, "--modes api: single events/s offered during +load arms (about half of what 4 validators commit on a 2-core machine)")
	f.BoolVar(&cfg.KeepNetworks, "keep", false, "keep the network directories after each mode")
	f.StringVar(&cfg.Cluster.LogLevel, "log-level", "error", "node log level")
	f.Int64Var(&cfg.Cluster.P2PRate, "p2p-rate", 0, "P2P send and receive rate limit in bytes/s of every node of both networks (0: CometBFT's default, 5120000)")
	f.StringVar(&cfg.Cluster.TxIndexer, "tx-index", "", "tx indexer of every node of both networks: kv (TraceLedger's default) or null")
	f.Int64Var(&cfg.Cluster.MaxBlockBytes, "max-block-bytes", genesis.DefaultBlockMaxBytes, "genesis block.max_bytes of both networks (TraceLedger's default; 0 leaves each network's own: TraceLedger 4194304, kvstore CometBFT's 22020096)")
	f.StringVar(&self, "pprof-self", "", "serve this tool's own pprof on this address (e.g. 127.0.0.1:6059); the bulk load of the prefilled mode runs here")
	f.IntVar(&pprof, "pprof-port", 0, "if set, node i of mode k (kvstore 0, single 1, batch100 2, batch1000 3, prefilled 4) serves pprof on 127.0.0.1:PORT+10k+i; with --modes api, API server i on PORT+i (serve --pprof-addr)")
	f.DurationVar(&timeout, "timeout", 0, "stop the whole run after this long (0: no limit)")
	out.add(cmd)
	return cmd
}
