// SPDX-License-Identifier: Apache-2.0

package client_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/light"
	lproxy "github.com/cometbft/cometbft/light/proxy"
	lrpc "github.com/cometbft/cometbft/light/rpc"
	dbs "github.com/cometbft/cometbft/light/store/db"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	rpcserver "github.com/cometbft/cometbft/rpc/jsonrpc/server"
	"github.com/cometbft/cometbft/types"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/genesis"
	"github.com/traceledger/traceledger/node"
	"github.com/traceledger/traceledger/proof"
	"github.com/traceledger/traceledger/proof/bundle"
	prooflight "github.com/traceledger/traceledger/proof/light"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

const proofLot = "urn:epc:class:lgtin:6901234.500012.PROOF1"

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// proofNode runs a one-department node in-process with a farm that has
// recorded n events of proofLot (and some of another lot).
func proofNode(t *testing.T, n int) (string, *types.GenesisDoc, *client.Client, ed25519.PrivateKey) {
	t.Helper()
	home := t.TempDir()
	adminPub, _, _ := ed25519.GenerateKey(rand.Reader)
	farmPub, farmKey, _ := ed25519.GenerateKey(rand.Reader)
	rpcAddr, p2pAddr := freeAddr(t), freeAddr(t)
	doc, err := node.Init(home, node.InitOptions{
		ChainID:    "traceledger-proof-test",
		Department: genesis.Department{ID: "agri", Name: "Agriculture", AdminKeys: [][]byte{adminPub}},
		Participants: []genesis.Participant{{ID: "farm", Name: "Farm", Role: "enterprise", Department: "agri",
			CreditCode: "91520100MA6DKQ1X3R", Keys: [][]byte{farmPub}}},
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
	nd, err := node.New(context.Background(), conf, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := nd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nd.Stop() })
	url := "http://" + rpcAddr
	c, err := client.New(url, doc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.WaitForHeight(ctx, 2); err != nil {
		t.Fatal(err)
	}
	record(t, c, farmKey, n)
	return url, doc, c, farmKey
}

// record submits n events of proofLot, every third with an event of
// another lot in the same transaction.
func record(t *testing.T, c *client.Client, key ed25519.PrivateKey, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := 0; i < n; i++ {
		sum := sha256.Sum256(fmt.Appendf(nil, "payload %d %d", i, time.Now().UnixNano()))
		msgs := []*tlv1.Msg{{Sum: &tlv1.Msg_RecordEvent{RecordEvent: &tlv1.RecordEvent{Subject: proofLot, EventType: fmt.Sprintf("step%d", i),
			EventTimeMs: time.Now().Add(-time.Hour).UnixMilli(), PayloadSha256: sum[:]}}}}
		if i%3 == 0 {
			msgs = append(msgs, &tlv1.Msg{Sum: &tlv1.Msg_RecordEvent{RecordEvent: &tlv1.RecordEvent{Subject: proofLot + "-OTHER", EventType: "other",
				EventTimeMs: time.Now().Add(-time.Hour).UnixMilli(), PayloadSha256: sum[:]}}})
		}
		if _, err := c.Submit(ctx, client.Signer{Key: key}, msgs...); err != nil {
			t.Fatal(err)
		}
	}
}

func TestExportBundleVerifiesOffline(t *testing.T) {
	_, doc, c, _ := proofNode(t, 6)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	root, err := prooflight.GenesisTrustRoot(doc)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.ExportBundle(ctx, client.ExportOptions{Identifier: proofLot, Values: []string{"recall/" + proofLot, "participant/farm"}})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := b.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	// Offline: only the document and the genesis validator set.
	decoded, err := bundle.Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := bundle.Verify(decoded, root, prooflight.HeaderOptions{})
	if err != nil {
		t.Fatalf("exported bundle: %v", err)
	}
	if !rep.Complete || rep.Count != 6 || len(rep.Records) != 6 || rep.Header.Height != rep.StateHeight+1 {
		t.Fatalf("report: %+v", rep)
	}
	if len(rep.Values) != 2 || rep.Values[0].Present || !rep.Values[1].Present {
		t.Fatalf("values: %+v", rep.Values)
	}
	// Trust from a later header: the bundle's path must start there.
	top, err := decoded.DecodeLightBlocks()
	if err != nil {
		t.Fatal(err)
	}
	last := top[len(top)-1]
	if _, err := bundle.Verify(decoded, prooflight.HeightTrustRoot(doc.ChainID, last.Height, last.Hash()), prooflight.HeaderOptions{}); err != nil {
		t.Fatalf("trusting the top header: %v", err)
	}
	// Exported from a trusted height: starts there, and a genesis verifier
	// cannot use it (the path does not reach back).
	mid := int64(2)
	rpc := c.RPC()
	cm, err := rpc.Commit(ctx, &mid)
	if err != nil {
		t.Fatal(err)
	}
	hroot := prooflight.HeightTrustRoot(doc.ChainID, mid, cm.SignedHeader.Hash())
	b2, err := c.ExportBundle(ctx, client.ExportOptions{Identifier: proofLot, Trust: hroot})
	if err != nil {
		t.Fatal(err)
	}
	if b2.Trust.Kind != "header" || b2.Trust.Height != mid {
		t.Fatalf("trust: %+v", b2.Trust)
	}
	if _, err := bundle.Verify(b2, hroot, prooflight.HeaderOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.Verify(b2, root, prooflight.HeaderOptions{}); !errors.Is(err, prooflight.ErrHeaderNotTrusted) {
		t.Fatalf("genesis root on a bundle from height %d: %v", mid, err)
	}
	// An unknown identifier exports a proof of absence.
	b3, err := c.ExportBundle(ctx, client.ExportOptions{Identifier: proofLot + "-NONE"})
	if err != nil {
		t.Fatal(err)
	}
	rep3, err := bundle.Verify(b3, root, prooflight.HeaderOptions{})
	if err != nil || rep3.HasHistory || len(rep3.Records) != 0 {
		t.Fatalf("absent identifier: %v %+v", err, rep3)
	}
}

func TestConsistencyFromCheckpoint(t *testing.T) {
	_, _, c, key := proofNode(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, _, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	record(t, c, key, 3)
	cur, p, err := c.Consistency(ctx, st.Roots)
	if err != nil {
		t.Fatal(err)
	}
	if cur.LogSize <= st.Roots.LogSize || p.Header.Height != cur.Height+1 {
		t.Fatalf("checkpoint size %d, now %d at header %d", st.Roots.LogSize, cur.LogSize, p.Header.Height)
	}
	// A checkpoint the chain never had is caught.
	fake := *st.Roots
	fake.LogRoot = bytes.Repeat([]byte{9}, 32)
	if _, _, err := c.Consistency(ctx, &fake); !errors.Is(err, client.ErrNotVerified) {
		t.Fatalf("forged checkpoint: %v", err)
	}
}

// lightProxy runs CometBFT's own light-client proxy (light/proxy with the
// default key-path function and proof runtime, as `cometbft light` does)
// in front of primary, trusting header 1, and returns an RPC client to it.
func lightProxy(t *testing.T, ctx context.Context, doc *types.GenesisDoc, primary, witness string) *rpchttp.HTTP {
	t.Helper()
	direct, err := rpchttp.New(witness, "/websocket")
	if err != nil {
		t.Fatal(err)
	}
	h1 := int64(1)
	cm, err := direct.Commit(ctx, &h1)
	if err != nil {
		t.Fatal(err)
	}
	lc, err := light.NewHTTPClient(ctx, doc.ChainID,
		light.TrustOptions{Period: client.TrustingPeriod, Height: 1, Hash: cm.SignedHeader.Hash()},
		primary, []string{witness}, dbs.New(dbm.NewMemDB(), doc.ChainID),
		light.Logger(log.NewNopLogger()), light.SkippingVerification(light.DefaultTrustLevel))
	if err != nil {
		t.Fatal(err)
	}
	listen := freeAddr(t)
	pcfg := rpcserver.DefaultConfig()
	p, err := lproxy.NewProxy(lc, "tcp://"+listen, primary, pcfg, log.NewNopLogger(), lrpc.KeyPathFn(lrpc.DefaultMerkleKeyPathFn()))
	if err != nil {
		t.Fatal(err)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- p.ListenAndServe() }()
	t.Cleanup(func() {
		if p.Listener != nil {
			p.Listener.Close()
		}
	})
	pc, err := rpchttp.New("http://"+listen, "/websocket")
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	for i := 0; ; i++ {
		if _, err := pc.Health(ctx); err == nil {
			t.Logf("light proxy up after %s", time.Since(began))
			break
		}
		select {
		case err := <-serveErr:
			t.Fatalf("light proxy: %v", err)
		default:
		}
		if i > 600 {
			_, herr := pc.Health(ctx)
			t.Fatalf("light proxy does not start: %v", herr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return pc
}

// TestCometBFTLightProxyVerifiesRecords runs CometBFT's unmodified light
// client proxy against a node: every record's /store/records/key answer
// verifies with its default proof runtime against the light-client-verified
// app hash; through a primary that alters answers, the proxy refuses them.
func TestCometBFTLightProxyVerifiesRecords(t *testing.T) {
	nodeURL, doc, c, _ := proofNode(t, 4)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pc := lightProxy(t, ctx, doc, nodeURL, nodeURL)
	st, _, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	verified := 0
	for i := uint64(0); i < st.Roots.LogSize; i++ {
		res, err := pc.ABCIQuery(ctx, tlv1.PathStoreRecords, proof.RecordsKey(i))
		if err != nil {
			t.Fatalf("record %d through the light proxy: %v", i, err)
		}
		want, _, err := c.Record(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(res.Response.Value, want.Bytes) || !bytes.Equal(res.Response.Key, proof.RecordsKey(i)) {
			t.Fatalf("record %d: the proxy returned other bytes", i)
		}
		verified++
	}
	if verified == 0 {
		t.Fatal("no record verified")
	}
	// A store without standard proofs is refused by the node; the proxy
	// passes the refusal on as an error.
	if _, err := pc.ABCIQuery(ctx, "/store/map/key", []byte("participant/farm")); err == nil {
		t.Fatal("map store answered through the proxy")
	}

	// A primary that flips one byte of each answer's value: the proxy's
	// verification must refuse every answer.
	tamper := tamperingPrimary(t, nodeURL)
	bad := lightProxy(t, ctx, doc, tamper, nodeURL)
	for i := uint64(0); i < st.Roots.LogSize; i++ {
		if _, err := bad.ABCIQuery(ctx, tlv1.PathStoreRecords, proof.RecordsKey(i)); err == nil || !strings.Contains(err.Error(), "verify") {
			t.Fatalf("tampered record %d passed the light proxy: %v", i, err)
		}
	}
}

// tamperingPrimary is an HTTP proxy to nodeURL that flips the first byte
// of the value of every abci_query answer and passes everything else on.
func tamperingPrimary(t *testing.T, nodeURL string) string {
	t.Helper()
	target, _ := url.Parse(nodeURL)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ModifyResponse = func(res *http.Response) error {
		if res.StatusCode != http.StatusOK {
			return nil // the websocket upgrade and errors pass unchanged
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			return err
		}
		var msg map[string]any
		if json.Unmarshal(body, &msg) == nil {
			if r, ok := msg["result"].(map[string]any); ok {
				if resp, ok := r["response"].(map[string]any); ok {
					if v, ok := resp["value"].(string); ok && v != "" {
						raw, err := base64.StdEncoding.DecodeString(v)
						if err == nil && len(raw) > 0 {
							raw[0] ^= 1
							resp["value"] = base64.StdEncoding.EncodeToString(raw)
							body, _ = json.Marshal(msg)
						}
					}
				}
			}
		}
		res.Body = io.NopCloser(bytes.NewReader(body))
		res.ContentLength = int64(len(body))
		res.Header.Del("Content-Length")
		return nil
	}
	addr := freeAddr(t)
	srv := &http.Server{Addr: addr, Handler: rp, ReadHeaderTimeout: 5 * time.Second}
	go srv.ListenAndServe()
	t.Cleanup(func() { srv.Close() })
	return "http://" + addr
}

// TestStoreRecordRefusesSwappedKey: CometBFT's light-client proxy verifies
// an answer's ProofOps for the key in the answer, so a primary that answers
// another record than the one asked for, with that record's valid proof,
// passes the proxy; StoreRecord compares the answer's key with the key it
// asked for and refuses it. Honest answers, through the proxy and directly,
// verify and are the records Record returns.
func TestStoreRecordRefusesSwappedKey(t *testing.T) {
	nodeURL, doc, c, _ := proofNode(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st, _, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Roots.LogSize < 2 {
		t.Fatalf("log size %d: need two records to swap", st.Roots.LogSize)
	}
	good := lightProxy(t, ctx, doc, nodeURL, nodeURL)
	for i := uint64(0); i < st.Roots.LogSize; i++ {
		want, _, err := c.Record(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		for _, via := range []struct {
			name string
			rpc  rpcclient.ABCIClient // nil: the client's node
		}{{"light proxy", good}, {"node", nil}} {
			got, p, err := c.StoreRecord(ctx, via.rpc, i)
			if err != nil {
				t.Fatalf("record %d through the %s: %v", i, via.name, err)
			}
			if !bytes.Equal(got, want.Bytes) || p.Header == nil || p.Header.Height != p.Height+1 {
				t.Fatalf("record %d through the %s: other bytes or proof (%+v)", i, via.name, p)
			}
		}
	}

	bad := lightProxy(t, ctx, doc, swappingPrimary(t, nodeURL), nodeURL)
	for i := uint64(0); i < st.Roots.LogSize; i++ {
		asked := proof.RecordsKey(i)
		// The proxy passes the other record: its proof is valid, for the
		// key the answer names.
		res, err := bad.ABCIQuery(ctx, tlv1.PathStoreRecords, asked)
		if err != nil {
			t.Fatalf("record %d: the light proxy refused the swapped answer (%v): this test no longer exercises the key check", i, err)
		}
		if bytes.Equal(res.Response.Key, asked) {
			t.Fatalf("record %d: the primary did not swap the key", i)
		}
		if _, _, err := c.StoreRecord(ctx, bad, i); !errors.Is(err, client.ErrNotVerified) || !strings.Contains(err.Error(), "asked for key") {
			t.Fatalf("record %d: a swapped answer through the light proxy: %v", i, err)
		}
	}
}

// swappingPrimary is an HTTP proxy to nodeURL that turns every abci_query
// for a record (tlv1.PathStoreRecords) into a query for another record:
// record 0 for any index but 0, record 1 for 0. The node's answer, with
// its valid proof for the record it names, is passed back unchanged.
func swappingPrimary(t *testing.T, nodeURL string) string {
	t.Helper()
	target, _ := url.Parse(nodeURL)
	rp := httputil.NewSingleHostReverseProxy(target)
	direct := rp.Director
	rp.Director = func(req *http.Request) {
		direct(req)
		if req.Body == nil || req.Method != http.MethodPost {
			return
		}
		body, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			body = nil
		}
		var msg map[string]any
		if json.Unmarshal(body, &msg) == nil && msg["method"] == "abci_query" {
			if params, ok := msg["params"].(map[string]any); ok && params["path"] == tlv1.PathStoreRecords {
				if data, ok := params["data"].(string); ok {
					raw, err := hex.DecodeString(data)
					if err == nil && len(raw) == 8 {
						other := proof.RecordsKey(0)
						if binary.BigEndian.Uint64(raw) == 0 {
							other = proof.RecordsKey(1)
						}
						params["data"] = hex.EncodeToString(other)
						body, _ = json.Marshal(msg)
					}
				}
			}
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
		req.Header.Del("Content-Length")
	}
	addr := freeAddr(t)
	srv := &http.Server{Addr: addr, Handler: rp, ReadHeaderTimeout: 5 * time.Second}
	go srv.ListenAndServe()
	t.Cleanup(func() { srv.Close() })
	return "http://" + addr
}
