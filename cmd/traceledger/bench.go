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

Both kinds of network get the same node configuration, address plan, commit
timeout and load tool. For every mode it reports committed transactions and
events per second, submit-to-commit latency p50/p95/p99 at each offered rate
and at half of the maximum, CPU and peak resident memory of each node from
/proc, and disk bytes per event of each home and of the app database. It
writes OUT/result.json and OUT/plot.png and prints a one-screen summary.

A full run takes 10 to 20 minutes (more with prefilled). The machine's other
work changes absolute figures; compare the ratios to kvstore of one run.`,
		Example: `  traceledger bench --out bench-out
  traceledger bench --modes kvstore,single --step 10s
  traceledger bench --modes single,prefilled --prefill 5000000`,
		Args: cobra.NoArgs,
		RunE: out.run(func(cmd *cobra.Command, _ []string) error {
			if modes != "" {
				cfg.Modes = strings.Split(modes, ",")
			}
			for _, m := range cfg.Modes {
				switch m {
				case bench.ModeKVStore, bench.ModeSingle, bench.ModeBatch100, bench.ModeBatch1000, bench.ModePrefilled:
				default:
					return fmt.Errorf("--modes: unknown mode %q (known: kvstore, single, batch100, batch1000, prefilled)", m)
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
	f.StringVar(&cfg.Out, "out", "bench-out", "output directory (result.json, plot.png, cache/ with cometbft, net-*/ while running)")
	f.StringVar(&modes, "modes", strings.Join(bench.DefaultModes, ","), "comma-separated modes: kvstore, single, batch100, batch1000, prefilled")
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
	f.IntVar(&cfg.PrefillEvents, "prefill", 5_000_000, "events loaded before the prefilled mode")
	f.BoolVar(&cfg.KeepNetworks, "keep", false, "keep the network directories after each mode")
	f.StringVar(&cfg.Cluster.LogLevel, "log-level", "error", "node log level")
	f.Int64Var(&cfg.Cluster.P2PRate, "p2p-rate", 0, "P2P send and receive rate limit in bytes/s of every node of both networks (0: CometBFT's default, 5120000)")
	f.StringVar(&cfg.Cluster.TxIndexer, "tx-index", "", "tx indexer of every node of both networks: kv (TraceLedger's default) or null")
	f.Int64Var(&cfg.Cluster.MaxBlockBytes, "max-block-bytes", genesis.DefaultBlockMaxBytes, "genesis block.max_bytes of both networks (TraceLedger's default; 0 leaves each network's own: TraceLedger 4194304, kvstore CometBFT's 22020096)")
	f.StringVar(&self, "pprof-self", "", "serve this tool's own pprof on this address (e.g. 127.0.0.1:6059); the bulk load of the prefilled mode runs here")
	f.IntVar(&pprof, "pprof-port", 0, "if set, node i of mode k (kvstore 0, single 1, batch100 2, batch1000 3, prefilled 4) serves pprof on 127.0.0.1:PORT+10k+i")
	f.DurationVar(&timeout, "timeout", 0, "stop the whole run after this long (0: no limit)")
	out.add(cmd)
	return cmd
}
