// SPDX-License-Identifier: Apache-2.0

//go:build unix

package secretfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeInfo is a FileInfo with a chosen mode and owner.
type fakeInfo struct {
	mode fs.FileMode
	uid  uint32
}

func (f fakeInfo) Name() string       { return "key" }
func (f fakeInfo) Size() int64        { return 1 }
func (f fakeInfo) Mode() fs.FileMode  { return f.mode }
func (f fakeInfo) ModTime() time.Time { return time.Time{} }
func (f fakeInfo) IsDir() bool        { return false }
func (f fakeInfo) Sys() any           { return &syscall.Stat_t{Uid: f.uid} }

func TestCheckRule(t *testing.T) {
	for _, tc := range []struct {
		name      string
		mode      fs.FileMode
		owner     uint32
		uid       int
		wantOwner bool
		wantErr   bool
	}{
		{"0600 own", 0o600, 1000, 1000, false, false},
		{"0400 own", 0o400, 1000, 1000, false, false},
		{"0700 own", 0o700, 1000, 1000, false, false},
		{"0640 group-readable", 0o640, 1000, 1000, false, true},
		{"0644 world-readable", 0o644, 1000, 1000, false, true},
		{"0602 world-writable", 0o602, 1000, 1000, false, true},
		{"0610 group-executable", 0o610, 1000, 1000, false, true},
		{"0600 another user's", 0o600, 1001, 1000, true, true},
		{"0600 another user's, read by root", 0o600, 1000, 0, false, false},
		{"0644 read by root", 0o644, 1000, 0, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := check("/k/key.json", fakeInfo{mode: tc.mode, uid: tc.owner}, tc.uid)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if err == nil {
				return
			}
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrNotPrivate) {
				t.Fatalf("%v is not a *Error / ErrNotPrivate", err)
			}
			if (e.OwnerUID >= 0) != tc.wantOwner {
				t.Errorf("owner problem = %v, want %v: %v", e.OwnerUID >= 0, tc.wantOwner, err)
			}
			if !tc.wantOwner && !strings.Contains(err.Error(), "chmod 600 /k/key.json") {
				t.Errorf("the message must say the chmod: %v", err)
			}
		})
	}
}

// TestCheckRealFiles applies the rule to files on disk.
func TestCheckRealFiles(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		mode    fs.FileMode
		wantErr bool
	}{{0o600, false}, {0o400, false}, {0o644, true}, {0o660, true}} {
		p := filepath.Join(dir, tc.mode.String())
		if err := os.WriteFile(p, []byte("secret"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, tc.mode); err != nil {
			t.Fatal(err)
		}
		if err := Check(p); (err != nil) != tc.wantErr {
			t.Errorf("mode %04o: err = %v, want error %v", tc.mode, err, tc.wantErr)
		}
	}
	if err := Check(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
