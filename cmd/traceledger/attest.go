// SPDX-License-Identifier: Apache-2.0

package main

// Attestation commands: `tx attest issue|status` and `query attestation`
// (docs/ATTESTATIONS.md).

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/traceledger/traceledger/app"
	"github.com/traceledger/traceledger/client"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// signerParticipant returns the participant id the signing key signs for.
func signerParticipant(cmd *cobra.Command, c *client.Client, s client.Signer) (string, error) {
	bz, _, err := c.Value(cmd.Context(), tlv1.KeyKey(s.KeyID()))
	if err != nil {
		return "", err
	}
	if bz == nil {
		return "", fmt.Errorf("key %s is not registered", s.KeyID())
	}
	var k tlv1.Key
	if err := k.Unmarshal(bz); err != nil {
		return "", fmt.Errorf("key %s: %w", s.KeyID(), err)
	}
	return k.Participant, nil
}

func newTxAttestCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "attest",
		Short: "Certification attestations: issue one (accredited certifiers) or change its status",
	}
	cmd.AddCommand(newAttestIssueCmd(), newAttestStatusCmd())
	return cmd
}

func newAttestIssueCmd() *cobra.Command {
	var (
		tx              txFlags
		a               tlv1.IssueAttestation
		subj            tlv1.AttestationSubject
		from, until     string
		evidence, audit hashFlag
	)
	cmd := &cobra.Command{
		Use:   "issue",
		Short: "Record a signed certification result (the signer must be accredited for the scheme)",
		Long: `Record a certification result: scheme (` + strings.Join(app.AttestSchemes(), ", ") + `),
the standard, the certificate number (unique per issuer), the subject (an
enterprise, a location, a product class and/or lots), scope, mode, validity and
the SHA-256 of the certificate (and optionally of the audit report). The
attestation's id is <issuer>/<certificate number>.`,
		Args: cobra.NoArgs,
		RunE: tx.out.run(func(cmd *cobra.Command, _ []string) error {
			var err error
			if a.ValidFromMs, err = parseDate("--valid-from", from); err != nil {
				return err
			}
			if a.ValidUntilMs, err = parseDate("--valid-until", until); err != nil {
				return err
			}
			if a.EvidenceSha256, err = evidence.required(); err != nil {
				return err
			}
			if a.AuditReportSha256, err = audit.sum(); err != nil {
				return err
			}
			a.Subject = &subj
			c, s, err := tx.signer(cmd.Context())
			if err != nil {
				return err
			}
			issuer, err := signerParticipant(cmd, c, s)
			if err != nil {
				return err
			}
			id, res, err := c.IssueAttestation(cmd.Context(), s, issuer, &a)
			if err != nil {
				return err
			}
			return tx.committed(cmd, res, map[string]any{"attestation": id}, "issued attestation "+id)
		}),
	}
	tx.add(cmd, "name of the certifier's key in the keyring")
	f := cmd.Flags()
	f.StringVar(&a.Scheme, "scheme", "", "certification scheme (required)")
	f.StringVar(&a.Standard, "standard", "", "standard certified against (required)")
	f.StringVar(&a.CertificateNumber, "number", "", "certificate number (required)")
	f.StringVar(&subj.Enterprise, "enterprise", "", "subject enterprise's participant id")
	f.StringVar(&subj.Location, "location", "", "subject location identifier")
	f.StringVar(&subj.ProductClass, "product-class", "", "subject product class identifier")
	f.StringSliceVar(&subj.Lots, "lot", nil, "subject lot identifier (repeatable)")
	f.StringVar(&a.Scope, "scope", "", "certified scope")
	f.StringVar(&a.Mode, "mode", "", "certification mode (initial, recertification, sampling, ...)")
	f.StringVar(&from, "valid-from", "", "start of validity, 2026-01-02 or RFC 3339 (required)")
	f.StringVar(&until, "valid-until", "", "end of validity (required)")
	evidence.add(cmd, "evidence", "certificate document to hash (stays local)", "SHA-256 of the certificate, hex")
	audit.add(cmd, "audit-report", "audit report to hash and anchor (stays local)", "SHA-256 of the audit report, hex")
	for _, r := range []string{"scheme", "standard", "number", "valid-from", "valid-until"} {
		cmd.MarkFlagRequired(r)
	}
	return cmd
}

func newAttestStatusCmd() *cobra.Command {
	var (
		tx         txFlags
		to, reason string
	)
	cmd := &cobra.Command{
		Use:   "status ID",
		Short: "Change an attestation's status (its issuer, or the issuer's supervising department)",
		Long: `Change the status of attestation ID (<issuer>/<certificate number>) to valid
(reinstate a suspended one), suspended, withdrawn or cancelled. Withdrawn and
cancelled are final. Every change is a record.`,
		Args: cobra.ExactArgs(1),
		RunE: tx.out.run(func(cmd *cobra.Command, args []string) error {
			st, err := attestationStatuses.parse("--to", to)
			if err != nil {
				return err
			}
			c, s, err := tx.signer(cmd.Context())
			if err != nil {
				return err
			}
			res, err := c.ChangeAttestationStatus(cmd.Context(), s, args[0], st, reason)
			if err != nil {
				return err
			}
			return tx.committed(cmd, res, map[string]any{"attestation": args[0], "status": to}, fmt.Sprintf("attestation %s is now %s", args[0], to))
		}),
	}
	tx.add(cmd, "name of the issuer's or the supervising department's key")
	cmd.Flags().StringVar(&to, "to", "", "new status: "+strings.Join(attestationStatuses.names(), ", ")+" (required)")
	cmd.Flags().StringVar(&reason, "reason", "", "public reason (required)")
	cmd.MarkFlagRequired("to")
	cmd.MarkFlagRequired("reason")
	return cmd
}

func newQueryAttestationCmd() *cobra.Command {
	var (
		conn connFlags
		out  outputFlag
		at   string
	)
	cmd := &cobra.Command{
		Use:   "attestation ID",
		Short: "Show an attestation and whether it was valid at a time, with proofs",
		Long: `Show attestation ID (<issuer>/<certificate number>) and answer whether it was
valid at --at (default now): it existed, was within its validity, was not
suspended, withdrawn or cancelled, and its issuer's accreditation for the
scheme was in force. The answer is computed from the attestation's and the
issuer's complete histories, verified against a signed header.`,
		Args: cobra.ExactArgs(1),
		RunE: out.run(func(cmd *cobra.Command, args []string) error {
			t := time.Now().UnixMilli()
			if at != "" {
				var err error
				if t, err = parseDate("--at", at); err != nil {
					return err
				}
			}
			c, err := conn.client()
			if err != nil {
				return err
			}
			v, p, err := c.AttestationValidAt(cmd.Context(), args[0], t)
			if err != nil {
				return err
			}
			view := map[string]any{"attestation": args[0], "at": formatMs(t), "valid": v.Valid, "failures": v.Failures,
				"status_at": attestationStatuses.name(v.StatusAt), "height": p.Height}
			if v.Issued != nil {
				view["issued_record"] = creditRecordView(v.Issued)
			}
			if v.Status != nil {
				view["status_record"] = creditRecordView(v.Status)
			}
			if v.Accreditation != nil {
				view["accreditation_record"] = viewRecord(v.Accreditation)
			}
			err = out.print(cmd.OutOrStdout(), view, func(w io.Writer) {
				if v.Valid {
					fmt.Fprintf(w, "attestation %s was VALID at %s\n", args[0], formatMs(t))
				} else {
					fmt.Fprintf(w, "attestation %s was NOT valid at %s: %s\n", args[0], formatMs(t), strings.Join(v.Failures, "; "))
				}
				for _, r := range []*client.VerifiedRecord{v.Issued, v.Status, v.Accreditation} {
					if r != nil {
						printRecord(w, creditRecordView(r))
					}
				}
				if p.Header != nil {
					provenLine(w, p)
				}
			})
			if err == nil && !v.Valid {
				return negative("attestation %s was NOT valid at %s: %s", args[0], formatMs(t), strings.Join(v.Failures, "; "))
			}
			return err
		}),
	}
	conn.add(cmd)
	out.add(cmd)
	cmd.Flags().StringVar(&at, "at", "", "time to check, 2026-01-02 or RFC 3339 (default now)")
	return cmd
}

func newAttestCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "attest",
		Short: "Export an attestation as a W3C Verifiable Credential 2.0 (eddsa-jcs-2022), or verify one",
	}
	cmd.AddCommand(newAttestExportCmd(), newAttestVerifyCmd())
	return cmd
}

func newAttestExportCmd() *cobra.Command {
	var (
		tx      txFlags
		outFile string
	)
	cmd := &cobra.Command{
		Use:   "export ID",
		Short: "Write attestation ID as a VC 2.0 signed by the issuer's key (eddsa-jcs-2022 Data Integrity proof)",
		Long: `Read attestation ID from the ledger (verified), and write it to stdout as a W3C
Verifiable Credential 2.0 secured with an eddsa-jcs-2022 Data Integrity proof
made with the --from key (a key of the issuing certifier), so that it can be
checked outside the ledger ('traceledger attest verify'). --out FILE writes it
to a file instead; with -o json standard output carries one JSON object: a
summary, with the file written or the credential itself ("credential").`,
		Args: cobra.ExactArgs(1),
		RunE: tx.out.run(func(cmd *cobra.Command, args []string) error {
			c, s, err := tx.signer(cmd.Context())
			if err != nil {
				return err
			}
			a, _, err := c.Attestation(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if a == nil {
				return negative("attestation %s is not recorded (absence proven)", args[0])
			}
			data, err := client.ExportVC(a, s.Key, time.Now())
			if err != nil {
				return err
			}
			data = append(data, '\n')
			return tx.out.document(cmd, outFile, 0o644, data, "credential", map[string]any{"attestation": args[0], "signing_key": s.KeyID()}, nil)
		}),
	}
	tx.add(cmd, "name of the issuing certifier's key in the keyring")
	cmd.Flags().StringVar(&outFile, "out", "", "write the credential to this file (default standard output)")
	return cmd
}

func newAttestVerifyCmd() *cobra.Command {
	var (
		conn    connFlags
		out     outputFlag
		offline bool
	)
	cmd := &cobra.Command{
		Use:   "verify FILE",
		Short: "Verify a VC: its eddsa-jcs-2022 signature and that the ledger holds the same attestation, signed by a key of its issuer (--offline: the signature only, not verified)",
		Args:  cobra.ExactArgs(1),
		RunE: out.run(func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			var iv *client.ImportedVC
			var a *tlv1.Attestation
			if offline {
				iv, err = client.ImportVC(data)
			} else {
				var c *client.Client
				if c, err = conn.client(); err != nil {
					return err
				}
				iv, a, err = c.CheckVC(cmd.Context(), data)
			}
			if err != nil {
				return err
			}
			// Offline, the signature checks only against the key the
			// credential itself names: that proves integrity, not who
			// issued it, so it is not "verified" (docs/PROOFS.md).
			view := map[string]any{"attestation": iv.VC.CredentialSubject.Attestation, "signature": "valid", "signing_key": iv.KeyID,
				"ledger_checked": !offline, "verified": !offline}
			if a != nil {
				view["ledger_status"] = attestationStatuses.name(a.Status)
			}
			return out.print(cmd.OutOrStdout(), view, func(w io.Writer) {
				fmt.Fprintf(w, "credential for attestation %s: eddsa-jcs-2022 signature valid (key %s)\n", iv.VC.CredentialSubject.Attestation, iv.KeyID)
				if a != nil {
					fmt.Fprintf(w, "VERIFIED: the ledger holds the same attestation, issued by %s with that key; status now %s\n", a.Issuer, view["ledger_status"])
				} else {
					fmt.Fprintf(w, "not verified against the ledger (--offline): that the key is the issuer's is the credential's own claim; run without --offline\n")
				}
			})
		}),
	}
	conn.add(cmd)
	out.add(cmd)
	cmd.Flags().BoolVar(&offline, "offline", false, "check the signature only, without a node (integrity, not issuer: the result is not \"verified\")")
	return cmd
}
