// SPDX-License-Identifier: Apache-2.0

package testnet

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/client/keyring"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Rolling software upgrades of a test network (docs/GOVERNANCE.md,
// "Software upgrades"). A test network's "new binary" is the same
// executable started with --test-upgrade NAME; the network directory
// remembers the upgrades its nodes went through in DIR/upgrades.json, so
// that every later start (Runner.Start, `traceledger testnet start`) runs
// the new binary.

// upgradesFile lists the test upgrades of a network directory.
const upgradesFile = "upgrades.json"

// TestUpgrades returns the test upgrades the network's nodes register.
func TestUpgrades(dir string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, upgradesFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("testnet: %w", err)
	}
	var names []string
	if err := json.Unmarshal(b, &names); err != nil {
		return nil, fmt.Errorf("testnet: %s: %w", upgradesFile, err)
	}
	return names, nil
}

func addTestUpgrade(dir, name string) error {
	names, err := TestUpgrades(dir)
	if err != nil {
		return err
	}
	if slices.Contains(names, name) {
		return nil
	}
	b, err := json.Marshal(append(names, name))
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, upgradesFile), b, 0o644)
}

// startArgs are the arguments every start adds: StartArgs, then the
// network's test upgrades.
func (r *Runner) startArgs() ([]string, error) {
	names, err := TestUpgrades(r.Net.Dir)
	if err != nil {
		return nil, err
	}
	args := slices.Clone(r.StartArgs)
	for _, n := range names {
		if !slices.Contains(args, n) {
			args = append(args, "--test-upgrade", n)
		}
	}
	return args, nil
}

// UpgradeResult is what Upgrade did.
type UpgradeResult struct {
	ProposalID uint64
	Height     int64
	// Stopped are the nodes that stopped by themselves at the height.
	Stopped []string
}

// Upgrade drives a governed upgrade of a running loopback network: the
// validators schedule upgrade name at the current height plus in by
// proposal, every node stops at that height (one that does not within the
// halt grace is stopped), and all are started again as the new binary
// (recorded in DIR/upgrades.json); it returns once every node has passed
// the height.
func Upgrade(ctx context.Context, nw *Network, r *Runner, name string, in int64, kopts ...keyring.Option) (*UpgradeResult, error) {
	vals := nw.Validators()
	if len(vals) == 0 {
		return nil, fmt.Errorf("testnet: %s has no validators", nw.Dir)
	}
	if in < 5 {
		return nil, fmt.Errorf("testnet: --in %d: give the validators 5 blocks or more to vote", in)
	}
	c, err := client.New(vals[0].RPCURL, nw.Genesis)
	if err != nil {
		return nil, err
	}
	h, err := latestHeight(ctx, vals[0].RPCURL)
	if err != nil {
		return nil, err
	}
	res := &UpgradeResult{Height: h + in}
	sum := sha256.Sum256([]byte("traceledger test upgrade " + name))
	proposer, err := nw.AdminKey(vals[0].Name, kopts...)
	if err != nil {
		return nil, err
	}
	res.ProposalID, _, err = c.Propose(ctx, client.Signer{Key: proposer}, &tlv1.SubmitProposal{Title: "test upgrade " + name,
		Change: &tlv1.ProposalChange{Change: &tlv1.ProposalChange_ScheduleUpgrade{ScheduleUpgrade: &tlv1.ScheduleUpgrade{
			Name: name, Height: res.Height, Version: "test-upgrade " + name, BinarySha256: sum[:],
			Notes: "the same binary started with --test-upgrade " + name}}}})
	if err != nil {
		return nil, fmt.Errorf("testnet: propose upgrade %s: %w", name, err)
	}
	for _, v := range vals {
		info, _, err := c.Proposal(ctx, res.ProposalID)
		if err != nil {
			return res, err
		}
		if info.Proposal.GetStatus() != tlv1.PROPOSAL_STATUS_OPEN {
			break
		}
		k, err := nw.AdminKey(v.Name, kopts...)
		if err != nil {
			return res, err
		}
		if _, err := c.Vote(ctx, client.Signer{Key: k}, res.ProposalID, true); err != nil {
			return res, fmt.Errorf("testnet: %s votes on proposal %d: %w", v.Name, res.ProposalID, err)
		}
	}
	// Wait for the first node to stop by itself, then for the halt grace
	// of the others; stop the rest.
	var running []string
	for {
		running = running[:0]
		for _, n := range nw.Nodes {
			if _, up := r.PID(n.Name); up {
				running = append(running, n.Name)
			}
		}
		if len(running) < len(nw.Nodes) {
			break
		}
		select {
		case <-ctx.Done():
			return res, fmt.Errorf("testnet: waiting for the nodes to stop at height %d: %w", res.Height, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
	select {
	case <-ctx.Done():
		return res, ctx.Err()
	case <-time.After(8 * time.Second):
	}
	running = running[:0]
	for _, n := range nw.Nodes {
		if _, up := r.PID(n.Name); up {
			running = append(running, n.Name)
		} else {
			res.Stopped = append(res.Stopped, n.Name)
		}
	}
	if len(running) > 0 {
		if err := r.Stop(ctx, running...); err != nil {
			return res, err
		}
	}
	if err := addTestUpgrade(nw.Dir, name); err != nil {
		return res, err
	}
	if err := r.Start(); err != nil {
		return res, err
	}
	if _, err := WaitHeight(ctx, nw.Nodes, res.Height+1); err != nil {
		return res, fmt.Errorf("testnet: after the upgrade: %w", err)
	}
	return res, nil
}
