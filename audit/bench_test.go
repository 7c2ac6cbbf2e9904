// SPDX-License-Identifier: Apache-2.0

package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"testing"
	"time"

	cfg "github.com/cometbft/cometbft/config"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/genesis"
	"github.com/traceledger/traceledger/node"
	"github.com/traceledger/traceledger/proof/light"
	"github.com/traceledger/traceledger/proof/prooftest"
)

// BenchmarkCatchUpInMemory measures header verification alone: a fresh
// auditor catches up 2,000 headers of four validators served from memory
// (no RPC; the fake nodes have no application, so only headers count).
func BenchmarkCatchUpInMemory(b *testing.B) {
	const blocks = 2000
	vals := prooftest.NewValidators("bench", 4, 10)
	c := prooftest.NewChain(fakeChain, fakeStart)
	for h := int64(1); h <= blocks; h++ {
		c.Append(vals, nil, bytes.Repeat([]byte{byte(h)}, 32), nil)
	}
	doc := genesisOf(vals)
	root, err := light.GenesisTrustRoot(doc)
	if err != nil {
		b.Fatal(err)
	}
	var rate float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a, err := New(Config{Trust: root, SweepRecords: -1}, []Source{&fakeSource{name: "a", chain: c, latest: blocks}})
		if err != nil {
			b.Fatal(err)
		}
		rep, err := a.Pass(context.Background())
		if err != nil || rep.To != blocks {
			b.Fatalf("pass: %v, to %d", err, rep.To)
		}
		rate += rep.HeaderRate
	}
	b.ReportMetric(rate/float64(b.N), "blocks/s")
}

// BenchmarkCatchUpRPC measures a fresh auditor catching up a real node's
// chain over CometBFT's RPC on loopback: a one-department node in this
// process commits 1,000 blocks (5 ms commit timeout, and it goes on), then
// each iteration verifies the first 1,000 headers from genesis.
func BenchmarkCatchUpRPC(b *testing.B) {
	const blocks = 1000
	home := b.TempDir()
	adminPub, _, _ := ed25519.GenerateKey(rand.Reader)
	addrs := make([]string, 2)
	for i := range addrs {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		addrs[i] = l.Addr().String()
		l.Close()
	}
	doc, err := node.Init(home, node.InitOptions{ChainID: "audit-bench", Department: genesis.Department{ID: "agri", Name: "Agriculture", AdminKeys: [][]byte{adminPub}},
		Configure: func(c *cfg.Config) {
			c.RPC.ListenAddress = "tcp://" + addrs[0]
			c.P2P.ListenAddress = "tcp://" + addrs[1]
			c.Consensus.TimeoutCommit = 5 * time.Millisecond
		}})
	if err != nil {
		b.Fatal(err)
	}
	conf, err := node.LoadConfig(home)
	if err != nil {
		b.Fatal(err)
	}
	n, err := node.New(context.Background(), conf, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := n.Start(); err != nil {
		b.Fatal(err)
	}
	defer n.Stop()
	url := "http://" + addrs[0]
	cl, err := client.New(url, doc)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := cl.WaitForHeight(ctx, blocks); err != nil {
		b.Fatal(err)
	}
	root, err := light.GenesisTrustRoot(doc)
	if err != nil {
		b.Fatal(err)
	}
	var rate float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		src, err := NewRPCSource(url)
		if err != nil {
			b.Fatal(err)
		}
		a, err := New(Config{Trust: root, SweepRecords: -1, MaxHeadersPerPass: blocks}, []Source{src})
		if err != nil {
			b.Fatal(err)
		}
		rep, err := a.Pass(ctx)
		if err != nil || rep.To != blocks || len(rep.Alerts) != 0 {
			b.Fatalf("pass: %v, to %d, alerts %+v", err, rep.To, rep.Alerts)
		}
		rate += rep.HeaderRate
	}
	b.ReportMetric(rate/float64(b.N), "blocks/s")
}
