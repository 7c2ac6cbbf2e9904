// SPDX-License-Identifier: Apache-2.0

package client

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// TestSealAndDecode: a sealed disclosure decrypts for each recipient and
// for nobody else, and the decoder refuses a plaintext of another chain,
// of other events, in another order or of another count.
func TestSealAndDecode(t *testing.T) {
	var ids []*age.X25519Identity
	var rs []string
	for range 3 {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		rs = append(rs, id.Recipient().String())
	}
	ps := []*tlv1.DisclosedPayload{{EventIndex: 4, Payload: []byte("a")}, {EventIndex: 7, Payload: []byte("b")}}
	ct, err := SealDisclosure("c", ps, rs[:2])
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct, []byte(`"a"`)) {
		t.Fatal("plaintext in the ciphertext")
	}
	for i, id := range ids {
		r, err := age.Decrypt(bytes.NewReader(ct), id)
		if i == 2 {
			var nm *age.NoIdentityMatchError
			if !errors.As(err, &nm) {
				t.Fatalf("non-recipient decrypted: %v", err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		bz, _ := io.ReadAll(r)
		if _, err := DecodeDisclosurePlaintext(bz, "c", []uint64{4, 7}); err != nil {
			t.Fatalf("recipient %d: %v", i, err)
		}
		for _, tc := range []struct {
			chain   string
			indexes []uint64
			want    string
		}{
			{"other", []uint64{4, 7}, "chain"},
			{"c", []uint64{4}, "holds 2 payloads"},
			{"c", []uint64{7, 4}, "not for event"},
			{"c", []uint64{4, 8}, "not for event"},
		} {
			if _, err := DecodeDisclosurePlaintext(bz, tc.chain, tc.indexes); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("decode for %s %v: %v, want %q", tc.chain, tc.indexes, err, tc.want)
			}
		}
	}
	if _, err := DecodeDisclosurePlaintext([]byte{0xff, 0xff}, "c", nil); err == nil {
		t.Error("garbage decoded")
	}
	if _, err := SealDisclosure("c", ps, []string{"age1nope"}); err == nil {
		t.Error("sealed to a malformed recipient")
	}
	if _, err := SealDisclosure("c", ps, nil); err == nil {
		t.Error("sealed to nobody")
	}
}

// TestBlobStore: Put names a blob by its SHA-256; Get refuses a file whose
// bytes do not hash to its name, a missing one and a malformed hash.
func TestBlobStore(t *testing.T) {
	s := BlobStore{Dir: filepath.Join(t.TempDir(), "blobs")}
	sum, err := s.Put([]byte("ciphertext"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(sum); err != nil || string(got) != "ciphertext" {
		t.Fatalf("get: %v %q", err, got)
	}
	os.WriteFile(s.path(sum), []byte("altered"), 0o600)
	if _, err := s.Get(sum); !errors.Is(err, ErrCiphertextMismatch) {
		t.Fatalf("altered blob: %v", err)
	}
	if _, err := s.Get(bytes.Repeat([]byte{1}, 32)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing blob: %v", err)
	}
	if _, err := s.Get(sum[:5]); err == nil {
		t.Fatal("malformed hash accepted")
	}
}
