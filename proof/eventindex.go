// SPDX-License-Identifier: Apache-2.0

package proof

import (
	"bytes"
	"fmt"

	traceledgerv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// An EPCIS event's map entry, "event/<hash id>", is an EPCISEventIndex
// (app protocol 3): every participant's recording of the event, in log
// order, one per participant. Its decoder and the check of an /epcis/event
// answer live here so that the SDK, auditors and offline verifiers share
// them; re-hashing a public event (package epcis) is the SDK's part.

// DecodeEventIndex decodes an "event/<hash id>" map value and checks the
// shape the state machine gives it: 1 to MaxEventRecorders entries, log
// indexes strictly increasing, 32-byte leaf hashes, and every entry naming
// a participant that no other entry names. A value that is not so shaped
// was not written by a correct node.
func DecodeEventIndex(value []byte) ([]*traceledgerv1.EPCISIndexEntry, error) {
	var index traceledgerv1.EPCISEventIndex
	if err := index.Unmarshal(value); err != nil {
		return nil, fmt.Errorf("%w: event index does not decode: %v", ErrMalformedProof, err)
	}
	n := len(index.Entries)
	if n == 0 || n > traceledgerv1.MaxEventRecorders {
		return nil, fmt.Errorf("%w: event index has %d entries, want 1 to %d", ErrMalformedProof, n, traceledgerv1.MaxEventRecorders)
	}
	signers := make(map[string]bool, n)
	for i, e := range index.Entries {
		if e == nil || len(e.LeafHash) != 32 || e.Signer == "" {
			return nil, fmt.Errorf("%w: event index entry %d lacks a 32-byte leaf hash or a signer", ErrMalformedProof, i)
		}
		if i > 0 && e.Index <= index.Entries[i-1].Index {
			return nil, fmt.Errorf("%w: event index entry %d (log index %d) is not after entry %d (log index %d)", ErrMalformedProof, i, e.Index, i-1, index.Entries[i-1].Index)
		}
		if signers[e.Signer] {
			return nil, fmt.Errorf("%w: event index names %q twice", ErrMalformedProof, e.Signer)
		}
		signers[e.Signer] = true
	}
	return index.Entries, nil
}

// VerifyEventAnswer checks an /epcis/event answer for hashID against its
// own roots: the map entry at EventKey(hashID), present or proven absent;
// for a present entry, one record per index entry, in the entry's order,
// each proven in the log at the entry's index with the entry's leaf hash,
// signed by the entry's participant, and the EPCIS record of hashID. It
// returns the entries and their records (both empty for a proven
// absence). A node that hides, adds or swaps a recording fails.
func VerifyEventAnswer(hashID string, resp *traceledgerv1.EventResponse) ([]*traceledgerv1.EPCISIndexEntry, []*VerifiedRecord, error) {
	if resp == nil || resp.Roots == nil {
		return nil, nil, fmt.Errorf("%w: empty event answer", ErrMalformedProof)
	}
	key := traceledgerv1.EventKey(hashID)
	present, err := VerifyValue(resp.Roots, key, resp.Entry)
	if err != nil {
		return nil, nil, err
	}
	if !present {
		if len(resp.Records) != 0 {
			return nil, nil, fmt.Errorf("%w: %q is proven absent but %d records came with it", ErrAnswerMismatch, key, len(resp.Records))
		}
		return nil, nil, nil
	}
	entries, err := DecodeEventIndex(resp.Entry.Value)
	if err != nil {
		return nil, nil, err
	}
	if len(resp.Records) != len(entries) {
		return nil, nil, fmt.Errorf("%w: %q lists %d recordings, the answer carries %d records", ErrAnswerMismatch, key, len(entries), len(resp.Records))
	}
	out := make([]*VerifiedRecord, len(entries))
	for i, e := range entries {
		pr := resp.Records[i]
		if pr == nil || pr.Index != e.Index {
			return nil, nil, fmt.Errorf("%w: %q entry %d points at record %d, the answer's record %d is another", ErrAnswerMismatch, key, i, e.Index, i)
		}
		vr, err := VerifyRecord(resp.Roots, pr)
		if err != nil {
			return nil, nil, err
		}
		if !bytes.Equal(vr.LeafHash[:], e.LeafHash) {
			return nil, nil, fmt.Errorf("%w: record %d has leaf hash %X, %q says %X", ErrAnswerMismatch, vr.Index, vr.LeafHash, key, e.LeafHash)
		}
		if vr.Record.Signer != e.Signer {
			return nil, nil, fmt.Errorf("%w: record %d is signed by %q, %q says %q", ErrAnswerMismatch, vr.Index, vr.Record.Signer, key, e.Signer)
		}
		if er := vr.Record.GetEpcis(); er == nil || er.HashId != hashID {
			return nil, nil, fmt.Errorf("%w: record %d is not the EPCIS record of %s", ErrAnswerMismatch, vr.Index, hashID)
		}
		out[i] = vr
	}
	return entries, out, nil
}
