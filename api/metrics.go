// SPDX-License-Identifier: Apache-2.0

package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus metrics, in its own registry (no
// global state): requests by route and status, latency by route,
// verification failures, answers served from a client's cache (304), and
// whether the last read reached a verifying node, how long node queries
// take, and the rate limits' refusals and tables.
type metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	unverified  prometheus.CounterFunc
	conflicts   prometheus.CounterFunc
	notModified prometheus.Counter
	nodeUp      prometheus.Gauge
	nodeQuery   *prometheus.HistogramVec
	limited     *prometheus.CounterVec
	// sharedHeaderWaits counts reads that waited for another read's check
	// of the same header instead of asking the light client themselves.
	sharedHeaderWaits prometheus.Counter
}

func newMetrics(s *Server) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "traceledger", Subsystem: "api", Name: "requests_total",
		Help: "HTTP requests by route pattern and status code."}, []string{"route", "code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "traceledger", Subsystem: "api", Name: "request_duration_seconds",
		Help: "Time to answer a request, by route pattern.", Buckets: []float64{.002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"route"})
	m.unverified = prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "traceledger", Subsystem: "api", Name: "verification_failures_total",
		Help: "Node answers that failed verification and were refused (502)."}, func() float64 { return float64(s.VerificationFailures()) })
	m.conflicts = prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "traceledger", Subsystem: "api", Name: "witness_conflicts_total",
		Help: "Headers a witness served that conflict with the primary's (or were malformed); the light client drops that witness."}, func() float64 { return float64(s.WitnessConflicts()) })
	m.notModified = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "traceledger", Subsystem: "api", Name: "not_modified_total",
		Help: "Reads answered 304 from the client's cached copy (height-keyed ETag)."})
	m.nodeUp = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "traceledger", Subsystem: "api", Name: "node_up",
		Help: "1 when the last read reached the node and verified, 0 when the node was unreachable or its answer failed."})
	m.nodeQuery = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "traceledger", Subsystem: "api", Name: "node_query_duration_seconds",
		Help: "Time the node took to answer one ABCI query (before verification), by query path.", Buckets: []float64{.001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10}}, []string{"path"})
	m.limited = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "traceledger", Subsystem: "api", Name: "rate_limited_total",
		Help: "Requests refused with 429 by a per-client rate limit, by limit (read or submit)."}, []string{"limit"})
	m.sharedHeaderWaits = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "traceledger", Subsystem: "api", Name: "shared_header_waits_total",
		Help: "Reads that waited for another read's light-client check of the same header rather than asking the light client themselves."})
	m.reg.MustRegister(m.requests, m.latency, m.unverified, m.conflicts, m.notModified, m.nodeUp, m.nodeQuery, m.limited, m.sharedHeaderWaits)
	for _, t := range []*limiterTable{s.readLimit, s.submitLimit} {
		if t != nil {
			m.limited.WithLabelValues(t.name)
			m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "traceledger", Subsystem: "api", Name: "rate_limit_clients",
				Help: "Clients a rate limit keeps a token bucket for (bounded by Options.RateClients).", ConstLabels: prometheus.Labels{"limit": t.name}},
				func() float64 { return float64(t.len()) }))
		}
	}
	return m
}

// statusWriter records the status an answer was written with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

// WriteHeader records the first status written.
func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write records an implicit 200.
func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// layer is the metrics layer of the handler chain.
func (m *metrics) layer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { m.observe(w, r, next) })
}

// observe serves r with next and records it.
func (m *metrics) observe(w http.ResponseWriter, r *http.Request, next http.Handler) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	next.ServeHTTP(sw, r)
	route := r.Pattern
	if route == "" || route == "/" {
		route = "other"
	}
	if sw.status == 0 {
		sw.status = http.StatusOK
	}
	m.requests.WithLabelValues(route, strconv.Itoa(sw.status)).Inc()
	m.latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
	if sw.status == http.StatusNotModified {
		m.notModified.Inc()
	}
	if strings.HasPrefix(route, "GET /v1/") || route == "GET /readyz" {
		switch sw.status {
		case http.StatusBadGateway, http.StatusServiceUnavailable:
			m.nodeUp.Set(0)
		case http.StatusOK, http.StatusNotFound:
			m.nodeUp.Set(1)
		}
	}
}

// MetricsHandler serves the server's metrics in Prometheus's format. Serve
// it on an operator's address, not the public one.
func (s *Server) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{})
}
