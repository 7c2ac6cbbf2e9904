// SPDX-License-Identifier: Apache-2.0

// This file reads through package client (CometBFT); the WebAssembly
// verifier of the portal builds the walk without it.

//go:build !(js && wasm)

package trace

import (
	"context"
	"fmt"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/proof"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// CertCheck is the validity at a time of one attestation met in a walk.
type CertCheck struct {
	ID       string
	Validity *client.Validity
}

// Certifications answers, for every distinct attestation whose records a
// walk met (in the histories of the identifiers it reached), whether it was
// valid at t (Unix ms): it existed, was within its validity, was not
// suspended, withdrawn or cancelled, and its issuer was accredited for the
// scheme (client.AttestationValidAt over the attestation's and the issuer's
// complete histories, read from the index's Source).
func (x *Index) Certifications(ctx context.Context, g *Graph, t int64) ([]CertCheck, error) {
	var out []CertCheck
	seen := map[string]bool{}
	for _, ev := range g.Attestations {
		id := ev.Attestation.GetAttestationId()
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		ah, err := x.history(ctx, tlv1.AttestationHistorySubject(id))
		if err != nil {
			return nil, err
		}
		issuer, _, _ := tlv1.ParseAttestationID(id)
		ih, err := x.history(ctx, tlv1.ParticipantSubject(issuer))
		if err != nil {
			return nil, err
		}
		v, err := client.AttestationValidAt(ah, ih, t)
		if err != nil {
			return nil, err
		}
		out = append(out, CertCheck{ID: id, Validity: v})
	}
	return out, nil
}

// history returns subject's verified history as the index's Source gave
// it (an error for a subject added by hand: it has no proofs).
func (x *Index) history(ctx context.Context, subject string) (*proof.VerifiedHistory, error) {
	if _, _, err := x.events(ctx, subject); err != nil {
		return nil, err
	}
	e := x.subjects[subject]
	if e.hist == nil {
		return nil, fmt.Errorf("no verified history of %q in the index (it was added without its proofs)", subject)
	}
	return &proof.VerifiedHistory{Subject: subject, Head: e.hist.Head, Records: e.hist.Records}, nil
}
