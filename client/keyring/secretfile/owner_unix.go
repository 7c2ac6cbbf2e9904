// SPDX-License-Identifier: Apache-2.0

//go:build unix

package secretfile

import (
	"io/fs"
	"syscall"
)

// ownerOf is the file's owner's uid.
func ownerOf(info fs.FileInfo) (int, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}
