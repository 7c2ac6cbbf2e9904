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
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/client/keyring"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	err := root.ExecuteContext(ctx)
	code := exitCodeOf(err)
	if err != nil {
		if code == exitNegative {
			fmt.Fprintln(os.Stderr, err) // a verified answer, not a failure of the tool
		} else {
			fmt.Fprintln(os.Stderr, "error:", err)
		}
		if h := hint(err); h != "" {
			fmt.Fprintln(os.Stderr, "hint:", h)
		}
	}
	stop()
	os.Exit(int(code))
}

// hint says what to do next for the errors users meet most.
func hint(err error) string {
	var ue *usageError
	var cm *client.ChainIDMismatchError
	switch {
	case errors.As(err, &ue) && ue.cmd != "":
		return "see '" + ue.cmd + " --help'"
	case errors.Is(err, keyring.ErrNotFound):
		return "list the keys with 'traceledger keys list --home DIR', or create one with 'traceledger keys add NAME'"
	case errors.Is(err, keyring.ErrNoPassphrase), errors.Is(err, keyring.ErrEmptyPassphrase):
		return "give the passphrase with --passphrase-file FILE, --passphrase-env VAR or $" + keyring.DefaultEnvVar + " (scripts have no terminal to prompt on)"
	case errors.Is(err, keyring.ErrExists):
		return "choose another key name, or see the existing keys with 'traceledger keys list --home DIR'"
	case errors.Is(err, keyring.ErrWrongPassphrase):
		return "check the passphrase (--passphrase-file, --passphrase-env or $" + keyring.DefaultEnvVar + ")"
	case errors.As(err, &cm):
		return fmt.Sprintf("pass --node with the RPC address of a node of chain %q, or --home/--genesis of chain %q", cm.LocalChainID, cm.NodeChainID)
	case exitCodeOf(err) == exitUnreachable:
		return "is the node running? start it with 'traceledger start --home DIR', or pass --node with the RPC address of a running node (without --node, the address is read from --home's config/config.toml, rpc.laddr)"
	case errors.Is(err, client.ErrNotVerified):
		return "the node's answer did not verify: do not trust it; try another department's node (--node) and report this node"
	}
	return ""
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "traceledger",
		Short: "Permissioned notarization network for product traceability",
		Long: `TraceLedger records hashed trace events of products (agricultural products,
livestock, food, drugs, agricultural inputs, special equipment, dangerous goods)
on a CometBFT network run by government departments, and answers every query
with proofs that anyone can check against headers signed by the departments.

Start with 'traceledger demo'. To run a node: 'traceledger init' then
'traceledger start'.

Every command that prints a result takes -o/--output text|json; files are
written with --out FILE.

Exit codes (the same for every command):
` + exitCodesText(),
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
		newServeCmd(), newAPICmd(), newLabelCmd(),
		newDiscloseCmd(),
		newWatchCmd(), newSuperviseCmd(),
	)
	strictTree(root)
	return root
}

// strictTree makes every command of the tree refuse what it does not know:
// a command group given an unknown subcommand (or stray arguments) fails
// with a usage error that suggests the nearest subcommands, instead of
// printing its help and succeeding; flag errors are usage errors.
func strictTree(cmd *cobra.Command) {
	cmd.SuggestionsMinimumDistance = 2
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		if c.HasAvailableSubCommands() && c.Flags().NArg() > 0 {
			return unknownSubcommand(c, c.Flags().Args())
		}
		return &usageError{cmd: c.CommandPath(), err: err}
	})
	if cmd.HasSubCommands() {
		cmd.Args = unknownSubcommand
		if cmd.Run == nil && cmd.RunE == nil {
			cmd.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
		}
	}
	for _, sub := range cmd.Commands() {
		strictTree(sub)
	}
}

// unknownSubcommand is the Args check of a command group: no arguments, or
// a usage error naming the unknown subcommand with suggestions.
func unknownSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		for i := range s {
			s[i] = "'" + cmd.CommandPath() + " " + s[i] + "'"
		}
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return &usageError{cmd: cmd.CommandPath(), err: errors.New(msg)}
}
