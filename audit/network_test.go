// SPDX-License-Identifier: Apache-2.0

package audit_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	"github.com/dgraph-io/badger/v4"

	"github.com/traceledger/traceledger/audit"
	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/client/keyring"
	"github.com/traceledger/traceledger/node"
	"github.com/traceledger/traceledger/proof/bundle"
	"github.com/traceledger/traceledger/proof/light"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
	"github.com/traceledger/traceledger/testnet"
)

// These tests run several departments' nodes as processes of the
// traceledger binary (built once per test run) on loopback addresses, with
// testnet's runner; -short skips them.

var fastKDF = []keyring.Option{keyring.WithScrypt(1<<10, 8, 1)}

var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

// traceledgerBinary builds the traceledger binary once per test run.
func traceledgerBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "traceledger-audit-bin-"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "traceledger")
		cmd := exec.Command("go", "build", "-trimpath", "-o", binPath, "../cmd/traceledger")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build ./cmd/traceledger: %w\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// inProcess is a network of nodes run as processes.
type inProcess struct {
	t  *testing.T
	nw *testnet.Network
	r  *testnet.Runner
}

func startNetwork(t *testing.T, departments []string, enterprises ...string) *inProcess {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a network of in-process nodes; skipped with -short")
	}
	nw, err := testnet.Init(filepath.Join(t.TempDir(), "net"), testnet.Options{
		ChainID: "audit-net-test", Departments: departments, Hosts: testnet.HostsLoopback,
		TimeoutCommit: 200 * time.Millisecond, Enterprises: enterprises, KeyringOptions: fastKDF,
		Configure: func(_ string, c *cfg.Config) {
			c.Consensus.TimeoutPropose = time.Second
			c.Consensus.TimeoutPrevote = 300 * time.Millisecond
			c.Consensus.TimeoutPrecommit = 300 * time.Millisecond
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := &inProcess{t: t, nw: nw, r: testnet.NewRunner(nw, traceledgerBinary(t))}
	if err := p.r.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		p.r.Stop(ctx)
		if t.Failed() {
			for _, n := range p.nw.Nodes {
				if b, err := os.ReadFile(p.r.LogPath(n.Name)); err == nil {
					if len(b) > 3000 {
						b = b[len(b)-3000:]
					}
					t.Logf("log of %s (tail):\n%s", n.Name, b)
				}
			}
		}
	})
	return p
}

func (p *inProcess) info(name string) testnet.NodeInfo {
	x, ok := p.nw.Node(name)
	if !ok {
		p.t.Fatalf("no node %s", name)
	}
	return x
}

func (p *inProcess) start(name string) {
	p.t.Helper()
	if err := p.r.Start(name); err != nil {
		p.t.Fatal(err)
	}
}

func (p *inProcess) stop(name string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.r.Stop(ctx, name); err != nil {
		p.t.Fatal(err)
	}
}

func (p *inProcess) urls() []string {
	var out []string
	for _, n := range p.nw.Nodes {
		out = append(out, n.RPCURL)
	}
	return out
}

func (p *inProcess) client(name string) *client.Client {
	p.t.Helper()
	c, err := client.New(p.info(name).RPCURL, p.nw.Genesis)
	if err != nil {
		p.t.Fatal(err)
	}
	return c
}

// recordLot submits n events of lot signed by enterprise.
func (p *inProcess) recordLot(ctx context.Context, via, enterprise, lot string, n int) {
	p.t.Helper()
	key, err := p.nw.EnterpriseKey(enterprise, fastKDF...)
	if err != nil {
		p.t.Fatal(err)
	}
	c := p.client(via)
	if err := c.WaitForHeight(ctx, 2); err != nil {
		p.t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		sum := sha256.Sum256(fmt.Appendf(nil, "%s %d", lot, i))
		msg := &tlv1.Msg{Sum: &tlv1.Msg_RecordEvent{RecordEvent: &tlv1.RecordEvent{Subject: lot, EventType: fmt.Sprintf("step%d", i),
			EventTimeMs: time.Now().Add(-time.Hour).UnixMilli(), PayloadSha256: sum[:], Note: "original"}}}
		if _, err := c.Submit(ctx, client.Signer{Key: key}, msg); err != nil {
			p.t.Fatal(err)
		}
	}
}

func (p *inProcess) auditor(t *testing.T, state string, ids ...string) *audit.Auditor {
	t.Helper()
	root, err := light.GenesisTrustRoot(p.nw.Genesis)
	if err != nil {
		t.Fatal(err)
	}
	var sources []audit.Source
	for _, u := range p.urls() {
		s, err := audit.NewRPCSource(u)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, s)
	}
	a, err := audit.New(audit.Config{Trust: root, StatePath: state, Identifiers: ids, SweepRecords: 10000, MaxLag: 50, Metrics: audit.NewMetrics()}, sources)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (p *inProcess) waitHeight(ctx context.Context, h int64) {
	p.t.Helper()
	if _, err := testnet.WaitHeight(ctx, p.nw.Nodes, h); err != nil {
		p.t.Fatal(err)
	}
}

// tamperRecord edits the record at index in the stopped node's badger
// database: the event's note is changed and the record written over the
// stored one at the last committed version, so every later read sees it.
func tamperRecord(t *testing.T, home string, index uint64) {
	t.Helper()
	db, err := badger.OpenManaged(badger.DefaultOptions(node.AppDBDir(home)).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	txn := db.NewTransactionAt(math.MaxUint64, false)
	marker, err := txn.Get([]byte{'c'})
	if err != nil {
		t.Fatal(err)
	}
	version := marker.Version()
	key := binary.BigEndian.AppendUint64([]byte{'r'}, index)
	item, err := txn.Get(key)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := item.ValueCopy(nil)
	txn.Discard()
	if err != nil {
		t.Fatal(err)
	}
	var rec tlv1.Record
	if err := rec.Unmarshal(raw); err != nil {
		t.Fatal(err)
	}
	rec.GetEvent().Note = "edited"
	edited, err := rec.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	wb := db.NewWriteBatchAt(version)
	if err := wb.Set(key, edited); err != nil {
		t.Fatal(err)
	}
	if err := wb.Flush(); err != nil {
		t.Fatal(err)
	}
}

// TestTamperedValidatorIsCaught: one record is edited in one validator's
// badger files while it is stopped. After its restart the chain goes on
// (the others' answers and the app hashes are unaffected), the tampered
// node's answers fail verification, and the auditor reports that node, and
// only it, with evidence.
func TestTamperedValidatorIsCaught(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	p := startNetwork(t, []string{"agri", "livestock", "market", "drug"}, "farm1")
	lot := "urn:epc:class:lgtin:6901234.500012.TAMPER"
	p.recordLot(ctx, "agri", "farm1", lot, 5)
	state := filepath.Join(t.TempDir(), "audit", "audit.json")
	rep, err := p.auditor(t, state, lot).Pass(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Alerts) != 0 || rep.Checkpoint == nil {
		t.Fatalf("honest network: alerts %+v, checkpoint %+v", rep.Alerts, rep.Checkpoint)
	}
	hist, _, err := p.client("agri").History(ctx, lot)
	if err != nil || len(hist.Records) != 5 {
		t.Fatalf("history: %v", err)
	}
	target := hist.Records[2].Index

	p.stop("market")
	tamperRecord(t, p.info("market").Home, target)
	p.start("market")
	cur, _, _ := p.client("agri").Status(ctx)
	p.waitHeight(ctx, cur.Roots.Height+3)

	// The tampered node's answers fail; the others' verify.
	for _, name := range []string{"agri", "livestock", "market", "drug"} {
		c := p.client(name)
		_, _, herr := c.History(ctx, lot)
		_, _, rerr := c.Record(ctx, target)
		if name == "market" {
			if !errors.Is(herr, client.ErrNotVerified) || !errors.Is(rerr, client.ErrNotVerified) {
				t.Fatalf("tampered node: history %v, record %v", herr, rerr)
			}
			continue
		}
		if herr != nil || rerr != nil {
			t.Fatalf("%s: history %v, record %v", name, herr, rerr)
		}
	}
	// The auditor reports market, with the evidence, and nobody else.
	a := p.auditor(t, state, lot)
	rep, err = a.Pass(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var found *audit.Alert
	for i, al := range rep.Alerts {
		if al.Node != p.info("market").RPCURL {
			t.Fatalf("an honest node was reported: %+v", al)
		}
		if al.Kind == audit.AlertBadAnswer {
			found = &rep.Alerts[i]
		}
	}
	if found == nil || found.Evidence == "" {
		t.Fatalf("no bad-answer alert for the tampered node: %+v", rep.Alerts)
	}
	raw, err := os.ReadFile(found.Evidence)
	if err != nil {
		t.Fatal(err)
	}
	var ev audit.Evidence
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	tampered := false
	for _, q := range ev.Queries {
		if q.Node != p.info("market").RPCURL || q.Error == "" {
			t.Fatalf("evidence query: %+v", q)
		}
		if bytes.Contains(q.Value, []byte("edited")) {
			tampered = true // the edited record is in the evidence, as the node sent it
		}
	}
	if !tampered {
		t.Fatal("the evidence does not hold the tampered answer")
	}
	for _, n := range rep.Nodes {
		if n.Healthy == (n.Name == p.info("market").RPCURL) {
			t.Fatalf("node health: %+v", rep.Nodes)
		}
	}
	// The chain is unaffected: it advances and all nodes agree.
	st, _, err := p.client("drug").Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.waitHeight(ctx, st.Roots.Height+2)
	var infos []testnet.NodeInfo
	for _, n := range p.nw.Nodes {
		infos = append(infos, n)
	}
	if _, err := testnet.Agreement(ctx, infos, st.Roots.Height+1); err != nil {
		t.Fatalf("nodes disagree after the tamper: %v", err)
	}
}

// TestBundleAcrossValidatorSetChange: a bundle exported before the
// validator set changes (a fifth department admitted by governance) still
// verifies with the genesis trust root after it, and one exported after it
// verifies from genesis through the change. The auditor follows the change.
func TestBundleAcrossValidatorSetChange(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	p := startNetwork(t, []string{"agri", "livestock", "market", "drug"}, "farm1")
	lot := "urn:epc:class:lgtin:6901234.500012.VALSET"
	p.recordLot(ctx, "agri", "farm1", lot, 3)
	root, err := light.GenesisTrustRoot(p.nw.Genesis)
	if err != nil {
		t.Fatal(err)
	}
	before, err := p.client("agri").ExportBundle(ctx, client.ExportOptions{Identifier: lot})
	if err != nil {
		t.Fatal(err)
	}
	var saved bytes.Buffer
	if err := before.Encode(&saved); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(t.TempDir(), "audit.json")
	if rep, err := p.auditor(t, state, lot).Pass(ctx); err != nil || len(rep.Alerts) != 0 {
		t.Fatalf("audit before the change: %v %+v", err, rep.Alerts)
	}

	info, err := testnet.AddNode(p.nw, "commerce", fastKDF...)
	if err != nil {
		t.Fatal(err)
	}
	p.start(info.Name)
	if _, err := testnet.Promote(ctx, p.nw, info.Name, 10, p.info("agri").RPCURL, fastKDF...); err != nil {
		t.Fatal(err)
	}
	p.recordLot(ctx, "agri", "farm1", lot, 2)

	// The old bundle, verified after the change with the genesis root.
	old, err := bundle.Decode(&saved)
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := bundle.Verify(old, root, light.HeaderOptions{Now: time.Now()}); err != nil || rep.Count != 3 {
		t.Fatalf("bundle from before the change: %v", err)
	}
	// A new bundle crosses the change from genesis.
	after, err := p.client("agri").ExportBundle(ctx, client.ExportOptions{Identifier: lot})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := bundle.Verify(after, root, light.HeaderOptions{Now: time.Now()})
	if err != nil || rep.Count != 5 {
		t.Fatalf("bundle from after the change: %v", err)
	}
	blocks, err := after.DecodeLightBlocks()
	if err != nil {
		t.Fatal(err)
	}
	if first, last := blocks[0].ValidatorSet.Size(), blocks[len(blocks)-1].ValidatorSet.Size(); first != 4 || last != 5 {
		t.Fatalf("validator sets along the bundle's path: %d then %d, want 4 then 5", first, last)
	}
	// The auditor follows the change with its saved state.
	a := p.auditor(t, state, lot)
	arep, err := a.Pass(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, al := range arep.Alerts {
		if al.Kind != audit.AlertLagging { // the new node may still be catching up
			t.Fatalf("audit after the change: %+v", al)
		}
	}
	if arep.Headers == 0 {
		t.Fatal("the auditor verified no header across the change")
	}
}
