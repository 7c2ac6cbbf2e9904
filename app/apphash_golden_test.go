// SPDX-License-Identifier: Apache-2.0

package app

import (
	"encoding/hex"
	"testing"
)

// TestAppHashGolden pins the app hash of two fixed ledgers: a 60-block
// chain of event batches from two signers with replays and garbage mixed
// in (makeChain, seed 42) and a 3,000-event ledger (filledApp). Issue 8's
// optimizations were required to leave every app hash unchanged; these
// values were computed at commit 913f7e6, before them, and are the same
// after. A change that alters them changes the protocol: it needs a new
// app-hash version and a note in docs/PROOFS.md, not a new constant here.
//
// App protocol version 2 (issues 12, 16 and 20) changed both on purpose:
//   - record_event subjects are filed under their canonical identifier (the
//     fixtures name their lots as EPC URIs, so the heads moved to Digital
//     Link keys);
//   - every recorded event gets a "trace/<digest>" entry that makes a retry
//     a duplicate (so makeChain gives each event its own type: its old
//     chain repeated identical events);
//   - the chain parameters at "params" are a protobuf tlv1.ChainParams
//     instead of genesis JSON;
//   - every department's validator key is remembered at "valkey/<key id>",
//     so that it never becomes a participant key.
//
// Version 1's values were df863370... (chain) and 21db324b... (filled).
func TestAppHashGolden(t *testing.T) {
	const (
		wantChain  = "b88fa6c3615fc38a1a1db686888a9239e4aefb198a766f7763966a4d5928f0cf"
		wantFilled = "9651a061c660a269e0b5d54dd160c95d02f2a27e54ed417b20a9736dcf3cd88c"
	)
	f := newFixture(t)
	a := openApp(t, t.TempDir(), nil)
	defer a.Close()
	initChain(t, a, f)
	var last []byte
	for i, txs := range makeChain(t, f, 60, 42).blocks {
		res, err := finalize(t, a, int64(i+1), txs)
		if err != nil {
			t.Fatal(err)
		}
		last = res.AppHash
	}
	if got := hex.EncodeToString(last); got != wantChain {
		t.Errorf("app hash after the 60-block chain = %s, want %s", got, wantChain)
	}
	b, _ := filledApp(t, t.TempDir(), 3000)
	defer b.Close()
	if got := hex.EncodeToString(b.latest().info.AppHash); got != wantFilled {
		t.Errorf("app hash of the 3,000-event ledger = %s, want %s", got, wantFilled)
	}
}
