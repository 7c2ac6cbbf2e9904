// SPDX-License-Identifier: Apache-2.0

package app

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// TestPrepareProposalSequenceOrder: the proposer puts each signer's
// transactions in sequence order within the positions they hold, leaves
// undecodable transactions in place, and cuts at max_tx_bytes after
// reordering; the reordered block commits every transaction where the
// mempool's order would have rejected some.
func TestPrepareProposalSequenceOrder(t *testing.T) {
	f := newFixture(t)
	at := blockTime(1)
	farm := func(seq uint64) []byte {
		return signTx(t, f.farm, seq, testChainID, eventMsg(fmt.Sprintf("urn:x:farm:%d", seq), "harvest", at))
	}
	market := func(seq uint64) []byte {
		return signTx(t, f.market, seq, testChainID, eventMsg(fmt.Sprintf("urn:x:market:%d", seq), "sale", at))
	}
	garbage := []byte("not a transaction")
	name := map[string]string{string(garbage): "garbage"}
	for i := uint64(0); i < 3; i++ {
		name[string(farm(i))] = fmt.Sprintf("farm%d", i)
		name[string(market(i))] = fmt.Sprintf("market%d", i)
	}
	names := func(txs [][]byte) []string {
		out := make([]string, len(txs))
		for i, tx := range txs {
			out[i] = name[string(tx)]
		}
		return out
	}
	mempool := [][]byte{farm(1), market(0), farm(0), garbage, market(2), farm(2), market(1)}
	want := []string{"farm0", "market0", "farm1", "garbage", "market1", "farm2", "market2"}

	for _, admitted := range []bool{false, true} {
		t.Run(fmt.Sprintf("admitted=%v", admitted), func(t *testing.T) {
			a := openApp(t, "", nil)
			defer a.Close()
			initChain(t, a, f)
			if admitted { // CheckTx saw them in sequence order, as it does
				for _, tx := range [][]byte{farm(0), farm(1), farm(2), market(0), market(1), market(2)} {
					if r, _ := a.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: tx}); r.Code != 0 {
						t.Fatalf("CheckTx: %s", r.Log)
					}
				}
			}
			res, err := a.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{Txs: mempool, MaxTxBytes: 1 << 20})
			if err != nil {
				t.Fatal(err)
			}
			if got := names(res.Txs); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("proposal order %v, want %v", got, want)
			}

			// Cut after reordering: room for the first three only.
			room := int64(len(res.Txs[0]) + len(res.Txs[1]) + len(res.Txs[2]))
			cut, err := a.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{Txs: mempool, MaxTxBytes: room})
			if err != nil {
				t.Fatal(err)
			}
			if got := names(cut.Txs); fmt.Sprint(got) != fmt.Sprint(want[:3]) {
				t.Fatalf("cut proposal %v, want %v", got, want[:3])
			}

			// The reordered block accepts every transaction but the garbage.
			fin, err := a.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: 1, Time: at, Txs: res.Txs})
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range fin.TxResults {
				if (r.Code == 0) == bytes.Equal(res.Txs[i], garbage) {
					t.Errorf("%s: code %d %s", name[string(res.Txs[i])], r.Code, r.Log)
				}
			}
			// The mempool's order would have rejected farm1, market2 and (after
			// farm1 failed) farm2.
			fin, err = a.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: 1, Time: at, Txs: mempool})
			if err != nil {
				t.Fatal(err)
			}
			rejected := 0
			for i, r := range fin.TxResults {
				if tlv1.Code(r.Code) == tlv1.CodeSequenceGap {
					rejected++
					if n := name[string(mempool[i])]; n != "farm1" && n != "market2" && n != "farm2" {
						t.Errorf("unexpected sequence gap for %s", n)
					}
				}
			}
			if rejected != 3 {
				t.Errorf("mempool order: %d sequence gaps, want 3 (the test no longer shows what the reordering is for)", rejected)
			}
		})
	}
}

// FuzzPrepareProposal: on any list of transactions (well-formed, garbage,
// duplicates, arbitrary sequences) the proposal is a reordering of the list
// cut at max_tx_bytes: the same multiset as a prefix would have in size,
// nothing invented, nothing duplicated, each signer's sequences ascending,
// and undecodable transactions at their positions.
func FuzzPrepareProposal(f *testing.F) {
	fx := newFixture(f)
	at := blockTime(1)
	f.Add([]byte{3, 1, 2, 0}, uint16(4096))
	f.Add([]byte{0, 0, 1, 1, 5, 2}, uint16(900))
	f.Add([]byte{}, uint16(0))
	a := openApp(f, "", nil)
	defer a.Close()
	initChain(f, a, fx)
	pool := [][]byte{[]byte("garbage"), {}}
	for seq := uint64(0); seq < 4; seq++ {
		pool = append(pool,
			signTx(f, fx.farm, seq, testChainID, eventMsg(fmt.Sprintf("urn:x:f%d", seq), "harvest", at)),
			signTx(f, fx.market, seq, testChainID, eventMsg(fmt.Sprintf("urn:x:m%d", seq), "sale", at)))
	}
	f.Fuzz(func(t *testing.T, picks []byte, maxBytes uint16) {
		if len(picks) > 64 {
			picks = picks[:64]
		}
		txs := make([][]byte, len(picks))
		for i, p := range picks {
			txs[i] = pool[int(p)%len(pool)]
		}
		res, err := a.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{Txs: txs, MaxTxBytes: int64(maxBytes)})
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		count := map[string]int{}
		for _, tx := range txs {
			count[string(tx)]++
		}
		for _, tx := range res.Txs {
			total += len(tx)
			if count[string(tx)]--; count[string(tx)] < 0 {
				t.Fatalf("proposal holds a transaction more often than the mempool")
			}
		}
		if total > int(maxBytes) {
			t.Fatalf("proposal of %d bytes exceeds %d", total, maxBytes)
		}
		last := map[string]uint64{}
		for i, tx := range res.Txs {
			signer, seq, ok := a.signerOf(tx)
			if !ok {
				if !bytes.Equal(tx, txs[i]) {
					t.Fatalf("undecodable transaction moved from its position %d", i)
				}
				continue
			}
			if prev, seen := last[signer]; seen && seq < prev {
				t.Fatalf("signer %s: sequence %d after %d", signer, seq, prev)
			}
			last[signer] = seq
		}
	})
}
