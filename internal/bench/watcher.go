// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"context"
	"fmt"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cometbft/cometbft/types"
)

// Watcher follows the committed blocks of one node through its event
// subscription (NewBlockEvents: height and transaction count, small) and
// fetches each non-empty block's transactions (to learn their hashes) and
// results (to count only those the application accepted). The
// commit time of a block is when its notification reached the tool.
type Watcher struct {
	url string
	t   *Tracker
	c   *rpchttp.HTTP

	errs chan error
	done chan struct{}
}

// WatchBlocks subscribes to url's new blocks and feeds them to t until ctx
// ends or Stop is called.
func WatchBlocks(ctx context.Context, url string, t *Tracker) (*Watcher, error) {
	c, err := rpchttp.New(url, "/websocket")
	if err != nil {
		return nil, fmt.Errorf("bench: connect to %s: %w", url, err)
	}
	if err := c.Start(); err != nil {
		return nil, fmt.Errorf("bench: websocket to %s: %w", url, err)
	}
	q := types.QueryForEvent(types.EventNewBlockEvents).String()
	ch, err := c.Subscribe(ctx, "bench", q, 10000)
	if err != nil {
		c.Stop()
		return nil, fmt.Errorf("bench: subscribe to new blocks at %s: %w", url, err)
	}
	w := &Watcher{url: url, t: t, c: c, errs: make(chan error, 1), done: make(chan struct{})}
	type note struct {
		h    int64
		n    int64
		seen time.Time
	}
	notes := make(chan note, 100000)
	go func() { // receive: timestamp as early as possible
		defer close(notes)
		for {
			select {
			case <-ctx.Done():
				return
			case <-w.done:
				return
			case ev, ok := <-ch:
				if !ok {
					return
				}
				seen := time.Now()
				if d, ok := ev.Data.(types.EventDataNewBlockEvents); ok {
					notes <- note{h: d.Height, n: d.NumTxs, seen: seen}
				}
			}
		}
	}()
	go func() { // fetch the transactions of each block
		var last int64
		for nt := range notes {
			from := nt.h
			if last > 0 && nt.h > last+1 {
				from = last + 1 // a missed notification: fetch the gap, timed now
			}
			for h := from; h <= nt.h; h++ {
				if h == nt.h && nt.n == 0 {
					t.Block(BlockObs{Height: h, Seen: nt.seen})
					continue
				}
				obs, err := w.fetch(ctx, h, nt.seen)
				if err != nil {
					select {
					case w.errs <- err:
					default:
					}
					continue
				}
				t.Block(obs)
			}
			last = nt.h
		}
	}()
	return w, nil
}

func (w *Watcher) fetch(ctx context.Context, h int64, seen time.Time) (BlockObs, error) {
	var err error
	for try := 0; try < 5; try++ {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		res, e := w.c.Block(cctx, &h)
		var rr *coretypes.ResultBlockResults
		if e == nil {
			rr, e = w.c.BlockResults(cctx, &h)
		}
		cancel()
		if e == nil && len(rr.TxsResults) != len(res.Block.Txs) {
			e = fmt.Errorf("block %d has %d transactions but %d results", h, len(res.Block.Txs), len(rr.TxsResults))
		}
		if e == nil {
			obs := BlockObs{Height: h, Seen: seen, Txs: make([]TxHash, len(res.Block.Txs)), Failed: make([]bool, len(res.Block.Txs))}
			for i, tx := range res.Block.Txs {
				copy(obs.Txs[i][:], tx.Hash())
				obs.Failed[i] = rr.TxsResults[i].Code != 0
			}
			return obs, nil
		}
		err = e
		time.Sleep(100 * time.Millisecond)
	}
	return BlockObs{}, fmt.Errorf("bench: fetch block %d from %s: %w", h, w.url, err)
}

// Err returns the first fetch error, if any occurred (a block whose
// transactions could not be fetched is not counted).
func (w *Watcher) Err() error {
	select {
	case err := <-w.errs:
		return err
	default:
		return nil
	}
}

// Stop ends the subscription.
func (w *Watcher) Stop() {
	select {
	case <-w.done:
	default:
		close(w.done)
	}
	w.c.UnsubscribeAll(context.Background(), "bench")
	w.c.Stop()
}
