// SPDX-License-Identifier: Apache-2.0

package client

import (
	"fmt"

	"github.com/traceledger/traceledger/proof"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// These functions check an answer against its own state roots. They need no
// network; the roots themselves are checked against a signed header by
// HeaderVerifier.VerifyRoots. The checks live in package proof (so offline
// verifiers and auditors share them); here every failure also wraps
// ErrNotVerified.

// VerifiedRecord is a log record proven to be in the log.
type VerifiedRecord = proof.VerifiedRecord

// VerifiedHistory is a subject's complete history, proven: the head in the
// map says how many records there are and their chain hash, and the records
// rehash to it.
type VerifiedHistory = proof.VerifiedHistory

func notVerified(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrNotVerified, err)
}

// verifyRecord checks a record's inclusion proof against the log root.
func verifyRecord(roots *tlv1.StateRoots, pr *tlv1.ProvenRecord) (*VerifiedRecord, error) {
	vr, err := proof.VerifyRecord(roots, pr)
	return vr, notVerified(err)
}

// verifyValue checks a map entry (or its absence) against the map root and
// that it is the entry for key.
func verifyValue(roots *tlv1.StateRoots, key string, pv *tlv1.ProvenValue) error {
	_, err := proof.VerifyValue(roots, key, pv)
	return notVerified(err)
}

// VerifyHistory checks a history answer against its roots: the head's map
// proof (membership, or absence for an unknown subject), every record's
// inclusion proof, and completeness (count, order, chain hash, last index).
// See proof.VerifyHistory.
func VerifyHistory(subject, headKey string, resp *tlv1.HistoryResponse) (*VerifiedHistory, error) {
	vh, err := proof.VerifyHistory(subject, headKey, resp)
	return vh, notVerified(err)
}
