// SPDX-License-Identifier: Apache-2.0

//go:build unix

package smt

import (
	"syscall"
	"time"
)

// processCPU returns the user and system CPU time this process has used, so
// that benchmarks can report work done independently of other load on the
// machine.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
