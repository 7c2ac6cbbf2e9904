// SPDX-License-Identifier: Apache-2.0

package app

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/rand"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/traceledger/traceledger/genesis"
	"github.com/traceledger/traceledger/proof"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

const testChainID = "traceledger-test"

var genesisTime = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// fixture is a genesis with one department and two enterprises whose keys
// are derived from fixed seeds, so every run builds the same chain.
type fixture struct {
	appState []byte
	farm     ed25519.PrivateKey
	market   ed25519.PrivateKey
	admin    ed25519.PrivateKey
}

func keyFromSeed(b byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, 32))
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{farm: keyFromSeed(1), market: keyFromSeed(2), admin: keyFromSeed(3)}
	pub := func(k ed25519.PrivateKey) []byte { return k.Public().(ed25519.PublicKey) }
	st := genesis.AppState{
		Departments: []genesis.Department{{ID: "agri", Name: "Agriculture", ValidatorPubKey: pub(keyFromSeed(9)), Power: 10, AdminKeys: [][]byte{pub(f.admin)}, DivisionCode: "520000"}},
		Participants: []genesis.Participant{
			{ID: "farm", Name: "Farm", Role: "enterprise", Department: "agri", CreditCode: "91520100MA6DKQ1X3R", DivisionCode: "520102", Keys: [][]byte{pub(f.farm)}},
			{ID: "market", Name: "Market", Role: "enterprise", Department: "agri", CreditCode: "91520100MA6DLG8R28", DivisionCode: "520102", Keys: [][]byte{pub(f.market)}},
		},
		Params: genesis.DefaultParams(),
	}
	bz, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	f.appState = bz
	return f
}

func openApp(t testing.TB, dir string, hook func(crashPoint) bool) *App {
	t.Helper()
	a, err := newApp(Options{Dir: dir}, testHooks{inMemory: dir == "", crash: hook})
	if err != nil {
		t.Fatalf("open app: %v", err)
	}
	return a
}

func initChain(t testing.TB, a *App, f *fixture) []byte {
	t.Helper()
	res, err := a.InitChain(context.Background(), &abci.RequestInitChain{ChainId: testChainID, Time: genesisTime, InitialHeight: 1, AppStateBytes: f.appState})
	if err != nil {
		t.Fatalf("InitChain: %v", err)
	}
	return res.AppHash
}

func signTx(t testing.TB, key ed25519.PrivateKey, seq uint64, chainID string, msgs ...*tlv1.Msg) []byte {
	t.Helper()
	body := tlv1.TxBody{ChainId: chainID, Signer: tlv1.KeyID(key.Public().(ed25519.PublicKey)), Sequence: seq, Messages: msgs}
	bb, err := body.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	tx := tlv1.Tx{BodyBytes: bb, Signature: ed25519.Sign(key, tlv1.SignBytes(bb))}
	raw, err := tx.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func eventMsg(subject, typ string, at time.Time) *tlv1.Msg {
	sum := sha256.Sum256([]byte(subject + typ + at.String()))
	return &tlv1.Msg{Sum: &tlv1.Msg_RecordEvent{RecordEvent: &tlv1.RecordEvent{
		Subject: subject, EventType: typ, EventTimeMs: at.UnixMilli(), PayloadSha256: sum[:], Note: "n"}}}
}

func blockTime(h int64) time.Time { return genesisTime.Add(time.Duration(h) * time.Second) }

// finalize runs FinalizeBlock and Commit for one block and returns the
// results and app hash.
func finalize(t testing.TB, a *App, h int64, txs [][]byte) (*abci.ResponseFinalizeBlock, error) {
	t.Helper()
	res, err := a.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: h, Time: blockTime(h), Txs: txs})
	if err != nil {
		return nil, err
	}
	if _, err := a.Commit(context.Background(), &abci.RequestCommit{}); err != nil {
		return res, err
	}
	return res, nil
}

// chain is a deterministic sequence of blocks.
type chain struct {
	blocks [][][]byte
}

// makeChain builds n blocks of random-sized batches of events from two
// signers, including some invalid transactions, from a fixed seed.
func makeChain(t testing.TB, f *fixture, n int, seed int64) chain {
	rng := rand.New(rand.NewSource(seed))
	seqs := map[string]uint64{}
	var c chain
	lots := []string{"urn:epc:class:lgtin:6901234.500012.L1", "urn:epc:class:lgtin:6901234.500012.L2", "urn:epc:id:sgtin:6901234.500012.77"}
	for h := 1; h <= n; h++ {
		var txs [][]byte
		for i := rng.Intn(6); i > 0; i-- {
			key, name := f.farm, "farm"
			if rng.Intn(2) == 0 {
				key, name = f.market, "market"
			}
			var msgs []*tlv1.Msg
			for m := rng.Intn(3) + 1; m > 0; m-- {
				// Each event its own type: a repeated identical event
				// would be refused as a duplicate (code 16).
				msgs = append(msgs, eventMsg(lots[rng.Intn(len(lots))], fmt.Sprintf("step%d-%d-%d", h, i, m), blockTime(int64(h)).Add(-time.Hour)))
			}
			switch rng.Intn(8) {
			case 0: // a replay: an already used sequence
				if seqs[name] > 0 {
					txs = append(txs, signTx(t, key, seqs[name]-1, testChainID, msgs...))
				}
			case 1: // garbage
				txs = append(txs, []byte{0xff, 0x01, byte(h)})
			default:
				txs = append(txs, signTx(t, key, seqs[name], testChainID, msgs...))
				seqs[name]++
			}
		}
		c.blocks = append(c.blocks, txs)
	}
	return c
}

func TestDeterminismTwoInstances(t *testing.T) {
	f := newFixture(t)
	c := makeChain(t, f, 40, 7)
	a, b := openApp(t, "", nil), openApp(t, t.TempDir(), nil)
	defer a.Close()
	defer b.Close()
	if ga, gb := initChain(t, a, f), initChain(t, b, f); !bytes.Equal(ga, gb) {
		t.Fatalf("genesis app hashes differ: %X vs %X", ga, gb)
	}
	accepted := 0
	for i, txs := range c.blocks {
		h := int64(i + 1)
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
			if ra.TxResults[j].Code != rb.TxResults[j].Code {
				t.Fatalf("height %d tx %d: codes differ", h, j)
			}
			if ra.TxResults[j].Code == 0 {
				accepted++
			}
		}
	}
	if accepted == 0 {
		t.Fatal("no transaction was accepted: the chain tests nothing")
	}
}

// TestCrashRecovery stops the app at each point of the block cycle, reopens
// it from disk, replays as CometBFT's handshake would (from Info's height),
// and checks every app hash against an uninterrupted run.
func TestCrashRecovery(t *testing.T) {
	f := newFixture(t)
	c := makeChain(t, f, 12, 11)
	ref := openApp(t, "", nil)
	defer ref.Close()
	initChain(t, ref, f)
	want := map[int64][]byte{}
	for i, txs := range c.blocks {
		r, err := finalize(t, ref, int64(i+1), txs)
		if err != nil {
			t.Fatal(err)
		}
		want[int64(i+1)] = r.AppHash
	}
	points := []crashPoint{crashAfterFinalize, crashBeforeWrite, crashBeforeMarker, crashAfterCommitWrite}
	for _, p := range points {
		for _, crashAt := range []int64{1, 6} {
			t.Run(fmt.Sprintf("%s/height-%d", p, crashAt), func(t *testing.T) {
				dir := t.TempDir()
				var height int64
				a := openApp(t, dir, func(cp crashPoint) bool { return cp == p && height == crashAt })
				initChain(t, a, f)
				for height = 1; height <= int64(len(c.blocks)); height++ {
					_, err := finalize(t, a, height, c.blocks[height-1])
					if err == errCrash {
						break
					}
					if err != nil {
						t.Fatal(err)
					}
				}
				if height > int64(len(c.blocks)) {
					t.Fatal("crash hook never fired")
				}
				a.Close()

				b := openApp(t, dir, nil)
				defer b.Close()
				info, err := b.Info(context.Background(), &abci.RequestInfo{})
				if err != nil {
					t.Fatal(err)
				}
				last := info.LastBlockHeight
				wantLast := crashAt - 1
				if p == crashAfterCommitWrite {
					wantLast = crashAt
				}
				if last != wantLast {
					t.Fatalf("after crash at %s of height %d, Info reports height %d, want %d", p, crashAt, last, wantLast)
				}
				if last == 0 {
					initChain(t, b, f) // the handshake calls InitChain again
				} else if !bytes.Equal(info.LastBlockAppHash, want[last]) {
					t.Fatalf("restored app hash at %d is %X, want %X", last, info.LastBlockAppHash, want[last])
				}
				for h := last + 1; h <= int64(len(c.blocks)); h++ {
					r, err := finalize(t, b, h, c.blocks[h-1])
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(r.AppHash, want[h]) {
						t.Fatalf("replayed height %d: app hash %X, uninterrupted run %X", h, r.AppHash, want[h])
					}
				}
			})
		}
	}
}

func TestRestartRebuildsSameState(t *testing.T) {
	f := newFixture(t)
	c := makeChain(t, f, 10, 3)
	dir := t.TempDir()
	a := openApp(t, dir, nil)
	initChain(t, a, f)
	var last []byte
	for i, txs := range c.blocks {
		r, err := finalize(t, a, int64(i+1), txs)
		if err != nil {
			t.Fatal(err)
		}
		last = r.AppHash
	}
	a.Close()
	b := openApp(t, dir, nil)
	defer b.Close()
	info, _ := b.Info(context.Background(), &abci.RequestInfo{})
	if info.LastBlockHeight != int64(len(c.blocks)) || !bytes.Equal(info.LastBlockAppHash, last) {
		t.Fatalf("Info after restart: height %d hash %X; want %d %X", info.LastBlockHeight, info.LastBlockAppHash, len(c.blocks), last)
	}
}

// verifyAppHash recomputes the app hash from answer roots.
func verifyAppHash(t *testing.T, roots *tlv1.StateRoots, want []byte) {
	t.Helper()
	got, err := proof.AppHashOf(roots)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[:], want) {
		t.Fatalf("answer roots hash to %X, committed app hash is %X", got, want)
	}
}
