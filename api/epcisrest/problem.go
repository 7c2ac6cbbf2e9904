// SPDX-License-Identifier: Apache-2.0

package epcisrest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/traceledger/traceledger/api"
	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/epcis"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// The exception types of EPCIS 2.0 (section 8.2.3 and the REST bindings):
// the "type" of every problem document of the interface.
const (
	excValidation      = "epcisException:ValidationException"
	excQueryParameter  = "epcisException:QueryParameterException"
	excQueryTooLarge   = "epcisException:QueryTooLargeException"
	excQueryTooComplex = "epcisException:QueryTooComplexException"
	excNoSuchResource  = "epcisException:NoSuchResourceException"
	excSecurity        = "epcisException:SecurityException"
	excCaptureLimit    = "epcisException:CaptureLimitExceededException"
	excAlreadyExists   = "epcisException:ResourceAlreadyExistsException"
	excImplementation  = "epcisException:ImplementationException"
	excUnsupportedType = "epcisException:UnsupportedMediaTypeException"
)

// Problem is an RFC 7807 problem document of the EPCIS interface: the
// standard's exception type in Type, with TraceLedger's stable code and
// name (docs/ERRORS.md) and the field at fault as extension members, as in
// the rest of the API. A capture job's errors are Problems too, naming the
// event by its 0-based index in the captured document.
type Problem struct {
	api.Problem
	// EventIndex is the 0-based position of the event in the captured
	// document; EventID its Event Hash ID when it has one.
	EventIndex *int   `json:"eventIndex,omitempty"`
	EventID    string `json:"eventID,omitempty"`
	// ExistingIndex is the log index of the record that already holds a
	// duplicate event.
	ExistingIndex *uint64 `json:"existingIndex,omitempty"`
}

// problemError is an error answered with a Problem.
type problemError struct {
	p       Problem
	headers map[string]string
}

func (e *problemError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.p.Status, e.p.Type, e.p.Detail)
}

// newProblem builds a problem.
func newProblem(status int, typ string, code tlv1.Code, field, hint, format string, args ...any) *problemError {
	return &problemError{p: Problem{Problem: api.Problem{Type: typ, Title: http.StatusText(status), Status: status,
		Detail: fmt.Sprintf(format, args...), Code: uint32(code), Name: code.String(), Field: field, Hint: hint}}}
}

// queryParam is a 400 QueryParameterException about the query parameter
// name.
func queryParam(name, hint, format string, args ...any) *problemError {
	return newProblem(http.StatusBadRequest, excQueryParameter, tlv1.CodeInvalidQuery, name, hint, format, args...)
}

// writeProblem writes a problem document.
func writeProblem(w http.ResponseWriter, pe *problemError) {
	h := w.Header()
	for k, v := range pe.headers {
		h.Set(k, v)
	}
	h.Set("Content-Type", api.ProblemContentType)
	h.Set("Cache-Control", "no-store")
	setVersionHeaders(h)
	w.WriteHeader(pe.p.Status)
	_ = json.NewEncoder(w).Encode(pe.p)
}

// fail answers err: a problem as it is, anything else classified.
func (g *Gateway) fail(ctx context.Context, w http.ResponseWriter, r *http.Request, err error) {
	pe := g.classify(ctx, err)
	if pe.p.Status >= 500 {
		g.log.Warn("EPCIS request failed", "method", r.Method, "path", r.URL.Path, "status", pe.p.Status, "err", err)
	}
	writeProblem(w, pe)
}

// classify turns an error into a problem.
func (g *Gateway) classify(ctx context.Context, err error) *problemError {
	var pe *problemError
	var qe *client.QueryError
	switch {
	case errors.As(err, &pe):
		return pe
	case errors.Is(err, client.ErrNotVerified):
		g.log.Error("refused an answer that failed verification", "err", err)
		return newProblem(http.StatusBadGateway, excImplementation, tlv1.CodeAPINotVerified, "",
			"the node's answer did not verify and was not served; retry later, and report it to the operator", "%v", err)
	case errors.As(err, &qe):
		return newProblem(http.StatusBadGateway, excImplementation, tlv1.Code(qe.Code), "", "the node refused the query; retry later", "%s", qe.Log)
	case errors.Is(err, context.DeadlineExceeded) || (ctx.Err() != nil && errors.Is(err, context.Canceled)):
		return newProblem(http.StatusGatewayTimeout, excImplementation, tlv1.CodeAPITimeout, "", "retry; a verified answer waits for the next block's header", "%v", err)
	}
	return newProblem(http.StatusServiceUnavailable, excImplementation, tlv1.CodeAPINodeUnavailable, "", "retry later; the gateway cannot reach its node", "%v", err)
}

// eventProblem is a capture job's error about one event: a validation
// failure (an *epcis.EventError names the field), a refusal by the
// ledger, or a duplicate.
func eventProblem(index int, hashID string, err error) Problem {
	code := tlv1.CodeEPCISInvalidEvent
	typ := excValidation
	field := ""
	var ee *epcis.EventError
	if errors.As(err, &ee) {
		field = ee.Field
	}
	var te *client.TxError
	var existing *uint64
	if errors.As(err, &te) && te.Codespace == tlv1.Codespace {
		code = tlv1.Code(te.Code)
		if te.Rejection != nil {
			existing = te.Rejection.ExistingIndex
		}
	}
	if idx, ok := client.AlreadyRecorded(err); ok {
		code, typ, existing = tlv1.CodeEPCISDuplicateEvent, excAlreadyExists, &idx
	}
	var de *duplicateError
	if errors.As(err, &de) {
		code, typ = tlv1.CodeEPCISDuplicateEvent, excAlreadyExists
		if de.recorded {
			existing = &de.index
		}
	}
	i := index
	p := Problem{Problem: api.Problem{Type: typ, Title: "event " + fmt.Sprint(index) + " not captured", Status: http.StatusBadRequest,
		Detail: err.Error(), Code: uint32(code), Name: code.String(), Field: field}, EventIndex: &i, EventID: hashID, ExistingIndex: existing}
	if typ == excAlreadyExists {
		p.Status = http.StatusConflict
		p.Hint = "the event is already on the ledger: nothing to do"
	}
	return p
}

// duplicateError is an event that repeats a recorded event or an earlier
// event of the same document.
type duplicateError struct {
	hashID   string
	recorded bool // on the ledger (index set), else earlier in the document
	index    uint64
	earlier  int
}

func (e *duplicateError) Error() string {
	if e.recorded {
		return fmt.Sprintf("event %s is already recorded at log index %d", e.hashID, e.index)
	}
	return fmt.Sprintf("event %s repeats event %d of the same document", e.hashID, e.earlier)
}
