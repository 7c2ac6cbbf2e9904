// SPDX-License-Identifier: Apache-2.0

package main

import (
	"crypto/ed25519"
	"fmt"
	"os"
	"strings"

	cfg "github.com/cometbft/cometbft/config"
	cmtflags "github.com/cometbft/cometbft/libs/cli/flags"
	"github.com/cometbft/cometbft/libs/log"
	"github.com/spf13/cobra"

	"github.com/traceledger/traceledger/client/keyring"
	"github.com/traceledger/traceledger/genesis"
	"github.com/traceledger/traceledger/node"
)

func newInitCmd() *cobra.Command {
	var (
		home, chainID, deptID, deptName, division string
		rpcAddr, p2pAddr                          string
		enterprises                               []string
		pass                                      passphraseFlags
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

For a network of several departments use 'traceledger testnet init' instead.`,
		Example: `  traceledger init --home ./agri --chain-id province-trace-1 --department agri \
      --enterprise farm1,"Green Valley Farm",91520100MA6DKQ1X3R
  traceledger start --home ./agri`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
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
			pw, err := keyring.ReadPassphrase(cmd.Context(), pass.source("Passphrase for the new keys: ", true))
			if err != nil {
				return err
			}
			kr, err := keyring.Open(keyring.Dir(home))
			if err != nil {
				return err
			}
			admin, err := kr.Add(deptID+"-admin", pw)
			if err != nil {
				return err
			}
			for i, n := range names {
				info, err := kr.Add(n, pw)
				if err != nil {
					return err
				}
				parts[i].Keys = [][]byte{info.PublicKey}
			}
			doc, err := node.Init(home, node.InitOptions{
				ChainID:      chainID,
				Department:   genesis.Department{ID: deptID, Name: deptName, AdminKeys: [][]byte{ed25519.PublicKey(admin.PublicKey)}, DivisionCode: division},
				Participants: parts,
				Configure: func(c *cfg.Config) {
					c.RPC.ListenAddress = rpcAddr
					c.P2P.ListenAddress = p2pAddr
					c.Moniker = deptID
				},
			})
			if err != nil {
				return err
			}
			h, err := genesis.Hash(doc)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "initialised %s\n  chain id     %s\n  department   %s (admin key %s, id %s)\n  enterprises  %s\n  genesis hash %s\nnext: traceledger start --home %s\n",
				home, chainID, deptID, admin.Name, admin.KeyID, strings.Join(names, ", "), h, home)
			return nil
		},
	}
	addHomeFlag(cmd, &home)
	cmd.Flags().StringVar(&chainID, "chain-id", "traceledger-local", "network (chain) id")
	cmd.Flags().StringVar(&deptID, "department", "agri", "id of the founding department")
	cmd.Flags().StringVar(&deptName, "department-name", "Department of Agriculture and Rural Affairs", "name of the founding department")
	cmd.Flags().StringVar(&division, "division", "520000", "6-digit administrative division code")
	cmd.Flags().StringArrayVar(&enterprises, "enterprise", nil, "register an enterprise: ID,NAME,CREDIT_CODE (repeatable)")
	cmd.Flags().StringVar(&rpcAddr, "rpc-laddr", "tcp://127.0.0.1:26657", "RPC listen address")
	cmd.Flags().StringVar(&p2pAddr, "p2p-laddr", "tcp://127.0.0.1:26656", "P2P listen address")
	pass.add(cmd)
	return cmd
}

func newStartCmd() *cobra.Command {
	var home, logLevel string
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Run the node in the foreground until interrupted",
		Long: `start runs CometBFT and the TraceLedger application in one process, with the
configuration in <home>/config. Blocks are kept forever (they are audit
evidence). Stop it with Ctrl-C or SIGTERM; it shuts down cleanly and a restart
resumes where it stopped.`,
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
			n, err := node.New(cmd.Context(), conf, logger)
			if err != nil {
				return err
			}
			if err := n.Start(); err != nil {
				n.Stop()
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "node running, RPC %s; Ctrl-C to stop\n", n.RPCAddress())
			<-cmd.Context().Done()
			fmt.Fprintln(cmd.ErrOrStderr(), "stopping...")
			return n.Stop()
		},
	}
	addHomeFlag(cmd, &home)
	cmd.Flags().StringVar(&logLevel, "log-level", "info", "log level: debug, info, error, or per module (e.g. consensus:info,*:error)")
	return cmd
}
