// SPDX-License-Identifier: Apache-2.0

package watch

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the watcher's Prometheus metrics, in their own registry:
// alerts by rule and severity, and how far it is in the log.
type Metrics struct {
	registry *prometheus.Registry

	Alerts  *prometheus.CounterVec
	Records prometheus.Counter
	Next    prometheus.Gauge
	LogSize prometheus.Gauge
	Height  prometheus.Gauge
	Rate    prometheus.Gauge
	Steps   prometheus.Counter
}

// NewMetrics creates the metrics in a new registry.
func NewMetrics() *Metrics {
	const ns = "traceledger_watch"
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		Alerts: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "alerts_total",
			Help: "Alerts raised, by rule id and severity."}, []string{"rule", "severity"}),
		Records: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "records_total",
			Help: "Log records read, verified and evaluated."}),
		Next: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "next_index",
			Help: "Log index the watcher continues from."}),
		LogSize: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "log_size",
			Help: "Log size at the verified tip of the last step."}),
		Height: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "verified_height",
			Help: "State height of the roots the last batch was proven at."}),
		Rate: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "records_per_second",
			Help: "Records evaluated per second in the last step that read any."}),
		Steps: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "steps_total",
			Help: "Steps run (one per poll of the tip)."}),
	}
	m.registry.MustRegister(m.Alerts, m.Records, m.Next, m.LogSize, m.Height, m.Rate, m.Steps)
	return m
}

// Registry is the registry the metrics are in.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}
