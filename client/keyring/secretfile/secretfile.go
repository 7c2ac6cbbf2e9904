// SPDX-License-Identifier: Apache-2.0

// Package secretfile checks that a file holding a secret (a key file, a
// passphrase file) is private to its owner before it is read: a key that
// another account on the machine can read is a key that may be copied. The
// rule is the one ssh applies to its keys: no permission for group or
// others (0600 or 0400), and the file belongs to the user reading it (root
// may read files of any owner; a container runs as root over files its host
// user wrote).
package secretfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// ErrNotPrivate is wrapped by every *Error.
var ErrNotPrivate = errors.New("secret file is not private")

// Error names a secret file that others can read or that another user owns,
// and the command that fixes it.
type Error struct {
	// Path is the file; Mode its permission bits.
	Path string
	Mode fs.FileMode
	// OwnerUID is the file's owner and UID the reading user's, when the
	// owner is the problem (both -1 otherwise).
	OwnerUID, UID int
}

func (e *Error) Error() string {
	if e.OwnerUID >= 0 {
		return fmt.Sprintf("%s belongs to user %d, not to you (user %d): a secret file must be your own; copy it and `chmod 600` the copy, or run as its owner", e.Path, e.OwnerUID, e.UID)
	}
	return fmt.Sprintf("%s is readable by others (mode %04o): a key or passphrase file must be private; run `chmod 600 %s`", e.Path, e.Mode.Perm(), e.Path)
}

// Is makes every *Error an ErrNotPrivate.
func (e *Error) Is(target error) bool { return target == ErrNotPrivate }

// Check returns a *Error when the file at path grants any permission to
// group or others, or belongs to another user than the one running (unless
// that one is root). A missing file is the fs error, for the caller to
// explain.
func Check(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	return check(path, info, os.Getuid())
}

// check applies the rule to info, read by user uid.
func check(path string, info fs.FileInfo, uid int) error {
	if info.Mode().Perm()&0o077 != 0 {
		return &Error{Path: path, Mode: info.Mode(), OwnerUID: -1, UID: -1}
	}
	if owner, ok := ownerOf(info); ok && uid > 0 && owner != uid {
		return &Error{Path: path, Mode: info.Mode(), OwnerUID: owner, UID: uid}
	}
	return nil
}
