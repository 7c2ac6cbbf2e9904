package client

import (
	"bytes"
	"fmt"

	"github.com/traceledger/traceledger/proof"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// These functions check an answer against its own state roots. They need no
// network; the roots themselves are checked against a signed header by
// HeaderVerifier.VerifyRoots.

// VerifiedRecord is a log record proven to be in the log.
type VerifiedRecord struct {
	Index    uint64
	LeafHash [32]byte
	Record   *tlv1.Record
}

// verifyRecord checks a record's inclusion proof against the log root.
func verifyRecord(roots *tlv1.StateRoots, pr *tlv1.ProvenRecord) (*VerifiedRecord, error) {
	if pr == nil || pr.Inclusion == nil {
		return nil, fmt.Errorf("%w: record without inclusion proof", ErrNotVerified)
	}
	if pr.Inclusion.Index != pr.Index || pr.Inclusion.Size_ != roots.LogSize {
		return nil, fmt.Errorf("%w: record %d: proof is for index %d in size %d, the roots say size %d",
			ErrNotVerified, pr.Index, pr.Inclusion.Index, pr.Inclusion.Size_, roots.LogSize)
	}
	var logRoot [32]byte
	if len(roots.LogRoot) != 32 {
		return nil, fmt.Errorf("%w: log root is %d bytes", ErrNotVerified, len(roots.LogRoot))
	}
	copy(logRoot[:], roots.LogRoot)
	leaf := proof.LeafHash(pr.Record)
	if err := proof.VerifyInclusion(leaf, pr.Index, roots.LogSize, pr.Inclusion.Hashes, logRoot); err != nil {
		return nil, fmt.Errorf("%w: record %d: %v", ErrNotVerified, pr.Index, err)
	}
	var rec tlv1.Record
	if err := rec.Unmarshal(pr.Record); err != nil {
		return nil, fmt.Errorf("%w: record %d does not decode: %v", ErrNotVerified, pr.Index, err)
	}
	return &VerifiedRecord{Index: pr.Index, LeafHash: leaf, Record: &rec}, nil
}

// verifyValue checks a map entry (or its absence) against the map root and
// that it is the entry for key.
func verifyValue(roots *tlv1.StateRoots, key string, pv *tlv1.ProvenValue) error {
	if pv == nil || pv.Proof == nil {
		return fmt.Errorf("%w: value without proof", ErrNotVerified)
	}
	if pv.Key != key {
		return fmt.Errorf("%w: answer is for key %q, asked for %q", ErrNotVerified, pv.Key, key)
	}
	if len(roots.MapRoot) != 32 {
		return fmt.Errorf("%w: map root is %d bytes", ErrNotVerified, len(roots.MapRoot))
	}
	var root [32]byte
	copy(root[:], roots.MapRoot)
	var err error
	if len(pv.Value) == 0 {
		err = proof.VerifyMapAbsence(root, []byte(key), pv.Proof)
	} else {
		err = proof.VerifyMapMembership(root, []byte(key), pv.Value, pv.Proof)
	}
	if err != nil {
		return fmt.Errorf("%w: map entry %q: %v", ErrNotVerified, key, err)
	}
	return nil
}

// VerifiedHistory is a subject's complete history, proven: the head in the
// map says how many records there are and their chain hash, and the records
// rehash to it.
type VerifiedHistory struct {
	Subject string
	// Head is nil when the subject is proven to have no history.
	Head    *tlv1.Head
	Records []*VerifiedRecord
}

// VerifyHistory checks a history answer against its roots: the head's map
// proof (membership, or absence for an unknown subject), every record's
// inclusion proof, and completeness (count, order, chain hash, last index).
func VerifyHistory(subject, headKey string, resp *tlv1.HistoryResponse) (*VerifiedHistory, error) {
	if resp == nil || resp.Roots == nil {
		return nil, fmt.Errorf("%w: empty answer", ErrNotVerified)
	}
	if err := verifyValue(resp.Roots, headKey, resp.Head); err != nil {
		return nil, err
	}
	out := &VerifiedHistory{Subject: subject}
	if len(resp.Head.Value) == 0 {
		if len(resp.Records) != 0 {
			return nil, fmt.Errorf("%w: subject is proven absent but %d records came with it", ErrNotVerified, len(resp.Records))
		}
		return out, nil
	}
	var head tlv1.Head
	if err := head.Unmarshal(resp.Head.Value); err != nil {
		return nil, fmt.Errorf("%w: head does not decode: %v", ErrNotVerified, err)
	}
	out.Head = &head
	if uint64(len(resp.Records)) != head.Count {
		return nil, fmt.Errorf("%w: head says %d records, answer has %d", ErrNotVerified, head.Count, len(resp.Records))
	}
	var chain []byte
	for i, pr := range resp.Records {
		vr, err := verifyRecord(resp.Roots, pr)
		if err != nil {
			return nil, err
		}
		if i > 0 && vr.Index <= out.Records[i-1].Index {
			return nil, fmt.Errorf("%w: records out of log order at %d", ErrNotVerified, i)
		}
		c := proof.ChainHash(chain, vr.LeafHash)
		chain = c[:]
		out.Records = append(out.Records, vr)
	}
	if !bytes.Equal(chain, head.ChainHash) {
		return nil, fmt.Errorf("%w: records rehash to chain %X, head says %X (a record is missing, extra or reordered)", ErrNotVerified, chain, head.ChainHash)
	}
	if head.Count > 0 && out.Records[len(out.Records)-1].Index != head.LastIndex {
		return nil, fmt.Errorf("%w: last record is at index %d, head says %d", ErrNotVerified, out.Records[len(out.Records)-1].Index, head.LastIndex)
	}
	return out, nil
}
