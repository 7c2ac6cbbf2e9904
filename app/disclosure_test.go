// SPDX-License-Identifier: Apache-2.0

package app

import (
	"bytes"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/traceledger/traceledger/client"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

func newRecipient(t testing.TB) string {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id.Recipient().String()
}

func addEncMsg(recipient, replaces string) *tlv1.Msg {
	return &tlv1.Msg{Sum: &tlv1.Msg_AddEncryptionKey{AddEncryptionKey: &tlv1.AddEncryptionKey{Recipient: recipient, ReplacesKeyId: replaces}}}
}

func revokeEncMsg(participant, keyID string) *tlv1.Msg {
	return &tlv1.Msg{Sum: &tlv1.Msg_RevokeEncryptionKey{RevokeEncryptionKey: &tlv1.RevokeEncryptionKey{Participant: participant, KeyId: keyID, Reason: "lost"}}}
}

func discloseMsg(d *tlv1.Disclose) *tlv1.Msg { return &tlv1.Msg{Sum: &tlv1.Msg_Disclose{Disclose: d}} }

func requestMsg(r *tlv1.RequestDisclosure) *tlv1.Msg {
	return &tlv1.Msg{Sum: &tlv1.Msg_RequestDisclosure{RequestDisclosure: r}}
}

func refuseMsg(id, reason string) *tlv1.Msg {
	return &tlv1.Msg{Sum: &tlv1.Msg_RefuseDisclosure{RefuseDisclosure: &tlv1.RefuseDisclosure{Request: id, Reason: reason}}}
}

// TestDisclosure drives encryption keys, disclosures and requests through
// real blocks: the accepted ones change the map and the histories, the bad
// ones are refused with their codes and change nothing.
func TestDisclosure(t *testing.T) {
	g := newGovFixture(t)
	farmR, marketR, agriR, market2R := newRecipient(t), newRecipient(t), newRecipient(t), newRecipient(t)
	farmK, marketK, agriK, market2K := tlv1.EncryptionKeyID(farmR), tlv1.EncryptionKeyID(marketR), tlv1.EncryptionKeyID(agriR), tlv1.EncryptionKeyID(market2R)
	g.block()
	before := g.headCount(tlv1.ParticipantSubject("farm"))
	g.ok("farm", addEncMsg(farmR, ""))
	g.ok("market", addEncMsg(marketR, ""))
	g.ok("agri", addEncMsg(agriR, ""))
	if n := g.headCount(tlv1.ParticipantSubject("farm")); n != before+1 {
		t.Fatalf("farm's membership history has %d records, want %d", n, before+1)
	}
	var ek tlv1.EncryptionKey
	if !g.get(tlv1.EncryptionKeyKey("market", marketK), &ek) || ek.Status != tlv1.KEY_STATUS_ACTIVE || ek.Recipient != marketR {
		t.Fatalf("market's encryption key: %+v", &ek)
	}

	g.ok("farm", eventMsg("urn:x:lot-1", "harvest", blockTime(g.h)))
	var lot tlv1.Head
	g.get(tlv1.HeadKey("urn:x:lot-1"), &lot)
	g.ok("slaughter", eventMsg("urn:x:lot-2", "slaughter", blockTime(g.h)))
	var lot2 tlv1.Head
	g.get(tlv1.HeadKey("urn:x:lot-2"), &lot2)

	// A hashed EPCIS event may be disclosed; a public one holds nothing to
	// disclose.
	at := blockTime(g.h + 1)
	hashedRes := g.ok("farm", eventMsgOf(prepared(t, epcisDoc(at.Add(-time.Hour), 1), client.ImportHashed)[0]))
	publicRes := g.ok("farm", eventMsgOf(prepared(t, epcisDoc(at.Add(-2*time.Hour), 1), client.ImportPublic)[0]))
	hashedIdx, publicIdx := client.RecordIndexes(hashedRes.TxResults[0].Events), client.RecordIndexes(publicRes.TxResults[0].Events)
	if len(hashedIdx) != 1 || len(publicIdx) != 1 {
		t.Fatalf("EPCIS record indexes %v %v", hashedIdx, publicIdx)
	}

	body := func(f func(d *tlv1.Disclose)) *tlv1.Msg {
		d := &tlv1.Disclose{EventIndexes: []uint64{lot.LastIndex}, CiphertextSha256: bytes.Repeat([]byte{7}, 32), CiphertextSize: 900,
			Recipients: []*tlv1.DisclosureRecipient{{Participant: "market", KeyId: marketK}, {Participant: "agri", KeyId: agriK}},
			Purpose:    "pesticide residue investigation", LegalBasis: "Food Safety Law art. 110"}
		if f != nil {
			f(d)
		}
		return discloseMsg(d)
	}
	g.ok("farm", body(nil))
	g.ok("farm", body(func(d *tlv1.Disclose) { d.EventIndexes = []uint64{lot.LastIndex, hashedIdx[0]} }))
	for s, want := range map[string]uint64{tlv1.DisclosureSubject("farm"): 2, tlv1.DisclosureSubject("market"): 2, tlv1.DisclosureSubject("agri"): 2} {
		if n := g.headCount(s); n != want {
			t.Errorf("history %q has %d records, want %d", s, n, want)
		}
	}

	// Rotation: the old key may no longer be disclosed to, the new one may.
	g.ok("market", addEncMsg(market2R, marketK))
	if !g.get(tlv1.EncryptionKeyKey("market", marketK), &ek) || ek.Status != tlv1.KEY_STATUS_REVOKED || ek.ReplacedBy != market2K {
		t.Fatalf("rotated key: %+v", &ek)
	}
	var set tlv1.EncryptionKeySet
	if !g.get(tlv1.EncryptionKeySetKey("market"), &set) || len(set.Active) != 1 || set.Active[0] != market2K {
		t.Fatalf("market's active encryption keys: %v", set.Active)
	}
	g.ok("farm", body(func(d *tlv1.Disclose) { d.Recipients[0].KeyId = market2K }))

	// A department revokes an encryption key of a participant it supervises.
	g.ok("agri", revokeEncMsg("farm", farmK))

	// Requests and their answers.
	deadline := blockTime(g.h + 100).UnixMilli()
	req := func(number string, f func(r *tlv1.RequestDisclosure)) *tlv1.Msg {
		r := &tlv1.RequestDisclosure{Number: number, Enterprise: "farm", Lot: "urn:x:lot-1", Purpose: "inspection", LegalBasis: "Food Safety Law art. 110", DeadlineMs: deadline}
		if f != nil {
			f(r)
		}
		return requestMsg(r)
	}
	g.ok("market", req("Q1", nil))
	g.ok("market", req("Q2", nil))
	var q tlv1.DisclosureRequest
	if !g.get(tlv1.DisclosureRequestKey("market/Q1"), &q) || q.Status != tlv1.DISCLOSURE_REQUEST_STATUS_OPEN || q.Requester != "market" {
		t.Fatalf("request: %+v", &q)
	}
	g.ok("farm", refuseMsg("market/Q1", "the lot was never sold in the province"))
	if !g.get(tlv1.DisclosureRequestKey("market/Q1"), &q) || q.Status != tlv1.DISCLOSURE_REQUEST_STATUS_REFUSED || q.AnswerIndex == 0 {
		t.Fatalf("refused request: %+v", &q)
	}
	g.ok("farm", body(func(d *tlv1.Disclose) { d.Recipients = d.Recipients[1:]; d.Request = "market/Q2" }))
	if !g.get(tlv1.DisclosureRequestKey("market/Q2"), &q) || q.Status != tlv1.DISCLOSURE_REQUEST_STATUS_DISCLOSED {
		t.Fatalf("answered request: %+v", &q)
	}
	// The requester's history shows the answer although it is no recipient.
	if n := g.headCount(tlv1.DisclosureSubject("market")); n != 3+2+1+1 {
		t.Errorf("market's disclosure history has %d records, want 7", n)
	}
	g.ok("market", req("Q3", nil))

	const stateless, stateful = tlv1.CodeDisclosureInvalid, tlv1.Code(0)
	for _, tc := range []struct {
		name      string
		checkCode tlv1.Code
		code      tlv1.Code
		fragment  string
		signer    string
		msg       *tlv1.Msg
	}{
		{"not a recipient", stateless, tlv1.CodeDisclosureInvalid, "not an age X25519 recipient", "farm", addEncMsg("age1xyz", "")},
		{"no recipient", stateless, tlv1.CodeDisclosureInvalid, "recipient", "farm", addEncMsg("", "")},
		{"bad replaced key id", stateless, tlv1.CodeDisclosureInvalid, "replaces_key_id", "farm", addEncMsg(newRecipient(t), "abc")},
		{"key added twice", stateful, tlv1.CodeEncryptionKeyDuplicate, "already registered", "agri", addEncMsg(agriR, "")},
		{"rotate a revoked key", stateful, tlv1.CodeEncryptionKeyInactive, "already revoked", "market", addEncMsg(newRecipient(t), marketK)},
		{"rotate an unknown key", stateful, tlv1.CodeEncryptionKeyNotFound, "no encryption key", "market", addEncMsg(newRecipient(t), agriK)},
		{"revoke another's key", stateful, tlv1.CodeOutOfJurisdiction, "only its own", "farm", revokeEncMsg("agri", agriK)},
		{"revoke outside jurisdiction", stateful, tlv1.CodeOutOfJurisdiction, "supervised by", "market", revokeEncMsg("farm", farmK)},
		{"revoke twice", stateful, tlv1.CodeEncryptionKeyInactive, "already revoked", "farm", revokeEncMsg("", farmK)},
		{"no events", stateless, tlv1.CodeDisclosureInvalid, "event_indexes has 0", "farm", body(func(d *tlv1.Disclose) { d.EventIndexes = nil })},
		{"events out of order", stateless, tlv1.CodeDisclosureInvalid, "strictly ascending", "farm", body(func(d *tlv1.Disclose) { d.EventIndexes = []uint64{lot.LastIndex, lot.LastIndex} })},
		{"short hash", stateless, tlv1.CodeDisclosureInvalid, "ciphertext_sha256", "farm", body(func(d *tlv1.Disclose) { d.CiphertextSha256 = d.CiphertextSha256[:31] })},
		{"no size", stateless, tlv1.CodeDisclosureInvalid, "ciphertext_size", "farm", body(func(d *tlv1.Disclose) { d.CiphertextSize = 0 })},
		{"no recipients", stateless, tlv1.CodeDisclosureInvalid, "recipients has 0", "farm", body(func(d *tlv1.Disclose) { d.Recipients = nil })},
		{"repeated recipient", stateless, tlv1.CodeDisclosureInvalid, "repeats", "farm", body(func(d *tlv1.Disclose) { d.Recipients[1] = d.Recipients[0] })},
		{"no purpose", stateless, tlv1.CodeDisclosureInvalid, "purpose", "farm", body(func(d *tlv1.Disclose) { d.Purpose = "" })},
		{"no legal basis", stateless, tlv1.CodeDisclosureInvalid, "legal_basis", "farm", body(func(d *tlv1.Disclose) { d.LegalBasis = "" })},
		{"bad request id", stateless, tlv1.CodeDisclosureInvalid, "not <department>/<number>", "farm", body(func(d *tlv1.Disclose) { d.Request = "Q1" })},
		{"another's event", stateful, tlv1.CodeDisclosureNotYourEvent, "recorded by \"slaughter\"", "farm", body(func(d *tlv1.Disclose) { d.EventIndexes = []uint64{lot2.LastIndex} })},
		{"public EPCIS event", stateful, tlv1.CodeDisclosureNotYourEvent, "public", "farm", body(func(d *tlv1.Disclose) { d.EventIndexes = []uint64{publicIdx[0]} })},
		{"not an event", stateful, tlv1.CodeDisclosureNotYourEvent, "not a trace event", "farm", body(func(d *tlv1.Disclose) { d.EventIndexes = []uint64{0} })},
		{"beyond the log", stateful, tlv1.CodeDisclosureNotYourEvent, "no such record", "farm", body(func(d *tlv1.Disclose) { d.EventIndexes = []uint64{1 << 40} })},
		{"rotated recipient key", stateful, tlv1.CodeDisclosureRecipient, "rotated", "farm", body(nil)},
		{"revoked recipient key", stateful, tlv1.CodeDisclosureRecipient, "revoked", "farm", body(func(d *tlv1.Disclose) {
			d.Recipients = []*tlv1.DisclosureRecipient{{Participant: "farm", KeyId: farmK}}
		})},
		{"recipient without that key", stateful, tlv1.CodeDisclosureRecipient, "has no encryption key", "farm", body(func(d *tlv1.Disclose) { d.Recipients[0] = &tlv1.DisclosureRecipient{Participant: "lab", KeyId: agriK} })},
		{"unknown recipient", stateful, tlv1.CodeDisclosureRecipient, "not registered", "farm", body(func(d *tlv1.Disclose) { d.Recipients[0].Participant = "ghost" })},
		{"unknown request", stateful, tlv1.CodeDisclosureRequestUnknown, "no disclosure request", "farm", body(func(d *tlv1.Disclose) { d.Recipients = d.Recipients[1:]; d.Request = "market/Q9" })},
		{"answered request", stateful, tlv1.CodeDisclosureRequestClosed, "already closed", "farm", body(func(d *tlv1.Disclose) { d.Recipients = d.Recipients[1:]; d.Request = "market/Q2" })},
		{"refuse twice", stateful, tlv1.CodeDisclosureRequestClosed, "already closed", "farm", refuseMsg("market/Q1", "again")},
		{"refuse for another", stateful, tlv1.CodeDisclosureForbidden, "addressed to \"farm\"", "slaughter", refuseMsg("market/Q3", "not mine")},
		{"refuse without reason", stateless, tlv1.CodeDisclosureInvalid, "reason", "farm", refuseMsg("market/Q3", "")},
		{"request by an enterprise", tlv1.CodeUnauthorized, tlv1.CodeUnauthorized, "request_disclosure", "slaughter", req("Q4", nil)},
		{"request number reused", stateful, tlv1.CodeDisclosureRequestExists, "already made", "market", req("Q1", nil)},
		{"request of a certifier", stateful, tlv1.CodeDisclosureInvalid, "not an enterprise", "market", req("Q4", func(r *tlv1.RequestDisclosure) { r.Enterprise = "lab" })},
		{"request past its deadline", stateful, tlv1.CodeDisclosureInvalid, "not after the block time", "market", req("Q4", func(r *tlv1.RequestDisclosure) { r.DeadlineMs = 1 })},
		{"request of nothing", stateless, tlv1.CodeDisclosureInvalid, "neither a lot nor a period", "market", req("Q4", func(r *tlv1.RequestDisclosure) { r.Lot = "" })},
		{"request reversed period", stateless, tlv1.CodeDisclosureInvalid, "reversed", "market", req("Q4", func(r *tlv1.RequestDisclosure) { r.PeriodFromMs, r.PeriodUntilMs = 10, 5 })},
		{"request without legal basis", stateless, tlv1.CodeDisclosureInvalid, "legal_basis", "market", req("Q4", func(r *tlv1.RequestDisclosure) { r.LegalBasis = "" })},
		{"request of a reserved subject", stateless, tlv1.CodeDisclosureInvalid, "reserved", "market", req("Q4", func(r *tlv1.RequestDisclosure) { r.Lot = "disclosure:farm" })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g.t = t
			g.reject(tc.checkCode, tc.code, tc.fragment, tc.signer, tc.msg)
		})
	}
}
