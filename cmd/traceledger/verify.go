// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/traceledger/traceledger/genesis"
	"github.com/traceledger/traceledger/proof/bundle"
	"github.com/traceledger/traceledger/proof/light"
)

// trustFlags select a trust root: a genesis file, or a trusted height and
// header hash.
type trustFlags struct {
	genesis string
	height  int64
	hash    string
}

func (t *trustFlags) add(cmd *cobra.Command, genesisHelp string) {
	cmd.Flags().StringVar(&t.genesis, "genesis", "", genesisHelp)
	cmd.Flags().Int64Var(&t.height, "trust-height", 0, "trust the header at this height instead of the genesis validator set (with --trust-hash)")
	cmd.Flags().StringVar(&t.hash, "trust-hash", "", "hash (hex) of the trusted header at --trust-height, from a source you trust")
}

// set reports whether a trusted height or hash was given.
func (t *trustFlags) set() bool { return t.height != 0 || t.hash != "" }

// root builds the trust root: --trust-height/--trust-hash for chainID, or
// the genesis file (defaultGenesis when --genesis is empty).
func (t *trustFlags) root(chainID, defaultGenesis string) (light.TrustRoot, error) {
	if t.set() {
		if t.height <= 0 || t.hash == "" {
			return light.TrustRoot{}, fmt.Errorf("--trust-height and --trust-hash go together")
		}
		if t.genesis != "" {
			return light.TrustRoot{}, fmt.Errorf("give either --genesis or --trust-height/--trust-hash, not both")
		}
		h, err := hex.DecodeString(t.hash)
		if err != nil || len(h) != 32 {
			return light.TrustRoot{}, fmt.Errorf("--trust-hash must be 64 hex digits")
		}
		if chainID == "" {
			return light.TrustRoot{}, fmt.Errorf("the chain id is unknown: pass --chain-id")
		}
		return light.HeightTrustRoot(chainID, t.height, h), nil
	}
	path := t.genesis
	if path == "" {
		path = defaultGenesis
	}
	if path == "" {
		return light.TrustRoot{}, fmt.Errorf("no trust root: pass --genesis FILE, or --trust-height and --trust-hash")
	}
	doc, err := genesis.Read(path)
	if err != nil {
		return light.TrustRoot{}, fmt.Errorf("load genesis (the trust root): %w", err)
	}
	return light.GenesisTrustRoot(doc)
}

func newVerifyCmd() *cobra.Command {
	var (
		trust trustFlags
		out   outputFlag
		now   string
	)
	cmd := &cobra.Command{
		Use:   "verify BUNDLE.json",
		Short: "Verify an offline proof bundle with no network at all",
		Long: `verify checks a proof bundle made by 'traceledger proof export' on its own:

  - the light blocks, from the trust root (--genesis: the genesis validator set;
    or --trust-height/--trust-hash: a header you trust) to header H+1, with
    CometBFT's light-client rules, across validator-set changes;
  - the state roots against the app hash in header H+1;
  - the identifier's head in the authenticated map (or its absence);
  - every record's RFC 6962 inclusion path in the log;
  - completeness: the records rehash to the head's chain hash and count;
  - every further map entry (present or absent).

It prints, per record, what was proven and at which height. Headers are checked
against each other, not against the clock, so an old bundle still verifies;
--now checks them against a given time instead. The format is documented in
docs/proof-bundle.md.

Exit code: 0 only if everything verified; 2 if anything did not; 1 for usage
or file errors.`,
		Args: cobra.ExactArgs(1),
		RunE: out.run(func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			b, err := bundle.Decode(f)
			if err != nil {
				return notVerified(err)
			}
			root, err := trust.root(b.ChainID, "")
			if err != nil {
				return err
			}
			opts := light.HeaderOptions{}
			if now != "" {
				if opts.Now, err = time.Parse(time.RFC3339, now); err != nil {
					return fmt.Errorf("--now: %w", err)
				}
			}
			rep, verr := bundle.Verify(b, root, opts)
			if err := out.print(cmd.OutOrStdout(), rep, func(w io.Writer) { rep.WriteText(w) }); err != nil {
				return err
			}
			if verr != nil {
				return notVerified(fmt.Errorf("bundle %s does not verify: %w", args[0], verr))
			}
			return nil
		}),
	}
	trust.add(cmd, "genesis file: trust starts at the genesis validator set")
	out.add(cmd)
	cmd.Flags().StringVar(&now, "now", "", "check header times against this time (RFC 3339) instead of each other")
	return cmd
}
