// SPDX-License-Identifier: Apache-2.0

// Package proof verifies the proofs TraceLedger hands out: RFC 6962 / RFC 9162
// log inclusion and consistency proofs, membership and absence proofs of the
// authenticated map (a hashed-key sparse Merkle tree), the app hash that binds
// the roots into a CometBFT header, per-subject history chains, whole query
// answers (VerifyHistory, VerifyRecord, VerifyValue), consistency between two
// verified states, standard CometBFT ProofOps of a record, chains of CometBFT
// light blocks from a trust root (with CometBFT's own light-client rules), and
// offline proof bundles (VerifyBundle, docs/proof-bundle.md).
//
// The hash definitions follow docs/PROOFS.md. The package depends on the
// standard library, the generated wire types and CometBFT's types and light
// verification functions, never on the node or the application, so auditors
// and light clients can import it alone. It never relies on how proofs were
// built: every verifier recomputes roots from first principles.
package proof
