// SPDX-License-Identifier: Apache-2.0

package node_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"

	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/privval"

	"github.com/traceledger/traceledger/genesis"
	"github.com/traceledger/traceledger/node"
)

// initHome creates a one-department home and returns its configuration.
func initHome(t *testing.T) *cfg.Config {
	t.Helper()
	home := t.TempDir()
	adminPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, err = node.Init(home, node.InitOptions{
		ChainID:    "traceledger-validator-test",
		Department: genesis.Department{ID: "agri", Name: "Agriculture", AdminKeys: [][]byte{adminPub}},
		Configure: func(c *cfg.Config) {
			c.RPC.ListenAddress = "tcp://127.0.0.1:0"
			c.P2P.ListenAddress = "tcp://127.0.0.1:0"
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	conf, err := node.LoadConfig(home)
	if err != nil {
		t.Fatal(err)
	}
	return conf
}

// TestNewBadValidatorFiles damages the validator's key or sign state in
// several ways and checks that node.New returns an error that names the
// file and says what to do, without opening the application database.
// CometBFT's privval.LoadFilePV would call os.Exit here, which ends the
// test binary and fails the package: reaching the assertions at all is the
// check that the process survived.
func TestNewBadValidatorFiles(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, conf *cfg.Config) string // returns the file the error must name
		want   []string
		notExt bool // the error wraps fs.ErrNotExist
	}{
		{
			name: "missing key",
			damage: func(t *testing.T, conf *cfg.Config) string {
				return remove(t, conf.PrivValidatorKeyFile())
			},
			want:   []string{"does not exist", "restore it from the backup", "traceledger init"},
			notExt: true,
		},
		{
			name: "corrupt key",
			damage: func(t *testing.T, conf *cfg.Config) string {
				return write(t, conf.PrivValidatorKeyFile(), `{"address": "00", "priv_key": {"type": `)
			},
			want: []string{"not a CometBFT key file", "restore it from the backup"},
		},
		{
			name: "key without a private key",
			damage: func(t *testing.T, conf *cfg.Config) string {
				return write(t, conf.PrivValidatorKeyFile(), `{}`)
			},
			want: []string{"has no priv_key", "restore it from the backup"},
		},
		{
			name: "missing sign state",
			damage: func(t *testing.T, conf *cfg.Config) string {
				return remove(t, conf.PrivValidatorStateFile())
			},
			want:   []string{"does not exist", "restore it from the backup", "sign twice", "reset-data"},
			notExt: true,
		},
		{
			name: "corrupt sign state",
			damage: func(t *testing.T, conf *cfg.Config) string {
				return write(t, conf.PrivValidatorStateFile(), "\x00\x01 not json")
			},
			want: []string{"not a CometBFT sign-state file", "restore it from the backup"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conf := initHome(t)
			file := tt.damage(t, conf)
			n, err := node.New(context.Background(), conf, nil)
			if err == nil {
				_ = n.Stop()
				t.Fatal("node.New accepted a damaged validator file")
			}
			msg := err.Error()
			for _, w := range append([]string{file}, tt.want...) {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			if got := errors.Is(err, fs.ErrNotExist); got != tt.notExt {
				t.Errorf("errors.Is(err, fs.ErrNotExist) = %v, want %v", got, tt.notExt)
			}
			if _, err := os.Stat(node.AppDBDir(conf.RootDir)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the application database was created before the keys were checked: %v", err)
			}
		})
	}
}

// TestNewGoodValidator is the control for TestNewBadValidatorFiles: the
// same home, undamaged, builds a node.
func TestNewGoodValidator(t *testing.T) {
	conf := initHome(t)
	n, err := node.New(context.Background(), conf, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
}

// TestValidatorFilesCompatible checks that the files LoadOrGenValidator
// writes are CometBFT's format (CometBFT's own loader reads them to the
// same key) and that loading them again gives the same validator.
func TestValidatorFilesCompatible(t *testing.T) {
	dir := t.TempDir()
	keyFile, stateFile := dir+"/priv_validator_key.json", dir+"/priv_validator_state.json"
	gen, err := node.LoadOrGenValidator(keyFile, stateFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{keyFile, stateFile} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", f, fi.Mode().Perm())
		}
	}
	again, err := node.LoadOrGenValidator(keyFile, stateFile)
	if err != nil {
		t.Fatal(err)
	}
	comet := privval.LoadFilePV(keyFile, stateFile)
	for name, pv := range map[string]*privval.FilePV{"second LoadOrGenValidator": again, "privval.LoadFilePV": comet} {
		if !bytes.Equal(pv.Key.PrivKey.Bytes(), gen.Key.PrivKey.Bytes()) || !bytes.Equal(pv.Key.Address, gen.Key.Address) {
			t.Errorf("%s: a different key than the one generated", name)
		}
		if pv.LastSignState.Height != 0 || pv.LastSignState.Step != 0 || pv.LastSignState.SignBytes != nil {
			t.Errorf("%s: sign state %+v, want empty", name, pv.LastSignState)
		}
	}

	// A sign state with a height survives LoadValidator, and
	// ResetValidatorState empties it again.
	comet.LastSignState.Height, comet.LastSignState.Round, comet.LastSignState.Step = 7, 2, 3
	comet.LastSignState.Signature, comet.LastSignState.SignBytes = []byte{1, 2}, []byte{3, 4}
	comet.Save()
	got, err := node.LoadValidator(keyFile, stateFile)
	if err != nil {
		t.Fatal(err)
	}
	if s := got.LastSignState; s.Height != 7 || s.Round != 2 || s.Step != 3 || !bytes.Equal(s.Signature, []byte{1, 2}) || !bytes.Equal(s.SignBytes, []byte{3, 4}) {
		t.Errorf("LoadValidator sign state %+v, want height 7 round 2 step 3", s)
	}
	if err := node.ResetValidatorState(keyFile, stateFile); err != nil {
		t.Fatal(err)
	}
	got, err = node.LoadValidator(keyFile, stateFile)
	if err != nil {
		t.Fatal(err)
	}
	if got.LastSignState.Height != 0 || got.LastSignState.Signature != nil {
		t.Errorf("after ResetValidatorState: sign state %+v, want empty", got.LastSignState)
	}
	// The state a loaded validator saves goes to stateFile (the path
	// survived the copy into CometBFT's type).
	got.LastSignState.Height = 9
	got.Save()
	got, err = node.LoadValidator(keyFile, stateFile)
	if err != nil {
		t.Fatal(err)
	}
	if got.LastSignState.Height != 9 {
		t.Errorf("saved height 9, loaded %d", got.LastSignState.Height)
	}
	if err := node.ResetValidatorState(dir+"/missing.json", stateFile); err == nil || !strings.Contains(err.Error(), dir+"/missing.json") {
		t.Errorf("ResetValidatorState with a missing key: %v, want an error naming the file", err)
	}
}

func remove(t *testing.T, path string) string {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func write(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
