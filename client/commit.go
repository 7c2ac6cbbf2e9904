// SPDX-License-Identifier: Apache-2.0

package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Confirming a submission: the node's tx RPC answer (height, code, events)
// carries no proof, so a lying node or a proxy could report a commit that
// never happened. After the wait, the client reads back, with one verified
// query, what the transaction changed:
//
//   - a transaction that appended records: the first record it names,
//     whose tx_hash must be the hash of the bytes the client signed and
//     whose height and signing key must be the claimed ones (the record is
//     proven in the log under a light-client-verified header);
//   - a transaction that names no record: the signer's key entry in the
//     map, whose sequence must have moved past the one the transaction
//     used (only a committed transaction of this key at that sequence
//     moves it, and a refused one spends nothing).
//
// What does not verify is a *CommitNotVerifiedError (it wraps
// ErrNotVerified): the submission must not be taken as committed.

// CommitNotVerifiedError is a submission that the node reported committed
// but that a verified read did not confirm. It wraps ErrNotVerified.
type CommitNotVerifiedError struct {
	// Hash is the hash of the transaction the client signed; Height the
	// height the node claimed it committed at.
	Hash   []byte
	Height int64
	// Reason says what did not match (or why the read failed).
	Reason string
	// Err is the read's own error, when the read failed.
	Err error
}

func (e *CommitNotVerifiedError) Error() string {
	s := fmt.Sprintf("%v: the node reported transaction %X committed at height %d, but %s", ErrNotVerified, e.Hash, e.Height, e.Reason)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s + "; do not take it as recorded: read it back from another node (query record, query history)"
}

// Unwrap makes an unconfirmed commit a verification failure (and keeps the
// read's own error reachable).
func (e *CommitNotVerifiedError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrNotVerified, e.Err}
	}
	return []error{ErrNotVerified}
}

// sentTx is what the client knows of a transaction it signed: its hash
// (computed from the bytes, never taken from a node), and the key and
// sequence that signed it.
type sentTx struct {
	hash     []byte
	keyID    string
	sequence uint64
}

// txHashOf is the hash CometBFT and the application name a transaction by:
// the SHA-256 of its bytes.
func txHashOf(tx []byte) []byte {
	h := sha256.Sum256(tx)
	return h[:]
}

// verifyCommit confirms with one verified read that com, the node's claim
// about tx, is true, and sets com.Proven to what the confirmation rests on.
func (c *Client) verifyCommit(ctx context.Context, tx sentTx, com *Committed) error {
	fail := func(err error, format string, args ...any) error {
		return &CommitNotVerifiedError{Hash: tx.hash, Height: com.Height, Reason: fmt.Sprintf(format, args...), Err: err}
	}
	if !bytes.Equal(com.Hash, tx.hash) {
		return fail(nil, "the answer names transaction %X", com.Hash)
	}
	if len(com.Indexes) > 0 {
		idx := com.Indexes[0]
		r, p, err := c.Record(ctx, idx)
		if err != nil {
			return fail(err, "its record %d could not be read with a proof", idx)
		}
		rec := r.Record
		switch {
		case !bytes.Equal(rec.TxHash, tx.hash):
			return fail(nil, "the proven record %d belongs to transaction %X", idx, rec.TxHash)
		case rec.Height != com.Height:
			return fail(nil, "the proven record %d was recorded at height %d", idx, rec.Height)
		case rec.SignerKey != tx.keyID:
			return fail(nil, "the proven record %d is signed by key %s, not %s", idx, rec.SignerKey, tx.keyID)
		}
		com.Proven = p
		return nil
	}
	bz, p, err := c.Value(ctx, tlv1.KeyKey(tx.keyID))
	if err != nil {
		return fail(err, "the sequence of key %s could not be read with a proof", tx.keyID)
	}
	if bz == nil {
		return fail(nil, "key %s is proven not registered", tx.keyID)
	}
	var k tlv1.Key
	if err := k.Unmarshal(bz); err != nil {
		return fail(err, "the proven key %s does not decode", tx.keyID)
	}
	if k.Sequence <= tx.sequence {
		return fail(nil, "it names no record and the proven next sequence of key %s is %d, so its sequence %d is unspent", tx.keyID, k.Sequence, tx.sequence)
	}
	com.Proven = p
	return nil
}
