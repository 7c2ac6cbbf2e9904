// SPDX-License-Identifier: Apache-2.0

package epcisrest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The gateway keeps everything it must not lose under its home:
//
//	<home>/keys/                 the enterprise's encrypted keyring (as every TraceLedger home)
//	<home>/epcis/tokens.json     bearer tokens, SHA-256 only
//	<home>/epcis/secret          32 random bytes that authenticate page tokens
//	<home>/epcis/jobs/<id>.json  a capture job's state
//	<home>/epcis/jobs/<id>.body  the document the job captures, as received
//	<home>/epcis/payloads/<hex>.json  a hashed event's payload (JCS), by its hash digest
//
// Every file is written whole to a temporary name, synced, renamed into
// place and its directory synced: a crash leaves the old or the new file,
// never a torn one, and a file is on disk before the request that wrote it
// is answered.

// dirName is the gateway's directory inside its home.
const dirName = "epcis"

// paths of a gateway home.
type paths struct{ root string }

func (p paths) dir() string      { return filepath.Join(p.root, dirName) }
func (p paths) tokens() string   { return filepath.Join(p.dir(), "tokens.json") }
func (p paths) secret() string   { return filepath.Join(p.dir(), "secret") }
func (p paths) jobs() string     { return filepath.Join(p.dir(), "jobs") }
func (p paths) payloads() string { return filepath.Join(p.dir(), "payloads") }
func (p paths) job(id string) string {
	return filepath.Join(p.jobs(), id+".json")
}
func (p paths) body(id string) string { return filepath.Join(p.jobs(), id+".body") }
func (p paths) payload(digest [32]byte) string {
	return filepath.Join(p.payloads(), hex.EncodeToString(digest[:])+".json")
}

// ensure creates the gateway's directories (mode 0700).
func (p paths) ensure() error {
	for _, d := range []string{p.dir(), p.jobs(), p.payloads()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("gateway home: %w", err)
		}
	}
	return nil
}

// writeFileDurable writes data to path atomically and durably (see above).
func writeFileDurable(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err = f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if err = f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, fs.ErrInvalid) {
		return err
	}
	return nil
}

// writeJSONDurable writes v as JSON with writeFileDurable.
func writeJSONDurable(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeFileDurable(path, append(b, '\n'))
}

// readSecret returns the page-token secret, creating it on first use.
func (p paths) readSecret() ([]byte, error) {
	b, err := os.ReadFile(p.secret())
	if err == nil && len(b) == 32 {
		return b, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("gateway secret: %w", err)
	}
	b = make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	if err := writeFileDurable(p.secret(), b); err != nil {
		return nil, fmt.Errorf("gateway secret: %w", err)
	}
	return b, nil
}

// newID is a fresh random identifier (capture IDs).
func newID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return hex.EncodeToString(b)
}

// validID reports whether id could be one newID made (no path tricks).
func validID(id string) bool {
	if len(id) != 32 {
		return false
	}
	return strings.Trim(id, "0123456789abcdef") == ""
}
