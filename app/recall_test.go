// SPDX-License-Identifier: Apache-2.0

package app

import (
	"testing"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

func recallBody(id, enterprise string, lots ...string) *tlv1.InitiateRecall {
	return &tlv1.InitiateRecall{Id: id, Enterprise: enterprise, Lots: lots, Reason: "residue above limit", Hazard: "chlorpyrifos",
		Level: tlv1.RECALL_LEVEL_2, PeriodFromMs: genesisTime.UnixMilli(), PeriodUntilMs: genesisTime.AddDate(0, 1, 0).UnixMilli()}
}

func recallMsg(r *tlv1.InitiateRecall) *tlv1.Msg {
	return &tlv1.Msg{Sum: &tlv1.Msg_InitiateRecall{InitiateRecall: r}}
}

// TestRecall: a voluntary recall and an ordered one are recorded in the
// map and in the histories of the recall, the enterprise's credit and
// every lot; the bad ones are refused and change nothing.
func TestRecall(t *testing.T) {
	g := newGovFixture(t)
	g.ok("farm", eventMsg("urn:x:lot-1", "harvest", blockTime(g.h)))
	g.ok("slaughter", eventMsg("urn:x:lot-2", "slaughter", blockTime(g.h)))

	var lot1, lot2 tlv1.Head
	g.get(tlv1.HeadKey("urn:x:lot-1"), &lot1)
	g.get(tlv1.HeadKey("urn:x:lot-2"), &lot2)
	voluntary := recallBody("R-1", "farm", "urn:x:lot-1")
	voluntary.HeldEvidence = []uint64{lot1.LastIndex}
	g.accept("farm", recallMsg(voluntary))
	var rc tlv1.Recall
	if !g.get(tlv1.RecallKey("R-1"), &rc) || rc.OrderedBy != "" || rc.Height != g.h || rc.Body.Enterprise != "farm" {
		t.Fatalf("voluntary recall: %+v", &rc)
	}
	ordered := recallBody("R-2", "slaughter", "urn:x:lot-2")
	ordered.Products = []string{"urn:x:class-pork"}
	g.accept("ahv", recallMsg(ordered))
	if !g.get(tlv1.RecallKey("R-2"), &rc) || rc.OrderedBy != "ahv" {
		t.Fatalf("ordered recall: %+v", &rc)
	}
	for subject, want := range map[string]uint64{tlv1.RecallSubject("R-1"): 1, tlv1.RecallSubject("R-2"): 1, tlv1.CreditSubject("farm"): 1,
		tlv1.CreditSubject("slaughter"): 1, "urn:x:lot-1": 2, "urn:x:lot-2": 2, "urn:x:class-pork": 1} {
		if n := g.headCount(subject); n != want {
			t.Errorf("history %q has %d records, want %d", subject, n, want)
		}
	}

	var recall1 tlv1.Head
	g.get(tlv1.HeadKey(tlv1.RecallSubject("R-1")), &recall1)
	mod := func(f func(r *tlv1.InitiateRecall)) *tlv1.Msg {
		r := recallBody("R-3", "farm", "urn:x:lot-1")
		r.HeldEvidence = []uint64{lot1.LastIndex}
		f(r)
		return recallMsg(r)
	}
	for _, tc := range []struct {
		name      string
		checkCode tlv1.Code
		code      tlv1.Code
		fragment  string
		signer    string
		msg       *tlv1.Msg
	}{
		{"no lot or product", tlv1.CodeRecallInvalid, tlv1.CodeRecallInvalid, "names no product", "farm", mod(func(r *tlv1.InitiateRecall) { r.Lots = nil })},
		{"bad level", tlv1.CodeRecallInvalid, tlv1.CodeRecallInvalid, "level", "farm", mod(func(r *tlv1.InitiateRecall) { r.Level = 4 })},
		{"reversed period", tlv1.CodeRecallInvalid, tlv1.CodeRecallInvalid, "reversed", "farm", mod(func(r *tlv1.InitiateRecall) { r.PeriodUntilMs = r.PeriodFromMs - 1 })},
		{"no reason", tlv1.CodeRecallInvalid, tlv1.CodeRecallInvalid, "reason", "farm", mod(func(r *tlv1.InitiateRecall) { r.Reason = "" })},
		{"bad id", tlv1.CodeRecallInvalid, tlv1.CodeRecallInvalid, "initiate_recall.id", "farm", mod(func(r *tlv1.InitiateRecall) { r.Id = "a b" })},
		{"bad lot", tlv1.CodeEPCISInvalidIdentifier, tlv1.CodeEPCISInvalidIdentifier, "lots[0]", "farm", mod(func(r *tlv1.InitiateRecall) { r.Lots = []string{"nolot"} })},
		{"reserved lot", tlv1.CodeRecallInvalid, tlv1.CodeRecallInvalid, "reserved", "farm", mod(func(r *tlv1.InitiateRecall) { r.Lots = []string{"recall:R-1"} })},
		{"unknown lot", 0, tlv1.CodeRecallUnknownLot, "no history", "farm", mod(func(r *tlv1.InitiateRecall) { r.Lots = []string{"urn:x:never"} })},
		{"for another enterprise", 0, tlv1.CodeRecallNotResponsible, "only for itself", "farm", mod(func(r *tlv1.InitiateRecall) { r.Enterprise = "slaughter" })},
		{"ordered for a non-enterprise", 0, tlv1.CodeRecallNotResponsible, "not an enterprise", "agri", mod(func(r *tlv1.InitiateRecall) { r.Enterprise, r.HeldEvidence = "lab", nil })},
		{"ordered for nobody", 0, tlv1.CodeRecallNotResponsible, "not registered", "agri", mod(func(r *tlv1.InitiateRecall) { r.Enterprise, r.HeldEvidence = "ghost", nil })},
		{"no held evidence", 0, tlv1.CodeRecallNotHeld, "one held_evidence", "farm", mod(func(r *tlv1.InitiateRecall) { r.HeldEvidence = nil })},
		{"lot held by another", 0, tlv1.CodeRecallNotHeld, "signed by slaughter", "farm", mod(func(r *tlv1.InitiateRecall) {
			r.Lots, r.HeldEvidence = []string{"urn:x:lot-2"}, []uint64{lot2.LastIndex}
		})},
		{"evidence about another lot", 0, tlv1.CodeRecallNotHeld, "does not name the lot", "slaughter", mod(func(r *tlv1.InitiateRecall) {
			r.Enterprise, r.Lots, r.HeldEvidence = "slaughter", []string{"urn:x:lot-1"}, []uint64{lot2.LastIndex}
		})},
		{"evidence not an event", 0, tlv1.CodeRecallNotHeld, "not a trace event", "farm", mod(func(r *tlv1.InitiateRecall) { r.HeldEvidence = []uint64{recall1.LastIndex} })},
		{"evidence signed by genesis", 0, tlv1.CodeRecallNotHeld, "signed by genesis", "farm", mod(func(r *tlv1.InitiateRecall) { r.HeldEvidence = []uint64{0} })},
		{"evidence beyond the log", 0, tlv1.CodeRecallNotHeld, "no such record", "farm", mod(func(r *tlv1.InitiateRecall) { r.HeldEvidence = []uint64{1 << 40} })},
		{"evidence in an ordered recall", 0, tlv1.CodeRecallInvalid, "must be empty", "agri", mod(func(*tlv1.InitiateRecall) {})},
		{"duplicate id", 0, tlv1.CodeRecallDuplicate, "already recorded", "farm", mod(func(r *tlv1.InitiateRecall) { r.Id = "R-1" })},
		{"certifier", tlv1.CodeUnauthorized, tlv1.CodeUnauthorized, "initiate_recall", "lab", mod(func(*tlv1.InitiateRecall) {})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g.t = t
			g.reject(tc.checkCode, tc.code, tc.fragment, tc.signer, tc.msg)
		})
	}
}
