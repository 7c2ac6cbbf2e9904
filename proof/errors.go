// SPDX-License-Identifier: Apache-2.0

package proof

import "errors"

// Sentinel errors. Verifiers wrap them with %w and a precise message, so
// callers can branch with errors.Is.
var (
	// ErrMalformedProof reports a proof (or roots) that is not well formed:
	// wrong hash lengths, wrong number of hashes, inconsistent bitmaps, a
	// depth out of range, or a nil message.
	ErrMalformedProof = errors.New("malformed proof")

	// ErrOutOfRange reports tree sizes or indices a proof cannot cover, such
	// as a leaf index not below the tree size, size1 > size2, or a
	// consistency proof from an empty tree.
	ErrOutOfRange = errors.New("index or tree size out of range")

	// ErrRootMismatch reports a well-formed proof whose recomputed root (or
	// roots) differs from the expected one.
	ErrRootMismatch = errors.New("root mismatch")

	// ErrKeyMismatch reports a map membership proof that ends at another
	// key's leaf or at an empty subtree: it does not prove the asked key.
	ErrKeyMismatch = errors.New("proof is not about this key")

	// ErrValueMismatch reports a map membership proof of the asked key whose
	// value hash differs from the value being checked.
	ErrValueMismatch = errors.New("value mismatch")

	// ErrKeyPresent reports a map absence proof that ends at the asked key's
	// own leaf: the key is present.
	ErrKeyPresent = errors.New("key is present")

	// ErrChainMismatch reports a per-subject history whose record count or
	// chain hash does not match the subject's head.
	ErrChainMismatch = errors.New("history chain mismatch")
)
