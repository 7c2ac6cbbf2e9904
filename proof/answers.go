// SPDX-License-Identifier: Apache-2.0

package proof

import (
	"errors"
	"fmt"

	traceledgerv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// These functions check a query answer against its own state roots. They
// need no network; the roots themselves are checked against a signed header
// (VerifyRootsInHeader, or a light client).

// ErrAnswerMismatch reports a well-proven answer to another question: a map
// entry for another key, a record at another index, records that are not the
// subject's.
var ErrAnswerMismatch = errors.New("answer does not match the question")

// VerifiedRecord is a log record proven to be in the log.
type VerifiedRecord struct {
	// Index is the record's position in the log.
	Index uint64
	// LeafHash is the RFC 6962 leaf hash of Bytes.
	LeafHash [32]byte
	// Record is the decoded record; Bytes are the bytes that were hashed.
	Record *traceledgerv1.Record
	Bytes  []byte
}

// rootsHashes returns the three roots of r as hashes.
func rootsHashes(r *traceledgerv1.StateRoots) (logRoot, mapRoot [32]byte, err error) {
	if r == nil {
		return logRoot, mapRoot, fmt.Errorf("%w: answer has no state roots", ErrMalformedProof)
	}
	if logRoot, err = hashFromSlice(r.LogRoot, "log root of state roots", 0); err != nil {
		return
	}
	mapRoot, err = hashFromSlice(r.MapRoot, "map root of state roots", 0)
	return
}

// VerifyRecord checks a record's inclusion proof against the log root of
// roots and decodes it. The proof must be for the record's index in a log of
// exactly roots.LogSize leaves.
func VerifyRecord(roots *traceledgerv1.StateRoots, pr *traceledgerv1.ProvenRecord) (*VerifiedRecord, error) {
	logRoot, _, err := rootsHashes(roots)
	if err != nil {
		return nil, err
	}
	if pr == nil || pr.Inclusion == nil {
		return nil, fmt.Errorf("%w: record without inclusion proof", ErrMalformedProof)
	}
	if pr.Inclusion.Index != pr.Index || pr.Inclusion.Size_ != roots.LogSize {
		return nil, fmt.Errorf("%w: record %d: proof is for index %d in size %d, the roots say size %d",
			ErrMalformedProof, pr.Index, pr.Inclusion.Index, pr.Inclusion.Size_, roots.LogSize)
	}
	leaf := LeafHash(pr.Record)
	if err := VerifyInclusion(leaf, pr.Index, roots.LogSize, pr.Inclusion.Hashes, logRoot); err != nil {
		return nil, fmt.Errorf("record %d: %w", pr.Index, err)
	}
	var rec traceledgerv1.Record
	if err := rec.Unmarshal(pr.Record); err != nil {
		return nil, fmt.Errorf("%w: record %d does not decode: %v", ErrMalformedProof, pr.Index, err)
	}
	return &VerifiedRecord{Index: pr.Index, LeafHash: leaf, Record: &rec, Bytes: pr.Record}, nil
}

// VerifyValue checks a map entry, or its absence when pv.Value is empty,
// against the map root of roots, and that it is the entry for key. It
// reports whether the key is present.
func VerifyValue(roots *traceledgerv1.StateRoots, key string, pv *traceledgerv1.ProvenValue) (present bool, err error) {
	_, mapRoot, err := rootsHashes(roots)
	if err != nil {
		return false, err
	}
	if pv == nil || pv.Proof == nil {
		return false, fmt.Errorf("%w: map entry %q without proof", ErrMalformedProof, key)
	}
	if pv.Key != key {
		return false, fmt.Errorf("%w: answer is for key %q, asked for %q", ErrAnswerMismatch, pv.Key, key)
	}
	if len(pv.Value) == 0 {
		if err := VerifyMapAbsence(mapRoot, []byte(key), pv.Proof); err != nil {
			return false, fmt.Errorf("map entry %q: %w", key, err)
		}
		return false, nil
	}
	if err := VerifyMapMembership(mapRoot, []byte(key), pv.Value, pv.Proof); err != nil {
		return false, fmt.Errorf("map entry %q: %w", key, err)
	}
	return true, nil
}

// VerifiedHistory is a subject's complete history, proven: the head in the
// map says how many records there are and their chain hash, and the records
// rehash to it.
type VerifiedHistory struct {
	// Subject is the identifier the history is about.
	Subject string
	// Head is nil when the subject is proven to have no history.
	Head *traceledgerv1.Head
	// Records are the subject's records in log order.
	Records []*VerifiedRecord
}

// VerifyHistory checks a history answer against its roots: the head's map
// proof (membership, or absence for an unknown subject) under headKey, every
// record's inclusion proof, and completeness: the records are in log order,
// there are head.count of them, they rehash to head.chain_hash, and the last
// is at head.last_index. A node that hides, adds or reorders a record fails.
// It is VerifyHistoryPage for the unpaged request (limit 0): an answer with
// a page's offset, chain before or suffix is not a whole history.
func VerifyHistory(subject, headKey string, resp *traceledgerv1.HistoryResponse) (*VerifiedHistory, error) {
	p, err := VerifyHistoryPage(subject, headKey, &traceledgerv1.HistoryRequest{Subject: subject}, resp, nil)
	if err != nil {
		return nil, err
	}
	return &VerifiedHistory{Subject: subject, Head: p.Head, Records: p.Records}, nil
}
