// SPDX-License-Identifier: Apache-2.0

package client

import (
	"bytes"
	"crypto/sha256"
	"io"
	"testing"

	"filippo.io/age"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// benchPayloads are 1,000 payloads of 2 KB (issue 18's measure).
func benchPayloads() []*tlv1.DisclosedPayload {
	out := make([]*tlv1.DisclosedPayload, 1000)
	for i := range out {
		out[i] = &tlv1.DisclosedPayload{EventIndex: uint64(i), Payload: bytes.Repeat([]byte{byte(i)}, 2048)}
	}
	return out
}

func benchIdentities(b *testing.B) ([]*age.X25519Identity, []string) {
	var ids []*age.X25519Identity
	var rs []string
	for range 3 {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, id)
		rs = append(rs, id.Recipient().String())
	}
	return ids, rs
}

// BenchmarkDisclosureBaselineHash is the baseline: SHA-256 of the 1,000
// payloads, what recording their hashes costs the enterprise anyway.
func BenchmarkDisclosureBaselineHash(b *testing.B) {
	ps := benchPayloads()
	b.SetBytes(int64(len(ps) * 2048))
	for b.Loop() {
		for _, p := range ps {
			sha256.Sum256(p.Payload)
		}
	}
}

// BenchmarkDisclosureSeal encrypts 1,000 payloads of 2 KB once to three
// recipients and hashes the ciphertext (what disclose create does besides
// the transaction).
func BenchmarkDisclosureSeal(b *testing.B) {
	ps := benchPayloads()
	_, rs := benchIdentities(b)
	b.SetBytes(int64(len(ps) * 2048))
	var size int
	for b.Loop() {
		ct, err := SealDisclosure("bench", ps, rs)
		if err != nil {
			b.Fatal(err)
		}
		sha256.Sum256(ct)
		size = len(ct)
	}
	b.ReportMetric(float64(size)/float64(len(ps)), "ciphertext-B/payload")
}

// BenchmarkDisclosureOpen decrypts the ciphertext as one recipient,
// decodes it and hashes every payload (what disclose open does besides
// the verified record queries).
func BenchmarkDisclosureOpen(b *testing.B) {
	ps := benchPayloads()
	ids, rs := benchIdentities(b)
	ct, err := SealDisclosure("bench", ps, rs)
	if err != nil {
		b.Fatal(err)
	}
	idx := make([]uint64, len(ps))
	for i := range idx {
		idx[i] = uint64(i)
	}
	b.SetBytes(int64(len(ps) * 2048))
	for b.Loop() {
		sha256.Sum256(ct)
		r, err := age.Decrypt(bytes.NewReader(ct), ids[2])
		if err != nil {
			b.Fatal(err)
		}
		bz, err := io.ReadAll(r)
		if err != nil {
			b.Fatal(err)
		}
		pt, err := DecodeDisclosurePlaintext(bz, "bench", idx)
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range pt.Payloads {
			sha256.Sum256(p.Payload)
		}
	}
}
