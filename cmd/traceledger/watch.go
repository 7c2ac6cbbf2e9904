// SPDX-License-Identifier: Apache-2.0

package main

// Supervision watcher: `watch run` and `watch rules` (docs/SUPERVISION.md).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/watch"
)

func newWatchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Supervision: follow the ledger, evaluate a rule set, raise alerts with their proofs; serve the public blacklist and warnings",
		Long: `watch follows the committed log record by record through the verifying client
and evaluates a declared, versioned rule set (a JSON file: rule ids, types,
severities, parameters and the divisions each rule is on for). Every alert is
a JSON line carrying the records it rests on with their inclusion proofs and
state roots, so that a department can check it without trusting the watcher.
docs/SUPERVISION.md describes the rules and the evidence.`,
	}
	cmd.AddCommand(newWatchRunCmd(), newWatchRulesCmd())
	return cmd
}

func newWatchRulesCmd() *cobra.Command {
	var (
		out   outputFlag
		check string
	)
	cmd := &cobra.Command{
		Use:   "rules [--check FILE]",
		Short: "Print the default rule set (a starting point to edit), or check a rule-set file",
		Args:  cobra.NoArgs,
		RunE: out.run(func(cmd *cobra.Command, _ []string) error {
			if check == "" {
				_, err := io.WriteString(cmd.OutOrStdout(), watch.DefaultRuleSet)
				return err
			}
			rs, err := watch.LoadRuleSet(check)
			if err != nil {
				return &usageError{err: err}
			}
			type row struct {
				ID       string `json:"id"`
				Type     string `json:"type"`
				Severity string `json:"severity"`
				Enabled  bool   `json:"enabled"`
			}
			rows := []row{}
			for _, r := range rs.Rules {
				rows = append(rows, row{r.ID, r.Type, r.Severity, r.Enabled})
			}
			return out.print(cmd.OutOrStdout(), map[string]any{"version": rs.Version, "rules": rows, "aggregate": rs.Aggregate}, func(w io.Writer) {
				fmt.Fprintf(w, "rule set %s: %d rules\n", rs.Version, len(rs.Rules))
				for _, r := range rows {
					state := "on"
					if !r.Enabled {
						state = "off"
					}
					fmt.Fprintf(w, "  %-24s %-24s %-8s %s\n", r.ID, r.Type, r.Severity, state)
				}
			})
		}),
	}
	out.add(cmd)
	cmd.Flags().StringVar(&check, "check", "", "rule-set file to check")
	return cmd
}

func newWatchRunCmd() *cobra.Command {
	var (
		q           queryFlags
		rulesPath   string
		statePath   string
		alertsPath  string
		metricsAddr string
		listen      string
		interval    time.Duration
		batch       int
		once        bool
		fromTip     bool
	)
	cmd := &cobra.Command{
		Use:   "run --rules RULES.json --state watch.json",
		Short: "Follow the ledger and raise alerts as blocks commit (long-running, like 'traceledger audit')",
		Long: `run reads every record appended to the log since the last one it processed
(--state; a restart resumes there), each proven against state roots that a
header verified by the light client commits to, and evaluates the rule set
(--rules; without it, the default set of 'traceledger watch rules').

Alerts are JSON lines (--alerts, default alerts.jsonl beside the state file;
'-' for standard output). --metrics-addr serves Prometheus metrics at /metrics
(alerts by rule and severity, records read, position). --listen serves the
public lists the watcher keeps: GET /v1/blacklist and GET /v1/warnings.
--once runs one step and exits: 0 with no alert, 4 (negative) with alerts.`,
		Args: cobra.NoArgs,
		RunE: q.run(func(cmd *cobra.Command, _ []string, c *client.Client) error {
			var rs *watch.RuleSet
			var err error
			if rulesPath == "" {
				rs, err = watch.ParseRuleSet([]byte(watch.DefaultRuleSet))
				fmt.Fprintln(cmd.ErrOrStderr(), "no --rules: using the default rule set (see 'traceledger watch rules')")
			} else {
				rs, err = watch.LoadRuleSet(rulesPath)
			}
			if err != nil {
				return &usageError{cmd: cmd.CommandPath(), err: err}
			}
			alerts, alertsPath, closeAlerts, err := openAlerts(cmd, alertsPath, statePath)
			if err != nil {
				return err
			}
			defer closeAlerts()
			metrics := watch.NewMetrics()
			w, err := watch.New(watch.Config{Rules: rs, ChainID: c.ChainID(), StatePath: statePath, Alerts: alerts, Metrics: metrics, Batch: batch, FromTip: fromTip},
				watch.NewClientSource(c))
			if err != nil {
				return err
			}
			if metricsAddr != "" {
				stop, err := serveBackground(cmd, metricsAddr, "metrics", metricsMux(metrics.Handler()))
				if err != nil {
					return err
				}
				defer stop()
			}
			if listen != "" {
				stop, err := serveBackground(cmd, listen, "blacklist and warnings", w.Handler())
				if err != nil {
					return err
				}
				defer stop()
			}
			show := func(rep *watch.StepReport) {
				q.out.print(cmd.OutOrStdout(), rep, func(out io.Writer) {
					if rep.Records > 0 {
						fmt.Fprintf(out, "records %d..%d verified at state height %d (%d, %.0f records/s), %d alert(s)\n",
							rep.From, rep.To-1, rep.Height, rep.Records, rep.Rate, len(rep.Alerts))
					}
					for _, a := range rep.Alerts {
						fmt.Fprintf(out, "ALERT %s %s [%s] %s\n", a.Severity, a.Rule, a.ID, a.Message)
					}
				})
			}
			if once {
				rep, err := w.Step(cmd.Context())
				if err != nil {
					return err
				}
				show(rep)
				if len(rep.Alerts) > 0 {
					return negative("%d alert(s); see %s", len(rep.Alerts), alertsPath)
				}
				return nil
			}
			err = w.Run(cmd.Context(), interval, show)
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		}),
	}
	q.add(cmd)
	cmd.Flags().StringVar(&rulesPath, "rules", "", "rule-set file (JSON; default: the built-in set of 'traceledger watch rules')")
	cmd.Flags().StringVar(&statePath, "state", "watch.json", "state file: the next log index, aggregation and lists (created if missing)")
	cmd.Flags().StringVar(&alertsPath, "alerts", "", "alerts file, JSON lines, appended (default: alerts.jsonl beside the state file; '-': standard output)")
	cmd.Flags().StringVar(&metricsAddr, "metrics-addr", "", "serve Prometheus metrics on this address, e.g. 127.0.0.1:9465")
	cmd.Flags().StringVar(&listen, "listen", "", "serve GET /v1/blacklist and GET /v1/warnings on this address, e.g. 127.0.0.1:8090")
	cmd.Flags().DurationVar(&interval, "interval", 2*time.Second, "time between polls of the tip")
	cmd.Flags().IntVar(&batch, "batch", watch.DefaultBatch, "records per batch (one state save per batch)")
	cmd.Flags().BoolVar(&fromTip, "from-tip", false, "with no state file yet, start at the log's current tip instead of its first record (the lists then cover only what follows)")
	cmd.Flags().BoolVar(&once, "once", false, "run one step and exit (0: no alert; 4: alerts)")
	return cmd
}
