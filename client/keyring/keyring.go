// SPDX-License-Identifier: Apache-2.0

package keyring

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"filippo.io/age"

	"github.com/traceledger/traceledger/client/keyring/secretfile"
)

// Errors that callers may branch on. Each is returned wrapped, with the key
// name in the message.
var (
	// ErrNotFound means no key of that name exists.
	ErrNotFound = errors.New("key not found")
	// ErrExists means a key of that name already exists.
	ErrExists = errors.New("key already exists")
	// ErrWrongPassphrase means decryption failed: the passphrase is wrong or
	// the file was modified.
	ErrWrongPassphrase = errors.New("wrong passphrase or modified key file")
	// ErrBadName means the name is not a valid key name.
	ErrBadName = errors.New("invalid key name")
	// ErrCorrupt means a key file is malformed or inconsistent.
	ErrCorrupt = errors.New("corrupt key file")
	// ErrEmptyPassphrase means an empty passphrase was given where a key is
	// to be encrypted.
	ErrEmptyPassphrase = errors.New("empty passphrase")
	// ErrNotPrivate means a key or passphrase file grants group or others
	// access, or belongs to another user: it is refused unread, and the
	// error says the chmod.
	ErrNotPrivate = secretfile.ErrNotPrivate
	// ErrWrongKind means a signing key was asked to decrypt, or an
	// encryption key to sign.
	ErrWrongKind = errors.New("wrong kind of key")
)

// DirName is the name of the key directory inside a TraceLedger home.
const DirName = "keys"

// MaxNameLen is the longest key name.
const MaxNameLen = 64

// Dir returns the key directory of a TraceLedger home directory.
func Dir(home string) string { return filepath.Join(home, DirName) }

// Info is the public information about a stored key.
type Info struct {
	// Name is the key's name in the keyring.
	Name string `json:"name"`
	// KeyID is KeyID(PublicKey).
	KeyID string `json:"key_id"`
	// PublicKey is the 32-byte Ed25519 public key, or for an encryption
	// key the age X25519 recipient string's bytes.
	PublicKey ed25519.PublicKey `json:"public_key"`
	// Algorithm is "ed25519" for a signing key, "x25519-age" for an
	// encryption key (AddEncryption).
	Algorithm string `json:"algorithm"`
}

// IsEncryption reports whether the key is an encryption key.
func (i Info) IsEncryption() bool { return i.Algorithm == algorithmX25519Age }

// Keyring is a directory of encrypted key files. Its methods may be called
// concurrently, also from several processes: creating a key never replaces
// an existing file.
type Keyring struct {
	dir  string
	kdf  kdfParams
	rand io.Reader
}

// Option configures a Keyring.
type Option func(*Keyring)

// WithScrypt makes the keyring encrypt new and exported keys with scrypt of
// cost n (a power of two), block size r and parallelism p. The default is
// n=2^15, r=8, p=1. Open fails if the parameters are outside the limits in
// the package documentation.
func WithScrypt(n, r, p int) Option {
	return func(k *Keyring) { k.kdf = kdfParams{Name: kdfScrypt, N: n, R: r, P: p} }
}

// WithArgon2id makes the keyring encrypt new and exported keys with
// argon2id of the given passes, memory in KiB and threads (RFC 9106's second
// recommendation is 3, 65536, 4). Open fails if the parameters are outside
// the limits in the package documentation.
func WithArgon2id(time, memoryKiB uint32, threads uint8) Option {
	return func(k *Keyring) {
		k.kdf = kdfParams{Name: kdfArgon2id, Time: time, MemoryKiB: memoryKiB, Threads: threads}
	}
}

// Open returns the keyring stored in dir, creating the directory with mode
// 0700 if it does not exist.
func Open(dir string, opts ...Option) (*Keyring, error) {
	k := &Keyring{
		dir:  dir,
		kdf:  kdfParams{Name: kdfScrypt, N: 1 << 15, R: 8, P: 1},
		rand: rand.Reader,
	}
	for _, o := range opts {
		o(k)
	}
	if err := checkKDF(k.kdf, false); err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("keyring: create directory: %w", err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("keyring: %s is not a directory", dir)
	}
	return k, nil
}

// Dir returns the keyring's directory.
func (k *Keyring) Dir() string { return k.dir }

// ValidateName reports whether name is a valid key name: 1 to 64 characters
// from [a-z0-9._-], and not "." or "..". The error wraps ErrBadName.
func ValidateName(name string) error {
	if name == "" || len(name) > MaxNameLen || name == "." || name == ".." {
		return fmt.Errorf("key %q: %w: want 1 to %d of [a-z0-9._-], not \".\" or \"..\"", name, ErrBadName, MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("key %q: %w: character %q at %d is not one of [a-z0-9._-]", name, ErrBadName, c, i)
		}
	}
	return nil
}

func (k *Keyring) path(name string) string { return filepath.Join(k.dir, name+".json") }

func keyErr(name string, err error) error { return fmt.Errorf("key %q: %w", name, err) }

// Add generates a new key with crypto/rand, stores it under name encrypted
// with passphrase and returns its public information.
func (k *Keyring) Add(name string, passphrase []byte) (Info, error) {
	seed := make([]byte, ed25519.SeedSize)
	defer clear(seed)
	if _, err := io.ReadFull(k.rand, seed); err != nil {
		return Info{}, keyErr(name, fmt.Errorf("generate: %w", err))
	}
	return k.ImportSeed(name, seed, passphrase)
}

// ImportSeed stores the key with the given 32-byte Ed25519 seed under name,
// encrypted with passphrase.
func (k *Keyring) ImportSeed(name string, seed, passphrase []byte) (Info, error) {
	return k.importAs(name, algorithmEd25519, seed, passphrase)
}

// AddEncryption generates a new age X25519 identity (an encryption key)
// and stores it under name encrypted with passphrase, like a signing key.
// Its Info.PublicKey is the recipient string to register on the ledger
// (tx participant add-encryption-key).
func (k *Keyring) AddEncryption(name string, passphrase []byte) (Info, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return Info{}, keyErr(name, fmt.Errorf("generate: %w", err))
	}
	secret := []byte(id.String())
	defer clear(secret)
	return k.importAs(name, algorithmX25519Age, secret, passphrase)
}

// Identity decrypts the encryption key name with passphrase and returns
// it as an age identity.
func (k *Keyring) Identity(name string, passphrase []byte) (*age.X25519Identity, error) {
	secret, f, err := k.decrypt(name, passphrase)
	if err != nil {
		return nil, err
	}
	defer clear(secret)
	if f.Algorithm != algorithmX25519Age {
		return nil, keyErr(name, fmt.Errorf("%w: it is a %s signing key, not an encryption key", ErrWrongKind, f.Algorithm))
	}
	id, err := age.ParseX25519Identity(string(secret))
	if err != nil {
		return nil, keyErr(name, fmt.Errorf("%w: %w", ErrCorrupt, err))
	}
	return id, nil
}

func (k *Keyring) importAs(name, alg string, seed, passphrase []byte) (Info, error) {
	if err := ValidateName(name); err != nil {
		return Info{}, err
	}
	if len(passphrase) == 0 {
		return Info{}, keyErr(name, ErrEmptyPassphrase)
	}
	if _, _, err := publicOf(alg, seed); err != nil {
		return Info{}, keyErr(name, err)
	}
	// Fail fast before the deliberately slow KDF; create checks again.
	if _, err := os.Lstat(k.path(name)); err == nil {
		return Info{}, keyErr(name, ErrExists)
	}
	f, err := sealAs(k.rand, kindKey, name, alg, seed, passphrase, k.kdf)
	if err != nil {
		return Info{}, keyErr(name, err)
	}
	data, err := f.encode()
	if err != nil {
		return Info{}, keyErr(name, err)
	}
	if err := k.create(name, data); err != nil {
		return Info{}, keyErr(name, err)
	}
	return f.info(name), nil
}

// Export decrypts the key name with passphrase and returns it as an export
// file (the key file format with kind "export") encrypted under
// exportPassphrase with a fresh salt and nonce.
func (k *Keyring) Export(name string, passphrase, exportPassphrase []byte) ([]byte, error) {
	if len(exportPassphrase) == 0 {
		return nil, keyErr(name, ErrEmptyPassphrase)
	}
	seed, kf, err := k.decrypt(name, passphrase)
	if err != nil {
		return nil, err
	}
	defer clear(seed)
	f, err := sealAs(k.rand, kindExport, name, kf.Algorithm, seed, exportPassphrase, k.kdf)
	if err != nil {
		return nil, keyErr(name, err)
	}
	data, err := f.encode()
	if err != nil {
		return nil, keyErr(name, err)
	}
	return data, nil
}

// Import decrypts an export file (or a key file) with exportPassphrase and
// stores the key under name, encrypted with passphrase.
func (k *Keyring) Import(name string, data, exportPassphrase, passphrase []byte) (Info, error) {
	if err := ValidateName(name); err != nil {
		return Info{}, err
	}
	f, err := decodeKeyFile(data)
	if err != nil {
		return Info{}, keyErr(name, err)
	}
	seed, err := f.open(exportPassphrase)
	if err != nil {
		return Info{}, keyErr(name, err)
	}
	defer clear(seed)
	return k.importAs(name, f.Algorithm, seed, passphrase)
}

// List returns the public information of every key, sorted by name. Files
// that cannot be read are reported in the error (which then wraps their
// errors, for example ErrCorrupt) while the readable keys are still
// returned.
func (k *Keyring) List() ([]Info, error) {
	entries, err := os.ReadDir(k.dir)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	var (
		infos []Info
		errs  []error
	)
	for _, e := range entries {
		stem, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || e.IsDir() || ValidateName(stem) != nil {
			continue
		}
		f, err := k.read(stem)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		infos = append(infos, f.info(stem))
	}
	slices.SortFunc(infos, func(a, b Info) int { return strings.Compare(a.Name, b.Name) })
	return infos, errors.Join(errs...)
}

// Show returns the public information of the key name; no passphrase is
// needed.
func (k *Keyring) Show(name string) (Info, error) {
	f, err := k.read(name)
	if err != nil {
		return Info{}, err
	}
	return f.info(name), nil
}

// Signer decrypts the key name with passphrase and returns its private key.
// Callers should clear it when done.
func (k *Keyring) Signer(name string, passphrase []byte) (ed25519.PrivateKey, error) {
	seed, f, err := k.decrypt(name, passphrase)
	if err != nil {
		return nil, err
	}
	defer clear(seed)
	if f.Algorithm != algorithmEd25519 {
		return nil, keyErr(name, fmt.Errorf("%w: it is an encryption key, it cannot sign", ErrWrongKind))
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// Delete removes the key name. It needs no passphrase: whoever may write the
// directory can remove files anyway.
func (k *Keyring) Delete(name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	if err := os.Remove(k.path(name)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return keyErr(name, ErrNotFound)
		}
		return keyErr(name, err)
	}
	return syncDir(k.dir)
}

// decrypt reads the key name and returns its seed.
func (k *Keyring) decrypt(name string, passphrase []byte) ([]byte, *keyFile, error) {
	f, err := k.read(name)
	if err != nil {
		return nil, nil, err
	}
	seed, err := f.open(passphrase)
	if err != nil {
		return nil, nil, keyErr(name, err)
	}
	return seed, f, nil
}

// read reads and checks the file of key name without decrypting it.
func (k *Keyring) read(name string) (*keyFile, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	if err := secretfile.Check(k.path(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("key %q: %w", name, err)
	}
	fh, err := os.Open(k.path(name))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, keyErr(name, ErrNotFound)
		}
		return nil, keyErr(name, err)
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxFileSize+1))
	if err != nil {
		return nil, keyErr(name, err)
	}
	f, err := decodeKeyFile(data)
	if err != nil {
		return nil, keyErr(name, err)
	}
	if f.Kind != kindKey || f.Name != name {
		return nil, keyErr(name, fmt.Errorf("%w: file holds %s %q", ErrCorrupt, f.Kind, f.Name))
	}
	return f, nil
}

// create atomically writes a new key file; it fails with ErrExists rather
// than replace one.
func (k *Keyring) create(name string, data []byte) (err error) {
	tmp, err := os.CreateTemp(k.dir, ".tmp-"+name+"-*")
	if err != nil {
		return fmt.Errorf("create temporary file: %w", err)
	}
	tmpName := tmp.Name()
	defer func() {
		if rmErr := os.Remove(tmpName); rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist) && err == nil {
			err = fmt.Errorf("remove temporary file: %w", rmErr)
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("chmod: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	final := k.path(name)
	if err := os.Link(tmpName, final); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return ErrExists
		}
		// No hard links on this file system: check, then rename. Two
		// processes racing here could both succeed; the later one wins.
		if _, statErr := os.Lstat(final); statErr == nil {
			return ErrExists
		}
		if err := os.Rename(tmpName, final); err != nil {
			return fmt.Errorf("rename: %w", err)
		}
	}
	return syncDir(k.dir)
}

// syncDir flushes a directory's entries to disk, where the platform allows.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, fs.ErrInvalid) && !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("sync directory: %w", err)
	}
	return nil
}
