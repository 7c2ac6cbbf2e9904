// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"runtime/debug"

	"github.com/cometbft/cometbft/version"
	"github.com/spf13/cobra"

	"github.com/traceledger/traceledger/app"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the versions of traceledger, its protocol and CometBFT",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			v := "devel"
			if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
				v = bi.Main.Version
			}
			fmt.Fprintf(cmd.OutOrStdout(), "traceledger %s\napp protocol %d\ncometbft %s (abci %s)\n", v, app.Version, version.TMCoreSemVer, version.ABCIVersion)
		},
	}
}
