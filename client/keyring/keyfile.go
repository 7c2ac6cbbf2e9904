// SPDX-License-Identifier: Apache-2.0

package keyring

import (
	"bytes"
	"crypto/ed25519"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/bits"

	"filippo.io/age"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/scrypt"

	traceledgerv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// FormatVersion is the version of the key file format this package writes
// and reads.
const FormatVersion = 1

const (
	kindKey    = "key"
	kindExport = "export"

	algorithmEd25519 = "ed25519"
	// algorithmX25519Age is an encryption key: the secret is an age X25519
	// identity string (AGE-SECRET-KEY-1...), the public key its recipient
	// string (age1...), the key id traceledgerv1.EncryptionKeyID.
	algorithmX25519Age = "x25519-age"
	// ageIdentitySize is the length of an age X25519 identity string.
	ageIdentitySize = 74
	cipherXChaCha   = "xchacha20-poly1305"

	kdfScrypt   = "scrypt"
	kdfArgon2id = "argon2id"

	// adLabel starts the additional data of every seal.
	adLabel = "traceledger-keyring-v1\x00"

	maxFileSize = 64 << 10
	saltSize    = 32
	minSaltSize = 16
	maxSaltSize = 64
	aeadKeySize = chacha20poly1305.KeySize

	maxScryptN      = 1 << 20
	maxScryptR      = 32
	maxScryptP      = 16
	maxKDFMemory    = 1 << 30 // bytes
	maxArgonTime    = 16
	maxArgonThreads = 64
	maxArgonMemKiB  = maxKDFMemory >> 10
)

// kdfParams names a key-derivation function, its cost parameters and salt.
type kdfParams struct {
	Name string `json:"name"`
	Salt []byte `json:"salt"`
	// scrypt
	N int `json:"n,omitempty"`
	R int `json:"r,omitempty"`
	P int `json:"p,omitempty"`
	// argon2id
	Time      uint32 `json:"time,omitempty"`
	MemoryKiB uint32 `json:"memory_kib,omitempty"`
	Threads   uint8  `json:"threads,omitempty"`
}

// header is every field of a key file except the ciphertext; its encoding is
// bound to the ciphertext as additional data.
type header struct {
	Version   int       `json:"version"`
	Kind      string    `json:"kind"`
	Name      string    `json:"name"`
	KeyID     string    `json:"key_id"`
	Algorithm string    `json:"algorithm"`
	PublicKey []byte    `json:"public_key"`
	KDF       kdfParams `json:"kdf"`
	Cipher    string    `json:"cipher"`
	Nonce     []byte    `json:"nonce"`
}

// keyFile is a decoded key file.
type keyFile struct {
	header
	Ciphertext []byte `json:"ciphertext"`
}

// KeyID returns the key id of an Ed25519 public key: the upper-case hex of
// the first 20 bytes of its SHA-256, which equals its CometBFT address.
// It is the definition shared with the wire types.
func KeyID(pub ed25519.PublicKey) string { return traceledgerv1.KeyID(pub) }

// checkKDF reports whether p names a supported KDF with parameters within the
// limits in the package documentation. The salt is checked only if checkSalt.
func checkKDF(p kdfParams, checkSalt bool) error {
	if checkSalt && (len(p.Salt) < minSaltSize || len(p.Salt) > maxSaltSize) {
		return fmt.Errorf("kdf salt is %d bytes, want %d to %d", len(p.Salt), minSaltSize, maxSaltSize)
	}
	switch p.Name {
	case kdfScrypt:
		if p.Time != 0 || p.MemoryKiB != 0 || p.Threads != 0 {
			return errors.New("scrypt kdf has argon2id parameters")
		}
		if p.N < 2 || p.N > maxScryptN || bits.OnesCount(uint(p.N)) != 1 {
			return fmt.Errorf("scrypt n is %d, want a power of two from 2 to %d", p.N, maxScryptN)
		}
		if p.R < 1 || p.R > maxScryptR {
			return fmt.Errorf("scrypt r is %d, want 1 to %d", p.R, maxScryptR)
		}
		if p.P < 1 || p.P > maxScryptP {
			return fmt.Errorf("scrypt p is %d, want 1 to %d", p.P, maxScryptP)
		}
		if 128*p.N*p.R > maxKDFMemory {
			return fmt.Errorf("scrypt n=%d r=%d needs more than %d bytes", p.N, p.R, maxKDFMemory)
		}
	case kdfArgon2id:
		if p.N != 0 || p.R != 0 || p.P != 0 {
			return errors.New("argon2id kdf has scrypt parameters")
		}
		if p.Time < 1 || p.Time > maxArgonTime {
			return fmt.Errorf("argon2id time is %d, want 1 to %d", p.Time, maxArgonTime)
		}
		if p.Threads < 1 || p.Threads > maxArgonThreads {
			return fmt.Errorf("argon2id threads is %d, want 1 to %d", p.Threads, maxArgonThreads)
		}
		if p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > maxArgonMemKiB {
			return fmt.Errorf("argon2id memory_kib is %d, want %d to %d", p.MemoryKiB, 8*uint32(p.Threads), maxArgonMemKiB)
		}
	default:
		return fmt.Errorf("unsupported kdf %q", p.Name)
	}
	return nil
}

// deriveKey runs the KDF described by p over the passphrase.
func deriveKey(p kdfParams, passphrase []byte) ([]byte, error) {
	switch p.Name {
	case kdfScrypt:
		k, err := scrypt.Key(passphrase, p.Salt, p.N, p.R, p.P, aeadKeySize)
		if err != nil {
			return nil, fmt.Errorf("scrypt: %w", err)
		}
		return k, nil
	case kdfArgon2id:
		return argon2.IDKey(passphrase, p.Salt, p.Time, p.MemoryKiB, p.Threads, aeadKeySize), nil
	default:
		return nil, fmt.Errorf("unsupported kdf %q", p.Name)
	}
}

// additionalData returns the bytes bound to the ciphertext of a file with
// header h.
func additionalData(h *header) ([]byte, error) {
	b, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("encode header: %w", err)
	}
	return append([]byte(adLabel), b...), nil
}

// seal encrypts seed under passphrase into a new key file of the given kind
// and name, using the KDF and costs of kdf with a fresh salt and nonce from
// rnd.
func seal(rnd io.Reader, kind, name string, seed, passphrase []byte, kdf kdfParams) (*keyFile, error) {
	return sealAs(rnd, kind, name, algorithmEd25519, seed, passphrase, kdf)
}

// publicOf returns the public key and key id of a secret of algorithm alg:
// an Ed25519 seed, or an age X25519 identity string.
func publicOf(alg string, secret []byte) ([]byte, string, error) {
	switch alg {
	case algorithmEd25519:
		if len(secret) != ed25519.SeedSize {
			return nil, "", fmt.Errorf("seed is %d bytes, want %d", len(secret), ed25519.SeedSize)
		}
		priv := ed25519.NewKeyFromSeed(secret)
		defer clear(priv)
		pub := bytes.Clone(priv.Public().(ed25519.PublicKey))
		return pub, KeyID(pub), nil
	case algorithmX25519Age:
		id, err := age.ParseX25519Identity(string(secret))
		if err != nil {
			return nil, "", fmt.Errorf("age identity: %w", err)
		}
		r := id.Recipient().String()
		return []byte(r), traceledgerv1.EncryptionKeyID(r), nil
	}
	return nil, "", fmt.Errorf("unsupported algorithm %q", alg)
}

// sealAs is seal for a secret of algorithm alg.
func sealAs(rnd io.Reader, kind, name, alg string, seed, passphrase []byte, kdf kdfParams) (*keyFile, error) {
	pub, keyID, err := publicOf(alg, seed)
	if err != nil {
		return nil, err
	}

	kdf.Salt = make([]byte, saltSize)
	if _, err := io.ReadFull(rnd, kdf.Salt); err != nil {
		return nil, fmt.Errorf("read salt: %w", err)
	}
	f := &keyFile{header: header{
		Version:   FormatVersion,
		Kind:      kind,
		Name:      name,
		KeyID:     keyID,
		Algorithm: alg,
		PublicKey: pub,
		KDF:       kdf,
		Cipher:    cipherXChaCha,
		Nonce:     make([]byte, chacha20poly1305.NonceSizeX),
	}}
	if _, err := io.ReadFull(rnd, f.Nonce); err != nil {
		return nil, fmt.Errorf("read nonce: %w", err)
	}
	key, err := deriveKey(kdf, passphrase)
	if err != nil {
		return nil, err
	}
	defer clear(key)
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("aead: %w", err)
	}
	ad, err := additionalData(&f.header)
	if err != nil {
		return nil, err
	}
	f.Ciphertext = aead.Seal(nil, f.Nonce, seed, ad)
	return f, nil
}

// open decrypts the seed of f with passphrase. A wrong passphrase and a
// modified file both yield ErrWrongPassphrase; a seed that does not match the
// public key yields ErrCorrupt.
func (f *keyFile) open(passphrase []byte) ([]byte, error) {
	key, err := deriveKey(f.KDF, passphrase)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	defer clear(key)
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("aead: %w", err)
	}
	ad, err := additionalData(&f.header)
	if err != nil {
		return nil, err
	}
	seed, err := aead.Open(nil, f.Nonce, f.Ciphertext, ad)
	if err != nil {
		return nil, ErrWrongPassphrase
	}
	pub, _, err := publicOf(f.Algorithm, seed)
	if err != nil || subtle.ConstantTimeCompare(pub, f.PublicKey) != 1 {
		clear(seed)
		return nil, fmt.Errorf("%w: secret does not match public key", ErrCorrupt)
	}
	return seed, nil
}

// info returns the public information of f.
func (f *keyFile) info(name string) Info {
	return Info{Name: name, KeyID: f.KeyID, PublicKey: bytes.Clone(f.PublicKey), Algorithm: f.Algorithm}
}

// encode returns the file's JSON text, indented, with a final newline.
func (f *keyFile) encode() ([]byte, error) {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode key file: %w", err)
	}
	return append(b, '\n'), nil
}

// decodeKeyFile parses and checks a key file without decrypting it. Every
// failure wraps ErrCorrupt.
func decodeKeyFile(data []byte) (*keyFile, error) {
	f, err := parseKeyFile(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return f, nil
}

func parseKeyFile(data []byte) (*keyFile, error) {
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("file is %d bytes, limit %d", len(data), maxFileSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f keyFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("decode: data after the key object")
	}
	if f.Version != FormatVersion {
		return nil, fmt.Errorf("unsupported version %d", f.Version)
	}
	if f.Kind != kindKey && f.Kind != kindExport {
		return nil, fmt.Errorf("unknown kind %q", f.Kind)
	}
	if err := ValidateName(f.Name); err != nil {
		return nil, err
	}
	secretSize := ed25519.SeedSize
	switch f.Algorithm {
	case algorithmEd25519:
		if len(f.PublicKey) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("public key is %d bytes, want %d", len(f.PublicKey), ed25519.PublicKeySize)
		}
		if want := KeyID(f.PublicKey); f.KeyID != want {
			return nil, fmt.Errorf("key id %q does not match the public key (want %s)", f.KeyID, want)
		}
	case algorithmX25519Age:
		r, err := age.ParseX25519Recipient(string(f.PublicKey))
		if err != nil || r.String() != string(f.PublicKey) {
			return nil, errors.New("public key is not an age X25519 recipient in canonical form")
		}
		if want := traceledgerv1.EncryptionKeyID(string(f.PublicKey)); f.KeyID != want {
			return nil, fmt.Errorf("key id %q does not match the recipient (want %s)", f.KeyID, want)
		}
		secretSize = ageIdentitySize
	default:
		return nil, fmt.Errorf("unsupported algorithm %q", f.Algorithm)
	}
	if err := checkKDF(f.KDF, true); err != nil {
		return nil, err
	}
	if f.Cipher != cipherXChaCha {
		return nil, fmt.Errorf("unsupported cipher %q", f.Cipher)
	}
	if len(f.Nonce) != chacha20poly1305.NonceSizeX {
		return nil, fmt.Errorf("nonce is %d bytes, want %d", len(f.Nonce), chacha20poly1305.NonceSizeX)
	}
	if want := secretSize + chacha20poly1305.Overhead; len(f.Ciphertext) != want {
		return nil, fmt.Errorf("ciphertext is %d bytes, want %d", len(f.Ciphertext), want)
	}
	return &f, nil
}
