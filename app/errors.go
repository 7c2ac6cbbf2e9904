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
