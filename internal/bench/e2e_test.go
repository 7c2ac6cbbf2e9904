// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEndToEnd runs the tool for real on two small loopback networks (2
// validators): a kvstore one and a TraceLedger one, two offered rates of a
// few seconds each, with history queries at half load. It checks that
// transactions were counted from committed blocks, that latencies were
// measured, that node usage and disk were sampled, and that the result and
// plot were written. It skips when cometbft cannot be installed (no module
// proxy).
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two networks of processes; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cache := filepath.Join(os.TempDir(), "traceledger-bench-cache")
	if _, err := InstallCometBFT(ctx, cache, "v0.39.4"); err != nil {
		if strings.Contains(err.Error(), "proxy") || strings.Contains(err.Error(), "dial") || strings.Contains(err.Error(), "lookup") {
			t.Skipf("cannot install cometbft from the Go module proxy: %v", err)
		}
		t.Fatal(err)
	}
	out := t.TempDir()
	bin := filepath.Join(out, "traceledger")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/traceledger/traceledger/cmd/traceledger")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build traceledger: %v\n%s", err, b)
	}
	var log strings.Builder
	res, err := Run(ctx, Config{
		Out: out, Binary: bin, CacheDir: cache,
		Cluster: ClusterOptions{Validators: 2, TimeoutCommit: 200 * time.Millisecond},
		Modes:   []string{ModeKVStore, ModeSingle}, Lanes: 4,
		Step: 4 * time.Second, Warmup: time.Second, Rates: []float64{100, 200},
		QueryWorkers: 1, Log: &log,
	})
	t.Log(log.String())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{ModeKVStore, ModeSingle} {
		m := res.Mode(name)
		if m == nil || m.Error != "" {
			t.Fatalf("mode %s: %+v", name, m)
		}
		if len(m.Steps) != 2 || m.Half == nil {
			t.Fatalf("mode %s: %d steps, half %v", name, len(m.Steps), m.Half)
		}
		s := m.Steps[1]
		// 200 tx/s offered for 3 measured seconds: most of it commits.
		if s.CommittedTxPerSec < 50 || s.CommittedTxPerSec > 260 {
			t.Errorf("mode %s: committed %.0f tx/s at 200 offered", name, s.CommittedTxPerSec)
		}
		if s.Latency.N == 0 || s.Latency.P50 <= 0 || s.Latency.P99 < s.Latency.P50 {
			t.Errorf("mode %s: latency %+v", name, s.Latency)
		}
		if len(m.Nodes) != 2 || m.Nodes[0].HomeBytes == 0 || m.Nodes[0].PeakRSSBytes == 0 {
			t.Errorf("mode %s: nodes %+v", name, m.Nodes)
		}
		if s.Nodes[0].CPUSeconds <= 0 {
			t.Errorf("mode %s: node CPU not sampled: %+v", name, s.Nodes)
		}
	}
	single := res.Mode(ModeSingle)
	if d := single.TxBytes - res.Mode(ModeKVStore).TxBytes; single.Nodes[0].AppBytes == 0 || d < -3 || d > 3 {
		t.Errorf("single: app bytes %d, tx bytes %d vs kvstore %d", single.Nodes[0].AppBytes, single.TxBytes, res.Mode(ModeKVStore).TxBytes)
	}
	if single.QueryStep == nil || single.QueryStep.Queries == nil || single.QueryStep.Queries.N == 0 || single.QueryStep.Queries.Failed > 0 {
		t.Errorf("history queries under load: %+v", single.QueryStep)
	}
	for _, f := range []string{"result.json", "plot.png"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s not written: %v", f, err)
		}
	}
}

// TestAPIReadsEndToEnd runs the API read measurement for real on a small
// network (2 validators, one observer, one API server child process): one
// arm of each kind of a second or two, and one under write load. It checks
// the plumbing, not the speed: every arm read 5-record histories, none
// failed verification, the follow arm got 304s that the server counted
// too, the API server's CPU was sampled, api arms carry their ratio to an
// rpc arm, and the result file was written.
func TestAPIReadsEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a network of processes and an API server; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	out := t.TempDir()
	bin := filepath.Join(out, "traceledger")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/traceledger/traceledger/cmd/traceledger")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build traceledger: %v\n%s", err, b)
	}
	var log strings.Builder
	arms := []string{ArmRPC, ArmAPI, ArmRPCPinned, ArmAPIPinned, ArmAPIFollow, ArmAPIPinned + SuffixLoad}
	res, err := RunAPIReads(ctx, APIConfig{
		Out: out, Binary: bin, Cluster: ClusterOptions{Validators: 2, TimeoutCommit: 200 * time.Millisecond},
		Subjects: 40, Workers: 2, Step: 2 * time.Second, Warmup: 500 * time.Millisecond,
		Arms: arms, LoadRate: 50, LoadLanes: 2, Log: &log,
	})
	t.Log(log.String())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range arms {
		a := res.Arm(name)
		if a == nil {
			t.Fatalf("arm %s missing", name)
		}
		if a.Reads == 0 || a.PerSec <= 0 || a.Latency.N != a.Reads || a.Latency.P99 < a.Latency.P50 {
			t.Errorf("arm %s: reads %d, %.1f/s, latency %+v", name, a.Reads, a.PerSec, a.Latency)
		}
		if a.VerificationFailures != 0 || a.Errors != 0 {
			t.Errorf("arm %s: %d errors (%s), %d verification failures", name, a.Errors, a.FirstError, a.VerificationFailures)
		}
		if a.Reads > a.NotModified && a.Records != EventsPerSubject {
			t.Errorf("arm %s: %.2f records per answer, want %d", name, a.Records, EventsPerSubject)
		}
		kind, _, _, _ := ParseArm(name)
		if isAPIArm(kind) {
			if procCores(a.Procs, "api1") <= 0 {
				t.Errorf("arm %s: API server CPU not sampled: %+v", name, a.Procs)
			}
			if a.Baseline == "" && !a.Load {
				t.Errorf("arm %s: no baseline ratio", name)
			}
		}
	}
	f := res.Arm(ArmAPIFollow)
	if f.NotModified == 0 || f.ServerNotModified == 0 || f.NotModifiedShare <= 0 {
		t.Errorf("follow arm: %d 304s received, %d counted by the server", f.NotModified, f.ServerNotModified)
	}
	if l := res.Arm(ArmAPIPinned + SuffixLoad); l.CommittedEventsPerSec <= 0 {
		t.Errorf("load arm: nothing committed meanwhile: %+v", l)
	}
	if st, err := os.Stat(filepath.Join(out, "api-result.json")); err != nil || st.Size() == 0 {
		t.Errorf("api-result.json not written: %v", err)
	}
}
