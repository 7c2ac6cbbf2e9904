// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/traceledger/traceledger/client"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// QueryStats are the history queries made under load.
type QueryStats struct {
	Latency
	// Failed counts queries that errored or whose proofs did not verify.
	Failed int `json:"failed"`
	// Records is the mean number of records per answer.
	Records float64 `json:"records_per_answer"`
	// PerSec is queries answered per second (all workers).
	PerSec float64 `json:"per_sec"`
}

// HistoryQuery asks url for subject's history and verifies the answer's
// proofs (the head's map proof and every record's inclusion proof) against
// the roots it carries: what a client does before it checks the roots'
// app hash against a signed header (that last step needs header H+1 and is
// the light client's, cached in practice, so it is not timed here).
func HistoryQuery(ctx context.Context, c *rpchttp.HTTP, subject string) (int, error) {
	subject, err := client.CanonicalSubject(subject)
	if err != nil {
		return 0, fmt.Errorf("bench: %w", err)
	}
	req := tlv1.HistoryRequest{Subject: subject}
	data, err := req.Marshal()
	if err != nil {
		return 0, err
	}
	res, err := c.ABCIQuery(ctx, tlv1.PathHistory, data)
	if err != nil {
		return 0, fmt.Errorf("bench: history of %s: %w", subject, err)
	}
	if res.Response.Code != 0 {
		return 0, fmt.Errorf("bench: history of %s refused: %s", subject, res.Response.Log)
	}
	var resp tlv1.HistoryResponse
	if err := resp.Unmarshal(res.Response.Value); err != nil {
		return 0, fmt.Errorf("bench: decode history: %w", err)
	}
	vh, err := client.VerifyHistory(subject, tlv1.HeadKey(subject), &resp)
	if err != nil {
		return 0, fmt.Errorf("bench: history of %s: %w", subject, err)
	}
	return len(vh.Records), nil
}

// RunQueries runs workers goroutines, each asking one of urls (in turn)
// for the history of a subject picked by pick, one query at a time, until
// ctx ends.
func RunQueries(ctx context.Context, urls []string, workers int, pick func(r *rand.Rand) string) QueryStats {
	var mu sync.Mutex
	var lat []float64
	failed, records := 0, 0
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := rpchttp.New(urls[w%len(urls)], "/websocket")
			if err != nil {
				mu.Lock()
				failed++
				mu.Unlock()
				return
			}
			r := rand.New(rand.NewPCG(uint64(w), 7))
			for ctx.Err() == nil {
				s := pick(r)
				t0 := time.Now()
				n, err := HistoryQuery(ctx, c, s)
				ms := float64(time.Since(t0)) / float64(time.Millisecond)
				if ctx.Err() != nil {
					return
				}
				mu.Lock()
				if err != nil {
					failed++
				} else {
					lat = append(lat, ms)
					records += n
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	st := QueryStats{Latency: SummariseLatency(lat), Failed: failed}
	st.Records = ratio(float64(records), float64(len(lat)))
	st.PerSec = ratio(float64(len(lat)), time.Since(start).Seconds())
	return st
}
