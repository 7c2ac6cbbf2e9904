// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	cmtbytes "github.com/cometbft/cometbft/libs/bytes"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// PreTx is a transaction built (and signed) before the load starts, so
// that the load generator only sends.
type PreTx struct {
	Raw    []byte
	Hash   TxHash
	Events int
	// Seq is the signer's sequence number (TraceLedger), used to resend
	// after a node lost transactions of the lane.
	Seq uint64
}

// NewPreTx wraps raw with its hash.
func NewPreTx(raw []byte, events int) PreTx {
	return PreTx{Raw: raw, Hash: sha256.Sum256(raw), Events: events}
}

// Lane is one ordered stream of transactions sent to one node, one at a
// time (a signer's sequence numbers must reach a node in order).
type Lane struct {
	// URL is the node's RPC address (http://host:port).
	URL string
	// Txs are sent in order.
	Txs []PreTx
	// done are the transactions sent so far, oldest first, for resending.
	done []PreTx
}

// resync handles a TraceLedger sequence refusal of tx: the node expects
// sequence next. If next is beyond tx, tx was already committed: it is
// dropped from the queue. If next is before it, the node lost admitted
// transactions of this lane (a mempool evicts a transaction when it is full
// or a recheck fails, and every later one of the signer then has a gap):
// they are queued again, from next on. It reports whether it could resync.
func (l *Lane) resync(tx PreTx, next uint64) bool {
	switch {
	case next > tx.Seq:
		l.done = append(l.done, tx)
		l.Txs = l.Txs[1:]
		return true
	case next < tx.Seq:
		k := -1
		for i, d := range l.done {
			if d.Seq == next {
				k = i
				break
			}
		}
		if k < 0 {
			return false
		}
		again := append([]PreTx(nil), l.done[k:]...)
		l.done = l.done[:k]
		l.Txs = append(again, l.Txs...)
		return true
	}
	return false
}

// sequenceRefusal returns the expected sequence if err is a TraceLedger
// sequence_replayed or sequence_gap refusal (read from its data).
func sequenceRefusal(err error) (uint64, bool) {
	var ce *CheckTxError
	if !errors.As(err, &ce) || ce.Rejection == nil || ce.Rejection.NextSequence == nil {
		return 0, false
	}
	switch tlv1.Code(ce.Code) {
	case tlv1.CodeSequenceReplayed, tlv1.CodeSequenceGap:
		return *ce.Rejection.NextSequence, true
	}
	return 0, false
}

// OfferStats is what one Offer sent.
type OfferStats struct {
	// Sent counts transactions the nodes admitted to their mempools.
	Sent int `json:"sent"`
	// Retries counts resubmissions after "mempool is full" or an error.
	Retries int `json:"retries"`
	// Rejected counts transactions refused by CheckTx for good (a lane
	// stops at its first one: its later sequences could not pass).
	Rejected int `json:"rejected"`
	// Resent counts transactions sent again because a node lost earlier
	// ones of the same signer (see Lane.resync).
	Resent int `json:"resent"`
	// FirstReject is the first refusal's message.
	FirstReject string `json:"first_reject,omitempty"`
	// Exhausted is true when a lane ran out of transactions before the
	// end: the offered rate was then not fully offered.
	Exhausted bool `json:"exhausted,omitempty"`
}

// Sender posts transactions with broadcast_tx_sync over keep-alive HTTP.
type Sender struct {
	hc *http.Client
}

// NewSender returns a Sender for up to conns concurrent requests.
func NewSender(conns int) *Sender {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns * 2,
		MaxIdleConnsPerHost: conns * 2,
		IdleConnTimeout:     90 * time.Second,
	}
	return &Sender{hc: &http.Client{Transport: tr, Timeout: 60 * time.Second}}
}

// errMempoolFull means the node refused for lack of room: retry later.
var errMempoolFull = errors.New("mempool is full")

// broadcast sends tx with broadcast_tx_sync: nil when CheckTx admitted it
// (or the node already had it), a *CheckTxError when CheckTx refused it.
func (s *Sender) broadcast(ctx context.Context, url string, tx []byte) error {
	body := fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"broadcast_tx_sync","params":{"tx":%q}}`, base64.StdEncoding.EncodeToString(tx))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var out struct {
		Result *struct {
			Code      uint32            `json:"code"`
			Codespace string            `json:"codespace"`
			Log       string            `json:"log"`
			Data      cmtbytes.HexBytes `json:"data"`
		} `json:"result"`
		Error *struct {
			Message string `json:"message"`
			Data    string `json:"data"`
		} `json:"error"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return fmt.Errorf("bench: %s answered %d %q: %w", url, resp.StatusCode, truncate(b, 200), err)
	}
	if out.Error != nil {
		msg := out.Error.Message + ": " + out.Error.Data
		switch {
		case strings.Contains(msg, "already exists in cache"):
			return nil
		case strings.Contains(msg, "mempool is full"):
			return errMempoolFull
		}
		return fmt.Errorf("bench: %s: %s", url, msg)
	}
	if out.Result == nil {
		return fmt.Errorf("bench: %s answered %q", url, truncate(b, 200))
	}
	if out.Result.Code != 0 {
		return &CheckTxError{Code: out.Result.Code, Log: out.Result.Log,
			Rejection: tlv1.RejectionOf(out.Result.Codespace, out.Result.Code, out.Result.Data)}
	}
	return nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// CheckTxError is a transaction refused by CheckTx.
type CheckTxError struct {
	Code uint32
	Log  string
	// Rejection is the refusal's facts from the result data (nil when the
	// refusal has none, e.g. CometBFT's own).
	Rejection *tlv1.Rejection
}

func (e *CheckTxError) Error() string { return fmt.Sprintf("CheckTx code %d: %s", e.Code, e.Log) }

// Offer sends the lanes' transactions at rate transactions per second in
// total (open loop: a pacer releases one send permit every 1/rate seconds;
// a lane takes a permit, sends its next transaction and waits for CheckTx)
// for d, and records each admitted transaction's first submission time in
// t. Lanes that are busy when permits pile up simply fall behind: the
// offered rate is then not reached, which the stats show (Sent).
func (s *Sender) Offer(ctx context.Context, lanes []*Lane, rate float64, d time.Duration, t *Tracker) OfferStats {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	permits := make(chan struct{}, len(lanes)*4)
	go func() { // pacer
		start := time.Now()
		released := 0
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-tick.C:
				due := int(now.Sub(start).Seconds() * rate)
				for ; released < due; released++ {
					select {
					case permits <- struct{}{}:
					default: // every lane is busy and the buffer is full: this permit is lost (offered, not sent)
					}
				}
			}
		}
	}()
	var st OfferStats
	var sent, retries, rejected, resent atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, l := range lanes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resyncs := 0
			for len(l.Txs) > 0 {
				select {
				case <-ctx.Done():
					return
				case <-permits:
				}
				tx := l.Txs[0]
				at := time.Now()
				for {
					// The request itself is not cut by the deadline: a
					// transaction in flight at the end is either admitted
					// (and recorded) or not, never left in doubt.
					bctx, bcancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
					err := s.broadcast(bctx, l.URL, tx.Raw)
					bcancel()
					if err == nil {
						t.Sent(tx.Hash, at, tx.Events)
						sent.Add(1)
						l.done = append(l.done, tx)
						l.Txs = l.Txs[1:]
						break
					}
					if next, ok := sequenceRefusal(err); ok && resyncs < 1000 {
						before := len(l.Txs)
						if l.resync(tx, next) {
							resyncs++
							resent.Add(int64(max(0, len(l.Txs)-before)))
							break
						}
					}
					var ce *CheckTxError
					if errors.As(err, &ce) {
						rejected.Add(1)
						mu.Lock()
						if st.FirstReject == "" {
							st.FirstReject = err.Error()
						}
						mu.Unlock()
						l.Txs = nil
						return
					}
					retries.Add(1)
					select {
					case <-ctx.Done():
						return
					case <-time.After(20 * time.Millisecond):
					}
				}
			}
			mu.Lock()
			st.Exhausted = true
			mu.Unlock()
		}()
	}
	wg.Wait()
	st.Sent, st.Retries, st.Rejected, st.Resent = int(sent.Load()), int(retries.Load()), int(rejected.Load()), int(resent.Load())
	return st
}
