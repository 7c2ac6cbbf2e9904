// SPDX-License-Identifier: Apache-2.0

// Package proof is TraceLedger's verification core: it checks the proofs
// the ledger hands out against their roots. RFC 6962 / RFC 9162 log
// inclusion and consistency proofs, membership and absence proofs of the
// authenticated map (a hashed-key sparse Merkle tree), the app hash that
// binds the roots (AppHash, VerifyAppHash), per-subject history chains,
// whole query answers (VerifyHistory, VerifyRecord, VerifyValue), and
// consistency between two verified states (VerifyRootsConsistency).
//
// The hash definitions follow docs/PROOFS.md. The package depends on the
// standard library and the generated wire types only: no CometBFT, no node,
// no application, so auditors, the SDK and a browser verifier compiled to
// WebAssembly can import it alone (a test keeps it that way). It never
// relies on how proofs were built: every verifier recomputes roots from
// first principles.
//
// Whether a header that carries an app hash is itself trusted is the
// business of the sub-packages, which bring CometBFT in: proof/light
// (light-block chains from a trust root), proof/proofops (CometBFT ProofOps
// of a record) and proof/bundle (offline proof bundles).
package proof
