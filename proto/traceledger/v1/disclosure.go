// SPDX-License-Identifier: Apache-2.0

package traceledgerv1

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Map keys and history subjects of the disclosure domain (issue 18;
// docs/DISCLOSURE.md).
const (
	PrefixEncryptionKey     = "enckey/"  // enckey/<participant>/<key id> -> EncryptionKey
	PrefixEncryptionKeySet  = "enckeys/" // enckeys/<participant> -> EncryptionKeySet
	PrefixDisclosureRequest = "discreq/" // discreq/<requester>/<number> -> DisclosureRequest

	// SubjectDisclosure is the history scheme of a participant's
	// disclosures: every disclosure it made or received, every request it
	// made or received, and every refusal.
	SubjectDisclosure = "disclosure:"
)

// Limits of the disclosure messages.
const (
	MaxDisclosureEvents     = 1000
	MaxDisclosureRecipients = 16
	// MaxDisclosureCiphertext bounds the ciphertext a disclosure may name
	// (and a store accepts): 256 MiB.
	MaxDisclosureCiphertext = 256 << 20
)

// EncryptionKeyID is the id of an encryption key: the upper-case hex of
// the first 20 bytes of SHA-256 of its age recipient string.
func EncryptionKeyID(recipient string) string {
	h := sha256.Sum256([]byte(recipient))
	return strings.ToUpper(hex.EncodeToString(h[:20]))
}

// EncryptionKeyKey is the map key of one encryption key of a participant.
func EncryptionKeyKey(participant, keyID string) string {
	return PrefixEncryptionKey + participant + "/" + keyID
}

// EncryptionKeySetKey is the map key of a participant's active encryption
// keys.
func EncryptionKeySetKey(participant string) string { return PrefixEncryptionKeySet + participant }

// DisclosureRequestID is the id of the request requester made with number.
func DisclosureRequestID(requester, number string) string { return requester + "/" + number }

// DisclosureRequestKey is the map key of a disclosure request; id is a
// DisclosureRequestID.
func DisclosureRequestKey(id string) string { return PrefixDisclosureRequest + id }

// DisclosureSubject is the history subject of a participant's disclosure
// records.
func DisclosureSubject(participant string) string { return SubjectDisclosure + participant }
