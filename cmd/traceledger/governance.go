// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/client/keyring"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Governance and membership commands: `tx dept propose|vote`,
// `tx participant register|suspend|reinstate|rotate-key|revoke-key` and
// `query participants|participant|proposals|proposal|validators`. The rules
// are in docs/GOVERNANCE.md.

// decodeKey parses a base64 Ed25519 public key (as `keys show` prints it).
func decodeKey(flag, s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != 32 {
		return nil, fmt.Errorf("%s %q is not a base64 32-byte Ed25519 public key (see 'traceledger keys show')", flag, s)
	}
	return b, nil
}

// parseDate reads 2026-01-02 or an RFC 3339 time as Unix milliseconds.
func parseDate(flag, s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	for _, layout := range []string{time.DateOnly, time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, fmt.Errorf("%s %q: want a date (2026-01-02) or an RFC 3339 time", flag, s)
}

func formatMs(ms int64) string {
	if ms == 0 {
		return ""
	}
	return time.UnixMilli(ms).UTC().Format(time.RFC3339)
}

// ---------------------------------------------------------------- tx dept

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

// ---------------------------------------------------------------- tx participant

func newTxParticipantCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "participant",
		Short: "Membership: register, suspend and reinstate participants; rotate and revoke keys",
		Long: `A department registers, suspends (blacklists) and reinstates the enterprises,
certifiers and auditors it supervises, and revokes their keys when compromised;
it cannot touch another department's participants. Every participant rotates
its own key (the old key signs the new) and may revoke its own keys.`,
	}
	cmd.AddCommand(newParticipantRegisterCmd(), newParticipantStatusCmd("suspend"), newParticipantStatusCmd("reinstate"),
		newParticipantRotateKeyCmd(), newParticipantRevokeKeyCmd())
	return cmd
}

// parseLicence reads TYPE,NUMBER[,VALID_FROM[,VALID_UNTIL]].
func parseLicence(s string) (*tlv1.Licence, error) {
	f := strings.Split(s, ",")
	if len(f) < 2 || len(f) > 4 {
		return nil, fmt.Errorf("--licence %q: want TYPE,NUMBER[,VALID_FROM[,VALID_UNTIL]]", s)
	}
	l := &tlv1.Licence{Type: f[0], Number: f[1]}
	var err error
	if len(f) > 2 {
		if l.ValidFromMs, err = parseDate("--licence valid-from", f[2]); err != nil {
			return nil, err
		}
	}
	if len(f) > 3 {
		if l.ValidUntilMs, err = parseDate("--licence valid-until", f[3]); err != nil {
			return nil, err
		}
	}
	return l, nil
}

func newParticipantRegisterCmd() *cobra.Command {
	var (
		tx                                   txFlags
		id, name, role, creditCode, division string
		licences, keys                       []string
	)
	cmd := &cobra.Command{
		Use:   "register",
		Short: "Register an enterprise, certifier or auditor supervised by your department",
		Long: `register signs a RegisterParticipant with a department admin key (--from); the
department becomes the participant's supervising department. Enterprises and
certifiers need their unified social credit code (18 characters, check digit
validated); enterprises their 6-digit division code. The participant's public
keys come from 'traceledger keys add' on its side (base64, --key, repeatable).
A certifier may certify only after an 'accredit' proposal passes.`,
		Example: `  traceledger tx participant register --from agri-admin --id farm2 --name "Hill Farm" \
      --role enterprise --credit-code 91520100MA6DKQ1X3R --division 520102 \
      --licence food_production,SC10652010200001,2026-01-01,2031-01-01 --key BASE64KEY`,
		Args: cobra.NoArgs,
		RunE: tx.out.run(func(cmd *cobra.Command, _ []string) error {
			r, err := roles.filter("--role", role)
			if err != nil {
				return err
			}
			msg := &tlv1.RegisterParticipant{Id: id, Name: name, Role: r, CreditCode: creditCode, DivisionCode: division}
			for _, l := range licences {
				lic, err := parseLicence(l)
				if err != nil {
					return err
				}
				msg.Licences = append(msg.Licences, lic)
			}
			for _, k := range keys {
				b, err := decodeKey("--key", k)
				if err != nil {
					return err
				}
				msg.PublicKeys = append(msg.PublicKeys, b)
			}
			c, s, err := tx.signer(cmd.Context())
			if err != nil {
				return err
			}
			res, err := c.Register(cmd.Context(), s, msg)
			if err != nil {
				return err
			}
			return tx.committed(cmd, res, map[string]any{"participant": id}, fmt.Sprintf("registered %s %s", role, id))
		}),
	}
	tx.add(cmd, "name of a department admin key in the keyring")
	cmd.Flags().StringVar(&id, "id", "", "participant id (required)")
	cmd.Flags().StringVar(&name, "name", "", "display name (required)")
	cmd.Flags().StringVar(&role, "role", "enterprise", "enterprise, certifier or auditor")
	cmd.Flags().StringVar(&creditCode, "credit-code", "", "unified social credit code (enterprises and certifiers)")
	cmd.Flags().StringVar(&division, "division", "", "6-digit administrative division code (enterprises)")
	cmd.Flags().StringArrayVar(&licences, "licence", nil, "a licence TYPE,NUMBER[,VALID_FROM[,VALID_UNTIL]] (repeatable)")
	cmd.Flags().StringArrayVar(&keys, "key", nil, "a public key of the participant, base64 (repeatable; at least one)")
	for _, n := range []string{"id", "name", "key"} {
		cmd.MarkFlagRequired(n)
	}
	return cmd
}

func newParticipantStatusCmd(verb string) *cobra.Command {
	var (
		tx     txFlags
		reason string
	)
	short := "Suspend (blacklist) a participant your department supervises; it can then submit nothing"
	if verb == "reinstate" {
		short = "Reinstate a suspended participant your department supervises"
	}
	cmd := &cobra.Command{
		Use:   verb + " ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: tx.out.run(func(cmd *cobra.Command, args []string) error {
			c, s, err := tx.signer(cmd.Context())
			if err != nil {
				return err
			}
			var res *client.Committed
			if verb == "suspend" {
				res, err = c.Suspend(cmd.Context(), s, args[0], reason)
			} else {
				res, err = c.Reinstate(cmd.Context(), s, args[0], reason)
			}
			if err != nil {
				return err
			}
			return tx.committed(cmd, res, map[string]any{"participant": args[0]}, fmt.Sprintf("%s %s", map[string]string{"suspend": "suspended", "reinstate": "reinstated"}[verb], args[0]))
		}),
	}
	tx.add(cmd, "name of a department admin key in the keyring")
	cmd.Flags().StringVar(&reason, "reason", "", "public reason (required)")
	cmd.MarkFlagRequired("reason")
	return cmd
}

func newParticipantRotateKeyCmd() *cobra.Command {
	var (
		tx     txFlags
		newKey string
	)
	cmd := &cobra.Command{
		Use:   "rotate-key",
		Short: "Replace your signing key (--from) by a new one (--new)",
		Long: `rotate-key signs a RotateKey with the old key (--from) carrying the new public
key and the new key's proof of possession. From then on the old key can sign
nothing; the new key starts at sequence 0. The new key is taken from the
keyring, or created there (with the same passphrase) if it does not exist.`,
		Example: `  traceledger tx participant rotate-key --from farm1 --new farm1-2027`,
		Args:    cobra.NoArgs,
		RunE: tx.out.run(func(cmd *cobra.Command, _ []string) error {
			kr, pw, err := tx.sign.keyring(cmd.Context(), tx.conn.home)
			if err != nil {
				return err
			}
			old, err := kr.Signer(tx.sign.from, pw)
			if err != nil {
				return err
			}
			nk, err := kr.Signer(newKey, pw)
			if errors.Is(err, keyring.ErrNotFound) {
				if _, err = kr.Add(newKey, pw); err == nil {
					nk, err = kr.Signer(newKey, pw)
				}
			}
			if err != nil {
				return err
			}
			c, err := tx.conn.client()
			if err != nil {
				return err
			}
			s := client.Signer{Key: nk}
			res, err := c.RotateKey(cmd.Context(), client.Signer{Key: old}, nk)
			if err != nil {
				return err
			}
			return tx.committed(cmd, res, map[string]any{"old_key_id": client.Signer{Key: old}.KeyID(), "new_key_id": s.KeyID(), "new_key_name": newKey},
				fmt.Sprintf("rotated %s -> %s (key id %s); sign with --from %s from now on", tx.sign.from, newKey, s.KeyID(), newKey))
		}),
	}
	tx.add(cmd, "name of the key to replace")
	cmd.Flags().StringVar(&newKey, "new", "", "name of the new key in the keyring (created if missing) (required)")
	cmd.MarkFlagRequired("new")
	return cmd
}

func newParticipantRevokeKeyCmd() *cobra.Command {
	var (
		tx                  txFlags
		reason, replacement string
	)
	cmd := &cobra.Command{
		Use:   "revoke-key KEY_ID",
		Short: "Revoke a key (your own, or one of a participant your department supervises)",
		Long: `revoke-key revokes the key KEY_ID (40 hex digits, see 'traceledger query
participant'). A revoked key can sign nothing from then on; what it signed
before stays valid and provable. A revocation that would leave the participant
without an active key needs --replacement, a base64 public key registered in
its place.`,
		Args: cobra.ExactArgs(1),
		RunE: tx.out.run(func(cmd *cobra.Command, args []string) error {
			var repl []byte
			if replacement != "" {
				var err error
				if repl, err = decodeKey("--replacement", replacement); err != nil {
					return err
				}
			}
			c, s, err := tx.signer(cmd.Context())
			if err != nil {
				return err
			}
			res, err := c.RevokeKey(cmd.Context(), s, strings.ToUpper(args[0]), reason, repl)
			if err != nil {
				return err
			}
			return tx.committed(cmd, res, map[string]any{"key_id": strings.ToUpper(args[0])}, "revoked key "+strings.ToUpper(args[0]))
		}),
	}
	tx.add(cmd, "name of your signing key in the keyring")
	cmd.Flags().StringVar(&reason, "reason", "", "public reason (required)")
	cmd.Flags().StringVar(&replacement, "replacement", "", "public key to register in its place, base64")
	cmd.MarkFlagRequired("reason")
	return cmd
}

// ---------------------------------------------------------------- queries

type participantView struct {
	ID            string           `json:"id"`
	Name          string           `json:"name"`
	Role          string           `json:"role"`
	Department    string           `json:"department"`
	Status        string           `json:"status"`
	StatusReason  string           `json:"status_reason,omitempty"`
	CreditCode    string           `json:"credit_code,omitempty"`
	DivisionCode  string           `json:"division_code,omitempty"`
	Registered    int64            `json:"registered_height"`
	Keys          []string         `json:"keys"`
	Licences      []map[string]any `json:"licences,omitempty"`
	Accreditation map[string]any   `json:"accreditation,omitempty"`
	KeyDetails    []map[string]any `json:"key_details,omitempty"`
	Validator     map[string]any   `json:"validator,omitempty"`
}

func viewParticipant(p *tlv1.Participant) participantView {
	v := participantView{ID: p.Id, Name: p.Name, Role: roles.name(p.Role), Department: p.Department,
		Status: participantStatuses.name(p.Status), StatusReason: p.StatusReason,
		CreditCode: p.CreditCode, DivisionCode: p.DivisionCode, Registered: p.RegisteredHeight, Keys: p.Keys}
	for _, l := range p.Licences {
		v.Licences = append(v.Licences, map[string]any{"type": l.Type, "number": l.Number, "valid_from": formatMs(l.ValidFromMs), "valid_until": formatMs(l.ValidUntilMs)})
	}
	if a := p.Accreditation; a != nil {
		v.Accreditation = map[string]any{"schemes": a.Schemes, "number": a.AccreditationNumber, "valid_from": formatMs(a.ValidFromMs),
			"valid_until": formatMs(a.ValidUntilMs), "status": accreditationStatuses.name(a.Status), "proposal_id": a.ProposalId, "reason": a.Reason}
	}
	return v
}

func printParticipantLine(w io.Writer, v participantView) {
	fmt.Fprintf(w, "%-16s %-10s %-10s %-9s %-18s %s\n", v.ID, v.Role, v.Department, v.Status, v.CreditCode, v.Name)
}

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

type proposalView struct {
	ID          uint64            `json:"id"`
	Title       string            `json:"title"`
	Change      string            `json:"change"`
	Proposer    string            `json:"proposer"`
	Status      string            `json:"status"`
	Yes         uint32            `json:"yes"`
	No          uint32            `json:"no"`
	RequiredYes uint32            `json:"required_yes"`
	Unanimous   bool              `json:"unanimous"`
	Electorate  []string          `json:"electorate"`
	Submitted   int64             `json:"submit_height"`
	Deadline    int64             `json:"deadline_height"`
	Executed    int64             `json:"executed_height,omitempty"`
	Result      string            `json:"result,omitempty"`
	Votes       map[string]string `json:"votes,omitempty"`
}

func viewProposal(p *tlv1.Proposal) proposalView {
	return proposalView{ID: p.Id, Title: p.Title, Change: tlv1.DescribeChange(p.Change), Proposer: p.Proposer,
		Status: proposalStatuses.name(p.Status), Yes: p.Yes, No: p.No, RequiredYes: p.RequiredYes,
		Unanimous: p.Unanimous, Electorate: p.Electorate, Submitted: p.SubmitHeight, Deadline: p.DeadlineHeight,
		Executed: p.ExecutedHeight, Result: p.Result}
}

func printProposalLine(w io.Writer, v proposalView) {
	fmt.Fprintf(w, "#%-4d %-16s yes %d/%d no %d  by %-8s deadline %-8d %s\n", v.ID, v.Status, v.Yes, v.RequiredYes, v.No, v.Proposer, v.Deadline, v.Change)
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

// describeGovernanceRecord names a governance record's kind, its subject
// and a one-line summary, for `query record` and `query history`.
func describeGovernanceRecord(g *tlv1.GovernanceRecord) (kind, subject, summary string) {
	switch b := g.GetBody().(type) {
	case *tlv1.GovernanceRecord_ProposalSubmitted:
		p := b.ProposalSubmitted
		return "proposal_submitted", fmt.Sprintf("proposal %d", p.Id), fmt.Sprintf("%s; needs %d of %d yes by height %d", tlv1.DescribeChange(p.Change), p.RequiredYes, len(p.Electorate), p.DeadlineHeight)
	case *tlv1.GovernanceRecord_VoteCast:
		v := b.VoteCast
		return "vote_cast", fmt.Sprintf("proposal %d", v.ProposalId), fmt.Sprintf("%s votes %s: %d yes, %d no of %d (%d needed), %s", v.Department,
			voteOptions.name(v.Option), v.Yes, v.No, v.ElectorateSize, v.RequiredYes, proposalStatuses.name(v.Status))
	case *tlv1.GovernanceRecord_ProposalClosed:
		c := b.ProposalClosed
		summary = proposalStatuses.name(c.Status)
		if c.Result != "" {
			summary += ": " + c.Result
		}
		return "proposal_closed", fmt.Sprintf("proposal %d", c.ProposalId), summary
	case *tlv1.GovernanceRecord_ParticipantStatusChanged:
		c := b.ParticipantStatusChanged
		return "participant_status_changed", c.Participant, fmt.Sprintf("%s -> %s by %s: %s", participantStatuses.name(c.From),
			participantStatuses.name(c.To), c.By, c.Reason)
	case *tlv1.GovernanceRecord_KeyChanged:
		c := b.KeyChanged
		s := fmt.Sprintf("key %s %s by %s: %s", c.KeyId, keyActions.name(c.Action), c.By, c.Reason)
		if c.NewKeyId != "" {
			s += "; new key " + c.NewKeyId
		}
		return "key_changed", c.Participant, s
	case *tlv1.GovernanceRecord_DepartmentChanged:
		c := b.DepartmentChanged
		return "department_changed", c.Department.GetId(), fmt.Sprintf("%s, power %d -> %d (proposal %d)", departmentStatuses.name(c.Department.GetStatus()),
			c.PreviousPower, c.Department.GetPower(), c.ProposalId)
	case *tlv1.GovernanceRecord_AccreditationChanged:
		c := b.AccreditationChanged
		return "accreditation_changed", c.Certifier, fmt.Sprintf("%s %v (proposal %d)", accreditationStatuses.name(c.Accreditation.GetStatus()), c.Accreditation.GetSchemes(), c.ProposalId)
	case *tlv1.GovernanceRecord_QuorumChanged:
		c := b.QuorumChanged
		return "quorum_changed", "quorum", fmt.Sprintf("%d/%d -> %d/%d (proposal %d)", c.PreviousNumerator, c.PreviousDenominator, c.Numerator, c.Denominator, c.ProposalId)
	}
	return "governance", "", ""
}

// noteSuffix is a record's note followed by two spaces, or nothing.
func noteSuffix(note string) string {
	if note == "" {
		return ""
	}
	return note + "  "
}
