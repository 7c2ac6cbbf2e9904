// SPDX-License-Identifier: Apache-2.0

package proof

import "crypto/sha256"

// This file holds a reference RFC 6962 log for tests, written from the
// recursive definitions of RFC 6962 section 2.1 (MTH, PATH, SUBPROOF), so that
// the verifiers are checked against proofs built another way.

// refLeaves returns n distinct leaf hashes.
func refLeaves(n int) [][32]byte {
	out := make([][32]byte, n)
	for i := range out {
		out[i] = LeafHash([]byte{byte(i), byte(i >> 8), 'l', 'e', 'a', 'f'})
	}
	return out
}

// refSplit returns the largest power of two smaller than n (n >= 2).
func refSplit(n int) int {
	k := 1
	for k<<1 < n {
		k <<= 1
	}
	return k
}

// refMTH is the Merkle tree hash of leaf hashes d.
func refMTH(d [][32]byte) [32]byte {
	switch len(d) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return d[0]
	}
	k := refSplit(len(d))
	return NodeHash(refMTH(d[:k]), refMTH(d[k:]))
}

// refPath is the inclusion proof of leaf m in d.
func refPath(m int, d [][32]byte) [][]byte {
	if len(d) <= 1 {
		return nil
	}
	k := refSplit(len(d))
	if m < k {
		h := refMTH(d[k:])
		return append(refPath(m, d[:k]), h[:])
	}
	h := refMTH(d[:k])
	return append(refPath(m-k, d[k:]), h[:])
}

// refConsistency is the consistency proof from the first m leaves of d to d.
func refConsistency(m int, d [][32]byte) [][]byte {
	return refSubproof(m, d, true)
}

func refSubproof(m int, d [][32]byte, b bool) [][]byte {
	n := len(d)
	if m == n {
		if b {
			return nil
		}
		h := refMTH(d)
		return [][]byte{h[:]}
	}
	k := refSplit(n)
	if m <= k {
		h := refMTH(d[k:])
		return append(refSubproof(m, d[:k], b), h[:])
	}
	h := refMTH(d[:k])
	return append(refSubproof(m-k, d[k:], false), h[:])
}

// cloneProof deep-copies a proof so a test can tamper with it.
func cloneProof(p [][]byte) [][]byte {
	out := make([][]byte, len(p))
	for i := range p {
		out[i] = append([]byte(nil), p[i]...)
	}
	return out
}
