// SPDX-License-Identifier: Apache-2.0

// Package pvfile reads and writes a CometBFT validator's key file
// (priv_validator_key.json) and last-sign state file
// (priv_validator_state.json) without ending the process.
//
// The functions replace CometBFT's privval.LoadFilePV,
// LoadFilePVEmptyState and LoadOrGenFilePV: in v0.39 those call os.Exit on
// a missing or unreadable file and panic when a write fails, which a
// library must not do (node.New would end its caller's process after the
// application database is open). They read and write the same JSON files,
// with CometBFT's own types, so a home stays interchangeable with
// CometBFT's tools. node, testnet and the traceledger command use them;
// an embedder does not need them (node.Init and node.New do).
package pvfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/privval"

	"github.com/traceledger/traceledger/client/keyring/secretfile"
)

// Load reads the validator's key (priv_validator_key.json) and its
// last-sign state (priv_validator_state.json). A missing or unreadable
// file is an error naming the file and what to do about it.
func Load(keyFile, stateFile string) (*privval.FilePV, error) {
	pv, err := LoadKey(keyFile, stateFile)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(stateFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("validator sign state %s does not exist: restore it from the backup of this home "+
			"(a fresh state lets the validator sign twice at a height it signed before); "+
			"a node whose data directory is lost too can be reset with `traceledger node reset-data`: %w", stateFile, err)
	case err != nil:
		return nil, fmt.Errorf("read validator sign state %s: %w", stateFile, err)
	}
	var st privval.FilePVLastSignState
	if err := cmtjson.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("validator sign state %s is not a CometBFT sign-state file: restore it from the backup of this home: %w", stateFile, err)
	}
	// The file paths inside pv are unexported: copy the fields, keep the paths.
	pv.LastSignState.Height = st.Height
	pv.LastSignState.Round = st.Round
	pv.LastSignState.Step = st.Step
	pv.LastSignState.Signature = st.Signature
	pv.LastSignState.SignBytes = st.SignBytes
	return pv, nil
}

// LoadKey reads the validator's key only and pairs it with an empty
// last-sign state that belongs to stateFile (nothing is written). It is for
// reading the validator's public key, and for ResetState.
func LoadKey(keyFile, stateFile string) (*privval.FilePV, error) {
	if err := secretfile.Check(keyFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("validator key: %w", err)
	}
	data, err := os.ReadFile(keyFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("validator key %s does not exist: restore it from the backup of this home, "+
			"or create a new home with `traceledger init` (a new key is a new validator, which the departments must admit): %w", keyFile, err)
	case err != nil:
		return nil, fmt.Errorf("read validator key %s: %w", keyFile, err)
	}
	var key privval.FilePVKey
	if err := cmtjson.Unmarshal(data, &key); err != nil {
		return nil, fmt.Errorf("validator key %s is not a CometBFT key file: restore it from the backup of this home: %w", keyFile, err)
	}
	if key.PrivKey == nil {
		return nil, fmt.Errorf("validator key %s has no priv_key: restore it from the backup of this home", keyFile)
	}
	// As CometBFT does, the public key and the address follow from the
	// private key, whatever the file says.
	return privval.NewFilePV(key.PrivKey, keyFile, stateFile), nil
}

// LoadOrGen loads the validator (Load) if keyFile exists;
// otherwise it generates a new Ed25519 key and writes the key and an empty
// sign state (mode 0600) before it returns them.
func LoadOrGen(keyFile, stateFile string) (*privval.FilePV, error) {
	if _, err := os.Stat(keyFile); err == nil {
		return Load(keyFile, stateFile)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("validator key %s: %w", keyFile, err)
	}
	pv := privval.GenFilePV(keyFile, stateFile)
	if err := writeJSON(keyFile, pv.Key); err != nil {
		return nil, fmt.Errorf("write validator key: %w", err)
	}
	if err := writeJSON(stateFile, &pv.LastSignState); err != nil {
		return nil, fmt.Errorf("write validator sign state: %w", err)
	}
	return pv, nil
}

// ResetState writes an empty last-sign state to stateFile for the
// key in keyFile, which must load. Only for a validator that cannot sign
// at a height it signed before (for example one that block-syncs to the
// network's height before it votes again).
func ResetState(keyFile, stateFile string) error {
	pv, err := LoadKey(keyFile, stateFile)
	if err != nil {
		return err
	}
	if err := writeJSON(stateFile, &pv.LastSignState); err != nil {
		return fmt.Errorf("write validator sign state: %w", err)
	}
	return nil
}

// writeJSON writes v as CometBFT's JSON to path (mode 0600) through a
// temporary file in the same directory, so that a crash leaves the old
// file or the new one, never a part.
func writeJSON(path string, v any) error {
	data, err := cmtjson.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
