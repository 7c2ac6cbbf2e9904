// SPDX-License-Identifier: Apache-2.0

package main

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	cmtflags "github.com/cometbft/cometbft/libs/cli/flags"
	"github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/types"
	"github.com/spf13/cobra"

	"github.com/traceledger/traceledger/app"
	"github.com/traceledger/traceledger/client/keyring"
	"github.com/traceledger/traceledger/genesis"
	"github.com/traceledger/traceledger/node"
)

func newInitCmd() *cobra.Command {
	var (
		home, chainID, deptID, deptName, division string
		rpcAddr, p2pAddr, genesisFile             string
		enterprises, peers, rpcs                  []string
		stateSync                                 bool
		pass                                      passphraseFlags
		out                                       outputFlag
	)
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create a home for a one-department network: config, validator key, admin key, genesis",
		Long: `init creates --home with CometBFT's configuration, a node key and a validator
key, an encrypted admin key for the department in the keyring (<home>/keys), and
a genesis file in which the department is the only validator.

Each --enterprise ID,NAME,CREDIT_CODE registers an enterprise supervised by the
department and creates its signing key (named ID) in the keyring, so that
'traceledger tx record --from ID' works at once. All keys share the passphrase
given once here.

init is all or nothing: everything is checked first (ids, names, credit and
division codes, addresses), the home is built in a temporary directory beside
--home and renamed into place only when complete; a failed init leaves nothing
behind, so the corrected command can simply be run again. --home must not exist
or be an empty directory.

--peers ID@HOST:PORT,... sets the node's persistent peers (the node ids are in
the output of init, -o json: "peer").

A network of several departments founded together: each department runs init
(its keys and validator key; the genesis it writes is provisional), one of them
builds the shared genesis with 'traceledger genesis new' and 'genesis
add-department --validator-home/--admin-home' (or the keys 'node
show-validator' and 'keys show' print), every department checks it ('genesis
validate', 'genesis hash'), and then each runs init again with --genesis FILE
--peers ...: on a home that was never started this replaces the provisional
genesis by FILE and sets the peers; on a new home it creates a node (keys
included) that joins FILE's network, as a non-validator until a proposal adds
its validator key. init says which role the home's validator key has in FILE.
For a local test network use 'traceledger testnet init' instead.`,
		Example: `  traceledger init --home ./agri --chain-id province-trace-1 --department agri \
      --enterprise farm1,"Green Valley Farm",91520100MA6DKQ1X3R
  traceledger start --home ./agri

  traceledger init --home ./agri --genesis genesis.json \
      --peers 0f3c...9a1b@market.example.org:26656,77aa...02cd@drug.example.org:26656`,
		Args: cobra.NoArgs,
		RunE: out.run(func(cmd *cobra.Command, _ []string) error {
			if err := checkPeers(peers); err != nil {
				return err
			}
			if genesisFile != "" {
				return initJoin(cmd, &out, joinOptions{home: home, genesis: genesisFile, peers: peers, rpcAddr: rpcAddr, p2pAddr: p2pAddr,
					department: deptID, adminKey: cmd.Flags().Changed("department"), enterprises: len(enterprises) > 0, pass: pass,
					stateSync: stateSync, rpcs: rpcs})
			}
			if stateSync {
				return &usageError{cmd: cmd.CommandPath(), err: errors.New("--state-sync joins an existing network: give its --genesis FILE (and --peers)")}
			}
			var parts []genesis.Participant
			var names []string
			for _, e := range enterprises {
				f := strings.Split(e, ",")
				if len(f) != 3 {
					return fmt.Errorf("--enterprise %q: want ID,NAME,CREDIT_CODE", e)
				}
				parts = append(parts, genesis.Participant{ID: f[0], Name: f[1], Role: "enterprise", Department: deptID, CreditCode: f[2], DivisionCode: division})
				names = append(names, f[0])
			}
			dept := genesis.Department{ID: deptID, Name: deptName, DivisionCode: division}
			configure := func(c *cfg.Config) {
				c.RPC.ListenAddress = rpcAddr
				c.P2P.ListenAddress = p2pAddr
				c.P2P.PersistentPeers = strings.Join(peers, ",")
				c.Moniker = deptID
			}
			// Everything that can be checked is checked before a file is written.
			if err := checkInit(home, chainID, dept, parts, configure); err != nil {
				return err
			}
			pw, err := keyring.ReadPassphrase(cmd.Context(), pass.source("Passphrase for the new keys: ", true))
			if err != nil {
				return err
			}
			var admin keyring.Info
			var doc *types.GenesisDoc
			err = buildHome(home, func(dir string) error {
				kr, err := keyring.Open(keyring.Dir(dir))
				if err != nil {
					return err
				}
				if admin, err = kr.Add(deptID+"-admin", pw); err != nil {
					return err
				}
				for i, n := range names {
					info, err := kr.Add(n, pw)
					if err != nil {
						return err
					}
					parts[i].Keys = [][]byte{info.PublicKey}
				}
				dept.AdminKeys = [][]byte{ed25519.PublicKey(admin.PublicKey)}
				doc, err = node.Init(dir, node.InitOptions{ChainID: chainID, Department: dept, Participants: parts, Configure: configure})
				return err
			})
			if err != nil {
				return err
			}
			h, err := genesis.Hash(doc)
			if err != nil {
				return err
			}
			rpcURL, _ := rpcFromHome(home)
			id, err := homeNodeID(home)
			if err != nil {
				return err
			}
			view := map[string]any{"home": home, "chain_id": chainID, "department": deptID, "admin_key": admin.Name, "admin_key_id": admin.KeyID,
				"enterprises": names, "genesis_hash": h, "rpc": rpcURL, "node_id": id, "peer": peerAddress(id, p2pAddr)}
			if names == nil {
				view["enterprises"] = []string{}
			}
			return out.print(cmd.OutOrStdout(), view, func(w io.Writer) {
				fmt.Fprintf(w, "initialised %s\n  chain id     %s\n  department   %s (admin key %s, id %s)\n  enterprises  %s\n  genesis hash %s\nnext: traceledger start --home %s\n",
					home, chainID, deptID, admin.Name, admin.KeyID, strings.Join(names, ", "), h, home)
			})
		}),
	}
	addHomeFlag(cmd, &home)
	cmd.Flags().StringVar(&chainID, "chain-id", "traceledger-local", "network (chain) id")
	cmd.Flags().StringVar(&deptID, "department", "agri", "id of the founding department")
	cmd.Flags().StringVar(&deptName, "department-name", "Department of Agriculture and Rural Affairs", "name of the founding department")
	cmd.Flags().StringVar(&division, "division", "520000", "6-digit administrative division code")
	cmd.Flags().StringArrayVar(&enterprises, "enterprise", nil, "register an enterprise: ID,NAME,CREDIT_CODE (repeatable)")
	cmd.Flags().StringVar(&rpcAddr, "rpc-laddr", "tcp://127.0.0.1:26657", "RPC listen address")
	cmd.Flags().StringVar(&p2pAddr, "p2p-laddr", "tcp://127.0.0.1:26656", "P2P listen address")
	cmd.Flags().StringVar(&genesisFile, "genesis", "", "join the network of this genesis file (built with 'traceledger genesis new|add-department') instead of founding a one-department network")
	cmd.Flags().StringSliceVar(&peers, "peers", nil, "persistent peers, ID@HOST:PORT, comma-separated")
	cmd.Flags().BoolVar(&stateSync, "state-sync", false, "with --genesis: join by state sync from a snapshot (docs/SNAPSHOTS.md) instead of replaying every block")
	cmd.Flags().StringSliceVar(&rpcs, "rpc", nil, "with --state-sync: two or more RPC URLs of the network's nodes, comma-separated; the trust height and hash come from their latest header, verified from the genesis")
	pass.add(cmd)
	out.add(cmd)
	return cmd
}

// checkInit checks what init would write before anything is written: the
// home is free, the node configuration is valid, and the genesis state
// (with stand-in keys) passes every genesis rule and the state machine's.
func checkInit(home, chainID string, dept genesis.Department, parts []genesis.Participant, configure func(*cfg.Config)) error {
	if err := checkFreeHome(home); err != nil {
		return err
	}
	conf := node.DefaultConfig()
	configure(conf)
	if err := conf.ValidateBasic(); err != nil {
		return fmt.Errorf("invalid node configuration: %w", err)
	}
	standIn := func() []byte {
		pub, _, err := ed25519.GenerateKey(nil)
		if err != nil {
			panic(err) // the system's random source failed
		}
		return pub
	}
	d := dept
	d.ValidatorPubKey, d.AdminKeys, d.Power = standIn(), [][]byte{standIn()}, 10
	ps := make([]genesis.Participant, len(parts))
	for i, p := range parts {
		p.Keys = [][]byte{standIn()}
		ps[i] = p
	}
	st := genesis.AppState{Departments: []genesis.Department{d}, Participants: ps, Params: genesis.DefaultParams()}
	doc, err := genesis.NewDoc(chainID, time.Now().UTC(), st)
	if err != nil {
		return err
	}
	full, err := genesis.AppStateFrom(doc)
	if err != nil {
		return err
	}
	return app.ValidateGenesisState(*full)
}

// checkFreeHome refuses a home that exists and is not an empty directory.
func checkFreeHome(home string) error {
	entries, err := os.ReadDir(home)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("--home %s: %w", home, err)
	case len(entries) > 0:
		return fmt.Errorf("--home %s already exists and is not empty: choose another --home, or remove it", home)
	}
	return nil
}

// buildHome runs build on a new temporary directory beside home and renames
// it to home when build succeeds; on any failure the temporary directory is
// removed and home is left as it was.
func buildHome(home string, build func(dir string) error) (err error) {
	if err := checkFreeHome(home); err != nil {
		return err
	}
	parent := filepath.Dir(filepath.Clean(home))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(home)+".init-")
	if err != nil {
		return fmt.Errorf("create a temporary home beside %s: %w", home, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err := build(tmp); err != nil {
		return err
	}
	if err := os.Remove(home); err != nil && !errors.Is(err, fs.ErrNotExist) { // an empty directory
		return fmt.Errorf("replace the empty directory %s: %w", home, err)
	}
	if err := os.Rename(tmp, home); err != nil {
		return fmt.Errorf("move the new home into place: %w", err)
	}
	return nil
}

func newStartCmd() *cobra.Command {
	var home, logLevel, apiAddr string
	var up upgradeStartFlags
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Run the node in the foreground until interrupted",
		Long: `start runs CometBFT and the TraceLedger application in one process, with the
configuration in <home>/config. Blocks are kept forever (they are audit
evidence). Stop it with Ctrl-C or SIGTERM; it shuts down cleanly and a restart
resumes where it stopped.

At a governed software upgrade the node stops by itself at the upgrade height
and exits (code 5) with a message naming the binary it needs (version and
SHA-256; 'traceledger query upgrade' shows the plan); start that binary on the
same home to continue (docs/GOVERNANCE.md, "Software upgrades").`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			conf, err := node.LoadConfig(home)
			if err != nil {
				return err
			}
			logger, err := cmtflags.ParseLogLevel(logLevel, log.NewTMLogger(log.NewSyncWriter(os.Stderr)), "info")
			if err != nil {
				return fmt.Errorf("--log-level: %w", err)
			}
			n, err := node.NewWithOptions(cmd.Context(), conf, logger, up.options())
			if err != nil {
				if isUpgradeError(err) {
					return upgradeStop(err)
				}
				return err
			}
			if err := n.Start(); err != nil {
				n.Stop()
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "node running, RPC %s; Ctrl-C to stop\n", n.RPCAddress())
			if apiAddr != "" {
				stopAPI, err := startNodeAPI(cmd, home, apiAddr)
				if err != nil {
					n.Stop()
					return err
				}
				defer stopAPI()
			}
			select {
			case <-cmd.Context().Done():
			case <-n.Halted():
				fmt.Fprintf(cmd.ErrOrStderr(), "node halted: %v\n", n.HaltErr())
				// Peers still connected get the decided upgrade block's
				// votes from this node for a moment, so that a peer that
				// had not seen them stops at the height too.
				select {
				case <-cmd.Context().Done():
				case <-time.After(haltGrace):
				}
				fmt.Fprintln(cmd.ErrOrStderr(), "stopping...")
				return errors.Join(upgradeStop(n.HaltErr()), n.Stop())
			}
			fmt.Fprintln(cmd.ErrOrStderr(), "stopping...")
			return n.Stop()
		},
	}
	addHomeFlag(cmd, &home)
	cmd.Flags().StringVar(&logLevel, "log-level", "info", "log level: debug, info, error, or per module (e.g. consensus:info,*:error)")
	cmd.Flags().StringVar(&apiAddr, "api-addr", "", "also serve the HTTP API (docs/API.md) on this loopback HOST:PORT")
	up.add(cmd)
	return cmd
}
