// SPDX-License-Identifier: Apache-2.0

package node_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"log"
	"os"
	"time"

	cfg "github.com/cometbft/cometbft/config"

	"github.com/traceledger/traceledger/genesis"
	"github.com/traceledger/traceledger/node"
)

// Example embeds a one-department node in a program: Init writes a home
// (configuration, node and validator keys, a genesis naming the department
// as the only validator), LoadConfig reads the configuration back, New
// opens the application and builds CometBFT, Start runs consensus, p2p and
// the RPC server until Stop.
func Example() {
	home, err := os.MkdirTemp("", "traceledger-node-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(home)

	// The department's administrator key; in a real department it comes
	// from the administrator's keyring (traceledger keys add).
	adminPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	doc, err := node.Init(home, node.InitOptions{
		ChainID:    "example-chain",
		Department: genesis.Department{ID: "agri", Name: "Agriculture", AdminKeys: [][]byte{adminPub}},
		Configure: func(c *cfg.Config) {
			// Any free ports, so that the example runs beside other nodes.
			c.RPC.ListenAddress = "tcp://127.0.0.1:0"
			c.P2P.ListenAddress = "tcp://127.0.0.1:0"
			c.Consensus.TimeoutCommit = 100 * time.Millisecond
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("home for chain %s with %d validator\n", doc.ChainID, len(doc.Validators))

	conf, err := node.LoadConfig(home)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	n, err := node.New(ctx, conf, nil) // a nil logger discards the node's logs
	if err != nil {
		log.Fatal(err)
	}
	if err := n.Start(); err != nil {
		log.Fatal(err)
	}

	// Wait for the first block (the chain's only validator is this node).
	deadline := time.Now().Add(30 * time.Second)
	for n.Comet().BlockStore().Height() < 1 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	fmt.Println("committed a block:", n.Comet().BlockStore().Height() >= 1)

	if err := n.Stop(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("stopped")
	// Output:
	// home for chain example-chain with 1 validator
	// committed a block: true
	// stopped
}
