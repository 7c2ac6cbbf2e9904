// SPDX-License-Identifier: Apache-2.0

package main

// `node backup` and `node restore` (docs/OPERATIONS.md).

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/cometbft/cometbft/types"
	"github.com/spf13/cobra"

	"github.com/traceledger/traceledger/app"
	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/node"
)

func newNodeBackupCmd() *cobra.Command {
	var home, out string
	var output outputFlag
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Write a consistent backup of a node's application state, running or stopped",
		Long: `backup writes the application state of the node at --home as of its latest
committed height to --out. A running node serves it through its admin socket
(<home>/data/admin.sock) from an immutable database version, without
stopping; a stopped node is read directly. The file is written next to --out
and renamed into place when complete.

Back up the keys (<home>/config/*key*.json, the keyring) and the genesis
separately, once; CometBFT's block and state stores need no backup: a restored
node gets them from its peers (docs/OPERATIONS.md).`,
		Example: `  traceledger node backup --home /net/agri --out agri-app.backup`,
		Args:    cobra.NoArgs,
		RunE: output.run(func(cmd *cobra.Command, _ []string) error {
			tmp, err := os.CreateTemp(filepath.Dir(out), filepath.Base(out)+".partial-*")
			if err != nil {
				return fmt.Errorf("--out: %w", err)
			}
			defer os.Remove(tmp.Name())
			ci, err := node.Backup(cmd.Context(), home, tmp)
			if err == nil {
				err = tmp.Sync()
			}
			if cerr := tmp.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			if err := os.Rename(tmp.Name(), out); err != nil {
				return fmt.Errorf("--out: %w", err)
			}
			fi, _ := os.Stat(out)
			return output.print(cmd.OutOrStdout(), map[string]any{"file": out, "height": ci.Height, "app_hash": fmt.Sprintf("%X", ci.AppHash),
				"chain_id": ci.ChainId, "bytes": fi.Size()}, func(w io.Writer) {
				fmt.Fprintf(w, "backed up the app state of %s at height %d (app hash %X, chain %s) to %s, %d bytes\n", home, ci.Height, ci.AppHash, ci.ChainId, out, fi.Size())
			})
		}),
	}
	addHomeFlag(cmd, &home)
	cmd.Flags().StringVar(&out, "out", "", "the backup file to write (required)")
	cmd.MarkFlagRequired("out")
	output.add(cmd)
	return cmd
}

func newNodeRestoreCmd() *cobra.Command {
	var home, in, rpc string
	var output outputFlag
	cmd := &cobra.Command{
		Use:   "restore",
		Short: "Restore a node's application state from a backup; it then catches up from its peers",
		Long: `restore loads the backup --in into the home --home, which must be initialised
for the network (keys, genesis, peers: 'traceledger join' or 'testnet add-node')
and hold no state yet. The light client checks, from the genesis, the block
header at the backup's height and that the next header commits to the
backup's app hash; CometBFT's stores are then bootstrapped at that height
from the --rpc servers, so that the started node block-syncs the blocks after
it from its peers and reaches their app hash.`,
		Example: `  traceledger node restore --home /net/agri2 --in agri-app.backup --rpc http://10.0.0.2:26657,http://10.0.0.3:26657`,
		Args:    cobra.NoArgs,
		RunE: output.run(func(cmd *cobra.Command, _ []string) error {
			servers := splitList(rpc)
			if len(servers) < 2 {
				return fmt.Errorf("--rpc: give two or more RPC URLs of the network, comma-separated (got %d)", len(servers))
			}
			conf, err := node.LoadConfig(home)
			if err != nil {
				return err
			}
			doc, err := types.GenesisDocFromFile(conf.GenesisFile())
			if err != nil {
				return fmt.Errorf("genesis of %s: %w", home, err)
			}
			f, err := os.Open(in)
			if err != nil {
				return fmt.Errorf("--in: %w", err)
			}
			defer f.Close()
			ci, err := app.ReadBackupHeader(f)
			if err != nil {
				return fmt.Errorf("--in %s: %w", in, err)
			}
			if ci.ChainId != doc.ChainID {
				return fmt.Errorf("--in %s is a backup of chain %q; %s is a home of %q", in, ci.ChainId, home, doc.ChainID)
			}
			v, err := client.NewHeaderVerifier(cmd.Context(), doc, servers[0], servers[1:])
			if err != nil {
				return err
			}
			at, err := v.VerifyHeader(cmd.Context(), ci.Height)
			if err != nil {
				return fmt.Errorf("verify the header at the backup's height %d: %w", ci.Height, err)
			}
			next, err := v.VerifyHeader(cmd.Context(), ci.Height+1)
			if err != nil {
				return fmt.Errorf("verify the header after the backup's height %d: %w", ci.Height, err)
			}
			if !bytes.Equal(next.AppHash, ci.AppHash) {
				return fmt.Errorf("%w: the network's header %d commits to app hash %X, the backup holds %X: it is not this network's state", client.ErrNotVerified, ci.Height+1, next.AppHash, ci.AppHash)
			}
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				return err
			}
			if _, err := node.Restore(cmd.Context(), conf, f, node.Trust{RPCServers: servers, Height: ci.Height, Hash: at.Hash()}); err != nil {
				return err
			}
			return output.print(cmd.OutOrStdout(), map[string]any{"home": home, "height": ci.Height, "app_hash": fmt.Sprintf("%X", ci.AppHash), "verified": true}, func(w io.Writer) {
				fmt.Fprintf(w, "restored the app state of %s at height %d (app hash %X, verified against header %d)\nnext: traceledger start --home %s\n", home, ci.Height, ci.AppHash, ci.Height+1, home)
			})
		}),
	}
	addHomeFlag(cmd, &home)
	cmd.Flags().StringVar(&in, "in", "", "the backup file (required)")
	cmd.Flags().StringVar(&rpc, "rpc", "", "two or more CometBFT RPC URLs of the network, comma-separated (required)")
	cmd.MarkFlagRequired("in")
	cmd.MarkFlagRequired("rpc")
	output.add(cmd)
	return cmd
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
