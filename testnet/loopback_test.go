// SPDX-License-Identifier: Apache-2.0

package testnet

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// The loopback fault tests run the scenarios on four validators started as
// local processes of the traceledger binary (built once per test run). They
// need no Docker and run everywhere; -short skips them.

func loopbackCtx(t *testing.T, d time.Duration) context.Context {
	if testing.Short() {
		t.Skip("starts a network of processes; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestLoopbackKillOneUnderLoad(t *testing.T) {
	ctx := loopbackCtx(t, 2*time.Minute)
	scenarioKillOneUnderLoad(ctx, t, newProcessCluster(t, 0, "load1", "load2"))
}

func TestLoopbackStopTwo(t *testing.T) {
	ctx := loopbackCtx(t, 2*time.Minute)
	scenarioStopTwo(ctx, t, newProcessCluster(t, 0))
}

func TestLoopbackKill9HeavyWrites(t *testing.T) {
	ctx := loopbackCtx(t, 3*time.Minute)
	scenarioKill9HeavyWrites(ctx, t, newProcessCluster(t, 0, "load1", "load2", "load3"), 3)
}

func TestLoopbackRollingRestart(t *testing.T) {
	ctx := loopbackCtx(t, 3*time.Minute)
	scenarioRollingRestart(ctx, t, newProcessCluster(t, 0, "load1", "load2", "load3"))
}

func TestLoopbackDeletedDataRejoins(t *testing.T) {
	ctx := loopbackCtx(t, 2*time.Minute)
	scenarioDeletedData(ctx, t, newProcessCluster(t, 0, "load1"))
}

// TestLoopbackJoin adds a new department's node to a running network: it
// block-syncs the chain from its peers and follows consensus with the same
// app hash, without voting; then the departments pass a governance proposal
// admitting it, and from then on it signs blocks.
func TestLoopbackJoin(t *testing.T) {
	ctx := loopbackCtx(t, 2*time.Minute)
	c := newProcessCluster(t, 0, "load1")
	stop := traffic(t, c, 10, 20*time.Millisecond, "load1")
	defer stop()
	settle(ctx, t, c, 3*time.Second)
	info, err := AddNode(c.nw, "commerce", fastKDF...)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.start(ctx, info.Name); err != nil {
		t.Fatal(err)
	}
	d, h := waitCaughtUp(ctx, t, info, c.nw.Validators())
	recovery(t, c, "join: new node block-synced a running network", d, fmt.Sprintf("to height %d", h))
	d = waitAdvance(ctx, t, c.nodes(), 2)
	recovery(t, c, "join: new node follows consensus (+2 blocks)", d, "")
	verifyTraffic(ctx, t, c, stop, info)
	checkAgreement(ctx, t, c.nodes())
	st := QueryStatus(ctx, info.Name, info.RPCURL)
	if st.VotingPower != 0 {
		t.Fatalf("joined node has voting power %d without a governance decision", st.VotingPower)
	}

	start := time.Now()
	id, err := Promote(ctx, c.nw, info.Name, 10, c.nw.Nodes[0].RPCURL, fastKDF...)
	if err != nil {
		t.Fatal(err)
	}
	recovery(t, c, "join: proposal passed, new department in the validator set", time.Since(start), fmt.Sprintf("proposal %d", id))
	if st := QueryStatus(ctx, info.Name, info.RPCURL); st.VotingPower != 10 {
		t.Fatalf("after proposal %d the new node reports voting power %d, want 10", id, st.VotingPower)
	}
	if err := waitSigned(ctx, info); err != nil {
		t.Fatal(err)
	}
	if loaded, err := Load(c.nw.Dir); err != nil || len(loaded.Validators()) != 5 {
		t.Fatalf("network.json after promotion: %v validators, %v", len(loaded.Validators()), err)
	}
	checkAgreement(ctx, t, c.nodes())
}

// waitSigned waits for a block whose commit carries n's signature.
func waitSigned(ctx context.Context, n NodeInfo) error {
	c, err := rpcClient(n.RPCURL)
	if err != nil {
		return err
	}
	for {
		if cm, err := c.Commit(ctx, nil); err == nil {
			for _, sig := range cm.Commit.Signatures {
				if sig.ValidatorAddress.String() == n.ValidatorAddress && len(sig.Signature) > 0 {
					return nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s never signed a commit: %w", n.Name, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
