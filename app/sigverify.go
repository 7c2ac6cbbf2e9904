// SPDX-License-Identifier: Apache-2.0

package app

import (
	"crypto/ed25519"
	"sync"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// sigWorkers is the number of goroutines that verify a block's signatures.
const sigWorkers = 2

// minParallelSigs is the smallest number of unverified signatures worth
// spreading over several goroutines.
const minParallelSigs = 16

// preverifySignatures verifies, before a block executes, the signatures of
// its transactions that this node has not verified yet (those its CheckTx
// never saw: a block proposed by another node with transactions that did
// not reach this node's mempool), on sigWorkers goroutines, and adds each
// valid one to the signature cache that deliverTx consults.
//
// It cannot change any outcome, so it cannot change an app hash: a
// transaction whose signature is found valid here is one whose inline check
// in authTx would succeed too (the tx hash covers body and signature, and
// the key id is a hash of the public key, so the same key id in the block's
// state names the same public key), and any other transaction (malformed,
// unknown signer, bad signature) is left to authTx, which decides exactly as
// before. The verification of each signature is independent of the others
// and of their order.
func (a *App) preverifySignatures(r mapReader, txs [][]byte, chainID string) {
	type job struct {
		hash, msg, sig []byte
		pub            ed25519.PublicKey
		keyID          string
		ok             bool
	}
	var jobs []job
	pubs := map[string]ed25519.PublicKey{} // key id -> public key, looked up once per block
	for _, raw := range txs {
		hash := TxHash(raw)
		var tx tlv1.Tx
		if tx.Unmarshal(raw) != nil || len(tx.Signature) != ed25519.SignatureSize || len(tx.BodyBytes) == 0 {
			continue
		}
		var body tlv1.TxBody
		if body.Unmarshal(tx.BodyBytes) != nil || body.ChainId != chainID || body.Signer == "" {
			continue
		}
		if a.sigs.verified(hash, body.Signer) {
			continue
		}
		pub, seen := pubs[body.Signer]
		if !seen {
			var key tlv1.Key
			if found, err := getProto(r, tlv1.KeyKey(body.Signer), &key); err == nil && found && len(key.PublicKey) == ed25519.PublicKeySize {
				pub = ed25519.PublicKey(key.PublicKey)
			}
			pubs[body.Signer] = pub // nil: unknown here (perhaps registered in this block); authTx decides
		}
		if pub == nil {
			continue
		}
		jobs = append(jobs, job{hash: hash, msg: tlv1.SignBytes(tx.BodyBytes), sig: tx.Signature, pub: pub, keyID: body.Signer})
	}
	if len(jobs) == 0 {
		return
	}
	verify := func(from, step int) {
		for i := from; i < len(jobs); i += step {
			jobs[i].ok = a.sigv.verify(jobs[i].pub, jobs[i].msg, jobs[i].sig)
		}
	}
	if len(jobs) < minParallelSigs {
		verify(0, 1)
	} else {
		var wg sync.WaitGroup
		for w := 0; w < sigWorkers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				verify(w, sigWorkers)
			}()
		}
		wg.Wait()
	}
	for _, j := range jobs {
		if j.ok {
			a.sigs.add(j.hash, j.keyID)
		}
	}
}
