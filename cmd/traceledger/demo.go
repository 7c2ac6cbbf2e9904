// SPDX-License-Identifier: Apache-2.0

package main

import (
	"github.com/spf13/cobra"

	"github.com/traceledger/traceledger/internal/demo"
)

func newDemoCmd() *cobra.Command {
	var keep bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run a one-department network in-process and trace a vegetable lot from field to shelf",
		Long: `demo starts a one-validator network in a temporary home, registers a farm,
a wholesale market and a retailer at genesis, records a vegetable lot's journey
from planting to the retail shelf (eleven events), reads the lot's history back,
verifies every proof against the header signed by the department, prints the
timeline, and shuts down. It needs no configuration and no network access.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return demo.Run(cmd.Context(), demo.Options{Out: cmd.OutOrStdout(), Keep: keep})
		},
	}
	cmd.Flags().BoolVar(&keep, "keep", false, "keep the temporary home for inspection")
	return cmd
}
