// SPDX-License-Identifier: Apache-2.0

package node_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"

	cfg "github.com/cometbft/cometbft/config"

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
