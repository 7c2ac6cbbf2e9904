// SPDX-License-Identifier: Apache-2.0

package testnet

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/cometbft/cometbft/types"

	"github.com/traceledger/traceledger/client"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Traffic submits trace events to a network, one worker per enterprise key,
// and remembers what the network confirmed, so that a test can check
// afterwards that every confirmed transaction is in the ledger exactly once.
//
// Each worker records events on a subject of its own. Each event carries a
// payload hash unique to it, so a record in the ledger can be traced back to
// the one attempt that sent it. A worker submits one transaction at a time
// to one node; when that node fails it moves to the next URL.
type Traffic struct {
	// Genesis is the network's genesis (the trust root of the clients).
	Genesis *types.GenesisDoc
	// URLs are the RPC URLs to submit to; workers start at different ones
	// and move on when a node fails.
	URLs []string
	// Keys are the enterprises' signing keys, one worker each.
	Keys map[string]ed25519.PrivateKey
	// MsgsPerTx is the number of events per transaction (default 1).
	MsgsPerTx int
	// Pause is the wait between a worker's transactions.
	Pause time.Duration
	// TxTimeout bounds one submission (default 20 s).
	TxTimeout time.Duration
	// RunID makes subjects and payloads unique across runs (default: the
	// start time in nanoseconds, base 36). The subject's lot is
	// "<worker>-<RunID>", which an EPC URI allows 20 characters.
	RunID string
}

// SentTx is one transaction a worker submitted.
type SentTx struct {
	// Worker is the enterprise that signed it.
	Worker string
	// Subject is the worker's subject.
	Subject string
	// Payloads are the payload hashes of its events.
	Payloads [][32]byte
	// Hash is the transaction hash; Height its block when confirmed.
	Hash   []byte
	Height int64
	// Err is why the outcome is unknown or a rejection.
	Err string
}

// TrafficResult is what the workers saw.
type TrafficResult struct {
	// Committed were confirmed in a block with code 0.
	Committed []SentTx
	// Unknown may or may not have been committed (the node failed
	// between broadcast and confirmation, or the wait timed out).
	Unknown []SentTx
	// Rejected were refused with a code (for example a sequence race
	// after a failover); they must not be in the ledger.
	Rejected []SentTx
	// Subjects maps each worker to its subject.
	Subjects map[string]string
}

// Events is the number of events in committed transactions.
func (r *TrafficResult) Events() int {
	n := 0
	for _, t := range r.Committed {
		n += len(t.Payloads)
	}
	return n
}

// Run submits transactions until ctx is done and returns what happened.
func (t *Traffic) Run(ctx context.Context) *TrafficResult {
	runID := t.RunID
	if runID == "" {
		// Base 36 keeps "load1-" and the run id within the 20 characters
		// of an EPC lot (base 10 needs 19 digits and the app rejects the
		// subject).
		runID = strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	res := &TrafficResult{Subjects: map[string]string{}}
	names := make([]string, 0, len(t.Keys))
	for n := range t.Keys {
		names = append(names, n)
	}
	slices.Sort(names)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, name := range names {
		// A GS1 lot is at most 20 characters (AI 10): the worker's name
		// (cut to 8) and 11 hex digits of the run, unique per worker and run.
		lot := sha256.Sum256([]byte(runID + "/" + name))
		subject := fmt.Sprintf("urn:epc:class:lgtin:6901234.500012.%.8s-%x", name, lot[:])[:len("urn:epc:class:lgtin:6901234.500012.")+20]
		res.Subjects[name] = subject
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.worker(ctx, i, name, subject, runID, func(s SentTx, outcome int) {
				mu.Lock()
				defer mu.Unlock()
				switch outcome {
				case outcomeCommitted:
					res.Committed = append(res.Committed, s)
				case outcomeRejected:
					res.Rejected = append(res.Rejected, s)
				default:
					res.Unknown = append(res.Unknown, s)
				}
			})
		}()
	}
	wg.Wait()
	return res
}

const (
	outcomeCommitted = iota
	outcomeRejected
	outcomeUnknown
)

func (t *Traffic) worker(ctx context.Context, idx int, name, subject, runID string, report func(SentTx, int)) {
	key := t.Keys[name]
	msgs := t.MsgsPerTx
	if msgs <= 0 {
		msgs = 1
	}
	timeout := t.TxTimeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	urlIdx := idx % len(t.URLs)
	var c *client.Client
	for seq := 0; ctx.Err() == nil; seq++ {
		if c == nil {
			var err error
			if c, err = client.New(t.URLs[urlIdx], t.Genesis); err != nil {
				urlIdx = (urlIdx + 1) % len(t.URLs)
				continue
			}
		}
		s := SentTx{Worker: name, Subject: subject}
		var ms []*tlv1.Msg
		for m := 0; m < msgs; m++ {
			var b [8]byte
			binary.BigEndian.PutUint64(b[:], uint64(seq)<<20|uint64(m))
			p := sha256.Sum256([]byte(runID + "/" + name + "/" + hex.EncodeToString(b[:])))
			s.Payloads = append(s.Payloads, p)
			ms = append(ms, &tlv1.Msg{Sum: &tlv1.Msg_RecordEvent{RecordEvent: &tlv1.RecordEvent{
				Subject: subject, EventType: "observation", EventTimeMs: time.Now().UnixMilli(),
				PayloadSha256: p[:],
			}}})
		}
		sctx, cancel := context.WithTimeout(ctx, timeout)
		out, err := c.Submit(sctx, client.Signer{Key: key}, ms...)
		cancel()
		var txErr *client.TxError
		switch {
		case err == nil:
			s.Hash, s.Height = out.Hash, out.Height
			report(s, outcomeCommitted)
		case errors.As(err, &txErr):
			// Refused by the mempool, or in the block with a rejection
			// code: either way it changed nothing.
			s.Err = err.Error()
			report(s, outcomeRejected)
			c = nil
		default:
			s.Err = err.Error()
			report(s, outcomeUnknown)
			c = nil
			urlIdx = (urlIdx + 1) % len(t.URLs)
		}
		if c == nil {
			// Let a failed node's absence be noticed; avoid a hot loop.
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
		}
		if t.Pause > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(t.Pause):
			}
		}
	}
}

// VerifyTraffic reads each worker's complete history from the node at url,
// verified against the genesis (Merkle proofs and a signed header), and
// checks that every committed transaction's events are in it exactly once,
// that no rejected one is, that no event appears twice, and that every
// record came from a transaction this run sent. It returns the number of
// records found.
func VerifyTraffic(ctx context.Context, doc *types.GenesisDoc, url string, res *TrafficResult) (int, error) {
	c, err := client.New(url, doc)
	if err != nil {
		return 0, err
	}
	origin := map[[32]byte]int{} // payload -> outcome of the tx that sent it
	for _, s := range res.Committed {
		for _, p := range s.Payloads {
			origin[p] = outcomeCommitted
		}
	}
	for _, s := range res.Unknown {
		for _, p := range s.Payloads {
			origin[p] = outcomeUnknown
		}
	}
	for _, s := range res.Rejected {
		for _, p := range s.Payloads {
			origin[p] = outcomeRejected
		}
	}
	seen := map[[32]byte]int{}
	total := 0
	workers := make([]string, 0, len(res.Subjects))
	for w := range res.Subjects {
		workers = append(workers, w)
	}
	slices.Sort(workers)
	for _, w := range workers {
		h, _, err := c.History(ctx, res.Subjects[w])
		if err != nil {
			return total, fmt.Errorf("testnet: history of %s: %w", w, err)
		}
		for _, r := range h.Records {
			ev := r.Record.GetEvent()
			if ev == nil || len(ev.PayloadSha256) != 32 {
				return total, fmt.Errorf("testnet: record %d of %s is not a trace event", r.Index, w)
			}
			p := [32]byte(ev.PayloadSha256)
			o, ok := origin[p]
			switch {
			case !ok:
				return total, fmt.Errorf("testnet: record %d of %s has payload %X that no transaction of this run sent", r.Index, w, p)
			case o == outcomeRejected:
				return total, fmt.Errorf("testnet: record %d of %s has payload %X of a transaction the network rejected", r.Index, w, p)
			}
			seen[p]++
			if seen[p] > 1 {
				return total, fmt.Errorf("testnet: payload %X is in the ledger %d times (record %d of %s)", p, seen[p], r.Index, w)
			}
			total++
		}
	}
	for _, s := range res.Committed {
		for _, p := range s.Payloads {
			if seen[p] != 1 {
				return total, fmt.Errorf("testnet: tx %X of %s was confirmed at height %d but its event %X is not in the ledger", s.Hash, s.Worker, s.Height, p)
			}
		}
	}
	return total, nil
}
