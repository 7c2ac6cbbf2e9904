// SPDX-License-Identifier: Apache-2.0

package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/traceledger/traceledger/internal/demo"
)

// errEmptyServe is --serve= with no address.
var errEmptyServe = errors.New("--serve= needs an address: give --serve alone for " + defaultDemoServe + ", or --serve=HOST:PORT")

// defaultDemoServe is where `demo --serve` serves without an address (a
// free loopback port when it is taken).
const defaultDemoServe = "127.0.0.1:8080"

func newDemoCmd() *cobra.Command {
	var (
		keep  bool
		serve string
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run a one-department network in-process and trace a vegetable lot from field to shelf",
		Long: `demo starts a one-validator network in a temporary home, registers a farm,
a wholesale market and a retailer at genesis, records a vegetable lot's journey
from planting to the retail shelf (eleven events), reads the lot's history back,
verifies every proof against the header signed by the department, prints the
timeline, and shuts down. It needs no configuration and no network access.

With --serve, the network keeps running after the walk-through, behind the HTTP
API (docs/API.md) on a loopback address it prints with example URLs, until
Ctrl-C or SIGTERM, which shut both down gracefully (exit 0). --serve alone
serves on ` + defaultDemoServe + `, or on a free port when that one is taken;
--serve=HOST:PORT picks the address (loopback only).`,
		Example: `  traceledger demo
  traceledger demo --serve
  traceledger demo --serve=127.0.0.1:9090`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts := demo.Options{Out: cmd.OutOrStdout(), Keep: keep}
			if cmd.Flags().Changed("serve") {
				if serve == "" {
					return &usageError{cmd: cmd.CommandPath(), err: errEmptyServe}
				}
				opts.Serve = serve
				opts.ServeAnyPort = serve == defaultDemoServe
			}
			if err := demo.CheckServeAddr(opts.Serve); err != nil {
				return &usageError{cmd: cmd.CommandPath(), err: err}
			}
			err := demo.Run(cmd.Context(), opts)
			if errors.Is(err, demo.ErrServeAddr) {
				// A taken port is the user's choice to change, not an
				// unreachable node.
				return withCode(exitUsage, err)
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&keep, "keep", false, "keep the temporary home for inspection")
	cmd.Flags().StringVar(&serve, "serve", "", "keep the network running behind the HTTP API on this loopback address until interrupted (--serve alone: "+defaultDemoServe+", or a free port)")
	cmd.Flags().Lookup("serve").NoOptDefVal = defaultDemoServe
	return cmd
}
