// SPDX-License-Identifier: Apache-2.0

package genesis

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/types"
)

// Hash returns the genesis fingerprint that every department recomputes and
// compares before starting its node: the lower-case hex SHA-256 of
//
//	encoding/json.Compact(cmtjson.Marshal(doc))
//
// that is, of the document as CometBFT models it (types.GenesisDoc: the
// fields genesis_time, chain_id, initial_height, consensus_params,
// validators, app_hash and app_state, in that order, with CometBFT's JSON
// conventions: times in UTC RFC 3339, 64-bit integers as strings, public
// keys as {"type","value"} objects) with all insignificant whitespace
// removed. app_state is covered byte for byte apart from whitespace, so a
// change to any value, and also a reordering of its keys, changes the hash;
// indentation and line endings do not. Fields of the file that GenesisDoc
// does not have are not covered (CometBFT ignores them too).
//
// For a file, hash the document returned by Load or Read (which complete
// CometBFT's defaults: initial_height 1, default consensus_params, validator
// addresses), as HashFile does: a file and the document NewDoc made it from
// hash the same.
//
// Compaction is preferred to RFC 8785 here because RFC 8785 rewrites numbers
// as IEEE doubles, which would give two app states with different integers
// above 2^53 the same hash.
func Hash(doc *types.GenesisDoc) (string, error) {
	b, err := canonical(doc)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// canonical returns the bytes that Hash hashes.
func canonical(doc *types.GenesisDoc) ([]byte, error) {
	if doc == nil {
		return nil, fmt.Errorf("genesis: hash: nil document")
	}
	b, err := cmtjson.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("genesis: hash: %w", err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return nil, fmt.Errorf("genesis: hash: %w", err)
	}
	return buf.Bytes(), nil
}

// HashFile loads the genesis file at path with Load (so it must be valid)
// and returns its Hash.
func HashFile(path string) (string, error) {
	doc, _, err := Load(path)
	if err != nil {
		return "", err
	}
	return Hash(doc)
}
