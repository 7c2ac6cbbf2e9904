// SPDX-License-Identifier: Apache-2.0

package traceledgerv1

import "testing"

// TestKeySpellings pins the stored spelling of every map key: keys are
// hashed into the map root, so a changed spelling would change app hashes
// and orphan every stored value.
func TestKeySpellings(t *testing.T) {
	tests := []struct{ got, want string }{
		{HeadKey("urn:x:1"), "head/urn:x:1"},
		{ParticipantKey("farm"), "participant/farm"},
		{KeyKey("ABCD"), "key/ABCD"},
		{DepartmentKey("agri"), "department/agri"},
		{ProposalKey(17), "proposal/17"},
		{VoteKey(17, "agri"), "vote/17/agri"},
		{DeadlineKey(42), "gov/deadline/42"},
		{CreditCodeKey("91520100MA6DKQ1X3R"), "creditcode/91520100MA6DKQ1X3R"},
		{EventKey("ni:///sha-256;ab?ver=CBV2.0"), "event/ni:///sha-256;ab?ver=CBV2.0"},
		{AnchorKey([]byte{0xab, 0x01}), "anchor/ab01"},
		{AttestationKey(AttestationID("cert1", "CERT-2026-001")), "attestation/cert1/CERT-2026-001"},
		{RecallKey("R1"), "recall/R1"},
		{StorePath(StoreRecords), "/store/records/key"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("key %q, want %q", tt.got, tt.want)
		}
	}
}

// TestKeyParsers: every parser inverts its builder and refuses other keys.
func TestKeyParsers(t *testing.T) {
	if id, ok := ParseParticipantKey(ParticipantKey("farm")); !ok || id != "farm" {
		t.Errorf("ParseParticipantKey = %q, %v", id, ok)
	}
	if _, ok := ParseParticipantKey(ProposalKey(1)); ok {
		t.Error("ParseParticipantKey accepted a proposal key")
	}
	if _, ok := ParseParticipantKey(PrefixParticipant); ok {
		t.Error("ParseParticipantKey accepted an empty id")
	}
	if n, ok := ParseProposalKey(ProposalKey(17)); !ok || n != 17 {
		t.Errorf("ParseProposalKey = %d, %v", n, ok)
	}
	if _, ok := ParseProposalKey("proposal/x"); ok {
		t.Error("ParseProposalKey accepted a non-number")
	}
	if s, ok := ParseHeadKey(HeadKey("urn:x:1")); !ok || s != "urn:x:1" {
		t.Errorf("ParseHeadKey = %q, %v", s, ok)
	}
	if i, n, ok := ParseAttestationKey(AttestationKey(AttestationID("cert1", "N-1"))); !ok || i != "cert1" || n != "N-1" {
		t.Errorf("ParseAttestationKey = %q %q %v", i, n, ok)
	}
	if _, _, ok := ParseAttestationKey("attestation/onlyissuer"); ok {
		t.Error("ParseAttestationKey accepted a key without a number")
	}
	for _, tt := range []struct {
		id, issuer, number string
		ok                 bool
	}{
		{AttestationID("cert1", "CERT-2026-001"), "cert1", "CERT-2026-001", true},
		{"cert1/A/7", "cert1", "A/7", true}, // the number may hold the joiner
		{"no-joiner", "", "", false},
		{"/N-1", "", "", false},
		{"cert1/", "", "", false},
		{"", "", "", false},
	} {
		issuer, number, ok := ParseAttestationID(tt.id)
		if ok != tt.ok || (ok && (issuer != tt.issuer || number != tt.number)) {
			t.Errorf("ParseAttestationID(%q) = %q %q %v, want %q %q %v", tt.id, issuer, number, ok, tt.issuer, tt.number, tt.ok)
		}
	}
	for _, p := range []string{"/store/records/key", "/store/a/b/key", "/store//key", "/record"} {
		s, ok := ParseStorePath(p)
		if want := p == "/store/records/key"; ok != want || (ok && s != StoreRecords) {
			t.Errorf("ParseStorePath(%q) = %q, %v", p, s, ok)
		}
	}
}

// TestCodeNames: every code has a distinct stable name that maps back.
func TestCodeNames(t *testing.T) {
	seen := map[string]Code{}
	for _, c := range Codes() {
		n := c.String()
		if prev, dup := seen[n]; dup {
			t.Errorf("codes %d and %d share the name %q", prev, c, n)
		}
		seen[n] = c
		if back, ok := CodeByName(n); !ok || back != c {
			t.Errorf("CodeByName(%q) = %d, %v; want %d", n, back, ok, c)
		}
	}
	if Code(9999).Known() {
		t.Error("code 9999 is known")
	}
}

// TestRejectionOf: the facts are read only from this application's refusals
// whose data names the same code.
func TestRejectionOf(t *testing.T) {
	next := uint64(7)
	data, err := (&Rejection{Code: uint32(CodeSequenceGap), NextSequence: &next}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if r := RejectionOf(Codespace, uint32(CodeSequenceGap), data); r == nil || r.NextSequence == nil || *r.NextSequence != 7 {
		t.Fatalf("RejectionOf = %+v", r)
	}
	for _, tc := range []struct {
		name      string
		codespace string
		code      uint32
		data      []byte
	}{
		{"another codespace", "sdk", uint32(CodeSequenceGap), data},
		{"another code", Codespace, uint32(CodeSequenceReplayed), data},
		{"accepted", Codespace, 0, data},
		{"no data", Codespace, uint32(CodeSequenceGap), nil},
		{"not a Rejection", Codespace, uint32(CodeSequenceGap), []byte{0xff, 0xff}},
	} {
		if r := RejectionOf(tc.codespace, tc.code, tc.data); r != nil {
			t.Errorf("%s: %+v, want nil", tc.name, r)
		}
	}
}
