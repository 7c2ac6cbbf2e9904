// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"fmt"
	"io"
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
		out     outputFlag
	)
	cmd := &cobra.Command{
		Use:   "export --id IDENTIFIER --out BUNDLE.json",
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
earlier root that the bundle's light blocks reach).

The bundle goes to --out FILE ('-' or no --out: standard output); with
-o json standard output carries one JSON object: a summary, with the file
written or the bundle itself ("bundle").`,
		Args: cobra.NoArgs,
		RunE: out.run(func(cmd *cobra.Command, _ []string) error {
			if id == "" {
				return &usageError{cmd: cmd.CommandPath(), err: fmt.Errorf("--id is required")}
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
				return err
			}
			var doc bytes.Buffer
			if err := b.Encode(&doc); err != nil {
				return err
			}
			summary := map[string]any{"identifier": id, "records": len(b.Records), "state_height": b.State.Height,
				"light_blocks": len(b.LightBlocks), "trust_height": b.Trust.Height, "verified": true}
			return out.document(cmd, outFile, 0o644, doc.Bytes(), "bundle", summary, func(w io.Writer) {
				where := "standard output"
				if outFile != "" && outFile != "-" {
					where = filepath.Clean(outFile)
				}
				fmt.Fprintf(w, "wrote %s: %d records of %q at state height %d, %d light blocks from height %d\n",
					where, len(b.Records), id, b.State.Height, len(b.LightBlocks), b.Trust.Height)
			})
		}),
	}
	conn.add(cmd)
	cmd.Flags().Int64Var(&trust.height, "trust-height", 0, "start the light blocks at this trusted height (with --trust-hash) instead of genesis")
	cmd.Flags().StringVar(&trust.hash, "trust-hash", "", "hash (hex) of the trusted header at --trust-height")
	cmd.Flags().StringVar(&id, "id", "", "the identifier (product, lot, item) whose history to export")
	cmd.Flags().Int64Var(&height, "height", 0, "state height (the node's latest or latest-1; default latest)")
	cmd.Flags().StringArrayVar(&values, "value", nil, "also prove this map key present or absent (repeatable), e.g. attestation/<id>")
	cmd.Flags().StringVar(&outFile, "out", "", "write the bundle to this file (default or '-': standard output)")
	out.add(cmd)
	return cmd
}
