// SPDX-License-Identifier: Apache-2.0

package main

// Trace commands: `trace forward|back|links ID` (docs/ATTESTATIONS.md).

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/trace"
)

func newTraceCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "trace",
		Short: "Trace-forward and trace-back graphs from verified histories, and the seven-link report",
		Long: `Walk the verified histories of identifiers: every history is proven complete
by its head and verified against a header signed by the departments, so every
edge of the answer carries the record that supports it and its inclusion
proof. An identifier the ledger does not know is a verified absence.`,
	}
	cmd.AddCommand(newTraceWalkCmd("forward", trace.Forward), newTraceWalkCmd("back", trace.Back), newTraceLinksCmd(), newTraceCertsCmd())
	return cmd
}

func newTraceWalkCmd(verb string, dir trace.Direction) *cobra.Command {
	var q queryFlags
	short := "Trace forward from a lot: downstream lots, items and containers, holders, divisions, last dispositions (a recall's impact)"
	if dir == trace.Back {
		short = "Trace back from an item: the lots and inputs it was made from, its origin, and the certifications met on the way"
	}
	cmd := &cobra.Command{
		Use:   verb + " ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: q.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			g, err := trace.NewIndex(trace.NewClientSource(c)).Walk(cmd.Context(), args[0], dir)
			if err != nil {
				return err
			}
			if err := g.Render(cmd.OutOrStdout(), dir, q.out.format); err != nil {
				return err
			}
			if g.Absent {
				return negative("%s has no history on the ledger (verified absence)", args[0])
			}
			return nil
		}),
	}
	q.add(cmd, "dot")
	q.out.aliasFlag(cmd, "format")
	return cmd
}

func newTraceLinksCmd() *cobra.Command {
	var q queryFlags
	cmd := &cobra.Command{
		Use:   "links LOT",
		Short: "Seven-link report of an agricultural lot: which links have events (in its back-trace) and which are missing",
		Args:  cobra.ExactArgs(1),
		RunE: q.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			g, err := trace.NewIndex(trace.NewClientSource(c)).Walk(cmd.Context(), args[0], trace.Back)
			if err != nil {
				return err
			}
			if g.Absent {
				if q.out.json() {
					if err := q.out.print(cmd.OutOrStdout(), map[string]any{"lot": args[0], "absent": true}, nil); err != nil {
						return err
					}
				}
				return negative("%s has no history on the ledger (verified absence)", args[0])
			}
			return trace.SevenLinkReport(g).Render(cmd.OutOrStdout(), q.out.format)
		}),
	}
	q.add(cmd)
	q.out.aliasFlag(cmd, "format")
	return cmd
}

func newTraceCertsCmd() *cobra.Command {
	var (
		conn connFlags
		out  outputFlag
		at   string
	)
	cmd := &cobra.Command{
		Use:   "certs ID",
		Short: "The certifications met on the back-trace of ID, and whether each was valid at --at (default now)",
		Long: `Trace back from ID and, for every attestation whose records are in the
histories reached, answer whether it was valid at --at: it existed, was within
its validity, was not suspended, withdrawn or cancelled, and its issuer was
accredited for the scheme (from complete, verified histories).`,
		Args: cobra.ExactArgs(1),
		RunE: out.run(func(cmd *cobra.Command, args []string) error {
			t := time.Now().UnixMilli()
			if at != "" {
				var err error
				if t, err = parseDate("--at", at); err != nil {
					return err
				}
			}
			c, err := conn.client()
			if err != nil {
				return err
			}
			x := trace.NewIndex(trace.NewClientSource(c))
			g, err := x.Walk(cmd.Context(), args[0], trace.Back)
			if err != nil {
				return err
			}
			if g.Absent {
				if out.json() {
					if err := out.print(cmd.OutOrStdout(), map[string]any{"id": args[0], "absent": true, "at": formatMs(t), "certifications": []any{}}, nil); err != nil {
						return err
					}
				}
				return negative("%s has no history on the ledger (verified absence)", args[0])
			}
			certs, err := x.Certifications(cmd.Context(), g, t)
			if err != nil {
				return err
			}
			type row struct {
				ID       string   `json:"attestation"`
				Valid    bool     `json:"valid"`
				Failures []string `json:"failures,omitempty"`
			}
			rows := []row{}
			for _, c := range certs {
				rows = append(rows, row{c.ID, c.Validity.Valid, c.Validity.Failures})
			}
			return out.print(cmd.OutOrStdout(), map[string]any{"id": args[0], "at": formatMs(t), "certifications": rows}, func(w io.Writer) {
				fmt.Fprintf(w, "certifications on the back-trace of %s at %s: %d\n", args[0], formatMs(t), len(certs))
				for _, c := range certs {
					if c.Validity.Valid {
						fmt.Fprintf(w, "  %s VALID\n", c.ID)
					} else {
						fmt.Fprintf(w, "  %s NOT valid: %s\n", c.ID, strings.Join(c.Validity.Failures, "; "))
					}
				}
			})
		}),
	}
	conn.add(cmd)
	out.add(cmd)
	out.aliasFlag(cmd, "format")
	cmd.Flags().StringVar(&at, "at", "", "time to check, 2026-01-02 or RFC 3339 (default now)")
	return cmd
}
