// SPDX-License-Identifier: Apache-2.0

package client

// W3C Verifiable Credential 2.0 export and import of attestations, secured
// with a Data Integrity proof of the eddsa-jcs-2022 cryptosuite (W3C
// vc-di-eddsa): the proof configuration (the proof without proofValue,
// with the document's @context) and the document (without proof) are each
// canonicalized with RFC 8785 JCS and hashed with SHA-256; Ed25519 signs
// proofConfigHash || documentHash; proofValue is the signature in
// multibase base58btc ("z..."). The verification method is the signing
// key as a did:key (Ed25519 multikey, multicodec 0xed01).

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gowebpki/jcs"
	"github.com/mr-tron/base58"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// VC constants.
const (
	vcContextV2 = "https://www.w3.org/ns/credentials/v2"
	// VCContextAttestation names the TraceLedger attestation vocabulary.
	// JCS proofs do not dereference contexts; the URL is an identifier.
	VCContextAttestation = "https://traceledger.org/ns/attestation/v1"
	// VCType is the credential type of an exported attestation.
	VCType      = "TraceLedgerAttestation"
	cryptosuite = "eddsa-jcs-2022"
	maxVCBytes  = 64 << 10
)

// ErrVC is wrapped by every VC import failure.
var ErrVC = errors.New("verifiable credential rejected")

// base58Encode encodes b in the Bitcoin base58 alphabet (leading zero
// bytes become '1'), as multibase base58btc and did:key use it.
func base58Encode(b []byte) string { return base58.Encode(b) }

// base58Decode decodes a Bitcoin-alphabet base58 string. The empty string
// decodes to no bytes.
func base58Decode(s string) ([]byte, error) {
	if s == "" {
		// mr-tron/base58 refuses the empty string; zero bytes encode to it.
		return nil, nil
	}
	b, err := base58.Decode(s)
	if err != nil {
		return nil, fmt.Errorf("base58: %w", err)
	}
	return b, nil
}

// DIDKey returns the did:key of an Ed25519 public key.
func DIDKey(pub ed25519.PublicKey) string {
	return "did:key:z" + base58Encode(append([]byte{0xed, 0x01}, pub...))
}

// parseDIDKeyMethod returns the Ed25519 key of a verification method
// "did:key:z6Mk...#z6Mk...".
func parseDIDKeyMethod(vm string) (ed25519.PublicKey, error) {
	did, frag, ok := strings.Cut(vm, "#")
	mb, okPrefix := strings.CutPrefix(did, "did:key:z")
	if !ok || !okPrefix || frag != "z"+mb {
		return nil, fmt.Errorf("verificationMethod %q is not did:key:<multikey>#<multikey>", vm)
	}
	b, err := base58Decode(mb)
	if err != nil {
		return nil, err
	}
	if len(b) != 34 || b[0] != 0xed || b[1] != 0x01 {
		return nil, fmt.Errorf("verificationMethod %q is not an Ed25519 multikey", vm)
	}
	return ed25519.PublicKey(b[2:]), nil
}

// VCSubject is the credentialSubject of an exported attestation.
type VCSubject struct {
	ID                string   `json:"id,omitempty"`
	Attestation       string   `json:"attestationId"`
	Issuer            string   `json:"issuerParticipant"`
	Scheme            string   `json:"scheme"`
	Standard          string   `json:"standard"`
	CertificateNumber string   `json:"certificateNumber"`
	Enterprise        string   `json:"enterprise,omitempty"`
	Location          string   `json:"location,omitempty"`
	ProductClass      string   `json:"productClass,omitempty"`
	Lots              []string `json:"lots,omitempty"`
	Scope             string   `json:"scope,omitempty"`
	Mode              string   `json:"mode,omitempty"`
	EvidenceSHA256    string   `json:"evidenceSha256"`
	AuditReportSHA256 string   `json:"auditReportSha256,omitempty"`
}

// VCProof is a Data Integrity proof.
type VCProof struct {
	Context            any    `json:"@context,omitempty"`
	Type               string `json:"type"`
	Cryptosuite        string `json:"cryptosuite"`
	Created            string `json:"created,omitempty"`
	VerificationMethod string `json:"verificationMethod"`
	ProofPurpose       string `json:"proofPurpose"`
	ProofValue         string `json:"proofValue,omitempty"`
}

// VC is an exported attestation.
type VC struct {
	Context           []string  `json:"@context"`
	ID                string    `json:"id"`
	Type              []string  `json:"type"`
	Issuer            string    `json:"issuer"`
	ValidFrom         string    `json:"validFrom"`
	ValidUntil        string    `json:"validUntil"`
	CredentialSubject VCSubject `json:"credentialSubject"`
	Proof             *VCProof  `json:"proof,omitempty"`
}

func rfc3339(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z") }

// hashData is SHA-256(JCS(proofConfig)) || SHA-256(JCS(document)).
func hashData(doc, proofConfig any) ([]byte, error) {
	out := make([]byte, 0, 64)
	for _, v := range []any{proofConfig, doc} {
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		c, err := jcs.Transform(raw)
		if err != nil {
			return nil, fmt.Errorf("JCS: %w", err)
		}
		h := sha256.Sum256(c)
		out = append(out, h[:]...)
	}
	return out, nil
}

// ExportVC returns the attestation as a VC 2.0 signed with key (which must
// be a key of the issuer for the credential to check against the ledger).
func ExportVC(a *tlv1.Attestation, key ed25519.PrivateKey, created time.Time) ([]byte, error) {
	if a == nil || a.Body == nil {
		return nil, fmt.Errorf("export: no attestation")
	}
	b, s := a.Body, a.Body.Subject
	pub := key.Public().(ed25519.PublicKey)
	did := DIDKey(pub)
	vc := VC{Context: []string{vcContextV2, VCContextAttestation}, ID: "urn:traceledger:attestation:" + a.Id,
		Type: []string{"VerifiableCredential", VCType}, Issuer: did, ValidFrom: rfc3339(b.ValidFromMs), ValidUntil: rfc3339(b.ValidUntilMs),
		CredentialSubject: VCSubject{Attestation: a.Id, Issuer: a.Issuer, Scheme: b.Scheme, Standard: b.Standard, CertificateNumber: b.CertificateNumber,
			Enterprise: s.GetEnterprise(), Location: s.GetLocation(), ProductClass: s.GetProductClass(), Lots: s.GetLots(), Scope: b.Scope, Mode: b.Mode,
			EvidenceSHA256: hex.EncodeToString(b.EvidenceSha256)}}
	if len(b.AuditReportSha256) > 0 {
		vc.CredentialSubject.AuditReportSHA256 = hex.EncodeToString(b.AuditReportSha256)
	}
	proof := &VCProof{Context: vc.Context, Type: "DataIntegrityProof", Cryptosuite: cryptosuite, Created: created.UTC().Format(time.RFC3339),
		VerificationMethod: did + "#" + strings.TrimPrefix(did, "did:key:"), ProofPurpose: "assertionMethod"}
	hd, err := hashData(vc, proof)
	if err != nil {
		return nil, err
	}
	proof.ProofValue = "z" + base58Encode(ed25519.Sign(key, hd))
	vc.Proof = proof
	return json.MarshalIndent(vc, "", "  ")
}

// ImportedVC is a VC whose proof verified.
type ImportedVC struct {
	VC *VC
	// PublicKey is the key that signed it; KeyID its ledger key id.
	PublicKey ed25519.PublicKey
	KeyID     string
	// Attestation is the credential as the ledger's IssueAttestation.
	Attestation *tlv1.IssueAttestation
}

// ImportVC parses an exported attestation and verifies its eddsa-jcs-2022
// proof. It checks the proof alone, offline; CheckVC also checks it against
// the ledger.
func ImportVC(data []byte) (*ImportedVC, error) {
	if len(data) > maxVCBytes {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrVC, len(data), maxVCBytes)
	}
	// The proof covers the document as received: verify over the generic
	// JSON, then decode the typed view.
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: not a JSON object: %v", ErrVC, err)
	}
	rawProof, ok := doc["proof"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: no proof object", ErrVC)
	}
	delete(doc, "proof")
	pv, _ := rawProof["proofValue"].(string)
	delete(rawProof, "proofValue")
	if rawProof["type"] != "DataIntegrityProof" || rawProof["cryptosuite"] != cryptosuite {
		return nil, fmt.Errorf("%w: proof is not a DataIntegrityProof with cryptosuite %s", ErrVC, cryptosuite)
	}
	if rawProof["proofPurpose"] != "assertionMethod" {
		return nil, fmt.Errorf("%w: proofPurpose is %v, want assertionMethod", ErrVC, rawProof["proofPurpose"])
	}
	if pc, ok := rawProof["@context"]; ok {
		a, _ := json.Marshal(pc)
		b, _ := json.Marshal(doc["@context"])
		if !bytes.Equal(a, b) {
			return nil, fmt.Errorf("%w: the proof's @context differs from the document's", ErrVC)
		}
	}
	vm, _ := rawProof["verificationMethod"].(string)
	pub, err := parseDIDKeyMethod(vm)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrVC, err)
	}
	sig, ok := strings.CutPrefix(pv, "z")
	if !ok {
		return nil, fmt.Errorf("%w: proofValue is not multibase base58btc", ErrVC)
	}
	sigBytes, err := base58Decode(sig)
	if err != nil || len(sigBytes) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: proofValue is not a 64-byte signature", ErrVC)
	}
	hd, err := hashData(doc, rawProof)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrVC, err)
	}
	if !ed25519.Verify(pub, hd, sigBytes) {
		return nil, fmt.Errorf("%w: the eddsa-jcs-2022 proof does not verify", ErrVC)
	}
	var vc VC
	if err := json.Unmarshal(data, &vc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrVC, err)
	}
	if vc.Issuer != strings.SplitN(vm, "#", 2)[0] {
		return nil, fmt.Errorf("%w: issuer %q is not the signing key's DID", ErrVC, vc.Issuer)
	}
	if !slices.Contains(vc.Type, VCType) || !slices.Contains(vc.Context, vcContextV2) {
		return nil, fmt.Errorf("%w: not a %s credential with the VC 2.0 context", ErrVC, VCType)
	}
	s := vc.CredentialSubject
	from, err1 := time.Parse(time.RFC3339, vc.ValidFrom)
	until, err2 := time.Parse(time.RFC3339, vc.ValidUntil)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("%w: validFrom or validUntil is not an RFC 3339 time", ErrVC)
	}
	ev, err := hex.DecodeString(s.EvidenceSHA256)
	if err != nil {
		return nil, fmt.Errorf("%w: evidenceSha256: %v", ErrVC, err)
	}
	audit, err := hex.DecodeString(s.AuditReportSHA256)
	if err != nil {
		return nil, fmt.Errorf("%w: auditReportSha256: %v", ErrVC, err)
	}
	if s.Attestation != tlv1.AttestationID(s.Issuer, s.CertificateNumber) {
		return nil, fmt.Errorf("%w: attestationId %q is not issuerParticipant/certificateNumber", ErrVC, s.Attestation)
	}
	ia := &tlv1.IssueAttestation{Scheme: s.Scheme, Standard: s.Standard, CertificateNumber: s.CertificateNumber,
		Subject: &tlv1.AttestationSubject{Enterprise: s.Enterprise, Location: s.Location, ProductClass: s.ProductClass, Lots: s.Lots},
		Scope:   s.Scope, Mode: s.Mode, ValidFromMs: from.UnixMilli(), ValidUntilMs: until.UnixMilli(), EvidenceSha256: ev}
	if len(audit) > 0 {
		ia.AuditReportSha256 = audit
	}
	return &ImportedVC{VC: &vc, PublicKey: pub, KeyID: tlv1.KeyID(pub), Attestation: ia}, nil
}

// SameAttestation reports the first field where a credential and a ledger
// attestation body differ ("" when they agree).
func SameAttestation(a, b *tlv1.IssueAttestation) string {
	x, y := *a, *b
	if !slices.Equal(x.Subject.GetLots(), y.Subject.GetLots()) {
		return "lots"
	}
	xs, ys := *x.Subject, *y.Subject
	xs.Lots, ys.Lots = nil, nil
	x.Subject, y.Subject = &xs, &ys
	bx, _ := x.Marshal()
	by, _ := y.Marshal()
	if !bytes.Equal(bx, by) {
		return "body"
	}
	return ""
}

// CheckVC verifies a credential's proof, then checks it against the
// ledger: the attestation exists with the same content, and the signing
// key is (or was) a key of the issuing certifier.
func (c *Client) CheckVC(ctx context.Context, data []byte) (*ImportedVC, *tlv1.Attestation, error) {
	iv, err := ImportVC(data)
	if err != nil {
		return nil, nil, err
	}
	id := iv.VC.CredentialSubject.Attestation
	a, _, err := c.Attestation(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if a == nil {
		return iv, nil, fmt.Errorf("%w: attestation %s is proven not recorded on the ledger", ErrVC, id)
	}
	if d := SameAttestation(iv.Attestation, a.Body); d != "" || a.Issuer != iv.VC.CredentialSubject.Issuer {
		return iv, a, fmt.Errorf("%w: the credential differs from the ledger's attestation %s (%s)", ErrVC, id, d)
	}
	kb, _, err := c.Value(ctx, tlv1.KeyKey(iv.KeyID))
	if err != nil {
		return nil, nil, err
	}
	var k tlv1.Key
	if kb == nil || k.Unmarshal(kb) != nil || k.Participant != a.Issuer {
		return iv, a, fmt.Errorf("%w: the signing key %s is not a key of issuer %s", ErrVC, iv.KeyID, a.Issuer)
	}
	return iv, a, nil
}
