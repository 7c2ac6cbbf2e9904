// SPDX-License-Identifier: Apache-2.0

package client

import (
	"context"
	"errors"
	"fmt"

	"github.com/traceledger/traceledger/proof"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Histories are read in pages (docs/PROOFS.md, "Paged histories"): one
// answer carries at most tlv1.MaxHistoryPage records, so a history that
// anyone can lengthen (any enterprise may write to any lot) stays
// readable. A whole history is walked from its newest page back, each
// older page anchored at the chain value before the page after it, so no
// page carries a suffix; the walk is pinned to the first page's height,
// and the pages together form the answer the node would give unpaged.

// VerifiedPage is one page of a subject's history, proven to be the
// records at positions Offset, Offset+1, ... of its complete history.
type VerifiedPage = proof.VerifiedPage

// VerifyHistoryPage checks an answer to the history request req against
// its roots; anchorChain is the chain value at req.Anchor for an anchored
// request. See proof.VerifyHistoryPage.
func VerifyHistoryPage(subject, headKey string, req *tlv1.HistoryRequest, resp *tlv1.HistoryResponse, anchorChain []byte) (*VerifiedPage, error) {
	vp, err := proof.VerifyHistoryPage(subject, headKey, req, resp, anchorChain)
	return vp, notVerified(err)
}

// HistoryPage returns the verified page of subject's history (asked for
// under its canonical form) that holds the records at positions offset to
// offset+limit-1 (0 is the oldest; at most tlv1.MaxHistoryPage records, fewer
// at the end), proven against the subject's head alone and its roots
// against a header the light client verified. A page that ends more than
// tlv1.MaxHistorySuffix records before the newest is refused by the node
// (code 30): read those with History, or NewestHistoryPage and back.
func (c *Client) HistoryPage(ctx context.Context, subject string, offset uint64, limit uint32) (*VerifiedPage, Proven, error) {
	if limit == 0 {
		return nil, Proven{}, fmt.Errorf("a history page needs a limit of 1 to %d records", tlv1.MaxHistoryPage)
	}
	return c.historyPage(ctx, subject, &tlv1.HistoryRequest{Offset: offset, Limit: limit})
}

// NewestHistoryPage returns the verified page of subject's newest records
// (at most limit, capped at tlv1.MaxHistoryPage), which needs no suffix at
// all: the page a reader usually wants first. Its Offset says where it
// starts; older pages are HistoryPage(ctx, subject, offset, ...).
func (c *Client) NewestHistoryPage(ctx context.Context, subject string, limit uint32) (*VerifiedPage, Proven, error) {
	if limit == 0 {
		return nil, Proven{}, fmt.Errorf("a history page needs a limit of 1 to %d records", tlv1.MaxHistoryPage)
	}
	return c.historyPage(ctx, subject, &tlv1.HistoryRequest{FromEnd: true, Limit: limit})
}

func (c *Client) historyPage(ctx context.Context, subject string, req *tlv1.HistoryRequest) (*VerifiedPage, Proven, error) {
	subject, err := CanonicalSubject(subject)
	if err != nil {
		return nil, Proven{}, err
	}
	req.Subject = subject
	vp, _, p, err := verifiedQuery(ctx, c, tlv1.PathHistory, req, func(resp *tlv1.HistoryResponse) (*VerifiedPage, error) {
		return VerifyHistoryPage(subject, tlv1.HeadKey(subject), req, resp, nil)
	})
	return vp, p, err
}

// ProvenPage is one page of a history walk: the node's answer, the
// verified page and the header it rests on.
type ProvenPage struct {
	Response *tlv1.HistoryResponse
	Page     *VerifiedPage
	Proven   Proven
}

// HistoryPages is a subject's whole history read page by page, newest
// first, each page verified and its roots checked against a header the
// light client verified. Pages[0] is the newest page, whose head says how
// many records there are; each older page is proven against the chain
// value before the page after it (its anchor), so the pages together are
// the complete history as of Pages[0]'s height even when later pages were
// answered at later heights (positions never change: the chain only
// grows).
type HistoryPages struct {
	Subject string
	// Head is the newest page's head; nil when the subject is proven to
	// have no history.
	Head *tlv1.Head
	// Pages run from the newest to the oldest.
	Pages []ProvenPage
}

// Proven is what the head rests on: the newest page's header.
func (h *HistoryPages) Proven() Proven { return h.Pages[0].Proven }

// Records are every record, oldest first; roots[i] are the state roots
// records[i]'s inclusion proof ends in and proofs[i] that proof.
func (h *HistoryPages) Records() (records []*VerifiedRecord, proofs []*tlv1.ProvenRecord, roots []*tlv1.StateRoots) {
	for i := len(h.Pages) - 1; i >= 0; i-- {
		p := h.Pages[i]
		records = append(records, p.Page.Records...)
		proofs = append(proofs, p.Response.Records...)
		for range p.Page.Records {
			roots = append(roots, p.Response.Roots)
		}
	}
	return records, proofs, roots
}

// HistoryPagesOf reads subject's whole history (asked for under its
// canonical form) in pages of tlv1.MaxHistoryPage, from the newest back,
// each older page asked with an anchor so that no page carries a suffix,
// each answered at the node's latest height and checked there. A history
// of any length is read this way in O(length) records; one that fits one
// page is one query, the same as an unpaged read.
func (c *Client) HistoryPagesOf(ctx context.Context, subject string) (*HistoryPages, error) {
	subject, err := CanonicalSubject(subject)
	if err != nil {
		return nil, err
	}
	key := tlv1.HeadKey(subject)
	req := &tlv1.HistoryRequest{Subject: subject, FromEnd: true, Limit: tlv1.MaxHistoryPage}
	out := &HistoryPages{Subject: subject}
	for {
		var anchor []byte
		if n := len(out.Pages); n > 0 {
			anchor = out.Pages[n-1].Page.ChainBefore
		}
		vp, resp, p, err := verifiedQuery(ctx, c, tlv1.PathHistory, req, func(resp *tlv1.HistoryResponse) (*VerifiedPage, error) {
			return VerifyHistoryPage(subject, key, req, resp, anchor)
		})
		if err != nil {
			if len(out.Pages) > 0 {
				err = fmt.Errorf("history of %s, page at %d: %w", subject, req.Offset, err)
			}
			return nil, err
		}
		if len(out.Pages) == 0 {
			out.Head = vp.Head
		}
		out.Pages = append(out.Pages, ProvenPage{Response: resp, Page: vp, Proven: p})
		if vp.Offset == 0 {
			return out, nil
		}
		l := min(vp.Offset, tlv1.MaxHistoryPage)
		req = &tlv1.HistoryRequest{Subject: subject, Offset: vp.Offset - l, Limit: uint32(l), Anchor: vp.Offset}
	}
}

// ProvenHistory returns the /history answer for subject, the whole
// history with each record's inclusion proof at one height, as the node
// would send it unpaged, and the verified history, asked for under
// subject's canonical form (CanonicalSubject; the history's Subject says
// which), after checking completeness against the head and the roots
// against a header the light client verified. A history longer than one
// page is read in pages all asked at the first page's height; the node
// keeps only its latest two heights, so a walk that outlives them starts
// again, a few times, and then fails with code 32 (height_unavailable):
// HistoryPagesOf reads any history, across heights.
func (c *Client) ProvenHistory(ctx context.Context, subject string) (*tlv1.HistoryResponse, *VerifiedHistory, Proven, error) {
	subject, err := CanonicalSubject(subject)
	if err != nil {
		return nil, nil, Proven{}, err
	}
	for attempt := 1; ; attempt++ {
		resp, vh, h, err := c.rootedHistory(ctx, subject, 0)
		var qe *QueryError
		if err != nil && attempt < 4 && errors.As(err, &qe) && qe.Code == uint32(tlv1.CodeHeightUnavailable) {
			continue
		}
		if err != nil {
			return nil, nil, Proven{}, err
		}
		p, err := c.verifyRoots(ctx, resp.Roots, h)
		if err != nil {
			return nil, nil, Proven{}, err
		}
		return resp, vh, p, nil
	}
}

// rootedHistory reads subject's whole history (canonical) at height (0:
// the latest, then pinned to the first answer's height) page by page,
// newest first, each page verified against the first page's roots and
// anchored at the page after it; the result is checked again as a whole
// (VerifyHistory). The roots are not checked against a header here.
func (c *Client) rootedHistory(ctx context.Context, subject string, height int64) (*tlv1.HistoryResponse, *VerifiedHistory, int64, error) {
	key := tlv1.HeadKey(subject)
	req := &tlv1.HistoryRequest{Subject: subject, FromEnd: true, Limit: tlv1.MaxHistoryPage}
	first, h, err := rootedAnswer[tlv1.HistoryResponse](ctx, c, tlv1.PathHistory, req, height)
	if err != nil {
		return nil, nil, 0, err
	}
	if height != 0 && h != height {
		return nil, nil, 0, fmt.Errorf("%w: history answered at height %d, asked at %d", ErrNotVerified, h, height)
	}
	vp, err := VerifyHistoryPage(subject, key, req, first, nil)
	if err != nil {
		return nil, nil, 0, err
	}
	if vp.Offset == 0 {
		// The newest page is the whole history: byte for byte the
		// unpaged answer.
		return first, &VerifiedHistory{Subject: subject, Head: vp.Head, Records: vp.Records}, h, nil
	}
	pages := [][]*tlv1.ProvenRecord{first.Records}
	total := len(first.Records)
	for vp.Offset > 0 {
		l := min(vp.Offset, tlv1.MaxHistoryPage)
		req := &tlv1.HistoryRequest{Subject: subject, Offset: vp.Offset - l, Limit: uint32(l), Anchor: vp.Offset}
		resp, ph, err := rootedAnswer[tlv1.HistoryResponse](ctx, c, tlv1.PathHistory, req, h)
		if err != nil {
			return nil, nil, 0, fmt.Errorf("history of %s, page at %d: %w", subject, req.Offset, err)
		}
		if ph != h || !sameRoots(resp.Roots, first.Roots) {
			return nil, nil, 0, fmt.Errorf("%w: history page at %d answered at other roots than the newest page (height %d, not %d)", ErrNotVerified, req.Offset, ph, h)
		}
		if vp, err = VerifyHistoryPage(subject, key, req, resp, vp.ChainBefore); err != nil {
			return nil, nil, 0, err
		}
		pages = append(pages, resp.Records)
		total += len(resp.Records)
	}
	whole := &tlv1.HistoryResponse{Roots: first.Roots, Head: first.Head, Records: make([]*tlv1.ProvenRecord, 0, total)}
	for i := len(pages) - 1; i >= 0; i-- {
		whole.Records = append(whole.Records, pages[i]...)
	}
	vh, err := VerifyHistory(subject, key, whole)
	if err != nil {
		return nil, nil, 0, err
	}
	return whole, vh, h, nil
}
