// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/traceledger/traceledger/audit"
)

func newAuditCmd() *cobra.Command {
	var (
		trust       trustFlags
		out         outputFlag
		nodes       string
		chainID     string
		statePath   string
		evidenceDir string
		alertsPath  string
		metricsAddr string
		ids         []string
		sweep       int
		maxLag      int64
		maxHeaders  int64
		interval    time.Duration
		once        bool
	)
	cmd := &cobra.Command{
		Use:   "audit --nodes URL,URL,... --genesis genesis.json --state audit.json",
		Short: "Audit the nodes of several departments: headers, app hashes, history, answers, forks",
		Long: `audit follows the chain on the nodes of several departments (--nodes) and
checks them against each other and against the trust root (--genesis, or
--trust-height/--trust-hash with --chain-id):

  - every header from the trust root on is verified with CometBFT's light-client
    rules, across validator-set changes; a node serving another header for a
    verified height is reported, and both headers are saved as evidence: a fork
    when both verify, a forged header when the node's does not;
  - each node's state roots are checked against the verified header's app hash,
    and its log (and records tree) must extend the last verified checkpoint,
    kept in the state file (--state), as a transparency-log monitor does;
  - every node is asked the same queries (the --check-id histories and a rolling
    sweep of --sweep log records per pass); an answer that fails its proof,
    disagrees with the others, or a node that lags more than --max-lag blocks,
    is reported with the evidence.

Alerts are JSON lines (--alerts, default alerts.jsonl beside the state file;
'-' for standard output); evidence files go to --evidence (default evidence/
beside the state file). --metrics-addr serves Prometheus metrics at /metrics.
--once runs one pass and exits: 0 with no alert; 2 with any evidence of
tampering (fork, forged header, bad answer, rewritten history, disagreement);
else 3 if a node did not answer, 4 if a node lags.`,
		Args: cobra.NoArgs,
		RunE: out.run(func(cmd *cobra.Command, _ []string) error {
			urls := audit.ParseNodes(nodes)
			if len(urls) == 0 {
				return &usageError{cmd: cmd.CommandPath(), err: fmt.Errorf("--nodes is required: the RPC URLs of the departments' nodes, comma-separated")}
			}
			root, err := trust.root(chainID, "")
			if err != nil {
				return err
			}
			var sources []audit.Source
			for _, u := range urls {
				u, err := normalizeNodeURL("--nodes", u)
				if err != nil {
					return err
				}
				s, err := audit.NewRPCSource(u)
				if err != nil {
					return err
				}
				sources = append(sources, s)
			}
			alerts, alertsPath, closeAlerts, err := openAlerts(cmd, alertsPath, statePath)
			if err != nil {
				return err
			}
			defer closeAlerts()
			metrics := audit.NewMetrics()
			if metricsAddr != "" {
				stop, err := serveBackground(cmd, metricsAddr, "metrics", metricsMux(metrics.Handler()))
				if err != nil {
					return err
				}
				defer stop()
			}
			a, err := audit.New(audit.Config{Trust: root, StatePath: statePath, EvidenceDir: evidenceDir, Alerts: alerts,
				Identifiers: ids, SweepRecords: sweep, MaxLag: maxLag, MaxHeadersPerPass: maxHeaders, Metrics: metrics}, sources)
			if err != nil {
				return err
			}
			show := func(rep *audit.PassReport) {
				out.print(cmd.OutOrStdout(), rep, func(w io.Writer) { printPass(w, rep) })
			}
			if once {
				rep, err := a.Pass(cmd.Context())
				if err != nil {
					return err
				}
				show(rep)
				if len(rep.Alerts) > 0 {
					return withCode(alertsExitCode(rep.Alerts), fmt.Errorf("%d alert(s); see %s", len(rep.Alerts), alertsPath))
				}
				return nil
			}
			err = a.Run(cmd.Context(), interval, show)
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		}),
	}
	trust.add(cmd, "genesis file: trust starts at the genesis validator set")
	out.add(cmd)
	cmd.Flags().StringVar(&nodes, "nodes", "", "comma-separated CometBFT RPC URLs of the nodes to audit")
	cmd.Flags().StringVar(&chainID, "chain-id", "", "chain id (needed with --trust-height/--trust-hash)")
	cmd.Flags().StringVar(&statePath, "state", "audit.json", "state file: last verified header and checkpoint (created if missing)")
	cmd.Flags().StringVar(&evidenceDir, "evidence", "", "directory for evidence files (default: evidence/ beside the state file)")
	cmd.Flags().StringVar(&alertsPath, "alerts", "", "alerts file, JSON lines, appended (default: alerts.jsonl beside the state file; '-': standard output)")
	cmd.Flags().StringVar(&metricsAddr, "metrics-addr", "", "serve Prometheus metrics on this address, e.g. 127.0.0.1:9464")
	cmd.Flags().StringArrayVar(&ids, "check-id", nil, "identifier whose complete history every node must prove, each pass (repeatable)")
	cmd.Flags().IntVar(&sweep, "sweep", audit.DefaultSweepRecords, "log records every node re-proves per pass, round the whole log (negative: off)")
	cmd.Flags().Int64Var(&maxLag, "max-lag", audit.DefaultMaxLag, "blocks a node may be behind before it is reported lagging")
	cmd.Flags().Int64Var(&maxHeaders, "max-headers", 0, "at most this many headers verified per pass (0: all)")
	cmd.Flags().DurationVar(&interval, "interval", 5*time.Second, "time between passes")
	cmd.Flags().BoolVar(&once, "once", false, "run one pass and exit (0: no alert; 2: tampering; 3: a node did not answer; 4: a node lags)")
	return cmd
}

// alertsExitCode is the exit code of a pass with alerts: 2 for any evidence
// of tampering (forks, forged headers, bad answers, rewritten history,
// disagreements), else 3 if a node did not answer, else 4 (a node lags).
func alertsExitCode(alerts []audit.Alert) exitCode {
	code := exitNegative
	for _, a := range alerts {
		switch a.Kind {
		case audit.AlertLagging:
		case audit.AlertUnreachable:
			code = exitUnreachable
		default:
			return exitNotVerified
		}
	}
	return code
}

// printPass writes one pass's summary.
func printPass(w io.Writer, rep *audit.PassReport) {
	if rep.Headers > 0 {
		fmt.Fprintf(w, "verified headers %d..%d (%d, %.0f blocks/s)\n", rep.From, rep.To, rep.Headers, rep.HeaderRate)
	}
	if cp := rep.Checkpoint; cp != nil {
		fmt.Fprintf(w, "checkpoint: state height %d, log of %d records, root %X (consistent with the previous checkpoint)\n", cp.Height, cp.LogSize, []byte(cp.LogRoot))
	}
	for _, n := range rep.Nodes {
		status := "ok"
		if !n.Healthy {
			status = "ALERT"
		}
		fmt.Fprintf(w, "  %-40s height %-8d answers verified %-5d %s\n", n.Name, n.Height, n.Answers, status)
	}
	for _, a := range rep.Alerts {
		fmt.Fprintf(w, "ALERT %s %s at %d: %s", a.Kind, a.Node, a.Height, a.Message)
		if a.Evidence != "" {
			fmt.Fprintf(w, " [evidence %s]", a.Evidence)
		}
		fmt.Fprintln(w)
	}
}
