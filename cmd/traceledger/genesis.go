// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/types"
	"github.com/spf13/cobra"

	"github.com/traceledger/traceledger/app"
	"github.com/traceledger/traceledger/client/keyring"
	"github.com/traceledger/traceledger/genesis"
	"github.com/traceledger/traceledger/node/pvfile"
)

func newGenesisCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "genesis",
		Short: "Build and check the founding genesis document of a network",
		Long: `The founding departments agree on one genesis document: the departments (id,
name, validator public key and power, admin public keys), the quorum and any
participants registered from the start. One department drafts it with 'new',
'add-department' and 'add-participant'; every department checks it with
'validate' and compares 'hash' with the others before starting its node.`,
		Example: `  traceledger genesis new --chain-id province-trace-1 --out genesis.json
  traceledger genesis add-department genesis.json --id agri --name "Agriculture" \
      --validator-home ./agri --admin-home ./agri --admin-name agri-admin
  traceledger genesis add-participant genesis.json --id farm1 --name "Green Valley Farm" \
      --role enterprise --department agri --credit-code 91520100MA6DKQ1X3R --key BASE64KEY
  traceledger genesis validate genesis.json
  traceledger genesis hash genesis.json`,
	}
	cmd.AddCommand(newGenesisNewCmd(), newGenesisAddDepartmentCmd(), newGenesisAddParticipantCmd(), newGenesisValidateCmd(), newGenesisHashCmd())
	return cmd
}

// parseQuorum reads "NUM/DEN".
func parseQuorum(s string) (uint64, uint64, error) {
	a, b, ok := strings.Cut(s, "/")
	num, err1 := strconv.ParseUint(a, 10, 64)
	den, err2 := strconv.ParseUint(b, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("--quorum %q: want NUM/DEN, e.g. 2/3", s)
	}
	if err := genesis.ValidateQuorum(num, den); err != nil {
		return 0, 0, fmt.Errorf("--quorum %s: %w", s, err)
	}
	return num, den, nil
}

func newGenesisNewCmd() *cobra.Command {
	var chainID, out, when, quorum string
	var output outputFlag
	cmd := &cobra.Command{
		Use:   "new",
		Short: "Start a draft genesis document (no departments yet)",
		Args:  cobra.NoArgs,
		RunE: output.run(func(cmd *cobra.Command, _ []string) error {
			t := time.Now().UTC()
			if when != "" {
				var err error
				if t, err = time.Parse(time.RFC3339, when); err != nil {
					return fmt.Errorf("--time must be RFC 3339: %w", err)
				}
			}
			doc, err := genesis.New(chainID, t)
			if err != nil {
				return err
			}
			num, den, err := parseQuorum(quorum)
			if err != nil {
				return err
			}
			st, err := genesis.AppStateFrom(doc)
			if err != nil {
				return err
			}
			st.Params.QuorumNumerator, st.Params.QuorumDenominator = num, den
			if doc.AppState, err = genesis.EncodeAppState(*st); err != nil {
				return err
			}
			if err := genesis.Save(doc, out); err != nil {
				return err
			}
			return output.print(cmd.OutOrStdout(), map[string]any{"file": out, "chain_id": chainID, "genesis_time": t.Format(time.RFC3339),
				"quorum_numerator": num, "quorum_denominator": den}, func(w io.Writer) {
				fmt.Fprintf(w, "wrote draft %s (chain %s, quorum %d/%d); add departments with 'traceledger genesis add-department %s'\n", out, chainID, num, den, out)
			})
		}),
	}
	output.add(cmd)
	cmd.Flags().StringVar(&chainID, "chain-id", "", "network (chain) id (required)")
	cmd.Flags().StringVar(&out, "out", "genesis.json", "file to write")
	cmd.Flags().StringVar(&when, "time", "", "genesis time, RFC 3339 (default now)")
	cmd.Flags().StringVar(&quorum, "quorum", "2/3", "governance quorum NUM/DEN: a proposal passes with more than this fraction of the departments")
	cmd.MarkFlagRequired("chain-id")
	return cmd
}

// editGenesis reads a draft, applies add and saves it.
func editGenesis(path string, add func(doc *types.GenesisDoc) error) error {
	doc, err := genesis.Read(path)
	if err != nil {
		return err
	}
	if err := add(doc); err != nil {
		return err
	}
	return genesis.Save(doc, path)
}

func newGenesisAddDepartmentCmd() *cobra.Command {
	var (
		d                           genesis.Department
		validatorKey, validatorHome string
		adminKeys                   []string
		adminHome, adminName        string
		output                      outputFlag
	)
	cmd := &cobra.Command{
		Use:   "add-department FILE",
		Short: "Add a founding department (and its validator) to a draft",
		Long: `add-department appends a department. Its validator key is --validator-key
(base64 Ed25519, as in priv_validator_key.json) or read from
--validator-home's config/priv_validator_key.json; its admin keys are
--admin-key (base64, repeatable) and/or the public part of --admin-name in
--admin-home's keyring (no passphrase needed). The document must stay valid.`,
		Args: cobra.ExactArgs(1),
		RunE: output.run(func(cmd *cobra.Command, args []string) error {
			switch {
			case validatorKey != "" && validatorHome != "":
				return fmt.Errorf("give --validator-key or --validator-home, not both")
			case validatorKey != "":
				k, err := decodeKey("--validator-key", validatorKey)
				if err != nil {
					return err
				}
				d.ValidatorPubKey = k
			case validatorHome != "":
				conf := cfg.DefaultConfig()
				conf.SetRoot(validatorHome)
				pv, err := pvfile.LoadKey(conf.PrivValidatorKeyFile(), conf.PrivValidatorStateFile())
				if err != nil {
					return err
				}
				pub, err := pv.GetPubKey()
				if err != nil {
					return fmt.Errorf("read %s: %w", conf.PrivValidatorKeyFile(), err)
				}
				d.ValidatorPubKey = pub.Bytes()
			default:
				return fmt.Errorf("give the validator key with --validator-key or --validator-home")
			}
			for _, s := range adminKeys {
				k, err := decodeKey("--admin-key", s)
				if err != nil {
					return err
				}
				d.AdminKeys = append(d.AdminKeys, k)
			}
			if adminName != "" {
				kr, err := keyring.Open(keyring.Dir(adminHome))
				if err != nil {
					return err
				}
				info, err := kr.Show(adminName)
				if err != nil {
					return err
				}
				d.AdminKeys = append(d.AdminKeys, info.PublicKey)
			}
			err := editGenesis(args[0], func(doc *types.GenesisDoc) error { return genesis.AddDepartment(doc, d) })
			if err != nil {
				return err
			}
			return output.print(cmd.OutOrStdout(), map[string]any{"file": args[0], "department": d.ID, "power": d.Power, "admin_keys": len(d.AdminKeys),
				"validator_pub_key": base64.StdEncoding.EncodeToString(d.ValidatorPubKey)}, func(w io.Writer) {
				fmt.Fprintf(w, "added department %s (power %d, %d admin keys) to %s\n", d.ID, d.Power, len(d.AdminKeys), args[0])
			})
		}),
	}
	output.add(cmd)
	cmd.Flags().StringVar(&d.ID, "id", "", "department id (required)")
	cmd.Flags().StringVar(&d.Name, "name", "", "department name (required)")
	cmd.Flags().Int64Var(&d.Power, "power", 10, "validator voting power")
	cmd.Flags().StringVar(&d.DivisionCode, "division", "", "6-digit administrative division code")
	cmd.Flags().StringVar(&validatorKey, "validator-key", "", "validator public key, base64")
	cmd.Flags().StringVar(&validatorHome, "validator-home", "", "node home whose config/priv_validator_key.json holds the validator key")
	cmd.Flags().StringArrayVar(&adminKeys, "admin-key", nil, "admin public key, base64 (repeatable)")
	cmd.Flags().StringVar(&adminHome, "admin-home", defaultHome(), "home whose keyring holds --admin-name")
	cmd.Flags().StringVar(&adminName, "admin-name", "", "name of an admin key in --admin-home's keyring")
	cmd.MarkFlagRequired("id")
	cmd.MarkFlagRequired("name")
	return cmd
}

func newGenesisAddParticipantCmd() *cobra.Command {
	var (
		p      genesis.Participant
		keys   []string
		output outputFlag
	)
	cmd := &cobra.Command{
		Use:   "add-participant FILE",
		Short: "Register an enterprise, certifier or auditor from genesis",
		Args:  cobra.ExactArgs(1),
		RunE: output.run(func(cmd *cobra.Command, args []string) error {
			for _, s := range keys {
				k, err := decodeKey("--key", s)
				if err != nil {
					return err
				}
				p.Keys = append(p.Keys, k)
			}
			if err := editGenesis(args[0], func(doc *types.GenesisDoc) error { return genesis.AddParticipant(doc, p) }); err != nil {
				return err
			}
			return output.print(cmd.OutOrStdout(), map[string]any{"file": args[0], "participant": p.ID, "role": p.Role, "department": p.Department}, func(w io.Writer) {
				fmt.Fprintf(w, "added %s %s (supervised by %s) to %s\n", p.Role, p.ID, p.Department, args[0])
			})
		}),
	}
	output.add(cmd)
	cmd.Flags().StringVar(&p.ID, "id", "", "participant id (required)")
	cmd.Flags().StringVar(&p.Name, "name", "", "name (required)")
	cmd.Flags().StringVar(&p.Role, "role", genesis.RoleEnterprise, "enterprise, certifier or auditor")
	cmd.Flags().StringVar(&p.Department, "department", "", "supervising department id (required)")
	cmd.Flags().StringVar(&p.CreditCode, "credit-code", "", "unified social credit code (enterprises and certifiers)")
	cmd.Flags().StringVar(&p.DivisionCode, "division", "", "6-digit administrative division code")
	cmd.Flags().StringArrayVar(&keys, "key", nil, "public key, base64 (repeatable; at least one)")
	for _, n := range []string{"id", "name", "department", "key"} {
		cmd.MarkFlagRequired(n)
	}
	return cmd
}

func newGenesisValidateCmd() *cobra.Command {
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "validate [FILE]",
		Short: "Check a genesis document against every rule (exit 1 with each problem if it fails)",
		Long: `validate applies the genesis rules (ids, names, keys, powers, credit and
division codes, quorum, and validators that are exactly the departments) and
the state machine's own (credit codes unique, reserved ids), then prints the
hash to compare with the other departments. FILE defaults to
<home>/config/genesis.json.`,
		Args: cobra.MaximumNArgs(1),
		RunE: out.run(func(cmd *cobra.Command, args []string) error {
			path := filepath.Join(defaultHome(), "config", "genesis.json")
			if len(args) == 1 {
				path = args[0]
			}
			doc, st, err := genesis.Load(path)
			if err != nil {
				return err
			}
			if err := app.ValidateGenesisState(*st); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			h, err := genesis.Hash(doc)
			if err != nil {
				return err
			}
			var power int64
			for _, d := range st.Departments {
				power += d.Power
			}
			view := map[string]any{"file": path, "valid": true, "chain_id": doc.ChainID, "departments": len(st.Departments),
				"participants": len(st.Participants), "total_power": power, "quorum_numerator": st.Params.QuorumNumerator,
				"quorum_denominator": st.Params.QuorumDenominator, "hash": h}
			return out.print(cmd.OutOrStdout(), view, func(w io.Writer) {
				fmt.Fprintf(w, "%s is valid: chain %s, %d departments (power %d), %d participants, quorum %d/%d\nhash %s\n",
					path, doc.ChainID, len(st.Departments), power, len(st.Participants), st.Params.QuorumNumerator, st.Params.QuorumDenominator, h)
			})
		}),
	}
	out.add(cmd)
	return cmd
}

func newGenesisHashCmd() *cobra.Command {
	var expect string
	var output outputFlag
	cmd := &cobra.Command{
		Use:   "hash FILE",
		Short: "Print the genesis fingerprint every department compares before starting",
		Long: `hash loads FILE (it must be valid) and prints the lower-case hex SHA-256 of the
document in CometBFT's JSON form without insignificant whitespace (see
genesis.Hash). With --expect, it fails (exit code 2) unless the hash matches.`,
		Args: cobra.ExactArgs(1),
		RunE: output.run(func(cmd *cobra.Command, args []string) error {
			h, err := genesis.HashFile(args[0])
			if err != nil {
				return err
			}
			if expect != "" && !bytes.EqualFold([]byte(expect), []byte(h)) {
				return notVerified(fmt.Errorf("genesis hash of %s is %s, expected %s: do not start the node", args[0], h, expect))
			}
			view := map[string]any{"file": args[0], "hash": h}
			if expect != "" {
				view["matches_expected"] = true
			}
			return output.print(cmd.OutOrStdout(), view, func(w io.Writer) { fmt.Fprintln(w, h) })
		}),
	}
	output.add(cmd)
	cmd.Flags().StringVar(&expect, "expect", "", "fail unless the hash equals this")
	return cmd
}
