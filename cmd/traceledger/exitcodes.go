// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"

	"github.com/cometbft/cometbft/light/provider"

	"github.com/traceledger/traceledger/client"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// exitCode is the process exit status of a traceledger command. Every
// command's error is mapped to one by exitCodeOf, from its type (never its
// message); the table is exitCodes.
type exitCode int

// The exit codes.
const (
	// exitOK: success; anything that was checked verified.
	exitOK exitCode = 0
	// exitUsage: a usage or input error (unknown command or flag, bad
	// argument, unreadable file, a transaction the network refused).
	exitUsage exitCode = 1
	// exitNotVerified: verification failed, or there is evidence of
	// tampering (a proof, bundle, credential or header that does not check,
	// a node of another chain).
	exitNotVerified exitCode = 2
	// exitUnreachable: the node could not be reached or asked (connection
	// refused, time-out, the node refused the query).
	exitUnreachable exitCode = 3
	// exitNegative: the node answered and the answer verified, but it is
	// negative: not found, proven absent, NOT valid.
	exitNegative exitCode = 4
	// exitUpgrade: the node stopped at a governed software upgrade, or
	// this binary does not fit the state (docs/GOVERNANCE.md).
	exitUpgrade exitCode = 5
)

// exitCodeInfo is one row of the exit-code table.
type exitCodeInfo struct {
	Code    exitCode
	Name    string
	Meaning string
}

// exitCodes is the exit-code table, the one definition that --help and the
// README show.
var exitCodes = []exitCodeInfo{
	{exitOK, "ok", "success, and everything checked verified"},
	{exitUsage, "usage", "usage or input error: unknown command or flag, bad argument or file, a transaction the network refused"},
	{exitNotVerified, "not-verified", "verification failed or evidence of tampering: a proof, bundle, credential or header that does not check; a node of another chain"},
	{exitUnreachable, "unreachable", "could not reach or ask a node: connection refused, time-out, query refused by the node"},
	{exitNegative, "negative", "the node answered and the answer verified, but it is negative: not found, absence proven, NOT valid"},
	{exitUpgrade, "upgrade", "the node stopped at a governed software upgrade, or this binary does not fit its state: install the binary the message names"},
}

// exitCodesText is the table as text, one code per line (for --help).
func exitCodesText() string {
	var b strings.Builder
	for _, c := range exitCodes {
		fmt.Fprintf(&b, "  %d  %-13s %s\n", c.Code, c.Name, c.Meaning)
	}
	return b.String()
}

// exitCodesMarkdown is the table as Markdown (the README's section
// "Exit codes" holds exactly this).
func exitCodesMarkdown() string {
	var b strings.Builder
	b.WriteString("| code | name | meaning |\n| --- | --- | --- |\n")
	for _, c := range exitCodes {
		fmt.Fprintf(&b, "| %d | %s | %s |\n", c.Code, c.Name, c.Meaning)
	}
	return b.String()
}

// exitError carries a specific exit status.
type exitError struct {
	code exitCode
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// withCode gives err the exit status code (nil stays nil).
func withCode(code exitCode, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// notVerified marks err, known to be a failed verification, with exit code 2.
func notVerified(err error) error { return withCode(exitNotVerified, err) }

// negative marks a verified negative answer (absence, not found, NOT valid)
// with exit code 4.
func negative(format string, args ...any) error {
	return &exitError{code: exitNegative, err: fmt.Errorf(format, args...)}
}

// usageError is a command-line usage error of command cmd (exit code 1).
type usageError struct {
	cmd string
	err error
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// exitCodeOf maps an error to its exit status by its type: an explicit
// exitError first, then "could not ask a node" (network failures are
// checked before verification failures: a proof that could not be fetched
// was not shown false), then verification failures, then negative answers;
// everything else is a usage or input error.
func exitCodeOf(err error) exitCode {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if isUpgradeError(err) {
		return exitUpgrade
	}
	if unreachable(err) {
		return exitUnreachable
	}
	var ae *client.AbsentError
	if errors.As(err, &ae) {
		return exitNegative
	}
	var pe *client.APIError
	if errors.As(err, &pe) {
		// The API server answered, but not about the transaction: its
		// node is unreachable or slow (5xx), or it is no TraceLedger API.
		if pe.Status >= 500 {
			return exitUnreachable
		}
		return exitUsage
	}
	var qe *client.QueryError
	if errors.As(err, &qe) {
		switch tlv1.Code(qe.Code) {
		case tlv1.CodeNotFound:
			return exitNegative
		case tlv1.CodeInvalidQuery:
			return exitUsage
		}
		return exitUnreachable
	}
	if errors.Is(err, client.ErrNotVerified) || errors.Is(err, client.ErrVC) {
		return exitNotVerified
	}
	return exitUsage
}

// unreachable reports whether err means the node could not be reached or
// did not answer in time.
func unreachable(err error) bool {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Op != "parse" {
		return true
	}
	var oe *net.OpError
	var de *net.DNSError
	switch {
	case errors.As(err, &oe), errors.As(err, &de),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, provider.ErrNoResponse), errors.Is(err, context.DeadlineExceeded):
		return true
	}
	return false
}
