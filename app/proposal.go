// SPDX-License-Identifier: Apache-2.0

package app

import (
	"cmp"
	"context"
	"slices"

	abci "github.com/cometbft/cometbft/abci/types"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// PrepareProposal puts each signer's transactions in sequence order, then
// keeps as many as fit the block.
//
// The mempool does not guarantee that order. A validator checks the
// transactions it hears from different peers concurrently, and CometBFT
// adds a checked transaction to the mempool after the app's CheckTx
// returns, outside the app's lock: sequence n+1 arriving from one peer can
// be added before sequence n arriving from another, although CheckTx
// admitted n first. A block with n+1 before n rejects n+1 for a sequence
// gap, and the signer has to send it again (issue 8: 0.1 - 0.3 % of single
// -event transactions under load). Reordering fixes that without changing
// which transactions the block holds: every signer's transactions keep the
// block positions its transactions had, in sequence order, and
// transactions whose signer cannot be read stay where they were.
//
// Other validators accept any order (ProcessProposal is the default); the
// order is the proposer's choice and FinalizeBlock checks every transaction
// whatever it is.
func (a *App) PrepareProposal(_ context.Context, req *abci.RequestPrepareProposal) (*abci.ResponsePrepareProposal, error) {
	txs := a.sequenceOrder(req.Txs)
	out := make([][]byte, 0, len(txs))
	var total int64
	for _, tx := range txs {
		if total += int64(len(tx)); total > req.MaxTxBytes {
			break
		}
		out = append(out, tx)
	}
	return &abci.ResponsePrepareProposal{Txs: out}, nil
}

// sequenceOrder returns txs with each signer's transactions sorted by
// sequence within the positions they occupy.
func (a *App) sequenceOrder(txs [][]byte) [][]byte {
	type slot struct {
		pos int
		seq uint64
	}
	bySigner := map[string][]slot{}
	for i, tx := range txs {
		if signer, seq, ok := a.signerOf(tx); ok {
			bySigner[signer] = append(bySigner[signer], slot{pos: i, seq: seq})
		}
	}
	out := slices.Clone(txs)
	for _, slots := range bySigner { // signers' positions are disjoint: any order gives the same result
		if len(slots) < 2 {
			continue
		}
		sorted := slices.Clone(slots)
		slices.SortStableFunc(sorted, func(x, y slot) int { return cmp.Compare(x.seq, y.seq) })
		for i, sl := range slots { // positions ascending: the i-th position gets the i-th sequence
			out[sl.pos] = txs[sorted[i].pos]
		}
	}
	return out
}

// signerOf reads a transaction's signer and sequence: from what CheckTx
// learnt when it admitted the transaction, else by decoding its body.
func (a *App) signerOf(tx []byte) (string, uint64, bool) {
	h := string(TxHash(tx))
	a.checkMu.Lock()
	ad, _ := a.pool.admitted.get(h)
	a.checkMu.Unlock()
	if ad != nil {
		return ad.signer, ad.sequence, true
	}
	var t tlv1.Tx
	var body tlv1.TxBody
	if t.Unmarshal(tx) != nil || body.Unmarshal(t.BodyBytes) != nil || body.Signer == "" {
		return "", 0, false
	}
	return body.Signer, body.Sequence, true
}
