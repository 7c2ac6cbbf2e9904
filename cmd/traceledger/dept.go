// SPDX-License-Identifier: Apache-2.0

package main

// Department governance commands: `tx dept propose KIND` and `tx dept
// vote`. The rules are in docs/GOVERNANCE.md.

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

func newTxDeptCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dept",
		Short: "Department governance: propose network-wide changes and vote on them",
		Long: `Network-wide changes (departments and their validators, the quorum, certifier
accreditation) take a proposal that a quorum of departments approves. Any
department admin key may propose; each department votes once. A proposal
passes when its yes votes reach the quorum (more than 2/3 of the departments by
default), fails as soon as it can no longer reach it, expires at its deadline
height, and executes at the end of the block it passed in. See
docs/GOVERNANCE.md.`,
	}
	cmd.AddCommand(newDeptProposeCmd(), newDeptVoteCmd())
	return cmd
}

func newDeptProposeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "propose KIND",
		Short: "Submit a proposal (add-department, remove-department, set-power, set-quorum, accredit, ...)",
		Long: `propose submits a proposal signed with a department admin key and prints its id.
Submitting is not a vote: vote with 'traceledger tx dept vote ID yes'.

A change after which one department would hold 1/3 or more of the voting power
is refused unless --allow-power-concentration is given; such a proposal then
passes only if every department votes yes.`,
	}
	cmd.AddCommand(
		proposeCmd("add-department", "Admit a department and its validator", func(f *proposeFlags) {
			f.cmd.Flags().StringVar(&f.id, "id", "", "the new department's id (required)")
			f.cmd.Flags().StringVar(&f.name, "name", "", "its name (required)")
			f.cmd.Flags().StringVar(&f.validatorKey, "validator-key", "", "its validator's Ed25519 consensus public key, base64 (required)")
			f.cmd.Flags().Int64Var(&f.power, "power", 10, "its voting power")
			f.cmd.Flags().StringArrayVar(&f.adminKeys, "admin-key", nil, "an admin public key, base64 (repeatable; at least one)")
			f.cmd.Flags().StringVar(&f.division, "division", "", "6-digit administrative division code")
			for _, n := range []string{"id", "name", "validator-key", "admin-key"} {
				f.cmd.MarkFlagRequired(n)
			}
		}, func(f *proposeFlags) (*tlv1.ProposalChange, error) {
			vk, err := decodeKey("--validator-key", f.validatorKey)
			if err != nil {
				return nil, err
			}
			ad := &tlv1.AddDepartment{Id: f.id, Name: f.name, ValidatorPubKey: vk, Power: f.power, DivisionCode: f.division}
			for _, k := range f.adminKeys {
				b, err := decodeKey("--admin-key", k)
				if err != nil {
					return nil, err
				}
				ad.AdminKeys = append(ad.AdminKeys, b)
			}
			return &tlv1.ProposalChange{Change: &tlv1.ProposalChange_AddDepartment{AddDepartment: ad}}, nil
		}),
		proposeCmd("remove-department", "Remove a department; its validator's power becomes 0", func(f *proposeFlags) {
			f.cmd.Flags().StringVar(&f.id, "department", "", "the department to remove (required)")
			f.cmd.Flags().StringVar(&f.successor, "successor", "", "the department that takes over its participants (required)")
			f.cmd.MarkFlagRequired("department")
			f.cmd.MarkFlagRequired("successor")
		}, func(f *proposeFlags) (*tlv1.ProposalChange, error) {
			return &tlv1.ProposalChange{Change: &tlv1.ProposalChange_RemoveDepartment{RemoveDepartment: &tlv1.RemoveDepartment{Department: f.id, Successor: f.successor}}}, nil
		}),
		proposeCmd("set-power", "Change a department's validator voting power", func(f *proposeFlags) {
			f.cmd.Flags().StringVar(&f.id, "department", "", "the department (required)")
			f.cmd.Flags().Int64Var(&f.power, "power", 0, "the new voting power (required, positive)")
			f.cmd.MarkFlagRequired("department")
			f.cmd.MarkFlagRequired("power")
		}, func(f *proposeFlags) (*tlv1.ProposalChange, error) {
			return &tlv1.ProposalChange{Change: &tlv1.ProposalChange_SetValidatorPower{SetValidatorPower: &tlv1.SetValidatorPower{Department: f.id, Power: f.power}}}, nil
		}),
		proposeCmd("set-quorum", "Change the quorum of proposals submitted afterwards", func(f *proposeFlags) {
			f.cmd.Flags().Uint64Var(&f.num, "numerator", 0, "quorum numerator (required)")
			f.cmd.Flags().Uint64Var(&f.den, "denominator", 0, "quorum denominator (required)")
			f.cmd.MarkFlagRequired("numerator")
			f.cmd.MarkFlagRequired("denominator")
		}, func(f *proposeFlags) (*tlv1.ProposalChange, error) {
			return &tlv1.ProposalChange{Change: &tlv1.ProposalChange_SetQuorum{SetQuorum: &tlv1.SetQuorum{Numerator: f.num, Denominator: f.den}}}, nil
		}),
		proposeCmd("accredit", "Grant or renew a certifier's accreditation", func(f *proposeFlags) {
			f.cmd.Flags().StringVar(&f.id, "certifier", "", "the certifier's participant id (required)")
			f.cmd.Flags().StringArrayVar(&f.schemes, "scheme", nil, "a scheme it may certify (repeatable; at least one)")
			f.cmd.Flags().StringVar(&f.number, "number", "", "accreditation number (required)")
			f.cmd.Flags().StringVar(&f.from, "valid-from", "", "start of validity, 2026-01-02 or RFC 3339 (required)")
			f.cmd.Flags().StringVar(&f.until, "valid-until", "", "end of validity (required)")
			for _, n := range []string{"certifier", "scheme", "number", "valid-from", "valid-until"} {
				f.cmd.MarkFlagRequired(n)
			}
		}, func(f *proposeFlags) (*tlv1.ProposalChange, error) {
			from, err := parseDate("--valid-from", f.from)
			if err != nil {
				return nil, err
			}
			until, err := parseDate("--valid-until", f.until)
			if err != nil {
				return nil, err
			}
			return &tlv1.ProposalChange{Change: &tlv1.ProposalChange_AccreditCertifier{AccreditCertifier: &tlv1.AccreditCertifier{
				Certifier: f.id, Schemes: f.schemes, AccreditationNumber: f.number, ValidFromMs: from, ValidUntilMs: until}}}, nil
		}),
		proposeCmd("suspend-accreditation", "Suspend a certifier's active accreditation", func(f *proposeFlags) {
			f.cmd.Flags().StringVar(&f.id, "certifier", "", "the certifier (required)")
			f.cmd.Flags().StringVar(&f.reason, "reason", "", "public reason (required)")
			f.cmd.MarkFlagRequired("certifier")
			f.cmd.MarkFlagRequired("reason")
		}, func(f *proposeFlags) (*tlv1.ProposalChange, error) {
			return &tlv1.ProposalChange{Change: &tlv1.ProposalChange_SuspendAccreditation{SuspendAccreditation: &tlv1.SuspendAccreditation{Certifier: f.id, Reason: f.reason}}}, nil
		}),
		proposeCmd("withdraw-accreditation", "Withdraw a certifier's accreditation", func(f *proposeFlags) {
			f.cmd.Flags().StringVar(&f.id, "certifier", "", "the certifier (required)")
			f.cmd.Flags().StringVar(&f.reason, "reason", "", "public reason (required)")
			f.cmd.MarkFlagRequired("certifier")
			f.cmd.MarkFlagRequired("reason")
		}, func(f *proposeFlags) (*tlv1.ProposalChange, error) {
			return &tlv1.ProposalChange{Change: &tlv1.ProposalChange_WithdrawAccreditation{WithdrawAccreditation: &tlv1.WithdrawAccreditation{Certifier: f.id, Reason: f.reason}}}, nil
		}),
		proposeUpgradeCmd(), // cmd/traceledger/upgrade.go
	)
	return cmd
}

// proposeFlags hold every propose subcommand's flags.
type proposeFlags struct {
	cmd                              *cobra.Command
	tx                               txFlags
	title                            string
	deadline                         int64
	allow                            bool
	id, name, validatorKey, division string
	successor, number, from, until   string
	reason                           string
	power                            int64
	num, den                         uint64
	adminKeys, schemes               []string
}

func proposeCmd(kind, short string, flags func(*proposeFlags), change func(*proposeFlags) (*tlv1.ProposalChange, error)) *cobra.Command {
	f := &proposeFlags{}
	f.cmd = &cobra.Command{
		Use:   kind,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: f.tx.out.run(func(cmd *cobra.Command, _ []string) error {
			ch, err := change(f)
			if err != nil {
				return err
			}
			title := f.title
			if title == "" {
				title = kind
			}
			c, s, err := f.tx.signer(cmd.Context())
			if err != nil {
				return err
			}
			id, res, err := c.Propose(cmd.Context(), s, &tlv1.SubmitProposal{Title: title, DeadlineHeight: f.deadline, AllowPowerConcentration: f.allow, Change: ch})
			if err != nil {
				return err
			}
			return f.tx.committed(cmd, res, map[string]any{"proposal_id": id},
				fmt.Sprintf("proposal %d submitted: %s; vote with 'traceledger tx dept vote %d yes'", id, tlv1.DescribeChange(ch), id))
		}),
	}
	f.tx.add(f.cmd, "name of a department admin key in the keyring")
	f.cmd.Flags().StringVar(&f.title, "title", "", "short public description (default: the kind)")
	f.cmd.Flags().Int64Var(&f.deadline, "deadline", 0, "last height at which votes count (default: 100,000 blocks from now)")
	f.cmd.Flags().BoolVar(&f.allow, "allow-power-concentration", false, "accept that one department would hold 1/3 or more of the power; the proposal then needs every department's yes")
	flags(f)
	return f.cmd
}

func newDeptVoteCmd() *cobra.Command {
	var tx txFlags
	cmd := &cobra.Command{
		Use:   "vote PROPOSAL_ID yes|no",
		Short: "Cast your department's vote on an open proposal (once; votes are final)",
		Args:  cobra.ExactArgs(2),
		RunE: tx.out.run(func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil || id == 0 {
				return fmt.Errorf("PROPOSAL_ID must be a proposal number, got %q", args[0])
			}
			opt, err := voteOptions.parse("the vote", args[1])
			if err != nil {
				return err
			}
			yes := opt == tlv1.VOTE_OPTION_YES
			c, s, err := tx.signer(cmd.Context())
			if err != nil {
				return err
			}
			res, err := c.Vote(cmd.Context(), s, id, yes)
			if err != nil {
				return err
			}
			return tx.committed(cmd, res, map[string]any{"proposal_id": id, "yes": yes}, fmt.Sprintf("voted %s on proposal %d", args[1], id))
		}),
	}
	tx.add(cmd, "name of a department admin key in the keyring")
	return cmd
}
