// SPDX-License-Identifier: Apache-2.0

package proof

import (
	"bytes"
	"crypto/sha256"
	"fmt"
)

// ChainHash returns the next per-subject chain hash SHA-256(prev || leafHash),
// where prev is the previous chain hash (empty before the first record) and
// leafHash is the log leaf hash of the subject's next record.
func ChainHash(prev []byte, leafHash [32]byte) [32]byte {
	h := sha256.New()
	h.Write(prev)
	h.Write(leafHash[:])
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// VerifyChain checks that leafHashes, the log leaf hashes of a subject's
// records in log order, are exactly the count records whose chain hash is
// wantChainHash (as in the subject's Head). The chain of zero records is the
// empty byte string. It returns an error wrapping ErrChainMismatch otherwise.
// Checking each record's inclusion in the log and the last record's index is
// the caller's part.
func VerifyChain(leafHashes [][32]byte, count uint64, wantChainHash []byte) error {
	if uint64(len(leafHashes)) != count {
		return fmt.Errorf("%w: %d records, head counts %d", ErrChainMismatch, len(leafHashes), count)
	}
	var chain []byte
	var cur [32]byte
	for _, lh := range leafHashes {
		cur = ChainHash(chain, lh)
		chain = cur[:]
	}
	if !bytes.Equal(chain, wantChainHash) {
		return fmt.Errorf("%w: records chain to %x, head has %x", ErrChainMismatch, chain, wantChainHash)
	}
	return nil
}
