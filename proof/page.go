// SPDX-License-Identifier: Apache-2.0

package proof

import (
	"bytes"
	"fmt"

	traceledgerv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Paged histories (docs/PROOFS.md, "Paged histories"). A subject's chain
// hash is c_0 = empty, c_k = SHA-256(c_{k-1} || leaf_k), and its head holds
// c_count. A page of the records at positions [start, end) is proven
// against the head alone by the chain value before it (c_start) and the
// leaf hashes of the records after it: rehashing c_start, the page's
// records and that suffix must reach the head's chain hash in exactly
// count - start steps, which by SHA-256's collision resistance makes the
// page's records exactly positions start..end-1 of the subject's history.
// A page asked with an anchor stops its suffix at the anchor position, and
// is proven against the chain value there, which the asker holds from a
// page it verified before.

// PageBounds is which records a history request selects from a history of
// Count records: the page's records are at positions [Start, End), and its
// suffix of leaf hashes covers [End, SuffixEnd).
type PageBounds struct {
	Count, Start, End, SuffixEnd uint64
}

// HistoryPageBounds resolves req against a history of count records, as
// the node serves it and the verifier checks it. An unpaged request (limit
// 0) selects every record with no suffix; a request the node must refuse
// (offset beyond count, an anchor outside [end, count], a suffix longer
// than MaxHistorySuffix, paging fields on an unpaged request) is an error
// wrapping ErrOutOfRange. The cap on unpaged answers (MaxHistoryRecords)
// is the node's to enforce, not part of what an answer proves.
func HistoryPageBounds(req *traceledgerv1.HistoryRequest, count uint64) (PageBounds, error) {
	b := PageBounds{Count: count}
	if req == nil {
		return b, fmt.Errorf("%w: no history request", ErrMalformedProof)
	}
	if req.Limit == 0 {
		if req.Offset != 0 || req.FromEnd || req.Anchor != 0 {
			return b, fmt.Errorf("%w: offset, from_end and anchor need a limit (limit 0 asks for the whole history)", ErrOutOfRange)
		}
		b.End, b.SuffixEnd = count, count
		return b, nil
	}
	if req.Offset > count {
		return b, fmt.Errorf("%w: offset %d is beyond the history's %d records", ErrOutOfRange, req.Offset, count)
	}
	n := min(uint64(req.Limit), traceledgerv1.MaxHistoryPage)
	if req.FromEnd {
		b.End = count - req.Offset
		b.Start = b.End - min(n, b.End)
	} else {
		b.Start = req.Offset
		b.End = b.Start + min(n, count-b.Start)
	}
	b.SuffixEnd = count
	if req.Anchor != 0 {
		if req.Anchor < b.End || req.Anchor > count {
			return b, fmt.Errorf("%w: anchor %d is outside [%d, %d] (the page's end to the record count)", ErrOutOfRange, req.Anchor, b.End, count)
		}
		b.SuffixEnd = req.Anchor
	}
	if s := b.SuffixEnd - b.End; s > traceledgerv1.MaxHistorySuffix {
		return b, fmt.Errorf("%w: the page ends %d records before the head, more than a page links (%d); ask for a newer page (from_end), or walk back from the newest page with an anchor",
			ErrOutOfRange, s, traceledgerv1.MaxHistorySuffix)
	}
	return b, nil
}

// VerifiedPage is one page of a subject's history, proven to be the
// records at positions Offset, Offset+1, ... of its complete history.
type VerifiedPage struct {
	// Subject is the identifier the history is about.
	Subject string
	// Head is the subject's head at the page's roots; nil when the subject
	// is proven to have no history (and the page has no records).
	Head *traceledgerv1.Head
	// Offset is the position of Records[0]; Records[i] is at position
	// Offset+i, in log order.
	Offset  uint64
	Records []*VerifiedRecord
	// ChainBefore is the proven chain value before the page (c_Offset):
	// the anchor for the page before this one.
	ChainBefore []byte
}

// End is the position just after the page's last record.
func (p *VerifiedPage) End() uint64 { return p.Offset + uint64(len(p.Records)) }

// Position is the history position of Records[i].
func (p *VerifiedPage) Position(i int) uint64 { return p.Offset + uint64(i) }

// Newest reports whether the page ends at the newest record.
func (p *VerifiedPage) Newest() bool { return p.Head == nil || p.End() == p.Head.Count }

// VerifyHistoryPage checks an answer to the history request req against
// its roots: the head's map proof under headKey (membership, or absence for
// an unknown subject, which has no records), that the page is the one req
// selects from head.count records (HistoryPageBounds), every record's
// inclusion proof and log order, and that chain_before, the records and
// the suffix rehash to the head's chain hash, or, for a request with an
// anchor, to anchorChain: the chain value at req.anchor, which the caller
// must hold from a page it verified (its ChainBefore). A page that reaches
// the newest record must end at head.last_index. A node that drops, adds,
// reorders or shifts a record, or forges the chain before or the suffix,
// fails with an error wrapping ErrChainMismatch, ErrMalformedProof,
// ErrOutOfRange or ErrAnswerMismatch.
func VerifyHistoryPage(subject, headKey string, req *traceledgerv1.HistoryRequest, resp *traceledgerv1.HistoryResponse, anchorChain []byte) (*VerifiedPage, error) {
	if resp == nil || resp.Roots == nil {
		return nil, fmt.Errorf("%w: empty history answer", ErrMalformedProof)
	}
	if req == nil {
		return nil, fmt.Errorf("%w: no history request", ErrMalformedProof)
	}
	if req.Subject != subject {
		return nil, fmt.Errorf("%w: request is for %q, verifying %q", ErrAnswerMismatch, req.Subject, subject)
	}
	present, err := VerifyValue(resp.Roots, headKey, resp.Head)
	if err != nil {
		return nil, err
	}
	out := &VerifiedPage{Subject: subject}
	if !present {
		if len(resp.Records) != 0 || len(resp.SuffixLeafHashes) != 0 || len(resp.ChainBefore) != 0 || resp.Offset != 0 {
			return nil, fmt.Errorf("%w: subject is proven absent but the answer carries %d records, %d suffix hashes, offset %d",
				ErrChainMismatch, len(resp.Records), len(resp.SuffixLeafHashes), resp.Offset)
		}
		return out, nil
	}
	var head traceledgerv1.Head
	if err := head.Unmarshal(resp.Head.Value); err != nil {
		return nil, fmt.Errorf("%w: head does not decode: %v", ErrMalformedProof, err)
	}
	out.Head = &head
	b, err := HistoryPageBounds(req, head.Count)
	if err != nil {
		return nil, fmt.Errorf("%w: the head counts %d records: %w", ErrAnswerMismatch, head.Count, err)
	}
	if resp.Offset != b.Start {
		return nil, fmt.Errorf("%w: page starts at position %d, the request selects %d of %d records", ErrAnswerMismatch, resp.Offset, b.Start, head.Count)
	}
	if uint64(len(resp.Records)) != b.End-b.Start {
		return nil, fmt.Errorf("%w: page has %d records, the request selects %d (positions %d to %d of %d)",
			ErrChainMismatch, len(resp.Records), b.End-b.Start, b.Start, b.End, head.Count)
	}
	if uint64(len(resp.SuffixLeafHashes)) != b.SuffixEnd-b.End {
		return nil, fmt.Errorf("%w: %d suffix leaf hashes, the page needs %d (positions %d to %d)",
			ErrChainMismatch, len(resp.SuffixLeafHashes), b.SuffixEnd-b.End, b.End, b.SuffixEnd)
	}
	var target []byte
	if b.SuffixEnd == head.Count {
		target = head.ChainHash
	}
	if req.Anchor != 0 {
		if len(anchorChain) != 32 {
			return nil, fmt.Errorf("%w: a page asked with anchor %d needs the chain value there (32 bytes), got %d bytes", ErrMalformedProof, req.Anchor, len(anchorChain))
		}
		if target != nil && !bytes.Equal(target, anchorChain) {
			return nil, fmt.Errorf("%w: the anchor's chain value %X is not the head's %X", ErrChainMismatch, anchorChain, target)
		}
		target = anchorChain
	}
	var chain []byte
	switch {
	case b.Start == 0 && len(resp.ChainBefore) != 0:
		return nil, fmt.Errorf("%w: the first page has a chain value before it (%d bytes); it must be empty", ErrChainMismatch, len(resp.ChainBefore))
	case b.Start > 0 && len(resp.ChainBefore) != 32:
		return nil, fmt.Errorf("%w: chain_before is %d bytes, want 32", ErrMalformedProof, len(resp.ChainBefore))
	case b.Start > 0:
		chain = resp.ChainBefore
		out.ChainBefore = bytes.Clone(resp.ChainBefore)
	}
	out.Offset = b.Start
	for i, pr := range resp.Records {
		vr, err := VerifyRecord(resp.Roots, pr)
		if err != nil {
			return nil, err
		}
		if i > 0 && vr.Index <= out.Records[i-1].Index {
			return nil, fmt.Errorf("%w: records out of log order at position %d", ErrChainMismatch, b.Start+uint64(i))
		}
		c := ChainHash(chain, vr.LeafHash)
		chain = c[:]
		out.Records = append(out.Records, vr)
	}
	for i, lh := range resp.SuffixLeafHashes {
		h, err := hashFromSlice(lh, "suffix leaf hash", i)
		if err != nil {
			return nil, err
		}
		c := ChainHash(chain, h)
		chain = c[:]
	}
	if !bytes.Equal(chain, target) {
		what := "the head's chain hash"
		if req.Anchor != 0 {
			what = fmt.Sprintf("the chain value at anchor %d", req.Anchor)
		}
		return nil, fmt.Errorf("%w: page at positions %d to %d rehashes to %X, %s is %X (a record or leaf hash is missing, extra, reordered or forged)",
			ErrChainMismatch, b.Start, b.End, chain, what, target)
	}
	if n := len(out.Records); n > 0 {
		last := out.Records[n-1].Index
		switch {
		case b.End == head.Count && last != head.LastIndex:
			return nil, fmt.Errorf("%w: last record is at index %d, head says %d", ErrChainMismatch, last, head.LastIndex)
		case b.End < head.Count && last >= head.LastIndex:
			return nil, fmt.Errorf("%w: record at log index %d precedes later records but is not before the head's last index %d", ErrChainMismatch, last, head.LastIndex)
		}
	}
	return out, nil
}
