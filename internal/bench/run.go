// SPDX-License-Identifier: Apache-2.0

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
	"slices"
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
	ModeBatch100  = "batch100"  // one RecordEventBatch of 100 hashed EPCIS events per transaction
	ModeBatch1000 = "batch1000" // one RecordEventBatch of 1,000 hashed EPCIS events per transaction
	ModePrefilled = "prefilled" // single, on a ledger first filled with Config.PrefillEvents events
	// ModeAPI is RunAPIReads (verified reads through the HTTP API against
	// abci_query), not a mode of Run: the command runs it alone.
	ModeAPI = "api"
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
	c.Cluster.Signers = c.Lanes + 8 // the bulk load of the prefilled mode signs with the last 8
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
	// FailedTxs were in blocks but rejected by the application (a signer
	// sequence gap after a node lost an earlier transaction): not counted.
	FailedTxs int `json:"failed_txs"`
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
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	EventsPerTx int    `json:"events_per_tx"`
	TxBytes     int    `json:"tx_bytes"`
	Steps       []Step `json:"steps"`
	Max         Step   `json:"max"`
	Half        *Step  `json:"half,omitempty"`
	// QueryStep repeats the half-load step with history queries running
	// (single and prefilled): queries under write load.
	QueryStep *Step        `json:"query_step,omitempty"`
	Nodes     []NodeResult `json:"nodes"`
	// TotalEvents committed in this network (all steps; plus the prefill).
	TotalEvents int `json:"total_events"`
	// Prefill, for the prefilled mode: events loaded and how long it took.
	PrefillEvents  int     `json:"prefill_events,omitempty"`
	PrefillSeconds float64 `json:"prefill_seconds,omitempty"`
	PrefillPerSec  float64 `json:"prefill_events_per_sec,omitempty"`
	PrefillMethod  string  `json:"prefill_method,omitempty"`
	// StartSeconds is how long the nodes took from start to their first
	// blocks (and the watcher's subscription).
	StartSeconds float64 `json:"start_seconds"`
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
	// P2PRate is the P2P rate limit of every node (0: CometBFT's default).
	P2PRate int64 `json:"p2p_rate_bytes_per_sec,omitempty"`
	// TxIndexer is the nodes' tx indexer when not the default ("kv").
	TxIndexer string `json:"tx_indexer,omitempty"`
	// MaxBlockBytes is the genesis block.max_bytes when not CometBFT's default.
	MaxBlockBytes int64 `json:"max_block_bytes,omitempty"`
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
			StepSeconds: cfg.Step.Seconds(), WarmupSeconds: cfg.Warmup.Seconds(), Modes: cfg.Modes, P2PRate: cfg.Cluster.P2PRate, TxIndexer: cfg.Cluster.TxIndexer, MaxBlockBytes: cfg.Cluster.MaxBlockBytes}}
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
	for _, g := range groups(cfg.Modes) {
		if ctx.Err() != nil {
			break
		}
		res.Modes = append(res.Modes, r.group(ctx, g)...)
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

// groups orders modes into measurement groups: kvstore and single, when
// both run, are measured together step by step (their ratio is the
// headline figure); every other mode alone, in the given order.
func groups(modes []string) [][]string {
	has := func(m string) bool { return slices.Contains(modes, m) }
	var out [][]string
	paired := has(ModeKVStore) && has(ModeSingle)
	for _, m := range modes {
		switch {
		case paired && m == ModeKVStore:
			out = append(out, []string{ModeKVStore, ModeSingle})
		case paired && m == ModeSingle:
		default:
			out = append(out, []string{m})
		}
	}
	return out
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

// session is one mode's network while it is measured.
type session struct {
	r     *runner
	mode  string
	perTx int
	dir   string
	cl    *Cluster
	tr    *Tracker
	w     *Watcher
	lanes []*Lane
	gens  []Generator
	sent  []uint64 // events generated per lane, for query subjects
	// bulkLanes and bulkPerLane describe the bulk-loaded subjects
	// (prefilled mode), which queries also ask about.
	bulkLanes   int
	bulkPerLane uint64
	mr          ModeResult
	sat         int  // saturated steps so far
	done        bool // the ramp is over for this session
	stopped     bool
}

// open initialises and starts a fresh network for mode, subscribes to its
// blocks and prepares its lanes (and loads the prefill).
func (r *runner) open(ctx context.Context, mode string) (*session, error) {
	perTx := eventsPerTx(mode)
	s := &session{r: r, mode: mode, perTx: perTx, dir: filepath.Join(r.cfg.Out, "net-"+mode),
		mr: ModeResult{Name: mode, Kind: KindTraceLedger, EventsPerTx: perTx}}
	if err := os.RemoveAll(s.dir); err != nil {
		return s, fmt.Errorf("bench: %w", err)
	}
	var err error
	bin := r.cfg.Binary
	copts := r.cfg.Cluster
	if copts.PprofBase > 0 { // mode k's node i serves pprof on base+10k+i
		copts.PprofBase += 10 * slices.Index([]string{ModeKVStore, ModeSingle, ModeBatch100, ModeBatch1000, ModePrefilled}, mode)
	}
	if mode == ModeKVStore {
		s.mr.Kind = KindKVStore
		s.cl, err = InitKVStore(ctx, r.cometbf, s.dir, copts)
		bin = r.cometbf
	} else {
		s.cl, err = InitTraceLedger(s.dir, copts)
	}
	if err != nil {
		return s, err
	}
	if mode == ModePrefilled {
		// Bulk keys are the ones after the lanes' own.
		keys := s.cl.Keys[min(len(s.cl.Keys)-1, r.lanesFor(1)):]
		r.logf("mode %s: bulk-loading %d events through the application directly", mode, r.cfg.PrefillEvents)
		bs, err := BulkLoad(ctx, s.cl, r.cfg.PrefillEvents, keys, r.run, r.logf)
		if err != nil {
			return s, err
		}
		s.mr.PrefillEvents, s.mr.PrefillSeconds, s.mr.PrefillPerSec = bs.Events, bs.Seconds, ratio(float64(bs.Events), bs.Seconds)
		s.bulkLanes, s.bulkPerLane = len(keys), uint64(bs.Events/len(keys))
		s.mr.PrefillMethod = fmt.Sprintf("application directly (FinalizeBlock+Commit of %d blocks of 10 signed 1,000-event transactions), then copied to every home in %.0f s; CometBFT starts at height %d on it",
			bs.Blocks, bs.CopySeconds, bs.Blocks+1)
		r.logf("  bulk: %d events in %.0f s (%.0f events/s), copied in %.0f s, app hash %s", bs.Events, bs.Seconds, s.mr.PrefillPerSec, bs.CopySeconds, bs.AppHash)
	}
	if mode == ModePrefilled {
		s.cl.StartTimeout = 20 * time.Minute
	}
	r.logf("mode %s: starting %d %s nodes in %s", mode, len(s.cl.Nodes), s.mr.Kind, s.dir)
	t0 := time.Now()
	defer func() { s.mr.StartSeconds = time.Since(t0).Seconds() }()
	if err := s.cl.Start(ctx, bin, r.cfg.Cluster.LogLevel, 2); err != nil {
		return s, err
	}
	s.tr = NewTracker()
	if s.w, err = WatchBlocks(ctx, s.cl.Nodes[0].RPCURL, s.tr); err != nil {
		return s, err
	}
	nl := r.lanesFor(perTx)
	s.lanes, s.gens, s.sent = make([]*Lane, nl), make([]Generator, nl), make([]uint64, nl)
	for i := range s.lanes {
		s.lanes[i] = &Lane{URL: s.cl.Nodes[i%len(s.cl.Nodes)].RPCURL}
		switch {
		case mode == ModeKVStore:
			s.gens[i] = NewKVGen(i, r.txBytes, r.run)
		case perTx > 1: // issue 4's RecordEventBatch of hashed EPCIS events
			if s.gens[i], err = NewEPCISBatchGen(s.cl.ChainID, s.cl.Keys[i], i, perTx, 0, r.run); err != nil {
				return s, err
			}
		default:
			s.gens[i] = NewEventGen(s.cl.ChainID, s.cl.Keys[i], i, perTx, 0, r.run)
		}
	}
	switch {
	case mode == ModeKVStore:
		s.mr.TxBytes = r.txBytes
	case perTx > 1:
		g, err := NewEPCISBatchGen(s.cl.ChainID, s.cl.Keys[0], 10, perTx, 10000, r.run)
		if err != nil {
			return s, err
		}
		probe, _ := g.Next(1)
		s.mr.TxBytes = len(probe[0].Raw)
	default:
		probe, _ := NewEventGen(s.cl.ChainID, s.cl.Keys[0], 10, perTx, 10000, r.run).Next(2000)
		s.mr.TxBytes = len(probe[len(probe)-1].Raw)
	}
	return s, nil
}

// step offers rate events per second for the configured step and returns
// what was committed; queries adds history queries.
func (s *session) step(ctx context.Context, rate float64, queries bool) (Step, error) {
	r, nl, perTx, cl, tr := s.r, len(s.lanes), s.perTx, s.cl, s.tr
	need := int(math.Ceil(rate*r.cfg.Step.Seconds()*1.3/float64(perTx)/float64(nl))) + 2
	for i, l := range s.lanes {
		if len(l.Txs) < need {
			more, err := s.gens[i].Next(need - len(l.Txs))
			if err != nil {
				return Step{}, err
			}
			l.Txs = append(l.Txs, more...)
			s.sent[i] += uint64(len(more) * perTx)
		}
	}
	queries = queries && r.cfg.QueryWorkers > 0 && s.mode != ModeKVStore
	pids := cl.PIDs()
	pids["loadgen"] = os.Getpid()
	smp := SampleProcs(pids, 500*time.Millisecond)
	qctx, qcancel := context.WithCancel(ctx)
	var qs QueryStats
	var qwg sync.WaitGroup
	if queries {
		urls := make([]string, len(cl.Nodes))
		for i, n := range cl.Nodes {
			urls[i] = n.RPCURL
		}
		limit := slicesClone(s.sent)
		qwg.Add(1)
		go func() {
			defer qwg.Done()
			select {
			case <-time.After(r.cfg.Warmup):
			case <-qctx.Done():
				return
			}
			qs = RunQueries(qctx, urls, r.cfg.QueryWorkers, func(rng *rand.Rand) string {
				if s.bulkLanes > 0 && rng.IntN(2) == 0 { // half of the queries ask about the bulk-loaded ledger
					return Subject(r.run+"b", 1000+rng.IntN(s.bulkLanes), rng.Uint64N(max(1, s.bulkPerLane*9/10)))
				}
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
	ost := NewSender(nl).Offer(ctx, s.lanes, rate/float64(perTx), r.cfg.Step, tr)
	t1 := time.Now()
	qcancel()
	qwg.Wait()
	usage := smp.Stop(append(cl.Names(), "loadgen"))
	win := tr.Window(t0.Add(r.cfg.Warmup), t1)
	all := tr.Window(t0, t1)
	st := Step{OfferedTxPerSec: rate / float64(perTx), OfferedEventsPerSec: rate,
		SentTxPerSec: ratio(float64(ost.Sent), t1.Sub(t0).Seconds()), CommittedTxPerSec: win.TxPerSec(),
		CommittedEventsPerSec: win.EventsPerSec(), Blocks: win.Blocks, TxsPerBlock: ratio(float64(win.Txs), float64(win.Blocks)),
		Latency: SummariseLatency(win.Latencies), Offer: ost, FailedTxs: win.Failed, Nodes: usage[:len(usage)-1], LoadGenCores: usage[len(usage)-1].Cores}
	if s.mode == ModeKVStore {
		st.CommittedEventsPerSec = st.CommittedTxPerSec
	}
	var cpu float64
	for _, u := range st.Nodes {
		cpu += u.CPUSeconds
	}
	allEvents := all.Events
	if s.mode == ModeKVStore {
		allEvents = all.Txs
	}
	st.CPUMicrosPerEvent = ratio(cpu*1e6, float64(allEvents))
	st.Saturated = st.CommittedEventsPerSec < 0.85*rate
	if queries {
		st.Queries = &qs
	}
	// Let the backlog drain so that the next step starts clean. A
	// transaction a node lost never commits: stop waiting when nothing has
	// committed for 10 s.
	deadline := time.Now().Add(60 * time.Second)
	last, lastChange := tr.Pending(), time.Now()
	for p := last; p > 0 && time.Now().Before(deadline) && time.Since(lastChange) < 10*time.Second && ctx.Err() == nil; p = tr.Pending() {
		if p != last {
			last, lastChange = p, time.Now()
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := s.w.Err(); err != nil {
		return st, err
	}
	r.logf("  %-9s offered %6.0f ev/s: committed %6.0f tx/s %6.0f ev/s, p50 %5.0f ms p99 %5.0f ms, %3d blocks, sent %d retries %d resent %d rejected %d, node cores %s, loadgen %.2f, load %.1f",
		s.mode, rate, st.CommittedTxPerSec, st.CommittedEventsPerSec, st.Latency.P50, st.Latency.P99, st.Blocks, ost.Sent, ost.Retries, ost.Resent, ost.Rejected,
		coresString(st.Nodes), st.LoadGenCores, load1())
	if ost.Rejected > 0 {
		r.logf("  first rejection: %s", ost.FirstReject)
	}
	return st, nil
}

// rampRates are the offered rates (events/s) of mode's ramp.
func (r *runner) rampRates(mode string) []float64 {
	if len(r.cfg.Rates) > 0 {
		return r.cfg.Rates
	}
	start := r.cfg.StartEvents
	if eventsPerTx(mode) > 1 {
		start *= 4
	}
	if mode == ModePrefilled && r.emptyMax > 0 {
		start = r.emptyMax * 0.6
	}
	var rates []float64
	for i := 0; i < r.cfg.MaxSteps; i++ {
		rates = append(rates, start*math.Pow(r.cfg.Ramp, float64(i)))
	}
	return rates
}

// record adds a ramp step to the session's result and ends the ramp after
// two saturated steps.
func (s *session) record(st Step) {
	s.mr.Steps = append(s.mr.Steps, st)
	if st.CommittedEventsPerSec > s.mr.Max.CommittedEventsPerSec {
		s.mr.Max = st
	}
	if st.Saturated {
		s.sat++
		if st.CommittedEventsPerSec < 0.6*st.OfferedEventsPerSec {
			s.sat++ // far beyond capacity: one more step only deepens the backlog
		}
		if s.sat >= 2 && len(s.r.cfg.Rates) == 0 {
			s.done = true
		}
	}
}

// group measures sessions together: at each offered rate every session
// still ramping runs its step in turn (so that slow changes in the
// machine's other load hit all of them alike), then each runs its
// half-load step, also in turn.
func (r *runner) group(ctx context.Context, modes []string) []ModeResult {
	var ss []*session
	out := make([]ModeResult, len(modes))
	defer func() {
		for _, s := range ss {
			if !s.stopped {
				s.w.Stop()
				s.cl.Stop(context.Background())
			}
		}
	}()
	for i, m := range modes {
		s, err := r.open(ctx, m)
		if s.cl != nil && s.w == nil && s.cl.procs != nil {
			s.cl.Stop(context.Background())
		}
		if err != nil {
			out[i] = s.mr
			out[i].Error = err.Error()
			r.logf("mode %s failed: %v", m, err)
			if s.w != nil {
				s.w.Stop()
				s.cl.Stop(context.Background())
			}
			continue
		}
		ss = append(ss, s)
	}
	fail := func(s *session, err error) {
		s.mr.Error = err.Error()
		s.done = true
		r.logf("mode %s failed: %v", s.mode, err)
	}
	rates := r.rampRates(modes[0])
	for _, rate := range rates {
		for _, s := range ss {
			if s.done || ctx.Err() != nil {
				continue
			}
			st, err := s.step(ctx, rate, false)
			if err != nil {
				fail(s, err)
				continue
			}
			s.record(st)
		}
	}
	for _, s := range ss {
		if s.mode == ModeSingle {
			r.emptyMax = s.mr.Max.CommittedEventsPerSec
		}
	}
	for _, s := range ss {
		if s.mr.Error != "" || s.mr.Max.CommittedEventsPerSec == 0 || ctx.Err() != nil {
			continue
		}
		half, err := s.step(ctx, s.mr.Max.CommittedEventsPerSec/2, false)
		if err != nil {
			fail(s, err)
			continue
		}
		s.mr.Half = &half
		if (s.mode == ModeSingle || s.mode == ModePrefilled) && r.cfg.QueryWorkers > 0 {
			q, err := s.step(ctx, s.mr.Max.CommittedEventsPerSec/2, true)
			if err != nil {
				fail(s, err)
				continue
			}
			s.mr.QueryStep = &q
		}
	}
	for _, s := range ss {
		r.close(s)
	}
	for i, m := range modes {
		for _, s := range ss {
			if s.mode == m {
				out[i] = s.mr
			}
		}
	}
	return out
}

// close stops a session's network and measures its disk.
func (r *runner) close(s *session) {
	txs, events := s.tr.Totals()
	s.mr.TotalEvents = events + s.mr.PrefillEvents
	if s.mode == ModeKVStore {
		s.mr.TotalEvents = txs
	}
	s.w.Stop()
	s.stopped = true
	if err := s.cl.Stop(context.Background()); err != nil {
		r.logf("stop: %v", err)
	}
	for i, n := range s.cl.Nodes {
		home, _ := DiskUsage(n.Home)
		var appb int64
		if s.mode != ModeKVStore {
			appb, _ = DiskUsage(node.AppDBDir(n.Home))
		}
		nr := NodeResult{Name: n.Name, HomeBytes: home, AppBytes: appb,
			HomeBytesPerEvent: ratio(float64(home), float64(s.mr.TotalEvents)), AppBytesPerEvent: ratio(float64(appb), float64(s.mr.TotalEvents))}
		for _, st := range s.mr.Steps {
			if i < len(st.Nodes) {
				nr.PeakRSSBytes = max(nr.PeakRSSBytes, st.Nodes[i].PeakRSSBytes)
			}
		}
		if i < len(s.mr.Max.Nodes) {
			nr.CPUMicrosPerEvent = ratio(s.mr.Max.Nodes[i].CPUSeconds*1e6, s.mr.Max.CommittedEventsPerSec*r.cfg.Step.Seconds())
		}
		s.mr.Nodes = append(s.mr.Nodes, nr)
	}
	if !r.cfg.KeepNetworks {
		os.RemoveAll(s.dir)
	}
}

func slicesClone(s []uint64) []uint64 { return append([]uint64(nil), s...) }

func coresString(us []NodeUsage) string {
	parts := make([]string, len(us))
	for i, u := range us {
		parts[i] = fmt.Sprintf("%.2f", u.Cores)
	}
	return strings.Join(parts, "/")
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
