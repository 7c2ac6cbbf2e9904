// SPDX-License-Identifier: Apache-2.0

package verify_test

import (
	"testing"

	"github.com/traceledger/traceledger/portal/verify"
)

// BenchmarkVerify50 verifies what the product page of a 50-record lot
// reads (testdata/history50.json, from a real node): the header path from
// the genesis, the bundle's 50 records and completeness, the history,
// trace and credit answers with their light blocks, and the trace walk.
// The same input is timed in Chromium by TestPortalInChromium
// (docs/PERFORMANCE.md).
func BenchmarkVerify50(b *testing.B) {
	in, _ := recorded(b)
	for b.Loop() {
		if r := verify.Verify(in); !r.Verified {
			b.Fatal(r.Errors)
		}
	}
}
