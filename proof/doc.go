// Package proof verifies the proofs TraceLedger hands out: RFC 6962 / RFC 9162
// log inclusion and consistency proofs, membership and absence proofs of the
// authenticated map (a hashed-key sparse Merkle tree), the app hash that binds
// both roots into a CometBFT header, and per-subject history chains.
//
// The hash definitions follow docs/PROOFS.md. The package depends only on the
// standard library and the generated wire types, so auditors and light clients
// can import it without the node. It never relies on how proofs were built:
// every verifier recomputes roots from first principles.
package proof
