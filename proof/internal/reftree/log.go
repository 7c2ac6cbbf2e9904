// SPDX-License-Identifier: Apache-2.0

// Package reftree is a naive reference of the ledger's two trees for tests:
// an RFC 6962 log written from the recursive definitions of RFC 6962
// section 2.1 (MTH, PATH, SUBPROOF), and the authenticated map written from
// its definition in docs/PROOFS.md (recursion over a sorted list of leaves).
// It hashes with crypto/sha256 directly and does not import package proof,
// so the verifiers are checked against proofs and roots built another way
// (and the core's own tests can import it).
package reftree

import "crypto/sha256"

// LeafHash is the RFC 6962 leaf hash SHA-256(0x00 || data).
func LeafHash(data []byte) [32]byte {
	return sha256.Sum256(append([]byte{0}, data...))
}

// NodeHash is the RFC 6962 interior node hash SHA-256(0x01 || l || r).
func NodeHash(l, r [32]byte) [32]byte {
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}

// Leaves returns n distinct leaf hashes.
func Leaves(n int) [][32]byte {
	out := make([][32]byte, n)
	for i := range out {
		out[i] = LeafHash([]byte{byte(i), byte(i >> 8), 'l', 'e', 'a', 'f'})
	}
	return out
}

// split returns the largest power of two smaller than n (n >= 2).
func split(n int) int {
	k := 1
	for k<<1 < n {
		k <<= 1
	}
	return k
}

// MTH is the Merkle tree hash of leaf hashes d.
func MTH(d [][32]byte) [32]byte {
	switch len(d) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return d[0]
	}
	k := split(len(d))
	return NodeHash(MTH(d[:k]), MTH(d[k:]))
}

// Path is the inclusion proof of leaf m in d.
func Path(m int, d [][32]byte) [][]byte {
	if len(d) <= 1 {
		return nil
	}
	k := split(len(d))
	if m < k {
		h := MTH(d[k:])
		return append(Path(m, d[:k]), h[:])
	}
	h := MTH(d[:k])
	return append(Path(m-k, d[k:]), h[:])
}

// Consistency is the consistency proof from the first m leaves of d to d.
func Consistency(m int, d [][32]byte) [][]byte {
	return subproof(m, d, true)
}

func subproof(m int, d [][32]byte, b bool) [][]byte {
	n := len(d)
	if m == n {
		if b {
			return nil
		}
		h := MTH(d)
		return [][]byte{h[:]}
	}
	k := split(n)
	if m <= k {
		h := MTH(d[k:])
		return append(subproof(m, d[:k], b), h[:])
	}
	h := MTH(d[:k])
	return append(subproof(m-k, d[k:], false), h[:])
}

// CloneProof deep-copies a proof so a test can tamper with it.
func CloneProof(p [][]byte) [][]byte {
	out := make([][]byte, len(p))
	for i := range p {
		out[i] = append([]byte(nil), p[i]...)
	}
	return out
}
