// SPDX-License-Identifier: Apache-2.0

package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/client/keyring"
	"github.com/traceledger/traceledger/genesis"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// connFlags are what every command that talks to a node needs.
type connFlags struct {
	home, node, genesis string
	flags               *pflag.FlagSet
}

func (c *connFlags) add(cmd *cobra.Command) {
	addHomeFlag(cmd, &c.home)
	cmd.Flags().StringVar(&c.node, "node", "", "CometBFT RPC address of a node, http://HOST:PORT (default: the rpc.laddr of --home's config/config.toml when it has one, else "+defaultNodeURL+")")
	cmd.Flags().StringVar(&c.genesis, "genesis", "", "genesis file, the trust root for verification (default <home>/config/genesis.json)")
	c.flags = cmd.Flags()
}

// nodeURL is --node, or the RPC address of the node whose home is --home,
// or the default address.
func (c *connFlags) nodeURL() (string, error) {
	if c.node == "" && (c.flags == nil || !c.flags.Changed("node")) {
		if u, ok := rpcFromHome(c.home); ok {
			return u, nil
		}
		return defaultNodeURL, nil
	}
	return normalizeNodeURL("--node", c.node)
}

func (c *connFlags) client() (*client.Client, error) {
	u, err := c.nodeURL()
	if err != nil {
		return nil, err
	}
	path := c.genesis
	if path == "" {
		path = filepath.Join(c.home, "config", "genesis.json")
	}
	doc, _, err := genesis.Load(path)
	if err != nil {
		return nil, fmt.Errorf("load genesis (the trust root): %w; pass --genesis FILE, or --home of a node home of the network", err)
	}
	return client.New(u, doc)
}

func newTxCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tx",
		Short: "Sign and submit transactions",
	}
	cmd.AddCommand(newTxRecordCmd())
	cmd.AddCommand(newTxDeptCmd(), newTxParticipantCmd())
	cmd.AddCommand(newTxAttestCmd(), newTxRecallCmd(), newTxCreditCmd())
	return cmd
}

func newTxRecordCmd() *cobra.Command {
	var (
		conn                           connFlags
		pass                           passphraseFlags
		out                            outputFlag
		from, subject, typ, when, note string
		payloadFile, payloadHash       string
	)
	cmd := &cobra.Command{
		Use:   "record",
		Short: "Record a hashed trace event of a product or lot",
		Long: `record signs a RecordEvent with the key --from and waits until it is committed.
Only the SHA-256 of the business payload goes on the ledger: pass the payload
file with --payload (it is hashed locally and never sent) or its hash with
--payload-sha256.`,
		Example: `  traceledger tx record --from farm1 --subject urn:epc:class:lgtin:6901234.500012.LOT1 \
      --type harvest --payload harvest-lot1.json --note "harvested 1,200 kg"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.check(); err != nil {
				return err
			}
			var sum []byte
			switch {
			case payloadFile != "" && payloadHash != "":
				return fmt.Errorf("give --payload or --payload-sha256, not both")
			case payloadFile != "":
				b, err := os.ReadFile(payloadFile)
				if err != nil {
					return err
				}
				h := sha256.Sum256(b)
				sum = h[:]
			case payloadHash != "":
				b, err := hex.DecodeString(payloadHash)
				if err != nil || len(b) != 32 {
					return fmt.Errorf("--payload-sha256 must be 64 hex digits")
				}
				sum = b
			default:
				return fmt.Errorf("give the payload with --payload FILE or --payload-sha256 HEX")
			}
			if _, err := client.CanonicalSubject(subject); err != nil {
				return fmt.Errorf("--subject: %w", err)
			}
			t := time.Now()
			if when != "" {
				var err error
				if t, err = time.Parse(time.RFC3339, when); err != nil {
					return fmt.Errorf("--time must be RFC 3339, e.g. 2026-11-28T09:30:00+08:00: %w", err)
				}
			}
			kr, err := keyring.Open(keyring.Dir(conn.home))
			if err != nil {
				return err
			}
			pw, err := keyring.ReadPassphrase(cmd.Context(), pass.source("Passphrase of "+from+": ", false))
			if err != nil {
				return err
			}
			key, err := kr.Signer(from, pw)
			if err != nil {
				return err
			}
			c, err := conn.client()
			if err != nil {
				return err
			}
			msg := &tlv1.Msg{Sum: &tlv1.Msg_RecordEvent{RecordEvent: &tlv1.RecordEvent{
				Subject: subject, EventType: typ, EventTimeMs: t.UnixMilli(), PayloadSha256: sum, Note: note}}}
			res, err := c.Submit(cmd.Context(), client.Signer{Key: key}, msg)
			if idx, ok := client.AlreadyRecorded(err); ok {
				// A retry of a recorded event: the ledger refused to record
				// it twice and named the record (docs/ERRORS.md, code 16).
				return out.print(cmd.OutOrStdout(), map[string]any{"already_recorded": true, "log_indexes": []uint64{idx}}, func(w io.Writer) {
					fmt.Fprintf(w, "already recorded at log index %d (not recorded again)\n", idx)
				})
			}
			if err != nil {
				return err
			}
			view := map[string]any{"tx_hash": fmt.Sprintf("%X", res.Hash), "height": res.Height, "log_indexes": res.Indexes, "already_recorded": false}
			return out.print(cmd.OutOrStdout(), view, func(w io.Writer) {
				fmt.Fprintf(w, "committed: tx %X at height %d, log index %v\n", res.Hash, res.Height, res.Indexes)
			})
		},
	}
	conn.add(cmd)
	pass.add(cmd)
	out.add(cmd)
	cmd.Flags().StringVar(&from, "from", "", "name of the signing key in the keyring (required)")
	cmd.Flags().StringVar(&subject, "subject", "", "product, lot or item identifier, a URI (required)")
	cmd.Flags().StringVar(&typ, "type", "", "event type, e.g. harvest, shipping, receiving (required)")
	cmd.Flags().StringVar(&when, "time", "", "event time, RFC 3339 (default now)")
	cmd.Flags().StringVar(&payloadFile, "payload", "", "business payload file to hash (stays local)")
	cmd.Flags().StringVar(&payloadHash, "payload-sha256", "", "SHA-256 of the payload, hex")
	cmd.Flags().StringVar(&note, "note", "", "optional public note (at most 256 bytes)")
	for _, f := range []string{"from", "subject", "type"} {
		cmd.MarkFlagRequired(f)
	}
	return cmd
}
