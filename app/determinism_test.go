// SPDX-License-Identifier: Apache-2.0

package app

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/traceledger/traceledger/client"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// mixedChain builds n blocks from a fixed seed: core events from two
// signers, EPCIS batches (public and hashed) every fifth block, a block of
// 24 transactions every seventh (enough for the parallel signature
// pre-verification), and invalid transactions (replays, garbage, forged
// signatures).
func mixedChain(t testing.TB, f *fixture, n int, seed int64) [][][]byte {
	rng := rand.New(rand.NewSource(seed))
	seqs := map[string]uint64{}
	lots := []string{"urn:epc:class:lgtin:6901234.500012.D1", "urn:epc:class:lgtin:6901234.500012.D2"}
	var blocks [][][]byte
	for h := 1; h <= n; h++ {
		at := blockTime(int64(h))
		var txs [][]byte
		count := rng.Intn(5)
		if h%7 == 0 {
			count = 24
		}
		for i := 0; i < count; i++ {
			key, name := f.farm, "farm"
			if rng.Intn(2) == 0 {
				key, name = f.market, "market"
			}
			msg := eventMsg(lots[rng.Intn(len(lots))], fmt.Sprintf("d%d-%d", h, i), at.Add(-time.Hour))
			switch rng.Intn(10) {
			case 0:
				if seqs[name] > 0 {
					txs = append(txs, signTx(t, key, seqs[name]-1, testChainID, msg))
				}
			case 1:
				txs = append(txs, []byte{0x0a, 0x02, byte(h), byte(i)})
			case 2:
				tx := signTx(t, key, seqs[name], testChainID, msg)
				tx[len(tx)-1] ^= 0x40
				txs = append(txs, tx)
			default:
				txs = append(txs, signTx(t, key, seqs[name], testChainID, msg))
				seqs[name]++
			}
		}
		if h%5 == 0 {
			mode := client.ImportPublic
			if h%10 == 0 {
				mode = client.ImportHashed
			}
			txs = append(txs, signTx(t, f.farm, seqs["farm"], testChainID, batchMsg(prepared(t, epcisDoc(at, 20), mode)...)))
			seqs["farm"]++
		}
		blocks = append(blocks, txs)
	}
	return blocks
}

// TestDeterminismTwoDirectories is the determinism guard of issue 16: the
// same block stream through two applications on two badger directories,
// one of which first admits every transaction through CheckTx (mempool
// caches, signature cache) while the other meets them only in the block
// (parallel pre-verification), compared at every height: app hash, and
// each transaction's code, data and events. Then both are reopened from
// disk and must report the same height and app hash. Run it under the race
// detector (it needs cgo): go test -race -run TestDeterminism ./app/
// (make test-determinism).
func TestDeterminismTwoDirectories(t *testing.T) {
	f := newFixture(t)
	blocks := mixedChain(t, f, 30, 16)
	dirA, dirB := t.TempDir(), t.TempDir()
	a, b := openApp(t, dirA, nil), openApp(t, dirB, nil)
	if ga, gb := initChain(t, a, f), initChain(t, b, f); !bytes.Equal(ga, gb) {
		t.Fatalf("genesis app hashes differ: %X vs %X", ga, gb)
	}
	accepted, refused, epcisOK := 0, 0, 0
	for i, txs := range blocks {
		h := int64(i + 1)
		for _, tx := range txs {
			if _, err := a.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: tx, Type: abci.CheckTxType_New}); err != nil {
				t.Fatal(err)
			}
		}
		ra, err := finalize(t, a, h, txs)
		if err != nil {
			t.Fatal(err)
		}
		rb, err := finalize(t, b, h, txs)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ra.AppHash, rb.AppHash) {
			t.Fatalf("height %d: app hashes differ: %X vs %X", h, ra.AppHash, rb.AppHash)
		}
		for j := range ra.TxResults {
			x, y := ra.TxResults[j], rb.TxResults[j]
			xb, _ := x.Marshal()
			yb, _ := y.Marshal()
			if !bytes.Equal(xb, yb) {
				t.Fatalf("height %d tx %d: results differ:\n%v\n%v", h, j, x, y)
			}
			switch {
			case x.Code != 0:
				refused++
			case len(x.Events) > 0 && x.Events[0].Type == tlv1.EventRecords:
				epcisOK++
				accepted++
			default:
				accepted++
			}
		}
	}
	if accepted == 0 || refused == 0 || epcisOK == 0 {
		t.Fatalf("the stream tests too little: %d accepted (%d EPCIS batches), %d refused", accepted, epcisOK, refused)
	}
	infoA, _ := a.Info(context.Background(), &abci.RequestInfo{})
	a.Close()
	b.Close()
	a2, b2 := openApp(t, dirA, nil), openApp(t, dirB, nil)
	defer a2.Close()
	defer b2.Close()
	ia, _ := a2.Info(context.Background(), &abci.RequestInfo{})
	ib, _ := b2.Info(context.Background(), &abci.RequestInfo{})
	if ia.LastBlockHeight != int64(len(blocks)) || ia.LastBlockHeight != ib.LastBlockHeight ||
		!bytes.Equal(ia.LastBlockAppHash, ib.LastBlockAppHash) || !bytes.Equal(ia.LastBlockAppHash, infoA.LastBlockAppHash) {
		t.Fatalf("after reopening: %d %X vs %d %X (before: %X)", ia.LastBlockHeight, ia.LastBlockAppHash, ib.LastBlockHeight, ib.LastBlockAppHash, infoA.LastBlockAppHash)
	}
}
