// SPDX-License-Identifier: Apache-2.0

package app

import (
	"encoding/binary"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/merkle"
	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
	merkleproof "github.com/transparency-dev/merkle/proof"

	"github.com/traceledger/traceledger/proof"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// The proof service (issue 5).
//
// The records tree: the log's records again, in the same order, in an RFC
// 6962 tree whose leaves have the form CometBFT's "simple:v" ValueOp hashes
// (key u64be(index), value the record). Its root is one of the three entries
// under the app hash, so a record can be proven with standard ProofOps that
// CometBFT's light-client proxy verifies unmodified (docs/PROOFS.md). The
// tree's perfect subtrees of level 1 and up are stored under 'k'; its leaves
// are recomputed from the stored records.

// prefixRecordsNode keys the stored records-tree nodes:
// 'k' u8(level) u64be(index) -> hash of a perfect subtree (level >= storedLevel;
// databases written before issue 8 also hold level 1).
const prefixRecordsNode = 'k'

func recordsNodeKey(level uint, index uint64) []byte {
	b := make([]byte, 10)
	b[0] = prefixRecordsNode
	b[1] = byte(level)
	binary.BigEndian.PutUint64(b[2:], index)
	return b
}

// appendRecords adds the records of o (appended to the log in this block)
// to the records tree r.
func appendRecords(r *treeAppender, o *overlay) error {
	for i, rec := range o.records {
		index := o.firstIndex + uint64(i)
		if index != r.size() {
			return fmt.Errorf("records tree: appending index %d at size %d", index, r.size())
		}
		leaf := proof.RecordsLeafHash(index, rec)
		if err := r.append(leaf[:]); err != nil {
			return err
		}
	}
	return nil
}

// recordsNode returns the hash of a perfect subtree of the records tree:
// below storedLevel recomputed from the stored records, higher nodes read.
func (v *view) recordsNode(level uint, index uint64) ([]byte, error) {
	if level < storedLevel {
		return v.subtreeFromRecords(level, index, func(i uint64, rec []byte) []byte {
			h := proof.RecordsLeafHash(i, rec)
			return h[:]
		})
	}
	b, err := v.get(recordsNodeKey(level, index))
	if err != nil {
		return nil, fmt.Errorf("read records-tree node (%d,%d): %w", level, index, err)
	}
	if b == nil {
		return nil, fmt.Errorf("records-tree node (%d,%d) missing", level, index)
	}
	return b, nil
}

// recordsInclusion proves the records-tree leaf index in the tree of size.
func recordsInclusion(v *view, index, size uint64) ([][]byte, error) {
	nodes, err := merkleproof.Inclusion(index, size)
	if err != nil {
		return nil, fmt.Errorf("records inclusion proof of %d in %d: %w", index, size, err)
	}
	return fetchNodes(nodes, v.recordsNode)
}

// recordsConsistency proves the records tree of size1 is a prefix of size2.
func recordsConsistency(v *view, size1, size2 uint64) (*tlv1.LogConsistencyProof, error) {
	nodes, err := merkleproof.Consistency(size1, size2)
	if err != nil {
		return nil, fmt.Errorf("records consistency proof %d..%d: %w", size1, size2, err)
	}
	hashes, err := fetchNodes(nodes, v.recordsNode)
	if err != nil {
		return nil, err
	}
	return &tlv1.LogConsistencyProof{Size1: size1, Size2: size2, Hashes: hashes}, nil
}

// proofQueries are the query paths of the proof service. The
// standard-format /store/ paths are answered by storeQuery instead, since
// they fill in ResponseQuery's Key and ProofOps.
func proofQueries() map[string]queryHandler {
	return map[string]queryHandler{
		tlv1.PathConsistency: func(q *querier, data []byte) (marshaler, error) {
			var r tlv1.ConsistencyRequest
			if err := r.Unmarshal(data); err != nil {
				return nil, rejectf(tlv1.CodeInvalidQuery, "data is not a ConsistencyRequest: %v", err)
			}
			return q.consistency(r.Size1)
		},
	}
}

// consistency proves the log and records tree of size1 are prefixes of the
// current ones.
func (q *querier) consistency(size1 uint64) (*tlv1.ConsistencyResponse, error) {
	size2 := q.c.info.LogSize
	if size1 > size2 {
		return nil, rejectf(tlv1.CodeProofSizeAhead, "size1 %d is beyond the log size %d at height %d: this node is behind, or on another history",
			size1, size2, q.c.info.Height)
	}
	resp := &tlv1.ConsistencyResponse{Roots: q.roots(),
		Log:     &tlv1.LogConsistencyProof{Size1: size1, Size2: size2},
		Records: &tlv1.LogConsistencyProof{Size1: size1, Size2: size2}}
	if size1 == 0 || size1 == size2 {
		return resp, nil
	}
	lp, err := consistencyProof(q.v, size1, size2)
	if err != nil {
		return nil, err
	}
	rp, err := recordsConsistency(q.v, size1, size2)
	if err != nil {
		return nil, err
	}
	resp.Log, resp.Records = lp, rp
	return resp, nil
}

// storeQuery answers the standard-format paths /store/<name>/key.
func (a *App) storeQuery(req *abci.RequestQuery) *abci.ResponseQuery {
	name, _ := tlv1.ParseStorePath(req.Path)
	if req.Path != tlv1.PathStoreRecords {
		return queryError(rejectf(tlv1.CodeProofUnsupportedStore, "no standard-format store %q in path %q: the only one is %q (%s), since the map's and the log's leaves are not in CometBFT's key/value form",
			name, req.Path, tlv1.StoreRecords, tlv1.PathStoreRecords))
	}
	c, err := a.storeStateAt(req.Height)
	if err != nil {
		return queryError(err)
	}
	if len(req.Data) != 8 {
		return queryError(rejectf(tlv1.CodeInvalidQuery, "%s: data must be the 8-byte big-endian log index, got %d bytes", req.Path, len(req.Data)))
	}
	index := binary.BigEndian.Uint64(req.Data)
	size := c.info.LogSize
	if index >= size {
		return queryError(rejectf(tlv1.CodeNotFound, "log index %d is beyond the log size %d at height %d", index, size, c.info.Height))
	}
	v := a.st.viewAt(c.info.Height)
	defer v.discard()
	rec, err := v.record(index)
	if err != nil {
		return queryError(err)
	}
	if rec == nil {
		return queryError(fmt.Errorf("record %d missing from storage", index))
	}
	aunts, err := recordsInclusion(v, index, size)
	if err != nil {
		return queryError(err)
	}
	ops, err := recordProofOps(index, rec, size, aunts, c.info)
	if err != nil {
		return queryError(err)
	}
	return &abci.ResponseQuery{Code: uint32(tlv1.CodeOK), Key: req.Data, Value: rec, ProofOps: ops, Height: c.info.Height}
}

// storeStateAt picks the state a standard-format query reads: an explicit
// height as stateAt does; without one, the height before the latest (its
// app hash is already in the latest header), or the latest when it is the
// only one kept.
func (a *App) storeStateAt(height int64) (*committed, error) {
	if height != 0 {
		return a.stateAt(height)
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	switch {
	case a.cur == nil:
		return nil, rejectf(tlv1.CodeHeightUnavailable, "nothing is committed yet; retry after the first block")
	case a.prev != nil:
		return a.prev, nil
	default:
		return a.cur, nil
	}
}

// recordProofOps chains the record at index to the app hash of info with
// two "simple:v" ValueOps: the record in the records tree (key u64be(index))
// and the records root under the app hash (key "records").
func recordProofOps(index uint64, record []byte, size uint64, aunts [][]byte, info *tlv1.CommitInfo) (*cmtcrypto.ProofOps, error) {
	var logRoot, mapRoot, recordsRoot [32]byte
	if len(info.LogRoot) != 32 || len(info.MapRoot) != 32 || len(info.RecordsRoot) != 32 {
		return nil, fmt.Errorf("commit info at height %d lacks a root", info.Height)
	}
	copy(logRoot[:], info.LogRoot)
	copy(mapRoot[:], info.MapRoot)
	copy(recordsRoot[:], info.RecordsRoot)
	leaf := proof.RecordsLeafHash(index, record)
	top := proof.AppHashLeaves(info.LogSize, logRoot, mapRoot, recordsRoot)
	logMap := proof.NodeHash(top[0], top[1])
	recOp := merkle.NewValueOp(proof.RecordsKey(index), &merkle.Proof{Total: int64(size), Index: int64(index), LeafHash: leaf[:], Aunts: aunts})
	storeOp := merkle.NewValueOp([]byte(proof.AppHashRecordsKey), &merkle.Proof{Total: proof.AppHashEntries, Index: proof.RecordsStoreIndex,
		LeafHash: top[proof.RecordsStoreIndex][:], Aunts: [][]byte{logMap[:]}})
	return &cmtcrypto.ProofOps{Ops: []cmtcrypto.ProofOp{recOp.ProofOp(), storeOp.ProofOp()}}, nil
}
