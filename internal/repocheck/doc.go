// SPDX-License-Identifier: Apache-2.0

// Package repocheck holds tests of the repository's own conventions that no
// single package owns (license lines, gofmt). It has no code of its own.
package repocheck
