// SPDX-License-Identifier: Apache-2.0

package client

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Planning an import: the limits a submission of prepared EPCIS events
// meets, applied without submitting, so that `epcis import --dry-run`
// refuses what the import would, with the same code. Import packs its
// batches with the same function (planBatches).

// ImportLimits are the network's limits an import meets.
type ImportLimits struct {
	// ChainID is the chain the transactions are signed for (its length is
	// part of every transaction's size).
	ChainID string
	// MaxTxBytes, MaxMsgsPerTx and MaxEventFutureSkew are the chain's
	// params.max_tx_bytes, max_msgs_per_tx and
	// max_event_future_skew_seconds.
	MaxTxBytes         int64
	MaxMsgsPerTx       uint32
	MaxEventFutureSkew time.Duration
	// Verified says the params were read with a proof (ImportLimits);
	// false: these are the defaults (DefaultImportLimits).
	Verified bool
	// Proven is what a verified read rests on.
	Proven Proven
}

// Defaults of a network whose params cannot be read, as genesis sets them
// by default (genesis.DefaultParams).
const (
	// DefaultMaxMsgsPerTx is params.max_msgs_per_tx by default.
	DefaultMaxMsgsPerTx = 1000
	// DefaultMaxEventFutureSkew is params.max_event_future_skew_seconds
	// by default.
	DefaultMaxEventFutureSkew = 300 * time.Second
)

// DefaultImportLimits are the limits of a network with default params,
// for a plan made without a node.
func DefaultImportLimits(chainID string) ImportLimits {
	return ImportLimits{ChainID: chainID, MaxTxBytes: DefaultMaxTxBytes, MaxMsgsPerTx: DefaultMaxMsgsPerTx, MaxEventFutureSkew: DefaultMaxEventFutureSkew}
}

// ImportLimits reads the chain's params with a proof.
func (c *Client) ImportLimits(ctx context.Context) (ImportLimits, error) {
	p, proven, err := valueOf[tlv1.ChainParams](ctx, c, tlv1.KeyParams, "chain params")
	if err != nil {
		return ImportLimits{}, fmt.Errorf("read the chain's params: %w", err)
	}
	if p == nil {
		return ImportLimits{}, fmt.Errorf("%w: the chain's params are proven absent", ErrNotVerified)
	}
	return ImportLimits{ChainID: c.genesis.ChainID, MaxTxBytes: p.MaxTxBytes, MaxMsgsPerTx: p.MaxMsgsPerTx,
		MaxEventFutureSkew: time.Duration(p.MaxEventFutureSkewSeconds) * time.Second, Verified: true, Proven: proven}, nil
}

// LimitError is an event or a batch that a submission would be refused
// for, found before submitting: Code is the code the network gives
// (docs/ERRORS.md), Index and HashID name the document event (Index -1:
// none), Got and Limit the measure.
type LimitError struct {
	Code       tlv1.Code
	Index      int
	HashID     string
	What       string
	Got, Limit int64
}

func (e *LimitError) Error() string {
	s := fmt.Sprintf("%s (code %d %s): %d, the limit is %d", e.What, uint32(e.Code), e.Code, e.Got, e.Limit)
	if e.Index >= 0 {
		s = fmt.Sprintf("event %d (%s): %s", e.Index, e.HashID, s)
	}
	return s
}

// ImportPlan is what an import of a document would submit.
type ImportPlan struct {
	// Events is the number of document events; Duplicates of them repeat
	// an earlier one (an import skips them).
	Events, Duplicates int
	// Batches holds each transaction's event count, TxBytes its size in
	// bytes (at most, with the longest sequence).
	Batches []int
	TxBytes []int
	// Limits are the limits the plan was checked against.
	Limits ImportLimits
}

// PlanImport applies every limit an import of events with batches of at
// most maxBatch (0: 1,000) meets under lim, at time now (the block time
// the events would meet; zero: not checked): events per batch, each
// transaction's size against max_tx_bytes (an event too large for any
// transaction is named), messages per transaction, and each event's time
// against the future-skew bound. Events the participant already recorded
// are not known offline: the plan counts them as new, so it is an upper
// bound. What it refuses, Import refuses with the same code (or the
// network would).
func PlanImport(events []PreparedEvent, maxBatch int, lim ImportLimits, now time.Time) (*ImportPlan, error) {
	plan := &ImportPlan{Events: len(events), Limits: lim}
	seen := make(map[string]bool, len(events))
	var todo []PreparedEvent
	for _, e := range events {
		if seen[e.HashID] {
			plan.Duplicates++
			continue
		}
		seen[e.HashID] = true
		if !now.IsZero() && lim.MaxEventFutureSkew >= 0 {
			if limit := now.Add(lim.MaxEventFutureSkew).UnixMilli(); e.eventTimeMs > limit {
				return nil, &ImportError{Index: e.Index, HashID: e.HashID, Err: &LimitError{Code: tlv1.CodeEventInFuture, Index: -1,
					What: "eventTime (Unix ms) is later than now plus params.max_event_future_skew_seconds", Got: e.eventTimeMs, Limit: limit}}
			}
		}
		todo = append(todo, e)
	}
	batches, err := planBatches(todo, maxBatch, lim)
	if err != nil {
		return nil, err
	}
	for _, b := range batches {
		plan.Batches = append(plan.Batches, len(b))
		plan.TxBytes = append(plan.TxBytes, batchTxSize(lim.ChainID, b))
	}
	return plan, nil
}

// planBatches packs events into batches as Import submits them and checks
// each batch's transaction against the limits.
func planBatches(events []PreparedEvent, maxBatch int, lim ImportLimits) ([][]PreparedEvent, error) {
	if maxBatch <= 0 || maxBatch > tlv1.MaxBatchEvents {
		maxBatch = tlv1.MaxBatchEvents
	}
	if lim.MaxMsgsPerTx < 1 {
		return nil, &LimitError{Code: tlv1.CodeTooManyMessages, Index: -1, What: "messages per transaction (one batch)", Got: 1, Limit: int64(lim.MaxMsgsPerTx)}
	}
	batches, err := packBatches(events, maxBatch, int(lim.MaxTxBytes)-txOverhead)
	if err != nil {
		return nil, err
	}
	for _, b := range batches {
		if n := batchTxSize(lim.ChainID, b); int64(n) > lim.MaxTxBytes {
			return nil, &ImportError{Index: b[0].Index, HashID: b[0].HashID, Err: &LimitError{Code: tlv1.CodeTxTooLarge, Index: -1,
				What: fmt.Sprintf("the transaction of %d events from this one on is larger than params.max_tx_bytes (bytes)", len(b)), Got: int64(n), Limit: lim.MaxTxBytes}}
		}
	}
	return batches, nil
}

// batchTxSize is the size of the signed transaction that carries batch,
// with the longest sequence (the key id and signature have fixed sizes).
func batchTxSize(chainID string, batch []PreparedEvent) int {
	msgs := make([]*tlv1.RecordEPCISEvent, len(batch))
	for i, e := range batch {
		msgs[i] = e.Msg
	}
	body := tlv1.TxBody{ChainId: chainID, Signer: strings.Repeat("0", keyIDLen), Sequence: math.MaxUint64,
		Messages: []*tlv1.Msg{{Sum: &tlv1.Msg_RecordEventBatch{RecordEventBatch: &tlv1.RecordEventBatch{Events: msgs}}}}}
	n := body.Size()
	tx := tlv1.Tx{BodyBytes: make([]byte, n), Signature: make([]byte, 64)}
	return tx.Size()
}

// keyIDLen is the length of a key id (tlv1.KeyID: 20 bytes in hex).
const keyIDLen = 40
