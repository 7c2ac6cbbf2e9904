// SPDX-License-Identifier: Apache-2.0

package main

// Membership commands: `tx participant
// register|suspend|reinstate|rotate-key|revoke-key`. The rules are in
// docs/GOVERNANCE.md.

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/client/keyring"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

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
		newParticipantRotateKeyCmd(), newParticipantRevokeKeyCmd(), newParticipantAddEncryptionKeyCmd(), newParticipantRevokeEncryptionKeyCmd())
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
			c, err := tx.client()
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
