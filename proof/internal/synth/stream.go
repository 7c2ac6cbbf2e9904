// SPDX-License-Identifier: Apache-2.0

package synth

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	merkleproof "github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/traceledger/traceledger/proof"
	traceledgerv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// BenchRecord is the marshalled record at index i of the benchmark logs: a
// trace event of typical size.
func BenchRecord(i uint64) []byte {
	sum := sha256.Sum256(binary.BigEndian.AppendUint64(nil, i))
	rec := &traceledgerv1.Record{Height: int64(i/100 + 1), TimeMs: 1_790_000_000_000 + int64(i), TxHash: sum[:], Signer: "farm1",
		SignerKey: "7E2D9C8A1B3F4E5D6C7B8A9F0E1D2C3B4A596877",
		Body: &traceledgerv1.Record_Event{Event: &traceledgerv1.RecordEvent{Subject: fmt.Sprintf("urn:epc:class:lgtin:6901234.500012.L%d", i%5000),
			EventType: "shipping", EventTimeMs: 1_789_999_000_000, PayloadSha256: sum[:], Note: "origin exit, cold truck"}}}
	b, _ := rec.Marshal()
	return b
}

// streamRoot returns the hash of the perfect subtree over the leaves
// [from, to) of a log whose leaf i hashes leaf(i), without keeping them.
func streamRoot(from, to uint64, leaf func(uint64) []byte) []byte {
	rf := &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	r := rf.NewEmptyRange(from)
	for i := from; i < to; i++ {
		if err := r.Append(leaf(i), nil); err != nil {
			panic(err)
		}
	}
	if hs := r.Hashes(); len(hs) == 1 {
		return hs[0] // a perfect subtree
	}
	panic(fmt.Sprintf("leaves %d..%d are not one perfect subtree", from, to))
}

// StreamProof builds the inclusion path of index in a log of size leaves
// and its root, hashing every leaf once (O(size) time, O(log size) memory).
// leaf(i) is the 32-byte leaf hash of leaf i.
func StreamProof(index, size uint64, leaf func(uint64) []byte) (path [][]byte, root [32]byte) {
	nodes, err := merkleproof.Inclusion(index, size)
	if err != nil {
		panic(err)
	}
	hashes := make([][]byte, len(nodes.IDs))
	for i, id := range nodes.IDs {
		begin, end := id.Coverage()
		hashes[i] = streamRoot(begin, end, leaf)
	}
	if path, err = nodes.Rehash(hashes, rfc6962.DefaultHasher.HashChildren); err != nil {
		panic(err)
	}
	got, err := proof.RootFromInclusion([32]byte(leaf(index)), index, size, path)
	if err != nil {
		panic(err)
	}
	return path, got
}
