// SPDX-License-Identifier: Apache-2.0

package app

import (
	"crypto/sha256"
	"strings"
	"testing"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// attestFixture is a four-department chain whose certifier "lab"
// (supervised by "market") is accredited for gap and organic.
func newAttestFixture(t *testing.T) *govFixture {
	t.Helper()
	g := newGovFixture(t)
	g.block()
	g.pass(accreditChange("lab", "gap", "organic"))
	return g
}

// pass submits a proposal and has three of the four departments approve it.
func (g *govFixture) pass(ch *tlv1.ProposalChange) {
	g.t.Helper()
	id := g.propose("market", ch, false)
	g.block(g.tx("agri", voteMsg(id, true)), g.tx("ahv", voteMsg(id, true)), g.tx("market", voteMsg(id, true)))
	if p := g.proposal(id); p.Status != tlv1.PROPOSAL_STATUS_EXECUTED {
		g.t.Fatalf("%s: %s %s", changeName(ch), p.Status, p.Result)
	}
}

func hash32(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

func issueBody(scheme, number string, lots ...string) *tlv1.IssueAttestation {
	return &tlv1.IssueAttestation{Scheme: scheme, Standard: "GB/T 19630-2019", CertificateNumber: number,
		Subject: &tlv1.AttestationSubject{Enterprise: "farm", Lots: lots}, Scope: "vegetables", Mode: "initial",
		ValidFromMs: genesisTime.UnixMilli(), ValidUntilMs: genesisTime.AddDate(1, 0, 0).UnixMilli(), EvidenceSha256: hash32("cert " + number)}
}

func issueMsg(a *tlv1.IssueAttestation) *tlv1.Msg {
	return &tlv1.Msg{Sum: &tlv1.Msg_IssueAttestation{IssueAttestation: a}}
}

func statusMsg(id string, st tlv1.AttestationStatus) *tlv1.Msg {
	return &tlv1.Msg{Sum: &tlv1.Msg_ChangeAttestationStatus{ChangeAttestationStatus: &tlv1.ChangeAttestationStatus{AttestationId: id, Status: st, Reason: "surveillance"}}}
}

func (g *govFixture) attestation(id string) *tlv1.Attestation {
	g.t.Helper()
	var a tlv1.Attestation
	if !g.get(tlv1.AttestationKey(id), &a) {
		g.t.Fatalf("attestation %q not in state", id)
	}
	return &a
}

func (g *govFixture) headCount(subject string) uint64 {
	g.t.Helper()
	var h tlv1.Head
	g.get(tlv1.HeadKey(subject), &h)
	return h.Count
}

// TestIssueAttestation: an accredited certifier issues; the attestation is
// in the map, its record is in the histories of the attestation, the
// enterprise's credit and each lot.
func TestIssueAttestation(t *testing.T) {
	g := newAttestFixture(t)
	g.ok("farm", eventMsg("urn:x:lot-1", "harvest", blockTime(g.h)))
	body := issueBody("organic", "ORG-1", "urn:x:lot-1")
	body.AuditReportSha256 = hash32("audit")
	g.accept("lab", issueMsg(body))
	a := g.attestation("lab/ORG-1")
	if a.Status != tlv1.ATTESTATION_STATUS_VALID || a.Issuer != "lab" || a.IssuerAccreditationNumber != "CNAS-Clab" || a.IssuedHeight != g.h {
		t.Fatalf("attestation %+v", a)
	}
	for subject, want := range map[string]uint64{tlv1.AttestationHistorySubject("lab/ORG-1"): 1, tlv1.CreditSubject("farm"): 1, "urn:x:lot-1": 2} {
		if n := g.headCount(subject); n != want {
			t.Errorf("history %q has %d records, want %d", subject, n, want)
		}
	}
}

// TestIssueAttestationRejected: every bad issue is refused with its code and
// changes nothing.
func TestIssueAttestationRejected(t *testing.T) {
	g := newAttestFixture(t)
	g.accept("lab", issueMsg(issueBody("gap", "GAP-1")))
	mod := func(f func(a *tlv1.IssueAttestation)) *tlv1.Msg {
		a := issueBody("gap", "GAP-2")
		f(a)
		return issueMsg(a)
	}
	for _, tc := range []struct {
		name      string
		checkCode tlv1.Code
		code      tlv1.Code
		fragment  string
		signer    string
		msg       *tlv1.Msg
	}{
		{"unknown scheme", tlv1.CodeAttestInvalid, tlv1.CodeAttestInvalid, "scheme", "lab", mod(func(a *tlv1.IssueAttestation) { a.Scheme = "bio" })},
		{"empty subject", tlv1.CodeAttestInvalid, tlv1.CodeAttestInvalid, "names nothing", "lab", mod(func(a *tlv1.IssueAttestation) { a.Subject = &tlv1.AttestationSubject{} })},
		{"reversed validity", tlv1.CodeAttestInvalid, tlv1.CodeAttestInvalid, "validity", "lab", mod(func(a *tlv1.IssueAttestation) { a.ValidUntilMs = a.ValidFromMs })},
		{"short evidence", tlv1.CodeAttestInvalid, tlv1.CodeAttestInvalid, "evidence_sha256", "lab", mod(func(a *tlv1.IssueAttestation) { a.EvidenceSha256 = []byte{1} })},
		{"bad audit hash", tlv1.CodeAttestInvalid, tlv1.CodeAttestInvalid, "audit_report_sha256", "lab", mod(func(a *tlv1.IssueAttestation) { a.AuditReportSha256 = []byte{1, 2} })},
		{"bad certificate number", tlv1.CodeAttestInvalid, tlv1.CodeAttestInvalid, "certificate_number", "lab", mod(func(a *tlv1.IssueAttestation) { a.CertificateNumber = "A/B" })},
		{"reserved lot scheme", tlv1.CodeAttestInvalid, tlv1.CodeAttestInvalid, "reserved", "lab", mod(func(a *tlv1.IssueAttestation) { a.Subject.Lots = []string{"credit:farm"} })},
		{"duplicate lot", tlv1.CodeAttestInvalid, tlv1.CodeAttestInvalid, "twice", "lab", mod(func(a *tlv1.IssueAttestation) { a.Subject.Lots = []string{"urn:x:1", "urn:x:1"} })},
		{"scheme outside the accreditation", 0, tlv1.CodeAttestOutOfScope, "not accredited for scheme \"haccp\"", "lab", mod(func(a *tlv1.IssueAttestation) { a.Scheme = "haccp" })},
		{"duplicate certificate", 0, tlv1.CodeAttestDuplicate, "already recorded", "lab", issueMsg(issueBody("gap", "GAP-1"))},
		{"unknown enterprise", 0, tlv1.CodeAttestSubjectUnknown, "not registered", "lab", mod(func(a *tlv1.IssueAttestation) { a.Subject.Enterprise = "nobody" })},
		{"subject not an enterprise", 0, tlv1.CodeAttestSubjectUnknown, "not an enterprise", "lab", mod(func(a *tlv1.IssueAttestation) { a.Subject.Enterprise = "aud" })},
		{"enterprise issuer", tlv1.CodeUnauthorized, tlv1.CodeUnauthorized, "issue_attestation", "farm", mod(func(*tlv1.IssueAttestation) {})},
		{"department issuer", tlv1.CodeUnauthorized, tlv1.CodeUnauthorized, "issue_attestation", "market", mod(func(*tlv1.IssueAttestation) {})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g.t = t
			g.reject(tc.checkCode, tc.code, tc.fragment, tc.signer, tc.msg)
		})
	}
}

// TestIssueAccreditationState: no accreditation, a suspended one and an
// expired one all mean rejection.
func TestIssueAccreditationState(t *testing.T) {
	g := newGovFixture(t)
	g.block()
	g.reject(0, tlv1.CodeAttestUnaccredited, "has no accreditation", "lab", issueMsg(issueBody("gap", "G-1")))

	// Accredited until a few blocks from now.
	ch := accreditChange("lab", "gap")
	ch.GetAccreditCertifier().ValidUntilMs = blockTime(g.h + 8).UnixMilli()
	g.pass(ch)
	g.accept("lab", issueMsg(issueBody("gap", "G-1")))
	for g.h < 9 {
		g.block()
	}
	g.reject(0, tlv1.CodeAttestUnaccredited, "expired", "lab", issueMsg(issueBody("gap", "G-2")))

	g.pass(accreditChange("lab", "gap"))
	g.accept("lab", issueMsg(issueBody("gap", "G-2")))
	g.pass(suspendAccreditationChange("lab"))
	g.reject(0, tlv1.CodeAttestUnaccredited, "ACCREDITATION_STATUS_SUSPENDED", "lab", issueMsg(issueBody("gap", "G-3")))
	// A suspended issuer cannot reinstate, but may still suspend.
	g.accept("lab", statusMsg("lab/G-2", tlv1.ATTESTATION_STATUS_SUSPENDED))
	g.reject(0, tlv1.CodeAttestUnaccredited, "SUSPENDED", "lab", statusMsg("lab/G-2", tlv1.ATTESTATION_STATUS_VALID))
	// Its supervising department can.
	g.accept("market", statusMsg("lab/G-2", tlv1.ATTESTATION_STATUS_VALID))
}

// TestAttestationLifecycle: the transitions allowed and refused, who may
// make them, and one record per change.
func TestAttestationLifecycle(t *testing.T) {
	g := newAttestFixture(t)
	g.accept("lab", issueMsg(issueBody("gap", "L-1")))
	id := "lab/L-1"
	steps := []struct {
		signer    string
		to        tlv1.AttestationStatus
		checkCode tlv1.Code
		code      tlv1.Code
		fragment  string
	}{
		{"lab", tlv1.ATTESTATION_STATUS_VALID, 0, tlv1.CodeAttestTransition, "cannot become"},
		{"lab", tlv1.ATTESTATION_STATUS_SUSPENDED, 0, 0, ""},
		{"agri", tlv1.ATTESTATION_STATUS_VALID, 0, tlv1.CodeAttestForbidden, "supervising department \"market\""},
		{"farm", tlv1.ATTESTATION_STATUS_VALID, tlv1.CodeUnauthorized, tlv1.CodeUnauthorized, "change_attestation_status"},
		{"market", tlv1.ATTESTATION_STATUS_VALID, 0, 0, ""},
		{"market", tlv1.ATTESTATION_STATUS_WITHDRAWN, 0, 0, ""},
		{"lab", tlv1.ATTESTATION_STATUS_VALID, 0, tlv1.CodeAttestTransition, "final"},
		{"lab", tlv1.ATTESTATION_STATUS_CANCELLED, 0, tlv1.CodeAttestTransition, "final"},
		{"lab", tlv1.ATTESTATION_STATUS_UNSPECIFIED, tlv1.CodeAttestInvalid, tlv1.CodeAttestInvalid, "status"},
	}
	changes := uint64(0)
	for i, s := range steps {
		if s.code == 0 {
			g.accept(s.signer, statusMsg(id, s.to))
			changes++
			if a := g.attestation(id); a.Status != s.to || a.StatusHeight != g.h || a.StatusReason == "" {
				t.Fatalf("step %d: %+v", i, a)
			}
		} else {
			g.reject(s.checkCode, s.code, s.fragment, s.signer, statusMsg(id, s.to))
		}
	}
	if n := g.headCount(tlv1.AttestationHistorySubject(id)); n != 1+changes {
		t.Fatalf("attestation history has %d records, want %d", n, 1+changes)
	}
	g.reject(0, tlv1.CodeAttestNotFound, "not recorded", "lab", statusMsg("lab/NOPE", tlv1.ATTESTATION_STATUS_SUSPENDED))
	g.reject(tlv1.CodeAttestInvalid, tlv1.CodeAttestInvalid, "attestation_id", "lab", statusMsg("no-slash", tlv1.ATTESTATION_STATUS_SUSPENDED))
	// A cancelled one is final too.
	g.accept("lab", issueMsg(issueBody("gap", "L-2")))
	g.accept("lab", statusMsg("lab/L-2", tlv1.ATTESTATION_STATUS_CANCELLED))
	g.reject(0, tlv1.CodeAttestTransition, "final", "market", statusMsg("lab/L-2", tlv1.ATTESTATION_STATUS_VALID))
}

func TestAttestTransitionTable(t *testing.T) {
	all := []tlv1.AttestationStatus{tlv1.ATTESTATION_STATUS_UNSPECIFIED, tlv1.ATTESTATION_STATUS_VALID, tlv1.ATTESTATION_STATUS_SUSPENDED, tlv1.ATTESTATION_STATUS_WITHDRAWN, tlv1.ATTESTATION_STATUS_CANCELLED}
	allowed := 0
	for _, from := range all {
		for _, to := range all {
			ok := attestTransitionAllowed(from, to)
			if ok {
				allowed++
			}
			final := from == tlv1.ATTESTATION_STATUS_WITHDRAWN || from == tlv1.ATTESTATION_STATUS_CANCELLED || from == tlv1.ATTESTATION_STATUS_UNSPECIFIED
			if ok && (final || from == to || to == tlv1.ATTESTATION_STATUS_UNSPECIFIED) {
				t.Errorf("%s -> %s allowed", from, to)
			}
		}
	}
	if allowed != 6 {
		t.Errorf("%d transitions allowed, want 6 (valid and suspended to each of the other three)", allowed)
	}
}

// FuzzAttestMessages: any Msg bytes run through the validators of the
// attestation, recall and credit messages without panicking, and an
// accepted attestation has a well-formed id.
func FuzzAttestMessages(f *testing.F) {
	for _, m := range []*tlv1.Msg{issueMsg(issueBody("gap", "G-1", "urn:x:1")), statusMsg("lab/G-1", tlv1.ATTESTATION_STATUS_SUSPENDED),
		recallMsg(recallBody("R-1", "farm", "urn:x:1")), complaintMsg("farm", tlv1.COMPLAINT_CATEGORY_FRAUD), violationMsg("farm", "x")} {
		bz, err := m.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(bz)
	}
	h := newHandlers()
	f.Fuzz(func(t *testing.T, data []byte) {
		var m tlv1.Msg
		if m.Unmarshal(data) != nil {
			return
		}
		mh, err := h.lookup(&m)
		if err != nil {
			return
		}
		if err := mh.validate(&m); err == nil {
			if a := m.GetIssueAttestation(); a != nil && strings.Contains(a.CertificateNumber, "/") {
				t.Fatalf("certificate number %q accepted", a.CertificateNumber)
			}
		} else if c := CodeOf(err); c == tlv1.CodeInternal {
			t.Fatalf("validation failed without a code: %v", err)
		}
	})
}
