package proof

import (
	"bytes"
	"testing"

	traceledgerv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

func TestAppHash(t *testing.T) {
	ones, twos := [32]byte{}, [32]byte{}
	for i := range ones {
		ones[i], twos[i] = 1, 2
	}
	// Expected values computed independently with Python's hashlib.
	tests := []struct {
		name    string
		size    uint64
		logRoot [32]byte
		mapRoot [32]byte
		want    string
	}{
		{"size 5", 5, ones, twos, "0edabed8eb2aa7e5c2ac2f5c70371fc530f4cf40e733b80e126c80f335cb2556"},
		{"genesis", 0, EmptyLogRoot(), EmptyMapRoot(), "d4139258e939c5301643bc05f1dc0a88f127603f8fcbf5875628703f431ad60f"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := mustHex32(t, tc.want)
			if got := AppHash(tc.size, tc.logRoot, tc.mapRoot); got != want {
				t.Fatalf("AppHash = %x, want %x", got, want)
			}
			got, err := AppHashOf(&traceledgerv1.StateRoots{Height: 9, LogSize: tc.size, LogRoot: tc.logRoot[:], MapRoot: tc.mapRoot[:]})
			if err != nil || got != want {
				t.Fatalf("AppHashOf = %x, %v; want %x", got, err, want)
			}
		})
	}
	if AppHash(5, ones, twos) == AppHash(5, twos, ones) || AppHash(5, ones, twos) == AppHash(6, ones, twos) {
		t.Fatal("app hash does not bind its inputs")
	}
}

func TestAppHashOfErrors(t *testing.T) {
	h := bytes.Repeat([]byte{7}, 32)
	tests := []struct {
		name string
		r    *traceledgerv1.StateRoots
		want error
	}{
		{"valid", &traceledgerv1.StateRoots{LogRoot: h, MapRoot: h}, nil},
		{"nil", nil, ErrMalformedProof},
		{"missing log root", &traceledgerv1.StateRoots{MapRoot: h}, ErrMalformedProof},
		{"missing map root", &traceledgerv1.StateRoots{LogRoot: h}, ErrMalformedProof},
		{"short log root", &traceledgerv1.StateRoots{LogRoot: h[:31], MapRoot: h}, ErrMalformedProof},
		{"long map root", &traceledgerv1.StateRoots{LogRoot: h, MapRoot: append(h, 0)}, ErrMalformedProof},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := AppHashOf(tc.r); !errorMatches(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}
