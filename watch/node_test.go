// SPDX-License-Identifier: Apache-2.0

package watch

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/types"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/epcis"
	"github.com/traceledger/traceledger/genesis"
	"github.com/traceledger/traceledger/node"
	"github.com/traceledger/traceledger/proof"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// testNet is a real single-department node with a farm and a shop in two
// divisions.
type testNet struct {
	c                 *client.Client
	doc               *types.GenesisDoc
	admin, farm, shop client.Signer
	url               string
	stop              func()
	ctx               context.Context
	t                 testing.TB
	lotSeq            int
}

func startNet(t testing.TB, ctx context.Context) *testNet {
	t.Helper()
	home := filepath.Join(t.TempDir(), "node")
	adminPub, adminKey, _ := ed25519.GenerateKey(rand.Reader)
	farmPub, farmKey, _ := ed25519.GenerateKey(rand.Reader)
	shopPub, shopKey, _ := ed25519.GenerateKey(rand.Reader)
	rpcAddr, p2pAddr := freeAddr(t), freeAddr(t)
	doc, err := node.Init(home, node.InitOptions{
		ChainID:    "traceledger-watch-test",
		Department: genesis.Department{ID: "agri", Name: "Agriculture", AdminKeys: [][]byte{adminPub}},
		Participants: []genesis.Participant{
			{ID: "farm", Name: "Farm", Role: "enterprise", Department: "agri", CreditCode: "91520100MA6DKQ1X3R", DivisionCode: "520102", Keys: [][]byte{farmPub}},
			{ID: "shop", Name: "Shop", Role: "enterprise", Department: "agri", CreditCode: "91350100M000100Y43", DivisionCode: "520302", Keys: [][]byte{shopPub}},
		},
		Configure: func(c *cfg.Config) {
			c.RPC.ListenAddress = "tcp://" + rpcAddr
			c.P2P.ListenAddress = "tcp://" + p2pAddr
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
	nd, err := node.New(ctx, conf, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := nd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nd.Stop() })
	n := &testNet{doc: doc, url: "http://" + rpcAddr, admin: client.Signer{Key: adminKey}, farm: client.Signer{Key: farmKey}, shop: client.Signer{Key: shopKey}, ctx: ctx, t: t}
	if n.c, err = client.New(n.url, doc); err != nil {
		t.Fatal(err)
	}
	if err := n.c.WaitForHeight(ctx, 2); err != nil {
		t.Fatal(err)
	}
	return n
}

func (n *testNet) event(s client.Signer, subject, step string) {
	n.t.Helper()
	n.lotSeq++
	sum := sha256.Sum256(fmt.Appendf(nil, "payload %d %d", n.lotSeq, time.Now().UnixNano()))
	if _, err := n.c.Submit(n.ctx, s, &tlv1.Msg{Sum: &tlv1.Msg_RecordEvent{RecordEvent: &tlv1.RecordEvent{Subject: subject, EventType: step,
		EventTimeMs: time.Now().UnixMilli(), PayloadSha256: sum[:]}}}); err != nil {
		n.t.Fatalf("record %s of %s: %v", step, subject, err)
	}
}

// TestWatchRealNode: the watcher on a real node raises movement-after-
// recall and suspended-upstream alerts whose evidence verifies on its own
// (each record's proof against its roots, the roots against a header the
// light client checks), resumes from its state, and lists the suspension.
func TestWatchRealNode(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	n := startNet(t, ctx)
	const lot, clean = "urn:epc:class:lgtin:6901234.500012.WLOT1", "urn:epc:class:lgtin:6901234.500012.WLOT2"
	n.event(n.farm, lot, "harvesting")
	n.event(n.farm, clean, "harvesting")
	n.event(n.shop, lot, "receiving") // before the recall: no alert
	if _, err := n.c.InitiateRecall(ctx, n.admin, &tlv1.InitiateRecall{Id: "W-1", Enterprise: "farm", Lots: []string{lot}, Reason: "residue",
		Hazard: "pesticide residue", Level: tlv1.RECALL_LEVEL_1, PeriodFromMs: 1, PeriodUntilMs: time.Now().UnixMilli()}); err != nil {
		t.Fatalf("recall: %v", err)
	}
	n.event(n.shop, lot, "retail_selling")   // after the recall: alert
	n.event(n.shop, clean, "retail_selling") // not recalled: no alert

	rs, err := ParseRuleSet([]byte(DefaultRuleSet))
	if err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(t.TempDir(), "watch.json")
	var lines bytes.Buffer
	m := NewMetrics()
	w, err := New(Config{Rules: rs, ChainID: n.doc.ChainID, StatePath: state, Alerts: &lines, Metrics: m, Batch: 4}, NewClientSource(n.c))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := w.Step(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var recallAlerts []*Alert
	for _, a := range rep.Alerts {
		if a.Rule == "recall-movement" {
			recallAlerts = append(recallAlerts, a)
		}
	}
	if len(recallAlerts) != 1 || recallAlerts[0].Enterprise != "shop" || recallAlerts[0].Division != "520302" {
		t.Fatalf("recall alerts %+v (all: %d)", recallAlerts, len(rep.Alerts))
	}
	checkEvidence(t, ctx, n.c, recallAlerts[0])

	// The department suspends the farm; the shop sells the clean lot
	// (the farm's product) again: suspended upstream.
	if _, err := n.c.Suspend(ctx, n.admin, "farm", "fraud"); err != nil {
		t.Fatal(err)
	}
	n.event(n.shop, clean, "retail_selling")
	w2, err := New(Config{Rules: rs, ChainID: n.doc.ChainID, StatePath: state, Alerts: &lines}, NewClientSource(n.c))
	if err != nil {
		t.Fatal(err)
	}
	rep2, err := w2.Step(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep2.From != rep.To {
		t.Fatalf("resumed from %d, the first run ended at %d", rep2.From, rep.To)
	}
	var susp *Alert
	for _, a := range rep2.Alerts {
		if a.Rule == "recall-movement" {
			t.Fatalf("a resumed watcher raised a recall alert again: %s", a.Message)
		}
		if a.Rule == "suspended-upstream" {
			susp = a
		}
	}
	if cc, _ := epcis.CanonicalIdentifier(clean); susp == nil || susp.Enterprise != "farm" || susp.Subjects[0] != cc {
		for _, a := range rep2.Alerts {
			t.Logf("alert %s: %s", a.Rule, a.Message)
		}
		t.Fatalf("no suspended-upstream alert about the farm")
	}
	checkEvidence(t, ctx, n.c, susp)
	bl := w2.Snapshot().Blacklist()
	if len(bl) != 1 || bl[0].Enterprise != "farm" || !bl[0].Suspended {
		t.Fatalf("blacklist %+v", bl)
	}
	if got := strings.Count(lines.String(), "\n"); got != len(rep.Alerts)+len(rep2.Alerts) {
		t.Fatalf("%d alert lines for %d alerts", got, len(rep.Alerts)+len(rep2.Alerts))
	}
}

// checkEvidence verifies an alert's evidence as a department would,
// without the watcher: every record's proof against its roots, the roots
// against a header its own light client verifies.
func checkEvidence(t *testing.T, ctx context.Context, c *client.Client, a *Alert) {
	t.Helper()
	if len(a.Evidence.Records) == 0 {
		t.Fatalf("alert %s has no evidence", a.ID)
	}
	for _, er := range a.Evidence.Records {
		var pr tlv1.ProvenRecord
		if err := pr.Unmarshal(er.Proof); err != nil {
			t.Fatalf("record %d: proof does not decode: %v", er.Index, err)
		}
		roots := er.Roots.StateRoots()
		vr, err := proof.VerifyRecord(roots, &pr)
		if err != nil || vr.Index != er.Index || !bytes.Equal(vr.LeafHash[:], er.LeafHash) {
			t.Fatalf("record %d (%s): %v", er.Index, er.Role, err)
		}
		if _, err := c.VerifyAnswerRoots(ctx, roots, roots.Height); err != nil {
			t.Fatalf("record %d: roots at %d: %v", er.Index, roots.Height, err)
		}
		// A tampered proof fails.
		bad := *roots
		bad.LogSize++
		if _, err := proof.VerifyRecord(&bad, &pr); err == nil {
			t.Fatalf("record %d verifies against wrong roots", er.Index)
		}
	}
}
