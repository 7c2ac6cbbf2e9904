// SPDX-License-Identifier: Apache-2.0

package api

import (
	"container/list"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Defaults of the rate limits in Options: a page of the portal makes a
// handful of reads, a scanner one; a submitter's transactions wait for
// blocks anyway.
const (
	DefaultReadRate    = 50
	DefaultReadBurst   = 100
	DefaultSubmitRate  = 5
	DefaultSubmitBurst = 20
	// DefaultRateClients caps how many clients each limit keeps a token
	// bucket for (about 200 bytes each).
	DefaultRateClients = 10000
)

// Names of the limits in metrics and problem documents.
const (
	limitRead   = "read"
	limitSubmit = "submit"
)

// limiterTable is one limit's token buckets, one per client, in a table of
// bounded size. Its order is the clients' last request (most recent
// first): a new client beyond the cap takes the bucket of the client idle
// longest, and buckets idle long enough to have refilled (they hold nothing
// a fresh bucket would not) are dropped as requests pass, so the table
// stays small when traffic is light. A client evicted while still owing
// tokens gets a fresh bucket when it comes back: under a flood of more
// distinct clients than the cap, the limit is per recent client, and memory
// stays bounded.
type limiterTable struct {
	name   string
	limit  rate.Limit
	burst  int
	max    int
	refill time.Duration // an idle bucket is full again after this

	mu      sync.Mutex
	entries map[string]*list.Element // of *bucket
	order   list.List                // front: most recent
}

// bucket is one client's token bucket.
type bucket struct {
	key  string
	lim  *rate.Limiter
	last time.Time
}

// newLimiterTable is a table of buckets of perSecond tokens a second,
// burst at most, for at most max clients.
func newLimiterTable(name string, perSecond float64, burst, max int) *limiterTable {
	t := &limiterTable{name: name, limit: rate.Limit(perSecond), burst: burst, max: max, entries: map[string]*list.Element{}}
	t.refill = time.Duration(float64(burst) / perSecond * float64(time.Second))
	return t
}

// take takes a token from key's bucket at now. When none is left it
// reports false and how long until one is.
func (t *limiterTable) take(key string, now time.Time) (ok bool, wait time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var b *bucket
	if e, found := t.entries[key]; found {
		b = e.Value.(*bucket)
		t.order.MoveToFront(e)
	} else {
		if t.order.Len() >= t.max {
			t.remove(t.order.Back())
		}
		b = &bucket{key: key, lim: rate.NewLimiter(t.limit, t.burst)}
		t.entries[key] = t.order.PushFront(b)
	}
	b.last = now
	// Drop up to two refilled buckets from the idle end: amortised, the
	// table sheds clients as fast as new ones come.
	for range 2 {
		e := t.order.Back()
		if e == nil || e.Value.(*bucket) == b || now.Sub(e.Value.(*bucket).last) < t.refill {
			break
		}
		t.remove(e)
	}
	r := b.lim.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Duration(math.MaxInt64)
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// remove drops e from the table.
func (t *limiterTable) remove(e *list.Element) {
	delete(t.entries, e.Value.(*bucket).key)
	t.order.Remove(e)
}

// len is how many clients the table holds.
func (t *limiterTable) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.order.Len()
}

// newLimits builds the tables the options ask for (nil: that limit is
// off).
func newLimits(o Options) (read, submit *limiterTable) {
	if o.ReadRate > 0 {
		read = newLimiterTable(limitRead, o.ReadRate, o.ReadBurst, o.RateClients)
	}
	if o.SubmitRate > 0 {
		submit = newLimiterTable(limitSubmit, o.SubmitRate, o.SubmitBurst, o.RateClients)
	}
	return read, submit
}

// unlimited reports whether path is never rate limited: health, readiness
// and metrics must answer a load balancer and a monitor even while a
// client floods the server.
func unlimited(path string) bool {
	return path == "/healthz" || path == "/readyz" || path == "/metrics"
}

// rateLimit is the rate-limit layer: public reads (GET, HEAD, OPTIONS)
// take a token from the client's read bucket, everything else (a
// submission) from its stricter submit bucket. Over the limit, the answer
// is 429 with Retry-After and a problem document (code rate_limited),
// counted; the request goes no further.
func (s *Server) rateLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := s.readLimit
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
		default:
			t = s.submitLimit
		}
		if t == nil || unlimited(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		var client clientAddr
		if ri := infoOf(r.Context()); ri != nil {
			client = ri.client
		} else {
			client = s.clientOf(r)
		}
		ok, wait := t.take(client.key(), time.Now())
		if ok {
			next.ServeHTTP(w, r)
			return
		}
		s.metrics.limited.WithLabelValues(t.name).Inc()
		// The mux never sees the request: name its route for the metrics
		// and the access log outside.
		_, r.Pattern = s.mux.Handler(r)
		secs := int64(1)
		if wait < time.Duration(math.MaxInt64) {
			secs = max(1, int64(math.Ceil(wait.Seconds())))
		}
		h := w.Header()
		corsHeaders(h, r)
		h.Set("Retry-After", strconv.FormatInt(secs, 10))
		writeProblem(w, &problemError{status: http.StatusTooManyRequests, code: tlv1.CodeAPIRateLimited,
			detail: fmt.Sprintf("client %s is over the %s limit of %g requests a second (bursts of %d)", client, t.name, float64(t.limit), t.burst),
			hint:   fmt.Sprintf("retry after %d s (Retry-After); ask with ?height= and If-None-Match, or through a cache, to need fewer requests", secs)})
	})
}
