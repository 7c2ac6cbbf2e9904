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
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		var ee *exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		os.Exit(1)
	}
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
	)
	return root
}
