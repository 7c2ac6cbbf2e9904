// SPDX-License-Identifier: Apache-2.0

package bundle

import (
	"bytes"
	"testing"

	"github.com/traceledger/traceledger/proof/light"
)

// FuzzVerifyBundle decodes and verifies arbitrary documents: no input may
// panic, and a nil error always comes with a verified report.
func FuzzVerifyBundle(f *testing.F) {
	b, root, _ := honestBundle(f)
	var buf bytes.Buffer
	if err := b.Encode(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(`{"format":"traceledger-proof-bundle","version":1,"light_blocks":[{}]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		bd, err := Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		rep, err := Verify(bd, root, light.HeaderOptions{})
		if err == nil && (rep == nil || !rep.Verified || len(rep.Errors) != 0) {
			t.Fatalf("nil error but report %+v", rep)
		}
	})
}
