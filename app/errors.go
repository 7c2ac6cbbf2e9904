// SPDX-License-Identifier: Apache-2.0

package app

import (
	"errors"
	"fmt"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Error is a rejection with a stable code and a message that says what was
// wrong and where.
type Error struct {
	Code tlv1.Code
	Msg  string
	// Facts are the refusal's machine-readable facts (which message, which
	// batch event, the next sequence, the existing record); results carry
	// them marshalled as their data (see Rejection), so that clients never
	// parse Msg. Facts.Code is ignored: Code is the code.
	Facts tlv1.Rejection
}

// Rejection returns the result data of the refusal: its code and facts.
func (e *Error) Rejection() *tlv1.Rejection {
	r := e.Facts
	r.Code = uint32(e.Code)
	return &r
}

// rejectionData marshals err's Rejection for a result's data; a failure of
// the node (no *Error) has none.
func rejectionData(err error) []byte {
	var e *Error
	if !errors.As(err, &e) {
		return nil
	}
	bz, merr := e.Rejection().Marshal()
	if merr != nil {
		return nil
	}
	return bz
}

// factU32 and factU64 return pointers for Rejection's optional facts.
func factU32(v int) *uint32    { x := uint32(v); return &x }
func factU64(v uint64) *uint64 { return &v }

// withFacts returns err with set applied to its facts when it is a
// rejection; other errors pass unchanged.
func withFacts(err error, set func(*tlv1.Rejection)) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	c := *e
	set(&c.Facts)
	return &c
}

// Error implements error.
func (e *Error) Error() string { return fmt.Sprintf("%s (code %d): %s", e.Code, uint32(e.Code), e.Msg) }

// Is makes errors.Is match any *Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Msg == ""
}

// rejectf builds an *Error with a formatted message.
func rejectf(code tlv1.Code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code carried by err, or tlv1.CodeInternal when err carries
// none (a failure of the node rather than of the input).
func CodeOf(err error) tlv1.Code {
	if err == nil {
		return tlv1.CodeOK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return tlv1.CodeInternal
}

// ErrCode returns a sentinel for code, for use with errors.Is.
func ErrCode(code tlv1.Code) error { return &Error{Code: code} }
