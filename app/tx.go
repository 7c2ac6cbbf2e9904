// SPDX-License-Identifier: Apache-2.0

package app

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// TxHash is the hash CometBFT and TraceLedger use for a transaction.
func TxHash(tx []byte) []byte {
	h := sha256.Sum256(tx)
	return h[:]
}

// decodedTx is a transaction after the cheap stateless checks.
type decodedTx struct {
	raw  []byte
	hash []byte
	tx   tlv1.Tx
	body tlv1.TxBody
	// handlers[i] serves body.messages[i].
	handlers []*msgHandler
}

// decodeTx applies the checks that need no state, in the order block
// execution (deliverTx) applies them, which is part of consensus (the code a
// transaction bad in several ways gets is in the block's results): size,
// encoding, chain id, message count, each message's own field rules, then
// canonical form.
func decodeTx(h handlers, raw []byte, chainID string, maxBytes int64, maxMsgs uint32) (*decodedTx, error) {
	d, err := decodeFrame(raw, chainID, maxBytes, maxMsgs)
	if err != nil {
		return nil, err
	}
	if err := d.lookupMsgs(h, true); err != nil {
		return nil, err
	}
	if err := d.canonical(); err != nil {
		return nil, err
	}
	return d, nil
}

// decodeTxCheap is decodeTx without the canonical-form check (a re-encoding
// of the whole transaction) and the messages' own field rules, which can be
// expensive (an EPCIS event's hash is recomputed from its content): CheckTx
// runs it, then the signer, key status and sequence checks, and only then
// canonical, validateMsgs and the signature, so that junk from unknown or
// revoked keys, or with a used sequence, costs no hashing (issue 16,
// finding 8; docs/ERRORS.md, "Order of checks").
func decodeTxCheap(h handlers, raw []byte, chainID string, maxBytes int64, maxMsgs uint32) (*decodedTx, error) {
	d, err := decodeFrame(raw, chainID, maxBytes, maxMsgs)
	if err != nil {
		return nil, err
	}
	if err := d.lookupMsgs(h, false); err != nil {
		return nil, err
	}
	return d, nil
}

// decodeFrame checks size, encoding, chain id, the signature's length, the
// signer's presence and the message count.
func decodeFrame(raw []byte, chainID string, maxBytes int64, maxMsgs uint32) (*decodedTx, error) {
	if int64(len(raw)) > maxBytes {
		return nil, rejectf(tlv1.CodeTxTooLarge, "transaction is %d bytes, the limit is %d", len(raw), maxBytes)
	}
	d := &decodedTx{raw: raw, hash: TxHash(raw)}
	if err := d.tx.Unmarshal(raw); err != nil {
		return nil, rejectf(tlv1.CodeTxDecode, "not a Tx protobuf: %v", err)
	}
	if len(d.tx.BodyBytes) == 0 {
		return nil, rejectf(tlv1.CodeTxDecode, "tx.body_bytes is empty")
	}
	if err := d.body.Unmarshal(d.tx.BodyBytes); err != nil {
		return nil, rejectf(tlv1.CodeTxDecode, "tx.body_bytes is not a TxBody protobuf: %v", err)
	}
	if d.body.ChainId != chainID {
		return nil, rejectf(tlv1.CodeWrongChainID, "body.chain_id is %q, this network is %q", d.body.ChainId, chainID)
	}
	if len(d.tx.Signature) != ed25519.SignatureSize {
		return nil, rejectf(tlv1.CodeBadSignature, "tx.signature is %d bytes, want %d", len(d.tx.Signature), ed25519.SignatureSize)
	}
	if d.body.Signer == "" {
		return nil, rejectf(tlv1.CodeUnknownSigner, "body.signer is empty")
	}
	if len(d.body.Messages) == 0 {
		return nil, rejectf(tlv1.CodeEmptyTx, "body.messages is empty: a transaction carries at least one message")
	}
	if uint32(len(d.body.Messages)) > maxMsgs {
		return nil, rejectf(tlv1.CodeTooManyMessages, "body.messages has %d messages, the limit is %d", len(d.body.Messages), maxMsgs)
	}
	return d, nil
}

// lookupMsgs finds each message's handler and, with validate, checks the
// message's own field rules right after (message by message).
func (d *decodedTx) lookupMsgs(h handlers, validate bool) error {
	d.handlers = make([]*msgHandler, len(d.body.Messages))
	for i, m := range d.body.Messages {
		mh, err := h.lookup(m)
		if err == nil && validate {
			err = mh.validate(m)
		}
		if err != nil {
			return msgErr(i, err)
		}
		d.handlers[i] = mh
	}
	return nil
}

// validateMsgs checks each message's own field rules (after decodeTxCheap).
func (d *decodedTx) validateMsgs() error {
	for i, m := range d.body.Messages {
		if err := d.handlers[i].validate(m); err != nil {
			return msgErr(i, err)
		}
	}
	return nil
}

// canonical is the strict-decoding check. A transaction has one encoding:
// unknown fields (which the outer signature does not cover, or which ride
// in the body unread), reordered, repeated or non-minimal fields would let a
// relay commit the same signed content under another hash; re-encoding what
// was decoded with the stable marshaler must give the bytes received.
func (d *decodedTx) canonical() error {
	if err := canonicalBytes("tx", &d.tx, d.raw); err != nil {
		return err
	}
	return canonicalBytes("tx.body_bytes", &d.body, d.tx.BodyBytes)
}

// canonicalBytes checks that raw is the stable-marshaler encoding of m,
// which was decoded from it.
func canonicalBytes(what string, m interface{ Marshal() ([]byte, error) }, raw []byte) error {
	bz, err := m.Marshal()
	if err != nil {
		return fmt.Errorf("re-encode %s: %w", what, err)
	}
	if !bytes.Equal(bz, raw) {
		return rejectf(tlv1.CodeTxNotCanonical, "%s is not in canonical protobuf form (%d bytes received, %d in canonical form): unknown, repeated or out-of-order fields; build it with the client library or a stable marshaler", what, len(raw), len(bz))
	}
	return nil
}

// authTx looks up the signer in state r and checks key status, participant
// status and sequence (against wantSeq), and the signature unless verified
// says it was already checked for this key.
func authTx(r mapReader, d *decodedTx, wantSeq func(*tlv1.Key) uint64, verified func(txHash []byte, keyID string) bool, verify func(pub, msg, sig []byte) bool) (*tlv1.Key, *tlv1.Participant, error) {
	key, p, err := authSigner(r, d.body.Signer, d.body.Sequence, wantSeq)
	if err != nil {
		return nil, nil, err
	}
	if verified == nil || !verified(d.hash, key.Id) {
		if !verify(key.PublicKey, tlv1.SignBytes(d.tx.BodyBytes), d.tx.Signature) {
			return nil, nil, rejectf(tlv1.CodeBadSignature, "signature does not verify for key %s", key.Id)
		}
	}
	return key, p, nil
}

// authSigner is the stateful part of authTx: the signing key exists and is
// active, its participant is active, and sequence is the one wantSeq
// expects.
func authSigner(r mapReader, signer string, sequence uint64, wantSeq func(*tlv1.Key) uint64) (*tlv1.Key, *tlv1.Participant, error) {
	var key tlv1.Key
	found, err := getProto(r, tlv1.KeyKey(signer), &key)
	if err != nil {
		return nil, nil, err
	}
	if !found {
		return nil, nil, rejectf(tlv1.CodeUnknownSigner, "body.signer %q is not a registered key", signer)
	}
	if key.Status != tlv1.KEY_STATUS_ACTIVE {
		return nil, nil, rejectf(tlv1.CodeKeyRevoked, "key %s of %q is revoked", key.Id, key.Participant)
	}
	var p tlv1.Participant
	found, err = getProto(r, tlv1.ParticipantKey(key.Participant), &p)
	if err != nil {
		return nil, nil, err
	}
	if !found {
		return nil, nil, fmt.Errorf("key %s names participant %q that is not in state", key.Id, key.Participant)
	}
	if p.Status != tlv1.PARTICIPANT_STATUS_ACTIVE {
		return nil, nil, rejectf(tlv1.CodeParticipantInactive, "participant %q is %s and may submit nothing", p.Id, p.Status)
	}
	want := wantSeq(&key)
	switch {
	case sequence < want:
		e := rejectf(tlv1.CodeSequenceReplayed, "body.sequence %d of key %s was already used; the next is %d", sequence, key.Id, want)
		e.Facts.NextSequence = factU64(want)
		return nil, nil, e
	case sequence > want:
		e := rejectf(tlv1.CodeSequenceGap, "body.sequence %d of key %s skips ahead; the next is %d", sequence, key.Id, want)
		e.Facts.NextSequence = factU64(want)
		return nil, nil, e
	}
	return &key, &p, nil
}
