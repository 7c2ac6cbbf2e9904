// SPDX-License-Identifier: Apache-2.0

package app

// What CheckTx remembers between calls (issue 8: CheckTx was a quarter of a
// node's CPU under single-event load).
//
// Mempool admission has a stateless part (decoding, message validation, the
// signature: a function of the transaction's bytes alone) and a stateful
// part (the signer's key and participant, the sequence, authorization). The
// mempool re-checks every pending transaction after each block; only the
// stateful part can have changed, so a transaction admitted before is
// re-checked from what its first admission learnt, without decoding it.
// And the stateful part reads the same few map entries (a signer's key and
// participant) for every transaction of a signer, so CheckTx reads them
// through a cache of committed values that Commit keeps current.
//
// Both are local and only skip work whose result is known; neither can
// change which transactions a block accepts (FinalizeBlock checks
// everything against its own state), only which ones this node's mempool
// holds, and that exactly as before.

import (
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// admission is what CheckTx learnt about a transaction it admitted.
type admission struct {
	signer   string
	sequence uint64
	handlers []*msgHandler // per message, for authorization
}

// mempoolState is CheckTx's working state, guarded by App.checkMu.
type mempoolState struct {
	// pendingSeq is the next sequence per key id counting the
	// transactions admitted since the last Commit (the mempool re-checks
	// its pending transactions in order after each block, which rebuilds
	// it).
	pendingSeq map[string]uint64

	// admitted maps a tx hash to its admission, at most admittedSize
	// entries, oldest forgotten first.
	admitted *fifoMap[*admission]

	// values caches committed map values read by CheckTx at height
	// valuesHeight (a key the block deleted holds nil until the next
	// read); at most valuesSize entries.
	values       map[string][]byte
	valuesHeight int64
}

const (
	admittedSize = 1 << 16
	valuesSize   = 1 << 16
)

func newMempoolState() *mempoolState {
	return &mempoolState{
		pendingSeq: map[string]uint64{},
		admitted:   newFIFOMap[*admission](admittedSize),
		values:     map[string][]byte{},
	}
}

// committedReader reads committed map values at one height through the
// cache, opening a storage view only on a miss.
type committedReader struct {
	m      *mempoolState
	height int64
	open   func() *view
	v      *view
}

func (r *committedReader) mapValue(key string) ([]byte, error) {
	if r.m.valuesHeight != r.height {
		clear(r.m.values)
		r.m.valuesHeight = r.height
	}
	if v, ok := r.m.values[key]; ok {
		return v, nil
	}
	if r.v == nil {
		r.v = r.open()
	}
	v, err := r.v.mapValue(key)
	if err != nil {
		return nil, err
	}
	// Absence is not cached: unknown signers would fill the cache with
	// entries no valid transaction needs. A full cache starts over rather
	// than stop learning, so it follows the signers active now.
	if v != nil {
		if len(r.m.values) >= valuesSize {
			clear(r.m.values)
		}
		r.m.values[key] = v
	}
	return v, nil
}

func (r *committedReader) close() {
	if r.v != nil {
		r.v.discard()
	}
}

// committedBlock moves the caches to the state after a commit: the pending
// sequences start over (the mempool re-checks), and the cached values
// the block changed take their new values. from is the height the cache
// must be at for that to be exact; otherwise it starts empty.
func (m *mempoolState) committedBlock(from, to int64, writes map[string][]byte) {
	clear(m.pendingSeq)
	if m.valuesHeight != from {
		clear(m.values)
	} else {
		for k := range m.values {
			if v, ok := writes[k]; ok {
				m.values[k] = v
			}
		}
	}
	m.valuesHeight = to
}

// recheck re-checks an admitted transaction against the stateful rules
// (authSigner, then authorization, as CheckTx runs them) without decoding
// the transaction or checking its signature again.
func recheck(r mapReader, ad *admission, wantSeq func(*tlv1.Key) uint64) error {
	_, p, err := authSigner(r, ad.signer, ad.sequence, wantSeq)
	if err != nil {
		return err
	}
	return authorizeAll(ad.handlers, p)
}

// authorizeAll checks that p may send every message of a transaction,
// whose handlers are hs, in order.
func authorizeAll(hs []*msgHandler, p *tlv1.Participant) error {
	for i, mh := range hs {
		if err := mh.authorize(p); err != nil {
			return msgErr(i, err)
		}
	}
	return nil
}
