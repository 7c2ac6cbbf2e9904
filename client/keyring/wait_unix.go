// SPDX-License-Identifier: Apache-2.0

//go:build unix

package keyring

import (
	"context"
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// pollIntervalMillis bounds how long a cancelled read of a file waits before it
// notices ctx.
const pollIntervalMillis = 50

// fileFD returns f's descriptor without f.Fd's side effect of putting it in
// blocking mode.
func fileFD(f *os.File) (int, bool) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, false
	}
	fd := -1
	if err := rc.Control(func(d uintptr) { fd = int(d) }); err != nil || fd < 0 {
		return 0, false
	}
	return fd, true
}

// waitReadable waits until a read of f will not block, or ctx is done. It
// returns polled false if f cannot be polled (the caller reads another way).
// Readable includes end of input and errors: the read that follows reports
// them.
func waitReadable(ctx context.Context, f *os.File) (polled bool, err error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return false, nil
	}
	for {
		if err := ctx.Err(); err != nil {
			return true, err
		}
		var (
			n    int
			perr error
		)
		if err := rc.Control(func(fd uintptr) {
			fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
			n, perr = unix.Poll(fds, pollIntervalMillis)
		}); err != nil {
			return true, err
		}
		switch {
		case errors.Is(perr, unix.EINTR):
		case perr != nil:
			return true, perr
		case n > 0:
			return true, nil
		}
	}
}
