// SPDX-License-Identifier: Apache-2.0

package proof

import (
	"fmt"

	traceledgerv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// VerifyRootsConsistency checks that the state old is a prefix of the state
// cur: the log of old.LogSize leaves with root old.LogRoot is a prefix of
// cur's log (logProof, RFC 9162 section 2.1.4) and likewise the records
// tree (recordsProof). This is the proof that history was not rewritten
// between two verified checkpoints.
//
// The empty state (size 0) is a prefix of every state: its roots must be
// the empty root and its proofs empty. Equal sizes need equal roots and
// empty proofs. Errors wrap ErrMalformedProof, ErrOutOfRange or
// ErrRootMismatch.
func VerifyRootsConsistency(old, cur *traceledgerv1.StateRoots, logProof, recordsProof *traceledgerv1.LogConsistencyProof) error {
	if old == nil || cur == nil {
		return fmt.Errorf("%w: nil state roots", ErrMalformedProof)
	}
	if logProof == nil || recordsProof == nil {
		return fmt.Errorf("%w: missing consistency proof", ErrMalformedProof)
	}
	type pair struct {
		what       string
		root1      []byte
		root2      []byte
		proof      *traceledgerv1.LogConsistencyProof
		rootField1 string
	}
	for _, p := range []pair{
		{"log", old.LogRoot, cur.LogRoot, logProof, "log root"},
		{"records tree", old.RecordsRoot, cur.RecordsRoot, recordsProof, "records root"},
	} {
		r1, err := hashFromSlice(p.root1, "old "+p.rootField1, 0)
		if err != nil {
			return err
		}
		r2, err := hashFromSlice(p.root2, "new "+p.rootField1, 0)
		if err != nil {
			return err
		}
		if p.proof.Size1 != old.LogSize || p.proof.Size2 != cur.LogSize {
			return fmt.Errorf("%w: %s consistency proof is for sizes %d..%d, the roots are at sizes %d..%d",
				ErrMalformedProof, p.what, p.proof.Size1, p.proof.Size2, old.LogSize, cur.LogSize)
		}
		if old.LogSize == 0 {
			if r1 != EmptyLogRoot() {
				return fmt.Errorf("%w: old %s of size 0 is %x, not the empty root", ErrRootMismatch, p.what, r1)
			}
			if len(p.proof.Hashes) != 0 {
				return fmt.Errorf("%w: consistency from the empty %s needs no hashes, got %d", ErrMalformedProof, p.what, len(p.proof.Hashes))
			}
			continue
		}
		if err := VerifyConsistency(old.LogSize, cur.LogSize, p.proof.Hashes, r1, r2); err != nil {
			return fmt.Errorf("%s from height %d (size %d) to height %d (size %d): %w",
				p.what, old.Height, old.LogSize, cur.Height, cur.LogSize, err)
		}
	}
	return nil
}
