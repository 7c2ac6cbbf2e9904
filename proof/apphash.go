// SPDX-License-Identifier: Apache-2.0

package proof

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	traceledgerv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// The app hash is a CometBFT "simple" Merkle root (the RFC 6962 tree with
// CometBFT's key/value leaves), so that the standard ProofOps of type
// "simple:v" can chain a record up to it and CometBFT's own light-client
// proxy verifies them unmodified. See docs/PROOFS.md.

// Names of the app-hash entries. AppHashRecordsKey is also the store name of
// the standard-format query path /store/records/key.
const (
	AppHashLogKey     = "log"
	AppHashMapKey     = "map"
	AppHashRecordsKey = traceledgerv1.StoreRecords
)

// AppHashEntries is the number of entries under the app hash.
const AppHashEntries = 3

// RecordsStoreIndex is the position of the "records" entry under the app
// hash (0 "log", 1 "map", 2 "records").
const RecordsStoreIndex = 2

// KVEntry returns the leaf data CometBFT's ValueOp hashes for key and a
// value whose SHA-256 is valueHash: uvarint(len(key)) || key || uvarint(32)
// || valueHash.
func KVEntry(key []byte, valueHash [32]byte) []byte {
	out := binary.AppendUvarint(make([]byte, 0, binary.MaxVarintLen64+len(key)+1+HashSize), uint64(len(key)))
	out = append(out, key...)
	out = binary.AppendUvarint(out, HashSize)
	return append(out, valueHash[:]...)
}

// KVLeafHash returns SHA-256(0x00 || KVEntry(key, SHA-256(value))): the
// leaf hash CometBFT's ValueOp computes for key and value.
func KVLeafHash(key, value []byte) [32]byte {
	return LeafHash(KVEntry(key, sha256.Sum256(value)))
}

// RecordsKey is the key of log record index in the records tree and in the
// standard-format query: u64be(index).
func RecordsKey(index uint64) []byte { return binary.BigEndian.AppendUint64(nil, index) }

// RecordsLeafHash returns the records-tree leaf of the record at log index
// index: KVLeafHash(u64be(index), record).
func RecordsLeafHash(index uint64, record []byte) [32]byte {
	return KVLeafHash(RecordsKey(index), record)
}

// AppHashLeaves returns the leaf hashes of the three app-hash entries in
// order: "log" (value u64be(logSize) || logRoot), "map" (value mapRoot),
// "records" (value recordsRoot).
func AppHashLeaves(logSize uint64, logRoot, mapRoot, recordsRoot [32]byte) [AppHashEntries][32]byte {
	logValue := binary.BigEndian.AppendUint64(make([]byte, 0, 8+HashSize), logSize)
	logValue = append(logValue, logRoot[:]...)
	return [AppHashEntries][32]byte{
		KVLeafHash([]byte(AppHashLogKey), logValue),
		KVLeafHash([]byte(AppHashMapKey), mapRoot[:]),
		KVLeafHash([]byte(AppHashRecordsKey), recordsRoot[:]),
	}
}

// AppHash returns the app hash of a state whose log has logSize leaves and
// root logRoot, whose map has root mapRoot and whose records tree has root
// recordsRoot: the RFC 6962 root of the three leaves of AppHashLeaves,
// NodeHash(NodeHash(log, map), records).
func AppHash(logSize uint64, logRoot, mapRoot, recordsRoot [32]byte) [32]byte {
	l := AppHashLeaves(logSize, logRoot, mapRoot, recordsRoot)
	return NodeHash(NodeHash(l[0], l[1]), l[2])
}

// AppHashOf returns the app hash of the roots r. It fails with
// ErrMalformedProof when r is nil or a root is not 32 bytes long.
func AppHashOf(r *traceledgerv1.StateRoots) ([32]byte, error) {
	if r == nil {
		return [32]byte{}, fmt.Errorf("%w: nil state roots", ErrMalformedProof)
	}
	logRoot, err := hashFromSlice(r.LogRoot, "log root of state roots", 0)
	if err != nil {
		return [32]byte{}, err
	}
	mapRoot, err := hashFromSlice(r.MapRoot, "map root of state roots", 0)
	if err != nil {
		return [32]byte{}, err
	}
	recordsRoot, err := hashFromSlice(r.RecordsRoot, "records root of state roots", 0)
	if err != nil {
		return [32]byte{}, err
	}
	return AppHash(r.LogSize, logRoot, mapRoot, recordsRoot), nil
}

// VerifyAppHash checks that a header of height headerHeight with app hash
// appHash commits to the state roots: the app hash of height H is in
// header H+1, so headerHeight must be roots.Height+1, and appHash must be
// AppHashOf(roots). The header itself must have been verified by the
// caller (package proof/light, or a light client). Errors wrap
// ErrMalformedProof or ErrRootMismatch.
func VerifyAppHash(roots *traceledgerv1.StateRoots, headerHeight int64, appHash []byte) error {
	want, err := AppHashOf(roots)
	if err != nil {
		return err
	}
	if headerHeight != roots.Height+1 {
		return fmt.Errorf("%w: state roots of height %d are committed in header %d, got header %d",
			ErrMalformedProof, roots.Height, roots.Height+1, headerHeight)
	}
	if !bytes.Equal(appHash, want[:]) {
		return fmt.Errorf("%w: app hash of the state roots at height %d is %X, header %d says %X",
			ErrRootMismatch, roots.Height, want, headerHeight, appHash)
	}
	return nil
}
