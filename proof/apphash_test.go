// SPDX-License-Identifier: Apache-2.0

package proof

import (
	"bytes"
	"testing"

	traceledgerv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

func TestAppHash(t *testing.T) {
	ones, twos, threes := [32]byte{}, [32]byte{}, [32]byte{}
	for i := range ones {
		ones[i], twos[i], threes[i] = 1, 2, 3
	}
	// Expected values computed independently with Python's hashlib.
	tests := []struct {
		name        string
		size        uint64
		logRoot     [32]byte
		mapRoot     [32]byte
		recordsRoot [32]byte
		want        string
	}{
		{"size 5", 5, ones, twos, threes, "343bc40ac645f5db5c1d3280b0d1ee3888d8f3d3916949497f50c981ee42cffe"},
		{"genesis", 0, EmptyLogRoot(), EmptyMapRoot(), EmptyLogRoot(), "80f8c973b504e1da471a3ff5b10540f4b858db0a711ae9ae78dde4a898476df5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := mustHex32(t, tc.want)
			if got := AppHash(tc.size, tc.logRoot, tc.mapRoot, tc.recordsRoot); got != want {
				t.Fatalf("AppHash = %x, want %x", got, want)
			}
			got, err := AppHashOf(&traceledgerv1.StateRoots{Height: 9, LogSize: tc.size, LogRoot: tc.logRoot[:], MapRoot: tc.mapRoot[:], RecordsRoot: tc.recordsRoot[:]})
			if err != nil || got != want {
				t.Fatalf("AppHashOf = %x, %v; want %x", got, err, want)
			}
		})
	}
	base := AppHash(5, ones, twos, threes)
	for name, other := range map[string][32]byte{
		"roots swapped":   AppHash(5, twos, ones, threes),
		"size changed":    AppHash(6, ones, twos, threes),
		"records changed": AppHash(5, ones, twos, ones),
		"map changed":     AppHash(5, ones, ones, threes),
	} {
		if other == base {
			t.Errorf("app hash does not bind its inputs: %s", name)
		}
	}
}

func TestKVLeafHash(t *testing.T) {
	// Expected values computed independently with Python's hashlib.
	tests := []struct {
		name string
		got  [32]byte
		want string
	}{
		{"records leaf of index 7", RecordsLeafHash(7, []byte("abc")), "5181bf9215500c6c9605b94bc8de52342445822cffc3fd2a56ca2f4ae58137ad"},
		{"key of 200 bytes (two-byte length)", KVLeafHash(bytes.Repeat([]byte("k"), 200), []byte("v")), "4b690454b6ce8e452bbb92bb954bceae1961c5b7ab6d50bb90e83d029d927f84"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if want := mustHex32(t, tc.want); tc.got != want {
				t.Fatalf("got %x, want %x", tc.got, want)
			}
		})
	}
}

func TestAppHashOfErrors(t *testing.T) {
	h := bytes.Repeat([]byte{7}, 32)
	tests := []struct {
		name string
		r    *traceledgerv1.StateRoots
		want error
	}{
		{"valid", &traceledgerv1.StateRoots{LogRoot: h, MapRoot: h, RecordsRoot: h}, nil},
		{"nil", nil, ErrMalformedProof},
		{"missing log root", &traceledgerv1.StateRoots{MapRoot: h, RecordsRoot: h}, ErrMalformedProof},
		{"missing map root", &traceledgerv1.StateRoots{LogRoot: h, RecordsRoot: h}, ErrMalformedProof},
		{"missing records root", &traceledgerv1.StateRoots{LogRoot: h, MapRoot: h}, ErrMalformedProof},
		{"short log root", &traceledgerv1.StateRoots{LogRoot: h[:31], MapRoot: h, RecordsRoot: h}, ErrMalformedProof},
		{"long map root", &traceledgerv1.StateRoots{LogRoot: h, MapRoot: append(h, 0), RecordsRoot: h}, ErrMalformedProof},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := AppHashOf(tc.r); !errorMatches(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestVerifyAppHash(t *testing.T) {
	h := bytes.Repeat([]byte{7}, 32)
	roots := &traceledgerv1.StateRoots{Height: 9, LogSize: 3, LogRoot: h, MapRoot: h, RecordsRoot: h}
	app, err := AppHashOf(roots)
	if err != nil {
		t.Fatal(err)
	}
	other := bytes.Repeat([]byte{8}, 32)
	tests := []struct {
		name   string
		roots  *traceledgerv1.StateRoots
		height int64
		app    []byte
		want   error
	}{
		{"header H+1", roots, 10, app[:], nil},
		{"header H", roots, 9, app[:], ErrMalformedProof},
		{"header H+2", roots, 11, app[:], ErrMalformedProof},
		{"other app hash", roots, 10, other, ErrRootMismatch},
		{"short app hash", roots, 10, app[:31], ErrRootMismatch},
		{"no app hash", roots, 10, nil, ErrRootMismatch},
		{"nil roots", nil, 10, app[:], ErrMalformedProof},
		{"malformed roots", &traceledgerv1.StateRoots{Height: 9, LogRoot: h[:5], MapRoot: h, RecordsRoot: h}, 10, app[:], ErrMalformedProof},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := VerifyAppHash(tc.roots, tc.height, tc.app); !errorMatches(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}
