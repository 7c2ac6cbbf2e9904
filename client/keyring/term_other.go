// SPDX-License-Identifier: Apache-2.0

//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package keyring

// disableEcho cannot control the terminal on this platform: the passphrase
// is read with echo on.
func disableEcho(int) (restore func(), isTerm bool, err error) {
	return nil, false, nil
}
