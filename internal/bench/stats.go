// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"math"
	"slices"
)

// Percentile returns the p-th percentile (0 <= p <= 100) of xs by the
// nearest-rank method on a sorted copy: the smallest value such that at
// least p percent of the values are at most it. It returns 0 for no values.
func Percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return percentileSorted(s, p)
}

func percentileSorted(s []float64, p float64) float64 {
	if len(s) == 0 {
		return 0
	}
	switch {
	case p <= 0:
		return s[0]
	case p >= 100:
		return s[len(s)-1]
	}
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	if rank < 1 {
		rank = 1
	}
	return s[rank-1]
}

// Latency summarises latency samples in milliseconds.
type Latency struct {
	// N is the number of samples.
	N   int     `json:"n"`
	P50 float64 `json:"p50_ms"`
	P95 float64 `json:"p95_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

// SummariseLatency computes p50, p95, p99 and the maximum of ms.
func SummariseLatency(ms []float64) Latency {
	s := slices.Clone(ms)
	slices.Sort(s)
	l := Latency{N: len(s), P50: percentileSorted(s, 50), P95: percentileSorted(s, 95), P99: percentileSorted(s, 99)}
	if len(s) > 0 {
		l.Max = s[len(s)-1]
	}
	return l
}

// ratio returns a/b, or 0 when b is 0.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
