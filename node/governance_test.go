// SPDX-License-Identifier: Apache-2.0

package node_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/types"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/client/keyring"
	"github.com/traceledger/traceledger/node"
	"github.com/traceledger/traceledger/node/pvfile"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
	"github.com/traceledger/traceledger/testnet"
)

// cheapKDF keeps key decryption fast in this test (the keys are throwaway).
var cheapKDF = keyring.WithScrypt(1<<10, 8, 1)

// inproc is a node of the test network running in this process.
type inproc struct {
	name string
	n    *node.Node
	rpc  string
	log  *os.File
}

func startNode(t *testing.T, ctx context.Context, info testnet.NodeInfo, logDir string) *inproc {
	t.Helper()
	conf, err := node.LoadConfig(info.Home)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(logDir, info.Name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	logger := log.NewFilter(log.NewTMLogger(log.NewSyncWriter(f)), log.AllowInfo())
	n, err := node.New(ctx, conf, logger)
	if err != nil {
		t.Fatalf("node %s: %v", info.Name, err)
	}
	if err := n.Start(); err != nil {
		t.Fatalf("start %s: %v", info.Name, err)
	}
	return &inproc{name: info.Name, n: n, rpc: info.RPCURL, log: f}
}

func (p *inproc) stop(t *testing.T) {
	t.Helper()
	if p.n == nil {
		return
	}
	if err := p.n.Stop(); err != nil {
		t.Errorf("stop %s: %v", p.name, err)
	}
	p.n = nil
	p.log.Close()
}

// signedBy returns the validator addresses whose commit signatures for
// height h are in the canonical commit.
func signedBy(ctx context.Context, c *client.Client, h int64) (map[string]bool, error) {
	res, err := c.RPC().Commit(ctx, &h)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, s := range res.Commit.Signatures {
		if s.BlockIDFlag == types.BlockIDFlagCommit {
			out[s.ValidatorAddress.String()] = true
		}
	}
	return out, nil
}

func validatorSetAt(ctx context.Context, c *client.Client, h int64) (map[string]int64, error) {
	res, err := c.RPC().Validators(ctx, &h, nil, nil)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, v := range res.Validators {
		out[v.Address.String()] = v.VotingPower
	}
	return out, nil
}

// waitProposal waits until proposal id has left OPEN/PASSED and returns it.
func waitProposal(ctx context.Context, c *client.Client, id uint64) (*tlv1.Proposal, error) {
	for {
		info, _, err := c.Proposal(ctx, id)
		if err == nil && info.Proposal != nil {
			switch info.Proposal.Status {
			case tlv1.PROPOSAL_STATUS_OPEN, tlv1.PROPOSAL_STATUS_PASSED:
			default:
				return info.Proposal, nil
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for proposal %d: %w (last error %v)", id, ctx.Err(), err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func latestHeight(ctx context.Context, c *client.Client) (int64, error) {
	st, err := c.RPC().Status(ctx)
	if err != nil {
		return 0, err
	}
	return st.SyncInfo.LatestBlockHeight, nil
}

// TestDepartmentJoinsAndLeaves runs four departments' nodes in this
// process. A fifth department's node starts as a follower; a proposal adds
// the department with that node's validator key; from two heights after
// the execution its signatures appear in the commits. Then a founding
// department is removed by proposal (the new department voting), its node
// is stopped, and the network keeps committing with the other four.
func TestDepartmentJoinsAndLeaves(t *testing.T) {
	if testing.Short() {
		t.Skip("starts five CometBFT nodes")
	}
	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	logDir := t.TempDir()
	nw, err := testnet.Init(dir, testnet.Options{
		ChainID:        "governance-test",
		Departments:    []string{"agri", "ahv", "drug", "market"},
		Hosts:          testnet.HostsLoopback,
		TimeoutCommit:  200 * time.Millisecond,
		KeyringOptions: []keyring.Option{cheapKDF},
		Configure: func(_ string, c *cfg.Config) {
			c.Consensus.TimeoutPropose = time.Second
			c.Consensus.TimeoutPrevote = 300 * time.Millisecond
			c.Consensus.TimeoutPrecommit = 300 * time.Millisecond
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	nodes := map[string]*inproc{}
	defer func() {
		for _, p := range nodes {
			p.stop(t)
		}
		if t.Failed() {
			for name := range nodes {
				if b, err := os.ReadFile(filepath.Join(logDir, name+".log")); err == nil {
					lines := strings.Split(string(b), "\n")
					if len(lines) > 40 {
						lines = lines[len(lines)-40:]
					}
					t.Logf("--- last log lines of %s:\n%s", name, strings.Join(lines, "\n"))
				}
			}
		}
	}()
	for _, info := range nw.Validators() {
		nodes[info.Name] = startNode(t, ctx, info, logDir)
	}
	agriInfo, _ := nw.Node("agri")
	c, err := client.New(agriInfo.RPCURL, nw.Genesis)
	if err != nil {
		t.Fatal(err)
	}
	admin := map[string]client.Signer{}
	for _, d := range []string{"agri", "ahv", "drug", "market"} {
		k, err := nw.AdminKey(d, cheapKDF)
		if err != nil {
			t.Fatal(err)
		}
		admin[d] = client.Signer{Key: k}
	}
	if err := c.WaitForHeight(ctx, 2); err != nil {
		t.Fatal(err)
	}
	t.Logf("4 departments committing after %s", time.Since(began).Round(time.Millisecond))

	// The fifth department's node: created and started as a follower.
	info5, err := testnet.AddNode(nw, "commerce", cheapKDF)
	if err != nil {
		t.Fatal(err)
	}
	nodes["commerce"] = startNode(t, ctx, info5, logDir)
	conf5, err := node.LoadConfig(info5.Home)
	if err != nil {
		t.Fatal(err)
	}
	pv, err := pvfile.Load(conf5.PrivValidatorKeyFile(), conf5.PrivValidatorStateFile())
	if err != nil {
		t.Fatal(err)
	}
	valPub, err := pv.GetPubKey()
	if err != nil {
		t.Fatal(err)
	}
	// Wait until the follower has caught up, so that it can sign as soon
	// as it is a validator.
	c5, err := client.New(info5.RPCURL, nw.Genesis)
	if err != nil {
		t.Fatal(err)
	}
	for {
		st, err := c5.RPC().Status(ctx)
		if err == nil && !st.SyncInfo.CatchingUp && st.SyncInfo.LatestBlockHeight > 2 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the fifth node did not catch up: %v", err)
		case <-time.After(200 * time.Millisecond):
		}
	}
	t.Logf("fifth node caught up after %s", time.Since(began).Round(time.Millisecond))
	ck, err := nw.AdminKey("commerce", cheapKDF)
	if err != nil {
		t.Fatal(err)
	}
	commerceAdmin := client.Signer{Key: ck}

	// Propose, and vote with three of four departments.
	t0 := time.Now()
	id, _, err := c.Propose(ctx, admin["agri"], &tlv1.SubmitProposal{Title: "admit the commerce department", Change: &tlv1.ProposalChange{
		Change: &tlv1.ProposalChange_AddDepartment{AddDepartment: &tlv1.AddDepartment{
			Id: "commerce", Name: "Department of Commerce", ValidatorPubKey: valPub.Bytes(), Power: testnet.DefaultPower,
			AdminKeys: [][]byte{commerceAdmin.Key.Public().(ed25519.PublicKey)}}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"agri", "ahv", "drug"} {
		if _, err := c.Vote(ctx, admin[d], id, true); err != nil {
			t.Fatalf("vote of %s: %v", d, err)
		}
	}
	p, err := waitProposal(ctx, c, id)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != tlv1.PROPOSAL_STATUS_EXECUTED {
		t.Fatalf("proposal %d: %s %s", id, p.Status, p.Result)
	}
	h := p.ExecutedHeight
	t.Logf("add-department proposal %d executed at height %d, %s after submission", id, h, time.Since(t0).Round(time.Millisecond))

	// CometBFT applies the update at h+2: the validator set, then the
	// commits, contain the new validator.
	addr5 := valPub.Address().String()
	if err := c.WaitForHeight(ctx, h+7); err != nil {
		t.Fatal(err)
	}
	if vs, err := validatorSetAt(ctx, c, h+1); err != nil || vs[addr5] != 0 || len(vs) != 4 {
		t.Fatalf("validator set at %d (before the update takes effect): %v %v", h+1, vs, err)
	}
	signed := 0
	var missed []int64
	for hh := h + 2; hh <= h+6; hh++ {
		vs, err := validatorSetAt(ctx, c, hh)
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) != 5 || vs[addr5] != testnet.DefaultPower {
			t.Fatalf("validator set at %d: %v, want 5 with %s", hh, vs, addr5)
		}
		s, err := signedBy(ctx, c, hh)
		if err != nil {
			t.Fatal(err)
		}
		if s[addr5] {
			signed++
		} else {
			missed = append(missed, hh)
		}
	}
	if signed < 4 {
		t.Fatalf("the new validator signed %d of the 5 commits from height %d (missing at %v)", signed, h+2, missed)
	}
	t.Logf("commerce's validator signed %d of 5 commits at heights %d..%d (%s after submission)", signed, h+2, h+6, time.Since(t0).Round(time.Millisecond))
	vset, _, err := c.Validators(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(vset.Departments) != 5 || vset.TotalPower() != 5*testnet.DefaultPower {
		t.Fatalf("verified validators: %d departments, power %d", len(vset.Departments), vset.TotalPower())
	}
	// The new department governs at once: it registers an enterprise.
	if _, err := c.Register(ctx, commerceAdmin, &tlv1.RegisterParticipant{Id: "wholesale", Name: "Wholesale market", Role: tlv1.ROLE_ENTERPRISE,
		CreditCode: "91520100MA6DKQ1X3R", DivisionCode: "520102", PublicKeys: [][]byte{bytes.Repeat([]byte{7}, 32)}}); err != nil {
		t.Fatalf("commerce registers an enterprise: %v", err)
	}

	// Remove ahv (successor agri): the new department votes too.
	t1 := time.Now()
	ahvInfo, _ := nw.Node("ahv")
	id2, _, err := c.Propose(ctx, admin["market"], &tlv1.SubmitProposal{Title: "remove ahv", Change: &tlv1.ProposalChange{
		Change: &tlv1.ProposalChange_RemoveDepartment{RemoveDepartment: &tlv1.RemoveDepartment{Department: "ahv", Successor: "agri"}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []client.Signer{admin["market"], admin["drug"], commerceAdmin} {
		if _, err := c.Vote(ctx, v, id2, true); err != nil {
			t.Fatalf("vote on removal: %v", err)
		}
	}
	p2, err := waitProposal(ctx, c, id2)
	if err != nil {
		t.Fatal(err)
	}
	if p2.Status != tlv1.PROPOSAL_STATUS_EXECUTED {
		t.Fatalf("removal %d: %s %s", id2, p2.Status, p2.Result)
	}
	h2 := p2.ExecutedHeight
	t.Logf("remove-department proposal %d executed at height %d, %s after submission", id2, h2, time.Since(t1).Round(time.Millisecond))
	var te *client.TxError
	if _, err := c.Register(ctx, admin["ahv"], &tlv1.RegisterParticipant{Id: "late", Name: "Late", Role: tlv1.ROLE_AUDITOR, PublicKeys: [][]byte{bytes.Repeat([]byte{8}, 32)}}); !errors.As(err, &te) || te.Code != 14 {
		t.Fatalf("the removed department's admin signed: %v", err)
	}
	if err := c.WaitForHeight(ctx, h2+2); err != nil {
		t.Fatal(err)
	}
	nodes["ahv"].stop(t)
	stopped, err := latestHeight(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitForHeight(ctx, stopped+5); err != nil {
		t.Fatalf("the network stopped committing after ahv left: %v", err)
	}
	vs, err := validatorSetAt(ctx, c, stopped+5)
	if err != nil {
		t.Fatal(err)
	}
	if _, in := vs[ahvInfo.ValidatorAddress]; in || len(vs) != 4 {
		t.Fatalf("validator set at %d: %v, want 4 without ahv %s", stopped+5, vs, ahvInfo.ValidatorAddress)
	}
	s, err := signedBy(ctx, c, stopped+4)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) < 3 || s[ahvInfo.ValidatorAddress] {
		t.Fatalf("commit at %d signed by %v", stopped+4, s)
	}
	t.Logf("after ahv's node stopped at height %d the network committed to %d with 4 validators; total test time %s",
		stopped, stopped+5, time.Since(began).Round(time.Millisecond))
}
