// SPDX-License-Identifier: Apache-2.0

package genesis

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/cometbft/cometbft/types"
)

// FuzzAppStateFrom checks the strict app_state decoder: it must not panic,
// and any state it accepts and Validate passes must survive a canonical
// re-encoding unchanged.
func FuzzAppStateFrom(f *testing.F) {
	good, err := EncodeAppState(validState())
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(good))
	f.Add([]byte(`{"departments":[],"participants":[],"params":{}}`))
	f.Add([]byte(`{"departments":null}`))
	f.Add([]byte(`{"params":{"quorum_numerator":2}} x`))
	f.Add([]byte(`[1]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := AppStateFrom(&types.GenesisDoc{AppState: data})
		if err != nil {
			return
		}
		if Validate(*st) != nil {
			return
		}
		enc, err := EncodeAppState(*st)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		st2, err := AppStateFrom(&types.GenesisDoc{AppState: enc})
		if err != nil {
			t.Fatalf("re-decode %s: %v", enc, err)
		}
		if !reflect.DeepEqual(normalize(*st), normalize(*st2)) {
			t.Fatalf("round trip changed the state")
		}
		enc2, err := EncodeAppState(*st2)
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not canonical: %s vs %s (%v)", enc, enc2, err)
		}
	})
}

// FuzzParseDoc checks the genesis file decoder behind Read and Load: it must
// not panic, and a document it accepts must hash, validate without
// panicking, and keep its hash across Encode and a second parse.
func FuzzParseDoc(f *testing.F) {
	doc, err := NewDoc("traceledger-fuzz", genesisTime, validState())
	if err != nil {
		f.Fatal(err)
	}
	good, err := Encode(doc)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	draft, err := New("draft", genesisTime)
	if err != nil {
		f.Fatal(err)
	}
	if b, err := Encode(draft); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"genesis_time":"2026-01-01T00:00:00Z","chain_id":"c"}`))
	f.Add([]byte(`{"genesis_time":"2026-01-01T00:00:00Z","chain_id":"c","validators":[{"pub_key":{"type":"tendermint/PubKeyEd25519","value":"AAAA"},"power":"1"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := ParseDoc(data)
		if err != nil {
			return
		}
		h, err := Hash(doc)
		if err != nil {
			return // app_state that is not valid JSON cannot be re-encoded
		}
		_, _ = ValidateDoc(doc)
		enc, err := Encode(doc)
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		doc2, err := ParseDoc(enc)
		if err != nil {
			t.Fatalf("re-parse: %v\n%s", err, enc)
		}
		if h2, err := Hash(doc2); err != nil || h2 != h {
			t.Fatalf("hash changed across Encode: %s vs %s (%v)", h, h2, err)
		}
	})
}
