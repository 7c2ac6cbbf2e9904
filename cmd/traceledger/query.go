// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/traceledger/traceledger/client"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

func newQueryCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "query",
		Short: "Read records and state; every answer is verified before it is shown",
		Long: `query asks a node and verifies the answer: Merkle proofs up to the app hash,
and the app hash against the next block header, which CometBFT's light client
checks from the genesis validator set (--genesis). Only verified answers are
printed; anything that fails verification is an error (exit code 2).`,
	}
	cmd.AddCommand(newQueryStatusCmd(), newQueryRecordCmd(), newQueryHistoryCmd())
	cmd.AddCommand(newQueryParticipantsCmd(), newQueryParticipantCmd(), newQueryProposalsCmd(), newQueryProposalCmd(), newQueryValidatorsCmd())
	cmd.AddCommand(newQueryAttestationCmd(), newQueryCreditCmd())
	return cmd
}

// notVerified marks verification failures with exit code 2.
func notVerified(err error) error {
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	return nil
}

type recordView struct {
	Index     uint64 `json:"index"`
	LeafHash  string `json:"leaf_hash"`
	Height    int64  `json:"height"`
	Time      string `json:"time"`
	Signer    string `json:"signer"`
	SignerKey string `json:"signer_key,omitempty"`
	Kind      string `json:"kind"`
	Subject   string `json:"subject,omitempty"`
	EventType string `json:"event_type,omitempty"`
	EventTime string `json:"event_time,omitempty"`
	Payload   string `json:"payload_sha256,omitempty"`
	Note      string `json:"note,omitempty"`
	Verified  bool   `json:"verified"`
}

func viewRecord(r *client.VerifiedRecord) recordView {
	v := recordView{Index: r.Index, LeafHash: hex.EncodeToString(r.LeafHash[:]), Height: r.Record.Height,
		Time: time.UnixMilli(r.Record.TimeMs).UTC().Format(time.RFC3339), Signer: r.Record.Signer, SignerKey: r.Record.SignerKey, Verified: true}
	switch b := r.Record.Body.(type) {
	case *tlv1.Record_Event:
		v.Kind, v.Subject, v.EventType = "event", b.Event.Subject, b.Event.EventType
		v.EventTime = time.UnixMilli(b.Event.EventTimeMs).UTC().Format(time.RFC3339)
		v.Payload, v.Note = hex.EncodeToString(b.Event.PayloadSha256), b.Event.Note
	case *tlv1.Record_ParticipantRegistered:
		v.Kind, v.Subject = "participant_registered", b.ParticipantRegistered.Id
	case *tlv1.Record_Governance:
		v.Kind, v.Subject, v.Note = describeGovernanceRecord(b.Governance)
	}
	return v
}

func printRecord(w io.Writer, v recordView) {
	switch v.Kind {
	case "event":
		fmt.Fprintf(w, "#%-6d %s  %-10s %-22s %s  payload %s  %s  VERIFIED\n", v.Index, v.EventTime, v.Signer, v.EventType, v.Subject, v.Payload[:16], v.Note)
	default:
		fmt.Fprintf(w, "#%-6d %s  %-10s %-22s %s  %sVERIFIED\n", v.Index, v.Time, v.Signer, v.Kind, v.Subject, noteSuffix(v.Note))
	}
}

func provenLine(w io.Writer, p client.Proven) {
	fmt.Fprintf(w, "verified at state height %d against header %d (app hash %X, %d signatures)\n",
		p.Height, p.Header.Height, p.Header.AppHash, len(p.Header.Commit.Signatures))
}

func newQueryStatusCmd() *cobra.Command {
	var conn connFlags
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the chain's committed log size, roots and map size",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.check(); err != nil {
				return err
			}
			c, err := conn.client()
			if err != nil {
				return err
			}
			st, p, err := c.Status(cmd.Context())
			if err != nil {
				return notVerified(err)
			}
			view := map[string]any{"chain_id": st.ChainID, "height": st.Roots.Height, "log_size": st.Roots.LogSize,
				"log_root": hex.EncodeToString(st.Roots.LogRoot), "map_root": hex.EncodeToString(st.Roots.MapRoot), "map_size": st.MapSize,
				"header_height": p.Header.Height, "app_hash": p.Header.AppHash.String(), "verified": true}
			return out.print(cmd.OutOrStdout(), view, func(w io.Writer) {
				fmt.Fprintf(w, "chain %s at height %d: %d records in the log, %d keys in the map\n", st.ChainID, st.Roots.Height, st.Roots.LogSize, st.MapSize)
				provenLine(w, p)
			})
		},
	}
	conn.add(cmd)
	out.add(cmd)
	return cmd
}

func newQueryRecordCmd() *cobra.Command {
	var conn connFlags
	var out outputFlag
	var byHash bool
	cmd := &cobra.Command{
		Use:   "record INDEX|LEAF_HASH",
		Short: "Show one log record by index (or by leaf hash with --hash), with its inclusion proof verified",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.check(); err != nil {
				return err
			}
			c, err := conn.client()
			if err != nil {
				return err
			}
			var r *client.VerifiedRecord
			var p client.Proven
			if byHash {
				h, herr := hex.DecodeString(args[0])
				if herr != nil || len(h) != 32 {
					return fmt.Errorf("leaf hash must be 64 hex digits")
				}
				r, p, err = c.RecordByHash(cmd.Context(), h)
			} else {
				i, perr := strconv.ParseUint(args[0], 10, 64)
				if perr != nil {
					return fmt.Errorf("INDEX must be a log index (a number), or pass --hash: %w", perr)
				}
				r, p, err = c.Record(cmd.Context(), i)
			}
			if err != nil {
				return notVerified(err)
			}
			v := viewRecord(r)
			return out.print(cmd.OutOrStdout(), map[string]any{"record": v, "state_height": p.Height, "header_height": p.Header.Height}, func(w io.Writer) {
				printRecord(w, v)
				provenLine(w, p)
			})
		},
	}
	conn.add(cmd)
	out.add(cmd)
	cmd.Flags().BoolVar(&byHash, "hash", false, "the argument is a record's leaf hash (hex)")
	return cmd
}

func newQueryHistoryCmd() *cobra.Command {
	var conn connFlags
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "history SUBJECT",
		Short: "Show the complete, verified history of a product, lot or item",
		Long: `history prints every record of SUBJECT in log order. Completeness is proven:
the subject's head in the authenticated map gives the count and chain hash, and
the records must rehash to it. An unknown subject is proven absent.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.check(); err != nil {
				return err
			}
			c, err := conn.client()
			if err != nil {
				return err
			}
			h, p, err := c.History(cmd.Context(), args[0])
			if err != nil {
				return notVerified(err)
			}
			views := make([]recordView, 0, len(h.Records))
			for _, r := range h.Records {
				views = append(views, viewRecord(r))
			}
			return out.print(cmd.OutOrStdout(), map[string]any{"subject": args[0], "absent": h.Head == nil, "records": views, "state_height": p.Height, "header_height": p.Header.Height, "verified": true}, func(w io.Writer) {
				if h.Head == nil {
					fmt.Fprintf(w, "%s has no records (absence proven)\n", args[0])
				} else {
					fmt.Fprintf(w, "%s: %d records, complete (chain hash %X)\n", args[0], h.Head.Count, h.Head.ChainHash)
				}
				for _, v := range views {
					printRecord(w, v)
				}
				provenLine(w, p)
			})
		},
	}
	conn.add(cmd)
	out.add(cmd)
	return cmd
}
