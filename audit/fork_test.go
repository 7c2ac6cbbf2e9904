// SPDX-License-Identifier: Apache-2.0

package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/types"
	dto "github.com/prometheus/client_model/go"

	"github.com/traceledger/traceledger/proof/light"
	"github.com/traceledger/traceledger/proof/prooftest"
)

const fakeChain = "audit-fork-test"

var fakeStart = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// fakeSource serves a prooftest chain, with some heights replaced, and no
// application (its queries fail).
type fakeSource struct {
	name     string
	chain    *prooftest.Chain
	latest   int64
	override map[int64]*types.LightBlock
}

func (f *fakeSource) block(h int64) (*types.LightBlock, error) {
	if h < 1 || h > f.latest {
		return nil, fmt.Errorf("%s: no block %d", f.name, h)
	}
	if lb, ok := f.override[h]; ok {
		return lb, nil
	}
	return f.chain.At(h), nil
}

func (f *fakeSource) Name() string                          { return f.name }
func (f *fakeSource) Latest(context.Context) (int64, error) { return f.latest, nil }
func (f *fakeSource) HeaderHashes(_ context.Context, min, max int64) (map[int64][]byte, error) {
	out := map[int64][]byte{}
	for h := min; h <= max; h++ {
		lb, err := f.block(h)
		if err != nil {
			return nil, err
		}
		out[h] = lb.Hash()
	}
	return out, nil
}
func (f *fakeSource) SignedHeader(_ context.Context, h int64) (*types.SignedHeader, error) {
	lb, err := f.block(h)
	if err != nil {
		return nil, err
	}
	return lb.SignedHeader, nil
}
func (f *fakeSource) Validators(_ context.Context, h int64) (*types.ValidatorSet, error) {
	lb, err := f.block(h)
	if err != nil {
		return nil, err
	}
	return lb.ValidatorSet, nil
}
func (f *fakeSource) Query(context.Context, string, []byte, int64) (*abci.ResponseQuery, error) {
	return nil, fmt.Errorf("%s: no application behind this fake", f.name)
}

func fakeChainOf(vals []prooftest.Validator, n int64) *prooftest.Chain {
	c := prooftest.NewChain(fakeChain, fakeStart)
	for h := int64(1); h <= n; h++ {
		app := bytes.Repeat([]byte{byte(h)}, 32)
		c.Append(vals, nil, app, nil)
	}
	return c
}

func genesisOf(vals []prooftest.Validator) *types.GenesisDoc {
	doc := &types.GenesisDoc{ChainID: fakeChain, InitialHeight: 1}
	for _, v := range vals {
		doc.Validators = append(doc.Validators, types.GenesisValidator{PubKey: v.Key.PubKey(), Power: v.Power})
	}
	return doc
}

func trustOf(t *testing.T, vals []prooftest.Validator) light.TrustRoot {
	t.Helper()
	root, err := light.GenesisTrustRoot(genesisOf(vals))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func alertsOf(rep *PassReport, kind string) []Alert {
	var out []Alert
	for _, a := range rep.Alerts {
		if a.Kind == kind {
			out = append(out, a)
		}
	}
	return out
}

// readEvidence decodes an evidence file and its light blocks.
func readEvidence(t *testing.T, path string) (*Evidence, []*types.LightBlock) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("evidence file: %v", err)
	}
	var ev Evidence
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	var lbs []*types.LightBlock
	for _, raw := range ev.Headers {
		var lb types.LightBlock
		if err := cmtjson.Unmarshal(raw, &lb); err != nil {
			t.Fatal(err)
		}
		lbs = append(lbs, &lb)
	}
	return &ev, lbs
}

func signerAddrs(lb *types.LightBlock) map[string]bool {
	out := map[string]bool{}
	for _, s := range lb.Commit.Signatures {
		if s.BlockIDFlag == types.BlockIDFlagCommit {
			out[string(s.ValidatorAddress)] = true
		}
	}
	return out
}

// TestForkDisjointKeySets: two nodes serve different headers for height 4,
// one signed by the genesis validators, the other by a disjoint set of keys
// (both forged here). The auditor verifies the first, detects the conflict,
// saves both headers as evidence and reports the second node, whichever of
// the two it asks first.
func TestForkDisjointKeySets(t *testing.T) {
	v1 := prooftest.NewValidators("departments", 4, 10)
	v2 := prooftest.NewValidators("impostors", 4, 10)
	for _, primaryIsForger := range []bool{false, true} {
		t.Run(fmt.Sprintf("forger asked first=%v", primaryIsForger), func(t *testing.T) {
			c := fakeChainOf(v1, 6)
			forged := c.Forge(4, v2, bytes.Repeat([]byte{0xee}, 32), v2)
			honest := &fakeSource{name: "http://agri", chain: c, latest: 6}
			forger := &fakeSource{name: "http://rogue", chain: c, latest: 6, override: map[int64]*types.LightBlock{4: forged}}
			if primaryIsForger {
				forger.latest = 7
				c.Append(v1, nil, bytes.Repeat([]byte{7}, 32), nil)
			}
			dir := t.TempDir()
			var alerts bytes.Buffer
			m := NewMetrics()
			a, err := New(Config{Trust: trustOf(t, v1), StatePath: filepath.Join(dir, "audit.json"), Alerts: &alerts, Metrics: m}, []Source{honest, forger})
			if err != nil {
				t.Fatal(err)
			}
			rep, err := a.Pass(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if rep.To < 6 {
				t.Fatalf("verified headers only to %d", rep.To)
			}
			got := alertsOf(rep, AlertForgedHeader)
			if len(got) != 1 || got[0].Node != "http://rogue" || got[0].Height != 4 || got[0].Evidence == "" {
				t.Fatalf("forged-header alerts: %+v (all: %+v)", got, rep.Alerts)
			}
			for _, al := range rep.Alerts {
				if al.Node == "http://agri" && al.Kind != AlertUnreachable {
					t.Fatalf("the honest node was reported: %+v", al)
				}
			}
			ev, lbs := readEvidence(t, got[0].Evidence)
			if len(lbs) != 2 || lbs[0].Height != 4 || lbs[1].Height != 4 || bytes.Equal(lbs[0].Hash(), lbs[1].Hash()) {
				t.Fatalf("evidence does not hold two headers for height 4: %+v", ev)
			}
			s0, s1 := signerAddrs(lbs[0]), signerAddrs(lbs[1])
			for addr := range s1 {
				if s0[addr] {
					t.Fatal("the two saved headers share a signer; the test forged disjoint sets")
				}
			}
			if !bytes.Equal(lbs[0].Hash(), c.At(4).Hash()) || !bytes.Equal(lbs[1].Hash(), forged.Hash()) {
				t.Fatal("evidence headers are not the verified and the forged one")
			}
			if err := light.VerifyStep(fakeChain, c.At(3), lbs[1], light.HeaderOptions{}); err == nil {
				t.Fatal("the forged header verifies")
			}
			if len(a.State().Forks) != 1 || a.State().Forks[0] != 4 {
				t.Fatalf("state forks: %v", a.State().Forks)
			}
			// The alert line was written.
			if !strings.Contains(alerts.String(), `"kind":"forged_header"`) {
				t.Fatalf("alert lines: %s", alerts.String())
			}
			if v := counterValue(t, m, "traceledger_audit_alerts_total", map[string]string{"kind": AlertForgedHeader, "node": "http://rogue"}); v != 1 {
				t.Fatalf("alerts_total for the forger = %v", v)
			}
		})
	}
}

// TestForkEquivocation: the genesis validators sign two different headers
// for one height; both verify, so the chain forked. Both are saved.
func TestForkEquivocation(t *testing.T) {
	v1 := prooftest.NewValidators("departments", 4, 10)
	c := fakeChainOf(v1, 6)
	other := c.Forge(4, v1, bytes.Repeat([]byte{0xee}, 32), v1[:3])
	a, err := New(Config{Trust: trustOf(t, v1), StatePath: filepath.Join(t.TempDir(), "audit.json")}, []Source{
		&fakeSource{name: "a", chain: c, latest: 6},
		&fakeSource{name: "b", chain: c, latest: 6, override: map[int64]*types.LightBlock{4: other}},
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := a.Pass(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	forks := alertsOf(rep, AlertFork)
	if len(forks) != 1 || forks[0].Height != 4 || forks[0].Node != "b" {
		t.Fatalf("fork alerts: %+v (all %+v)", forks, rep.Alerts)
	}
	_, lbs := readEvidence(t, forks[0].Evidence)
	for i, lb := range lbs {
		if err := light.VerifyStep(fakeChain, c.At(3), lb, light.HeaderOptions{}); err != nil {
			t.Fatalf("saved header %d does not verify: %v", i, err)
		}
	}
}

// TestFollowAcrossValidatorSetChange: the auditor follows a hand-over to a
// disjoint validator set, resumes from its state file, and stops (with an
// alert) at a header no node can prove.
func TestFollowAcrossValidatorSetChange(t *testing.T) {
	v1 := prooftest.NewValidators("departments", 4, 10)
	v2 := prooftest.NewValidators("successors", 4, 10)
	c := prooftest.NewChain(fakeChain, fakeStart)
	for h := int64(1); h <= 8; h++ {
		vals, next := v1, v1
		if h == 3 {
			next = v2
		} else if h > 3 {
			vals, next = v2, v2
		}
		c.Append(vals, next, bytes.Repeat([]byte{byte(h)}, 32), nil)
	}
	src := &fakeSource{name: "a", chain: c, latest: 5}
	state := filepath.Join(t.TempDir(), "audit.json")
	cfg := Config{Trust: trustOf(t, v1), StatePath: state, MaxLag: 100}
	a, err := New(cfg, []Source{src})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := a.Pass(context.Background())
	if err != nil || rep.To != 5 || rep.Headers != 4 {
		t.Fatalf("first pass: %v, headers %d..%d (%d)", err, rep.From, rep.To, rep.Headers)
	}
	// Resume in a new auditor from the state file.
	src.latest = 8
	b, err := New(cfg, []Source{src})
	if err != nil {
		t.Fatal(err)
	}
	rep, err = b.Pass(context.Background())
	if err != nil || rep.From != 6 || rep.To != 8 {
		t.Fatalf("second pass: %v, headers %d..%d", err, rep.From, rep.To)
	}
	// A ninth header signed by the old set cannot be trusted.
	c.Append(v1, nil, bytes.Repeat([]byte{9}, 32), nil)
	src.latest = 9
	rep, err = b.Pass(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.To != 8 || len(alertsOf(rep, AlertNoValidHeader)) != 1 {
		t.Fatalf("third pass: to %d, alerts %+v", rep.To, rep.Alerts)
	}
}

func TestLaggingNode(t *testing.T) {
	v1 := prooftest.NewValidators("departments", 4, 10)
	c := fakeChainOf(v1, 12)
	a, err := New(Config{Trust: trustOf(t, v1), MaxLag: 3}, []Source{
		&fakeSource{name: "a", chain: c, latest: 12},
		&fakeSource{name: "slow", chain: c, latest: 7},
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := a.Pass(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	lag := alertsOf(rep, AlertLagging)
	if len(lag) != 1 || lag[0].Node != "slow" || lag[0].Height != 7 {
		t.Fatalf("lagging alerts: %+v", lag)
	}
}

func counterValue(t *testing.T, m *Metrics, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, mt := range mf.GetMetric() {
			for _, lp := range mt.GetLabel() {
				if want, ok := labels[lp.GetName()]; ok && want != lp.GetValue() {
					continue next
				}
			}
			return metricValue(mt)
		}
	}
	return -1
}

func metricValue(mt *dto.Metric) float64 {
	switch {
	case mt.Counter != nil:
		return mt.Counter.GetValue()
	case mt.Gauge != nil:
		return mt.Gauge.GetValue()
	}
	return -1
}

// TestOngoingAlertsAndMetrics: a node that stays lagging is reported every
// pass, marked ongoing after the first; the Prometheus endpoint serves the
// auditor's view (verified height, lag, health, passes, catch-up rate).
func TestOngoingAlertsAndMetrics(t *testing.T) {
	v1 := prooftest.NewValidators("departments", 4, 10)
	c := fakeChainOf(v1, 12)
	m := NewMetrics()
	a, err := New(Config{Trust: trustOf(t, v1), MaxLag: 3, StatePath: filepath.Join(t.TempDir(), "audit.json"), Metrics: m}, []Source{
		&fakeSource{name: "a", chain: c, latest: 12},
		&fakeSource{name: "slow", chain: c, latest: 7},
	})
	if err != nil {
		t.Fatal(err)
	}
	for pass := 0; pass < 2; pass++ {
		rep, err := a.Pass(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		lag := alertsOf(rep, AlertLagging)
		if len(lag) != 1 || (pass == 1) != strings.Contains(lag[0].Message, "ongoing") {
			t.Fatalf("pass %d: lagging alerts %+v", pass, lag)
		}
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{"traceledger_audit_verified_height 12", `traceledger_audit_node_lag_blocks{node="slow"} 5`,
		`traceledger_audit_node_healthy{node="slow"} 0`, "traceledger_audit_passes_total 2", "traceledger_audit_catchup_blocks_per_second"} {
		if !strings.Contains(body, want) {
			t.Fatalf("metrics lack %q:\n%s", want, body)
		}
	}
}
