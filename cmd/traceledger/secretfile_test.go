// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSecretFilesMustBePrivate: issue 16, finding 7. A passphrase file, a
// keyring key file, the validator key and the node key that group or
// others can read are refused by every command that reads them, with exit
// code 1 and the chmod that fixes it; after the chmod the same command
// works.
func TestSecretFilesMustBePrivate(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	home := filepath.Join(dir, "agri")
	pass := filepath.Join(dir, "passphrase.txt")
	if err := os.WriteFile(pass, []byte("a long enough passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, ctx, "init", "--home", home, "--chain-id", "secret-files", "--department", "agri",
		"--rpc-laddr", "tcp://"+freePort(t), "--p2p-laddr", "tcp://"+freePort(t), "--passphrase-file", pass); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, ctx, "keys", "add", "farm1", "--home", home, "--passphrase-file", pass); err != nil {
		t.Fatal(err)
	}
	keyFile := func() string {
		m, _ := filepath.Glob(filepath.Join(home, "keys", "farm1*"))
		if len(m) != 1 {
			t.Fatalf("key file of farm1: %v", m)
		}
		return m[0]
	}()
	exportArgs := []string{"keys", "export", "farm1", "--home", home, "--passphrase-file", pass, "--export-passphrase-file", pass, "--out", filepath.Join(dir, "farm1.export")}

	for _, tc := range []struct {
		name string
		file string
		args []string
	}{
		{"passphrase file", pass, []string{"keys", "add", "farm2", "--home", home, "--passphrase-file", pass}},
		{"keyring key file", keyFile, exportArgs},
		{"validator key", filepath.Join(home, "config", "priv_validator_key.json"), []string{"node", "show-validator", "--home", home}},
		{"node key", filepath.Join(home, "config", "node_key.json"), []string{"start", "--home", home, "--log-level", "error"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.Chmod(tc.file, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := run(t, ctx, tc.args...)
			if err == nil {
				t.Fatalf("%v with a world-readable %s succeeded", tc.args, tc.name)
			}
			if code := exitCodeOf(err); code != exitUsage {
				t.Errorf("exit code %d, want %d", code, exitUsage)
			}
			if !strings.Contains(err.Error(), "chmod 600 "+tc.file) {
				t.Errorf("the error must say the chmod: %v", err)
			}
			if err := os.Chmod(tc.file, 0o600); err != nil {
				t.Fatal(err)
			}
			if tc.name == "node key" {
				return // a started node would keep running; the others are one-shot
			}
			if _, err := run(t, ctx, tc.args...); err != nil {
				t.Fatalf("after chmod 600: %v", err)
			}
		})
	}
}
