// SPDX-License-Identifier: Apache-2.0

package app

import (
	"bytes"
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// fuzzRecipient is a fixed, valid age X25519 recipient for the seeds.
const fuzzRecipient = "age1fllwqfj7pksd2d6vy2pn78hehnxaycmz2rgx0kypymqc9reewyks2p4xpa"

// FuzzDisclosureMsg decodes arbitrary bytes as a message, signs it as the
// farm (an enterprise) or the market department, and runs it through
// CheckTx and FinalizeBlock on a chain with a recorded event, encryption
// keys and an open request: the state machine must not panic, must answer
// with a defined code other than internal, and a rejected message must
// leave the app hash of an empty block. The seeds are every disclosure
// message kind (and testdata/fuzz/FuzzDisclosureMsg).
func FuzzDisclosureMsg(f *testing.F) {
	g := newGovFixture(f)
	g.ok("farm", addEncMsg(fuzzRecipient, ""))
	agriR := newRecipient(f)
	g.ok("agri", addEncMsg(agriR, ""))
	g.ok("farm", eventMsg("urn:x:lot-1", "harvest", blockTime(g.h)))
	var lot tlv1.Head
	g.get(tlv1.HeadKey("urn:x:lot-1"), &lot)
	g.ok("market", requestMsg(&tlv1.RequestDisclosure{Number: "Q1", Enterprise: "farm", Lot: "urn:x:lot-1", Purpose: "p", LegalBasis: "l", DeadlineMs: blockTime(g.h + 50).UnixMilli()}))
	seeds := []*tlv1.Msg{
		addEncMsg(fuzzRecipient, ""), addEncMsg(agriR, tlv1.EncryptionKeyID(fuzzRecipient)),
		revokeEncMsg("", tlv1.EncryptionKeyID(fuzzRecipient)), revokeEncMsg("farm", tlv1.EncryptionKeyID(fuzzRecipient)),
		discloseMsg(&tlv1.Disclose{EventIndexes: []uint64{lot.LastIndex}, CiphertextSha256: bytes.Repeat([]byte{1}, 32), CiphertextSize: 10,
			Recipients: []*tlv1.DisclosureRecipient{{Participant: "agri", KeyId: tlv1.EncryptionKeyID(agriR)}}, Purpose: "p", LegalBasis: "l", Request: "market/Q1"}),
		requestMsg(&tlv1.RequestDisclosure{Number: "Q2", Enterprise: "farm", PeriodFromMs: 1, PeriodUntilMs: 2, EventType: "harvest", Purpose: "p", LegalBasis: "l", DeadlineMs: blockTime(g.h + 9).UnixMilli()}),
		refuseMsg("market/Q1", "no"),
	}
	for _, m := range seeds {
		bz, err := m.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(bz, false)
		f.Add(bz, true)
	}
	at := blockTime(g.h + 1)
	empty, err := g.a.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: g.h + 1, Time: at})
	if err != nil {
		f.Fatal(err)
	}
	known := map[tlv1.Code]bool{}
	for _, c := range tlv1.Codes() {
		known[c] = true
	}
	f.Fuzz(func(t *testing.T, msgBytes []byte, asDepartment bool) {
		var m tlv1.Msg
		if err := m.Unmarshal(msgBytes); err != nil {
			return
		}
		signer := "farm"
		if asDepartment {
			signer = "market"
		}
		tx := signTx(t, namedKey(signer), g.seq[signer], testChainID, &m)
		chk, err := g.a.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: tx})
		if err != nil {
			t.Fatal(err)
		}
		g.a.checkMu.Lock()
		clear(g.a.pool.pendingSeq)
		g.a.checkMu.Unlock()
		if !known[tlv1.Code(chk.Code)] || chk.Code == uint32(tlv1.CodeInternal) {
			t.Fatalf("CheckTx code %d: %s", chk.Code, chk.Log)
		}
		res, err := g.a.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: g.h + 1, Time: at, Txs: [][]byte{tx}})
		if err != nil {
			t.Fatal(err)
		}
		r := res.TxResults[0]
		if !known[tlv1.Code(r.Code)] || r.Code == uint32(tlv1.CodeInternal) {
			t.Fatalf("FinalizeBlock code %d: %s", r.Code, r.Log)
		}
		if r.Code != 0 && !bytes.Equal(res.AppHash, empty.AppHash) {
			t.Fatalf("rejected message (code %d) changed the app hash", r.Code)
		}
	})
}
