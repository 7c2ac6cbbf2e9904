// SPDX-License-Identifier: Apache-2.0

package client

import (
	"bytes"
	"testing"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// FuzzDecodeDisclosurePlaintext feeds arbitrary bytes (what a decrypted
// disclosure may hold) to the decoder: it must not panic, and what it
// accepts must be for the chain asked and name exactly the events asked,
// in order, and re-encode to a plaintext that decodes the same. Seeds are
// in code and in testdata/fuzz/FuzzDecodeDisclosurePlaintext.
func FuzzDecodeDisclosurePlaintext(f *testing.F) {
	for _, pt := range []*tlv1.DisclosurePlaintext{
		{ChainId: "c", Payloads: []*tlv1.DisclosedPayload{{EventIndex: 3, Payload: []byte(`{"kg":1}`)}}},
		{ChainId: "c", Payloads: []*tlv1.DisclosedPayload{{EventIndex: 3}, {EventIndex: 9, Payload: []byte("x")}}},
		{ChainId: "other"},
	} {
		bz, err := pt.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(bz, uint64(3), uint64(9))
	}
	f.Fuzz(func(t *testing.T, bz []byte, a, b uint64) {
		want := []uint64{a}
		if b > a {
			want = append(want, b)
		}
		pt, err := DecodeDisclosurePlaintext(bz, "c", want)
		if err != nil {
			return
		}
		if pt.ChainId != "c" || len(pt.Payloads) != len(want) {
			t.Fatalf("accepted %+v for %v", pt, want)
		}
		for i, p := range pt.Payloads {
			if p.EventIndex != want[i] {
				t.Fatalf("payload %d is for event %d, want %d", i, p.EventIndex, want[i])
			}
		}
		again, err := pt.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		pt2, err := DecodeDisclosurePlaintext(again, "c", want)
		if err != nil {
			t.Fatalf("re-encoded plaintext does not decode: %v", err)
		}
		for i := range pt.Payloads {
			if !bytes.Equal(pt.Payloads[i].Payload, pt2.Payloads[i].Payload) {
				t.Fatalf("payload %d changed in a round trip", i)
			}
		}
	})
}
