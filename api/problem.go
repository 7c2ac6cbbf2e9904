// SPDX-License-Identifier: Apache-2.0

package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"

	"github.com/cometbft/cometbft/light"
	"github.com/cometbft/cometbft/light/provider"

	"github.com/traceledger/traceledger/client"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// ProblemContentType is the media type of every error answer (RFC 7807).
const ProblemContentType = "application/problem+json"

// problemTypeBase prefixes the type URI of a problem: the stable code name
// is the fragment, e.g. ".../ERRORS.md#epcis_invalid_identifier".
const problemTypeBase = "https://github.com/traceledger/traceledger/blob/main/docs/ERRORS.md#"

// Problem is an RFC 7807 problem document carrying the stable TraceLedger
// code. Members beyond RFC 7807's (code, name, field, hint, rejection,
// evidence) are extension members.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Code and Name are the stable TraceLedger code and its name
	// (docs/ERRORS.md); clients branch on them, never on Detail.
	Code uint32 `json:"code"`
	Name string `json:"name"`
	// Field is the request parameter or body member at fault.
	Field string `json:"field,omitempty"`
	// Hint says what to do.
	Hint string `json:"hint,omitempty"`
	// Rejection are the machine-readable facts of a refused transaction.
	Rejection *RejectionView `json:"rejection,omitempty"`
	// Stage is where a transaction was refused: "check" or "deliver".
	Stage string `json:"stage,omitempty"`
	// Height and Evidence are set for a verified absence (404): the proof
	// that nothing is there, like a read answer's evidence.
	Height   int64     `json:"height,omitempty"`
	Evidence *Evidence `json:"evidence,omitempty"`
}

// RejectionView is tlv1.Rejection as JSON.
type RejectionView struct {
	Code          uint32  `json:"code"`
	Message       *uint32 `json:"message,omitempty"`
	BatchEvent    *uint32 `json:"batch_event,omitempty"`
	NextSequence  *uint64 `json:"next_sequence,omitempty"`
	ExistingIndex *uint64 `json:"existing_index,omitempty"`
}

// problemError is an error that is answered with a problem document.
type problemError struct {
	status int
	code   tlv1.Code
	field  string
	detail string
	hint   string
	// extra members
	rejection *RejectionView
	stage     string
	height    int64
	evidence  *Evidence
	// absence marks a verified absence: its evidence is attached once
	// the reader's roots are verified.
	absence bool
	// cache, when set, lets the answer be cached like a read answer
	// (a verified absence at a height).
	cacheable bool
}

// Error implements error.
func (e *problemError) Error() string {
	return fmt.Sprintf("%d %s (code %d): %s", e.status, e.code, uint32(e.code), e.detail)
}

// badRequest is a 400 naming the field at fault.
func badRequest(code tlv1.Code, field, hint, format string, args ...any) *problemError {
	return &problemError{status: http.StatusBadRequest, code: code, field: field, hint: hint, detail: fmt.Sprintf(format, args...)}
}

// notFound is a 404.
func notFound(code tlv1.Code, field, hint, format string, args ...any) *problemError {
	return &problemError{status: http.StatusNotFound, code: code, field: field, hint: hint, detail: fmt.Sprintf(format, args...)}
}

// classify turns any error of a read or a submission into a problem. It
// reports whether the error is a failed verification (to be counted).
func classify(ctx context.Context, err error) (p *problemError, verificationFailed bool) {
	var pe *problemError
	var qe *client.QueryError
	var cm *client.ChainIDMismatchError
	var stale *client.StaleError
	switch {
	case errors.As(err, &pe):
		return pe, false
	case errors.Is(err, client.ErrInvalidIdentifier):
		return badRequest(tlv1.CodeEPCISInvalidIdentifier, "identifier",
			"give a GS1 key (EPC URI or Digital Link), a national code that passes its structure check, or another absolute URI; percent-encode it in the path",
			"%v", err), false
	case errors.As(err, &cm):
		return &problemError{status: http.StatusBadGateway, code: tlv1.CodeAPINotVerified, detail: err.Error(),
			hint: "the API server's node runs another chain than its genesis: the operator must point it at a node of this chain"}, true
	case errors.As(err, &stale):
		return &problemError{status: http.StatusBadGateway, code: tlv1.CodeAPIAnswerStale, detail: err.Error(),
			hint: "the node's latest answer is genuine but old (it may be lagging, halted or replaying): it was not served as current; retry, or ask with ?height= for a historical answer"}, false
	case transportFailure(err):
		// Checked before ErrNotVerified: a header (or answer) that could
		// not be fetched was not shown false, whatever wraps the error.
		if timedOut(ctx, err) {
			return &problemError{status: http.StatusGatewayTimeout, code: tlv1.CodeAPITimeout, detail: err.Error(),
				hint: "the node did not answer in time; retry (a verified answer waits for the next block's header)"}, false
		}
		return &problemError{status: http.StatusServiceUnavailable, code: tlv1.CodeAPINodeUnavailable, detail: err.Error(),
			hint: "retry later; the API server cannot reach its node"}, false
	case errors.Is(err, light.ErrNoWitnesses):
		return &problemError{status: http.StatusServiceUnavailable, code: tlv1.CodeAPINodeUnavailable, detail: err.Error(),
			hint: "the API server has no witness left to cross-check headers against (a witness that served a conflicting header is dropped): the operator must restart it with honest witnesses"}, false
	case errors.Is(err, light.ErrFailedHeaderCrossReferencing):
		return &problemError{status: http.StatusServiceUnavailable, code: tlv1.CodeAPINodeUnavailable, detail: err.Error(),
			hint: "no witness confirmed the node's header (unreachable, behind, or dropped for serving a conflicting header): the answer was not served; retry later, and report it to the operator"}, false
	case ctx.Err() != nil && errors.Is(err, client.ErrNotVerified):
		// The request ended (the client went away, or the time limit
		// passed) while its answer waited for a header: the light client
		// reports that as a failed check, but nothing was found wrong.
		return &problemError{status: http.StatusGatewayTimeout, code: tlv1.CodeAPITimeout, detail: err.Error(),
			hint: "retry; a verified answer waits for the next block's header"}, false
	case errors.Is(err, client.ErrNotVerified):
		return &problemError{status: http.StatusBadGateway, code: tlv1.CodeAPINotVerified, detail: err.Error(),
			hint: "the node's answer did not verify and was not served; retry later, and report it to the operator"}, true
	case errors.As(err, &qe):
		return queryProblem(qe), false
	case errors.Is(err, context.DeadlineExceeded) || (ctx.Err() != nil && errors.Is(err, context.Canceled)):
		return &problemError{status: http.StatusGatewayTimeout, code: tlv1.CodeAPITimeout, detail: err.Error(),
			hint: "retry; a verified answer waits for the next block's header"}, false
	}
	return &problemError{status: http.StatusServiceUnavailable, code: tlv1.CodeAPINodeUnavailable, detail: err.Error(),
		hint: "retry later; the API server cannot reach its node"}, false
}

// transportFailure reports whether err is a failure to reach or hear from
// a node (connection refused or dropped, a time-out, a deadline while
// fetching) rather than an answer that failed a check: the CLI's
// "unreachable".
func transportFailure(err error) bool {
	var ue *url.Error
	var oe *net.OpError
	var de *net.DNSError
	switch {
	case errors.As(err, &ue) && ue.Op != "parse",
		errors.As(err, &oe), errors.As(err, &de),
		errors.Is(err, provider.ErrNoResponse),
		errors.Is(err, context.DeadlineExceeded):
		return true
	}
	return false
}

// timedOut reports whether a transport failure is a time-out.
func timedOut(ctx context.Context, err error) bool {
	var te interface{ Timeout() bool }
	return errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil ||
		(errors.As(err, &te) && te.Timeout())
}

// queryProblem maps a node's refusal of a query to a problem.
func queryProblem(qe *client.QueryError) *problemError {
	code := tlv1.Code(qe.Code)
	switch code {
	case tlv1.CodeInvalidQuery, tlv1.CodeProofSizeAhead:
		return &problemError{status: http.StatusBadRequest, code: code, detail: qe.Log}
	case tlv1.CodeEPCISInvalidIdentifier:
		return &problemError{status: http.StatusBadRequest, code: code, field: "identifier", detail: qe.Log}
	case tlv1.CodeHeightUnavailable:
		return &problemError{status: http.StatusNotFound, code: code, field: "height", detail: qe.Log,
			hint: "nodes keep only the latest two heights: ask without ?height= for the latest answer"}
	case tlv1.CodeNotFound, tlv1.CodeParticipantNotFound, tlv1.CodeAttestNotFound, tlv1.CodeProposalNotFound, tlv1.CodeKeyNotFound:
		return &problemError{status: http.StatusNotFound, code: code, detail: qe.Log}
	}
	return &problemError{status: http.StatusBadGateway, code: code, detail: qe.Log, hint: "the node refused the query; retry later"}
}

// problemOf builds the document of p.
func problemOf(p *problemError) Problem {
	name := p.code.String()
	return Problem{
		Type: problemTypeBase + name, Title: http.StatusText(p.status), Status: p.status, Detail: p.detail,
		Code: uint32(p.code), Name: name, Field: p.field, Hint: p.hint,
		Rejection: p.rejection, Stage: p.stage, Height: p.height, Evidence: p.evidence,
	}
}

// writeProblem writes p as application/problem+json.
func writeProblem(w http.ResponseWriter, p *problemError) {
	h := w.Header()
	h.Set("Content-Type", ProblemContentType)
	if !p.cacheable {
		h.Set("Cache-Control", "no-store")
	}
	w.WriteHeader(p.status)
	_ = json.NewEncoder(w).Encode(problemOf(p))
}

// rejectionView converts a refusal's facts.
func rejectionView(r *tlv1.Rejection) *RejectionView {
	if r == nil {
		return nil
	}
	return &RejectionView{Code: r.Code, Message: r.Message, BatchEvent: r.BatchEvent, NextSequence: r.NextSequence, ExistingIndex: r.ExistingIndex}
}
