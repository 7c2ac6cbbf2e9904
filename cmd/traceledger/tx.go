// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/cometbft/cometbft/types"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/genesis"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// connFlags are what every command that talks to a node needs.
type connFlags struct {
	home, node, genesis string
	maxAge              time.Duration
	flags               *pflag.FlagSet
}

func (c *connFlags) add(cmd *cobra.Command) {
	addHomeFlag(cmd, &c.home)
	cmd.Flags().StringVar(&c.node, "node", "", "CometBFT RPC address of a node, http://HOST:PORT (default: the rpc.laddr of --home's config/config.toml when it has one, else "+defaultNodeURL+")")
	cmd.Flags().StringVar(&c.genesis, "genesis", "", "genesis file, the trust root for verification (default <home>/config/genesis.json)")
	addMaxAgeFlag(cmd, &c.maxAge)
	c.flags = cmd.Flags()
}

// addMaxAgeFlag adds --max-age, the freshness bound of latest answers.
func addMaxAgeFlag(cmd *cobra.Command, d *time.Duration) {
	cmd.Flags().DurationVar(d, "max-age", client.DefaultMaxAnswerAge, "refuse a latest answer whose verified header is older than this (a lagging, halted or replaying node); 0 accepts any age")
}

// newClient connects to nodeURL (witnesses after it) trusting doc, with
// the freshness bound maxAge (0: none).
func newClient(nodeURL string, doc *types.GenesisDoc, maxAge time.Duration, witnesses ...string) (*client.Client, error) {
	c, err := client.New(nodeURL, doc, witnesses...)
	if err != nil {
		return nil, err
	}
	if maxAge == 0 {
		maxAge = -1
	}
	c.SetMaxAnswerAge(maxAge)
	return c, nil
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
	return newClient(u, doc, c.maxAge)
}

// queryFlags are the flags of a command that asks a node and prints the
// verified answer.
type queryFlags struct {
	conn connFlags
	out  outputFlag
}

// add adds the connection flags and -o/--output (text, json and extra).
func (q *queryFlags) add(cmd *cobra.Command, extra ...string) {
	q.conn.add(cmd)
	q.out.add(cmd, extra...)
}

// run is the RunE that checks the output format, makes the client of the
// node (which verifies against the genesis), then runs body with it.
func (q *queryFlags) run(body func(cmd *cobra.Command, args []string, c *client.Client) error) runFunc {
	return q.out.run(func(cmd *cobra.Command, args []string) error {
		c, err := q.conn.client()
		if err != nil {
			return err
		}
		return body(cmd, args, c)
	})
}

func newTxCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tx",
		Short: "Sign and submit transactions",
	}
	cmd.AddCommand(newTxRecordCmd())
	cmd.AddCommand(newTxDeptCmd(), newTxParticipantCmd())
	cmd.AddCommand(newTxAttestCmd(), newTxRecallCmd(), newTxCreditCmd())
	cmd.AddCommand(newTxDisclosureCmd())
	return cmd
}

func newTxRecordCmd() *cobra.Command {
	var (
		tx                       txFlags
		subject, typ, when, note string
		payload                  hashFlag
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
		RunE: tx.out.run(func(cmd *cobra.Command, _ []string) error {
			sum, err := payload.required()
			if err != nil {
				return err
			}
			if _, err := client.CanonicalSubject(subject); err != nil {
				return fmt.Errorf("--subject: %w", err)
			}
			t := time.Now()
			if when != "" {
				if t, err = time.Parse(time.RFC3339, when); err != nil {
					return fmt.Errorf("--time must be RFC 3339, e.g. 2026-11-28T09:30:00+08:00: %w", err)
				}
			}
			c, key, err := tx.signer(cmd.Context())
			if err != nil {
				return err
			}
			msg := &tlv1.Msg{Sum: &tlv1.Msg_RecordEvent{RecordEvent: &tlv1.RecordEvent{
				Subject: subject, EventType: typ, EventTimeMs: t.UnixMilli(), PayloadSha256: sum, Note: note}}}
			res, err := c.Submit(cmd.Context(), key, msg)
			if idx, ok := client.AlreadyRecorded(err); ok {
				// A retry of a recorded event: the ledger refused to record
				// it twice and named the record (docs/ERRORS.md, code 16).
				return tx.out.print(cmd.OutOrStdout(), map[string]any{"already_recorded": true, "log_indexes": []uint64{idx}}, func(w io.Writer) {
					fmt.Fprintf(w, "already recorded at log index %d (not recorded again)\n", idx)
				})
			}
			if err != nil {
				return err
			}
			return tx.committed(cmd, res, map[string]any{"already_recorded": false}, "")
		}),
	}
	tx.add(cmd, "name of the signing key in the keyring")
	cmd.Flags().StringVar(&subject, "subject", "", "product, lot or item identifier, a URI (required)")
	cmd.Flags().StringVar(&typ, "type", "", "event type, e.g. harvest, shipping, receiving (required)")
	cmd.Flags().StringVar(&when, "time", "", "event time, RFC 3339 (default now)")
	payload.add(cmd, "payload", "business payload file to hash (stays local)", "SHA-256 of the payload, hex")
	cmd.Flags().StringVar(&note, "note", "", "optional public note (at most 256 bytes)")
	for _, f := range []string{"subject", "type"} {
		cmd.MarkFlagRequired(f)
	}
	return cmd
}
