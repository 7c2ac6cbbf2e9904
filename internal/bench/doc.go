// SPDX-License-Identifier: Apache-2.0

// Package bench is TraceLedger's network load tool: it starts (or drives) a
// 4-validator loopback network, offers transactions at increasing rates from
// pre-signed lanes, counts what was committed from the blocks themselves
// (a NewBlockEvents subscription plus the block's transactions), measures
// submit-to-commit latency per transaction, samples each node process's CPU
// and resident memory from /proc, measures the disk bytes of each home, and
// runs the same workload shape against CometBFT's own kvstore application of
// the same version on the same topology and timeouts, so that every figure
// is reported both absolutely and as a ratio to that baseline.
//
// The pieces are usable alone: Tracker (commit counting and latency),
// Percentile, ProcSampler, DiskUsage, the Cluster setups (TraceLedger via
// package testnet; kvstore via the cometbft binary installed from the Go
// module proxy into a cache directory), the load generator (Lanes, Offer),
// Result (JSON) and WritePlot (PNG, drawn with gonum/plot). Run ties them
// together for the `traceledger bench` command.
package bench
