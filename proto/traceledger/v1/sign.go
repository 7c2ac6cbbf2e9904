// SPDX-License-Identifier: Apache-2.0

package traceledgerv1

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// SignDomain is the tag that prefixes the body bytes in the signed message,
// so a TraceLedger signature can never be replayed as another protocol's.
const SignDomain = "traceledger/tx/v1"

// SignBytes returns the bytes an Ed25519 transaction signature covers:
// SignDomain, a zero byte, then the marshalled TxBody exactly as sent.
func SignBytes(bodyBytes []byte) []byte {
	out := make([]byte, 0, len(SignDomain)+1+len(bodyBytes))
	out = append(out, SignDomain...)
	out = append(out, 0)
	return append(out, bodyBytes...)
}

// KeyID is the key id of an Ed25519 public key: upper-case hex of the first
// 20 bytes of its SHA-256, the same as a CometBFT ed25519 address.
func KeyID(pub ed25519.PublicKey) string {
	h := sha256.Sum256(pub)
	return strings.ToUpper(hex.EncodeToString(h[:20]))
}
