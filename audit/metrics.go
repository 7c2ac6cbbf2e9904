// SPDX-License-Identifier: Apache-2.0

package audit

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the auditor's Prometheus metrics, in their own registry.
type Metrics struct {
	registry *prometheus.Registry

	VerifiedHeight   prometheus.Gauge
	HeadersVerified  prometheus.Counter
	CatchUpRate      prometheus.Gauge
	CheckpointHeight prometheus.Gauge
	CheckpointSize   prometheus.Gauge
	NodeHeight       *prometheus.GaugeVec
	NodeLag          *prometheus.GaugeVec
	NodeHealthy      *prometheus.GaugeVec
	Answers          *prometheus.CounterVec
	Alerts           *prometheus.CounterVec
	Passes           prometheus.Counter
}

// NewMetrics creates the metrics and registers them in a new registry.
func NewMetrics() *Metrics {
	const ns = "traceledger_audit"
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		VerifiedHeight: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "verified_height",
			Help: "Height of the last header verified from the trust root."}),
		HeadersVerified: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "headers_verified_total",
			Help: "Headers verified with CometBFT's light-client rules."}),
		CatchUpRate: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "catchup_blocks_per_second",
			Help: "Headers verified per second in the last pass that verified any."}),
		CheckpointHeight: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "checkpoint_height",
			Help: "State height of the last verified checkpoint."}),
		CheckpointSize: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "checkpoint_log_size",
			Help: "Log size of the last verified checkpoint."}),
		NodeHeight: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "node_height",
			Help: "Latest block height each node reports."}, []string{"node"}),
		NodeLag: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "node_lag_blocks",
			Help: "Blocks each node is behind the highest verified header."}, []string{"node"}),
		NodeHealthy: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "node_healthy",
			Help: "1 when the node's last pass raised no alert, else 0."}, []string{"node"}),
		Answers: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "answers_total",
			Help: "Node answers checked, by node and result (verified, failed)."}, []string{"node", "result"}),
		Alerts: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "alerts_total",
			Help: "Alerts raised, by kind and node."}, []string{"kind", "node"}),
		Passes: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "passes_total",
			Help: "Audit passes run."}),
	}
	m.registry.MustRegister(m.VerifiedHeight, m.HeadersVerified, m.CatchUpRate, m.CheckpointHeight, m.CheckpointSize,
		m.NodeHeight, m.NodeLag, m.NodeHealthy, m.Answers, m.Alerts, m.Passes)
	return m
}

// Registry is the registry the metrics are in.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}
