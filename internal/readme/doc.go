// SPDX-License-Identifier: Apache-2.0

// Package readme runs the shell commands of the repository's README.md, in
// order, as a reader pastes them into a shell on a fresh machine, so that
// they cannot drift from what the binary does. It has no API: the work is in
// its tests (go test ./internal/readme/).
//
// Every fenced block whose info string is sh (or bash, shell) runs, unless
// an HTML comment on the line just before its opening fence says otherwise:
//
//	<!-- readme-test: skip (REASON) -->
//	    the block is not run (it needs Docker, or takes minutes)
//	<!-- readme-test: background; ready: COMMAND -->
//	    each command of the block is started as a process of its own and
//	    left running (a node's `start`); then COMMAND is run until it exits 0
//	<!-- readme-test: omit PREFIX (REASON) -->
//	    the block runs without its commands that begin with PREFIX
//
// The blocks share one working directory, a copy of the repository's files
// (tracked, or untracked and not ignored), with bin/ on PATH, a HOME of its
// own, no terminal and no TRACELEDGER_* variables.
package readme
