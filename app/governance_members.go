// SPDX-License-Identifier: Apache-2.0

package app

import (
	"crypto/ed25519"
	"fmt"
	"slices"

	"github.com/traceledger/traceledger/genesis"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Membership messages: what a department does alone, within its
// jurisdiction (the participants it supervises), and what every participant
// does with its own keys.

// isKeyID reports whether s has the form of a key id: 40 upper-case hex
// digits.
func isKeyID(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// licenceTypeOK reports whether c may appear in a licence type or a
// certification scheme.
func licenceTypeOK(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == ':' || c == '/'
}

func checkToken(field, s string, max int) error {
	if s == "" || len(s) > max {
		return rejectf(tlv1.CodeInvalidMessage, "%s must be 1 to %d bytes, got %d", field, max, len(s))
	}
	for i, c := range s {
		if !licenceTypeOK(c) {
			return rejectf(tlv1.CodeInvalidMessage, "%s has %q at byte %d; use letters, digits and _-.:/", field, c, i)
		}
	}
	return nil
}

func validateRegister(r *tlv1.RegisterParticipant) error {
	const f = "register_participant"
	if r == nil {
		return rejectf(tlv1.CodeInvalidMessage, "%s is empty", f)
	}
	if err := checkID(f+".id", r.Id); err != nil {
		return err
	}
	if reservedID(r.Id) {
		return rejectf(tlv1.CodeInvalidMessage, "%s.id %q is reserved", f, r.Id)
	}
	if err := checkText(f+".name", r.Name, 1, genesis.MaxNameLen); err != nil {
		return err
	}
	switch r.Role {
	case tlv1.ROLE_ENTERPRISE, tlv1.ROLE_CERTIFIER, tlv1.ROLE_AUDITOR:
	case tlv1.ROLE_DEPARTMENT:
		return rejectf(tlv1.CodeInvalidMessage, "%s.role: a department joins only by proposal (tx dept propose add-department)", f)
	default:
		return rejectf(tlv1.CodeInvalidMessage, "%s.role must be ROLE_ENTERPRISE, ROLE_CERTIFIER or ROLE_AUDITOR, got %s", f, r.Role)
	}
	switch {
	case r.CreditCode != "":
		if err := genesis.ValidateCreditCode(r.CreditCode); err != nil {
			return rejectf(tlv1.CodeInvalidMessage, "%s.credit_code %q: %v", f, r.CreditCode, err)
		}
	case r.Role != tlv1.ROLE_AUDITOR:
		return rejectf(tlv1.CodeInvalidMessage, "%s.credit_code is required for a %s", f, tlv1.RoleName(r.Role))
	}
	switch {
	case r.DivisionCode != "":
		if err := genesis.ValidateDivisionCode(r.DivisionCode); err != nil {
			return rejectf(tlv1.CodeInvalidMessage, "%s.division_code: %v", f, err)
		}
	case r.Role == tlv1.ROLE_ENTERPRISE:
		return rejectf(tlv1.CodeInvalidMessage, "%s.division_code is required for an enterprise", f)
	}
	if len(r.Licences) > maxLicences {
		return rejectf(tlv1.CodeInvalidMessage, "%s.licences has %d entries, at most %d allowed", f, len(r.Licences), maxLicences)
	}
	for i, l := range r.Licences {
		lf := fmt.Sprintf("%s.licences[%d]", f, i)
		if l == nil {
			return rejectf(tlv1.CodeInvalidMessage, "%s is empty", lf)
		}
		if err := checkToken(lf+".type", l.Type, maxLicenceField); err != nil {
			return err
		}
		if err := checkText(lf+".number", l.Number, 1, maxLicenceField); err != nil {
			return err
		}
		if l.ValidFromMs < 0 {
			return rejectf(tlv1.CodeInvalidMessage, "%s.valid_from_ms must not be negative, got %d", lf, l.ValidFromMs)
		}
		if l.ValidUntilMs != 0 && l.ValidUntilMs <= l.ValidFromMs {
			return rejectf(tlv1.CodeInvalidMessage, "%s.valid_until_ms %d is not after valid_from_ms %d", lf, l.ValidUntilMs, l.ValidFromMs)
		}
	}
	return checkKeyList(f+".public_keys", r.PublicKeys)
}

// execRegister registers a participant supervised by the signing
// department.
func execRegister(c *execCtx, r *tlv1.RegisterParticipant) ([]recordedEvent, error) {
	const f = "register_participant"
	var existing tlv1.Participant
	if found, err := getProto(c.o, tlv1.ParticipantKey(r.Id), &existing); err != nil {
		return nil, err
	} else if found {
		return nil, rejectf(tlv1.CodeDuplicateParticipant, "%s.id %q is already registered (a %s supervised by %q)", f, r.Id, tlv1.RoleName(existing.Role), existing.Department)
	}
	if r.CreditCode != "" {
		holder, err := c.o.mapValue(tlv1.CreditCodeKey(r.CreditCode))
		if err != nil {
			return nil, err
		}
		if holder != nil {
			return nil, rejectf(tlv1.CodeDuplicateParticipant, "%s.credit_code %s is already registered to %q", f, r.CreditCode, holder)
		}
	}
	for i, k := range r.PublicKeys {
		if err := checkNewKey(c.o, fmt.Sprintf("%s.public_keys[%d]", f, i), k); err != nil {
			return nil, err
		}
	}
	p := &tlv1.Participant{Id: r.Id, Name: r.Name, Role: r.Role, Department: c.signer.Id,
		CreditCode: r.CreditCode, DivisionCode: r.DivisionCode, Licences: r.Licences}
	idx, err := register(c.o, p, r.PublicKeys, c.record(), c.height)
	if err != nil {
		return nil, err
	}
	return []recordedEvent{{index: idx, subjects: []string{tlv1.ParticipantSubject(r.Id)}}}, nil
}

func validateStatusChange(f, participant, reason string) error {
	if err := checkID(f+".participant", participant); err != nil {
		return err
	}
	return checkText(f+".reason", reason, 1, maxReasonBytes)
}

// checkJurisdiction rejects unless the signing department supervises p.
func checkJurisdiction(c *execCtx, p *tlv1.Participant, action string) error {
	if p.Role == tlv1.ROLE_DEPARTMENT {
		return rejectf(tlv1.CodeOutOfJurisdiction, "%q is a department: departments change only by proposal, no department may %s another", p.Id, action)
	}
	sup, err := supervisorOf(c.o, p)
	if err != nil {
		return err
	}
	if sup != c.signer.Id {
		return rejectf(tlv1.CodeOutOfJurisdiction, "%q is supervised by %q; %q may not %s it", p.Id, sup, c.signer.Id, action)
	}
	return nil
}

// execStatusChange suspends (to = SUSPENDED) or reinstates (to = ACTIVE) a
// participant the signing department supervises.
func execStatusChange(c *execCtx, id, reason string, to tlv1.ParticipantStatus) ([]recordedEvent, error) {
	action := "suspend"
	if to == tlv1.PARTICIPANT_STATUS_ACTIVE {
		action = "reinstate"
	}
	p, err := getParticipant(c.o, id)
	if err != nil {
		return nil, err
	}
	if err := checkJurisdiction(c, p, action); err != nil {
		return nil, err
	}
	if p.Status == to {
		return nil, rejectf(tlv1.CodeStatusUnchanged, "participant %q is already %s (since height %d)", id, p.Status, p.StatusHeight)
	}
	from := p.Status
	p.Status, p.StatusReason, p.StatusHeight = to, reason, c.height
	if err := putProto(c.o, tlv1.ParticipantKey(id), p); err != nil {
		return nil, err
	}
	rec := c.record()
	rec.Body = &tlv1.Record_Governance{Governance: &tlv1.GovernanceRecord{Body: &tlv1.GovernanceRecord_ParticipantStatusChanged{
		ParticipantStatusChanged: &tlv1.ParticipantStatusChanged{Participant: id, From: from, To: to, Reason: reason, By: c.signer.Id}}}}
	subjects := []string{tlv1.ParticipantSubject(id)}
	idx, err := c.o.appendRecord(rec, subjects)
	if err != nil {
		return nil, err
	}
	return []recordedEvent{{index: idx, subjects: subjects}}, nil
}

func validateRotateKey(r *tlv1.RotateKey) error {
	if r == nil {
		return rejectf(tlv1.CodeInvalidMessage, "rotate_key is empty")
	}
	if err := checkPubKey("rotate_key.new_public_key", r.NewPublicKey); err != nil {
		return err
	}
	if len(r.NewKeySignature) != ed25519.SignatureSize {
		return rejectf(tlv1.CodeInvalidMessage, "rotate_key.new_key_signature is %d bytes, want %d", len(r.NewKeySignature), ed25519.SignatureSize)
	}
	return nil
}

// execRotateKey replaces the signing key by a new one.
func execRotateKey(c *execCtx, r *tlv1.RotateKey) ([]recordedEvent, error) {
	old, err := getKey(c.o, c.signerKey)
	if err != nil {
		return nil, err
	}
	if old.Status != tlv1.KEY_STATUS_ACTIVE {
		return nil, rejectf(tlv1.CodeKeyInactive, "rotate_key: the signing key %s was already rotated or revoked in this transaction", old.Id)
	}
	if !ed25519.Verify(r.NewPublicKey, tlv1.RotateKeyProofBytes(old.Id, r.NewPublicKey), r.NewKeySignature) {
		return nil, rejectf(tlv1.CodeBadKeyProof, "rotate_key.new_key_signature does not verify with the new key over RotateKeyProofBytes(%s, new key)", old.Id)
	}
	if err := checkNewKey(c.o, "rotate_key.new_public_key", r.NewPublicKey); err != nil {
		return nil, err
	}
	p, err := getParticipant(c.o, old.Participant)
	if err != nil {
		return nil, err
	}
	newID := tlv1.KeyID(r.NewPublicKey)
	old.Status, old.RevokedHeight, old.RevokeReason, old.ReplacedBy = tlv1.KEY_STATUS_REVOKED, c.height, "rotated", newID
	if i := slices.Index(p.Keys, old.Id); i >= 0 {
		p.Keys[i] = newID
	} else {
		p.Keys = append(p.Keys, newID)
	}
	nk := &tlv1.Key{Id: newID, PublicKey: r.NewPublicKey, Participant: p.Id, Status: tlv1.KEY_STATUS_ACTIVE, AddedHeight: c.height}
	for _, w := range []struct {
		k string
		v marshaler
	}{{tlv1.KeyKey(old.Id), old}, {tlv1.KeyKey(newID), nk}, {tlv1.ParticipantKey(p.Id), p}} {
		if err := putProto(c.o, w.k, w.v); err != nil {
			return nil, err
		}
	}
	return appendKeyChanged(c, &tlv1.KeyChanged{Participant: p.Id, Action: tlv1.KEY_ACTION_ROTATED, KeyId: old.Id,
		NewKeyId: newID, NewPublicKey: r.NewPublicKey, Reason: "rotated", By: c.signer.Id})
}

func validateRevokeKey(r *tlv1.RevokeKey) error {
	if r == nil {
		return rejectf(tlv1.CodeInvalidMessage, "revoke_key is empty")
	}
	if !isKeyID(r.KeyId) {
		return rejectf(tlv1.CodeInvalidMessage, "revoke_key.key_id %q is not a key id (40 upper-case hex digits)", r.KeyId)
	}
	if err := checkText("revoke_key.reason", r.Reason, 1, maxReasonBytes); err != nil {
		return err
	}
	if len(r.ReplacementPublicKey) > 0 {
		return checkPubKey("revoke_key.replacement_public_key", r.ReplacementPublicKey)
	}
	return nil
}

// execRevokeKey revokes a key of the signer, or of a participant the
// signing department supervises, optionally registering a replacement.
func execRevokeKey(c *execCtx, r *tlv1.RevokeKey) ([]recordedEvent, error) {
	k, err := getKey(c.o, r.KeyId)
	if err != nil {
		return nil, err
	}
	if k.Status != tlv1.KEY_STATUS_ACTIVE {
		return nil, rejectf(tlv1.CodeKeyInactive, "key %s of %q is already revoked (height %d, %s)", k.Id, k.Participant, k.RevokedHeight, k.RevokeReason)
	}
	owner, err := getParticipant(c.o, k.Participant)
	if err != nil {
		return nil, err
	}
	if owner.Id != c.signer.Id {
		if c.signer.Role != tlv1.ROLE_DEPARTMENT {
			return nil, rejectf(tlv1.CodeOutOfJurisdiction, "key %s belongs to %q; %q may revoke only its own keys", k.Id, owner.Id, c.signer.Id)
		}
		if err := checkJurisdiction(c, owner, "revoke a key of"); err != nil {
			return nil, err
		}
	}
	keys := slices.DeleteFunc(slices.Clone(owner.Keys), func(id string) bool { return id == k.Id })
	var nk *tlv1.Key
	if len(r.ReplacementPublicKey) > 0 {
		if err := checkNewKey(c.o, "revoke_key.replacement_public_key", r.ReplacementPublicKey); err != nil {
			return nil, err
		}
		nk = &tlv1.Key{Id: tlv1.KeyID(r.ReplacementPublicKey), PublicKey: r.ReplacementPublicKey, Participant: owner.Id, Status: tlv1.KEY_STATUS_ACTIVE, AddedHeight: c.height}
		keys = append(keys, nk.Id)
	}
	if len(keys) == 0 {
		return nil, rejectf(tlv1.CodeLastActiveKey, "key %s is the last active key of %q: pass a replacement_public_key (or rotate the key instead)", k.Id, owner.Id)
	}
	k.Status, k.RevokedHeight, k.RevokeReason = tlv1.KEY_STATUS_REVOKED, c.height, r.Reason
	owner.Keys = keys
	kc := &tlv1.KeyChanged{Participant: owner.Id, Action: tlv1.KEY_ACTION_REVOKED, KeyId: k.Id, Reason: r.Reason, By: c.signer.Id}
	if nk != nil {
		k.ReplacedBy = nk.Id
		kc.NewKeyId, kc.NewPublicKey = nk.Id, nk.PublicKey
		if err := putProto(c.o, tlv1.KeyKey(nk.Id), nk); err != nil {
			return nil, err
		}
	}
	if err := putProto(c.o, tlv1.KeyKey(k.Id), k); err != nil {
		return nil, err
	}
	if err := putProto(c.o, tlv1.ParticipantKey(owner.Id), owner); err != nil {
		return nil, err
	}
	return appendKeyChanged(c, kc)
}

func appendKeyChanged(c *execCtx, kc *tlv1.KeyChanged) ([]recordedEvent, error) {
	rec := c.record()
	rec.Body = &tlv1.Record_Governance{Governance: &tlv1.GovernanceRecord{Body: &tlv1.GovernanceRecord_KeyChanged{KeyChanged: kc}}}
	subjects := []string{tlv1.ParticipantSubject(kc.Participant)}
	idx, err := c.o.appendRecord(rec, subjects)
	if err != nil {
		return nil, err
	}
	return []recordedEvent{{index: idx, subjects: subjects}}, nil
}
