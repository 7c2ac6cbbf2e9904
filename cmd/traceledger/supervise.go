// SPDX-License-Identifier: Apache-2.0

package main

// Supervision: `supervise assess COMPLAINT-INDEX --product ID`
// (docs/SUPERVISION.md).

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/watch"
)

func newSuperviseCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "supervise",
		Short: "Supervision: from a recorded complaint to the responsible enterprise, the sales range and a draft recall",
	}
	cmd.AddCommand(newSuperviseAssessCmd())
	return cmd
}

func newSuperviseAssessCmd() *cobra.Command {
	var (
		q       queryFlags
		product string
	)
	cmd := &cobra.Command{
		Use:   "assess COMPLAINT-INDEX --product ID",
		Short: "Assess a complaint: locate the enterprise in the product's back-trace, the sales range by trace forward, a draft recall",
		Long: `assess reads the complaint recorded at log index COMPLAINT-INDEX (record_complaint;
its tracking number) and the product named in the complaint document (--product,
an identifier of the pack or lot the complainant bought: the ledger keeps only
the document's hash). It traces the product back to find the events the named
enterprise signed (the lots it held), traces those lots forward for the sales
range (identifiers reached, holders, divisions, last dispositions, quantities
public events recorded) and prints a draft recall and the command that records
it. Every fact carries the log index of the verified record it rests on.
Exit 4 (negative) when the enterprise is not in the product's back-trace.`,
		Args: cobra.ExactArgs(1),
		RunE: q.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			idx, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil {
				return &usageError{cmd: cmd.CommandPath(), err: fmt.Errorf("COMPLAINT-INDEX must be a log index (a number), got %q", args[0])}
			}
			if product == "" {
				return &usageError{cmd: cmd.CommandPath(), err: fmt.Errorf("--product is required: the identifier of the product named in the complaint")}
			}
			a, err := watch.Assess(cmd.Context(), c, idx, product)
			if err != nil {
				return err
			}
			if err := q.out.print(cmd.OutOrStdout(), a, func(w io.Writer) {
				fmt.Fprintf(w, "complaint at log index %d against %s (%s), product %s\n", a.Complaint.Index, a.Enterprise, a.Category, a.Product)
				for _, f := range a.Findings {
					fmt.Fprintf(w, "  FINDING: %s\n", f)
				}
				if !a.Located {
					return
				}
				var held []string
				for _, h := range a.Held {
					held = append(held, strconv.FormatUint(h.Index, 10))
				}
				fmt.Fprintf(w, "responsible enterprise %s located: its events at log index %s; lots it held: %s\n", a.Enterprise, strings.Join(held, ", "), strings.Join(a.Lots, ", "))
				fmt.Fprintf(w, "sales range: %d identifiers, %d holders in divisions %s\n", len(a.Impact.Reached), len(a.Impact.Holders), strings.Join(a.Impact.Divisions, ", "))
				for h, d := range a.Impact.Holders {
					fmt.Fprintf(w, "  holder %s (division %s)\n", h, d)
				}
				for id, qs := range a.Impact.Quantities {
					fmt.Fprintf(w, "  quantity %s: %s\n", id, strings.Join(qs, ", "))
				}
				fmt.Fprintf(w, "draft recall:\n  %s\n", a.Command)
			}); err != nil {
				return err
			}
			if !a.Located {
				return negative("the complaint's enterprise %s is not in the back-trace of %s", a.Enterprise, a.Product)
			}
			return nil
		}),
	}
	q.add(cmd)
	cmd.Flags().StringVar(&product, "product", "", "identifier of the product named in the complaint document (required)")
	return cmd
}
