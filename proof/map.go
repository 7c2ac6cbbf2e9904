// SPDX-License-Identifier: Apache-2.0

package proof

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/bits"

	traceledgerv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// MaxMapDepth is the greatest depth of a map proof: a key hash has 256 bits.
const MaxMapDepth = 256

// MapKeyHash returns the map key hash SHA-256(key).
func MapKeyHash(key []byte) [32]byte {
	return sha256.Sum256(key)
}

// MapValueHash returns the map value hash SHA-256(value).
func MapValueHash(value []byte) [32]byte {
	return sha256.Sum256(value)
}

// MapLeafHash returns the hash of the map leaf for key hash k and value hash
// v, SHA-256(0x00 || k || v).
func MapLeafHash(k, v [32]byte) [32]byte {
	var buf [1 + 2*HashSize]byte
	buf[0] = 0x00
	copy(buf[1:], k[:])
	copy(buf[1+HashSize:], v[:])
	return sha256.Sum256(buf[:])
}

// EmptyMapRoot returns the root of the empty map (and the hash of any empty
// subtree): 32 zero bytes.
func EmptyMapRoot() [32]byte {
	return [32]byte{}
}

// keyBit returns bit i of key hash k, where bit 0 is the most significant
// bit of k[0].
func keyBit(k [32]byte, i int) uint {
	return uint(k[i/8]>>(7-i%8)) & 1
}

// terminal is the node a map proof ends at: the empty subtree, or the leaf
// (KeyHash, ValueHash).
type terminal struct {
	// Empty is true when the path ends in an empty subtree.
	Empty bool
	// KeyHash and ValueHash describe the leaf when Empty is false.
	KeyHash, ValueHash [32]byte
}

// parseMapProof checks the structure of p as a proof for keyHash and returns
// its terminal. It does not compute any hash.
func parseMapProof(keyHash [32]byte, p *traceledgerv1.MapProof) (terminal, error) {
	var t terminal
	if p == nil {
		return t, fmt.Errorf("%w: nil map proof", ErrMalformedProof)
	}
	if p.Depth > MaxMapDepth {
		return t, fmt.Errorf("%w: map proof depth %d exceeds %d", ErrMalformedProof, p.Depth, MaxMapDepth)
	}
	d := int(p.Depth)
	bitmap := p.EmptySiblings
	if len(bitmap) != (d+7)/8 {
		return t, fmt.Errorf("%w: empty-sibling bitmap is %d bytes, depth %d needs %d",
			ErrMalformedProof, len(bitmap), d, (d+7)/8)
	}
	if d%8 != 0 && bitmap[len(bitmap)-1]>>(d%8) != 0 {
		return t, fmt.Errorf("%w: empty-sibling bitmap has bits set beyond depth %d", ErrMalformedProof, d)
	}
	empties := 0
	for _, b := range bitmap {
		empties += bits.OnesCount8(b)
	}
	if len(p.Siblings) != d-empties {
		return t, fmt.Errorf("%w: map proof has %d siblings, depth %d with %d empty needs %d",
			ErrMalformedProof, len(p.Siblings), d, empties, d-empties)
	}
	var zero [HashSize]byte
	for i, s := range p.Siblings {
		if len(s) != HashSize {
			return t, fmt.Errorf("%w: map sibling %d is %d bytes, want %d", ErrMalformedProof, i, len(s), HashSize)
		}
		if bytes.Equal(s, zero[:]) {
			return t, fmt.Errorf("%w: map sibling %d is the empty hash but not marked empty", ErrMalformedProof, i)
		}
	}
	lk, lv := p.LeafKeyHash, p.LeafValueHash
	switch {
	case len(lk) == 0 && len(lv) == 0:
		t.Empty = true
		return t, nil
	case len(lk) != HashSize || len(lv) != HashSize:
		return t, fmt.Errorf("%w: map proof leaf key hash is %d bytes and value hash %d bytes, want both %d or both empty",
			ErrMalformedProof, len(lk), len(lv), HashSize)
	}
	copy(t.KeyHash[:], lk)
	copy(t.ValueHash[:], lv)
	for i := 0; i < d; i++ {
		if keyBit(t.KeyHash, i) != keyBit(keyHash, i) {
			return t, fmt.Errorf("%w: terminal leaf %x is not on the path of key hash %x (bit %d differs)",
				ErrMalformedProof, t.KeyHash, keyHash, i)
		}
	}
	return t, nil
}

// rootFromParsed folds the siblings of a parsed proof into a root.
func rootFromParsed(keyHash [32]byte, t terminal, p *traceledgerv1.MapProof) [32]byte {
	var node [32]byte
	if !t.Empty {
		node = MapLeafHash(t.KeyHash, t.ValueHash)
	}
	next := len(p.Siblings) - 1
	for i := int(p.Depth) - 1; i >= 0; i-- {
		var sib [32]byte
		if p.EmptySiblings[i/8]>>(i%8)&1 == 0 {
			copy(sib[:], p.Siblings[next])
			next--
		}
		if keyBit(keyHash, i) == 0 {
			node = NodeHash(node, sib)
		} else {
			node = NodeHash(sib, node)
		}
	}
	return node
}

// MapRootFromProof checks the structure of the map proof p for key hash
// keyHash and returns the map root it leads to. It fails with
// ErrMalformedProof when the depth exceeds 256, the bitmap length or unused
// bits are wrong, the sibling count does not match the bitmap, a hash has the
// wrong length, a non-empty sibling is the empty hash, only one of the leaf
// hashes is set, or the terminal leaf is not on the path of keyHash.
func MapRootFromProof(keyHash [32]byte, p *traceledgerv1.MapProof) ([32]byte, error) {
	t, err := parseMapProof(keyHash, p)
	if err != nil {
		return [32]byte{}, err
	}
	return rootFromParsed(keyHash, t, p), nil
}

// verifyMapProof parses p, checks it leads to root and returns its terminal.
func verifyMapProof(root, keyHash [32]byte, p *traceledgerv1.MapProof) (terminal, error) {
	t, err := parseMapProof(keyHash, p)
	if err != nil {
		return t, err
	}
	if got := rootFromParsed(keyHash, t, p); got != root {
		return t, fmt.Errorf("%w: map proof for key hash %x leads to %x, want %x", ErrRootMismatch, keyHash, got, root)
	}
	return t, nil
}

// VerifyMapMembershipHash checks that the map with root root holds key hash
// keyHash with value hash valueHash. Besides the errors of MapRootFromProof
// and ErrRootMismatch, it returns ErrKeyMismatch when the proof (valid for
// root) ends elsewhere than at keyHash's leaf, and ErrValueMismatch when it
// proves another value for keyHash.
func VerifyMapMembershipHash(root, keyHash, valueHash [32]byte, p *traceledgerv1.MapProof) error {
	t, err := verifyMapProof(root, keyHash, p)
	if err != nil {
		return err
	}
	if t.Empty || t.KeyHash != keyHash {
		return fmt.Errorf("%w: membership proof for key hash %x ends at another terminal", ErrKeyMismatch, keyHash)
	}
	if t.ValueHash != valueHash {
		return fmt.Errorf("%w: key hash %x has value hash %x, want %x", ErrValueMismatch, keyHash, t.ValueHash, valueHash)
	}
	return nil
}

// VerifyMapMembership checks that the map with root root holds key with
// value, as VerifyMapMembershipHash does for their hashes.
func VerifyMapMembership(root [32]byte, key, value []byte, p *traceledgerv1.MapProof) error {
	return VerifyMapMembershipHash(root, MapKeyHash(key), MapValueHash(value), p)
}

// VerifyMapAbsenceHash checks that the map with root root holds no key with
// hash keyHash: the proof ends in an empty subtree, or at another key's leaf
// that sits alone where keyHash would be. Besides the errors of
// MapRootFromProof and ErrRootMismatch, it returns ErrKeyPresent when the
// proof ends at keyHash's own leaf.
func VerifyMapAbsenceHash(root, keyHash [32]byte, p *traceledgerv1.MapProof) error {
	t, err := verifyMapProof(root, keyHash, p)
	if err != nil {
		return err
	}
	if !t.Empty && t.KeyHash == keyHash {
		return fmt.Errorf("%w: key hash %x has value hash %x", ErrKeyPresent, keyHash, t.ValueHash)
	}
	return nil
}

// VerifyMapAbsence checks that the map with root root holds no value for
// key, as VerifyMapAbsenceHash does for its hash.
func VerifyMapAbsence(root [32]byte, key []byte, p *traceledgerv1.MapProof) error {
	return VerifyMapAbsenceHash(root, MapKeyHash(key), p)
}
