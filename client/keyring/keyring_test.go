// SPDX-License-Identifier: Apache-2.0

package keyring

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	traceledgerv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// testOpts keep the KDF cheap so tests are fast.
var testOpts = []Option{WithScrypt(16, 1, 1)}

func newTestKeyring(t *testing.T) *Keyring {
	t.Helper()
	k, err := Open(filepath.Join(t.TempDir(), DirName), testOpts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return k
}

func seedOf(b byte) []byte { return bytes.Repeat([]byte{b}, ed25519.SeedSize) }

func TestKeyID(t *testing.T) {
	tests := []struct {
		name string
		pub  ed25519.PublicKey
		want string
	}{
		// SHA-256 of 32 zero bytes is 66687aad...; its first 20 bytes in upper-case hex.
		{"zero key", make([]byte, 32), "66687AADF862BD776C8FC18B8E9F8E2008971485"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := KeyID(tt.pub); got != tt.want {
				t.Errorf("KeyID = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestValidateName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"alice", true},
		{"a", true},
		{"dept-agri.admin_1", true},
		{"...", true},
		{strings.Repeat("a", 64), true},
		{"", false},
		{".", false},
		{"..", false},
		{strings.Repeat("a", 65), false},
		{"Alice", false},
		{"a/b", false},
		{"../x", false},
		{"a b", false},
		{"é", false},
		{"a\x00", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateName(tt.name)
			if tt.ok && err != nil {
				t.Fatalf("ValidateName(%q) = %v, want nil", tt.name, err)
			}
			if !tt.ok && !errors.Is(err, ErrBadName) {
				t.Fatalf("ValidateName(%q) = %v, want ErrBadName", tt.name, err)
			}
		})
	}
}

func TestBadNameEverywhere(t *testing.T) {
	k := newTestKeyring(t)
	pass := []byte("pw")
	calls := map[string]func(string) error{
		"Add":        func(n string) error { _, err := k.Add(n, pass); return err },
		"ImportSeed": func(n string) error { _, err := k.ImportSeed(n, seedOf(1), pass); return err },
		"Show":       func(n string) error { _, err := k.Show(n); return err },
		"Signer":     func(n string) error { _, err := k.Signer(n, pass); return err },
		"Export":     func(n string) error { _, err := k.Export(n, pass, pass); return err },
		"Import":     func(n string) error { _, err := k.Import(n, []byte("{}"), pass, pass); return err },
		"Delete":     func(n string) error { return k.Delete(n) },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			err := call("../evil")
			if !errors.Is(err, ErrBadName) {
				t.Fatalf("err = %v, want ErrBadName", err)
			}
			if !strings.Contains(err.Error(), `"../evil"`) {
				t.Errorf("error %q does not name the key", err)
			}
		})
	}
}

func TestAddShowSigner(t *testing.T) {
	k := newTestKeyring(t)
	pass := []byte("correct horse")
	info, err := k.Add("alice", pass)
	if err != nil {
		t.Fatalf("Add: %v", err)
	}
	if info.Name != "alice" || len(info.PublicKey) != ed25519.PublicKeySize || info.KeyID != KeyID(info.PublicKey) {
		t.Fatalf("Add info = %+v", info)
	}
	shown, err := k.Show("alice")
	if err != nil {
		t.Fatalf("Show: %v", err)
	}
	if shown.Name != info.Name || shown.KeyID != info.KeyID || !shown.PublicKey.Equal(info.PublicKey) {
		t.Fatalf("Show = %+v, want %+v", shown, info)
	}
	priv, err := k.Signer("alice", pass)
	if err != nil {
		t.Fatalf("Signer: %v", err)
	}
	if !priv.Public().(ed25519.PublicKey).Equal(info.PublicKey) {
		t.Fatal("Signer key does not match the public key")
	}
	msg := []byte("trace event")
	if !ed25519.Verify(info.PublicKey, msg, ed25519.Sign(priv, msg)) {
		t.Fatal("signature does not verify")
	}
	other, err := k.Add("bob", pass)
	if err != nil {
		t.Fatalf("Add bob: %v", err)
	}
	if other.PublicKey.Equal(info.PublicKey) {
		t.Fatal("two generated keys are equal")
	}
}

func TestImportSeed(t *testing.T) {
	k := newTestKeyring(t)
	seed := seedOf(7)
	want := ed25519.NewKeyFromSeed(seed)
	tests := []struct {
		name    string
		key     string
		seed    []byte
		pass    []byte
		wantErr error
	}{
		{"ok", "seven", seed, []byte("pw"), nil},
		{"exists", "seven", seed, []byte("pw"), ErrExists},
		{"empty passphrase", "eight", seed, nil, ErrEmptyPassphrase},
		{"short seed", "nine", seed[:31], []byte("pw"), nil},
		{"bad name", "Nine", seed, []byte("pw"), ErrBadName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := k.ImportSeed(tt.key, tt.seed, tt.pass)
			switch {
			case tt.name == "short seed":
				if err == nil || !strings.Contains(err.Error(), "seed is 31 bytes") {
					t.Fatalf("err = %v, want seed length error", err)
				}
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
			default:
				if err != nil {
					t.Fatalf("ImportSeed: %v", err)
				}
				if !info.PublicKey.Equal(want.Public()) {
					t.Fatal("public key does not match the seed")
				}
				priv, err := k.Signer(tt.key, tt.pass)
				if err != nil {
					t.Fatalf("Signer: %v", err)
				}
				if !priv.Equal(want) {
					t.Fatal("Signer returned a different key")
				}
			}
		})
	}
}

func TestErrors(t *testing.T) {
	k := newTestKeyring(t)
	if _, err := k.ImportSeed("alice", seedOf(1), []byte("pw")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"signer wrong passphrase", func() error { _, err := k.Signer("alice", []byte("nope")); return err }, ErrWrongPassphrase},
		{"signer empty passphrase", func() error { _, err := k.Signer("alice", nil); return err }, ErrWrongPassphrase},
		{"export wrong passphrase", func() error { _, err := k.Export("alice", []byte("nope"), []byte("x")); return err }, ErrWrongPassphrase},
		{"export empty export passphrase", func() error { _, err := k.Export("alice", []byte("pw"), nil); return err }, ErrEmptyPassphrase},
		{"add exists", func() error { _, err := k.Add("alice", []byte("pw")); return err }, ErrExists},
		{"add empty passphrase", func() error { _, err := k.Add("bob", nil); return err }, ErrEmptyPassphrase},
		{"show missing", func() error { _, err := k.Show("bob"); return err }, ErrNotFound},
		{"signer missing", func() error { _, err := k.Signer("bob", []byte("pw")); return err }, ErrNotFound},
		{"export missing", func() error { _, err := k.Export("bob", []byte("pw"), []byte("x")); return err }, ErrNotFound},
		{"delete missing", func() error { return k.Delete("bob") }, ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), `key "`) {
				t.Errorf("error %q does not name the key", err)
			}
		})
	}
}

func TestExportImport(t *testing.T) {
	src := newTestKeyring(t)
	dst := newTestKeyring(t)
	pass, exportPass, newPass := []byte("pw"), []byte("transfer"), []byte("new pw")
	info, err := src.ImportSeed("alice", seedOf(3), pass)
	if err != nil {
		t.Fatal(err)
	}
	data, err := src.Export("alice", pass, exportPass)
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("export is not JSON: %v", err)
	}
	if doc["kind"] != "export" || doc["name"] != "alice" || doc["key_id"] != info.KeyID {
		t.Fatalf("export header = %v", doc)
	}
	if bytes.Contains(data, seedOf(3)) {
		t.Fatal("export contains the seed")
	}

	if _, err := dst.Import("al", data, []byte("wrong"), newPass); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("Import with wrong export passphrase: %v, want ErrWrongPassphrase", err)
	}
	if _, err := dst.Import("al", data, pass, newPass); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("Import with the key passphrase: %v, want ErrWrongPassphrase", err)
	}
	if _, err := dst.Import("al", []byte("not json"), exportPass, newPass); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Import garbage: %v, want ErrCorrupt", err)
	}
	if _, err := dst.Import("al", data, exportPass, nil); !errors.Is(err, ErrEmptyPassphrase) {
		t.Fatalf("Import with empty passphrase: %v, want ErrEmptyPassphrase", err)
	}
	got, err := dst.Import("al", data, exportPass, newPass)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	if got.Name != "al" || got.KeyID != info.KeyID {
		t.Fatalf("Import info = %+v, want key id %s", got, info.KeyID)
	}
	if _, err := dst.Import("al", data, exportPass, newPass); !errors.Is(err, ErrExists) {
		t.Fatalf("second Import: %v, want ErrExists", err)
	}
	priv, err := dst.Signer("al", newPass)
	if err != nil {
		t.Fatalf("Signer after import: %v", err)
	}
	if !priv.Equal(ed25519.NewKeyFromSeed(seedOf(3))) {
		t.Fatal("imported key differs")
	}

	// A plain key file imports too (copying a file between machines).
	raw, err := os.ReadFile(src.path("alice"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dst.Import("copy", raw, pass, newPass); err != nil {
		t.Fatalf("Import key file: %v", err)
	}
	// An export file dropped into the directory is not a key.
	if err := os.WriteFile(dst.path("dropped"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := dst.Show("dropped"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Show of an export file: %v, want ErrCorrupt", err)
	}
}

// mutate decodes a key file, applies f to its JSON object and re-encodes it.
func mutate(t *testing.T, data []byte, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func flipB64(t *testing.T, s any) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s.(string))
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] ^= 1
	return base64.StdEncoding.EncodeToString(b)
}

func TestTamper(t *testing.T) {
	k := newTestKeyring(t)
	pass := []byte("pw")
	if _, err := k.ImportSeed("alice", seedOf(5), pass); err != nil {
		t.Fatal(err)
	}
	orig, err := os.ReadFile(k.path("alice"))
	if err != nil {
		t.Fatal(err)
	}
	otherPub := ed25519.NewKeyFromSeed(seedOf(6)).Public().(ed25519.PublicKey)
	tests := []struct {
		name     string
		edit     func(m map[string]any)
		want     error
		showFail bool // Show (no decryption) already rejects it
	}{
		{"ciphertext", func(m map[string]any) { m["ciphertext"] = flipB64(t, m["ciphertext"]) }, ErrWrongPassphrase, false},
		{"nonce", func(m map[string]any) { m["nonce"] = flipB64(t, m["nonce"]) }, ErrWrongPassphrase, false},
		{"salt", func(m map[string]any) { kdf := m["kdf"].(map[string]any); kdf["salt"] = flipB64(t, kdf["salt"]) }, ErrWrongPassphrase, false},
		{"scrypt n", func(m map[string]any) { m["kdf"].(map[string]any)["n"] = 32 }, ErrWrongPassphrase, false},
		{"scrypt p", func(m map[string]any) { m["kdf"].(map[string]any)["p"] = 2 }, ErrWrongPassphrase, false},
		{"public key and key id", func(m map[string]any) {
			m["public_key"] = base64.StdEncoding.EncodeToString(otherPub)
			m["key_id"] = KeyID(otherPub)
		}, ErrWrongPassphrase, false},
		{"key id only", func(m map[string]any) { m["key_id"] = KeyID(otherPub) }, ErrCorrupt, true},
		{"name", func(m map[string]any) { m["name"] = "bob" }, ErrCorrupt, true},
		{"kind", func(m map[string]any) { m["kind"] = "export" }, ErrCorrupt, true},
		{"version", func(m map[string]any) { m["version"] = 2 }, ErrCorrupt, true},
		{"unknown field", func(m map[string]any) { m["comment"] = "hi" }, ErrCorrupt, true},
		{"kdf name", func(m map[string]any) { m["kdf"].(map[string]any)["name"] = "pbkdf2" }, ErrCorrupt, true},
		{"huge scrypt n", func(m map[string]any) { m["kdf"].(map[string]any)["n"] = 1 << 30 }, ErrCorrupt, true},
		{"short ciphertext", func(m map[string]any) { m["ciphertext"] = "AAAA" }, ErrCorrupt, true},
		{"cipher", func(m map[string]any) { m["cipher"] = "aes-256-gcm" }, ErrCorrupt, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(k.path("alice"), mutate(t, orig, tt.edit), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := k.Show("alice")
			if tt.showFail != (err != nil) {
				t.Fatalf("Show err = %v, want failure %v", err, tt.showFail)
			}
			if _, err := k.Signer("alice", pass); !errors.Is(err, tt.want) {
				t.Fatalf("Signer err = %v, want %v", err, tt.want)
			}
		})
	}
	// Header fields of an export file are bound too, including its name and kind.
	data, err := k.Export("bob", pass, pass)
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("Export missing: %v", err)
	}
	if err := os.WriteFile(k.path("alice"), orig, 0o600); err != nil {
		t.Fatal(err)
	}
	if data, err = k.Export("alice", pass, pass); err != nil {
		t.Fatal(err)
	}
	for _, edit := range []func(m map[string]any){
		func(m map[string]any) { m["name"] = "mallory" },
		func(m map[string]any) { m["kind"] = "key" },
	} {
		if _, err := k.Import("x", mutate(t, data, edit), pass, pass); !errors.Is(err, ErrWrongPassphrase) {
			t.Fatalf("Import edited export: %v, want ErrWrongPassphrase", err)
		}
	}
}

func TestPermissionsAndAtomicity(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	dir := filepath.Join(t.TempDir(), "home", DirName)
	k, err := Open(dir, testOpts...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Add("alice", []byte("pw")); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != 0o700 {
		t.Errorf("directory mode = %o, want 700", got)
	}
	st, err = os.Stat(k.path("alice"))
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != 0o600 {
		t.Errorf("file mode = %o, want 600", got)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "alice.json" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want only alice.json", names)
	}
}

func TestConcurrentAdd(t *testing.T) {
	k := newTestKeyring(t)
	const n = 8
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		oks  int
		errs []error
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := k.ImportSeed("same", seedOf(byte(i)), []byte("pw"))
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				oks++
			} else {
				errs = append(errs, err)
			}
		}()
	}
	wg.Wait()
	if oks != 1 {
		t.Fatalf("%d of %d concurrent adds succeeded, want 1", oks, n)
	}
	for _, err := range errs {
		if !errors.Is(err, ErrExists) {
			t.Errorf("err = %v, want ErrExists", err)
		}
	}
}

func TestList(t *testing.T) {
	k := newTestKeyring(t)
	if infos, err := k.List(); err != nil || len(infos) != 0 {
		t.Fatalf("List of empty keyring = %v, %v", infos, err)
	}
	for i, name := range []string{"zeta", "alpha", "mid"} {
		if _, err := k.ImportSeed(name, seedOf(byte(i)), []byte("pw")); err != nil {
			t.Fatal(err)
		}
	}
	// Ignored: not a key name, not .json, a directory.
	for _, f := range []string{"README", "Upper.json", ".tmp-x-123"} {
		if err := os.WriteFile(filepath.Join(k.Dir(), f), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(k.Dir(), "sub.json"), 0o700); err != nil {
		t.Fatal(err)
	}
	infos, err := k.List()
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	var names []string
	for _, in := range infos {
		names = append(names, in.Name)
		if in.KeyID != KeyID(in.PublicKey) {
			t.Errorf("%s: key id mismatch", in.Name)
		}
	}
	if got := strings.Join(names, ","); got != "alpha,mid,zeta" {
		t.Fatalf("List names = %s, want alpha,mid,zeta", got)
	}

	if err := os.WriteFile(k.path("broken"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	infos, err = k.List()
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), `"broken"`) {
		t.Fatalf("List with a broken file: err = %v, want ErrCorrupt naming it", err)
	}
	if len(infos) != 3 {
		t.Fatalf("List with a broken file returned %d keys, want 3", len(infos))
	}
}

func TestDelete(t *testing.T) {
	k := newTestKeyring(t)
	if _, err := k.Add("alice", []byte("pw")); err != nil {
		t.Fatal(err)
	}
	if err := k.Delete("alice"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := k.Show("alice"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Show after Delete: %v, want ErrNotFound", err)
	}
	if _, err := k.Add("alice", []byte("pw")); err != nil {
		t.Fatalf("Add after Delete: %v", err)
	}
}

func TestKDFOptions(t *testing.T) {
	tests := []struct {
		name string
		opt  Option
		ok   bool
		kdf  string
	}{
		{"scrypt low", WithScrypt(16, 1, 1), true, "scrypt"},
		{"argon2id low", WithArgon2id(1, 64, 1), true, "argon2id"},
		{"scrypt n not power of two", WithScrypt(3, 1, 1), false, ""},
		{"scrypt n too big", WithScrypt(1<<21, 1, 1), false, ""},
		{"scrypt memory too big", WithScrypt(1<<20, 16, 1), false, ""},
		{"scrypt r zero", WithScrypt(16, 0, 1), false, ""},
		{"scrypt p too big", WithScrypt(16, 1, 17), false, ""},
		{"argon2id zero time", WithArgon2id(0, 64, 1), false, ""},
		{"argon2id low memory", WithArgon2id(1, 8, 4), false, ""},
		{"argon2id zero threads", WithArgon2id(1, 64, 0), false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := Open(t.TempDir(), tt.opt)
			if !tt.ok {
				if err == nil {
					t.Fatal("Open succeeded, want error")
				}
				return
			}
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if _, err := k.ImportSeed("k", seedOf(9), []byte("pw")); err != nil {
				t.Fatal(err)
			}
			raw, err := os.ReadFile(k.path("k"))
			if err != nil {
				t.Fatal(err)
			}
			f, err := decodeKeyFile(raw)
			if err != nil {
				t.Fatal(err)
			}
			if f.KDF.Name != tt.kdf {
				t.Fatalf("kdf = %s, want %s", f.KDF.Name, tt.kdf)
			}
			if _, err := k.Signer("k", []byte("pw")); err != nil {
				t.Fatalf("Signer: %v", err)
			}
			if _, err := k.Signer("k", []byte("pW")); !errors.Is(err, ErrWrongPassphrase) {
				t.Fatalf("Signer wrong passphrase: %v", err)
			}
		})
	}
}

func TestDefaultKDF(t *testing.T) {
	k, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	want := kdfParams{Name: "scrypt", N: 1 << 15, R: 8, P: 1}
	if k.kdf.Name != want.Name || k.kdf.N != want.N || k.kdf.R != want.R || k.kdf.P != want.P {
		t.Fatalf("default kdf = %+v, want %+v", k.kdf, want)
	}
}

func TestOpenNotADirectory(t *testing.T) {
	p := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(p, testOpts...); err == nil {
		t.Fatal("Open of a file succeeded")
	}
}

func TestFileFormat(t *testing.T) {
	k := newTestKeyring(t)
	info, err := k.ImportSeed("alice", seedOf(4), []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(k.path("alice"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	wantKeys := []string{"algorithm", "cipher", "ciphertext", "kdf", "key_id", "kind", "name", "nonce", "public_key", "version"}
	for _, key := range wantKeys {
		if _, ok := m[key]; !ok {
			t.Errorf("field %q missing", key)
		}
	}
	if len(m) != len(wantKeys) {
		t.Errorf("file has %d fields, want %d: %v", len(m), len(wantKeys), m)
	}
	if m["version"] != float64(1) || m["algorithm"] != "ed25519" || m["cipher"] != "xchacha20-poly1305" {
		t.Errorf("header = %v", m)
	}
	if m["public_key"] != base64.StdEncoding.EncodeToString(info.PublicKey) {
		t.Errorf("public_key = %v", m["public_key"])
	}
	kdf := m["kdf"].(map[string]any)
	if kdf["name"] != "scrypt" || kdf["n"] != float64(16) || kdf["r"] != float64(1) || kdf["p"] != float64(1) {
		t.Errorf("kdf = %v", kdf)
	}
}

// TestEncryptionKey: an encryption key is stored encrypted like a signing
// key, opens as an age identity whose recipient is its public key, cannot
// sign, survives export and import, and a signing key cannot decrypt.
func TestEncryptionKey(t *testing.T) {
	k := newTestKeyring(t)
	pw := []byte("pw")
	info, err := k.AddEncryption("enc", pw)
	if err != nil {
		t.Fatal(err)
	}
	if !info.IsEncryption() || !strings.HasPrefix(string(info.PublicKey), "age1") || info.KeyID != traceledgerv1.EncryptionKeyID(string(info.PublicKey)) {
		t.Fatalf("info: %+v", info)
	}
	id, err := k.Identity("enc", pw)
	if err != nil {
		t.Fatal(err)
	}
	if id.Recipient().String() != string(info.PublicKey) {
		t.Fatalf("identity's recipient %s, want %s", id.Recipient(), info.PublicKey)
	}
	if _, err := k.Identity("enc", []byte("wrong")); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if _, err := k.Signer("enc", pw); !errors.Is(err, ErrWrongKind) {
		t.Fatalf("Signer of an encryption key: %v", err)
	}
	if _, err := k.Add("sig", pw); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Identity("sig", pw); !errors.Is(err, ErrWrongKind) {
		t.Fatalf("Identity of a signing key: %v", err)
	}
	exp, err := k.Export("enc", pw, []byte("export"))
	if err != nil {
		t.Fatal(err)
	}
	in, err := k.Import("enc2", exp, []byte("export"), pw)
	if err != nil {
		t.Fatal(err)
	}
	if in.KeyID != info.KeyID || !in.IsEncryption() {
		t.Fatalf("imported: %+v", in)
	}
	if _, err := k.Identity("enc2", pw); err != nil {
		t.Fatal(err)
	}
}
