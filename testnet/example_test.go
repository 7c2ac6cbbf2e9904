// SPDX-License-Identifier: Apache-2.0

package testnet_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	cmtlog "github.com/cometbft/cometbft/libs/log"

	"github.com/traceledger/traceledger/client/keyring"
	"github.com/traceledger/traceledger/node"
	"github.com/traceledger/traceledger/testnet"
)

// Example starts a loopback network as child processes of the traceledger
// binary, as an integration test of another project would: four
// departments on 127.0.0.1 to 127.0.0.4 with free ports, one enterprise
// whose key signs trace events. The binary is a traceledger executable, for
// example one the test's TestMain builds with
// `go build -o DIR/traceledger github.com/traceledger/traceledger/cmd/traceledger`.
func Example() {
	dir, err := os.MkdirTemp("", "traceledger-testnet-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	nw, err := testnet.Init(dir, testnet.Options{
		Departments: []string{"agri", "market", "drug", "commerce"},
		Enterprises: []string{"acme"},
	})
	if err != nil {
		log.Fatal(err)
	}
	r := testnet.NewRunner(nw, "/path/to/traceledger")
	if err := r.Start(); err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	defer r.Stop(ctx)

	h, err := testnet.WaitHeight(ctx, nw.Nodes, 3)
	if err != nil {
		log.Fatalf("%v (logs in %s)", err, r.LogPath(nw.Nodes[0].Name))
	}
	if _, err := testnet.Agreement(ctx, nw.Nodes, h-1); err != nil {
		log.Fatal(err)
	}
	// The enterprise's signing key, for a client.Client against any
	// node's RPCURL with nw.Genesis as the trust root.
	if _, err := nw.EnterpriseKey("acme"); err != nil {
		log.Fatal(err)
	}
	for _, s := range nw.Status(ctx) {
		fmt.Println(s.Name, s.Up, s.Height)
	}
}

// Example_inProcess runs the homes that Init writes as nodes of this
// process (node.New) instead of child processes: no binary is needed. The
// cheap key-derivation setting only saves time in tests; the keys of a
// test network are throwaway.
func Example_inProcess() {
	dir, err := os.MkdirTemp("", "traceledger-testnet-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	nw, err := testnet.Init(dir, testnet.Options{
		Departments:    []string{"agri", "market", "drug"},
		TimeoutCommit:  200 * time.Millisecond,
		KeyringOptions: []keyring.Option{keyring.WithScrypt(1<<10, 8, 1)},
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, info := range nw.Nodes {
		conf, err := node.LoadConfig(info.Home)
		if err != nil {
			log.Fatal(err)
		}
		n, err := node.New(ctx, conf, cmtlog.NewNopLogger())
		if err != nil {
			log.Fatal(err)
		}
		if err := n.Start(); err != nil {
			log.Fatal(err)
		}
		defer n.Stop()
	}

	h, err := testnet.WaitHeight(ctx, nw.Nodes, 3)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := testnet.Agreement(ctx, nw.Nodes, h-1); err != nil {
		log.Fatal(err)
	}
	if err := testnet.AppAgreement(ctx, nw.Nodes, nw.Nodes[0]); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d departments agree on blocks and app hashes\n", len(nw.Validators()))
	// Output:
	// 3 departments agree on blocks and app hashes
}
