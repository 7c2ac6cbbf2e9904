// SPDX-License-Identifier: Apache-2.0

// Package keyring stores Ed25519 signing keys as passphrase-encrypted files in
// one directory, conventionally <home>/keys (see Dir), one file per key named
// <name>.json.
//
// # Names and key ids
//
// A key name matches [a-z0-9._-]{1,64} and is neither "." nor "..". The key
// id is the upper-case hex of the first 20 bytes of SHA-256 of the 32-byte
// public key, the same value as a CometBFT ed25519 address (see KeyID).
//
// # File format (version 1)
//
// A key file is one UTF-8 (in practice ASCII) JSON object with exactly these
// fields; unknown fields, trailing data and files over 64 KiB are rejected:
//
//	{
//	  "version": 1,                      // format version, always 1
//	  "kind": "key",                     // "key" in a keyring, "export" for Export output
//	  "name": "alice",                   // the key's name (the file stem for kind "key")
//	  "key_id": "1F3A...",               // KeyID(public_key), 40 upper-case hex digits
//	  "algorithm": "ed25519",            // always "ed25519"
//	  "public_key": "<base64, 32 bytes>",
//	  "kdf": {                           // how the passphrase becomes the 32-byte AEAD key
//	    "name": "scrypt",                // "scrypt" or "argon2id"
//	    "salt": "<base64, 16..64 bytes>",
//	    "n": 32768, "r": 8, "p": 1       // scrypt only: cost N (a power of two), r, p
//	    // argon2id only instead: "time": 3, "memory_kib": 65536, "threads": 4
//	  },
//	  "cipher": "xchacha20-poly1305",    // always XChaCha20-Poly1305
//	  "nonce": "<base64, 24 bytes>",
//	  "ciphertext": "<base64, 48 bytes>" // the sealed 32-byte Ed25519 seed and its tag
//	}
//
// All byte fields use standard base64 with padding. The fields of the other
// KDF are absent (or zero). Limits on reading, so that a hostile file cannot
// demand unbounded work: scrypt 2 <= N <= 2^20, 1 <= r <= 32, 1 <= p <= 16 and
// 128*N*r <= 1 GiB; argon2id 1 <= time <= 16, 1 <= threads <= 64 and
// 8*threads <= memory_kib <= 2^20.
//
// The AEAD key is KDF(passphrase, salt). The additional data of the seal is
// the 23-byte label "traceledger-keyring-v1\x00" followed by the compact
// encoding/json encoding of every field above except "ciphertext", in the
// order shown, as decoded from the file. Any change to a header field (name,
// kind, public key, KDF parameters, salt, nonce, ...) therefore makes
// decryption fail exactly as a wrong passphrase does; the two cannot be told
// apart, and both are reported as ErrWrongPassphrase. After decryption the
// public key derived from the seed must equal "public_key".
//
// New keys use scrypt with N=2^15, r=8, p=1 and a fresh 32-byte salt and
// 24-byte nonce from crypto/rand; WithScrypt and WithArgon2id choose other
// parameters (tests use tiny ones to stay fast).
//
// # Files on disk
//
// The directory is created with mode 0700 and key files with mode 0600. A
// file is written to a temporary file in the same directory, synced, and then
// hard-linked (or, where links are unsupported, renamed) into place, so a key
// file is either absent or complete and an existing key is never overwritten.
//
// Export produces a file of the same format with kind "export", encrypted
// under a separate export passphrase with a fresh salt and nonce; Import
// accepts either kind and stores the key under a new name and passphrase.
//
// # Passphrases
//
// ReadPassphrase reads a passphrase for a command-line tool from a file, an
// environment variable (DefaultEnvVar unless named) or a terminal prompt.
// The prompt reads a terminal with golang.org/x/term (echo off); when
// standard input is not a terminal, it reads the line as it is. A prompt
// stops when its context is done, and on Unix leaves nothing reading
// standard input behind.
package keyring
