// SPDX-License-Identifier: Apache-2.0

package app

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// TestErrorCodesDocumented keeps docs/ERRORS.md in step with the codes.
func TestErrorCodesDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/ERRORS.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	for _, line := range strings.Split(string(doc), "\n") {
		if strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| code") && !strings.HasPrefix(line, "| ---") {
			rows++
		}
	}
	for _, c := range tlv1.Codes() {
		row := fmt.Sprintf("| %d | %s |", uint32(c), c)
		if !strings.Contains(string(doc), row) {
			t.Errorf("docs/ERRORS.md lacks the row %q", row)
		}
	}
	if rows != len(tlv1.Codes()) {
		t.Errorf("docs/ERRORS.md has %d code rows, the code defines %d", rows, len(tlv1.Codes()))
	}
}

func TestErrorMatching(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", rejectf(tlv1.CodeSequenceGap, "seq 5"))
	if CodeOf(err) != tlv1.CodeSequenceGap {
		t.Fatalf("CodeOf = %v", CodeOf(err))
	}
	if !errors.Is(err, ErrCode(tlv1.CodeSequenceGap)) || errors.Is(err, ErrCode(tlv1.CodeBadSignature)) {
		t.Fatal("errors.Is does not match by code")
	}
	if CodeOf(errors.New("disk on fire")) != tlv1.CodeInternal {
		t.Fatal("an uncoded error is not internal")
	}
}
