// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	"github.com/spf13/cobra"

	"github.com/traceledger/traceledger/node/pvfile"
	"github.com/traceledger/traceledger/testnet"
)

func newTestnetCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "testnet",
		Short: "Create and run a local multi-department network (processes or containers)",
		Long: `testnet creates a network of several departments, one validator each, with one
shared genesis, and runs it as local processes (init, start, stop, status), or
prepares homes for containers (init --hosts docker; see docker-compose.yml).

Every key of a test network shares one passphrase, written in clear to
DIR/passphrase so that scripts can sign without a prompt. That file makes a
test network unfit for anything else.`,
		Example: `  traceledger testnet init --departments agri,livestock,market,drug --non-validators 1 --out ./net
  traceledger testnet start ./net
  traceledger testnet status ./net
  traceledger tx record --home ./net/agri --from farm1 --passphrase-file ./net/passphrase \
      --node http://127.0.0.1:26601 --subject urn:epc:class:lgtin:6901234.500012.LOT1 --type harvest --payload harvest.json
  traceledger testnet stop ./net`,
	}
	cmd.AddCommand(newTestnetInitCmd(), newTestnetStartCmd(), newTestnetStopCmd(), newTestnetStatusCmd(),
		newTestnetAddNodeCmd(), newTestnetPromoteCmd(), newTestnetResetNodeCmd())
	cmd.AddCommand(newTestnetUpgradeCmd()) // cmd/traceledger/upgrade.go
	return cmd
}

func newTestnetInitCmd() *cobra.Command {
	var (
		out, chainID, hosts string
		depts, enterprises  []string
		nonVals, basePort   int
		snapshotInterval    int
		timeoutCommit       time.Duration
		ifMissing           bool
		trustOut            string
		output              outputFlag
	)
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create the homes, keys and shared genesis of a multi-department network",
		Long: `init creates --out with one home per node: CometBFT's configuration, a node key
and a validator key; for each department an admin key "<dept>-admin" in the
home's keyring; for each --enterprises entry a signing key in the keyring of a
department's home (in turn), registered at genesis; one genesis document in
which every department is a validator, copied into every home; and every node
as a persistent peer of every other.

--hosts loopback (the default) gives node i the address 127.0.0.(i+1) and ports
--base-port+10*i (P2P) and --base-port+10*i+1 (RPC), so that the nodes run as
processes of this machine ('testnet start'). --hosts docker names each node by
its hostname with the standard ports 26656 and 26657 on all interfaces, for
containers on one Docker network.

Non-validators are named observer1, observer2, ...; they follow the chain and
serve queries. All keys share a random passphrase written to DIR/passphrase
(test networks only).`,
		Example: `  traceledger testnet init --departments agri,livestock,market,drug --non-validators 1 --out ./net
  traceledger testnet init --hosts docker --out /net --if-missing`,
		Args: cobra.NoArgs,
		RunE: output.run(func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return &usageError{cmd: cmd.CommandPath(), err: fmt.Errorf("--out is required")}
			}
			view := func(nw *testnet.Network, created bool) map[string]any {
				return map[string]any{"dir": nw.Dir, "created": created, "chain_id": nw.ChainID, "hosts": nw.Hosts, "nodes": nw.Nodes,
					"enterprises": nw.Enterprises, "passphrase_file": filepath.Join(nw.Dir, testnet.PassphraseFile)}
			}
			if ifMissing {
				if nw, err := testnet.Load(out); err == nil {
					if err := writeTrustCopy(nw, trustOut); err != nil {
						return err
					}
					return output.print(cmd.OutOrStdout(), view(nw, false), func(w io.Writer) {
						fmt.Fprintf(w, "%s already holds network %s (%d nodes): nothing to do\n", out, nw.ChainID, len(nw.Nodes))
					})
				}
			}
			nw, err := testnet.Init(out, testnet.Options{
				ChainID: chainID, Departments: depts, NonValidators: nonVals, Hosts: hosts,
				TimeoutCommit: timeoutCommit, BasePort: basePort, Enterprises: enterprises,
				SnapshotInterval: snapshotInterval,
			})
			if err != nil {
				return err
			}
			if err := writeTrustCopy(nw, trustOut); err != nil {
				return err
			}
			if output.json() {
				return output.print(cmd.OutOrStdout(), view(nw, true), nil)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "initialised network %s in %s (%s addresses)\n", nw.ChainID, nw.Dir, nw.Hosts)
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "NODE\tROLE\tRPC\tP2P\tADMIN KEY")
			for _, n := range nw.Nodes {
				role := "non-validator"
				if n.Validator {
					role = "validator"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", n.Name, role, n.RPCURL, n.P2PAddr, n.AdminKeyName)
			}
			tw.Flush()
			for _, e := range nw.Enterprises {
				fmt.Fprintf(w, "enterprise %s (department %s): key %q in %s\n", e.ID, e.Department, e.ID, e.Home)
			}
			fmt.Fprintf(w, "key passphrase: %s/%s (test networks only)\n", nw.Dir, testnet.PassphraseFile)
			if nw.Hosts == testnet.HostsLoopback {
				fmt.Fprintf(w, "next: traceledger testnet start %s\n", out)
			}
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "directory of the new network (required)")
	f.StringVar(&chainID, "chain-id", testnet.DefaultChainID, "network (chain) id")
	f.StringSliceVar(&depts, "departments", []string{"agri", "livestock", "market", "drug"}, "department ids, one validator each, comma-separated")
	f.IntVar(&nonVals, "non-validators", 1, "number of non-validator nodes (observer1, ...)")
	f.StringVar(&hosts, "hosts", testnet.HostsLoopback, "address plan: loopback (127.0.0.x, own ports) or docker (service hostnames)")
	f.IntVar(&basePort, "base-port", 26600, "loopback: first port (node i uses base+10*i for P2P, base+10*i+1 for RPC); 0 picks free ports")
	f.DurationVar(&timeoutCommit, "timeout-commit", testnet.DefaultTimeoutCommit, "CometBFT commit timeout (the pause between blocks)")
	f.StringSliceVar(&enterprises, "enterprises", []string{"farm1"}, "enterprise ids registered at genesis, with keys")
	f.IntVar(&snapshotInterval, "snapshot-interval", testnet.DefaultSnapshotInterval, "state-sync snapshot every so many heights on every node (negative: none)")
	f.BoolVar(&ifMissing, "if-missing", false, "do nothing if --out already holds a network (for container entry points)")
	f.StringVar(&trustOut, "trust-out", "", "also copy the genesis (the public trust root) to DIR/genesis.json, for containers that must see no key or passphrase (the API server's)")
	output.add(cmd)
	return cmd
}

// writeTrustCopy copies the network's genesis into dir (nothing when dir
// is empty): the one file a verifying client needs, kept apart from the
// keys and the shared passphrase.
func writeTrustCopy(nw *testnet.Network, dir string) error {
	if dir == "" {
		return nil
	}
	data, err := os.ReadFile(filepath.Join(nw.Dir, testnet.GenesisFile))
	if err != nil {
		return fmt.Errorf("read the network's genesis: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--trust-out: %w", err)
	}
	tmp := filepath.Join(dir, "."+testnet.GenesisFile+".tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("--trust-out: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, testnet.GenesisFile)); err != nil {
		return fmt.Errorf("--trust-out: %w", err)
	}
	return nil
}

func loadNet(dir string) (*testnet.Network, *testnet.Runner, error) {
	nw, err := testnet.Load(dir)
	if err != nil {
		return nil, nil, err
	}
	if nw.Hosts != testnet.HostsLoopback {
		return nil, nil, fmt.Errorf("%s uses %s addresses: run it with docker compose, not as local processes", dir, nw.Hosts)
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, nil, fmt.Errorf("find the traceledger executable: %w", err)
	}
	return nw, testnet.NewRunner(nw, exe), nil
}

func newTestnetStartCmd() *cobra.Command {
	var (
		nodes    []string
		wait     time.Duration
		logLevel string
		output   outputFlag
	)
	cmd := &cobra.Command{
		Use:   "start DIR",
		Short: "Start the nodes of a loopback network as background processes",
		Long: `start runs 'traceledger start --home DIR/<node>' for each node (or each --nodes
entry) that is not running yet, in the background, with its pid in
DIR/run/<node>.pid and its output appended to DIR/logs/<node>.log. It then
waits (up to --wait) until the started nodes have committed a block and prints
their status. The nodes keep running after this command exits; stop them with
'traceledger testnet stop DIR'.`,
		Example: `  traceledger testnet start ./net
  traceledger testnet start ./net --nodes market`,
		Args: cobra.ExactArgs(1),
		RunE: output.run(func(cmd *cobra.Command, args []string) error {
			nw, r, err := loadNet(args[0])
			if err != nil {
				return err
			}
			r.LogLevel = logLevel
			if err := r.Start(nodes...); err != nil {
				return err
			}
			started := nw.Nodes
			if len(nodes) > 0 {
				started = nil
				for _, n := range nodes {
					x, _ := nw.Node(n)
					started = append(started, x)
				}
			}
			if wait > 0 {
				ctx, cancel := context.WithTimeout(cmd.Context(), wait)
				defer cancel()
				if _, err := testnet.WaitHeight(ctx, started, 1); err != nil {
					return fmt.Errorf("%w (logs in %s)", err, filepath.Dir(r.LogPath(nw.Nodes[0].Name)))
				}
			}
			return printStatus(cmd.Context(), cmd.OutOrStdout(), nw, r, &output)
		}),
	}
	cmd.Flags().StringSliceVar(&nodes, "nodes", nil, "start only these nodes (default: all)")
	cmd.Flags().DurationVar(&wait, "wait", time.Minute, "wait this long for the first block (0: do not wait)")
	cmd.Flags().StringVar(&logLevel, "log-level", "info", "log level of the nodes")
	output.add(cmd)
	return cmd
}

func newTestnetStopCmd() *cobra.Command {
	var (
		nodes   []string
		kill    bool
		timeout time.Duration
		output  outputFlag
	)
	cmd := &cobra.Command{
		Use:   "stop DIR",
		Short: "Stop the processes of a loopback network",
		Long: `stop sends SIGTERM to each running node (or each --nodes entry), waits up to
--timeout for it to shut down cleanly, then sends SIGKILL. --kill sends SIGKILL
at once, as a crash would.`,
		Args: cobra.ExactArgs(1),
		RunE: output.run(func(cmd *cobra.Command, args []string) error {
			_, r, err := loadNet(args[0])
			if err != nil {
				return err
			}
			r.StopTimeout = timeout
			if kill {
				err = r.Kill(cmd.Context(), nodes...)
			} else {
				err = r.Stop(cmd.Context(), nodes...)
			}
			if err != nil {
				return err
			}
			return output.print(cmd.OutOrStdout(), map[string]any{"stopped": true, "nodes": nodes, "killed": kill}, func(w io.Writer) {
				fmt.Fprintln(w, "stopped")
			})
		}),
	}
	output.add(cmd)
	cmd.Flags().StringSliceVar(&nodes, "nodes", nil, "stop only these nodes (default: all)")
	cmd.Flags().BoolVar(&kill, "kill", false, "send SIGKILL instead of SIGTERM")
	cmd.Flags().DurationVar(&timeout, "timeout", testnet.DefaultStopTimeout, "wait this long after SIGTERM before SIGKILL")
	return cmd
}

func newTestnetStatusCmd() *cobra.Command {
	var output outputFlag
	cmd := &cobra.Command{
		Use:   "status DIR",
		Short: "Show each node's height, peers and app hash side by side",
		Long: `status asks every node of the network for CometBFT's status (latest height, the
app hash in that header, peers, catching up) and the application's (its last
committed height and app hash, log and map sizes), and prints them side by
side, so that a lagging node or a divergent app hash stands out. For a loopback
network it also shows whether each node's process runs.`,
		Args: cobra.ExactArgs(1),
		RunE: output.run(func(cmd *cobra.Command, args []string) error {
			nw, err := testnet.Load(args[0])
			if err != nil {
				return err
			}
			var r *testnet.Runner
			if nw.Hosts == testnet.HostsLoopback {
				_, r, _ = loadNet(args[0])
			}
			return printStatus(cmd.Context(), cmd.OutOrStdout(), nw, r, &output)
		}),
	}
	output.add(cmd)
	return cmd
}

// statusRow is one line of `testnet status -o json`.
type statusRow struct {
	testnet.NodeStatus
	// Validator is the node's current role: whether its key is in the
	// validator set the node itself reports (voting power above 0). For a
	// node that does not answer it is its role at genesis (RoleSource
	// says which).
	Validator  bool   `json:"validator"`
	RoleSource string `json:"role_source"`
	PID        int    `json:"pid,omitempty"`
}

func printStatus(ctx context.Context, w io.Writer, nw *testnet.Network, r *testnet.Runner, output *outputFlag) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	sts := nw.Status(ctx)
	rows := make([]statusRow, len(sts))
	for i, s := range sts {
		rows[i] = statusRow{NodeStatus: s, Validator: s.VotingPower > 0, RoleSource: "validator set"}
		if !s.Up {
			rows[i].Validator, rows[i].RoleSource = nw.Nodes[i].Validator, "genesis"
		}
		if r != nil {
			rows[i].PID, _ = r.PID(s.Name)
		}
	}
	return output.print(w, rows, func(w io.Writer) {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NODE\tROLE\tPROCESS\tHEIGHT\tPEERS\tSYNC\tAPP HEIGHT\tAPP HASH\tLOG\tMAP")
		for _, s := range rows {
			role := "observer"
			if s.Validator {
				role = "validator"
			}
			if s.RoleSource == "genesis" {
				role += "?" // the node does not answer: its role at genesis
			}
			proc := "-"
			if r != nil {
				proc = "stopped"
				if s.PID > 0 {
					proc = fmt.Sprintf("pid %d", s.PID)
				}
			}
			if !s.Up {
				why := s.Error
				if strings.Contains(why, "connection refused") {
					why = "connection refused"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\tdown\t\t\t\t%s\t\t\n", s.Name, role, proc, shorten(why, 60))
				continue
			}
			sync := "ok"
			if s.CatchingUp {
				sync = "catching up"
			}
			if s.StateSyncedFrom > 0 {
				sync += fmt.Sprintf(" (state-synced from %d)", s.StateSyncedFrom)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%d\t%s\t%d\t%d\n", s.Name, role, proc, s.Height, s.Peers, sync,
				s.AppHeight, shorten(s.AppLastHash, 16), s.LogSize, s.MapSize)
		}
		tw.Flush()
	})
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func newTestnetAddNodeCmd() *cobra.Command {
	var (
		name      string
		start     bool
		stateSync bool
		output    outputFlag
	)
	cmd := &cobra.Command{
		Use:   "add-node DIR",
		Short: "Add a non-validator node that joins the running network",
		Long: `add-node creates the home of a new node in DIR: the shared genesis, a node key,
a validator key, the other nodes as persistent peers and the configuration of
the first node with its own addresses. Started ('testnet start DIR --nodes
NAME', or --start), it block-syncs the chain from its peers and then follows
consensus as a non-validator. It votes only after the departments pass a
governance proposal that adds its validator key (shown by this command) to
the validator set.

With --state-sync (a running network) the node instead restores the newest
snapshot of the application state its peers offer, checked against a header
the light client verified from the genesis (trust height and hash asked of the
first two validators now), and block-syncs only the blocks after it.`,
		Example: `  traceledger testnet add-node ./net --name commerce --start`,
		Args:    cobra.ExactArgs(1),
		RunE: output.run(func(cmd *cobra.Command, args []string) error {
			nw, err := testnet.Load(args[0])
			if err != nil {
				return err
			}
			var info testnet.NodeInfo
			var trustHeight int64
			if stateSync {
				info, trustHeight, err = testnet.AddStateSyncNode(cmd.Context(), nw, name)
			} else {
				info, err = testnet.AddNode(nw, name)
			}
			if err != nil {
				return err
			}
			if start {
				_, r, err := loadNet(args[0])
				if err != nil {
					return err
				}
				if err := r.Start(name); err != nil {
					return err
				}
			}
			return output.print(cmd.OutOrStdout(), map[string]any{"node": info, "validator_pub_key": base64.StdEncoding.EncodeToString(info.ValidatorPubKey), "started": start, "state_sync_trust_height": trustHeight}, func(w io.Writer) {
				fmt.Fprintf(w, "added %s: home %s, RPC %s, P2P %s, validator address %s\nvalidator public key %s (for --validator-key of an add-department proposal)\n",
					info.Name, info.Home, info.RPCURL, info.P2PAddr, info.ValidatorAddress, base64.StdEncoding.EncodeToString(info.ValidatorPubKey))
			})
		}),
	}
	output.add(cmd)
	cmd.Flags().StringVar(&name, "name", "", "name of the new node (its hostname with --hosts docker)")
	cmd.Flags().BoolVar(&start, "start", false, "start the node at once (loopback networks)")
	cmd.Flags().BoolVar(&stateSync, "state-sync", false, "join by state sync from a snapshot instead of replaying every block (the network must be running)")
	cmd.MarkFlagRequired("name")
	return cmd
}

func newTestnetPromoteCmd() *cobra.Command {
	var (
		power   int64
		via     string
		timeout time.Duration
		output  outputFlag
	)
	cmd := &cobra.Command{
		Use:   "promote DIR NAME",
		Short: "Make a node added by add-node a validator, by a governance proposal",
		Long: `promote admits the department of node NAME (made by 'testnet add-node') by
governance, as the departments would: the first department's admin key submits
an AddDepartment proposal with the node's validator key, its admin key and
--power; each department votes yes until it passes; the command waits until
the proposal has executed and CometBFT's validator set holds the key (two
blocks later). Transactions go to --node (default: the first validator).`,
		Example: `  traceledger testnet add-node ./net --name commerce --start
  traceledger testnet promote ./net commerce`,
		Args: cobra.ExactArgs(2),
		RunE: output.run(func(cmd *cobra.Command, args []string) error {
			nw, err := testnet.Load(args[0])
			if err != nil {
				return err
			}
			url := via
			if url != "" {
				if url, err = normalizeNodeURL("--node", url); err != nil {
					return err
				}
			} else {
				vs := nw.Validators()
				if len(vs) == 0 {
					return fmt.Errorf("%s has no validator to send the proposal to", args[0])
				}
				url = vs[0].RPCURL
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			start := time.Now()
			id, err := testnet.Promote(ctx, nw, args[1], power, url)
			if err != nil {
				return err
			}
			took := time.Since(start).Round(10 * time.Millisecond)
			return output.print(cmd.OutOrStdout(), map[string]any{"proposal_id": id, "node": args[1], "power": power, "seconds": took.Seconds()}, func(w io.Writer) {
				fmt.Fprintf(w, "proposal %d executed: %s is a validator with power %d (%s)\n", id, args[1], power, took)
			})
		}),
	}
	output.add(cmd)
	cmd.Flags().Int64Var(&power, "power", testnet.DefaultPower, "voting power of the new validator")
	cmd.Flags().StringVar(&via, "node", "", "RPC URL to send the transactions to (default: the first validator's)")
	cmd.Flags().DurationVar(&timeout, "timeout", 2*time.Minute, "give up after this long")
	return cmd
}

func newTestnetResetNodeCmd() *cobra.Command {
	var output outputFlag
	cmd := &cobra.Command{
		Use:   "reset-node DIR NAME",
		Short: "Delete a stopped node's data so that it rejoins from its peers",
		Long: `reset-node deletes DIR/NAME/data (blocks, state, application database) and
writes a fresh validator sign state, as after the loss of a disk; keys and
configuration stay. Started again, the node block-syncs the whole chain from
its peers and re-executes it to the same app hash. The node must be stopped.`,
		Args: cobra.ExactArgs(2),
		RunE: output.run(func(cmd *cobra.Command, args []string) error {
			nw, err := testnet.Load(args[0])
			if err != nil {
				return err
			}
			x, ok := nw.Node(args[1])
			if !ok {
				return fmt.Errorf("no node %q in %s", args[1], args[0])
			}
			if nw.Hosts == testnet.HostsLoopback {
				if _, r, err := loadNet(args[0]); err == nil {
					if pid, running := r.PID(x.Name); running {
						return fmt.Errorf("%s is running (pid %d): stop it first", x.Name, pid)
					}
				}
			}
			if err := testnet.ResetData(x.Home); err != nil {
				return err
			}
			return output.print(cmd.OutOrStdout(), map[string]any{"node": x.Name, "home": x.Home, "reset": true}, func(w io.Writer) {
				fmt.Fprintf(w, "deleted the data of %s\n", x.Name)
			})
		}),
	}
	output.add(cmd)
	return cmd
}

// newNodeCmd is `traceledger node`: commands about a running node.
func newNodeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "node",
		Short: "Check a running node",
	}
	cmd.AddCommand(newNodeHealthCmd(), newNodeResetDataCmd(), newNodeShowValidatorCmd())
	cmd.AddCommand(newNodeBackupCmd(), newNodeRestoreCmd()) // cmd/traceledger/backup.go
	return cmd
}

func newNodeShowValidatorCmd() *cobra.Command {
	var (
		home   string
		output outputFlag
	)
	cmd := &cobra.Command{
		Use:   "show-validator",
		Short: "Print the node's validator public key (for an add-department proposal or a genesis)",
		Long: `show-validator reads <home>/config/priv_validator_key.json and prints the
validator's consensus public key, base64 (what 'traceledger tx dept propose
add-department --validator-key' and 'traceledger genesis add-department
--validator-key' take), and its address. The private key is not printed.`,
		Example: `  traceledger node show-validator --home ./net/commerce
  traceledger tx dept propose add-department --from agri-admin --id commerce --name Commerce \
      --validator-key "$(traceledger node show-validator --home ./net/commerce -o json | jq -r .pub_key)" --admin-key BASE64KEY`,
		Args: cobra.NoArgs,
		RunE: output.run(func(cmd *cobra.Command, _ []string) error {
			conf := cfg.DefaultConfig()
			conf.SetRoot(home)
			path := conf.PrivValidatorKeyFile()
			pv, err := pvfile.LoadKey(path, conf.PrivValidatorStateFile())
			if err != nil {
				return fmt.Errorf("%w (is --home a node home? 'traceledger init' creates one)", err)
			}
			pub := pv.Key.PubKey
			view := map[string]any{"pub_key": base64.StdEncoding.EncodeToString(pub.Bytes()), "type": pub.Type(), "address": pub.Address().String(), "key_file": path}
			return output.print(cmd.OutOrStdout(), view, func(w io.Writer) {
				fmt.Fprintf(w, "%s\n", view["pub_key"])
				fmt.Fprintf(cmd.ErrOrStderr(), "%s validator key, address %s (from %s)\n", pub.Type(), view["address"], path)
			})
		}),
	}
	addHomeFlag(cmd, &home)
	output.add(cmd)
	return cmd
}

func newNodeResetDataCmd() *cobra.Command {
	var home string
	var output outputFlag
	cmd := &cobra.Command{
		Use:   "reset-data",
		Short: "Delete a stopped node's data so that it rejoins from its peers",
		Long: `reset-data deletes <home>/data (blocks, state, application database) and writes
a fresh validator sign state, as after the loss of a disk; keys and
configuration stay. Started again, the node block-syncs the whole chain from
its peers and re-executes it to the same app hash. Stop the node first.
'traceledger testnet reset-node DIR NAME' does the same for a node of a test
network.`,
		Example: `  traceledger node reset-data --home /net/agri`,
		Args:    cobra.NoArgs,
		RunE: output.run(func(cmd *cobra.Command, _ []string) error {
			if err := testnet.ResetData(home); err != nil {
				return err
			}
			return output.print(cmd.OutOrStdout(), map[string]any{"home": home, "reset": true}, func(w io.Writer) {
				fmt.Fprintf(w, "deleted the data of %s\n", home)
			})
		}),
	}
	addHomeFlag(cmd, &home)
	output.add(cmd)
	return cmd
}

func newNodeHealthCmd() *cobra.Command {
	var (
		nodeURL   string
		maxAge    time.Duration
		timeout   time.Duration
		minHeight int64
		output    outputFlag
	)
	cmd := &cobra.Command{
		Use:   "health",
		Short: "Exit 0 if the node answers and has committed blocks (for container healthchecks)",
		Long: `health asks the node at --node for its status and exits 0 when it answers
within --timeout, has a block at --min-height or above, and (with
--max-block-age) its latest block is recent; otherwise it prints why and exits
3 when the node does not answer, 4 when it answers but is behind. Container
healthchecks use it: a FROM-scratch image has no shell or curl.`,
		Example: `  traceledger node health --node http://127.0.0.1:26657`,
		Args:    cobra.NoArgs,
		RunE: output.run(func(cmd *cobra.Command, _ []string) error {
			nodeURL, err := normalizeNodeURL("--node", nodeURL)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			s := testnet.QueryStatus(ctx, "node", nodeURL)
			var problems []string
			switch {
			case !s.Up:
				problems = append(problems, "not answering: "+s.Error)
			case s.Height < minHeight:
				problems = append(problems, fmt.Sprintf("height %d is below %d", s.Height, minHeight))
			case maxAge > 0 && time.Since(s.BlockTime) > maxAge:
				problems = append(problems, fmt.Sprintf("latest block %d is %s old", s.Height, time.Since(s.BlockTime).Round(time.Second)))
			}
			res := struct {
				Healthy  bool     `json:"healthy"`
				Problems []string `json:"problems,omitempty"`
				testnet.NodeStatus
			}{len(problems) == 0, problems, s}
			if err := output.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				if res.Healthy {
					fmt.Fprintf(w, "healthy: height %d, %d peers, app hash %s\n", s.Height, s.Peers, s.AppHash)
					if s.StateSyncedFrom > 0 {
						fmt.Fprintf(w, "state-synced from the snapshot at height %d: blocks from %d on are stored here, earlier ones only on the nodes that replayed them\n", s.StateSyncedFrom, s.EarliestHeight)
					}
				} else {
					fmt.Fprintf(w, "unhealthy: %s\n", strings.Join(problems, "; "))
				}
			}); err != nil {
				return err
			}
			switch {
			case !s.Up:
				return withCode(exitUnreachable, fmt.Errorf("node %s is unhealthy: not answering: %s", nodeURL, s.Error))
			case !res.Healthy:
				return negative("node %s is unhealthy: %s", nodeURL, strings.Join(problems, "; "))
			}
			return nil
		}),
	}
	addNodeFlag(cmd, &nodeURL)
	cmd.Flags().DurationVar(&maxAge, "max-block-age", 0, "unhealthy if the latest block is older than this (0: no limit)")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "give up after this long")
	cmd.Flags().Int64Var(&minHeight, "min-height", 1, "unhealthy below this height")
	output.add(cmd)
	return cmd
}
