// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/traceledger/traceledger/node"
)

// TestInitStateSync: init --genesis --state-sync --rpc writes [statesync]
// with a trust height and the hash of that header as the running node
// serves it; the flags are refused where they mean nothing.
func TestInitStateSync(t *testing.T) {
	t.Setenv("TRACELEDGER_PASSPHRASE", "correct horse battery staple")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n := startTestNode(t, ctx, "statesync-cli")
	n.eventually("height 3", func() bool {
		_, err := n.cli("query", "record", "0")
		return err == nil
	})
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no genesis", []string{"init", "--home", filepath.Join(dir, "a"), "--state-sync", "--rpc", n.url + "," + n.url}, "--genesis"},
		{"one server", []string{"init", "--home", filepath.Join(dir, "b"), "--genesis", n.genesis, "--state-sync", "--rpc", n.url}, "two or more"},
		{"rpc without state sync", []string{"init", "--home", filepath.Join(dir, "c"), "--genesis", n.genesis, "--rpc", n.url + "," + n.url}, "--state-sync"},
	} {
		_, err := run(t, ctx, c.args...)
		var ue *usageError
		if err == nil || !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want a usage error naming %s", c.name, err, c.want)
		}
	}
	home := filepath.Join(dir, "synced")
	if _, err := run(t, ctx, "init", "--home", home, "--genesis", n.genesis, "--state-sync", "--rpc", n.url+","+n.url,
		"--rpc-laddr", "tcp://"+freePort(t), "--p2p-laddr", "tcp://"+freePort(t)); err != nil {
		t.Fatal(err)
	}
	conf, err := node.LoadConfig(home)
	if err != nil {
		t.Fatal(err)
	}
	ss := conf.StateSync
	if !ss.Enable || len(ss.RPCServers) != 2 || ss.TrustHeight < 1 || len(ss.TrustHash) != 64 {
		t.Fatalf("[statesync] = %+v", ss)
	}
	c, err := rpchttp.New(n.url, "/websocket")
	if err != nil {
		t.Fatal(err)
	}
	h := ss.TrustHeight
	b, err := c.Block(ctx, &h)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%X", b.BlockID.Hash); got != ss.TrustHash {
		t.Fatalf("trust hash %s is not block %d's %s", ss.TrustHash, h, got)
	}
	ac, err := node.LoadAppConfig(home)
	if err != nil || ac.SnapshotInterval != node.DefaultSnapshotInterval {
		t.Fatalf("app.toml: %+v %v", ac, err)
	}
}
