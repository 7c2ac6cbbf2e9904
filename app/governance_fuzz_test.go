// SPDX-License-Identifier: Apache-2.0

package app

import (
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// FuzzGovernanceMsg decodes arbitrary bytes as a message, signs it
// properly as a department admin and runs it through CheckTx and
// FinalizeBlock: the state machine must not panic, must answer with a
// defined code other than internal, and a rejected message must leave the
// app hash of an empty block.
func FuzzGovernanceMsg(f *testing.F) {
	seeds := []*tlv1.Msg{
		proposeMsg("add", 0, false, addDeptChange("commerce", 10)),
		proposeMsg("rm", 0, true, removeDeptChange("ahv", "agri")),
		proposeMsg("pw", 5, true, powerChange("agri", 20)),
		proposeMsg("q", 0, false, quorumChange(3, 4)),
		proposeMsg("acc", 0, false, accreditChange("lab", "gap")),
		proposeMsg("s", 0, false, suspendAccreditationChange("lab")),
		proposeMsg("w", 0, false, withdrawAccreditationChange("lab")),
		proposeMsg("up", 0, false, upgradeChange("v2", 1000)),
		voteMsg(1, true), voteMsg(2, false),
		registerMsg("newco", tlv1.ROLE_ENTERPRISE, 99, "newco"),
		registerMsg("newlab", tlv1.ROLE_CERTIFIER, 98, "newlab"),
		suspendMsg("farm"), reinstateMsg("farm"),
		rotateMsg("agri", "agri-new"),
		revokeMsg("farm-b", ""), revokeMsg("farm", "farm-x"),
	}
	for _, m := range seeds {
		bz, err := m.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(bz)
	}
	g := newGovFixture(f)
	g.ok("agri", proposeMsg("open", 0, false, accreditChange("lab", "gap")))
	g.ok("market", proposeMsg("open", 0, false, powerChange("drug", 12)))
	at := blockTime(g.h + 1)
	empty, err := g.a.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: g.h + 1, Time: at})
	if err != nil {
		f.Fatal(err)
	}
	known := map[tlv1.Code]bool{}
	for _, c := range tlv1.Codes() {
		known[c] = true
	}
	seq := g.seq["agri"]
	f.Fuzz(func(t *testing.T, msgBytes []byte) {
		var m tlv1.Msg
		if err := m.Unmarshal(msgBytes); err != nil {
			return
		}
		tx := signTx(t, namedKey("agri"), seq, testChainID, &m)
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
		if r.Code != 0 && string(res.AppHash) != string(empty.AppHash) {
			t.Fatalf("rejected message (code %d) changed the app hash", r.Code)
		}
	})
}
