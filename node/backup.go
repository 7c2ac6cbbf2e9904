// SPDX-License-Identifier: Apache-2.0

package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	cmtnode "github.com/cometbft/cometbft/node"

	"github.com/traceledger/traceledger/app"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Backups of a running node (docs/OPERATIONS.md). Badger allows one process
// per database, so a running node serves its own backups: it listens on a
// Unix socket in its home, <home>/data/admin.sock (mode 0600: only the
// node's user can ask), and answers GET /backup with a consistent backup of
// its latest committed state. A stopped node is backed up by opening the
// database directly.

// adminBackupPath is the admin endpoint's backup request.
const adminBackupPath = "/backup"

// backupTrailer is the HTTP trailer that says a backup stream is complete.
const backupTrailer = "Traceledger-Backup"

// AdminSocket is the node's local admin endpoint inside a home.
func AdminSocket(home string) string { return filepath.Join(home, "data", "admin.sock") }

// ErrNotRunning means no node answers on the home's admin socket.
var ErrNotRunning = errors.New("no node is running on this home")

// serveAdmin starts the admin endpoint; the returned function stops it.
func serveAdmin(home string, a *app.App) (func(), error) {
	path := AdminSocket(home)
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("another node serves %s", path)
	}
	os.Remove(path) // a stale socket of a node that stopped uncleanly
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("admin socket %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("admin socket %s: %w", path, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+adminBackupPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Trailer", backupTrailer)
		ci, err := a.Backup(r.Context(), w)
		if err != nil {
			w.Header().Set(backupTrailer, "failed: "+err.Error())
			return
		}
		w.Header().Set(backupTrailer, fmt.Sprintf("complete height=%d", ci.Height))
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	return func() {
		srv.Close()
		os.Remove(path)
	}, nil
}

// Backup writes a consistent backup of the application state of the node
// whose home is home to w: from the running node through its admin socket,
// or, when none runs, from the database directly. It returns the commit
// the backup holds.
func Backup(ctx context.Context, home string, w io.Writer) (*tlv1.CommitInfo, error) {
	ci, err := backupRunning(ctx, home, w)
	if !errors.Is(err, ErrNotRunning) {
		return ci, err
	}
	a, err := app.New(app.Options{Dir: AppDBDir(home), AllowEarlyUpgradeBinary: true})
	if err != nil {
		return nil, fmt.Errorf("no node answers on %s, and the database cannot be opened: %w", AdminSocket(home), err)
	}
	defer a.Close()
	return a.Backup(ctx, w)
}

func backupRunning(ctx context.Context, home string, w io.Writer) (*tlv1.CommitInfo, error) {
	path := AdminSocket(home)
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://node"+adminBackupPath, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return nil, ErrNotRunning
		}
		return nil, fmt.Errorf("ask the node for a backup on %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the node refused the backup: %s", resp.Status)
	}
	pr, pw := io.Pipe()
	hdr := make(chan *tlv1.CommitInfo, 1)
	go func() {
		ci, err := app.ReadBackupHeader(pr)
		hdr <- ci
		if err != nil {
			pr.CloseWithError(err)
			return
		}
		io.Copy(io.Discard, pr)
	}()
	_, err = io.Copy(io.MultiWriter(w, pw), resp.Body)
	pw.CloseWithError(err)
	ci := <-hdr
	if err != nil {
		return nil, fmt.Errorf("backup stream: %w", err)
	}
	if st := resp.Trailer.Get(backupTrailer); ci == nil || len(st) < 8 || st[:8] != "complete" {
		return nil, fmt.Errorf("the backup stream is incomplete (%q)", st)
	}
	return ci, nil
}

// Trust is where a restored node's CometBFT stores get the state at the
// backup's height from: RPC servers of the network (two at least) and a
// header hash the caller verified.
type Trust struct {
	// RPCServers are CometBFT RPC URLs of the network's nodes.
	RPCServers []string
	// Height and Hash are a verified block header (the backup's height).
	Height int64
	Hash   []byte
}

// Restore writes the backup read from r into the application database of
// the home conf describes (which must hold no state yet), then bootstraps
// CometBFT's empty state and block stores at the backup's height from the
// network through a light client anchored at trust, so that the node starts
// at that height and catches up from its peers. It returns the restored
// commit.
func Restore(ctx context.Context, conf *cfg.Config, r io.Reader, trust Trust) (*tlv1.CommitInfo, error) {
	if len(trust.RPCServers) < 2 {
		return nil, fmt.Errorf("give two or more RPC servers of the network (got %d): the light client checks one against the other", len(trust.RPCServers))
	}
	ci, err := app.RestoreBackup(AppDBDir(conf.RootDir), r)
	if err != nil {
		return nil, err
	}
	c := *conf
	ss := *conf.StateSync
	ss.RPCServers = trust.RPCServers
	ss.TrustHeight = trust.Height
	ss.TrustHash = fmt.Sprintf("%X", trust.Hash)
	c.StateSync = &ss
	if err := cmtnode.BootstrapState(ctx, &c, cfg.DefaultDBProvider, uint64(ci.Height), ci.AppHash); err != nil {
		return nil, fmt.Errorf("app state restored at height %d, but CometBFT's stores could not be bootstrapped there (remove %s and retry): %w", ci.Height, AppDBDir(conf.RootDir), err)
	}
	return ci, nil
}
