// SPDX-License-Identifier: Apache-2.0

package app

import (
	"context"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/proof"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

func query(t *testing.T, a *App, path string, req marshaler, height int64) (*abci.ResponseQuery, []byte) {
	t.Helper()
	var data []byte
	if req != nil {
		var err error
		if data, err = req.Marshal(); err != nil {
			t.Fatal(err)
		}
	}
	res, err := a.Query(context.Background(), &abci.RequestQuery{Path: path, Data: data, Height: height})
	if err != nil {
		t.Fatal(err)
	}
	return res, res.Value
}

// builtApp returns an app with a committed chain and the last app hash.
func builtApp(t *testing.T) (*App, []byte) {
	f := newFixture(t)
	a := openApp(t, "", nil)
	initChain(t, a, f)
	var last []byte
	for i, txs := range makeChain(t, f, 15, 5).blocks {
		r, err := finalize(t, a, int64(i+1), txs)
		if err != nil {
			t.Fatal(err)
		}
		last = r.AppHash
	}
	return a, last
}

func TestHistoryProofAndTamper(t *testing.T) {
	a, appHash := builtApp(t)
	defer a.Close()
	typed := "urn:epc:class:lgtin:6901234.500012.L1"
	subject := mustCanonical(typed) // histories live under the canonical form
	if subject == typed {
		t.Fatalf("%s is its own canonical form; the test wants a GS1 URN", typed)
	}
	if res, _ := query(t, a, tlv1.PathHistory, &tlv1.HistoryRequest{Subject: typed}, 0); res.Code != uint32(tlv1.CodeInvalidQuery) || !strings.Contains(res.Log, subject) {
		t.Fatalf("history of the non-canonical %s: code %d %q, want %d naming %s", typed, res.Code, res.Log, tlv1.CodeInvalidQuery, subject)
	}
	res, bz := query(t, a, tlv1.PathHistory, &tlv1.HistoryRequest{Subject: subject}, 0)
	if res.Code != 0 {
		t.Fatalf("history: %s", res.Log)
	}
	var resp tlv1.HistoryResponse
	if err := resp.Unmarshal(bz); err != nil {
		t.Fatal(err)
	}
	verifyAppHash(t, resp.Roots, appHash)
	h, err := client.VerifyHistory(subject, tlv1.HeadKey(subject), &resp)
	if err != nil {
		t.Fatalf("honest history does not verify: %v", err)
	}
	if h.Head == nil || h.Head.Count < 3 {
		t.Fatalf("expected a history of several records, got %+v", h.Head)
	}
	for _, r := range h.Records {
		if r.Record.GetEvent().GetSubject() != typed {
			t.Fatalf("record %d is about %q", r.Index, r.Record.GetEvent().GetSubject())
		}
	}

	// Flip one byte at a time in the records, the paths, the head and the
	// roots: each change must fail verification or change the app hash.
	flips := 0
	// Tamper on a decoded copy each time, so each case changes one byte.
	check := func(what string, pick func(*tlv1.HistoryResponse) []byte) {
		base := mustMarshal(t, &resp)
		var probe tlv1.HistoryResponse
		probe.Unmarshal(base)
		n := len(pick(&probe))
		for i := 0; i < n; i++ {
			var cp tlv1.HistoryResponse
			cp.Unmarshal(base)
			pick(&cp)[i] ^= 0x01
			_, verr := client.VerifyHistory(subject, tlv1.HeadKey(subject), &cp)
			if verr == nil {
				// A flipped root still verifies internally only if it is the
				// root itself; then the app hash must change.
				got, _ := appHashOf(cp.Roots)
				if string(got) == string(appHash) {
					t.Fatalf("%s: flipping byte %d went unnoticed", what, i)
				}
			}
			flips++
		}
	}
	check("record[0]", func(r *tlv1.HistoryResponse) []byte { return r.Records[0].Record })
	check("last record", func(r *tlv1.HistoryResponse) []byte { return r.Records[len(r.Records)-1].Record })
	check("inclusion path", func(r *tlv1.HistoryResponse) []byte { return r.Records[0].Inclusion.Hashes[0] })
	check("head value", func(r *tlv1.HistoryResponse) []byte { return r.Head.Value })
	check("map sibling", func(r *tlv1.HistoryResponse) []byte { return r.Head.Proof.Siblings[0] })
	check("log root", func(r *tlv1.HistoryResponse) []byte { return r.Roots.LogRoot })
	check("map root", func(r *tlv1.HistoryResponse) []byte { return r.Roots.MapRoot })
	if flips < 100 {
		t.Fatalf("only %d tampering cases ran", flips)
	}

	// Dropping a record breaks completeness.
	var cp tlv1.HistoryResponse
	cp.Unmarshal(mustMarshal(t, &resp))
	cp.Records = cp.Records[1:]
	if _, err := client.VerifyHistory(subject, tlv1.HeadKey(subject), &cp); err == nil {
		t.Fatal("a history with a record removed verified")
	}
	// Reordering breaks it too.
	cp.Unmarshal(mustMarshal(t, &resp))
	cp.Records[0], cp.Records[1] = cp.Records[1], cp.Records[0]
	if _, err := client.VerifyHistory(subject, tlv1.HeadKey(subject), &cp); err == nil {
		t.Fatal("a reordered history verified")
	}
}

func appHashOf(r *tlv1.StateRoots) ([]byte, error) {
	h, err := proof.AppHashOf(r)
	return h[:], err
}

func TestUnknownSubjectIsProvenAbsent(t *testing.T) {
	a, appHash := builtApp(t)
	defer a.Close()
	subject := mustCanonical("urn:epc:class:lgtin:0000000.000000.NOPE")
	res, bz := query(t, a, tlv1.PathHistory, &tlv1.HistoryRequest{Subject: subject}, 0)
	if res.Code != 0 {
		t.Fatal(res.Log)
	}
	var resp tlv1.HistoryResponse
	resp.Unmarshal(bz)
	verifyAppHash(t, resp.Roots, appHash)
	h, err := client.VerifyHistory(subject, tlv1.HeadKey(subject), &resp)
	if err != nil {
		t.Fatalf("absence proof does not verify: %v", err)
	}
	if h.Head != nil || len(h.Records) != 0 {
		t.Fatal("unknown subject has a history")
	}
	// The same absence proof must not pass for a subject that exists.
	existing := mustCanonical("urn:epc:class:lgtin:6901234.500012.L1")
	if _, err := client.VerifyHistory(existing, tlv1.HeadKey(existing), &tlv1.HistoryResponse{Roots: resp.Roots, Head: &tlv1.ProvenValue{Key: tlv1.HeadKey(existing), Proof: resp.Head.Proof}}); err == nil {
		t.Fatal("an absence proof for one key verified for another, existing key")
	}
}

func TestRecordQueries(t *testing.T) {
	a, _ := builtApp(t)
	defer a.Close()
	res, bz := query(t, a, tlv1.PathRecord, &tlv1.RecordRequest{Index: 0}, 0)
	if res.Code != 0 {
		t.Fatal(res.Log)
	}
	var rr tlv1.RecordResponse
	rr.Unmarshal(bz)
	if rr.Record.Index != 0 {
		t.Fatalf("index %d", rr.Record.Index)
	}
	leaf := leafHashOf(rr.Record.Record)
	res, bz = query(t, a, tlv1.PathRecord, &tlv1.RecordRequest{LeafHash: leaf}, 0)
	if res.Code != 0 {
		t.Fatal(res.Log)
	}
	var byHash tlv1.RecordResponse
	byHash.Unmarshal(bz)
	if byHash.Record.Index != 0 {
		t.Fatalf("by hash: index %d", byHash.Record.Index)
	}
	res, _ = query(t, a, tlv1.PathRecord, &tlv1.RecordRequest{Index: 1 << 40}, 0)
	if tlv1.Code(res.Code) != tlv1.CodeNotFound {
		t.Fatalf("beyond the log: code %d", res.Code)
	}
	res, _ = query(t, a, "/nope", nil, 0)
	if tlv1.Code(res.Code) != tlv1.CodeInvalidQuery {
		t.Fatalf("unknown path: code %d", res.Code)
	}
	// Only the latest and the previous heights are served.
	info, _ := a.Info(context.Background(), &abci.RequestInfo{})
	if res, _ := query(t, a, tlv1.PathStatus, nil, info.LastBlockHeight-1); res.Code != 0 || res.Height != info.LastBlockHeight-1 {
		t.Fatalf("previous height: code %d height %d", res.Code, res.Height)
	}
	if res, _ := query(t, a, tlv1.PathStatus, nil, info.LastBlockHeight-2); tlv1.Code(res.Code) != tlv1.CodeHeightUnavailable {
		t.Fatalf("old height: code %d", res.Code)
	}
}

func mustMarshal(t *testing.T, m marshaler) []byte {
	t.Helper()
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
