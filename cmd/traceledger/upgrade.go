// SPDX-License-Identifier: Apache-2.0

package main

// Governed software upgrades on the command line: `tx dept propose
// upgrade`, `query upgrade`, and the flags of `start` that pick the
// binary's upgrades (docs/GOVERNANCE.md, "Software upgrades").

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/traceledger/traceledger/app"
	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/node"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
	"github.com/traceledger/traceledger/testnet"
)

// proposeUpgradeCmd is `tx dept propose upgrade`.
func proposeUpgradeCmd() *cobra.Command {
	var height int64
	var sum, binary string
	return proposeCmd("upgrade", "Schedule a software upgrade: every node stops at the height until it runs the new binary", func(f *proposeFlags) {
		f.cmd.Flags().StringVar(&f.name, "name", "", "the upgrade's registered name, e.g. v2 (required)")
		f.cmd.Flags().Int64Var(&height, "height", 0, "the first height the new binary executes (required)")
		f.cmd.Flags().StringVar(&f.number, "version", "", "the new binary's version, as `traceledger version` prints it (required)")
		f.cmd.Flags().StringVar(&sum, "sha256", "", "the new binary's SHA-256, 64 hex digits (or give --binary)")
		f.cmd.Flags().StringVar(&binary, "binary", "", "the new binary's file, to compute --sha256 from")
		f.cmd.Flags().StringVar(&f.reason, "notes", "", "notes for operators: release notes, where to get the binary")
		for _, n := range []string{"name", "height", "version"} {
			f.cmd.MarkFlagRequired(n)
		}
	}, func(f *proposeFlags) (*tlv1.ProposalChange, error) {
		digest, err := upgradeDigest(sum, binary)
		if err != nil {
			return nil, err
		}
		return &tlv1.ProposalChange{Change: &tlv1.ProposalChange_ScheduleUpgrade{ScheduleUpgrade: &tlv1.ScheduleUpgrade{
			Name: f.name, Height: height, Version: f.number, BinarySha256: digest, Notes: f.reason}}}, nil
	})
}

// upgradeDigest is the SHA-256 given in hex, or that of the file.
func upgradeDigest(sum, binary string) ([]byte, error) {
	switch {
	case sum != "" && binary != "":
		return nil, errors.New("give --sha256 or --binary, not both")
	case binary != "":
		f, err := os.Open(binary)
		if err != nil {
			return nil, fmt.Errorf("--binary: %w", err)
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			return nil, fmt.Errorf("--binary: read %s: %w", binary, err)
		}
		return h.Sum(nil), nil
	case sum == "":
		return nil, errors.New("give the new binary's --sha256 (64 hex digits) or --binary FILE")
	}
	b, err := hex.DecodeString(sum)
	if err != nil || len(b) != tlv1.UpgradeSHA256Bytes {
		return nil, fmt.Errorf("--sha256 %q is not 64 hex digits", sum)
	}
	return b, nil
}

// upgradeView is the JSON form of a plan.
func upgradeView(p *tlv1.UpgradePlan) map[string]any {
	u := p.GetUpgrade()
	return map[string]any{"name": u.GetName(), "height": u.GetHeight(), "version": u.GetVersion(),
		"binary_sha256": hex.EncodeToString(u.GetBinarySha256()), "notes": u.GetNotes(),
		"proposal_id": p.GetProposalId(), "scheduled_height": p.GetScheduledHeight()}
}

// newQueryUpgradeCmd is `query upgrade [NAME]`.
func newQueryUpgradeCmd() *cobra.Command {
	var q queryFlags
	cmd := &cobra.Command{
		Use:   "upgrade [NAME]",
		Short: "Show the scheduled software upgrade (or whether upgrade NAME ran), verified",
		Long: `upgrade shows the upgrade the network waits for: its name, height, the new
binary's version and SHA-256, verified against the app hash. With NAME it
shows instead whether that upgrade ran, at which height and app version.
No plan (or an upgrade that did not run) is a verified negative answer: exit 4.`,
		Args: cobra.MaximumNArgs(1),
		RunE: q.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			if len(args) == 1 {
				d, p, err := c.UpgradeDone(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if d == nil {
					if err := q.out.print(cmd.OutOrStdout(), map[string]any{"name": args[0], "done": false, "state_height": p.Height, "verified": true}, func(w io.Writer) {
						fmt.Fprintf(w, "upgrade %s has not run (absence proven)\n", args[0])
						provenLine(w, p)
					}); err != nil {
						return err
					}
					return negative("upgrade %s has not run (absence proven at state height %d)", args[0], p.Height)
				}
				v := upgradeView(d.Plan)
				v["done"], v["done_height"], v["app_version"] = true, d.Height, d.AppVersion
				return q.out.print(cmd.OutOrStdout(), map[string]any{"upgrade": v, "state_height": p.Height, "verified": true}, func(w io.Writer) {
					fmt.Fprintf(w, "upgrade %s ran at height %d: app version %d, binary %s (sha256 %s)\n", args[0], d.Height, d.AppVersion, v["version"], v["binary_sha256"])
					provenLine(w, p)
				})
			}
			plan, p, err := c.UpgradePlan(cmd.Context())
			if err != nil {
				return err
			}
			if plan == nil {
				if err := q.out.print(cmd.OutOrStdout(), map[string]any{"scheduled": false, "state_height": p.Height, "verified": true}, func(w io.Writer) {
					fmt.Fprintln(w, "no upgrade is scheduled (absence proven)")
					provenLine(w, p)
				}); err != nil {
					return err
				}
				return negative("no upgrade is scheduled (absence proven at state height %d)", p.Height)
			}
			v := upgradeView(plan)
			return q.out.print(cmd.OutOrStdout(), map[string]any{"upgrade": v, "scheduled": true, "state_height": p.Height, "verified": true}, func(w io.Writer) {
				fmt.Fprintf(w, "upgrade %s at height %d (proposal %d)\n  binary version %s\n  binary sha256  %s\n", v["name"], v["height"], v["proposal_id"], v["version"], v["binary_sha256"])
				if n := plan.GetUpgrade().GetNotes(); n != "" {
					fmt.Fprintf(w, "  notes          %s\n", n)
				}
				provenLine(w, p)
			})
		}),
	}
	q.add(cmd)
	return cmd
}

// haltGrace is how long `start` keeps a node halted at an upgrade
// connected to its peers before it exits.
const haltGrace = 5 * time.Second

// upgradeStartFlags are the flags of `start` that choose the binary's
// upgrades.
type upgradeStartFlags struct {
	early bool
	test  []string
}

func (u *upgradeStartFlags) add(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&u.early, "upgrade-early", false, "start although a registered upgrade is not due in the next block, to replay older blocks under the old rules (a node that missed an upgrade catching up)")
	cmd.Flags().StringArrayVar(&u.test, "test-upgrade", nil, "register an upgrade NAME with no migration, moving to the next app version (tests and demonstrations of the upgrade procedure)")
	cmd.Flags().MarkHidden("test-upgrade")
}

// options are the node options the flags select.
func (u *upgradeStartFlags) options() node.Options {
	o := node.Options{AllowEarlyUpgradeBinary: u.early}
	for i, n := range u.test {
		o.Upgrades = append(o.Upgrades, app.Upgrade{Name: strings.TrimSpace(n), AppVersion: app.Version + 1 + uint64(i)})
	}
	return o
}

// upgradeStop is the error `start` returns when the node halted for an
// upgrade, or refused to open the state for one.
func upgradeStop(err error) error {
	return &exitError{code: exitUpgrade, err: err}
}

// isUpgradeError reports whether err is the application refusing to go on
// with this binary.
func isUpgradeError(err error) bool {
	var need *app.UpgradeNeededError
	var early *app.UpgradeTooEarlyError
	var tooNew *app.StateTooNewError
	return errors.As(err, &need) || errors.As(err, &early) || errors.As(err, &tooNew)
}

// newTestnetUpgradeCmd is `testnet upgrade DIR --name NAME`.
func newTestnetUpgradeCmd() *cobra.Command {
	var (
		name    string
		in      int64
		timeout time.Duration
		output  outputFlag
	)
	cmd := &cobra.Command{
		Use:   "upgrade DIR",
		Short: "Drive a governed software upgrade of a running loopback network",
		Long: `upgrade schedules the software upgrade --name at the current height plus --in
by a proposal the validators pass, waits until the nodes stop at that height
(each naming the binary it needs), and starts them again as the new binary:
for a test network the same executable with --test-upgrade NAME, which DIR
remembers (DIR/upgrades.json) for every later 'testnet start'. It returns
when every node has passed the height (docs/GOVERNANCE.md, "Software
upgrades").`,
		Example: `  traceledger testnet upgrade ./net --name v2 --in 20`,
		Args:    cobra.ExactArgs(1),
		RunE: output.run(func(cmd *cobra.Command, args []string) error {
			nw, r, err := loadNet(args[0])
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			start := time.Now()
			res, err := testnet.Upgrade(ctx, nw, r, name, in)
			if err != nil {
				return err
			}
			took := time.Since(start).Round(10 * time.Millisecond)
			return output.print(cmd.OutOrStdout(), map[string]any{"name": name, "height": res.Height, "proposal_id": res.ProposalID,
				"stopped_by_themselves": res.Stopped, "seconds": took.Seconds()}, func(w io.Writer) {
				fmt.Fprintf(w, "upgrade %s (proposal %d) ran at height %d; %d of %d nodes stopped by themselves there; all run the new binary (%s)\n",
					name, res.ProposalID, res.Height, len(res.Stopped), len(nw.Nodes), took)
			})
		}),
	}
	cmd.Flags().StringVar(&name, "name", "", "the upgrade's name (required)")
	cmd.Flags().Int64Var(&in, "in", 20, "blocks from now to the upgrade height")
	cmd.Flags().DurationVar(&timeout, "timeout", 3*time.Minute, "give up after this long")
	cmd.MarkFlagRequired("name")
	output.add(cmd)
	return cmd
}
