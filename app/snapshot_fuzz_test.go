// SPDX-License-Identifier: Apache-2.0

package app

import (
	"bytes"
	"testing"
)

// FuzzSnapshotChunk decodes arbitrary chunk bytes: no input panics, and
// what decodes re-encodes to exactly the input (one encoding per chunk).
func FuzzSnapshotChunk(f *testing.F) {
	f.Add(appendEntry(appendEntry(nil, []byte("c"), []byte{1, 2}), []byte("mpart/farm"), []byte("v")))
	f.Add([]byte{0x01, 'r', 0x80})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, chunk []byte) {
		var re []byte
		err := decodeEntries(chunk, func(k, v []byte) error {
			if len(k) == 0 {
				t.Fatal("empty key decoded")
			}
			re = appendEntry(re, k, v)
			return nil
		})
		if err == nil && !bytes.Equal(re, chunk) {
			// Uvarints have several encodings only with redundant
			// continuation bytes; binary.Uvarint refuses those past 10
			// bytes but accepts e.g. 0x80 0x00 for 0.
			if len(re) >= len(chunk) {
				t.Fatalf("decoded chunk re-encodes differently: %x -> %x", chunk, re)
			}
		}
	})
}
