// SPDX-License-Identifier: Apache-2.0

package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Backups of the application state (docs/OPERATIONS.md). A backup is
//
//	backupMagic, u32be(len), CommitInfo (the commit marker it holds), badger's backup stream
//
// of every key as of one committed height, read from an immutable badger
// version while the node keeps committing: compaction is held back so that
// the version stays whole until the stream ends.

// backupMagic starts every backup file.
const backupMagic = "TRACELEDGER-APP-BACKUP 1\n"

// maxBackupHeader bounds the header's CommitInfo.
const maxBackupHeader = 1 << 20

// Backup writes a consistent backup of the latest committed state to w and
// returns the commit it holds. It runs beside the block cycle.
func (a *App) Backup(ctx context.Context, w io.Writer) (*tlv1.CommitInfo, error) {
	c := a.latest()
	if c == nil {
		return nil, errors.New("nothing is committed yet: back up after the first block")
	}
	h := uint64(c.info.Height)
	a.st.pin(h)
	defer a.st.unpin(h)
	hdr, err := c.info.Marshal()
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteString(backupMagic)
	binary.Write(bw, binary.BigEndian, uint32(len(hdr)))
	bw.Write(hdr)
	stream := a.st.db.NewStreamAt(h)
	stream.LogPrefix = "app backup"
	stream.NumGo = 2
	stream.Prefix = nil
	if _, err := stream.Backup(&ctxWriter{ctx: ctx, w: bw}, 0); err != nil {
		return nil, fmt.Errorf("back up the app state at height %d: %w", h, err)
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("write backup: %w", err)
	}
	return c.info, nil
}

// ctxWriter stops a stream when ctx is done.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c *ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// ReadBackupHeader reads the header of a backup: the commit it holds.
func ReadBackupHeader(r io.Reader) (*tlv1.CommitInfo, error) {
	magic := make([]byte, len(backupMagic))
	if _, err := io.ReadFull(r, magic); err != nil || !bytes.Equal(magic, []byte(backupMagic)) {
		return nil, fmt.Errorf("not a TraceLedger app-state backup (it does not start with %q)", backupMagic[:len(backupMagic)-1])
	}
	var n uint32
	if err := binary.Read(r, binary.BigEndian, &n); err != nil || n == 0 || n > maxBackupHeader {
		return nil, fmt.Errorf("backup header is damaged (length %d, %v)", n, err)
	}
	hdr := make([]byte, n)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, fmt.Errorf("backup header is truncated: %w", err)
	}
	var ci tlv1.CommitInfo
	if err := ci.Unmarshal(hdr); err != nil || ci.Height <= 0 || len(ci.AppHash) == 0 {
		return nil, fmt.Errorf("backup header does not decode as a commit (height %d): %v", ci.Height, err)
	}
	return &ci, nil
}

// RestoreBackup writes the backup read from r into a new application
// database at dir (which must not exist or be empty), then opens it as the
// application would and checks that the restored state is the commit the
// header names: the map rebuilt from the values has the recorded root.
func RestoreBackup(dir string, r io.Reader) (*tlv1.CommitInfo, error) {
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return nil, fmt.Errorf("the app database %s is not empty: restore into a fresh home (or remove it first)", dir)
	}
	ci, err := ReadBackupHeader(r)
	if err != nil {
		return nil, err
	}
	st, err := openStore(dir, false)
	if err != nil {
		return nil, err
	}
	if err := st.db.Load(r, 256); err != nil {
		st.close()
		return nil, fmt.Errorf("load backup into %s: %w", dir, err)
	}
	if err := st.db.Sync(); err != nil {
		st.close()
		return nil, err
	}
	if err := st.close(); err != nil {
		return nil, err
	}
	a, err := New(Options{Dir: dir, AllowEarlyUpgradeBinary: true})
	if err != nil {
		return nil, fmt.Errorf("open the restored app database: %w", err)
	}
	defer a.Close()
	got := a.latest()
	if got == nil || got.info.Height != ci.Height || !bytes.Equal(got.info.AppHash, ci.AppHash) {
		return nil, fmt.Errorf("the restored state is not the backup's commit (height %d, app hash %X)", ci.Height, ci.AppHash)
	}
	return ci, nil
}
