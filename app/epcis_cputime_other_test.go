// SPDX-License-Identifier: Apache-2.0

//go:build !unix

package app

import "time"

// epcisCPU is not available on this platform; benchmarks then report no
// CPU-time figure.
func epcisCPU() time.Duration { return 0 }
