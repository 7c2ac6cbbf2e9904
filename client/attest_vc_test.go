// SPDX-License-Identifier: Apache-2.0

package client

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

func TestBase58(t *testing.T) {
	for _, tc := range []struct {
		in  []byte
		out string
	}{
		{[]byte("hello world"), "StV1DL6CwTryKyV"},
		{[]byte{0, 0, 1}, "112"},
		{nil, ""},
		{[]byte{0}, "1"},
		{[]byte{0xff}, "5Q"},
		// The examples of the IETF base58 draft (draft-msporny-base58).
		{[]byte("Hello World!"), "2NEpo7TZRRrLZSi2U"},
		{[]byte("The quick brown fox jumps over the lazy dog."), "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z"},
		{[]byte{0, 0, 0x28, 0x7f, 0xb4, 0xcd}, "11233QC4"},
	} {
		if got := base58Encode(tc.in); got != tc.out {
			t.Errorf("encode %x = %q, want %q", tc.in, got, tc.out)
		}
		back, err := base58Decode(tc.out)
		if err != nil || !bytes.Equal(back, tc.in) && !(len(back) == 0 && len(tc.in) == 0) {
			t.Errorf("decode %q = %x %v, want %x", tc.out, back, err, tc.in)
		}
	}
	if _, err := base58Decode("0OIl"); err == nil {
		t.Error("characters outside the alphabet accepted")
	}
}

// TestDIDKey: the Ed25519 multikey of a published example key (1EdTech
// Open Badges 3.0 implementation guide, "Linked Data Proof Test Vector").
func TestDIDKey(t *testing.T) {
	pub, _ := hex.DecodeString("4bdeafde2ea8beefadd8c699b5c7e0704cf51154d52e17b20b71337ca04cc5a5")
	if got := DIDKey(pub); got != "did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi" {
		t.Fatalf("did:key = %s", got)
	}
	back, err := parseDIDKeyMethod("did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi")
	if err != nil || !bytes.Equal(back, pub) {
		t.Fatalf("parse: %x %v", back, err)
	}
}

func testAttestation() *tlv1.Attestation {
	ev := sha256.Sum256([]byte("certificate"))
	return &tlv1.Attestation{Id: "lab/ORG-1", Issuer: "lab", Status: tlv1.ATTESTATION_STATUS_VALID, Body: &tlv1.IssueAttestation{
		Scheme: "organic", Standard: "GB/T 19630-2019", CertificateNumber: "ORG-1",
		Subject: &tlv1.AttestationSubject{Enterprise: "farm", Lots: []string{"urn:x:lot-1", "urn:x:lot-2"}}, Scope: "vegetables", Mode: "initial",
		ValidFromMs: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), ValidUntilMs: time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(),
		EvidenceSha256: ev[:]}}
}

func TestVCRoundTrip(t *testing.T) {
	seed := sha256.Sum256([]byte("vc test key"))
	key := ed25519.NewKeyFromSeed(seed[:])
	a := testAttestation()
	data, err := ExportVC(a, key, time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"https://www.w3.org/ns/credentials/v2"`, `"cryptosuite": "eddsa-jcs-2022"`, `"proofValue": "z`, `"DataIntegrityProof"`} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("credential lacks %s:\n%s", want, data)
		}
	}
	iv, err := ImportVC(data)
	if err != nil {
		t.Fatal(err)
	}
	if d := SameAttestation(iv.Attestation, a.Body); d != "" {
		t.Fatalf("imported attestation differs in %s: %v", d, iv.Attestation)
	}
	if !bytes.Equal(iv.PublicKey, key.Public().(ed25519.PublicKey)) || iv.KeyID != tlv1.KeyID(iv.PublicKey) {
		t.Fatal("wrong signing key")
	}

	other := ed25519.NewKeyFromSeed(make([]byte, 32))
	otherDID := DIDKey(other.Public().(ed25519.PublicKey))
	myDID := DIDKey(key.Public().(ed25519.PublicKey))
	for _, tc := range []struct{ name, from, to string }{
		{"scheme changed", `"scheme": "organic"`, `"scheme": "gap"`},
		{"lot removed", `"urn:x:lot-2"`, `"urn:x:lot-3"`},
		{"validity extended", `"validUntil": "2029`, `"validUntil": "2030`},
		{"proof date changed", `"created": "2026-11-28`, `"created": "2026-11-29`},
		{"other key", myDID, otherDID},
		{"wrong suite", `eddsa-jcs-2022`, `eddsa-rdfc-2022`},
		{"purpose", `"assertionMethod"`, `"authentication"`},
		{"not multibase", `"proofValue": "z`, `"proofValue": "u`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := strings.Replace(string(data), tc.from, tc.to, -1)
			if bad == string(data) {
				t.Fatalf("%q not in the credential", tc.from)
			}
			if _, err := ImportVC([]byte(bad)); !errors.Is(err, ErrVC) {
				t.Fatalf("tampered credential accepted: %v", err)
			}
		})
	}
	// Re-ordering keys and white space does not change the JCS form.
	if _, err := ImportVC(bytes.ReplaceAll(data, []byte("\n  "), []byte("\n    "))); err != nil {
		t.Fatalf("white space changed the verification: %v", err)
	}
}

// FuzzImportVC: nothing that is not a credential signed as exported passes,
// and nothing panics.
func FuzzImportVC(f *testing.F) {
	seed := sha256.Sum256([]byte("vc fuzz key"))
	data, err := ExportVC(testAttestation(), ed25519.NewKeyFromSeed(seed[:]), time.Unix(0, 0))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"proof":{}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		iv, err := ImportVC(b)
		if err == nil && iv.Attestation == nil {
			t.Fatal("accepted without an attestation")
		}
	})
}
