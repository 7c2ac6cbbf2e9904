// SPDX-License-Identifier: Apache-2.0

package app

// Encryption keys and disclosure (issue 18; docs/DISCLOSURE.md).
//
// A participant registers age X25519 recipients as its encryption keys
// ("enckey/<participant>/<key id>", the active ones listed at
// "enckeys/<participant>"), rotates them (add with replaces_key_id) and
// revokes them, as it does its signing keys; each change is a record in
// the participant's membership history.
//
// A participant discloses the payloads behind its own hashed events by
// encrypting them once to named recipients' active encryption keys and
// recording a Disclose: the events (log indexes), the ciphertext's
// SHA-256 and size, the recipients with the key each was encrypted to, the
// purpose and the legal basis. The ledger never sees a payload or the
// ciphertext; it checks that the signer recorded every named event and
// that every recipient is active with that key active.
//
// A department requests disclosure from an enterprise (a lot and/or a
// period, optionally an event type) with a legal basis and a deadline; the
// enterprise answers with a Disclose naming the request or with a
// RefuseDisclosure. Every record of this domain is appended to
// "disclosure:<participant>" of the discloser or enterprise, of every
// recipient and of the requester: each participant's history of what it
// disclosed, received and was asked for is provable and complete.

import (
	"fmt"
	"slices"
	"strings"

	"filippo.io/age"

	"github.com/traceledger/traceledger/genesis"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Disclosure limits.
const (
	maxDisclosureText      = 512
	maxRequestNumber       = 64
	maxActiveEncryptionKey = 4
)

func disclosureHandlers() []msgHandler {
	return []msgHandler{
		{
			name: "add_encryption_key", sample: (*tlv1.Msg_AddEncryptionKey)(nil), roles: anyRole,
			validate: func(m *tlv1.Msg) error { return validateAddEncryptionKey(m.GetAddEncryptionKey()) },
			exec: func(c *execCtx, m *tlv1.Msg) ([]recordedEvent, error) {
				return execAddEncryptionKey(c, m.GetAddEncryptionKey())
			},
		},
		{
			name: "revoke_encryption_key", sample: (*tlv1.Msg_RevokeEncryptionKey)(nil), roles: anyRole,
			validate: func(m *tlv1.Msg) error { return validateRevokeEncryptionKey(m.GetRevokeEncryptionKey()) },
			exec: func(c *execCtx, m *tlv1.Msg) ([]recordedEvent, error) {
				return execRevokeEncryptionKey(c, m.GetRevokeEncryptionKey())
			},
		},
		{
			name: "disclose", sample: (*tlv1.Msg_Disclose)(nil), roles: anyRole,
			validate: func(m *tlv1.Msg) error { return validateDisclose(m.GetDisclose()) },
			exec:     func(c *execCtx, m *tlv1.Msg) ([]recordedEvent, error) { return execDisclose(c, m.GetDisclose()) },
		},
		{
			name: "request_disclosure", sample: (*tlv1.Msg_RequestDisclosure)(nil), roles: deptOnly,
			validate: func(m *tlv1.Msg) error { return validateRequestDisclosure(m.GetRequestDisclosure()) },
			exec: func(c *execCtx, m *tlv1.Msg) ([]recordedEvent, error) {
				return execRequestDisclosure(c, m.GetRequestDisclosure())
			},
		},
		{
			name: "refuse_disclosure", sample: (*tlv1.Msg_RefuseDisclosure)(nil), roles: anyRole,
			validate: func(m *tlv1.Msg) error { return validateRefuseDisclosure(m.GetRefuseDisclosure()) },
			exec: func(c *execCtx, m *tlv1.Msg) ([]recordedEvent, error) {
				return execRefuseDisclosure(c, m.GetRefuseDisclosure())
			},
		},
	}
}

// checkRecipient checks an age X25519 recipient in its canonical spelling
// (one key, one string, one key id).
func checkRecipient(field, s string) error {
	if len(s) == 0 || len(s) > 128 {
		return rejectf(tlv1.CodeDisclosureInvalid, "%s is %d bytes; want an age X25519 recipient (age1...)", field, len(s))
	}
	r, err := age.ParseX25519Recipient(s)
	if err != nil {
		return rejectf(tlv1.CodeDisclosureInvalid, "%s is not an age X25519 recipient: %v", field, err)
	}
	if r.String() != s {
		return rejectf(tlv1.CodeDisclosureInvalid, "%s is not in canonical form; write it as %s", field, r.String())
	}
	return nil
}

func disclosureID(field, id string) error {
	if err := genesis.ValidateID(id); err != nil {
		return rejectf(tlv1.CodeDisclosureInvalid, "%s: %v", field, err)
	}
	return nil
}

func disclosureKeyID(field, id string) error {
	if !isKeyID(id) {
		return rejectf(tlv1.CodeDisclosureInvalid, "%s %q is not a key id (40 upper-case hex digits)", field, truncate(id, 60))
	}
	return nil
}

// checkRequestID checks a request id "<department>/<number>".
func checkRequestID(field, id string) error {
	dept, number, ok := strings.Cut(id, "/")
	if !ok {
		return rejectf(tlv1.CodeDisclosureInvalid, "%s %q is not <department>/<number>", field, truncate(id, 100))
	}
	if err := disclosureID(field+" (department)", dept); err != nil {
		return err
	}
	return attestToken(tlv1.CodeDisclosureInvalid, field+" (number)", number, maxRequestNumber)
}

func validateAddEncryptionKey(a *tlv1.AddEncryptionKey) error {
	if a == nil {
		return rejectf(tlv1.CodeDisclosureInvalid, "add_encryption_key is empty")
	}
	if err := checkRecipient("add_encryption_key.recipient", a.Recipient); err != nil {
		return err
	}
	if a.ReplacesKeyId != "" {
		return disclosureKeyID("add_encryption_key.replaces_key_id", a.ReplacesKeyId)
	}
	return nil
}

// getEncryptionKey reads an encryption key of a participant.
func getEncryptionKey(r mapReader, participant, id string) (*tlv1.EncryptionKey, error) {
	var k tlv1.EncryptionKey
	found, err := getProto(r, tlv1.EncryptionKeyKey(participant, id), &k)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, rejectf(tlv1.CodeEncryptionKeyNotFound, "%q has no encryption key %s", participant, id)
	}
	return &k, nil
}

func getEncryptionKeySet(r mapReader, participant string) (*tlv1.EncryptionKeySet, error) {
	var s tlv1.EncryptionKeySet
	if _, err := getProto(r, tlv1.EncryptionKeySetKey(participant), &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// execAddEncryptionKey registers an encryption key of the signer,
// rotating out replaces_key_id if named.
func execAddEncryptionKey(c *execCtx, a *tlv1.AddEncryptionKey) ([]recordedEvent, error) {
	p := c.signer.Id
	id := tlv1.EncryptionKeyID(a.Recipient)
	if v, err := c.o.mapValue(tlv1.EncryptionKeyKey(p, id)); err != nil {
		return nil, err
	} else if v != nil {
		return nil, rejectf(tlv1.CodeEncryptionKeyDuplicate, "add_encryption_key: %q already registered the encryption key %s (keys are never re-added, even after revocation)", p, id)
	}
	set, err := getEncryptionKeySet(c.o, p)
	if err != nil {
		return nil, err
	}
	kc := &tlv1.EncryptionKeyChanged{Participant: p, KeyId: id, Recipient: a.Recipient, By: p}
	if a.ReplacesKeyId != "" {
		old, err := getEncryptionKey(c.o, p, a.ReplacesKeyId)
		if err != nil {
			return nil, err
		}
		if old.Status != tlv1.KEY_STATUS_ACTIVE {
			return nil, rejectf(tlv1.CodeEncryptionKeyInactive, "add_encryption_key.replaces_key_id: encryption key %s of %q is already revoked (height %d, %s)", old.Id, p, old.RevokedHeight, old.RevokeReason)
		}
		old.Status, old.RevokedHeight, old.RevokeReason, old.ReplacedBy = tlv1.KEY_STATUS_REVOKED, c.height, "rotated", id
		if err := putProto(c.o, tlv1.EncryptionKeyKey(p, old.Id), old); err != nil {
			return nil, err
		}
		set.Active = slices.DeleteFunc(set.Active, func(s string) bool { return s == old.Id })
		kc = &tlv1.EncryptionKeyChanged{Participant: p, Action: tlv1.KEY_ACTION_ROTATED, KeyId: old.Id, Recipient: old.Recipient,
			NewKeyId: id, NewRecipient: a.Recipient, Reason: "rotated", By: p}
	}
	if len(set.Active) >= maxActiveEncryptionKey {
		return nil, rejectf(tlv1.CodeDisclosureInvalid, "add_encryption_key: %q already has %d active encryption keys, the limit; rotate one (replaces_key_id) or revoke one", p, len(set.Active))
	}
	set.Active = append(set.Active, id)
	nk := &tlv1.EncryptionKey{Id: id, Participant: p, Recipient: a.Recipient, Status: tlv1.KEY_STATUS_ACTIVE, AddedHeight: c.height}
	if err := putProto(c.o, tlv1.EncryptionKeyKey(p, id), nk); err != nil {
		return nil, err
	}
	if err := putProto(c.o, tlv1.EncryptionKeySetKey(p), set); err != nil {
		return nil, err
	}
	return appendDisclosureRecord(c, &tlv1.DisclosureRecord{Body: &tlv1.DisclosureRecord_EncryptionKey{EncryptionKey: kc}}, tlv1.ParticipantSubject(p))
}

func validateRevokeEncryptionKey(r *tlv1.RevokeEncryptionKey) error {
	const f = "revoke_encryption_key"
	if r == nil {
		return rejectf(tlv1.CodeDisclosureInvalid, "%s is empty", f)
	}
	if r.Participant != "" {
		if err := disclosureID(f+".participant", r.Participant); err != nil {
			return err
		}
	}
	if err := disclosureKeyID(f+".key_id", r.KeyId); err != nil {
		return err
	}
	return attestText(tlv1.CodeDisclosureInvalid, f+".reason", r.Reason, 1, maxReasonBytes)
}

// execRevokeEncryptionKey revokes an encryption key of the signer (or of
// a participant the signing department supervises).
func execRevokeEncryptionKey(c *execCtx, r *tlv1.RevokeEncryptionKey) ([]recordedEvent, error) {
	owner := r.Participant
	if owner == "" {
		owner = c.signer.Id
	}
	if owner != c.signer.Id {
		if c.signer.Role != tlv1.ROLE_DEPARTMENT {
			return nil, rejectf(tlv1.CodeOutOfJurisdiction, "encryption key %s belongs to %q; %q may revoke only its own encryption keys", r.KeyId, owner, c.signer.Id)
		}
		p, err := getParticipant(c.o, owner)
		if err != nil {
			return nil, err
		}
		if err := checkJurisdiction(c, p, "revoke an encryption key of"); err != nil {
			return nil, err
		}
	}
	k, err := getEncryptionKey(c.o, owner, r.KeyId)
	if err != nil {
		return nil, err
	}
	if k.Status != tlv1.KEY_STATUS_ACTIVE {
		return nil, rejectf(tlv1.CodeEncryptionKeyInactive, "encryption key %s of %q is already revoked (height %d, %s)", k.Id, owner, k.RevokedHeight, k.RevokeReason)
	}
	k.Status, k.RevokedHeight, k.RevokeReason = tlv1.KEY_STATUS_REVOKED, c.height, r.Reason
	set, err := getEncryptionKeySet(c.o, owner)
	if err != nil {
		return nil, err
	}
	set.Active = slices.DeleteFunc(set.Active, func(s string) bool { return s == k.Id })
	if err := putProto(c.o, tlv1.EncryptionKeyKey(owner, k.Id), k); err != nil {
		return nil, err
	}
	if err := putProto(c.o, tlv1.EncryptionKeySetKey(owner), set); err != nil {
		return nil, err
	}
	kc := &tlv1.EncryptionKeyChanged{Participant: owner, Action: tlv1.KEY_ACTION_REVOKED, KeyId: k.Id, Recipient: k.Recipient, Reason: r.Reason, By: c.signer.Id}
	return appendDisclosureRecord(c, &tlv1.DisclosureRecord{Body: &tlv1.DisclosureRecord_EncryptionKey{EncryptionKey: kc}}, tlv1.ParticipantSubject(owner))
}

func validateDisclose(d *tlv1.Disclose) error {
	const f = "disclose"
	if d == nil {
		return rejectf(tlv1.CodeDisclosureInvalid, "%s is empty", f)
	}
	if n := len(d.EventIndexes); n == 0 || n > tlv1.MaxDisclosureEvents {
		return rejectf(tlv1.CodeDisclosureInvalid, "%s.event_indexes has %d entries, want 1 to %d", f, n, tlv1.MaxDisclosureEvents)
	}
	for i := 1; i < len(d.EventIndexes); i++ {
		if d.EventIndexes[i] <= d.EventIndexes[i-1] {
			return rejectf(tlv1.CodeDisclosureInvalid, "%s.event_indexes must be strictly ascending: [%d] %d follows %d", f, i, d.EventIndexes[i], d.EventIndexes[i-1])
		}
	}
	if len(d.CiphertextSha256) != 32 {
		return rejectf(tlv1.CodeDisclosureInvalid, "%s.ciphertext_sha256 must be 32 bytes, got %d", f, len(d.CiphertextSha256))
	}
	if d.CiphertextSize == 0 || d.CiphertextSize > tlv1.MaxDisclosureCiphertext {
		return rejectf(tlv1.CodeDisclosureInvalid, "%s.ciphertext_size is %d, want 1 to %d", f, d.CiphertextSize, tlv1.MaxDisclosureCiphertext)
	}
	if n := len(d.Recipients); n == 0 || n > tlv1.MaxDisclosureRecipients {
		return rejectf(tlv1.CodeDisclosureInvalid, "%s.recipients has %d entries, want 1 to %d", f, n, tlv1.MaxDisclosureRecipients)
	}
	for i, r := range d.Recipients {
		rf := fmt.Sprintf("%s.recipients[%d]", f, i)
		if r == nil {
			return rejectf(tlv1.CodeDisclosureInvalid, "%s is empty", rf)
		}
		if err := disclosureID(rf+".participant", r.Participant); err != nil {
			return err
		}
		if err := disclosureKeyID(rf+".key_id", r.KeyId); err != nil {
			return err
		}
		for j := range i {
			if d.Recipients[j].GetParticipant() == r.Participant && d.Recipients[j].GetKeyId() == r.KeyId {
				return rejectf(tlv1.CodeDisclosureInvalid, "%s repeats %s.recipients[%d]", rf, f, j)
			}
		}
	}
	if err := attestText(tlv1.CodeDisclosureInvalid, f+".purpose", d.Purpose, 1, maxDisclosureText); err != nil {
		return err
	}
	if err := attestText(tlv1.CodeDisclosureInvalid, f+".legal_basis", d.LegalBasis, 1, maxDisclosureText); err != nil {
		return err
	}
	if d.Request != "" {
		return checkRequestID(f+".request", d.Request)
	}
	return nil
}

// checkOwnHashedEvent checks that the record at index is a trace event
// with a payload hash (record_event, or a hashed EPCIS event) that the
// signer recorded.
func checkOwnHashedEvent(c *execCtx, index uint64, i int) error {
	fail := func(why string) error {
		return rejectf(tlv1.CodeDisclosureNotYourEvent, "disclose.event_indexes[%d] (log index %d): %s", i, index, why)
	}
	if index >= c.o.nextIndex() {
		return fail("no such record")
	}
	bz, err := readRecord(c.o, index)
	if err != nil {
		return fmt.Errorf("read record %d: %w", index, err)
	}
	if bz == nil {
		return fail("no such record")
	}
	var rec tlv1.Record
	if err := rec.Unmarshal(bz); err != nil {
		return fmt.Errorf("decode record %d: %w", index, err)
	}
	switch b := rec.Body.(type) {
	case *tlv1.Record_Event:
	case *tlv1.Record_Epcis:
		if b.Epcis.GetHashed() == nil {
			return fail("the EPCIS event is public: it is on the ledger already, there is nothing to disclose")
		}
	default:
		return fail("the record is a " + tlv1.KindOf(&rec).String() + ", not a trace event")
	}
	if rec.Signer != c.signer.Id {
		return fail(fmt.Sprintf("the event was recorded by %q; %q may disclose only its own events", rec.Signer, c.signer.Id))
	}
	return nil
}

// checkRecipientKey checks that participant is active and key id is one
// of its active encryption keys.
func checkRecipientKey(r mapReader, i int, dr *tlv1.DisclosureRecipient) error {
	p, err := getParticipant(r, dr.Participant)
	if err != nil {
		if CodeOf(err) == tlv1.CodeParticipantNotFound {
			return rejectf(tlv1.CodeDisclosureRecipient, "disclose.recipients[%d]: %q is not registered", i, dr.Participant)
		}
		return err
	}
	if p.Status != tlv1.PARTICIPANT_STATUS_ACTIVE {
		return rejectf(tlv1.CodeDisclosureRecipient, "disclose.recipients[%d]: %q is %s (since height %d)", i, p.Id, p.Status, p.StatusHeight)
	}
	k, err := getEncryptionKey(r, p.Id, dr.KeyId)
	if err != nil {
		if CodeOf(err) == tlv1.CodeEncryptionKeyNotFound {
			return rejectf(tlv1.CodeDisclosureRecipient, "disclose.recipients[%d]: %q has no encryption key %s", i, p.Id, dr.KeyId)
		}
		return err
	}
	if k.Status != tlv1.KEY_STATUS_ACTIVE {
		r := rejectf(tlv1.CodeDisclosureRecipient, "disclose.recipients[%d]: encryption key %s of %q was revoked at height %d (%s); encrypt to its current key", i, k.Id, p.Id, k.RevokedHeight, k.RevokeReason)
		if k.ReplacedBy != "" {
			r = rejectf(tlv1.CodeDisclosureRecipient, "disclose.recipients[%d]: encryption key %s of %q was rotated at height %d; encrypt to its current key %s", i, k.Id, p.Id, k.RevokedHeight, k.ReplacedBy)
		}
		return r
	}
	return nil
}

// getRequest reads a disclosure request.
func getRequest(r mapReader, id string) (*tlv1.DisclosureRequest, error) {
	var q tlv1.DisclosureRequest
	found, err := getProto(r, tlv1.DisclosureRequestKey(id), &q)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, rejectf(tlv1.CodeDisclosureRequestUnknown, "no disclosure request has the id %q", id)
	}
	return &q, nil
}

// answerRequest checks that the signer may answer the open request id
// and returns it.
func answerRequest(c *execCtx, field, id string) (*tlv1.DisclosureRequest, error) {
	q, err := getRequest(c.o, id)
	if err != nil {
		return nil, err
	}
	if q.Body.GetEnterprise() != c.signer.Id {
		return nil, rejectf(tlv1.CodeDisclosureForbidden, "%s: request %q is addressed to %q, not to %q", field, id, q.Body.GetEnterprise(), c.signer.Id)
	}
	if q.Status != tlv1.DISCLOSURE_REQUEST_STATUS_OPEN {
		return nil, rejectf(tlv1.CodeDisclosureRequestClosed, "%s: request %q is already closed (%s, log index %d)", field, id, q.Status, q.AnswerIndex)
	}
	return q, nil
}

func execDisclose(c *execCtx, d *tlv1.Disclose) ([]recordedEvent, error) {
	for i, idx := range d.EventIndexes {
		if err := checkOwnHashedEvent(c, idx, i); err != nil {
			return nil, err
		}
	}
	subjects := []string{tlv1.DisclosureSubject(c.signer.Id)}
	for i, r := range d.Recipients {
		if err := checkRecipientKey(c.o, i, r); err != nil {
			return nil, err
		}
		if s := tlv1.DisclosureSubject(r.Participant); !slices.Contains(subjects, s) {
			subjects = append(subjects, s)
		}
	}
	var q *tlv1.DisclosureRequest
	if d.Request != "" {
		var err error
		if q, err = answerRequest(c, "disclose.request", d.Request); err != nil {
			return nil, err
		}
		if s := tlv1.DisclosureSubject(q.Requester); !slices.Contains(subjects, s) {
			subjects = append(subjects, s)
		}
	}
	evs, err := appendDisclosureRecord(c, &tlv1.DisclosureRecord{Body: &tlv1.DisclosureRecord_Disclosure{Disclosure: d}}, subjects...)
	if err != nil {
		return nil, err
	}
	if q != nil {
		q.Status, q.AnswerIndex, q.AnsweredTimeMs = tlv1.DISCLOSURE_REQUEST_STATUS_DISCLOSED, evs[0].index, c.timeMs
		if err := putProto(c.o, tlv1.DisclosureRequestKey(d.Request), q); err != nil {
			return nil, err
		}
	}
	return evs, nil
}

func validateRequestDisclosure(r *tlv1.RequestDisclosure) error {
	const f = "request_disclosure"
	if r == nil {
		return rejectf(tlv1.CodeDisclosureInvalid, "%s is empty", f)
	}
	if err := attestToken(tlv1.CodeDisclosureInvalid, f+".number", r.Number, maxRequestNumber); err != nil {
		return err
	}
	if err := disclosureID(f+".enterprise", r.Enterprise); err != nil {
		return err
	}
	if r.Lot != "" {
		if _, err := canonicalSubject(tlv1.CodeDisclosureInvalid, f+".lot", r.Lot); err != nil {
			return err
		}
	}
	if r.EventType != "" {
		if err := checkToken(f+".event_type", r.EventType, maxEventTypeBytes); err != nil {
			return rejectf(tlv1.CodeDisclosureInvalid, "%v", err)
		}
	}
	hasPeriod := r.PeriodFromMs != 0 || r.PeriodUntilMs != 0
	if hasPeriod && (r.PeriodFromMs <= 0 || r.PeriodUntilMs < r.PeriodFromMs) {
		return rejectf(tlv1.CodeDisclosureInvalid, "%s period [%d, %d] ms is not positive or is reversed", f, r.PeriodFromMs, r.PeriodUntilMs)
	}
	if r.Lot == "" && !hasPeriod {
		return rejectf(tlv1.CodeDisclosureInvalid, "%s names neither a lot nor a period: say what is requested", f)
	}
	if err := attestText(tlv1.CodeDisclosureInvalid, f+".purpose", r.Purpose, 1, maxDisclosureText); err != nil {
		return err
	}
	if err := attestText(tlv1.CodeDisclosureInvalid, f+".legal_basis", r.LegalBasis, 1, maxDisclosureText); err != nil {
		return err
	}
	if r.DeadlineMs <= 0 {
		return rejectf(tlv1.CodeDisclosureInvalid, "%s.deadline_ms must be a positive Unix time in milliseconds, got %d", f, r.DeadlineMs)
	}
	return nil
}

func execRequestDisclosure(c *execCtx, r *tlv1.RequestDisclosure) ([]recordedEvent, error) {
	if r.DeadlineMs <= c.timeMs {
		return nil, rejectf(tlv1.CodeDisclosureInvalid, "request_disclosure.deadline_ms %d is not after the block time %d", r.DeadlineMs, c.timeMs)
	}
	if err := requireEnterprise(c.o, tlv1.CodeDisclosureInvalid, "request_disclosure.enterprise", r.Enterprise); err != nil {
		return nil, err
	}
	id := tlv1.DisclosureRequestID(c.signer.Id, r.Number)
	if v, err := c.o.mapValue(tlv1.DisclosureRequestKey(id)); err != nil {
		return nil, err
	} else if v != nil {
		return nil, rejectf(tlv1.CodeDisclosureRequestExists, "request_disclosure: %q already made request %q", c.signer.Id, id)
	}
	body := *r
	if body.Lot != "" {
		body.Lot = mustCanonical(body.Lot)
	}
	q := &tlv1.DisclosureRequest{Body: &body, Requester: c.signer.Id, Height: c.height, TimeMs: c.timeMs, Status: tlv1.DISCLOSURE_REQUEST_STATUS_OPEN}
	if err := putProto(c.o, tlv1.DisclosureRequestKey(id), q); err != nil {
		return nil, err
	}
	return appendDisclosureRecord(c, &tlv1.DisclosureRecord{Body: &tlv1.DisclosureRecord_Request{Request: q}},
		tlv1.DisclosureSubject(r.Enterprise), tlv1.DisclosureSubject(c.signer.Id))
}

func validateRefuseDisclosure(r *tlv1.RefuseDisclosure) error {
	if r == nil {
		return rejectf(tlv1.CodeDisclosureInvalid, "refuse_disclosure is empty")
	}
	if err := checkRequestID("refuse_disclosure.request", r.Request); err != nil {
		return err
	}
	return attestText(tlv1.CodeDisclosureInvalid, "refuse_disclosure.reason", r.Reason, 1, maxDisclosureText)
}

func execRefuseDisclosure(c *execCtx, r *tlv1.RefuseDisclosure) ([]recordedEvent, error) {
	q, err := answerRequest(c, "refuse_disclosure.request", r.Request)
	if err != nil {
		return nil, err
	}
	evs, err := appendDisclosureRecord(c, &tlv1.DisclosureRecord{Body: &tlv1.DisclosureRecord_Refused{Refused: &tlv1.DisclosureRefused{
		Request: r.Request, Enterprise: c.signer.Id, Reason: r.Reason}}},
		tlv1.DisclosureSubject(c.signer.Id), tlv1.DisclosureSubject(q.Requester))
	if err != nil {
		return nil, err
	}
	q.Status, q.AnswerIndex, q.AnsweredTimeMs, q.RefusalReason = tlv1.DISCLOSURE_REQUEST_STATUS_REFUSED, evs[0].index, c.timeMs, r.Reason
	if err := putProto(c.o, tlv1.DisclosureRequestKey(r.Request), q); err != nil {
		return nil, err
	}
	return evs, nil
}

func appendDisclosureRecord(c *execCtx, dr *tlv1.DisclosureRecord, subjects ...string) ([]recordedEvent, error) {
	rec := c.record()
	rec.Body = &tlv1.Record_Disclosure{Disclosure: dr}
	idx, err := c.o.appendRecord(rec, subjects)
	if err != nil {
		return nil, err
	}
	return []recordedEvent{{index: idx, subjects: subjects}}, nil
}
