// SPDX-License-Identifier: Apache-2.0

// Command wasmcheck is the smallest verifier built on the proof core: it
// reads one record answer (a marshalled RecordResponse) from standard
// input, verifies the record's inclusion proof against the answer's roots
// and prints the record's index and the app hash a trusted header must
// carry. It exists so that a test can build the core for GOOS=js
// GOARCH=wasm and docs/PERFORMANCE.md can record the size of such a
// binary; it imports package proof and the wire types only.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/traceledger/traceledger/proof"
	traceledgerv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "wasmcheck:", err)
		os.Exit(1)
	}
}

// run verifies the record answer read from in and reports it on out.
func run(in io.Reader, out io.Writer) error {
	raw, err := io.ReadAll(io.LimitReader(in, 1<<20))
	if err != nil {
		return fmt.Errorf("read the answer: %w", err)
	}
	var resp traceledgerv1.RecordResponse
	if err := resp.Unmarshal(raw); err != nil {
		return fmt.Errorf("decode the answer: %w", err)
	}
	vr, err := proof.VerifyRecord(resp.Roots, resp.Record)
	if err != nil {
		return err
	}
	app, err := proof.AppHashOf(resp.Roots)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "record %d verified in the log of %d records; app hash %X (header %d must carry it)\n",
		vr.Index, resp.Roots.LogSize, app, resp.Roots.Height+1)
	return err
}
