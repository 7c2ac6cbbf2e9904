// SPDX-License-Identifier: Apache-2.0

package proof

import (
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/traceledger/traceledger/proof/internal/reftree"
	traceledgerv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

func TestMapHashes(t *testing.T) {
	k, v := MapKeyHash([]byte("head/lot-1")), MapValueHash([]byte("value"))
	tests := []struct {
		name string
		got  [32]byte
		want string
	}{
		// Computed independently with Python's hashlib.
		{"key hash", MapKeyHash([]byte("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"value hash of empty", MapValueHash(nil), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"leaf of zero hashes", MapLeafHash([32]byte{}, [32]byte{}), "98ce42deef51d40269d542f5314bef2c7468d401ad5d85168bfab4c0108f75f7"},
		{"empty map root", EmptyMapRoot(), "0000000000000000000000000000000000000000000000000000000000000000"},
		{"leaf matches reference", MapLeafHash(k, v), hex.EncodeToString(func() []byte {
			h := reftree.MapHash([]reftree.MapLeaf{{K: k, V: v}}, 0)
			return h[:]
		}())},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if want := mustHex32(t, tc.want); tc.got != want {
				t.Errorf("got %x, want %x", tc.got, want)
			}
		})
	}
}

// mapFixture is a reference map with keys key-0..key-(n-1).
func mapFixture(n int) ([]reftree.MapLeaf, [32]byte) {
	var leaves []reftree.MapLeaf
	for i := 0; i < n; i++ {
		leaves = append(leaves, reftree.KV(fmt.Sprintf("key-%d", i), fmt.Sprintf("value-%d", i)))
	}
	leaves = reftree.SortMap(leaves)
	return leaves, reftree.MapHash(leaves, 0)
}

func TestVerifyMapAllKeys(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 10, 100} {
		leaves, root := mapFixture(n)
		for i := 0; i < n; i++ {
			key, value := fmt.Sprintf("key-%d", i), fmt.Sprintf("value-%d", i)
			p := reftree.MapProve(leaves, MapKeyHash([]byte(key)))
			if err := VerifyMapMembership(root, []byte(key), []byte(value), p); err != nil {
				t.Fatalf("n=%d %s: %v", n, key, err)
			}
			if err := VerifyMapAbsence(root, []byte(key), p); !errorMatches(err, ErrKeyPresent) {
				t.Fatalf("n=%d %s: absence of present key: %v", n, key, err)
			}
		}
		for i := 0; i < 50; i++ {
			key := fmt.Sprintf("missing-%d", i)
			p := reftree.MapProve(leaves, MapKeyHash([]byte(key)))
			if err := VerifyMapAbsence(root, []byte(key), p); err != nil {
				t.Fatalf("n=%d %s: %v", n, key, err)
			}
			if err := VerifyMapMembership(root, []byte(key), nil, p); !errorMatches(err, ErrKeyMismatch) {
				t.Fatalf("n=%d %s: membership of absent key: %v", n, key, err)
			}
			got, err := MapRootFromProof(MapKeyHash([]byte(key)), p)
			if err != nil || got != root {
				t.Fatalf("n=%d %s: MapRootFromProof = %x, %v", n, key, got, err)
			}
		}
	}
}

// deepKeys returns two key hashes that differ only in bit 255 and one that
// differs from them at bit 254, so proofs reach depth 256.
func deepKeys() (a, b, c [32]byte) {
	b[31] = 0x01
	c[31] = 0x02
	return a, b, c
}

func TestVerifyMapDepth256(t *testing.T) {
	a, b, c := deepKeys()
	leaves := reftree.SortMap([]reftree.MapLeaf{{K: a, V: MapValueHash([]byte("a"))}, {K: b, V: MapValueHash([]byte("b"))}, {K: c, V: MapValueHash([]byte("c"))}})
	root := reftree.MapHash(leaves, 0)
	for _, l := range leaves {
		p := reftree.MapProve(leaves, l.K)
		if l.K != c && p.Depth != 256 {
			t.Fatalf("depth %d, want 256", p.Depth)
		}
		if err := VerifyMapMembershipHash(root, l.K, l.V, p); err != nil {
			t.Fatalf("%x: %v", l.K, err)
		}
	}
	var d [32]byte
	d[31] = 0x03 // shares 255 bits with c: absence proof ends at c's leaf
	p := reftree.MapProve(leaves, d)
	if err := VerifyMapAbsenceHash(root, d, p); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyMapErrors(t *testing.T) {
	leaves, root := mapFixture(20)
	key, value := []byte("key-7"), []byte("value-7")
	k := MapKeyHash(key)
	good := reftree.MapProve(leaves, k)
	missing := []byte("missing-1")
	absent := reftree.MapProve(leaves, MapKeyHash(missing))
	mod := func(f func(p *traceledgerv1.MapProof)) *traceledgerv1.MapProof {
		p := reftree.CloneMapProof(good)
		f(p)
		return p
	}
	a, b, _ := deepKeys()
	deepLeaves := reftree.SortMap([]reftree.MapLeaf{{K: a, V: a}, {K: b, V: b}})
	deep := reftree.MapProve(deepLeaves, a)
	deepRoot := reftree.MapHash(deepLeaves, 0)
	zeroSibling := reftree.CloneMapProof(deep)
	zeroSibling.EmptySiblings[0] = 0xfe // level 0 no longer marked empty
	zeroSibling.Siblings = append([][]byte{make([]byte, 32)}, zeroSibling.Siblings...)

	tests := []struct {
		name   string
		root   [32]byte
		key    []byte
		value  []byte // nil: check absence
		p      *traceledgerv1.MapProof
		want   error
		keyRaw *[32]byte
	}{
		{name: "valid membership", root: root, key: key, value: value, p: good},
		{name: "valid absence", root: root, key: missing, p: absent},
		{name: "nil proof", root: root, key: key, value: value, p: nil, want: ErrMalformedProof},
		{name: "wrong value", root: root, key: key, value: []byte("other"), p: good, want: ErrValueMismatch},
		{name: "absent key as member", root: root, key: missing, value: value, p: absent, want: ErrKeyMismatch},
		{name: "present key as absent", root: root, key: key, p: good, want: ErrKeyPresent},
		{name: "wrong root", root: MapKeyHash(nil), key: key, value: value, p: good, want: ErrRootMismatch},
		{name: "proof of another key", root: root, key: []byte("key-8"), value: []byte("value-8"), p: good, want: errAny},
		{name: "depth 257", root: root, key: key, value: value, p: mod(func(p *traceledgerv1.MapProof) {
			p.Depth = 257
			p.EmptySiblings = make([]byte, 33)
		}), want: ErrMalformedProof},
		{name: "depth huge", root: root, key: key, value: value, p: mod(func(p *traceledgerv1.MapProof) { p.Depth = 1 << 31 }), want: ErrMalformedProof},
		{name: "bitmap too long", root: root, key: key, value: value, p: mod(func(p *traceledgerv1.MapProof) {
			p.EmptySiblings = append(p.EmptySiblings, 0)
		}), want: ErrMalformedProof},
		{name: "bitmap too short", root: root, key: key, value: value, p: mod(func(p *traceledgerv1.MapProof) {
			p.EmptySiblings = p.EmptySiblings[:len(p.EmptySiblings)-1]
		}), want: ErrMalformedProof},
		{name: "bitmap bit beyond depth", root: root, key: key, value: value, p: mod(func(p *traceledgerv1.MapProof) {
			p.EmptySiblings[len(p.EmptySiblings)-1] |= 0x80
		}), want: ErrMalformedProof},
		{name: "extra sibling", root: root, key: key, value: value, p: mod(func(p *traceledgerv1.MapProof) {
			p.Siblings = append(p.Siblings, p.Siblings[0])
		}), want: ErrMalformedProof},
		{name: "missing sibling", root: root, key: key, value: value, p: mod(func(p *traceledgerv1.MapProof) {
			p.Siblings = p.Siblings[1:]
		}), want: ErrMalformedProof},
		{name: "short sibling", root: root, key: key, value: value, p: mod(func(p *traceledgerv1.MapProof) {
			p.Siblings[0] = p.Siblings[0][:31]
		}), want: ErrMalformedProof},
		{name: "long sibling", root: root, key: key, value: value, p: mod(func(p *traceledgerv1.MapProof) {
			p.Siblings[0] = append(p.Siblings[0], 0)
		}), want: ErrMalformedProof},
		{name: "only leaf key hash", root: root, key: key, value: value, p: mod(func(p *traceledgerv1.MapProof) {
			p.LeafValueHash = nil
		}), want: ErrMalformedProof},
		{name: "only leaf value hash", root: root, key: key, value: value, p: mod(func(p *traceledgerv1.MapProof) {
			p.LeafKeyHash = nil
		}), want: ErrMalformedProof},
		{name: "short leaf key hash", root: root, key: key, value: value, p: mod(func(p *traceledgerv1.MapProof) {
			p.LeafKeyHash = p.LeafKeyHash[:16]
		}), want: ErrMalformedProof},
		{name: "leaf off the key path", root: root, key: missing, p: mod(func(p *traceledgerv1.MapProof) {}), want: errAny},
		{name: "leaf terminal dropped", root: root, key: key, value: value, p: mod(func(p *traceledgerv1.MapProof) {
			p.LeafKeyHash, p.LeafValueHash = nil, nil
		}), want: ErrRootMismatch},
		{name: "zero hash as non-empty sibling", root: deepRoot, keyRaw: &a, value: a[:], p: zeroSibling, want: ErrMalformedProof},
		{name: "deep valid", root: deepRoot, keyRaw: &a, value: a[:], p: deep},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			switch {
			case tc.keyRaw != nil:
				var v [32]byte
				copy(v[:], tc.value)
				err = VerifyMapMembershipHash(tc.root, *tc.keyRaw, v, tc.p)
			case tc.value == nil:
				err = VerifyMapAbsence(tc.root, tc.key, tc.p)
			default:
				err = VerifyMapMembership(tc.root, tc.key, tc.value, tc.p)
			}
			if !errorMatches(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// mapProofBuffers lists the byte buffers of a proof that tampering may flip.
func mapProofBuffers(p *traceledgerv1.MapProof) [][]byte {
	bufs := [][]byte{p.EmptySiblings, p.LeafKeyHash, p.LeafValueHash}
	return append(bufs, p.Siblings...)
}

func TestMapTamper(t *testing.T) {
	leaves, root := mapFixture(40)
	for i := 0; i < 40; i += 3 {
		key, value := []byte(fmt.Sprintf("key-%d", i)), []byte(fmt.Sprintf("value-%d", i))
		k, v := MapKeyHash(key), MapValueHash(value)
		p := reftree.MapProve(leaves, k)
		bufs := append(mapProofBuffers(p), root[:], k[:], v[:])
		flipEach(bufs, func(desc string) {
			if err := VerifyMapMembershipHash(root, k, v, p); err == nil {
				t.Errorf("%s: tampered %s verified", key, desc)
			}
		})
		if err := VerifyMapMembershipHash(root, k, v, p); err != nil {
			t.Fatalf("%s: restored proof fails: %v", key, err)
		}
	}
	for i := 0; i < 15; i++ {
		k := MapKeyHash([]byte(fmt.Sprintf("missing-%d", i)))
		p := reftree.MapProve(leaves, k)
		// Flipping the key itself may give another absent key, which the
		// same proof rightly proves absent; tamper with proof and root.
		bufs := append(mapProofBuffers(p), root[:])
		flipEach(bufs, func(desc string) {
			if err := VerifyMapAbsenceHash(root, k, p); err == nil {
				t.Errorf("missing-%d: tampered %s verified", i, desc)
			}
		})
		if err := VerifyMapAbsenceHash(root, k, p); err != nil {
			t.Fatalf("missing-%d: restored proof fails: %v", i, err)
		}
	}
}
