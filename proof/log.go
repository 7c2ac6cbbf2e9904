// SPDX-License-Identifier: Apache-2.0

package proof

import (
	"crypto/sha256"
	"fmt"

	traceledgerv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// HashSize is the size in bytes of every hash in TraceLedger proofs (SHA-256).
const HashSize = sha256.Size

// LeafHash returns the RFC 6962 leaf hash SHA-256(0x00 || data).
func LeafHash(data []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte{0x00})
	h.Write(data)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// NodeHash returns the RFC 6962 interior node hash SHA-256(0x01 || l || r).
// The authenticated map uses the same interior hash.
func NodeHash(l, r [32]byte) [32]byte {
	var buf [1 + 2*HashSize]byte
	buf[0] = 0x01
	copy(buf[1:], l[:])
	copy(buf[1+HashSize:], r[:])
	return sha256.Sum256(buf[:])
}

// EmptyLogRoot returns the root of the empty log, SHA-256("").
func EmptyLogRoot() [32]byte {
	return sha256.Sum256(nil)
}

// hashFromSlice converts a proof element to a hash, rejecting wrong lengths.
func hashFromSlice(b []byte, what string, i int) ([32]byte, error) {
	var h [32]byte
	if len(b) != HashSize {
		return h, fmt.Errorf("%w: %s %d is %d bytes, want %d", ErrMalformedProof, what, i, len(b), HashSize)
	}
	copy(h[:], b)
	return h, nil
}

// RootFromInclusion recomputes the root of a log of size leaves from the
// hash of the leaf at index and its inclusion proof (hashes ordered from the
// leaf upward), following RFC 9162 section 2.1.3.2. It fails with
// ErrOutOfRange when index >= size and with ErrMalformedProof when a hash is
// not 32 bytes or the proof has the wrong number of hashes for index and size.
func RootFromInclusion(leafHash [32]byte, index, size uint64, proof [][]byte) ([32]byte, error) {
	if index >= size {
		return [32]byte{}, fmt.Errorf("%w: leaf index %d not below tree size %d", ErrOutOfRange, index, size)
	}
	fn, sn := index, size-1
	r := leafHash
	for i, raw := range proof {
		if sn == 0 {
			return [32]byte{}, fmt.Errorf("%w: inclusion proof has %d hashes, more than index %d in size %d needs",
				ErrMalformedProof, len(proof), index, size)
		}
		p, err := hashFromSlice(raw, "inclusion proof hash", i)
		if err != nil {
			return [32]byte{}, err
		}
		if fn&1 == 1 || fn == sn {
			r = NodeHash(p, r)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = NodeHash(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 {
		return [32]byte{}, fmt.Errorf("%w: inclusion proof has %d hashes, fewer than index %d in size %d needs",
			ErrMalformedProof, len(proof), index, size)
	}
	return r, nil
}

// VerifyInclusion checks that the leaf with hash leafHash is at index in the
// log of size leaves whose root is root. It returns nil on success, an error
// wrapping ErrRootMismatch when the proof leads to another root, and the
// errors of RootFromInclusion for malformed input.
func VerifyInclusion(leafHash [32]byte, index, size uint64, proof [][]byte, root [32]byte) error {
	got, err := RootFromInclusion(leafHash, index, size, proof)
	if err != nil {
		return err
	}
	if got != root {
		return fmt.Errorf("%w: inclusion proof of leaf %d in size %d leads to %x, want %x",
			ErrRootMismatch, index, size, got, root)
	}
	return nil
}

// VerifyInclusionProof is VerifyInclusion for the wire message.
func VerifyInclusionProof(leafHash [32]byte, p *traceledgerv1.LogInclusionProof, root [32]byte) error {
	if p == nil {
		return fmt.Errorf("%w: nil inclusion proof", ErrMalformedProof)
	}
	return VerifyInclusion(leafHash, p.Index, p.Size_, p.Hashes, root)
}

// VerifyConsistency checks that the log of size2 leaves with root root2
// extends the log of size1 leaves with root root1, following RFC 9162
// section 2.1.4.2 (hashes ordered from the smaller tree upward).
//
// Equal sizes need an empty proof and equal roots. A consistency proof from
// the empty tree (size1 = 0) proves nothing and is always rejected with
// ErrOutOfRange, as is size1 > size2; this matches RFC 9162 (0 < size1 <
// size2) and the conformance vectors. Wrong hash lengths or counts give
// ErrMalformedProof, and roots the proof does not lead to ErrRootMismatch.
func VerifyConsistency(size1, size2 uint64, proof [][]byte, root1, root2 [32]byte) error {
	switch {
	case size1 == 0:
		return fmt.Errorf("%w: consistency from an empty tree proves nothing", ErrOutOfRange)
	case size1 > size2:
		return fmt.Errorf("%w: size1 %d is greater than size2 %d", ErrOutOfRange, size1, size2)
	case size1 == size2:
		if len(proof) != 0 {
			return fmt.Errorf("%w: equal sizes need an empty consistency proof, got %d hashes",
				ErrMalformedProof, len(proof))
		}
		if root1 != root2 {
			return fmt.Errorf("%w: equal sizes %d but roots %x and %x differ", ErrRootMismatch, size1, root1, root2)
		}
		return nil
	case len(proof) == 0:
		return fmt.Errorf("%w: empty consistency proof for sizes %d and %d", ErrMalformedProof, size1, size2)
	}
	hashes := make([][32]byte, len(proof))
	for i, raw := range proof {
		h, err := hashFromSlice(raw, "consistency proof hash", i)
		if err != nil {
			return err
		}
		hashes[i] = h
	}
	// RFC 9162 step 2: when size1 is a power of two, the old root is the
	// first node of the path.
	var start [32]byte
	if size1&(size1-1) == 0 {
		start = root1
	} else {
		start, hashes = hashes[0], hashes[1:]
	}
	fn, sn := size1-1, size2-1
	for fn&1 == 1 {
		fn >>= 1
		sn >>= 1
	}
	fr, sr := start, start
	for _, c := range hashes {
		if sn == 0 {
			return fmt.Errorf("%w: consistency proof has %d hashes, more than sizes %d and %d need",
				ErrMalformedProof, len(proof), size1, size2)
		}
		if fn&1 == 1 || fn == sn {
			fr = NodeHash(c, fr)
			sr = NodeHash(c, sr)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			sr = NodeHash(sr, c)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 {
		return fmt.Errorf("%w: consistency proof has %d hashes, fewer than sizes %d and %d need",
			ErrMalformedProof, len(proof), size1, size2)
	}
	if fr != root1 {
		return fmt.Errorf("%w: consistency proof leads to old root %x, want %x", ErrRootMismatch, fr, root1)
	}
	if sr != root2 {
		return fmt.Errorf("%w: consistency proof leads to new root %x, want %x", ErrRootMismatch, sr, root2)
	}
	return nil
}

// VerifyConsistencyProof is VerifyConsistency for the wire message.
func VerifyConsistencyProof(p *traceledgerv1.LogConsistencyProof, root1, root2 [32]byte) error {
	if p == nil {
		return fmt.Errorf("%w: nil consistency proof", ErrMalformedProof)
	}
	return VerifyConsistency(p.Size1, p.Size2, p.Hashes, root1, root2)
}
