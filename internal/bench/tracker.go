// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"sync"
	"time"
)

// TxHash is the SHA-256 of a transaction, as CometBFT hashes it.
type TxHash = [32]byte

// BlockObs is one committed block as the watcher saw it: its height, the
// moment the node's NewBlockEvents notification reached the tool, and the
// hashes of its transactions.
type BlockObs struct {
	Height int64
	Seen   time.Time
	Txs    []TxHash
	// Failed[i] is true when Txs[i] was rejected by the application in
	// the block (a nonzero FinalizeBlock result code); nil means none.
	Failed []bool
}

// sentTx is what the tracker remembers of a submitted transaction.
type sentTx struct {
	at     time.Time
	events int
}

// Tracker matches committed blocks against submitted transactions. It
// counts committed transactions and events per window of commit time (from
// blocks, never from sends) and collects submit-to-commit latencies. It is
// safe for concurrent use.
type Tracker struct {
	mu      sync.Mutex
	pending map[TxHash]sentTx
	blocks  []blockStat
	heights map[int64]bool
}

// blockStat is what the tracker keeps of one committed block.
type blockStat struct {
	height  int64
	seen    time.Time
	txs     int // transactions in the block that the application accepted
	failed  int // transactions in the block that it rejected
	known   int // accepted transactions the tracker saw submitted
	events  int // events of the known transactions
	latency []float64
}

// NewTracker returns an empty Tracker.
func NewTracker() *Tracker {
	return &Tracker{pending: map[TxHash]sentTx{}, heights: map[int64]bool{}}
}

// Sent records that the transaction with hash h carrying events events was
// submitted at at. A later Sent of the same hash (a retry) keeps the first
// submission time: latency counts from the first attempt.
func (t *Tracker) Sent(h TxHash, at time.Time, events int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.pending[h]; !ok {
		t.pending[h] = sentTx{at: at, events: events}
	}
}

// Block records a committed block. A height seen before is ignored, so a
// watcher may report a block twice (after a reconnect) without counting it
// twice.
func (t *Tracker) Block(b BlockObs) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.heights[b.Height] {
		return
	}
	t.heights[b.Height] = true
	bs := blockStat{height: b.Height, seen: b.Seen}
	for i, h := range b.Txs {
		if i < len(b.Failed) && b.Failed[i] {
			// Rejected in the block: not committed. If it is sent again
			// and accepted later, its latency counts from the first send.
			bs.failed++
			continue
		}
		bs.txs++
		s, ok := t.pending[h]
		if !ok {
			continue
		}
		delete(t.pending, h)
		bs.known++
		bs.events += s.events
		bs.latency = append(bs.latency, float64(b.Seen.Sub(s.at))/float64(time.Millisecond))
	}
	t.blocks = append(t.blocks, bs)
}

// Pending is the number of submitted transactions not yet seen in a block.
func (t *Tracker) Pending() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.pending)
}

// Window is what was committed in a window of commit (seen) time.
type Window struct {
	From, To time.Time
	// Blocks, Txs: committed blocks and the transactions in them that the
	// application accepted; Failed those it rejected (not counted).
	Blocks int `json:"blocks"`
	Txs    int `json:"txs"`
	Failed int `json:"failed"`
	// KnownTxs are the committed transactions this tool submitted; Events
	// their events.
	KnownTxs int `json:"known_txs"`
	Events   int `json:"events"`
	// Latencies in milliseconds of the known transactions committed in
	// the window.
	Latencies []float64 `json:"-"`
}

// Seconds is the window's length.
func (w Window) Seconds() float64 { return w.To.Sub(w.From).Seconds() }

// TxPerSec is committed transactions per second.
func (w Window) TxPerSec() float64 { return ratio(float64(w.Txs), w.Seconds()) }

// EventsPerSec is committed events per second.
func (w Window) EventsPerSec() float64 { return ratio(float64(w.Events), w.Seconds()) }

// Window sums the blocks seen in [from, to).
func (t *Tracker) Window(from, to time.Time) Window {
	t.mu.Lock()
	defer t.mu.Unlock()
	w := Window{From: from, To: to}
	for _, b := range t.blocks {
		if b.seen.Before(from) || !b.seen.Before(to) {
			continue
		}
		w.Blocks++
		w.Txs += b.txs
		w.Failed += b.failed
		w.KnownTxs += b.known
		w.Events += b.events
		w.Latencies = append(w.Latencies, b.latency...)
	}
	return w
}

// Totals are the committed transactions and events of every block seen.
func (t *Tracker) Totals() (txs, events int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, b := range t.blocks {
		txs += b.txs
		events += b.events
	}
	return txs, events
}

// MaxHeight is the highest block height seen (0 if none).
func (t *Tracker) MaxHeight() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var m int64
	for h := range t.heights {
		m = max(m, h)
	}
	return m
}
