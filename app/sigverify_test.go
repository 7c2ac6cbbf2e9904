// SPDX-License-Identifier: Apache-2.0

package app

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"math/rand"
	"testing"
	"time"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// forged returns tx with one bit of its signature flipped.
func forged(t testing.TB, raw []byte) []byte {
	var tx tlv1.Tx
	if err := tx.Unmarshal(raw); err != nil {
		t.Fatal(err)
	}
	tx.Signature = bytes.Clone(tx.Signature)
	tx.Signature[5] ^= 0x10
	out, err := tx.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// bigChain is like makeChain with blocks large enough for the parallel
// path, and forged signatures, unknown signers and garbage mixed in.
func bigChain(t testing.TB, f *fixture, n int, seed int64) [][][]byte {
	rng := rand.New(rand.NewSource(seed))
	seqs := map[string]uint64{}
	stranger := keyFromSeed(77)
	var blocks [][][]byte
	for h := 1; h <= n; h++ {
		var txs [][]byte
		for i := 20 + rng.Intn(40); i > 0; i-- {
			key, name := f.farm, "farm"
			if rng.Intn(2) == 0 {
				key, name = f.market, "market"
			}
			// Each event its own (type step<h>-<i>): a repeated identical
			// event would be refused as a duplicate (code 16).
			msg := eventMsg("urn:epc:class:lgtin:6901234.500012.L"+string(rune('A'+rng.Intn(5))), fmt.Sprintf("step%d-%d", h, i), blockTime(int64(h)).Add(-time.Hour))
			switch rng.Intn(10) {
			case 0: // a forged signature with the right sequence: rejected, and the sequence stays free
				txs = append(txs, forged(t, signTx(t, key, seqs[name], testChainID, msg)))
			case 1: // an unknown signer
				txs = append(txs, signTx(t, stranger, 0, testChainID, msg))
			case 2: // garbage
				txs = append(txs, []byte{0x0a, byte(h), 0x01})
			case 3: // a replay
				if seqs[name] > 0 {
					txs = append(txs, signTx(t, key, seqs[name]-1, testChainID, msg))
				}
			default:
				txs = append(txs, signTx(t, key, seqs[name], testChainID, msg))
				seqs[name]++
			}
		}
		blocks = append(blocks, txs)
	}
	return blocks
}

// TestPreverifyOutcomeNeutral runs the same blocks through an app whose
// block signatures are verified up front in parallel and through one whose
// signature cache holds a single entry (so nearly every signature is
// verified inline by authTx, as before preverifySignatures existed): every
// result code and every app hash must agree.
func TestPreverifyOutcomeNeutral(t *testing.T) {
	f := newFixture(t)
	blocks := bigChain(t, f, 12, 3)
	a, ref := openApp(t, "", nil), openApp(t, "", nil)
	defer a.Close()
	defer ref.Close()
	ref.sigs = newSigCache(1)
	initChain(t, a, f)
	initChain(t, ref, f)
	accepted, badSig := 0, 0
	for i, txs := range blocks {
		h := int64(i + 1)
		ra, err := finalize(t, a, h, txs)
		if err != nil {
			t.Fatal(err)
		}
		rr, err := finalize(t, ref, h, txs)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ra.AppHash, rr.AppHash) {
			t.Fatalf("height %d: app hash %X, inline reference %X", h, ra.AppHash, rr.AppHash)
		}
		for j := range ra.TxResults {
			if ra.TxResults[j].Code != rr.TxResults[j].Code {
				t.Fatalf("height %d tx %d: code %d, inline reference %d (%s)", h, j, ra.TxResults[j].Code, rr.TxResults[j].Code, rr.TxResults[j].Log)
			}
			switch tlv1.Code(ra.TxResults[j].Code) {
			case tlv1.CodeOK:
				accepted++
			case tlv1.CodeBadSignature:
				badSig++
			}
		}
	}
	if accepted < 100 || badSig == 0 {
		t.Fatalf("accepted %d, bad signatures %d: the chain does not exercise both paths", accepted, badSig)
	}
}

// TestPreverifyCachesOnlyValid checks what preverifySignatures leaves in
// the cache: valid signatures of known keys, and nothing else.
func TestPreverifyCachesOnlyValid(t *testing.T) {
	f := newFixture(t)
	a := openApp(t, "", nil)
	defer a.Close()
	initChain(t, a, f)
	at := blockTime(1)
	var valid, invalid [][]byte
	for i := 0; i < 40; i++ { // above minParallelSigs: the parallel path
		tx := signTx(t, f.farm, uint64(i), testChainID, eventMsg("urn:x:1", "a", at))
		if i%4 == 0 {
			invalid = append(invalid, forged(t, tx))
		} else {
			valid = append(valid, tx)
		}
	}
	invalid = append(invalid,
		signTx(t, keyFromSeed(50), 0, testChainID, eventMsg("urn:x:1", "a", at)), // unknown signer
		signTx(t, f.farm, 99, "other-chain", eventMsg("urn:x:1", "a", at)),       // another chain
		[]byte("garbage"))
	reader := a.genesisBlock.o // the state before the first block
	a.preverifySignatures(reader, append(append([][]byte{}, invalid...), valid...), testChainID)
	farmID := tlv1.KeyID(f.farm.Public().(ed25519.PublicKey))
	for _, tx := range valid {
		if !a.sigs.verified(TxHash(tx), farmID) {
			t.Fatal("a valid signature was not cached")
		}
	}
	for i, tx := range invalid {
		if a.sigs.verified(TxHash(tx), farmID) || a.sigs.verified(TxHash(tx), tlv1.KeyID(keyFromSeed(50).Public().(ed25519.PublicKey))) {
			t.Fatalf("invalid tx %d was cached as verified", i)
		}
	}
}

// FuzzPreverify feeds arbitrary transactions to preverifySignatures: it
// must never panic, and anything it caches as verified must carry a
// signature that crypto/ed25519 accepts for the named key.
func FuzzPreverify(f *testing.F) {
	fx := newFixture(f)
	at := blockTime(1)
	good := signTx(f, fx.farm, 0, testChainID, eventMsg("urn:x:1", "a", at))
	f.Add(good)
	f.Add(forged(f, good))
	f.Add([]byte{})
	a := openApp(f, "", nil)
	defer a.Close()
	initChain(f, a, fx)
	reader := a.genesisBlock.o // the state before the first block
	pubs := map[string]ed25519.PublicKey{}
	for _, k := range []ed25519.PrivateKey{fx.farm, fx.market, fx.admin} {
		pub := k.Public().(ed25519.PublicKey)
		pubs[tlv1.KeyID(pub)] = pub
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		a.preverifySignatures(reader, [][]byte{raw}, testChainID)
		var tx tlv1.Tx
		var body tlv1.TxBody
		if tx.Unmarshal(raw) != nil || body.Unmarshal(tx.BodyBytes) != nil {
			return
		}
		if a.sigs.verified(TxHash(raw), body.Signer) {
			pub := pubs[body.Signer]
			if pub == nil || !ed25519.Verify(pub, tlv1.SignBytes(tx.BodyBytes), tx.Signature) {
				t.Fatalf("cached as verified, but the signature does not verify")
			}
		}
	})
}
