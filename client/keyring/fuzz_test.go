// SPDX-License-Identifier: Apache-2.0

package keyring

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// FuzzDecodeKeyFile feeds arbitrary bytes to the key-file decoder. Whatever
// it accepts must re-encode to a file that decodes to the same value, and
// opening it (when its KDF is cheap) must succeed or fail with a sentinel.
func FuzzDecodeKeyFile(f *testing.F) {
	for _, kind := range []string{kindKey, kindExport} {
		kf, err := seal(bytes.NewReader(bytes.Repeat([]byte{1}, 64)), kind, "alice", seedOf(2), []byte("pw"),
			kdfParams{Name: kdfScrypt, N: 16, R: 1, P: 1})
		if err != nil {
			f.Fatal(err)
		}
		data, err := kf.encode()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	kf, err := seal(bytes.NewReader(bytes.Repeat([]byte{1}, 64)), kindKey, "a", seedOf(3), []byte("pw"),
		kdfParams{Name: kdfArgon2id, Time: 1, MemoryKiB: 8, Threads: 1})
	if err != nil {
		f.Fatal(err)
	}
	data, err := kf.encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"version":1} {}`))
	f.Add([]byte(`null`))

	f.Fuzz(func(t *testing.T, data []byte) {
		kf, err := decodeKeyFile(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("decode error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		again, err := kf.encode()
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		kf2, err := decodeKeyFile(again)
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if !reflect.DeepEqual(kf, kf2) {
			t.Fatalf("round trip changed the file:\n%+v\n%+v", kf, kf2)
		}
		cheap := kf.KDF.Name == kdfScrypt && kf.KDF.N*kf.KDF.R*kf.KDF.P <= 1024 ||
			kf.KDF.Name == kdfArgon2id && kf.KDF.Time*kf.KDF.MemoryKiB <= 1024
		if !cheap {
			return
		}
		seed, err := kf.open([]byte("pw"))
		if err != nil {
			if !errors.Is(err, ErrWrongPassphrase) && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("open: %v", err)
			}
			return
		}
		if len(seed) != 32 {
			t.Fatalf("seed is %d bytes", len(seed))
		}
	})
}

// FuzzReadLine checks the line reader used for terminal passphrases.
func FuzzReadLine(f *testing.F) {
	f.Add([]byte("secret\n"))
	f.Add([]byte("a\r\nb"))
	f.Add([]byte(""))
	f.Add(bytes.Repeat([]byte{'x'}, MaxPassphraseLen+2))
	f.Fuzz(func(t *testing.T, data []byte) {
		line, err := readLine(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrNoPassphrase) && !errors.Is(err, ErrPassphraseTooLong) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if len(line) > MaxPassphraseLen+1 || bytes.IndexByte(line, '\n') >= 0 {
			t.Fatalf("bad line %q", line)
		}
		if !strings.HasPrefix(string(data), string(line)) {
			t.Fatalf("line %q is not a prefix of the input", line)
		}
	})
}
