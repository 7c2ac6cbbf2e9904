// SPDX-License-Identifier: Apache-2.0

package app

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// TestMempoolCachesOutcomeNeutral drives two apps through the same blocks
// and the same mempool traffic (new transactions, then a re-check of every
// pending one after each block, in mempool order, as CometBFT does). One
// app uses CheckTx's caches (admitted transactions, committed values); the
// other has them emptied before every call, so it decodes, validates and
// reads state afresh each time. Every CheckTx answer must be the same,
// while suspensions, reinstatements and key revocations change what the
// pending transactions may do.
func TestMempoolCachesOutcomeNeutral(t *testing.T) {
	g := newGovFixture(t)
	cached := g.a
	ref := openApp(t, "", nil)
	t.Cleanup(func() { ref.Close() })
	g.initChain(ref)
	forget := func(a *App) {
		a.checkMu.Lock()
		a.pool.admitted = newFIFOMap[*admission](admittedSize)
		clear(a.pool.values)
		a.pool.valuesHeight = -2
		a.checkMu.Unlock()
	}
	check := func(raw []byte, typ abci.CheckTxType) *abci.ResponseCheckTx {
		t.Helper()
		got, err := cached.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: raw, Type: typ})
		if err != nil {
			t.Fatal(err)
		}
		forget(ref)
		want, err := ref.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: raw, Type: typ})
		if err != nil {
			t.Fatal(err)
		}
		if got.Code != want.Code || got.Log != want.Log {
			t.Fatalf("height %d, %v: cached CheckTx gave %d %q, uncached %d %q", g.h, typ, got.Code, got.Log, want.Code, want.Log)
		}
		return got
	}

	rng := rand.New(rand.NewSource(8))
	signers := []string{"farm", "farm-b", "slaughter", "pharma", "lab"}
	committedSeq := map[string]uint64{} // per signer, from block results
	signerOf := map[string]string{}     // tx bytes -> signer
	seqOf := map[string]uint64{}
	var mempool [][]byte
	next := func(s string) uint64 { // what the signer would send next
		n := committedSeq[s]
		for _, tx := range mempool {
			if signerOf[string(tx)] == s {
				n = seqOf[string(tx)] + 1
			}
		}
		return n
	}
	seen := map[tlv1.Code]int{}
	adminSeq := uint64(0)
	farmSuspended, revoked := false, false
	subject := 0
	for round := 0; round < 80; round++ {
		for range 1 + rng.Intn(8) {
			s := signers[rng.Intn(len(signers))]
			seq := next(s)
			switch rng.Intn(10) {
			case 0:
				if seq > 0 {
					seq--
				}
			case 1:
				seq++
			}
			subject++
			raw := signTx(t, namedKey(s), seq, testChainID, recordMsg(fmt.Sprintf("urn:test:lot:%d", subject), g.h+1))
			signerOf[string(raw)], seqOf[string(raw)] = s, seq
			r := check(raw, abci.CheckTxType_New)
			seen[tlv1.Code(r.Code)]++
			if r.Code == 0 {
				mempool = append(mempool, raw)
			}
		}
		// The block: a prefix of the mempool, sometimes a governance change.
		n := rng.Intn(len(mempool) + 1)
		txs := append([][]byte(nil), mempool[:n]...)
		var admin []byte
		switch rng.Intn(6) {
		case 0:
			if farmSuspended {
				admin = signTx(t, namedKey("agri"), adminSeq, testChainID, reinstateMsg("farm"))
			} else {
				admin = signTx(t, namedKey("agri"), adminSeq, testChainID, suspendMsg("farm"))
			}
		case 1:
			if !revoked && round > 40 {
				admin = signTx(t, namedKey("agri"), adminSeq, testChainID, revokeMsg("farm-b", ""))
			}
		}
		if admin != nil {
			txs = append(txs, admin)
		}
		h := g.h + 1
		res, err := finalize(t, cached, h, txs)
		if err != nil {
			t.Fatal(err)
		}
		refRes, err := finalize(t, ref, h, txs)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(res.AppHash, refRes.AppHash) {
			t.Fatalf("height %d: app hashes differ", h)
		}
		g.h = h
		for i, r := range res.TxResults {
			if r.Code != 0 {
				continue
			}
			if i < n {
				committedSeq[signerOf[string(txs[i])]]++
				continue
			}
			adminSeq++
			switch {
			case bytes.Contains(txs[i], []byte("failed inspection")):
				farmSuspended = true
			case bytes.Contains(txs[i], []byte("corrected")):
				farmSuspended = false
			default:
				revoked = true
			}
		}
		// Re-check what is left, in order, dropping what fails.
		left := mempool[:0]
		for _, raw := range mempool[n:] {
			r := check(raw, abci.CheckTxType_Recheck)
			seen[tlv1.Code(r.Code)]++
			if r.Code == 0 {
				left = append(left, raw)
			}
		}
		mempool = left
	}
	for _, c := range []tlv1.Code{tlv1.CodeOK, tlv1.CodeSequenceReplayed, tlv1.CodeSequenceGap, tlv1.CodeParticipantInactive, tlv1.CodeKeyRevoked} {
		if seen[c] == 0 {
			t.Errorf("the scenario never produced code %d (%s); it does not test what it claims (seen %v)", c, c, seen)
		}
	}
	if cached.pool.admitted.len() == 0 || len(cached.pool.values) == 0 {
		t.Errorf("the caches were never used: %d admitted, %d values", cached.pool.admitted.len(), len(cached.pool.values))
	}
}
