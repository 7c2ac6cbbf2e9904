// SPDX-License-Identifier: Apache-2.0

package traceledgerv1

// RotateKeyDomain tags the statement a new key signs in RotateKey, so the
// proof of possession can never be replayed as a transaction signature.
const RotateKeyDomain = "traceledger/rotate-key/v1"

// RotateKeyProofBytes returns what RotateKey.new_key_signature signs: the
// domain tag, a zero byte, the old key id, a zero byte and the new 32-byte
// public key. The transaction itself is signed by the old key, so both keys
// take part in a rotation.
func RotateKeyProofBytes(oldKeyID string, newPublicKey []byte) []byte {
	out := make([]byte, 0, len(RotateKeyDomain)+2+len(oldKeyID)+len(newPublicKey))
	out = append(out, RotateKeyDomain...)
	out = append(out, 0)
	out = append(out, oldKeyID...)
	out = append(out, 0)
	return append(out, newPublicKey...)
}
