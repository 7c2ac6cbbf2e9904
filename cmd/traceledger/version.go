// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"io"
	"runtime/debug"

	"github.com/cometbft/cometbft/version"
	"github.com/spf13/cobra"

	"github.com/traceledger/traceledger/app"
)

func newVersionCmd() *cobra.Command {
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the versions of traceledger, its protocol and CometBFT",
		Args:  cobra.NoArgs,
		RunE: out.run(func(cmd *cobra.Command, _ []string) error {
			v := "devel"
			if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
				v = bi.Main.Version
			}
			view := map[string]any{"traceledger": v, "app_protocol": app.Version, "cometbft": version.TMCoreSemVer, "abci": version.ABCIVersion}
			return out.print(cmd.OutOrStdout(), view, func(w io.Writer) {
				fmt.Fprintf(w, "traceledger %s\napp protocol %d\ncometbft %s (abci %s)\n", v, app.Version, version.TMCoreSemVer, version.ABCIVersion)
			})
		}),
	}
	out.add(cmd)
	return cmd
}
