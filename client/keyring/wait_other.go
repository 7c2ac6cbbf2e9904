// SPDX-License-Identifier: Apache-2.0

//go:build !unix

package keyring

import (
	"context"
	"os"
)

// fileFD returns f's descriptor for golang.org/x/term.
func fileFD(f *os.File) (int, bool) { return int(f.Fd()), true }

// waitReadable cannot wait for a file together with ctx on this platform:
// the caller reads in a goroutine (see ctxReader).
func waitReadable(context.Context, *os.File) (polled bool, err error) { return false, nil }
