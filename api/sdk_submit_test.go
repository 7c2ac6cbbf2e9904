// SPDX-License-Identifier: Apache-2.0

package api_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/traceledger/traceledger/api"
	"github.com/traceledger/traceledger/client"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// sdkLot is the lot the SDK submission tests record (apart from lotEPC,
// whose event count other tests check).
const sdkLot = "urn:epc:class:lgtin:6901234.500012.APISDK1"

// TestAPISubmitThroughSDK: client.Submit through an API server's
// POST /v1/txs commits, and what it recorded reads back verified from the
// node; every refusal comes back as the same *client.TxError (code, stage,
// log, Rejection facts) the node's RPC gives for the same bytes.
func TestAPISubmitThroughSDK(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ts, _ := apiServer(t, fx.url, api.Options{})
	viaAPI, err := client.NewAPIBroadcaster(ts.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(fx.url, fx.doc)
	if err != nil {
		t.Fatal(err)
	}
	c.UseBroadcaster(viaAPI)
	farm := client.Signer{Key: fx.farmKey}

	first := eventMsg(sdkLot, 0)
	com, err := c.Submit(ctx, farm, first)
	if err != nil {
		t.Fatalf("submit through the API: %v", err)
	}
	if com.Height <= 0 || len(com.Indexes) != 1 || len(com.Hash) != 32 {
		t.Fatalf("committed: %+v", com)
	}
	// A second one right after: the client's sequence moved on.
	com2, err := c.Submit(ctx, farm, eventMsg(sdkLot, 1))
	if err != nil {
		t.Fatalf("second submit through the API: %v", err)
	}
	vh, _, err := c.History(ctx, sdkLot)
	if err != nil {
		t.Fatalf("read back: %v", err)
	}
	if vh.Head == nil || vh.Head.Count != 2 || vh.Records[0].Index != com.Indexes[0] || vh.Records[1].Index != com2.Indexes[0] {
		t.Fatalf("history after two submissions through the API: %+v", vh)
	}

	// The same refused bytes through both transports.
	rpc := c.NodeBroadcaster()
	seq := nextSequence(t, ctx, c, farm)
	replay, _ := client.BuildTx(fx.doc.ChainID, farm, seq-1, eventMsg(sdkLot, 2))
	gap, _ := client.BuildTx(fx.doc.ChainID, farm, seq+5, eventMsg(sdkLot, 3))
	wrongChain, _ := client.BuildTx("another-chain", farm, seq, eventMsg(sdkLot, 4))
	badSig, _ := client.BuildTx(fx.doc.ChainID, farm, seq, eventMsg(sdkLot, 5))
	var txm tlv1.Tx
	if err := txm.Unmarshal(badSig); err != nil {
		t.Fatal(err)
	}
	txm.Signature[3] ^= 1
	badSig, _ = txm.Marshal()
	for _, tc := range []struct {
		name  string
		tx    []byte
		code  tlv1.Code
		facts func(r *tlv1.Rejection) bool
	}{
		{"bad signature", badSig, tlv1.CodeBadSignature, nil},
		{"replayed sequence", replay, tlv1.CodeSequenceReplayed, func(r *tlv1.Rejection) bool { return r.NextSequence != nil && *r.NextSequence == seq }},
		{"sequence gap", gap, tlv1.CodeSequenceGap, func(r *tlv1.Rejection) bool { return r.NextSequence != nil && *r.NextSequence == seq }},
		{"wrong chain", wrongChain, tlv1.CodeWrongChainID, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, commit := range []bool{false, true} {
				_, errRPC := rpc.BroadcastTx(ctx, tc.tx, commit)
				_, errAPI := viaAPI.BroadcastTx(ctx, tc.tx, commit)
				var viaRPC, viaHTTP *client.TxError
				if !errors.As(errRPC, &viaRPC) || !errors.As(errAPI, &viaHTTP) {
					t.Fatalf("commit=%v: not both refusals: RPC %v, API %v", commit, errRPC, errAPI)
				}
				if tlv1.Code(viaRPC.Code) != tc.code || viaRPC.Rejection == nil {
					t.Fatalf("RPC refusal %+v, want code %d with its facts", viaRPC, tc.code)
				}
				if !reflect.DeepEqual(viaRPC, viaHTTP) {
					t.Fatalf("commit=%v: the API's refusal differs from the RPC's:\n RPC %+v %+v\n API %+v %+v", commit, viaRPC, viaRPC.Rejection, viaHTTP, viaHTTP.Rejection)
				}
				if tc.facts != nil && !tc.facts(viaHTTP.Rejection) {
					t.Fatalf("refusal facts: %+v", viaHTTP.Rejection)
				}
			}
		})
	}

	// Refused in the block (a duplicate passes CheckTx): the same refusal
	// through Submit on either transport. A refusal spends no sequence, so
	// both sign the same bytes.
	viaNode, err := client.New(fx.url, fx.doc)
	if err != nil {
		t.Fatal(err)
	}
	_, errAPI := c.Submit(ctx, farm, first)
	nextBlock(t, ctx, c)
	_, errRPC := viaNode.Submit(ctx, farm, first)
	nextBlock(t, ctx, c)
	var dupAPI, dupRPC *client.TxError
	if !errors.As(errAPI, &dupAPI) || !errors.As(errRPC, &dupRPC) {
		t.Fatalf("duplicate: not both refusals: API %v, RPC %v", errAPI, errRPC)
	}
	if !reflect.DeepEqual(dupAPI, dupRPC) || dupAPI.Stage != "deliver" || tlv1.Code(dupAPI.Code) != tlv1.CodeEventDuplicate {
		t.Fatalf("duplicate:\n API %+v %+v\n RPC %+v %+v", dupAPI, dupAPI.Rejection, dupRPC, dupRPC.Rejection)
	}
	if i, ok := client.AlreadyRecorded(errAPI); !ok || i != com.Indexes[0] {
		t.Fatalf("AlreadyRecorded through the API: %d %v", i, ok)
	}
	// After the refusals the client still submits: a refused broadcast
	// re-reads the sequence. A transaction refused in a block leaves the
	// mempool's cache, so Submit's rebroadcast of those bytes may still be
	// pending (holding the sequence) after the result was found: let the
	// mempool drain first.
	for {
		n, err := c.RPC().NumUnconfirmedTxs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n.Total == 0 {
			break
		}
		nextBlock(t, ctx, c)
	}
	nextBlock(t, ctx, c)
	if _, err := c.Submit(ctx, farm, eventMsg(sdkLot, 6)); err != nil {
		t.Fatalf("submit after refusals: %v", err)
	}
}

// nextBlock waits until the node's application committed the block after
// its latest: a transaction refused in a block is seen in the node's tx
// index before the application's Commit, when the mempool may still count
// its sequence as pending.
func nextBlock(t *testing.T, ctx context.Context, c *client.Client) {
	t.Helper()
	info, err := c.RPC().ABCIInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitForHeight(ctx, info.Response.LastBlockHeight+1); err != nil {
		t.Fatal(err)
	}
}

// nextSequence reads the signer's committed sequence (verified) from the
// node.
func nextSequence(t *testing.T, ctx context.Context, c *client.Client, s client.Signer) uint64 {
	t.Helper()
	v, _, err := c.Value(ctx, tlv1.KeyKey(s.KeyID()))
	if err != nil {
		t.Fatal(err)
	}
	var k tlv1.Key
	if err := k.Unmarshal(v); err != nil {
		t.Fatal(err)
	}
	return k.Sequence
}

// TestAPISubmitProblems: an API server that cannot reach its node, and an
// address that is no TraceLedger API, are *client.APIError (not
// refusals of the transaction), with the status and stable code.
func TestAPISubmitProblems(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	deadNode, _ := apiServer(t, dead, api.Options{})
	notAPI := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notAPI.Close)
	tx, _ := client.BuildTx(fx.doc.ChainID, client.Signer{Key: fx.farmKey}, 0, eventMsg(sdkLot, 9))
	for _, tc := range []struct {
		name   string
		base   string
		status int
		code   tlv1.Code
	}{
		{"node unreachable", deadNode.URL, http.StatusServiceUnavailable, tlv1.CodeAPINodeUnavailable},
		{"no API there", notAPI.URL, http.StatusNotFound, 0},
		{"not a submission", deadNode.URL + "/v1/txs/x", http.StatusNotFound, tlv1.CodeNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := client.NewAPIBroadcaster(tc.base, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = b.BroadcastTx(ctx, tx, true)
			var ae *client.APIError
			var te *client.TxError
			if !errors.As(err, &ae) || errors.As(err, &te) {
				t.Fatalf("want an APIError: %v", err)
			}
			if ae.Status != tc.status || tlv1.Code(ae.Code) != tc.code {
				t.Fatalf("status %d code %d, want %d %d: %v", ae.Status, ae.Code, tc.status, tc.code, err)
			}
		})
	}
	for _, bad := range []string{"", "127.0.0.1:8080", "ftp://x", "http://", "http://h/?q=1"} {
		if _, err := client.NewAPIBroadcaster(bad, nil); err == nil {
			t.Errorf("NewAPIBroadcaster(%q) accepted", bad)
		}
	}
}
