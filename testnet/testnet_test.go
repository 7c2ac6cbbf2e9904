// SPDX-License-Identifier: Apache-2.0

package testnet

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cometbft/cometbft/libs/log"

	"github.com/traceledger/traceledger/client/keyring"
	"github.com/traceledger/traceledger/genesis"
	"github.com/traceledger/traceledger/node"
)

// fastKDF keeps key creation cheap in tests.
var fastKDF = []keyring.Option{keyring.WithScrypt(1<<10, 8, 1)}

func TestInitLoad(t *testing.T) {
	dir := t.TempDir()
	nw, err := Init(dir, Options{
		ChainID: "tl-test", Departments: []string{"agri", "livestock", "market", "drug"},
		NonValidators: 1, Enterprises: []string{"farm1", "ranch1"}, KeyringOptions: fastKDF,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(nw.Nodes) != 5 || len(nw.Validators()) != 4 {
		t.Fatalf("got %d nodes, %d validators; want 5, 4", len(nw.Nodes), len(nw.Validators()))
	}
	if len(nw.Genesis.Validators) != 4 {
		t.Fatalf("genesis has %d validators, want 4", len(nw.Genesis.Validators))
	}
	loaded, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.ChainID != "tl-test" || len(loaded.Nodes) != 5 || len(loaded.Enterprises) != 2 {
		t.Fatalf("Load returned %+v", loaded)
	}
	ports := map[string]string{}
	for i, n := range loaded.Nodes {
		if n.Home != nw.Nodes[i].Home || n.RPCURL != nw.Nodes[i].RPCURL || n.P2PAddr != nw.Nodes[i].P2PAddr {
			t.Errorf("node %d: loaded %+v, initialised %+v", i, n, nw.Nodes[i])
		}
		// Every home holds the same genesis.
		doc, _, err := genesis.Load(filepath.Join(n.Home, "config", "genesis.json"))
		if err != nil {
			t.Fatal(err)
		}
		h1, _ := genesis.Hash(doc)
		h2, _ := genesis.Hash(nw.Genesis)
		if string(h1) != string(h2) {
			t.Errorf("%s: genesis differs from the shared one", n.Name)
		}
		conf, err := node.LoadConfig(n.Home)
		if err != nil {
			t.Fatal(err)
		}
		if prev, dup := ports[conf.RPC.ListenAddress]; dup {
			t.Errorf("%s and %s share RPC address %s", prev, n.Name, conf.RPC.ListenAddress)
		}
		ports[conf.RPC.ListenAddress] = n.Name
		if prev, dup := ports[conf.P2P.ListenAddress]; dup {
			t.Errorf("%s and %s share P2P address %s", prev, n.Name, conf.P2P.ListenAddress)
		}
		ports[conf.P2P.ListenAddress] = n.Name
		peers := strings.Split(conf.P2P.PersistentPeers, ",")
		if len(peers) != 4 || strings.Contains(conf.P2P.PersistentPeers, n.P2PAddr) {
			t.Errorf("%s: persistent peers %q, want the 4 others", n.Name, conf.P2P.PersistentPeers)
		}
		if n.Validator != (n.AdminKeyName != "") {
			t.Errorf("%s: validator %v but admin key %q", n.Name, n.Validator, n.AdminKeyName)
		}
	}
	for _, v := range loaded.Validators() {
		if _, err := loaded.AdminKey(v.Name, fastKDF...); err != nil {
			t.Errorf("admin key of %s: %v", v.Name, err)
		}
	}
	if _, err := loaded.EnterpriseKey("ranch1", fastKDF...); err != nil {
		t.Errorf("enterprise key: %v", err)
	}
	st, err := os.Stat(filepath.Join(dir, PassphraseFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("passphrase file: %v, mode %v; want mode 0600", err, st.Mode())
	}
	if _, err := Init(dir, Options{Departments: []string{"agri"}, KeyringOptions: fastKDF}); err == nil {
		t.Error("Init over an existing network succeeded")
	}
}

func TestInitRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"no departments", Options{}, "at least one department"},
		{"duplicate", Options{Departments: []string{"agri", "agri"}}, "used twice"},
		{"bad id", Options{Departments: []string{"Agri"}}, "must start with"},
		{"dot in hostname", Options{Departments: []string{"a.b"}}, "hostname"},
		{"observer clash", Options{Departments: []string{"observer1"}, NonValidators: 1}, "used twice"},
		{"bad hosts", Options{Departments: []string{"agri"}, Hosts: "k8s"}, "hosts must be"},
		{"negative", Options{Departments: []string{"agri"}, NonValidators: -1}, "negative"},
		{"enterprise clash", Options{Departments: []string{"agri"}, Enterprises: []string{"agri"}}, "used twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := Init(dir, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
			if _, err := os.Stat(filepath.Join(dir, networkFile)); err == nil {
				t.Error("a rejected Init wrote network.json")
			}
		})
	}
}

func TestDockerPlan(t *testing.T) {
	nw, err := Init(t.TempDir(), Options{Departments: []string{"agri", "drug"}, NonValidators: 1, Hosts: HostsDocker, KeyringOptions: fastKDF})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nw.Nodes {
		if want := "http://" + n.Name + ":26657"; n.RPCURL != want {
			t.Errorf("%s: RPC URL %s, want %s", n.Name, n.RPCURL, want)
		}
		if !strings.HasSuffix(n.P2PAddr, "@"+n.Name+":26656") {
			t.Errorf("%s: P2P address %s", n.Name, n.P2PAddr)
		}
		conf, err := node.LoadConfig(n.Home)
		if err != nil {
			t.Fatal(err)
		}
		if conf.RPC.ListenAddress != "tcp://0.0.0.0:26657" {
			t.Errorf("%s: RPC listens on %s", n.Name, conf.RPC.ListenAddress)
		}
	}
}

// TestInProcessNetworkCommits starts the four departments of an
// initialised network in this process and waits until they agree on
// blocks: the homes Init writes are a working network.
func TestInProcessNetworkCommits(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four nodes")
	}
	nw, err := Init(t.TempDir(), Options{Departments: []string{"agri", "livestock", "market", "drug"}, TimeoutCommit: 200 * time.Millisecond, KeyringOptions: fastKDF})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var nodes []*node.Node
	for _, info := range nw.Nodes {
		conf, err := node.LoadConfig(info.Home)
		if err != nil {
			t.Fatal(err)
		}
		n, err := node.New(ctx, conf, log.NewNopLogger())
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Start(); err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, n)
		t.Cleanup(func() { n.Stop() })
	}
	h, err := WaitHeight(ctx, nw.Nodes, 3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Agreement(ctx, nw.Nodes, h-1); err != nil {
		t.Fatal(err)
	}
	if err := AppAgreement(ctx, nw.Nodes, nw.Nodes[0]); err != nil {
		t.Fatal(err)
	}
	// A running node's data cannot be reset from under it.
	if err := ResetData(nw.Nodes[0].Home); err == nil || !strings.Contains(err.Error(), "running") {
		t.Fatalf("ResetData of a running node: %v, want a refusal", err)
	}
	if _, err := os.Stat(node.AppDBDir(nw.Nodes[0].Home)); err != nil {
		t.Fatalf("the refused ResetData removed data: %v", err)
	}
}

func TestDecodeNetworkRejects(t *testing.T) {
	dir := "/nets/a"
	node := `{"name":"agri","home":"agri","validator":true,"node_id":"x","rpc_url":"http://127.0.0.1:1","p2p_addr":"x@127.0.0.1:2"}`
	for _, tc := range []struct {
		name, json, want string
	}{
		{"ok", `{"chain_id":"c","hosts":"loopback","nodes":[` + node + `]}`, ""},
		{"unknown field", `{"chain_id":"c","hosts":"loopback","nodes":[` + node + `],"extra":1}`, "unknown field"},
		{"trailing data", `{"chain_id":"c","hosts":"loopback","nodes":[` + node + `]} {}`, "after the JSON"},
		{"bad hosts", `{"chain_id":"c","hosts":"k8s","nodes":[` + node + `]}`, "hosts is"},
		{"no nodes", `{"chain_id":"c","hosts":"docker","nodes":[]}`, "no nodes"},
		{"duplicate", `{"chain_id":"c","hosts":"docker","nodes":[` + node + `,` + node + `]}`, "used twice"},
		{"bad name", `{"chain_id":"c","hosts":"docker","nodes":[{"name":"A","home":"a","rpc_url":"u","p2p_addr":"p"}]}`, "nodes[0].name"},
		{"escaping home", `{"chain_id":"c","hosts":"docker","nodes":[{"name":"a","home":"../b","rpc_url":"u","p2p_addr":"p"}]}`, "not inside"},
		{"home is dir", `{"chain_id":"c","hosts":"docker","nodes":[{"name":"a","home":".","rpc_url":"u","p2p_addr":"p"}]}`, "not inside"},
		{"no rpc", `{"chain_id":"c","hosts":"docker","nodes":[{"name":"a","home":"a","p2p_addr":"p"}]}`, "required"},
		{"enterprise home", `{"chain_id":"c","hosts":"loopback","nodes":[` + node + `],"enterprises":[{"id":"e","home":"/etc"}]}`, "not inside"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := decodeNetwork([]byte(tc.json), dir)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if n.Nodes[0].Home != "/nets/a/agri" {
					t.Fatalf("home resolved to %s", n.Nodes[0].Home)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// FuzzDecodeNetwork: any network.json either fails to decode or yields a
// network whose homes all lie inside the directory and whose names are
// unique.
func FuzzDecodeNetwork(f *testing.F) {
	f.Add([]byte(`{"chain_id":"c","hosts":"loopback","nodes":[{"name":"agri","home":"agri","rpc_url":"u","p2p_addr":"p"}]}`))
	f.Add([]byte(`{"hosts":"docker","nodes":[{"name":"a","home":"/d/a/x","rpc_url":"u","p2p_addr":"p"}],"enterprises":[{"id":"e","home":"a"}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := decodeNetwork(b, "/d")
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, x := range n.Nodes {
			if seen[x.Name] {
				t.Fatalf("duplicate node %q accepted", x.Name)
			}
			seen[x.Name] = true
			if !strings.HasPrefix(x.Home, "/d/") {
				t.Fatalf("home %q outside the directory accepted", x.Home)
			}
		}
		for _, e := range n.Enterprises {
			if !strings.HasPrefix(e.Home, "/d/") {
				t.Fatalf("enterprise home %q outside the directory accepted", e.Home)
			}
		}
	})
}
