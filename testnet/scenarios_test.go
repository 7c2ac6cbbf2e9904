// SPDX-License-Identifier: Apache-2.0

package testnet

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"regexp"
	"testing"
	"time"
)

// The fault scenarios run against any cluster: processes (everywhere) and
// containers (where Docker is usable). Each is bounded in time by its
// context; each logs the recovery times it measured as "RECOVERY ..." lines.

// The four departments of every fault-test network, in genesis order.
const (
	vAgri, vLivestock, vMarket, vDrug = "agri", "livestock", "market", "drug"
)

func pick(c cluster, names ...string) []NodeInfo {
	var out []NodeInfo
	for _, want := range names {
		for _, n := range c.nodes() {
			if n.Name == want {
				out = append(out, n)
			}
		}
	}
	return out
}

func except(c cluster, names ...string) []NodeInfo {
	var out []NodeInfo
next:
	for _, n := range c.nodes() {
		for _, x := range names {
			if n.Name == x {
				continue next
			}
		}
		out = append(out, n)
	}
	return out
}

// heights returns the height of each node (-1 if it does not answer).
func heights(ctx context.Context, nodes []NodeInfo) []int64 {
	out := make([]int64, len(nodes))
	for i, n := range nodes {
		qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		h, err := latestHeight(qctx, n.RPCURL)
		cancel()
		if err != nil {
			h = -1
		}
		out[i] = h
	}
	return out
}

func maxOf(hs []int64) int64 {
	m := int64(-1)
	for _, h := range hs {
		m = max(m, h)
	}
	return m
}

func minOf(hs []int64) int64 {
	m := hs[0]
	for _, h := range hs {
		m = min(m, h)
	}
	return m
}

// recovery logs a measured recovery time in a greppable form.
func recovery(t *testing.T, c cluster, what string, d time.Duration, detail string) {
	t.Helper()
	t.Logf("RECOVERY [%s] %-58s %7s  (%s)", c.kind(), what, d.Round(10*time.Millisecond), detail)
}

// waitAdvance waits until every node has passed the highest height among
// them now by `by` blocks, and returns how long that took.
func waitAdvance(ctx context.Context, t *testing.T, nodes []NodeInfo, by int64) time.Duration {
	t.Helper()
	start := time.Now()
	target := maxOf(heights(ctx, nodes)) + by
	if _, err := WaitHeight(ctx, nodes, target); err != nil {
		t.Fatalf("no progress: %v", err)
	}
	return time.Since(start)
}

// waitCaughtUp waits until node n reaches the height the refs are at now,
// and returns how long that took and the height.
func waitCaughtUp(ctx context.Context, t *testing.T, n NodeInfo, refs []NodeInfo) (time.Duration, int64) {
	t.Helper()
	start := time.Now()
	target := maxOf(heights(ctx, refs))
	if _, err := WaitHeight(ctx, []NodeInfo{n}, target); err != nil {
		t.Fatalf("%s did not catch up to height %d: %v", n.Name, target, err)
	}
	return time.Since(start), target
}

// checkAgreement checks that the nodes hold the same blocks and app hash at
// their common height and that each application's own last app hash
// matches the network's header.
func checkAgreement(ctx context.Context, t *testing.T, nodes []NodeInfo) []byte {
	t.Helper()
	h := minOf(heights(ctx, nodes)) - 1
	if h < 1 {
		t.Fatalf("nodes too low to compare: %v", heights(ctx, nodes))
	}
	hash, err := Agreement(ctx, nodes, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := AppAgreement(ctx, nodes, nodes[0]); err != nil {
		t.Fatal(err)
	}
	return hash
}

var panicRE = regexp.MustCompile(`(?m)^panic:|CONSENSUS FAILURE|fatal error:|wrong Block.Header.AppHash`)

// checkNoPanic fails if a node's log shows a panic or a consensus failure
// while it ran. A panic after the node was asked to stop ("stopping..."
// printed, no "node running" since) is reported but not failed: CometBFT
// v0.39's consensus reactor can read the block store after the node closed
// it (queryMaj23Routine sleeps, then calls LoadCommit without checking that
// it still runs), an upstream shutdown race that does not touch the data.
func checkNoPanic(t *testing.T, c cluster, name string) {
	t.Helper()
	b, err := c.logs(name)
	if err != nil {
		t.Fatalf("log of %s: %v", name, err)
	}
	for _, loc := range panicRE.FindAllIndex(b, -1) {
		from := max(0, loc[0]-500)
		to := min(len(b), loc[1]+1500)
		before := b[:loc[0]]
		if bytes.LastIndex(before, []byte("stopping...")) > bytes.LastIndex(before, []byte("node running, RPC")) {
			t.Logf("%s panicked while shutting down (upstream CometBFT shutdown race, not a replay failure):\n%s", name, b[loc[0]:to])
			continue
		}
		t.Fatalf("%s's log shows a failure:\n%s", name, b[from:to])
	}
}

// traffic runs a Traffic against the cluster until the returned stop
// function is called; stop returns what the workers saw.
func traffic(t *testing.T, c cluster, msgsPerTx int, pause time.Duration, workers ...string) func() *TrafficResult {
	t.Helper()
	keys := map[string]ed25519.PrivateKey{}
	nw := c.network()
	for _, w := range workers {
		k, err := nw.EnterpriseKey(w, fastKDF...)
		if err != nil {
			t.Fatal(err)
		}
		keys[w] = k
	}
	var urls []string
	for _, n := range c.nodes() {
		urls = append(urls, n.RPCURL)
	}
	tr := &Traffic{Genesis: c.genesis(), URLs: urls, Keys: keys, MsgsPerTx: msgsPerTx, Pause: pause, TxTimeout: 5 * time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan *TrafficResult, 1)
	go func() { done <- tr.Run(ctx) }()
	var res *TrafficResult
	return func() *TrafficResult {
		if res == nil {
			cancel()
			res = <-done
		}
		return res
	}
}

// waitCommitted waits until the traffic has been running for at least d
// and the cluster has advanced a few blocks, so that load is in flight.
func settle(ctx context.Context, t *testing.T, c cluster, d time.Duration) {
	t.Helper()
	select {
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	case <-time.After(d):
	}
}

// verifyTraffic stops the traffic and checks the ledger against it on node
// at.
func verifyTraffic(ctx context.Context, t *testing.T, c cluster, stop func() *TrafficResult, at NodeInfo) {
	t.Helper()
	res := stop()
	if len(res.Committed) == 0 {
		t.Fatalf("no transaction was confirmed (unknown %d, rejected %d)", len(res.Unknown), len(res.Rejected))
	}
	// Let the node reach the height of the last confirmed transaction.
	var last int64
	for _, s := range res.Committed {
		last = max(last, s.Height)
	}
	if _, err := WaitHeight(ctx, []NodeInfo{at}, last+1); err != nil {
		t.Fatal(err)
	}
	n, err := VerifyTraffic(ctx, c.genesis(), at.RPCURL, res)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("traffic: %d transactions confirmed (%d events), %d unknown, %d rejected; %d records verified on %s, each confirmed event exactly once",
		len(res.Committed), res.Events(), len(res.Unknown), len(res.Rejected), n, at.Name)
}

// scenarioKillOneUnderLoad: kill -9 one of four validators while
// transactions flow; the other three keep committing; restarted, it catches
// up to the same app hash.
func scenarioKillOneUnderLoad(ctx context.Context, t *testing.T, c cluster) {
	stop := traffic(t, c, 1, 20*time.Millisecond, "load1", "load2")
	defer stop()
	settle(ctx, t, c, 2*time.Second)
	if err := c.kill(ctx, vMarket); err != nil {
		t.Fatal(err)
	}
	killedAt := time.Now()
	rest := except(c, vMarket)
	d := waitAdvance(ctx, t, rest, 3)
	recovery(t, c, "kill 1 of 4: three survivors commit 3 more blocks", d, "time after the kill")
	settle(ctx, t, c, 2*time.Second)
	if err := c.start(ctx, vMarket); err != nil {
		t.Fatal(err)
	}
	d, h := waitCaughtUp(ctx, t, pick(c, vMarket)[0], rest)
	recovery(t, c, "kill 1 of 4: restarted validator caught up", d, fmt.Sprintf("to height %d, down %s", h, time.Since(killedAt).Round(time.Second)))
	verifyTraffic(ctx, t, c, stop, pick(c, vMarket)[0])
	hash := checkAgreement(ctx, t, c.nodes())
	t.Logf("all nodes agree, app hash %X", hash)
	checkNoPanic(t, c, vMarket)
}

// scenarioStopTwo: with two of four validators stopped no block can
// commit (2 of 4 is not more than 2/3) and the two left do not fork;
// bringing one back restores progress.
func scenarioStopTwo(ctx context.Context, t *testing.T, c cluster) {
	if err := c.stop(ctx, vMarket, vDrug); err != nil {
		t.Fatal(err)
	}
	rest := pick(c, vAgri, vLivestock)
	h0 := maxOf(heights(ctx, rest))
	settle(ctx, t, c, 5*time.Second)
	h1 := heights(ctx, rest)
	// A block already decided when the validators stopped may still land.
	if maxOf(h1) > h0+1 {
		t.Fatalf("with 2 of 4 validators the network went from height %d to %v", h0, h1)
	}
	t.Logf("2 of 4 stopped: height stayed at %d..%d for 5 s", h0, maxOf(h1))
	if _, err := Agreement(ctx, rest, minOf(h1)-1); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := c.start(ctx, vMarket); err != nil {
		t.Fatal(err)
	}
	three := pick(c, vAgri, vLivestock, vMarket)
	if _, err := WaitHeight(ctx, three, maxOf(h1)+2); err != nil {
		t.Fatalf("no progress after bringing one back: %v", err)
	}
	recovery(t, c, "stop 2 of 4, restart 1: progress resumes (+2 blocks)", time.Since(start), "time after the restart")
	checkAgreement(ctx, t, three)
	if err := c.start(ctx, vDrug); err != nil {
		t.Fatal(err)
	}
	d, h := waitCaughtUp(ctx, t, pick(c, vDrug)[0], three)
	recovery(t, c, "stop 2 of 4: the second one caught up", d, fmt.Sprintf("to height %d", h))
	checkAgreement(ctx, t, c.nodes())
}

// scenarioKill9HeavyWrites: kill -9 a validator repeatedly while large
// transactions (hundreds of events each) are committed; each restart
// replays to the same app hash as its peers, without a panic.
func scenarioKill9HeavyWrites(ctx context.Context, t *testing.T, c cluster, rounds int) {
	stop := traffic(t, c, 200, 0, "load1", "load2", "load3")
	defer stop()
	victim := vLivestock
	for i := 0; i < rounds; i++ {
		settle(ctx, t, c, 3*time.Second)
		if err := c.kill(ctx, victim); err != nil {
			t.Fatal(err)
		}
		// The others go on, so that the victim must catch up as well as
		// recover its own last block.
		waitAdvance(ctx, t, except(c, victim), 2)
		if err := c.start(ctx, victim); err != nil {
			t.Fatal(err)
		}
		d, h := waitCaughtUp(ctx, t, pick(c, victim)[0], except(c, victim))
		recovery(t, c, fmt.Sprintf("kill -9 under heavy writes (round %d): caught up", i+1), d, fmt.Sprintf("to height %d", h))
	}
	verifyTraffic(ctx, t, c, stop, pick(c, victim)[0])
	checkAgreement(ctx, t, c.nodes())
	checkNoPanic(t, c, victim)
}

// scenarioRollingRestart: restart the four validators one after another
// while transactions flow; afterwards every transaction a client saw
// committed is in the ledger, none twice.
func scenarioRollingRestart(ctx context.Context, t *testing.T, c cluster) {
	stop := traffic(t, c, 1, 10*time.Millisecond, "load1", "load2", "load3")
	defer stop()
	settle(ctx, t, c, time.Second)
	total := time.Now()
	for _, v := range []string{vAgri, vLivestock, vMarket, vDrug} {
		if err := c.stop(ctx, v); err != nil {
			t.Fatal(err)
		}
		// The other three go on without it, so it falls behind.
		waitAdvance(ctx, t, except(c, v), 2)
		if err := c.start(ctx, v); err != nil {
			t.Fatal(err)
		}
		d, h := waitCaughtUp(ctx, t, pick(c, v)[0], except(c, v))
		recovery(t, c, "rolling restart: "+v+" back and caught up", d, fmt.Sprintf("to height %d", h))
		waitAdvance(ctx, t, c.nodes(), 2)
	}
	recovery(t, c, "rolling restart of all four", time.Since(total), "total")
	verifyTraffic(ctx, t, c, stop, pick(c, vAgri)[0])
	checkAgreement(ctx, t, c.nodes())
	for _, v := range []string{vAgri, vLivestock, vMarket, vDrug} {
		checkNoPanic(t, c, v)
	}
}

// scenarioDeletedData: a validator loses its data directory; started
// again, it fetches and re-executes the chain from its peers.
func scenarioDeletedData(ctx context.Context, t *testing.T, c cluster) {
	stop := traffic(t, c, 20, 50*time.Millisecond, "load1")
	settle(ctx, t, c, 3*time.Second)
	verifyTraffic(ctx, t, c, stop, pick(c, vAgri)[0])
	if err := c.stop(ctx, vDrug); err != nil {
		t.Fatal(err)
	}
	if err := c.resetData(ctx, vDrug); err != nil {
		t.Fatal(err)
	}
	if err := c.start(ctx, vDrug); err != nil {
		t.Fatal(err)
	}
	d, h := waitCaughtUp(ctx, t, pick(c, vDrug)[0], except(c, vDrug))
	recovery(t, c, "deleted data: validator rejoined from its peers", d, fmt.Sprintf("re-executed %d blocks", h))
	checkAgreement(ctx, t, c.nodes())
	// The rebuilt ledger answers with every confirmed event, proven.
	n, err := VerifyTraffic(ctx, c.genesis(), pick(c, vDrug)[0].RPCURL, stop())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the rebuilt node proves all %d records of the traffic", n)
	checkNoPanic(t, c, vDrug)
}
