// SPDX-License-Identifier: Apache-2.0

package client_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"net"
	"testing"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/light"
	lighthttp "github.com/cometbft/cometbft/light/provider/http"
	"github.com/cometbft/cometbft/types"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/genesis"
	"github.com/traceledger/traceledger/node"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// startNode runs a one-department node in-process with one enterprise and
// returns its RPC URL, genesis and the enterprise's key.
func startNode(t *testing.T) (string, *types.GenesisDoc, ed25519.PrivateKey) {
	t.Helper()
	home := t.TempDir()
	adminPub, _, _ := ed25519.GenerateKey(rand.Reader)
	farmPub, farmKey, _ := ed25519.GenerateKey(rand.Reader)
	addrs := make([]string, 2)
	for i := range addrs {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addrs[i] = l.Addr().String()
		l.Close()
	}
	doc, err := node.Init(home, node.InitOptions{
		ChainID:    "traceledger-client-test",
		Department: genesis.Department{ID: "agri", Name: "Agriculture", AdminKeys: [][]byte{adminPub}},
		Participants: []genesis.Participant{{ID: "farm", Name: "Farm", Role: "enterprise", Department: "agri",
			CreditCode: "91520100MA6DKQ1X3R", Keys: [][]byte{farmPub}}},
		Configure: func(c *cfg.Config) {
			c.RPC.ListenAddress = "tcp://" + addrs[0]
			c.P2P.ListenAddress = "tcp://" + addrs[1]
			c.Consensus.TimeoutCommit = 100 * time.Millisecond
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	conf, err := node.LoadConfig(home)
	if err != nil {
		t.Fatal(err)
	}
	n, err := node.New(context.Background(), conf, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Stop() })
	return "http://" + addrs[0], doc, farmKey
}

// TestHeaderTamperingFails: every header field, flipped by one byte, and
// every byte of the commit signature makes CometBFT's light verification
// (from the genesis validator set, and adjacent for the next header) fail,
// while the honest headers pass.
func TestHeaderTamperingFails(t *testing.T) {
	url, doc, _ := startNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := client.New(url, doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitForHeight(ctx, 3); err != nil {
		t.Fatal(err)
	}
	p, err := lighthttp.New(doc.ChainID, url)
	if err != nil {
		t.Fatal(err)
	}
	lb1, err := p.LightBlock(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	lb2, err := p.LightBlock(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := client.CheckGenesisLightBlock(doc, lb1); err != nil {
		t.Fatalf("honest first block: %v", err)
	}
	verifyNext := func(lb *types.LightBlock) error {
		return light.VerifyAdjacent(lb1.SignedHeader, lb.SignedHeader, lb.ValidatorSet, client.TrustingPeriod, time.Now(), 10*time.Second)
	}
	if err := verifyNext(lb2); err != nil {
		t.Fatalf("honest second block: %v", err)
	}

	// flip changes one byte of a hash field; an empty one (e.g. the last
	// block id of height 1) gets one byte instead.
	flipIn := func(p *[]byte) {
		if len(*p) == 0 {
			*p = []byte{1}
			return
		}
		(*p)[len(*p)/2] ^= 0x01
	}
	mutations := map[string]func(h *types.Header){
		"chain_id":             func(h *types.Header) { h.ChainID += "x" },
		"height":               func(h *types.Header) { h.Height++ },
		"time":                 func(h *types.Header) { h.Time = h.Time.Add(time.Millisecond) },
		"last_block_id":        func(h *types.Header) { flipIn((*[]byte)(&h.LastBlockID.Hash)) },
		"last_commit_hash":     func(h *types.Header) { flipIn((*[]byte)(&h.LastCommitHash)) },
		"data_hash":            func(h *types.Header) { flipIn((*[]byte)(&h.DataHash)) },
		"validators_hash":      func(h *types.Header) { flipIn((*[]byte)(&h.ValidatorsHash)) },
		"next_validators_hash": func(h *types.Header) { flipIn((*[]byte)(&h.NextValidatorsHash)) },
		"consensus_hash":       func(h *types.Header) { flipIn((*[]byte)(&h.ConsensusHash)) },
		"app_hash":             func(h *types.Header) { flipIn((*[]byte)(&h.AppHash)) },
		"last_results_hash":    func(h *types.Header) { flipIn((*[]byte)(&h.LastResultsHash)) },
		"evidence_hash":        func(h *types.Header) { flipIn((*[]byte)(&h.EvidenceHash)) },
		"proposer_address":     func(h *types.Header) { flipIn((*[]byte)(&h.ProposerAddress)) },
	}
	for name, mutate := range mutations {
		for _, tc := range []struct {
			height int64
			check  func(*types.LightBlock) error
		}{{1, func(lb *types.LightBlock) error { return client.CheckGenesisLightBlock(doc, lb) }}, {2, verifyNext}} {
			lb, _ := p.LightBlock(ctx, tc.height) // a fresh copy
			mutate(lb.Header)
			if err := tc.check(lb); err == nil {
				t.Errorf("header %d with %s changed verified", tc.height, name)
			}
		}
	}
	for _, h := range []int64{1, 2} {
		base, _ := p.LightBlock(ctx, h)
		for i := range base.Commit.Signatures[0].Signature {
			lb, _ := p.LightBlock(ctx, h)
			lb.Commit.Signatures[0].Signature[i] ^= 0x80
			var err error
			if h == 1 {
				err = client.CheckGenesisLightBlock(doc, lb)
			} else {
				err = verifyNext(lb)
			}
			if err == nil {
				t.Fatalf("header %d with signature byte %d flipped verified", h, i)
			}
		}
	}
	// A genesis with another validator set is not a trust root for this chain.
	other := *doc
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	other.Validators = []types.GenesisValidator{{PubKey: edPub(pub), Power: 10}}
	if err := client.CheckGenesisLightBlock(&other, lb1); err == nil {
		t.Fatal("first block verified against a different genesis validator set")
	}
}

// TestSubmitQueryVerify: a real node, a committed event, and its history and
// record read back verified; an unknown lot is proven absent.
func TestSubmitQueryVerify(t *testing.T) {
	url, doc, farm := startNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := client.New(url, doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitForHeight(ctx, 1); err != nil {
		t.Fatal(err)
	}
	lot := "urn:epc:class:lgtin:6901234.500012.T1"
	sum := sha256.Sum256([]byte("payload"))
	msg := &tlv1.Msg{Sum: &tlv1.Msg_RecordEvent{RecordEvent: &tlv1.RecordEvent{Subject: lot, EventType: "harvest", EventTimeMs: time.Now().UnixMilli(), PayloadSha256: sum[:]}}}
	res, err := c.Submit(ctx, client.Signer{Key: farm}, msg)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Indexes) != 1 {
		t.Fatalf("committed record indexes %v", res.Indexes)
	}
	h, proven, err := c.History(ctx, lot)
	if err != nil {
		t.Fatal(err)
	}
	if h.Head == nil || h.Head.Count != 1 || h.Records[0].Index != res.Indexes[0] {
		t.Fatalf("history %+v", h)
	}
	if proven.Header == nil || proven.Header.Height != proven.Height+1 {
		t.Fatalf("proven by header %v for height %d", proven.Header, proven.Height)
	}
	r, _, err := c.Record(ctx, res.Indexes[0])
	if err != nil {
		t.Fatal(err)
	}
	if r.Record.GetEvent().GetSubject() != lot {
		t.Fatalf("record %+v", r.Record)
	}
	if h, _, err := c.History(ctx, lot+"-unknown"); err != nil || h.Head != nil {
		t.Fatalf("unknown lot: %v %+v", err, h)
	}
	// A replayed transaction is refused by the network with its code.
	replay := &tlv1.Msg{Sum: &tlv1.Msg_RecordEvent{RecordEvent: &tlv1.RecordEvent{Subject: lot + "-2", EventType: "harvest", EventTimeMs: time.Now().UnixMilli(), PayloadSha256: sum[:]}}}
	seqTx, _ := client.BuildTx(doc.ChainID, client.Signer{Key: farm}, 0, replay)
	br, err := c.RPC().BroadcastTxSync(ctx, seqTx)
	if err != nil {
		t.Fatal(err)
	}
	if br.Code != 6 { // sequence_replayed
		t.Fatalf("replayed tx: code %d %s", br.Code, br.Log)
	}
}
