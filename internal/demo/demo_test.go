// SPDX-License-Identifier: Apache-2.0

package demo

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestDemo runs the whole demo: a real CometBFT node in-process, real badger
// files, transactions submitted and committed, the history queried and
// verified through CometBFT's light client.
func TestDemo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := Run(ctx, Options{Out: &out, Home: t.TempDir()}); err != nil {
		t.Fatalf("demo failed: %v\noutput:\n%s", err, out.String())
	}
	s := out.String()
	if n := strings.Count(s, "VERIFIED"); n != len(journey)+1 {
		t.Fatalf("want %d VERIFIED lines (each event and the absence), got %d:\n%s", len(journey)+1, n, s)
	}
	for _, want := range []string{"proven absent", "complete: 11 records", "retail_selling"} {
		if !strings.Contains(s, want) {
			t.Fatalf("output lacks %q:\n%s", want, s)
		}
	}
}
