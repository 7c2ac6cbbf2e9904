package bench

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/traceledger/traceledger/node"
)

// Mode names.
const (
	ModeKVStore   = "kvstore"   // CometBFT's kvstore, transactions of the single-event size
	ModeSingle    = "single"    // one signed event per transaction (+ history queries at half load)
	ModeBatch100  = "batch100"  // 100 events per transaction
	ModeBatch1000 = "batch1000" // 1,000 events per transaction
	ModePrefilled = "prefilled" // single, on a ledger first filled with Config.PrefillEvents events
)

// DefaultModes is the full measurement.
var DefaultModes = []string{ModeKVStore, ModeSingle, ModeBatch100, ModeBatch1000}

// Config configures a Run.
type Config struct {
	// Out is the output directory: result.json, plot.png, the networks
	// (net-<mode>/) and the cometbft cache (cache/).
	Out string
	// Binary is the traceledger executable the TraceLedger nodes run.
	Binary string
	// CometBFTVersion is installed for the kvstore baseline (v0.39.4).
	CometBFTVersion string
	// CacheDir holds the installed cometbft (default Out/cache).
	CacheDir string
	// Cluster configures both networks alike.
	Cluster ClusterOptions
	// Modes to run, in order (default DefaultModes).
	Modes []string
	// Lanes is the number of concurrent submission lanes (one enterprise
	// key each for TraceLedger); default 32.
	Lanes int
	// Step is how long each offered rate is held, Warmup the part of it
	// not measured.
	Step, Warmup time.Duration
	// StartEvents is the first offered rate in events per second of each
	// mode (kvstore: transactions); Ramp multiplies it at each step; at
	// most MaxSteps steps, stopping after two saturated ones.
	StartEvents float64
	Ramp        float64
	MaxSteps    int
	// Rates, if set, replaces the ramp: explicit offered rates in events
	// per second for every mode.
	Rates []float64
	// QueryWorkers run history queries during the half-load step of the
	// single and prefilled modes (0: none).
	QueryWorkers int
	// PrefillEvents is the ledger size of the prefilled mode.
	PrefillEvents int
	// KeepNetworks keeps the network directories (default: removed after
	// each mode, after their disk usage is measured).
	KeepNetworks bool
	// Log receives progress lines.
	Log io.Writer
}

func (c *Config) defaults() {
	if c.CometBFTVersion == "" {
		c.CometBFTVersion = "v0.39.4"
	}
	if c.CacheDir == "" {
		c.CacheDir = filepath.Join(c.Out, "cache")
	}
	if len(c.Modes) == 0 {
		c.Modes = DefaultModes
	}
	if c.Lanes <= 0 {
		c.Lanes = 32
	}
	c.Cluster.Signers = c.Lanes
	c.Cluster.defaults()
	if c.Step <= 0 {
		c.Step = 15 * time.Second
	}
	if c.Warmup <= 0 || c.Warmup >= c.Step {
		c.Warmup = c.Step / 5
	}
	if c.StartEvents <= 0 {
		c.StartEvents = 1000
	}
	if c.Ramp <= 1 {
		c.Ramp = 1.6
	}
	if c.MaxSteps <= 0 {
		c.MaxSteps = 8
	}
	if c.PrefillEvents <= 0 {
		c.PrefillEvents = 5_000_000
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
}

// Step is one offered rate held for Config.Step.
type Step struct {
	// OfferedTxPerSec is the pacer's rate; SentTxPerSec what CheckTx
	// admitted.
	OfferedTxPerSec     float64 `json:"offered_tx_per_sec"`
	OfferedEventsPerSec float64 `json:"offered_events_per_sec"`
	SentTxPerSec        float64 `json:"sent_tx_per_sec"`
	// Committed* are counted from the blocks committed during the
	// measured part of the step.
	CommittedTxPerSec     float64     `json:"committed_tx_per_sec"`
	CommittedEventsPerSec float64     `json:"committed_events_per_sec"`
	Blocks                int         `json:"blocks"`
	TxsPerBlock           float64     `json:"txs_per_block"`
	Latency               Latency     `json:"latency"`
	Offer                 OfferStats  `json:"offer"`
	Nodes                 []NodeUsage `json:"nodes"`
	// LoadGenCores is the load tool's own CPU use.
	LoadGenCores float64 `json:"loadgen_cores"`
	// CPUMicrosPerEvent is the CPU time of all nodes together per
	// committed event (whole step including warm-up).
	CPUMicrosPerEvent float64 `json:"cpu_us_per_event_all_nodes"`
	// Queries are the history queries made during the step, if any.
	Queries *QueryStats `json:"queries,omitempty"`
	// Saturated: committed less than 85 % of what was offered.
	Saturated bool `json:"saturated"`
}

// NodeResult is one node's footprint at the end of a mode.
type NodeResult struct {
	Name         string `json:"name"`
	PeakRSSBytes int64  `json:"peak_rss_bytes"`
	// HomeBytes is the node's whole home on disk (blocks, state, tx
	// index, app database); AppBytes the application database only
	// (TraceLedger's app.badger; 0 for the in-memory kvstore).
	HomeBytes         int64   `json:"home_bytes"`
	AppBytes          int64   `json:"app_bytes"`
	HomeBytesPerEvent float64 `json:"home_bytes_per_event"`
	AppBytesPerEvent  float64 `json:"app_bytes_per_event"`
	// CPUMicrosPerEvent at the maximum-throughput step.
	CPUMicrosPerEvent float64 `json:"cpu_us_per_event"`
}

// ModeResult is one mode's measurement.
type ModeResult struct {
	Name        string       `json:"name"`
	Kind        string       `json:"kind"`
	EventsPerTx int          `json:"events_per_tx"`
	TxBytes     int          `json:"tx_bytes"`
	Steps       []Step       `json:"steps"`
	Max         Step         `json:"max"`
	Half        *Step        `json:"half,omitempty"`
	Nodes       []NodeResult `json:"nodes"`
	// TotalEvents committed in this network (all steps; plus the prefill).
	TotalEvents int `json:"total_events"`
	// Prefill, for the prefilled mode: events loaded and how long it took.
	PrefillEvents  int     `json:"prefill_events,omitempty"`
	PrefillSeconds float64 `json:"prefill_seconds,omitempty"`
	PrefillPerSec  float64 `json:"prefill_events_per_sec,omitempty"`
	// Error is set when the mode failed part-way.
	Error string `json:"error,omitempty"`
}

// Machine describes where the run happened.
type Machine struct {
	CPUs      int     `json:"cpus"`
	CPUModel  string  `json:"cpu_model"`
	MemBytes  int64   `json:"mem_bytes"`
	GoVersion string  `json:"go_version"`
	Load1     float64 `json:"load1_at_start"`
	Load1End  float64 `json:"load1_at_end"`
}

// Result is the whole run, written as result.json.
type Result struct {
	Started  time.Time    `json:"started"`
	Seconds  float64      `json:"seconds"`
	Machine  Machine      `json:"machine"`
	CometBFT string       `json:"cometbft_version"`
	Config   ResultConfig `json:"config"`
	Modes    []ModeResult `json:"modes"`
	Targets  []Target     `json:"targets"`
}

// ResultConfig is the part of Config worth recording.
type ResultConfig struct {
	Validators      int      `json:"validators"`
	TimeoutCommitMs int64    `json:"timeout_commit_ms"`
	Lanes           int      `json:"lanes"`
	StepSeconds     float64  `json:"step_seconds"`
	WarmupSeconds   float64  `json:"warmup_seconds"`
	Modes           []string `json:"modes"`
}

// Mode returns the result of mode name, if it ran.
func (r *Result) Mode(name string) *ModeResult {
	for i := range r.Modes {
		if r.Modes[i].Name == name {
			return &r.Modes[i]
		}
	}
	return nil
}

// runner carries a Run's state.
type runner struct {
	cfg      Config
	cometbf  string
	run      string // unique prefix of subjects and kv keys
	txBytes  int    // size of a single-event TraceLedger transaction
	emptyMax float64
}

// Run performs the measurement described by cfg and writes
// Out/result.json and Out/plot.png.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg.defaults()
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	r := &runner{cfg: cfg, run: strconv.FormatInt(time.Now().Unix()%100000, 36)}
	res := &Result{Started: time.Now().UTC(), Machine: machine(), CometBFT: cfg.CometBFTVersion,
		Config: ResultConfig{Validators: cfg.Cluster.Validators, TimeoutCommitMs: cfg.Cluster.TimeoutCommit.Milliseconds(), Lanes: cfg.Lanes,
			StepSeconds: cfg.Step.Seconds(), WarmupSeconds: cfg.Warmup.Seconds(), Modes: cfg.Modes}}
	size, err := singleTxBytes(r.run)
	if err != nil {
		return nil, err
	}
	r.txBytes = size
	for _, m := range cfg.Modes {
		if m == ModeKVStore {
			r.logf("installing cometbft %s into %s", cfg.CometBFTVersion, cfg.CacheDir)
			bin, err := InstallCometBFT(ctx, cfg.CacheDir, cfg.CometBFTVersion)
			if err != nil {
				return nil, err
			}
			r.cometbf = bin
		}
	}
	for _, m := range cfg.Modes {
		if ctx.Err() != nil {
			break
		}
		mr, err := r.mode(ctx, m)
		if err != nil {
			mr.Error = err.Error()
			r.logf("mode %s failed: %v", m, err)
		}
		res.Modes = append(res.Modes, mr)
		if err := res.write(cfg.Out); err != nil { // keep partial results
			return res, err
		}
	}
	res.Machine.Load1End = load1()
	res.Seconds = time.Since(res.Started).Seconds()
	res.Targets = Evaluate(res)
	if err := res.write(cfg.Out); err != nil {
		return res, err
	}
	if err := WritePlot(filepath.Join(cfg.Out, "plot.png"), res); err != nil {
		return res, err
	}
	return res, ctx.Err()
}

func (res *Result) write(dir string) error {
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return fmt.Errorf("bench: encode result: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "result.json"), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	return nil
}

func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.cfg.Log, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// singleTxBytes is the size of a one-event TraceLedger transaction as the
// generator builds it (the kvstore baseline uses the same size).
func singleTxBytes(run string) (int, error) {
	_, k, _ := ed25519.GenerateKey(nil)
	// A lane in the middle of a run: sequence and serial have a few digits.
	txs, err := NewEventGen("bench-traceledger", k, 10, 1, 10000, run).Next(2000)
	if err != nil {
		return 0, err
	}
	return len(txs[len(txs)-1].Raw), nil
}

func eventsPerTx(mode string) int {
	switch mode {
	case ModeBatch100:
		return 100
	case ModeBatch1000:
		return 1000
	}
	return 1
}

// lanesFor picks the lane count: big transactions need few lanes.
func (r *runner) lanesFor(perTx int) int {
	switch {
	case perTx >= 1000:
		return min(r.cfg.Lanes, 8)
	case perTx >= 100:
		return min(r.cfg.Lanes, 16)
	}
	return r.cfg.Lanes
}

func (r *runner) mode(ctx context.Context, mode string) (ModeResult, error) {
	perTx := eventsPerTx(mode)
	mr := ModeResult{Name: mode, Kind: KindTraceLedger, EventsPerTx: perTx}
	dir := filepath.Join(r.cfg.Out, "net-"+mode)
	if err := os.RemoveAll(dir); err != nil {
		return mr, fmt.Errorf("bench: %w", err)
	}
	var cl *Cluster
	var err error
	bin := r.cfg.Binary
	if mode == ModeKVStore {
		mr.Kind = KindKVStore
		cl, err = InitKVStore(ctx, r.cometbf, dir, r.cfg.Cluster)
		bin = r.cometbf
	} else {
		cl, err = InitTraceLedger(dir, r.cfg.Cluster)
	}
	if err != nil {
		return mr, err
	}
	r.logf("mode %s: starting %d %s nodes in %s", mode, len(cl.Nodes), mr.Kind, dir)
	if err := cl.Start(ctx, bin, r.cfg.Cluster.LogLevel, 2); err != nil {
		return mr, err
	}
	stopped := false
	defer func() {
		if !stopped {
			cl.Stop(context.Background())
		}
	}()
	tr := NewTracker()
	w, err := WatchBlocks(ctx, cl.Nodes[0].RPCURL, tr)
	if err != nil {
		return mr, err
	}
	defer w.Stop()

	nl := r.lanesFor(perTx)
	lanes := make([]*Lane, nl)
	gens := make([]Generator, nl)
	for i := range lanes {
		lanes[i] = &Lane{URL: cl.Nodes[i%len(cl.Nodes)].RPCURL}
		if mode == ModeKVStore {
			gens[i] = NewKVGen(i, r.txBytes, r.run)
		} else {
			gens[i] = NewEventGen(cl.ChainID, cl.Keys[i], i, perTx, 0, r.run)
		}
	}
	sent := make([]uint64, nl) // events generated per lane, for query subjects
	if mode == ModeKVStore {
		mr.TxBytes = r.txBytes
	} else {
		probe, _ := NewEventGen(cl.ChainID, cl.Keys[0], 10, perTx, 10000, r.run).Next(max(1, 2000/perTx))
		mr.TxBytes = len(probe[len(probe)-1].Raw)
	}

	if mode == ModePrefilled {
		if err := r.prefill(ctx, cl, tr, &mr); err != nil {
			return mr, err
		}
	}

	step := func(rate float64, queries bool) (Step, error) {
		need := int(math.Ceil(rate*r.cfg.Step.Seconds()*1.3/float64(nl))) + 2
		for i, l := range lanes {
			if len(l.Txs) < need {
				more, err := gens[i].Next(need - len(l.Txs))
				if err != nil {
					return Step{}, err
				}
				l.Txs = append(l.Txs, more...)
				sent[i] += uint64(len(more) * perTx)
			}
		}
		pids := cl.PIDs()
		pids["loadgen"] = os.Getpid()
		smp := SampleProcs(pids, 500*time.Millisecond)
		qctx, qcancel := context.WithCancel(ctx)
		var qs QueryStats
		var qwg sync.WaitGroup
		if queries && r.cfg.QueryWorkers > 0 && mode != ModeKVStore {
			urls := make([]string, len(cl.Nodes))
			for i, n := range cl.Nodes {
				urls[i] = n.RPCURL
			}
			limit := slicesClone(sent)
			qwg.Add(1)
			go func() {
				defer qwg.Done()
				time.Sleep(r.cfg.Warmup)
				qs = RunQueries(qctx, urls, r.cfg.QueryWorkers, func(rng *rand.Rand) string {
					lane := rng.IntN(nl)
					n := limit[lane] / 2 // well committed by now
					if n == 0 {
						n = 1
					}
					return Subject(r.run, lane, rng.Uint64N(n))
				})
			}()
		}
		t0 := time.Now()
		ost := NewSender(nl).Offer(ctx, lanes, rate/float64(perTx), r.cfg.Step, tr)
		t1 := time.Now()
		qcancel()
		qwg.Wait()
		usage := smp.Stop(append(cl.Names(), "loadgen"))
		win := tr.Window(t0.Add(r.cfg.Warmup), t1)
		all := tr.Window(t0, t1)
		st := Step{OfferedTxPerSec: rate / float64(perTx), OfferedEventsPerSec: rate,
			SentTxPerSec: ratio(float64(ost.Sent), t1.Sub(t0).Seconds()), CommittedTxPerSec: win.TxPerSec(),
			CommittedEventsPerSec: win.EventsPerSec(), Blocks: win.Blocks, TxsPerBlock: ratio(float64(win.Txs), float64(win.Blocks)),
			Latency: SummariseLatency(win.Latencies), Offer: ost, Nodes: usage[:len(usage)-1], LoadGenCores: usage[len(usage)-1].Cores}
		var cpu float64
		for _, u := range st.Nodes {
			cpu += u.CPUSeconds
		}
		st.CPUMicrosPerEvent = ratio(cpu*1e6, float64(all.Events))
		st.Saturated = st.CommittedEventsPerSec < 0.85*rate
		if queries && r.cfg.QueryWorkers > 0 && mode != ModeKVStore {
			st.Queries = &qs
		}
		// Let the backlog drain so that the next step starts clean.
		// A transaction a node lost never commits: stop waiting when
		// nothing has committed for 3 s.
		deadline := time.Now().Add(20 * time.Second)
		last, lastChange := tr.Pending(), time.Now()
		for p := last; p > 0 && time.Now().Before(deadline) && time.Since(lastChange) < 3*time.Second && ctx.Err() == nil; p = tr.Pending() {
			if p != last {
				last, lastChange = p, time.Now()
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err := w.Err(); err != nil {
			return st, err
		}
		r.logf("  %s offered %.0f ev/s: committed %.0f tx/s %.0f ev/s, p50 %.0f ms p99 %.0f ms, %d blocks, sent %d retries %d resent %d rejected %d, node cores %s, loadgen %.2f",
			mode, rate, st.CommittedTxPerSec, st.CommittedEventsPerSec, st.Latency.P50, st.Latency.P99, st.Blocks, ost.Sent, ost.Retries, ost.Resent, ost.Rejected, coresString(st.Nodes), st.LoadGenCores)
		if ost.Rejected > 0 {
			r.logf("  first rejection: %s", ost.FirstReject)
		}
		return st, nil
	}

	rates := r.cfg.Rates
	if len(rates) == 0 {
		start := r.cfg.StartEvents
		if perTx > 1 {
			start *= 4
		}
		if mode == ModePrefilled && r.emptyMax > 0 {
			start = r.emptyMax * 0.6
		}
		for i := 0; i < r.cfg.MaxSteps; i++ {
			rates = append(rates, start*math.Pow(r.cfg.Ramp, float64(i)))
		}
	}
	saturated := 0
	for _, rate := range rates {
		if ctx.Err() != nil {
			return mr, ctx.Err()
		}
		st, err := step(rate, false)
		if err != nil {
			return mr, err
		}
		mr.Steps = append(mr.Steps, st)
		if st.CommittedEventsPerSec > mr.Max.CommittedEventsPerSec {
			mr.Max = st
		}
		if st.Saturated {
			saturated++
			if saturated >= 2 && len(r.cfg.Rates) == 0 {
				break
			}
		}
	}
	if mode == ModeSingle {
		r.emptyMax = mr.Max.CommittedEventsPerSec
	}
	if mr.Max.CommittedEventsPerSec > 0 && ctx.Err() == nil {
		half, err := step(mr.Max.CommittedEventsPerSec/2, mode == ModeSingle || mode == ModePrefilled)
		if err != nil {
			return mr, err
		}
		mr.Half = &half
	}
	_, mr.TotalEvents = tr.Totals()
	mr.TotalEvents += mr.PrefillEvents
	if mode == ModeKVStore {
		mr.TotalEvents, _ = tr.Totals()
	}
	w.Stop()
	stopped = true
	if err := cl.Stop(ctx); err != nil {
		r.logf("stop: %v", err)
	}
	for i, n := range cl.Nodes {
		home, _ := DiskUsage(n.Home)
		var appb int64
		if mode != ModeKVStore {
			appb, _ = DiskUsage(node.AppDBDir(n.Home))
		}
		nr := NodeResult{Name: n.Name, HomeBytes: home, AppBytes: appb,
			HomeBytesPerEvent: ratio(float64(home), float64(mr.TotalEvents)), AppBytesPerEvent: ratio(float64(appb), float64(mr.TotalEvents))}
		for _, s := range mr.Steps {
			if i < len(s.Nodes) {
				nr.PeakRSSBytes = max(nr.PeakRSSBytes, s.Nodes[i].PeakRSSBytes)
			}
		}
		if i < len(mr.Max.Nodes) {
			nr.CPUMicrosPerEvent = ratio(mr.Max.Nodes[i].CPUSeconds*1e6, mr.Max.CommittedEventsPerSec*r.cfg.Step.Seconds())
		}
		mr.Nodes = append(mr.Nodes, nr)
	}
	if !r.cfg.KeepNetworks {
		os.RemoveAll(dir)
	}
	return mr, nil
}

func slicesClone(s []uint64) []uint64 { return append([]uint64(nil), s...) }

func coresString(us []NodeUsage) string {
	parts := make([]string, len(us))
	for i, u := range us {
		parts[i] = fmt.Sprintf("%.2f", u.Cores)
	}
	return strings.Join(parts, "/")
}

// prefill loads cfg.PrefillEvents events into the ledger through the
// network itself, in transactions of 1,000 events, as fast as the network
// takes them, and times it. (Committing blocks through the app directly
// would leave CometBFT's block store behind the app, which its handshake
// refuses.)
func (r *runner) prefill(ctx context.Context, cl *Cluster, tr *Tracker, mr *ModeResult) error {
	const perTx = 1000
	nl := min(r.cfg.Lanes, 8)
	txPerLane := (r.cfg.PrefillEvents + perTx*nl - 1) / (perTx * nl)
	lanes := make([]*Lane, nl)
	for i := range lanes {
		// Keys from the end of the list, so the measured lanes keep theirs.
		k := cl.Keys[len(cl.Keys)-1-i]
		txs, err := NewEventGen(cl.ChainID, k, 1000+i, perTx, 0, r.run+"p").Next(txPerLane)
		if err != nil {
			return err
		}
		lanes[i] = &Lane{URL: cl.Nodes[i%len(cl.Nodes)].RPCURL, Txs: txs}
	}
	total := nl * txPerLane * perTx
	r.logf("  prefill: %d events in %d transactions of %d", total, nl*txPerLane, perTx)
	t0 := time.Now()
	s := NewSender(nl)
	done := make(chan OfferStats, 1)
	go func() { done <- s.Offer(ctx, lanes, 1e6, 24*time.Hour, tr) }()
	<-done
	for tr.Pending() > 0 && ctx.Err() == nil {
		time.Sleep(200 * time.Millisecond)
	}
	secs := time.Since(t0).Seconds()
	_, ev := tr.Totals()
	mr.PrefillEvents, mr.PrefillSeconds, mr.PrefillPerSec = ev, secs, ratio(float64(ev), secs)
	r.logf("  prefill: %d events committed in %.0f s (%.0f events/s)", ev, secs, mr.PrefillPerSec)
	if ev < total {
		return fmt.Errorf("bench: prefill committed %d of %d events", ev, total)
	}
	return ctx.Err()
}

// machine describes this machine.
func machine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), Load1: load1()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				m.CPUModel = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		m.MemBytes = parseMemTotal(string(b))
	}
	return m
}

func parseMemTotal(s string) int64 {
	for _, line := range strings.Split(s, "\n") {
		if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}

func load1() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}
