// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"fmt"
	"io"
	"strings"
)

// Target is one of the performance targets and whether this run
// met it.
type Target struct {
	Name string `json:"name"`
	Want string `json:"want"`
	Got  string `json:"got"`
	// Met is nil when the run did not measure it.
	Met *bool `json:"met"`
}

func met(b bool) *bool { return &b }

// meanAppBytesPerEvent is the mean over nodes.
func meanAppBytesPerEvent(m *ModeResult) float64 {
	var sum float64
	for _, n := range m.Nodes {
		sum += n.AppBytesPerEvent
	}
	return ratio(sum, float64(len(m.Nodes)))
}

func meanHomeBytesPerEvent(m *ModeResult) float64 {
	var sum float64
	for _, n := range m.Nodes {
		sum += n.HomeBytesPerEvent
	}
	return ratio(sum, float64(len(m.Nodes)))
}

// Evaluate checks the targets against a result.
func Evaluate(res *Result) []Target {
	kv, single := res.Mode(ModeKVStore), res.Mode(ModeSingle)
	var out []Target
	t := Target{Name: "one signed event per tx vs kvstore tx/s", Want: ">= 1.0x"}
	if kv != nil && single != nil && kv.Max.CommittedTxPerSec > 0 {
		r := single.Max.CommittedTxPerSec / kv.Max.CommittedTxPerSec
		t.Got = fmt.Sprintf("%.0f / %.0f tx/s = %.2fx", single.Max.CommittedTxPerSec, kv.Max.CommittedTxPerSec, r)
		t.Met = met(r >= 1.0)
	}
	out = append(out, t)

	t = Target{Name: "batched events per second", Want: ">= 25,000"}
	var best float64
	var bestMode string
	for _, m := range []string{ModeBatch100, ModeBatch1000} {
		if mr := res.Mode(m); mr != nil && mr.Max.CommittedEventsPerSec > best {
			best, bestMode = mr.Max.CommittedEventsPerSec, m
		}
	}
	if bestMode != "" {
		t.Got = fmt.Sprintf("%.0f (%s)", best, bestMode)
		t.Met = met(best >= 25000)
	}
	out = append(out, t)

	for _, m := range []string{ModeSingle, ModeBatch100, ModeBatch1000} {
		mr := res.Mode(m)
		t = Target{Name: "latency at half of max load, " + m, Want: "p50 <= 1 s, p99 <= 3 s"}
		if mr != nil && mr.Half != nil && mr.Half.Latency.N > 0 {
			l := mr.Half.Latency
			t.Got = fmt.Sprintf("p50 %.0f ms, p99 %.0f ms", l.P50, l.P99)
			t.Met = met(l.P50 <= 1000 && l.P99 <= 3000)
		}
		out = append(out, t)
	}

	t = Target{Name: "app state per hashed event", Want: "<= 300 bytes"}
	// Every TraceLedger mode is judged: the largest ledger (fixed overheads
	// matter least) and the batch modes (RecordEventBatch's hashed EPCIS
	// events, whose records are larger than RecordEvent's).
	var parts []string
	allOK, any := true, false
	for i := range res.Modes {
		m := &res.Modes[i]
		if m.Kind != KindTraceLedger || len(m.Nodes) == 0 || m.TotalEvents == 0 || m.Error != "" {
			continue
		}
		a := meanAppBytesPerEvent(m)
		parts = append(parts, fmt.Sprintf("%s %.0f B (%d events, home %.0f)", m.Name, a, m.TotalEvents, meanHomeBytesPerEvent(m)))
		any = true
		allOK = allOK && a <= 300
	}
	if any {
		t.Got = strings.Join(parts, "; ")
		t.Met = met(allOK)
	}
	out = append(out, t)

	pre := res.Mode(ModePrefilled)
	t = Target{Name: "throughput with the prefilled ledger vs empty", Want: ">= 85%"}
	if pre != nil && single != nil && single.Max.CommittedTxPerSec > 0 && pre.Max.CommittedTxPerSec > 0 {
		r := pre.Max.CommittedTxPerSec / single.Max.CommittedTxPerSec
		t.Got = fmt.Sprintf("%.0f / %.0f tx/s = %.0f%% (%d events prefilled)", pre.Max.CommittedTxPerSec, single.Max.CommittedTxPerSec, 100*r, pre.PrefillEvents)
		t.Met = met(r >= 0.85)
	}
	out = append(out, t)
	t = Target{Name: "history query with proofs, prefilled ledger, under load", Want: "p50 < 10 ms"}
	if pre != nil && pre.QueryStep != nil && pre.QueryStep.Queries != nil && pre.QueryStep.Queries.N > 0 {
		q := pre.QueryStep.Queries
		t.Got = fmt.Sprintf("p50 %.1f ms, p99 %.1f ms (%d queries)", q.P50, q.P99, q.N)
		t.Met = met(q.P50 < 10)
	}
	out = append(out, t)
	return out
}

// WriteSummary prints a one-screen summary of res: per mode the maximum
// committed rate, its ratio to kvstore, latency at half load, CPU, memory
// and disk per event, then the targets.
func WriteSummary(w io.Writer, res *Result) {
	fmt.Fprintf(w, "TraceLedger bench: %d validators, timeout_commit %d ms, CometBFT %s, %d CPUs (%s), load %.1f -> %.1f, %.0f s\n",
		res.Config.Validators, res.Config.TimeoutCommitMs, res.CometBFT, res.Machine.CPUs, res.Machine.CPUModel, res.Machine.Load1, res.Machine.Load1End, res.Seconds)
	kv := res.Mode(ModeKVStore)
	fmt.Fprintf(w, "%-10s %6s %9s %9s %6s %14s %14s %9s %8s %8s %8s\n", "mode", "bytes", "max tx/s", "max ev/s", "x kv", "half p50/p99", "(x kv)", "us/ev", "RSS MB", "app B/ev", "home B/ev")
	for i := range res.Modes {
		m := &res.Modes[i]
		if m.Error != "" {
			fmt.Fprintf(w, "%-10s failed: %s\n", m.Name, firstLine(m.Error))
			continue
		}
		x := "-"
		if kv != nil && kv.Max.CommittedTxPerSec > 0 {
			x = fmt.Sprintf("%.2f", m.Max.CommittedTxPerSec/kv.Max.CommittedTxPerSec)
		}
		half, hx := "-", "-"
		if m.Half != nil {
			half = fmt.Sprintf("%.0f/%.0f ms", m.Half.Latency.P50, m.Half.Latency.P99)
			if kv != nil && kv.Half != nil && kv.Half.Latency.P50 > 0 {
				hx = fmt.Sprintf("%.2f/%.2f", m.Half.Latency.P50/kv.Half.Latency.P50, ratio(m.Half.Latency.P99, kv.Half.Latency.P99))
			}
		}
		var rss int64
		for _, n := range m.Nodes {
			rss = max(rss, n.PeakRSSBytes)
		}
		fmt.Fprintf(w, "%-10s %6d %9.0f %9.0f %6s %14s %14s %9.0f %8.0f %8.0f %8.0f\n", m.Name, m.TxBytes, m.Max.CommittedTxPerSec, m.Max.CommittedEventsPerSec, x,
			half, hx, m.Max.CPUMicrosPerEvent, float64(rss)/(1<<20), meanAppBytesPerEvent(m), meanHomeBytesPerEvent(m))
		if m.QueryStep != nil && m.QueryStep.Queries != nil {
			q := m.QueryStep.Queries
			fmt.Fprintf(w, "%-10s history queries with proofs at half load: p50 %.1f ms p95 %.1f ms p99 %.1f ms, %.0f/s, %d failed; writes meanwhile %.0f ev/s p50 %.0f ms\n",
				"", q.P50, q.P95, q.P99, q.PerSec, q.Failed, m.QueryStep.CommittedEventsPerSec, m.QueryStep.Latency.P50)
		}
		if m.PrefillEvents > 0 {
			fmt.Fprintf(w, "%-10s prefill: %d events in %.0f s (%.0f events/s)\n", "", m.PrefillEvents, m.PrefillSeconds, m.PrefillPerSec)
		}
	}
	fmt.Fprintln(w, "targets:")
	for _, t := range res.Targets {
		status := "not measured"
		if t.Met != nil {
			status = map[bool]string{true: "MET", false: "NOT MET"}[*t.Met]
		}
		fmt.Fprintf(w, "  %-12s %-55s want %-22s got %s\n", status, t.Name, t.Want, t.Got)
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
