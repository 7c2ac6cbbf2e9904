// SPDX-License-Identifier: Apache-2.0

// Command traceledger runs and uses a TraceLedger node: the permissioned
// notarization network for product traceability. Commands follow the
// `traceledger <noun> <verb>` shape; `traceledger --help` lists them.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/client/keyring"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		if h := hint(err); h != "" {
			fmt.Fprintln(os.Stderr, "hint:", h)
		}
		var ee *exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		os.Exit(1)
	}
}

// hint says what to do next for the errors users meet most.
func hint(err error) string {
	switch {
	case errors.Is(err, keyring.ErrNotFound):
		return "list the keys with 'traceledger keys list --home DIR', or create one with 'traceledger keys add NAME'"
	case errors.Is(err, keyring.ErrWrongPassphrase):
		return "check the passphrase (--passphrase-file, --passphrase-env or $" + keyring.DefaultEnvVar + ")"
	case errors.Is(err, client.ErrNotVerified):
		return "the node's answer did not verify: do not trust it; try another department's node (--node) and report this node"
	}
	return ""
}

// exitError carries a specific exit status.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "traceledger",
		Short: "Permissioned notarization network for product traceability",
		Long: `TraceLedger records hashed trace events of products (agricultural products,
livestock, food, drugs, agricultural inputs, special equipment, dangerous goods)
on a CometBFT network run by government departments, and answers every query
with proofs that anyone can check against headers signed by the departments.

Start with 'traceledger demo'. To run a node: 'traceledger init' then
'traceledger start'.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		newDemoCmd(),
		newInitCmd(),
		newStartCmd(),
		newKeysCmd(),
		newTxCmd(),
		newQueryCmd(),
		newVersionCmd(),
		newEPCISCmd(),
		newAnchorCmd(),
		newTestnetCmd(),
		newNodeCmd(),
		newBenchCmd(),
		newProofCmd(), newVerifyCmd(), newAuditCmd(),
		newGenesisCmd(),
		newTraceCmd(), newAttestCmd(),
	)
	return root
}
