// SPDX-License-Identifier: Apache-2.0

package testnet

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cometbft/cometbft/rpc/client"

	tlclient "github.com/traceledger/traceledger/client"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// TestLoopbackStateSync: four validators take a snapshot every 10 heights
// while thousands of events are recorded in batches; a new non-validator
// joins by state sync, says so in its status (and holds no block before
// the snapshot), answers history and record queries with the same proofs,
// byte for byte, as a validator that replayed the chain, and then follows
// new blocks and transactions with the same app hash and answers.
func TestLoopbackStateSync(t *testing.T) {
	ctx := loopbackCtx(t, 4*time.Minute)
	c := newProcessCluster(t, 0, "load1", "load2")
	stop := traffic(t, c, 100, 10*time.Millisecond, "load1", "load2")
	settle(ctx, t, c, 8*time.Second)
	res := stop()
	if res.Events() < 1000 {
		t.Fatalf("only %d events confirmed; the test wants thousands", res.Events())
	}
	t.Logf("%d events in %d confirmed transactions before the node joins", res.Events(), len(res.Committed))
	var last int64
	for _, s := range res.Committed {
		last = max(last, s.Height)
	}
	// A snapshot after the last confirmed event exists once the chain
	// passed the next multiple of the interval (plus the two headers the
	// light client verifies after it).
	snapAt := (last/DefaultSnapshotInterval + 1) * DefaultSnapshotInterval
	if _, err := WaitHeight(ctx, c.nw.Validators(), snapAt+3); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	info, trust, err := AddStateSyncNode(ctx, c.nw, "synced", fastKDF...)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.start(ctx, info.Name); err != nil {
		t.Fatal(err)
	}
	d, h := waitCaughtUp(ctx, t, info, c.nw.Validators())
	recovery(t, c, "state sync: new node restored a snapshot and caught up", time.Since(start), fmt.Sprintf("to height %d (trust height %d, %s after catch-up began)", h, trust, d.Round(time.Millisecond)))
	st := QueryStatus(ctx, info.Name, info.RPCURL)
	if st.StateSyncedFrom < snapAt || st.StateSyncedFrom%DefaultSnapshotInterval != 0 {
		t.Fatalf("status of the synced node: state_synced_from %d, want a snapshot height >= %d", st.StateSyncedFrom, snapAt)
	}
	if st.EarliestHeight <= 1 || st.EarliestHeight > st.StateSyncedFrom+1 {
		t.Fatalf("synced node's earliest block is %d (restored from %d): blocks before the snapshot should not be on it", st.EarliestHeight, st.StateSyncedFrom)
	}
	ref := c.nw.Validators()[0]
	if rs := QueryStatus(ctx, ref.Name, ref.RPCURL); rs.StateSyncedFrom != 0 || rs.EarliestHeight != 1 {
		t.Fatalf("replayed validator says state_synced_from %d, earliest %d", rs.StateSyncedFrom, rs.EarliestHeight)
	}
	t.Logf("synced node restored from height %d, earliest block %d", st.StateSyncedFrom, st.EarliestHeight)

	// The synced node's application may still be behind the blocks: wait
	// until it has the validator's height.
	if _, err := waitAppHeight(ctx, info, QueryStatus(ctx, ref.Name, ref.RPCURL).AppHeight); err != nil {
		t.Fatal(err)
	}
	sameAnswersAt(ctx, t, ref, info, res.Subjects)
	// The synced node holds no block before the snapshot, so a client that
	// roots trust in the genesis fetches headers from a node that has them
	// (docs/SNAPSHOTS.md); the answers above are the replayed node's, byte
	// for byte, proofs included.

	// It follows new blocks and new transactions.
	stop2 := traffic(t, c, 10, 20*time.Millisecond, "load1")
	settle(ctx, t, c, 3*time.Second)
	verifyTraffic(ctx, t, c, stop2, ref)
	waitAdvance(ctx, t, c.nodes(), 2)
	checkAgreement(ctx, t, c.nodes())
	if _, err := waitAppHeight(ctx, info, QueryStatus(ctx, ref.Name, ref.RPCURL).AppHeight); err != nil {
		t.Fatal(err)
	}
	sameAnswersAt(ctx, t, ref, info, res.Subjects)
	checkNoPanic(t, c, info.Name)
}

// sameAnswersAt asks a and b the same queries at one height both serve
// and wants identical answers, proofs included.
func sameAnswersAt(ctx context.Context, t *testing.T, a, b NodeInfo, subjects map[string]string) {
	t.Helper()
	ca, err := rpcClient(a.RPCURL)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := rpcClient(b.RPCURL)
	if err != nil {
		t.Fatal(err)
	}
	type q struct {
		path string
		req  interface{ Marshal() ([]byte, error) }
	}
	var qs []q
	for _, s := range subjects {
		s, err := tlclient.CanonicalSubject(s)
		if err != nil {
			t.Fatal(err)
		}
		qs = append(qs, q{tlv1.PathHistory, &tlv1.HistoryRequest{Subject: s, Limit: 50}}, q{tlv1.PathHistory, &tlv1.HistoryRequest{Subject: s, Offset: 7, Limit: 20}},
			q{tlv1.PathValue, &tlv1.ValueRequest{Key: tlv1.HeadKey(s)}})
	}
	for _, i := range []uint64{0, 1, 100, 1000} {
		qs = append(qs, q{tlv1.PathRecord, &tlv1.RecordRequest{Index: i}})
	}
	qs = append(qs, q{tlv1.PathStatus, nil}, q{tlv1.PathConsistency, &tlv1.ConsistencyRequest{Size1: 500}})
	for attempt := 0; ; attempt++ {
		infoA, err := ca.ABCIInfo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		infoB, err := cb.ABCIInfo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		h := min(infoA.Response.LastBlockHeight, infoB.Response.LastBlockHeight)
		differ, unavailable := 0, false
		for _, x := range qs {
			var data []byte
			if x.req != nil {
				data, _ = x.req.Marshal()
			}
			ra, err1 := ca.ABCIQueryWithOptions(ctx, x.path, data, client.ABCIQueryOptions{Height: h})
			rb, err2 := cb.ABCIQueryWithOptions(ctx, x.path, data, client.ABCIQueryOptions{Height: h})
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if ra.Response.Code == uint32(tlv1.CodeHeightUnavailable) || rb.Response.Code == uint32(tlv1.CodeHeightUnavailable) {
				t.Logf("height %d: %s %d %s / %s %d %s", h, a.Name, ra.Response.Code, ra.Response.Log, b.Name, rb.Response.Code, rb.Response.Log)
				unavailable = true
				break
			}
			if ra.Response.Code != 0 {
				t.Fatalf("%s at %d on %s: code %d %s", x.path, h, a.Name, ra.Response.Code, ra.Response.Log)
			}
			if rb.Response.Code != 0 || !bytes.Equal(ra.Response.Value, rb.Response.Value) {
				differ++
				t.Errorf("%s at %d: %s and %s answer differently (codes %d, %d)", x.path, h, a.Name, b.Name, ra.Response.Code, rb.Response.Code)
			}
		}
		if !unavailable {
			if differ == 0 {
				t.Logf("%d queries answered identically at height %d by %s and %s", len(qs), h, a.Name, b.Name)
			}
			return
		}
		if attempt > 20 {
			t.Fatalf("no height both nodes serve after %d attempts", attempt)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitAppHeight waits until n's application has committed height h.
func waitAppHeight(ctx context.Context, n NodeInfo, h int64) (int64, error) {
	for {
		if st := QueryStatus(ctx, n.Name, n.RPCURL); st.AppHeight >= h {
			return st.AppHeight, nil
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("%s's application did not reach height %d: %w", n.Name, h, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
