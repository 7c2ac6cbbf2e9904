// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/genesis"
)

func newProofCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "proof",
		Short: "Make proofs anyone can check offline",
	}
	cmd.AddCommand(newProofExportCmd())
	return cmd
}

func newProofExportCmd() *cobra.Command {
	var (
		conn    connFlags
		trust   trustFlags
		id      string
		height  int64
		values  []string
		outFile string
	)
	cmd := &cobra.Command{
		Use:   "export --id IDENTIFIER -o BUNDLE.json",
		Short: "Export an identifier's complete, proven history as an offline proof bundle",
		Long: `export asks the node (--node) for the complete history of IDENTIFIER at one
height with its proofs, and for the light blocks (signed headers and validator
sets) that carry trust from the trust root to the header committing to that
state, across validator-set changes. It checks everything, then writes a
self-contained, versioned JSON document (docs/proof-bundle.md) that
'traceledger verify' (or any third-party verifier) checks with no network.

--value KEY adds a map entry proven present or absent at the same height, e.g.
--value attestation/<id> for an attestation's current status. (A recall is part
of the history of every lot it names: the complete history shows whether the
identifier was recalled; 'verify' counts the recalls.) The node keeps
its latest two heights: --height must be one of them (default: the latest).
The trust root defaults to the genesis file; --trust-height/--trust-hash start
from a trusted header instead (the verifier must then use the same or an
earlier root that the bundle's light blocks reach).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if id == "" {
				return fmt.Errorf("--id is required")
			}
			if outFile == "" {
				return fmt.Errorf("-o FILE is required ('-' for standard output)")
			}
			c, err := conn.client()
			if err != nil {
				return err
			}
			opts := client.ExportOptions{Identifier: id, Height: height, Values: values}
			if trust.set() {
				path := conn.genesis
				if path == "" {
					path = filepath.Join(conn.home, "config", "genesis.json")
				}
				doc, err := genesis.Read(path)
				if err != nil {
					return fmt.Errorf("load genesis: %w", err)
				}
				if opts.Trust, err = trust.root(doc.ChainID, ""); err != nil {
					return err
				}
			}
			b, err := c.ExportBundle(cmd.Context(), opts)
			if err != nil {
				return notVerified(err)
			}
			if outFile == "-" {
				return b.Encode(cmd.OutOrStdout())
			}
			f, err := os.Create(outFile)
			if err != nil {
				return err
			}
			if err := b.Encode(f); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			{
				fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s: %d records of %q at state height %d, %d light blocks from height %d\n",
					filepath.Clean(outFile), len(b.Records), id, b.State.Height, len(b.LightBlocks), b.Trust.Height)
			}
			return nil
		},
	}
	conn.add(cmd)
	cmd.Flags().Int64Var(&trust.height, "trust-height", 0, "start the light blocks at this trusted height (with --trust-hash) instead of genesis")
	cmd.Flags().StringVar(&trust.hash, "trust-hash", "", "hash (hex) of the trusted header at --trust-height")
	cmd.Flags().StringVar(&id, "id", "", "the identifier (product, lot, item) whose history to export")
	cmd.Flags().Int64Var(&height, "height", 0, "state height (the node's latest or latest-1; default latest)")
	cmd.Flags().StringArrayVar(&values, "value", nil, "also prove this map key present or absent (repeatable), e.g. attestation/<id>")
	cmd.Flags().StringVarP(&outFile, "out", "o", "", "write the bundle to this file ('-': standard output)")
	return cmd
}
