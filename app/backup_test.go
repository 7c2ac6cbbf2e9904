// SPDX-License-Identifier: Apache-2.0

package app

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestBackupRestore: a backup taken while blocks commit holds exactly one
// committed height; restored into a new directory it opens at that height
// and app hash, and executing the later blocks reaches the original's app
// hashes. A damaged or foreign file is refused.
func TestBackupRestore(t *testing.T) {
	dir := t.TempDir()
	g := diskGovFixture(t, dir)
	var blocks [][][]byte
	hashes := map[int64][]byte{}
	step := func() {
		tx := g.tx("farm", recordMsg("urn:epc:id:sgtin:0614141.107346.1", g.h+1))
		res := g.block(tx)
		blocks = append(blocks, [][]byte{tx})
		hashes[g.h] = res.AppHash
	}
	for i := 0; i < 5; i++ {
		step()
	}
	var buf bytes.Buffer
	done := make(chan error, 1)
	go func() {
		_, err := g.a.Backup(context.Background(), &buf)
		done <- err
	}()
	for i := 0; i < 5; i++ { // blocks keep committing during the backup
		step()
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	ci, err := ReadBackupHeader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(hashes[ci.Height], ci.AppHash) {
		t.Fatalf("backup header: height %d app hash %X, the chain had %X", ci.Height, ci.AppHash, hashes[ci.Height])
	}

	rdir := filepath.Join(t.TempDir(), "restored")
	got, err := RestoreBackup(rdir, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if got.Height != ci.Height {
		t.Fatalf("restored height %d, want %d", got.Height, ci.Height)
	}
	if _, err := RestoreBackup(rdir, bytes.NewReader(raw)); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("restore over a database: %v", err)
	}
	r, err := New(Options{Dir: rdir})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for h := ci.Height + 1; h <= g.h; h++ {
		res, err := finalize(t, r, h, blocks[h-1])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(res.AppHash, hashes[h]) {
			t.Fatalf("restored node at height %d: app hash %X, the chain has %X", h, res.AppHash, hashes[h])
		}
	}

	cases := []struct {
		name string
		data []byte
		frag string
	}{
		{"empty", nil, "not a TraceLedger"},
		{"foreign", []byte("hello world, this is no backup at all"), "not a TraceLedger"},
		{"truncated header", raw[:len(backupMagic)+6], "truncated"},
		{"truncated body", raw[:len(raw)-7], ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := RestoreBackup(filepath.Join(t.TempDir(), "x"), bytes.NewReader(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.frag) {
				t.Fatalf("restore of a %s file: %v", tc.name, err)
			}
		})
	}
}

// FuzzReadBackupHeader: the backup header decoder never panics, and what
// it accepts is a commit with a height and an app hash.
func FuzzReadBackupHeader(f *testing.F) {
	f.Add([]byte(backupMagic + "\x00\x00\x00\x04\x08\x07\x12\x00"))
	f.Add([]byte(backupMagic))
	f.Add([]byte("TRACELEDGER"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ci, err := ReadBackupHeader(bytes.NewReader(data))
		if err == nil && (ci.Height <= 0 || len(ci.AppHash) == 0) {
			t.Fatalf("accepted a header without height or app hash: %v", ci)
		}
	})
}
