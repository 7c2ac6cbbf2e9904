// SPDX-License-Identifier: Apache-2.0

package main

// Quality-credit commands: `tx credit complaint|violation` and
// `query credit` (docs/ATTESTATIONS.md).

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/traceledger/traceledger/client"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

func newTxCreditCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "credit",
		Short: "Quality credit: record complaints and violations against enterprises (departments)",
	}
	cmd.AddCommand(newCreditComplaintCmd(), newCreditViolationCmd())
	return cmd
}

func newCreditComplaintCmd() *cobra.Command {
	var (
		tx        txFlags
		category  string
		complaint hashFlag
	)
	cmd := &cobra.Command{
		Use:   "complaint ENTERPRISE",
		Short: "Record a public complaint (its hash and category) against an enterprise",
		Args:  cobra.ExactArgs(1),
		RunE: tx.out.run(func(cmd *cobra.Command, args []string) error {
			cat, err := complaintCategories.parse("--category", category)
			if err != nil {
				return err
			}
			h, err := complaint.required()
			if err != nil {
				return err
			}
			c, s, err := tx.signer(cmd.Context())
			if err != nil {
				return err
			}
			res, err := c.RecordComplaint(cmd.Context(), s, &tlv1.RecordComplaint{Enterprise: args[0], ComplaintSha256: h, Category: cat})
			if err != nil {
				return err
			}
			return tx.committed(cmd, res, map[string]any{"enterprise": args[0]}, "recorded a complaint against "+args[0])
		}),
	}
	tx.add(cmd, "name of a department key")
	cmd.Flags().StringVar(&category, "category", "", complaintCategories.list()+" (required)")
	complaint.add(cmd, "complaint", "complaint document to hash (stays local)", "SHA-256 of the complaint, hex")
	cmd.MarkFlagRequired("category")
	return cmd
}

func newCreditViolationCmd() *cobra.Command {
	var (
		tx            txFlags
		kind, penalty string
		decision      hashFlag
	)
	cmd := &cobra.Command{
		Use:   "violation ENTERPRISE",
		Short: "Record a violation found against an enterprise",
		Args:  cobra.ExactArgs(1),
		RunE: tx.out.run(func(cmd *cobra.Command, args []string) error {
			h, err := decision.required()
			if err != nil {
				return err
			}
			c, s, err := tx.signer(cmd.Context())
			if err != nil {
				return err
			}
			res, err := c.RecordViolation(cmd.Context(), s, &tlv1.RecordViolation{Enterprise: args[0], Kind: kind, DecisionSha256: h, Penalty: penalty})
			if err != nil {
				return err
			}
			return tx.committed(cmd, res, map[string]any{"enterprise": args[0]}, "recorded a violation against "+args[0])
		}),
	}
	tx.add(cmd, "name of a department key")
	cmd.Flags().StringVar(&kind, "kind", "", "violation kind, e.g. pesticide_residue (required)")
	cmd.Flags().StringVar(&penalty, "penalty", "", "penalty imposed")
	decision.add(cmd, "decision", "decision document to hash (stays local)", "SHA-256 of the decision, hex")
	cmd.MarkFlagRequired("kind")
	return cmd
}

func newQueryCreditCmd() *cobra.Command {
	var q queryFlags
	cmd := &cobra.Command{
		Use:   "credit ENTERPRISE",
		Short: "Show an enterprise's quality-credit profile with proofs",
		Long: `Show the enterprise's certifications, recalls, complaints, violations and
suspensions. They come from two histories, "credit:<id>" and
"participant:<id>", each proven complete by its head and verified against a
header signed by the departments.`,
		Args: cobra.ExactArgs(1),
		RunE: q.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			p, err := c.Credit(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			views := func(rs []*client.VerifiedRecord) []recordView {
				out := make([]recordView, 0, len(rs))
				for _, r := range rs {
					out = append(out, creditRecordView(r))
				}
				return out
			}
			view := map[string]any{"enterprise": args[0], "registered": p.Enterprise != nil, "height": p.Proven.Height,
				"certifications": views(p.Certifications), "recalls": views(p.Recalls), "complaints": views(p.Complaints),
				"violations": views(p.Violations), "suspensions": views(p.Suspensions)}
			if p.Enterprise != nil {
				view["status"] = participantStatuses.name(p.Enterprise.Status)
			}
			overdue := make([]string, 0, len(p.OverdueRequests))
			for _, r := range p.OverdueRequests {
				overdue = append(overdue, r.ID)
			}
			view["overdue_disclosure_requests"] = overdue
			err = q.out.print(cmd.OutOrStdout(), view, func(w io.Writer) {
				if p.Enterprise == nil {
					fmt.Fprintf(w, "%s is proven NOT registered\n", args[0])
				} else {
					fmt.Fprintf(w, "%s (%s), status %s\n", p.Enterprise.Id, p.Enterprise.Name, participantStatuses.name(p.Enterprise.Status))
				}
				for _, sec := range []struct {
					name string
					rs   []*client.VerifiedRecord
				}{{"certifications", p.Certifications}, {"recalls", p.Recalls}, {"complaints", p.Complaints}, {"violations", p.Violations}, {"suspensions", p.Suspensions}} {
					fmt.Fprintf(w, "%s: %d\n", sec.name, len(sec.rs))
					for _, r := range sec.rs {
						printRecord(w, creditRecordView(r))
					}
				}
				fmt.Fprintf(w, "overdue disclosure requests: %d\n", len(overdue))
				for _, r := range p.OverdueRequests {
					fmt.Fprintf(w, "  %s  by %s, deadline %s, legal basis %q\n", r.ID, r.Request.Requester,
						time.UnixMilli(r.Request.Body.GetDeadlineMs()).UTC().Format(time.RFC3339), r.Request.Body.GetLegalBasis())
				}
				if p.Proven.Header != nil {
					provenLine(w, p.Proven)
				}
			})
			if err == nil && p.Enterprise == nil {
				return negative("%s is not registered (absence proven at state height %d)", args[0], p.Proven.Height)
			}
			return err
		}),
	}
	q.add(cmd)
	return cmd
}

// creditRecordView is viewRecord with the kinds of issue 6 named.
func creditRecordView(r *client.VerifiedRecord) recordView {
	v := viewRecord(r)
	switch b := r.Record.Body.(type) {
	case *tlv1.Record_Attestation:
		a := b.Attestation
		v.Kind, v.Subject = "attestation_issued", a.AttestationId
		if a.Issued == nil {
			v.Kind = "attestation_status"
			v.Note = attestationStatuses.name(a.To) + ": " + a.Reason
		}
	case *tlv1.Record_Credit:
		switch c := b.Credit.Body.(type) {
		case *tlv1.CreditRecord_Recall:
			v.Kind, v.Subject, v.Note = "recall", c.Recall.GetBody().GetId(), c.Recall.GetBody().GetHazard()
		case *tlv1.CreditRecord_Complaint:
			v.Kind, v.Subject, v.Note = "complaint", c.Complaint.Enterprise, complaintCategories.name(c.Complaint.Category)
		case *tlv1.CreditRecord_Violation:
			v.Kind, v.Subject, v.Note = "violation", c.Violation.Enterprise, c.Violation.Kind
		}
	}
	return v
}
