// SPDX-License-Identifier: Apache-2.0

package client_test

import (
	"crypto/ed25519"

	"github.com/cometbft/cometbft/crypto"
	cmted "github.com/cometbft/cometbft/crypto/ed25519"
)

func edPub(p ed25519.PublicKey) crypto.PubKey { return cmted.PubKey(p) }
