// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/traceledger/traceledger/proof"
	"github.com/traceledger/traceledger/proof/internal/reftree"
	"github.com/traceledger/traceledger/proof/internal/synth"
	traceledgerv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// TestRun verifies an honest answer and rejects a tampered one.
func TestRun(t *testing.T) {
	s := synth.New(t, 3)
	const index = 5
	answer := func() *traceledgerv1.RecordResponse {
		return &traceledgerv1.RecordResponse{Roots: s.Roots(), Record: &traceledgerv1.ProvenRecord{Index: index, Record: s.Records[index],
			Inclusion: &traceledgerv1.LogInclusionProof{Index: index, Size_: uint64(len(s.Records)), Hashes: reftree.Path(index, s.LogLeaves)}}}
	}
	honest, err := answer().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(bytes.NewReader(honest), &out); err != nil {
		t.Fatalf("honest answer: %v", err)
	}
	app := s.AppHash()
	if want := "record 5 verified in the log of 11 records"; !strings.Contains(out.String(), want) || !strings.Contains(out.String(), fmt.Sprintf("app hash %X", app)) {
		t.Fatalf("output %q", out.String())
	}
	bad := answer()
	bad.Record.Record = append([]byte(nil), bad.Record.Record...)
	bad.Record.Record[0] ^= 1
	raw, _ := bad.Marshal()
	if err := run(bytes.NewReader(raw), &out); !errors.Is(err, proof.ErrRootMismatch) {
		t.Fatalf("tampered record: got %v, want a root mismatch", err)
	}
	if err := run(strings.NewReader("\xff\xff"), &out); err == nil {
		t.Fatal("garbage accepted")
	}
}
