// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/cometbft/cometbft/types"
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
printed; anything that fails verification is an error (exit code 2). A
verified negative answer (not found, absence proven, NOT valid) is printed and
exits 4; a node that cannot be reached exits 3 ('traceledger --help' lists the
exit codes).`,
	}
	cmd.AddCommand(newQueryStatusCmd(), newQueryRecordCmd(), newQueryHistoryCmd())
	cmd.AddCommand(newQueryParticipantsCmd(), newQueryParticipantCmd(), newQueryProposalsCmd(), newQueryProposalCmd(), newQueryValidatorsCmd())
	cmd.AddCommand(newQueryAttestationCmd(), newQueryCreditCmd())
	cmd.AddCommand(newQueryEncryptionKeysCmd(), newQueryDisclosureRequestsCmd(), newQueryDisclosuresCmd())
	cmd.AddCommand(newQueryUpgradeCmd()) // cmd/traceledger/upgrade.go
	return cmd
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
		Time: time.UnixMilli(r.Record.TimeMs).UTC().Format(time.RFC3339), Signer: r.Record.Signer, SignerKey: r.Record.SignerKey, Verified: true,
		Kind: tlv1.KindOf(r.Record).String()}
	switch b := r.Record.Body.(type) {
	case *tlv1.Record_Event:
		v.Subject, v.EventType = b.Event.Subject, b.Event.EventType
		v.EventTime = time.UnixMilli(b.Event.EventTimeMs).UTC().Format(time.RFC3339)
		v.Payload, v.Note = hex.EncodeToString(b.Event.PayloadSha256), b.Event.Note
	case *tlv1.Record_ParticipantRegistered:
		v.Subject = b.ParticipantRegistered.Id
	case *tlv1.Record_Governance:
		_, v.Subject, v.Note = describeGovernanceRecord(b.Governance)
	case *tlv1.Record_Epcis:
		v.Subject, v.Note = strings.Join(b.Epcis.Subjects, " "), "event hash id "+b.Epcis.HashId
	case *tlv1.Record_Anchor:
		v.Subject = b.Anchor.GetAnchor().GetSource()
	case *tlv1.Record_Attestation:
		v.Subject = b.Attestation.AttestationId
		if b.Attestation.Issued == nil {
			v.Note = fmt.Sprintf("%s -> %s: %s", attestationStatuses.name(b.Attestation.From), attestationStatuses.name(b.Attestation.To), b.Attestation.Reason)
		}
	case *tlv1.Record_Credit:
		if rc := b.Credit.GetRecall(); rc != nil {
			v.Subject, v.Note = rc.GetBody().GetId(), rc.GetBody().GetReason()
		}
	case *tlv1.Record_Disclosure:
		v.Subject, v.Note = describeDisclosureRecord(b.Disclosure)
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
	signed, total := commitSignatures(p.Header)
	fmt.Fprintf(w, "verified at state height %d against header %d of %s (app hash %X, signed by %d of %d validators)\n",
		p.Height, p.Header.Height, p.Header.Time.UTC().Format(time.RFC3339), p.Header.AppHash, signed, total)
}

// commitSignatures counts the validators whose signature for the block is
// in h's commit, and the validators the commit lists (absent ones included).
func commitSignatures(h *types.SignedHeader) (signed, total int) {
	if h == nil || h.Commit == nil {
		return 0, 0
	}
	for _, s := range h.Commit.Signatures {
		if s.BlockIDFlag == types.BlockIDFlagCommit {
			signed++
		}
	}
	return signed, len(h.Commit.Signatures)
}

func newQueryStatusCmd() *cobra.Command {
	var q queryFlags
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the chain's committed log size, roots and map size",
		Args:  cobra.NoArgs,
		RunE: q.run(func(cmd *cobra.Command, _ []string, c *client.Client) error {
			st, p, err := c.Status(cmd.Context())
			if err != nil {
				return err
			}
			view := map[string]any{"chain_id": st.ChainID, "height": st.Roots.Height, "log_size": st.Roots.LogSize,
				"log_root": hex.EncodeToString(st.Roots.LogRoot), "map_root": hex.EncodeToString(st.Roots.MapRoot), "map_size_unproven": st.MapSize,
				"header_height": p.Header.Height, "header_time": p.Header.Time.UTC().Format(time.RFC3339Nano), "app_hash": p.Header.AppHash.String(), "verified": true}
			return q.out.print(cmd.OutOrStdout(), view, func(w io.Writer) {
				fmt.Fprintf(w, "chain %s at height %d: %d records in the log (verified); the node counts %d keys in the map (not proven)\n", st.ChainID, st.Roots.Height, st.Roots.LogSize, st.MapSize)
				provenLine(w, p)
			})
		}),
	}
	q.add(cmd)
	return cmd
}

func newQueryRecordCmd() *cobra.Command {
	var q queryFlags
	var byHash bool
	cmd := &cobra.Command{
		Use:   "record INDEX|LEAF_HASH",
		Short: "Show one log record by index (or by leaf hash with --hash), with its inclusion proof verified",
		Args:  cobra.ExactArgs(1),
		RunE: q.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			var (
				r   *client.VerifiedRecord
				p   client.Proven
				err error
			)
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
				return err
			}
			v := viewRecord(r)
			return q.out.print(cmd.OutOrStdout(), map[string]any{"record": v, "state_height": p.Height, "header_height": p.Header.Height, "header_time": p.Header.Time.UTC().Format(time.RFC3339Nano)}, func(w io.Writer) {
				printRecord(w, v)
				provenLine(w, p)
			})
		}),
	}
	q.add(cmd)
	cmd.Flags().BoolVar(&byHash, "hash", false, "the argument is a record's leaf hash (hex)")
	return cmd
}

func newQueryHistoryCmd() *cobra.Command {
	var q queryFlags
	var offset uint64
	var limit uint32
	cmd := &cobra.Command{
		Use:   "history SUBJECT",
		Short: "Show the complete, verified history of a product, lot or item, or one page of it",
		Long: `history prints every record of SUBJECT in log order. Completeness is proven:
the subject's head in the authenticated map gives the count and chain hash, and
the records must rehash to it. A long history is read in pages of ` + strconv.Itoa(tlv1.MaxHistoryPage) + `
records and shown whole. An unknown subject is proven absent (exit code 4).

--limit N (at most ` + strconv.Itoa(tlv1.MaxHistoryPage) + `) shows one page: the newest N records, or with
--offset P the records at positions P to P+N-1 (0 is the oldest). A page is
proven to be exactly those positions of the complete history: the chain value
before it and the leaf hashes of the records after it must rehash to the head
(docs/PROOFS.md, "Paged histories"). A page may end at most ` + strconv.Itoa(tlv1.MaxHistorySuffix) + ` records
before the newest.`,
		Args: cobra.ExactArgs(1),
		RunE: q.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			paged := cmd.Flags().Changed("offset") || cmd.Flags().Changed("limit")
			if !paged {
				return showHistory(cmd, q, c, args[0])
			}
			if limit == 0 {
				limit = tlv1.MaxHistoryPage
			}
			var pg *client.VerifiedPage
			var p client.Proven
			var err error
			if cmd.Flags().Changed("offset") {
				pg, p, err = c.HistoryPage(cmd.Context(), args[0], offset, limit)
			} else {
				pg, p, err = c.NewestHistoryPage(cmd.Context(), args[0], limit)
			}
			if err != nil {
				return err
			}
			return showHistoryPage(cmd, q, args[0], pg, p, limit)
		}),
	}
	q.add(cmd)
	cmd.Flags().Uint64Var(&offset, "offset", 0, "show the page starting at this position (0 is the oldest record); without it, --limit shows the newest records")
	cmd.Flags().Uint32Var(&limit, "limit", 0, fmt.Sprintf("show one page of at most this many records (1 to %d; 0 with --offset: %d)", tlv1.MaxHistoryPage, tlv1.MaxHistoryPage))
	return cmd
}

// showHistory prints a whole verified history.
func showHistory(cmd *cobra.Command, q queryFlags, c *client.Client, asked string) error {
	h, p, err := c.History(cmd.Context(), asked)
	if err != nil {
		return err
	}
	views := make([]recordView, 0, len(h.Records))
	for _, r := range h.Records {
		views = append(views, viewRecord(r))
	}
	err = q.out.print(cmd.OutOrStdout(), map[string]any{"subject": h.Subject, "asked": asked, "absent": h.Head == nil, "records": views, "state_height": p.Height, "header_height": p.Header.Height, "header_time": p.Header.Time.UTC().Format(time.RFC3339Nano), "verified": true}, func(w io.Writer) {
		if h.Subject != asked {
			fmt.Fprintf(w, "%s files under %s\n", asked, h.Subject)
		}
		if h.Head == nil {
			fmt.Fprintf(w, "%s has no records (absence proven)\n", h.Subject)
		} else {
			fmt.Fprintf(w, "%s: %d records, complete (chain hash %X)\n", h.Subject, h.Head.Count, h.Head.ChainHash)
		}
		for _, v := range views {
			printRecord(w, v)
		}
		provenLine(w, p)
	})
	if err == nil && h.Head == nil {
		return negative("%s has no records (absence proven at state height %d)", asked, p.Height)
	}
	return err
}

// showHistoryPage prints one verified page of a history.
func showHistoryPage(cmd *cobra.Command, q queryFlags, asked string, pg *client.VerifiedPage, p client.Proven, limit uint32) error {
	views := make([]recordView, 0, len(pg.Records))
	for _, r := range pg.Records {
		views = append(views, viewRecord(r))
	}
	var count uint64
	if pg.Head != nil {
		count = pg.Head.Count
	}
	out := map[string]any{"subject": pg.Subject, "asked": asked, "absent": pg.Head == nil, "offset": pg.Offset, "count": count,
		"records": views, "state_height": p.Height, "header_height": p.Header.Height, "header_time": p.Header.Time.UTC().Format(time.RFC3339Nano), "verified": true}
	err := q.out.print(cmd.OutOrStdout(), out, func(w io.Writer) {
		if pg.Subject != asked {
			fmt.Fprintf(w, "%s files under %s\n", asked, pg.Subject)
		}
		switch {
		case pg.Head == nil:
			fmt.Fprintf(w, "%s has no records (absence proven)\n", pg.Subject)
		case len(pg.Records) == 0:
			fmt.Fprintf(w, "%s: no records at positions from %d of %d (chain hash %X)\n", pg.Subject, pg.Offset, count, pg.Head.ChainHash)
		default:
			fmt.Fprintf(w, "%s: records %d to %d of %d (positions from 0, the oldest), proven against the head (chain hash %X)\n",
				pg.Subject, pg.Offset, pg.End()-1, count, pg.Head.ChainHash)
		}
		for _, v := range views {
			printRecord(w, v)
		}
		if pg.Offset > 0 {
			fmt.Fprintf(w, "older: --offset %d --limit %d\n", pg.Offset-min(pg.Offset, uint64(limit)), min(pg.Offset, uint64(limit)))
		}
		if !pg.Newest() {
			fmt.Fprintf(w, "newer: --offset %d --limit %d\n", pg.End(), limit)
		}
		provenLine(w, p)
	})
	if err == nil && pg.Head == nil {
		return negative("%s has no records (absence proven at state height %d)", asked, p.Height)
	}
	return err
}
