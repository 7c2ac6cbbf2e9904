// SPDX-License-Identifier: Apache-2.0

package audit

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/traceledger/traceledger/proof/prooftest"
)

func TestStateRoundTrip(t *testing.T) {
	c := fakeChainOf(prooftest.NewValidators("departments", 4, 10), 3)
	st := &State{Version: StateVersion, ChainID: fakeChain, Nodes: map[string]*NodeState{}}
	if err := st.setTrusted(c.At(3)); err != nil {
		t.Fatal(err)
	}
	for h := int64(1); h <= keepHeaders+10; h++ {
		st.addHeader(HeaderSummary{Height: h, Hash: bytes.Repeat([]byte{byte(h)}, 32)})
	}
	st.Checkpoint = &Checkpoint{Height: 2, LogSize: 7, LogRoot: make([]byte, 32), MapRoot: make([]byte, 32), RecordsRoot: make([]byte, 32)}
	path := filepath.Join(t.TempDir(), "s", "audit.json")
	if err := st.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := LoadState(path)
	if err != nil {
		t.Fatal(err)
	}
	lb, err := got.trusted()
	if err != nil || lb == nil || !bytes.Equal(lb.Hash(), c.At(3).Hash()) {
		t.Fatalf("trusted block after reload: %v", err)
	}
	if len(got.Headers) != keepHeaders || got.Headers[0].Height != 11 {
		t.Fatalf("kept %d headers from %d", len(got.Headers), got.Headers[0].Height)
	}
	if h, ok := got.header(100); !ok || h.Height != 100 {
		t.Fatal("header 100 not found")
	}
	if _, ok := got.header(5); ok {
		t.Fatal("a dropped header was found")
	}
	if got.Checkpoint.LogSize != 7 {
		t.Fatalf("checkpoint %+v", got.Checkpoint)
	}
	// A missing file is a fresh state; another version is refused.
	if fresh, err := LoadState(filepath.Join(t.TempDir(), "none.json")); err != nil || fresh.Trusted != nil {
		t.Fatalf("fresh state: %v", err)
	}
	os.WriteFile(path, []byte(`{"version": 99}`), 0o600)
	if _, err := LoadState(path); err == nil {
		t.Fatal("state of another version accepted")
	}
}

// FuzzLoadState reads arbitrary state files: no panic, and a trusted light
// block, if any decodes, is valid for the chain.
func FuzzLoadState(f *testing.F) {
	c := fakeChainOf(prooftest.NewValidators("departments", 4, 10), 2)
	st := &State{Version: StateVersion, ChainID: fakeChain}
	st.setTrusted(c.At(2))
	path := filepath.Join(f.TempDir(), "audit.json")
	st.Save(path)
	good, _ := os.ReadFile(path)
	f.Add(good)
	f.Add([]byte(`{"version":1,"chain_id":"x","trusted":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "audit.json")
		os.WriteFile(p, data, 0o600)
		s, err := LoadState(p)
		if err != nil {
			return
		}
		lb, err := s.trusted()
		if err == nil && lb != nil {
			if err := lb.ValidateBasic(s.ChainID); err != nil {
				t.Fatalf("accepted an invalid trusted block: %v", err)
			}
		}
		s.header(5)
	})
}
