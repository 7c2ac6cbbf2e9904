// SPDX-License-Identifier: Apache-2.0

package app

import (
	"bytes"
	"crypto/ed25519"
	"testing"
)

// edgeCases are signatures on which Ed25519 implementations are known to
// disagree: small-order keys and nonces, non-canonical encodings of the key,
// the nonce and the scalar.
func edgeCases() [][3][]byte {
	zero32 := make([]byte, 32)
	identity := append([]byte{1}, make([]byte, 31)...)
	// y = p + 1: a non-canonical encoding of the identity.
	nonCanonID := append(append([]byte{0xee}, bytes.Repeat([]byte{0xff}, 30)...), 0x7f)
	// S = L, the group order: not a canonical scalar.
	order := []byte{0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10}
	// A point of order 8 (y = 0... encoding of a small-order point).
	order8 := []byte{0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
		0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05}
	msg := []byte("traceledger")
	cat := func(a, b []byte) []byte { return append(append([]byte{}, a...), b...) }
	_, priv, _ := ed25519.GenerateKey(nil)
	pub := priv.Public().(ed25519.PublicKey)
	good := ed25519.Sign(priv, msg)
	flipped := bytes.Clone(good)
	flipped[40] ^= 1
	return [][3][]byte{
		{identity, msg, cat(identity, zero32)},   // small-order key and nonce, S = 0
		{identity, msg, cat(identity, order)},    // S = L
		{nonCanonID, msg, cat(identity, zero32)}, // non-canonical key
		{identity, msg, cat(nonCanonID, zero32)}, // non-canonical nonce
		{order8, msg, cat(order8, zero32)},       // order-8 key and nonce
		{order8, []byte("x"), cat(identity, zero32)},
		{pub, msg, good},
		{pub, msg, flipped},
		{pub, []byte("other"), good},
		{zero32, msg, cat(zero32, zero32)},
		{bytes.Repeat([]byte{0xff}, 32), msg, good},
	}
}

// TestVerifyMatchesStdlib checks sigVerifier against crypto/ed25519 on the
// edge cases and on many ordinary valid and invalid signatures, twice (the
// second time from the expanded-key cache).
func TestVerifyMatchesStdlib(t *testing.T) {
	v := newSigVerifier()
	cases := edgeCases()
	for i := 0; i < 200; i++ {
		_, priv, _ := ed25519.GenerateKey(nil)
		msg := []byte{byte(i), byte(i >> 8)}
		sig := ed25519.Sign(priv, msg)
		if i%3 == 0 {
			sig[i%64] ^= byte(1 << (i % 8))
		}
		cases = append(cases, [3][]byte{priv.Public().(ed25519.PublicKey), msg, sig})
	}
	accepted := 0
	for pass := 0; pass < 2; pass++ {
		for i, c := range cases {
			want := ed25519.Verify(c[0], c[1], c[2])
			if got := v.verify(c[0], c[1], c[2]); got != want {
				t.Fatalf("pass %d case %d: verify = %v, crypto/ed25519 says %v", pass, i, got, want)
			}
			if want {
				accepted++
			}
		}
	}
	if accepted < 200 {
		t.Fatalf("only %d signatures verified: the cases do not exercise acceptance", accepted)
	}
	if v.verify([]byte{1, 2}, nil, make([]byte, 64)) || v.verify(make([]byte, 32), nil, make([]byte, 10)) {
		t.Fatal("wrong lengths verified")
	}
}

// FuzzVerifySignature is the differential check: sigVerifier and
// crypto/ed25519 agree on every (key, message, signature).
func FuzzVerifySignature(f *testing.F) {
	for _, c := range edgeCases() {
		f.Add(c[0], c[1], c[2])
	}
	v := newSigVerifier()
	f.Fuzz(func(t *testing.T, pub, msg, sig []byte) {
		if len(pub) != ed25519.PublicKeySize {
			if v.verify(pub, msg, sig) {
				t.Fatal("a key of the wrong length verified")
			}
			return
		}
		if got, want := v.verify(pub, msg, sig), ed25519.Verify(pub, msg, sig); got != want {
			t.Fatalf("verify(%x, %x, %x) = %v, crypto/ed25519 says %v", pub, msg, sig, got, want)
		}
	})
}
