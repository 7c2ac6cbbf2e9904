// SPDX-License-Identifier: Apache-2.0

package pvfile_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/cometbft/cometbft/privval"

	"github.com/traceledger/traceledger/node/pvfile"
)

// TestValidatorFilesCompatible checks that the files LoadOrGen
// writes are CometBFT's format (CometBFT's own loader reads them to the
// same key) and that loading them again gives the same validator.
func TestValidatorFilesCompatible(t *testing.T) {
	dir := t.TempDir()
	keyFile, stateFile := dir+"/priv_validator_key.json", dir+"/priv_validator_state.json"
	gen, err := pvfile.LoadOrGen(keyFile, stateFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{keyFile, stateFile} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", f, fi.Mode().Perm())
		}
	}
	again, err := pvfile.LoadOrGen(keyFile, stateFile)
	if err != nil {
		t.Fatal(err)
	}
	comet := privval.LoadFilePV(keyFile, stateFile)
	for name, pv := range map[string]*privval.FilePV{"second LoadOrGen": again, "privval.LoadFilePV": comet} {
		if !bytes.Equal(pv.Key.PrivKey.Bytes(), gen.Key.PrivKey.Bytes()) || !bytes.Equal(pv.Key.Address, gen.Key.Address) {
			t.Errorf("%s: a different key than the one generated", name)
		}
		if pv.LastSignState.Height != 0 || pv.LastSignState.Step != 0 || pv.LastSignState.SignBytes != nil {
			t.Errorf("%s: sign state %+v, want empty", name, pv.LastSignState)
		}
	}

	// A sign state with a height survives Load, and
	// ResetState empties it again.
	comet.LastSignState.Height, comet.LastSignState.Round, comet.LastSignState.Step = 7, 2, 3
	comet.LastSignState.Signature, comet.LastSignState.SignBytes = []byte{1, 2}, []byte{3, 4}
	comet.Save()
	got, err := pvfile.Load(keyFile, stateFile)
	if err != nil {
		t.Fatal(err)
	}
	if s := got.LastSignState; s.Height != 7 || s.Round != 2 || s.Step != 3 || !bytes.Equal(s.Signature, []byte{1, 2}) || !bytes.Equal(s.SignBytes, []byte{3, 4}) {
		t.Errorf("Load sign state %+v, want height 7 round 2 step 3", s)
	}
	if err := pvfile.ResetState(keyFile, stateFile); err != nil {
		t.Fatal(err)
	}
	got, err = pvfile.Load(keyFile, stateFile)
	if err != nil {
		t.Fatal(err)
	}
	if got.LastSignState.Height != 0 || got.LastSignState.Signature != nil {
		t.Errorf("after ResetState: sign state %+v, want empty", got.LastSignState)
	}
	// The state a loaded validator saves goes to stateFile (the path
	// survived the copy into CometBFT's type).
	got.LastSignState.Height = 9
	got.Save()
	got, err = pvfile.Load(keyFile, stateFile)
	if err != nil {
		t.Fatal(err)
	}
	if got.LastSignState.Height != 9 {
		t.Errorf("saved height 9, loaded %d", got.LastSignState.Height)
	}
	if err := pvfile.ResetState(dir+"/missing.json", stateFile); err == nil || !strings.Contains(err.Error(), dir+"/missing.json") {
		t.Errorf("ResetState with a missing key: %v, want an error naming the file", err)
	}
}
