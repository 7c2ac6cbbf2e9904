// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/proof/light"
)

func newAnchorCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "anchor",
		Short: "Anchor a Merkle root over many event hashes, and prove single events against it",
		Long: `anchor serves high-volume sources (IoT sensors): instead of recording each event,
the enterprise records one AnchorRoot, an RFC 6962 Merkle root over up to
1,000,000 Event Hash IDs, and keeps the leaves. LEAVES is a text file with one
Event Hash ID per line, in the order anchored (or an EPCIS document: its
events' hash IDs in document order). Leaf i is the 32-byte digest in the i-th
hash ID; leaf hash SHA-256(0x00 || digest), node SHA-256(0x01 || left || right).

  anchor root LEAVES                 compute the root (no node needed)
  anchor submit LEAVES --source URI  record the root on the ledger
  anchor prove LEAVES --event ID     prove one event: leaf -> root -> ledger -> signed header
  anchor verify PROOF --genesis F    check a proof file offline against a trust root`,
	}
	cmd.AddCommand(newAnchorRootCmd(), newAnchorSubmitCmd(), newAnchorProveCmd(), newAnchorVerifyCmd())
	return cmd
}

func readLeaves(cmd *cobra.Command, path string) ([]string, error) {
	data, err := readInput(cmd, path)
	if err != nil {
		return nil, err
	}
	return client.ReadAnchorLeaves(data)
}

func newAnchorRootCmd() *cobra.Command {
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "root LEAVES",
		Short: "Compute the Merkle root over the event hashes in LEAVES",
		Args:  cobra.ExactArgs(1),
		RunE: out.run(func(cmd *cobra.Command, args []string) error {
			ids, err := readLeaves(cmd, args[0])
			if err != nil {
				return err
			}
			tree, err := client.NewAnchorTree(ids)
			if err != nil {
				return err
			}
			root := tree.Root()
			return out.print(cmd.OutOrStdout(), map[string]any{"root": hex.EncodeToString(root[:]), "leaf_count": tree.Size()}, func(w io.Writer) {
				fmt.Fprintf(w, "%x  (%d event hashes)\n", root, tree.Size())
			})
		}),
	}
	out.add(cmd)
	return cmd
}

func newAnchorSubmitCmd() *cobra.Command {
	var (
		tx               txFlags
		source           string
		fromTime, toTime string
	)
	cmd := &cobra.Command{
		Use:   "submit LEAVES --source URI",
		Short: "Record the Merkle root over LEAVES on the ledger (an AnchorRoot)",
		Long: `submit computes the root over LEAVES and records it, with the leaf count, the
source (the URI of the sensor, gateway or stream; the anchor extends that
identifier's history) and optionally the time range the events cover. Keep
LEAVES: 'anchor prove' needs them.`,
		Example: `  traceledger anchor submit --from farm1 --source urn:epc:id:giai:6901234.SENSOR7 \
      --from-time 2026-11-28T00:00:00+08:00 --to-time 2026-11-28T23:59:59+08:00 readings-2026-11-28.txt`,
		Args: cobra.ExactArgs(1),
		RunE: tx.out.run(func(cmd *cobra.Command, args []string) error {
			ids, err := readLeaves(cmd, args[0])
			if err != nil {
				return err
			}
			tree, err := client.NewAnchorTree(ids)
			if err != nil {
				return err
			}
			var fromMs, toMs int64
			for _, t := range []struct {
				flag, value string
				dst         *int64
			}{{"--from-time", fromTime, &fromMs}, {"--to-time", toTime, &toMs}} {
				if t.value == "" {
					continue
				}
				ts, err := time.Parse(time.RFC3339, t.value)
				if err != nil {
					return fmt.Errorf("%s must be RFC 3339: %w", t.flag, err)
				}
				*t.dst = ts.UnixMilli()
			}
			c, signer, err := tx.signer(cmd.Context())
			if err != nil {
				return err
			}
			res, err := c.Submit(cmd.Context(), signer, client.AnchorRootMsg(tree, source, fromMs, toMs))
			if err != nil {
				return err
			}
			root := tree.Root()
			view := map[string]any{"root": hex.EncodeToString(root[:]), "leaf_count": tree.Size(), "tx_hash": fmt.Sprintf("%X", res.Hash), "height": res.Height, "log_indexes": res.Indexes}
			return tx.out.print(cmd.OutOrStdout(), view, func(w io.Writer) {
				fmt.Fprintf(w, "anchored %x over %d event hashes: tx %X at height %d, log index %v\n", root, tree.Size(), res.Hash, res.Height, res.Indexes)
			})
		}),
	}
	tx.add(cmd, "name of the signing key in the keyring")
	cmd.Flags().StringVar(&source, "source", "", "URI of the source (sensor, gateway, stream) (required)")
	cmd.Flags().StringVar(&fromTime, "from-time", "", "earliest event time covered, RFC 3339 (optional)")
	cmd.Flags().StringVar(&toTime, "to-time", "", "latest event time covered, RFC 3339 (optional)")
	cmd.MarkFlagRequired("source")
	return cmd
}

func newAnchorProveCmd() *cobra.Command {
	var (
		conn           connFlags
		output         outputFlag
		trust          trustFlags
		event, outFile string
	)
	cmd := &cobra.Command{
		Use:   "prove LEAVES --event HASH_ID",
		Short: "Prove that one event is anchored: leaf -> root -> ledger",
		Long: `prove rebuilds the tree over LEAVES, takes the path of the event --event, fetches
the anchor of the root from the ledger and verifies it (map entry, log
inclusion, app hash in a header checked by the light client), and writes the
whole chain as a JSON proof that 'anchor verify' checks offline: to --out
FILE, or to standard output. The proof carries the light blocks from the trust
root (the genesis validator set of --home's genesis, or --trust-height and
--trust-hash) to the header that commits to the anchor, so a verifier needs
nothing but its own trust root. With -o json standard output carries one JSON
object: a summary, with the file written or the proof itself ("proof").`,
		Args: cobra.ExactArgs(1),
		RunE: output.run(func(cmd *cobra.Command, args []string) error {
			ids, err := readLeaves(cmd, args[0])
			if err != nil {
				return err
			}
			c, err := conn.client()
			if err != nil {
				return err
			}
			var root light.TrustRoot // zero: the client's genesis
			if trust.set() {
				if root, err = trust.root(c.ChainID(), ""); err != nil {
					return err
				}
			}
			p, err := c.ProveAnchored(cmd.Context(), ids, event, root)
			if err != nil {
				return err
			}
			bz, err := json.MarshalIndent(p, "", "  ")
			if err != nil {
				return err
			}
			bz = append(bz, '\n')
			summary := map[string]any{"event": p.EventHashID, "leaf_index": p.LeafIndex, "tree_size": p.TreeSize, "root": p.Root,
				"log_index": p.LogIndex, "header_height": p.HeaderHeight, "verified": true}
			var text func(io.Writer)
			if outFile != "" && outFile != "-" {
				text = func(w io.Writer) {
					fmt.Fprintf(w, "event %s: leaf %d of %d under root %s, anchored at log #%d, verified against header %d\n",
						p.EventHashID, p.LeafIndex, p.TreeSize, p.Root, p.LogIndex, p.HeaderHeight)
				}
			}
			return output.document(cmd, outFile, 0o644, bz, "proof", summary, text)
		}),
	}
	conn.add(cmd)
	output.add(cmd)
	cmd.Flags().Int64Var(&trust.height, "trust-height", 0, "start the light blocks at the header of this height instead of genesis (with --trust-hash)")
	cmd.Flags().StringVar(&trust.hash, "trust-hash", "", "hash (hex) of the trusted header at --trust-height")
	cmd.Flags().StringVar(&event, "event", "", "Event Hash ID to prove (required)")
	cmd.Flags().StringVar(&outFile, "out", "", "write the proof to this file (default standard output)")
	cmd.MarkFlagRequired("event")
	return cmd
}

func newAnchorVerifyCmd() *cobra.Command {
	var (
		out   outputFlag
		trust trustFlags
	)
	cmd := &cobra.Command{
		Use:   "verify PROOF (--genesis FILE | --trust-height H --trust-hash HASH)",
		Short: "Check an anchor proof file offline against a trust root (leaf -> root -> anchor record -> log -> signed header)",
		Long: `verify checks an anchor proof made by 'anchor prove' with no network: the light
blocks it carries must lead from your trust root (--genesis: the network's
genesis validator set; or --trust-height/--trust-hash: a header you trust) to
the header whose app hash commits to the anchor record, by CometBFT's
light-client rules; then the record's inclusion in the log, the anchor's root
and leaf count, and the event's path to the root. Without a trust root it
refuses: a proof's own app hash can be recomputed for any forged record.`,
		Args: cobra.ExactArgs(1),
		RunE: out.run(func(cmd *cobra.Command, args []string) error {
			data, err := readInput(cmd, args[0])
			if err != nil {
				return err
			}
			var p client.AnchorProof
			if err := json.Unmarshal(data, &p); err != nil {
				return fmt.Errorf("%s is not an anchor proof: %w", args[0], err)
			}
			root, err := trust.root(p.ChainID, "")
			if err != nil {
				return err
			}
			if err := client.VerifyAnchorProof(&p, root, light.HeaderOptions{}); err != nil {
				return notVerified(err)
			}
			return out.print(cmd.OutOrStdout(), map[string]any{"event": p.EventHashID, "verified": true, "app_hash": p.AppHash, "header_height": p.HeaderHeight, "trust_root": root.String()}, func(w io.Writer) {
				fmt.Fprintf(w, "VERIFIED: %s is leaf %d of %d under root %s, anchored by %s at log #%d; the roots hash to app hash %s of header %d on chain %s, reached from %s\n",
					p.EventHashID, p.LeafIndex, p.TreeSize, p.Root, p.Source, p.LogIndex, p.AppHash, p.HeaderHeight, p.ChainID, root)
			})
		}),
	}
	trust.add(cmd, "genesis file of the network: trust starts at its validator set")
	out.add(cmd)
	return cmd
}
