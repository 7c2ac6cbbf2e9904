// SPDX-License-Identifier: Apache-2.0

//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package keyring

import (
	"golang.org/x/sys/unix"
)

// disableEcho turns terminal echo off on fd. If fd is not a terminal it
// returns isTerm false and changes nothing; otherwise restore puts the
// previous settings back.
func disableEcho(fd int) (restore func(), isTerm bool, err error) {
	old, err := unix.IoctlGetTermios(fd, ioctlReadTermios)
	if err != nil {
		// ENOTTY and friends: a pipe or a file, not a terminal.
		return nil, false, nil
	}
	t := *old
	t.Lflag &^= unix.ECHO
	t.Lflag |= unix.ICANON | unix.ISIG
	t.Iflag |= unix.ICRNL
	if err := unix.IoctlSetTermios(fd, ioctlWriteTermios, &t); err != nil {
		return nil, true, err
	}
	return func() { _ = unix.IoctlSetTermios(fd, ioctlWriteTermios, old) }, true, nil
}
