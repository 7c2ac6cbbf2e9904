// SPDX-License-Identifier: Apache-2.0

package main

// Governance queries: `query participants|participant|proposals|proposal|validators`.

import (
	"encoding/base64"
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/traceledger/traceledger/client"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

func newQueryParticipantsCmd() *cobra.Command {
	var (
		conn                      connFlags
		out                       outputFlag
		role, dept, status, after string
		limit                     uint32
	)
	cmd := &cobra.Command{
		Use:   "participants",
		Short: "List participants (each entry verified), filtered by role, department and status",
		Args:  cobra.NoArgs,
		RunE: out.run(func(cmd *cobra.Command, _ []string) error {
			r, err := roles.filter("--role", role)
			if err != nil {
				return err
			}
			st, err := participantStatuses.filter("--status", status)
			if err != nil {
				return err
			}
			c, err := conn.client()
			if err != nil {
				return err
			}
			list, next, p, err := c.Participants(cmd.Context(), &tlv1.ParticipantsRequest{Role: r, Department: dept, Status: st, After: after, Limit: limit})
			if err != nil {
				return err
			}
			views := make([]participantView, 0, len(list))
			for _, x := range list {
				views = append(views, viewParticipant(x))
			}
			return out.print(cmd.OutOrStdout(), map[string]any{"participants": views, "next_after": next, "state_height": p.Height, "verified": true}, func(w io.Writer) {
				fmt.Fprintf(w, "%-16s %-10s %-10s %-9s %-18s %s\n", "ID", "ROLE", "DEPT", "STATUS", "CREDIT CODE", "NAME")
				for _, v := range views {
					printParticipantLine(w, v)
				}
				if next != "" {
					fmt.Fprintf(w, "more: --after %s\n", next)
				}
				provenLine(w, p)
			})
		}),
	}
	conn.add(cmd)
	out.add(cmd)
	cmd.Flags().StringVar(&role, "role", "", roles.list())
	cmd.Flags().StringVar(&dept, "department", "", "supervising department (as registered)")
	cmd.Flags().StringVar(&status, "status", "", participantStatuses.list())
	cmd.Flags().StringVar(&after, "after", "", "list ids after this one (paging)")
	cmd.Flags().Uint32Var(&limit, "limit", 0, "at most this many (default and maximum 500)")
	return cmd
}

func newQueryParticipantCmd() *cobra.Command {
	var q queryFlags
	cmd := &cobra.Command{
		Use:   "participant ID",
		Short: "Show a participant with its keys (and a department's validator), verified",
		Args:  cobra.ExactArgs(1),
		RunE: q.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			info, p, err := c.ParticipantDetails(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if info.Participant == nil {
				if err := q.out.print(cmd.OutOrStdout(), map[string]any{"id": args[0], "absent": true, "state_height": p.Height, "verified": true}, func(w io.Writer) {
					fmt.Fprintf(w, "%s is not registered (absence proven)\n", args[0])
					provenLine(w, p)
				}); err != nil {
					return err
				}
				return negative("participant %s is not registered (absence proven at state height %d)", args[0], p.Height)
			}
			v := viewParticipant(info.Participant)
			for _, k := range info.Keys {
				v.KeyDetails = append(v.KeyDetails, map[string]any{"key_id": k.Id, "public_key": base64.StdEncoding.EncodeToString(k.PublicKey),
					"sequence": k.Sequence, "added_height": k.AddedHeight})
			}
			if d := info.Department; d != nil {
				v.Validator = map[string]any{"pub_key": base64.StdEncoding.EncodeToString(d.ValidatorPubKey), "power": d.Power,
					"status": departmentStatuses.name(d.Status), "joined_height": d.JoinedHeight}
			}
			return q.out.print(cmd.OutOrStdout(), map[string]any{"participant": v, "state_height": p.Height, "verified": true}, func(w io.Writer) {
				fmt.Fprintf(w, "%s (%s): %s supervised by %s, %s", v.ID, v.Name, v.Role, v.Department, v.Status)
				if v.StatusReason != "" {
					fmt.Fprintf(w, " (%s)", v.StatusReason)
				}
				fmt.Fprintln(w)
				if v.CreditCode != "" {
					fmt.Fprintf(w, "  credit code %s\n", v.CreditCode)
				}
				if v.DivisionCode != "" {
					fmt.Fprintf(w, "  division %s\n", v.DivisionCode)
				}
				fmt.Fprintf(w, "  registered at height %d\n", v.Registered)
				for _, k := range v.KeyDetails {
					fmt.Fprintf(w, "  key %s  %s  sequence %d\n", k["key_id"], k["public_key"], k["sequence"])
				}
				for _, l := range v.Licences {
					fmt.Fprintf(w, "  licence %s %s valid %s to %s\n", l["type"], l["number"], l["valid_from"], l["valid_until"])
				}
				if a := v.Accreditation; a != nil {
					fmt.Fprintf(w, "  accreditation %s %v %s, valid %s to %s (proposal %d)\n", a["number"], a["schemes"], a["status"], a["valid_from"], a["valid_until"], a["proposal_id"])
				}
				if d := v.Validator; d != nil {
					fmt.Fprintf(w, "  validator %s power %d (%s)\n", d["pub_key"], d["power"], d["status"])
				}
				provenLine(w, p)
			})
		}),
	}
	q.add(cmd)
	return cmd
}

func newQueryProposalsCmd() *cobra.Command {
	var (
		conn             connFlags
		out              outputFlag
		status, proposer string
		after            uint64
		limit            uint32
	)
	cmd := &cobra.Command{
		Use:   "proposals",
		Short: "List proposals (verified), filtered by status and proposer",
		Args:  cobra.NoArgs,
		RunE: out.run(func(cmd *cobra.Command, _ []string) error {
			st, err := proposalStatuses.filter("--status", status)
			if err != nil {
				return err
			}
			c, err := conn.client()
			if err != nil {
				return err
			}
			list, next, p, err := c.Proposals(cmd.Context(), &tlv1.ProposalsRequest{Status: st, Proposer: proposer, AfterId: after, Limit: limit})
			if err != nil {
				return err
			}
			views := make([]proposalView, 0, len(list))
			for _, x := range list {
				views = append(views, viewProposal(x))
			}
			return out.print(cmd.OutOrStdout(), map[string]any{"proposals": views, "next_after_id": next, "state_height": p.Height, "verified": true}, func(w io.Writer) {
				for _, v := range views {
					printProposalLine(w, v)
				}
				if len(views) == 0 {
					fmt.Fprintln(w, "no proposal matches")
				}
				if next != 0 {
					fmt.Fprintf(w, "more: --after %d\n", next)
				}
				provenLine(w, p)
			})
		}),
	}
	conn.add(cmd)
	out.add(cmd)
	cmd.Flags().StringVar(&status, "status", "", proposalStatuses.list())
	cmd.Flags().StringVar(&proposer, "proposer", "", "proposing department")
	cmd.Flags().Uint64Var(&after, "after", 0, "list ids after this one (paging)")
	cmd.Flags().Uint32Var(&limit, "limit", 0, "at most this many (default and maximum 500)")
	return cmd
}

func newQueryProposalCmd() *cobra.Command {
	var conn connFlags
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "proposal ID",
		Short: "Show a proposal with every department's vote (or proven absence of one)",
		Args:  cobra.ExactArgs(1),
		RunE: out.run(func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil || id == 0 {
				return fmt.Errorf("ID must be a proposal number, got %q", args[0])
			}
			c, err := conn.client()
			if err != nil {
				return err
			}
			info, p, err := c.Proposal(cmd.Context(), id)
			if err != nil {
				return err
			}
			if info.Proposal == nil {
				if err := out.print(cmd.OutOrStdout(), map[string]any{"id": id, "absent": true, "state_height": p.Height, "verified": true}, func(w io.Writer) {
					fmt.Fprintf(w, "proposal %d does not exist (absence proven)\n", id)
					provenLine(w, p)
				}); err != nil {
					return err
				}
				return negative("proposal %d does not exist (absence proven at state height %d)", id, p.Height)
			}
			v := viewProposal(info.Proposal)
			v.Votes = map[string]string{}
			for i, d := range info.Proposal.Electorate {
				if vv := info.Votes[i]; vv != nil {
					v.Votes[d] = voteOptions.name(vv.Option)
				} else {
					v.Votes[d] = "none"
				}
			}
			return out.print(cmd.OutOrStdout(), map[string]any{"proposal": v, "state_height": p.Height, "verified": true}, func(w io.Writer) {
				fmt.Fprintf(w, "proposal %d: %s\n  %s\n  proposed by %s at height %d, deadline %d\n  %s: %d yes (%d needed%s), %d no\n",
					v.ID, v.Title, v.Change, v.Proposer, v.Submitted, v.Deadline, v.Status, v.Yes, v.RequiredYes,
					map[bool]string{true: ", unanimous", false: ""}[v.Unanimous], v.No)
				if v.Result != "" {
					fmt.Fprintf(w, "  %s\n", v.Result)
				}
				for _, d := range info.Proposal.Electorate {
					fmt.Fprintf(w, "  %-12s %s\n", d, v.Votes[d])
				}
				provenLine(w, p)
			})
		}),
	}
	conn.add(cmd)
	out.add(cmd)
	return cmd
}

func newQueryValidatorsCmd() *cobra.Command {
	var q queryFlags
	cmd := &cobra.Command{
		Use:   "validators",
		Short: "List the active departments with their validator keys and powers, and the quorum (complete, verified)",
		Args:  cobra.NoArgs,
		RunE: q.run(func(cmd *cobra.Command, _ []string, c *client.Client) error {
			vs, p, err := c.Validators(cmd.Context())
			if err != nil {
				return err
			}
			type row struct {
				Department string `json:"department"`
				PubKey     string `json:"pub_key"`
				Power      int64  `json:"power"`
				Joined     int64  `json:"joined_height"`
			}
			rows := make([]row, 0, len(vs.Departments))
			for _, d := range vs.Departments {
				rows = append(rows, row{d.Id, base64.StdEncoding.EncodeToString(d.ValidatorPubKey), d.Power, d.JoinedHeight})
			}
			view := map[string]any{"validators": rows, "total_power": vs.TotalPower(), "quorum_numerator": vs.QuorumNumerator,
				"quorum_denominator": vs.QuorumDenominator, "state_height": p.Height, "verified": true}
			return q.out.print(cmd.OutOrStdout(), view, func(w io.Writer) {
				for _, r := range rows {
					fmt.Fprintf(w, "%-12s power %-6d %s\n", r.Department, r.Power, r.PubKey)
				}
				fmt.Fprintf(w, "%d departments, total power %d, quorum more than %d/%d of the departments\n", len(rows), vs.TotalPower(), vs.QuorumNumerator, vs.QuorumDenominator)
				provenLine(w, p)
			})
		}),
	}
	q.add(cmd)
	return cmd
}
