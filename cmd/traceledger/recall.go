// SPDX-License-Identifier: Apache-2.0

package main

// Recall command: `tx recall start` (docs/ATTESTATIONS.md).

import (
	"strconv"

	"github.com/spf13/cobra"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

func newTxRecallCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "recall",
		Short: "Recalls: start one (voluntary by the enterprise, or ordered by a department)",
	}
	cmd.AddCommand(newRecallStartCmd())
	return cmd
}

func newRecallStartCmd() *cobra.Command {
	var (
		tx          txFlags
		r           tlv1.InitiateRecall
		level       int
		from, until string
	)
	cmd := &cobra.Command{
		Use:   "start ID",
		Short: "Start recall ID of products and lots",
		Long: `Start recall ID. Signed by the responsible enterprise it is voluntary
(--enterprise must be the signer); signed by a department it is an order.
Every --lot must have a history on the ledger; for a voluntary recall the
command finds, in each lot's verified history, an event the enterprise signed
(the held evidence the ledger checks). Record the progress (holding,
recalled, returned, destroyed) as ordinary events on the lots; measure the
impact with 'traceledger trace forward LOT'.`,
		Args: cobra.ExactArgs(1),
		RunE: tx.out.run(func(cmd *cobra.Command, args []string) error {
			var err error
			r.Id = args[0]
			if r.Level, err = recallLevels.parse("--level", strconv.Itoa(level)); err != nil {
				return err
			}
			if r.PeriodFromMs, err = parseDate("--period-from", from); err != nil {
				return err
			}
			if r.PeriodUntilMs, err = parseDate("--period-until", until); err != nil {
				return err
			}
			c, s, err := tx.signer(cmd.Context())
			if err != nil {
				return err
			}
			signer, err := signerParticipant(cmd, c, s)
			if err != nil {
				return err
			}
			if signer == r.Enterprise { // voluntary: show that it held each lot
				if err := c.FillHeldEvidence(cmd.Context(), &r); err != nil {
					return err
				}
			}
			res, err := c.InitiateRecall(cmd.Context(), s, &r)
			if err != nil {
				return err
			}
			return tx.committed(cmd, res, map[string]any{"recall": r.Id}, "started recall "+r.Id)
		}),
	}
	tx.add(cmd, "name of the enterprise's or the department's key")
	f := cmd.Flags()
	f.StringVar(&r.Enterprise, "enterprise", "", "responsible enterprise's participant id (required)")
	f.StringSliceVar(&r.Products, "product", nil, "product class identifier (repeatable)")
	f.StringSliceVar(&r.Lots, "lot", nil, "lot identifier (repeatable)")
	f.StringVar(&r.Reason, "reason", "", "reason (required)")
	f.StringVar(&r.Hazard, "hazard", "", "hazard (required)")
	f.IntVar(&level, "level", 0, "recall level 1 (most severe), 2 or 3 (required)")
	f.StringVar(&from, "period-from", "", "start of the affected period (required)")
	f.StringVar(&until, "period-until", "", "end of the affected period (required)")
	for _, n := range []string{"enterprise", "reason", "hazard", "level", "period-from", "period-until"} {
		cmd.MarkFlagRequired(n)
	}
	return cmd
}
