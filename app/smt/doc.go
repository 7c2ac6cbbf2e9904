// SPDX-License-Identifier: Apache-2.0

// Package smt builds the authenticated map of TraceLedger: a hashed-key
// sparse Merkle tree held entirely in memory, as defined in docs/PROOFS.md.
//
// The tree stores, per key, only the key hash and the value hash (the values
// themselves live in the state store). It is canonical: a subtree with no key
// is empty and hashes to 32 zero bytes, a subtree with exactly one key is that
// key's leaf wherever it sits, and a subtree with two or more keys is an
// interior node split on the next key-hash bit. The same set of keys thus
// always gives the same shape and root, whatever the order and the batches in
// which it was built.
//
// A *Tree is persistent and immutable: Update returns a new *Tree that shares
// every untouched node with the old one, and the old one stays valid and
// provable. A *Tree is therefore safe for any number of concurrent readers.
//
// Memory: a leaf (key hash and value hash) and an interior node with keys on
// both sides (hash and two child references) take 64 bytes each, and a
// one-sided interior node (the canonical tree has about 0.44 of them per key)
// 16 bytes, as it caches no hash. A map of n random keys thus holds about
// 135 bytes per key (measured by BenchmarkMemory), plus the nodes that older
// versions still reference.
package smt
