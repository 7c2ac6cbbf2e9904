// SPDX-License-Identifier: Apache-2.0

package proof

import (
	"crypto/sha256"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The vectors in testdata/rfc6962 come from transparency-dev/merkle (see the
// README there). Some vectors carry roots or leaf hashes that are not 32
// bytes ("", "don't care 1", "WrongLeaf"), while the verifiers here take
// [32]byte. The test treats them as upstream does:
//
//   - a leaf hash that is not 32 bytes is malformed input: it cannot be
//     decoded into a [32]byte (conformanceLeaf), so the vector counts as
//     rejected without calling the verifier;
//   - roots are only ever compared, so conformanceHash maps a root that is
//     not 32 bytes to SHA-256 of a tag and the value: equal inputs stay
//     equal, different inputs stay different, and no mapped value can equal
//     a computed root short of a SHA-256 collision.

// conformanceLeaf decodes a vector's leaf hash.
func conformanceLeaf(b []byte) ([32]byte, error) {
	return hashFromSlice(b, "leaf hash", 0)
}

// conformanceHash maps a vector's root to a [32]byte as explained above.
func conformanceHash(b []byte) [32]byte {
	if len(b) == HashSize {
		var h [32]byte
		copy(h[:], b)
		return h
	}
	return sha256.Sum256(append([]byte("not a 32-byte hash:"), b...))
}

type inclusionVector struct {
	LeafIdx  uint64   `json:"leafIdx"`
	TreeSize uint64   `json:"treeSize"`
	Root     []byte   `json:"root"`
	LeafHash []byte   `json:"leafHash"`
	Proof    [][]byte `json:"proof"`
	Desc     string   `json:"desc"`
	WantErr  bool     `json:"wantErr"`
}

type consistencyVector struct {
	Size1   uint64   `json:"size1"`
	Size2   uint64   `json:"size2"`
	Root1   []byte   `json:"root1"`
	Root2   []byte   `json:"root2"`
	Proof   [][]byte `json:"proof"`
	Desc    string   `json:"desc"`
	WantErr bool     `json:"wantErr"`
}

// vectorFiles lists the JSON files under dir.
func vectorFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".json") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no vectors under %s", dir)
	}
	return files
}

func readVector(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func TestConformanceInclusion(t *testing.T) {
	accepted, rejected := 0, 0
	for _, path := range vectorFiles(t, filepath.Join("testdata", "rfc6962", "inclusion")) {
		var v inclusionVector
		readVector(t, path, &v)
		leaf, err := conformanceLeaf(v.LeafHash)
		if err == nil {
			err = VerifyInclusion(leaf, v.LeafIdx, v.TreeSize, v.Proof, conformanceHash(v.Root))
		}
		switch {
		case v.WantErr && err == nil:
			t.Errorf("%s (%s): accepted, want rejection", path, v.Desc)
		case !v.WantErr && err != nil:
			t.Errorf("%s (%s): rejected: %v", path, v.Desc, err)
		case err == nil:
			accepted++
		default:
			rejected++
		}
	}
	t.Logf("inclusion vectors: %d accepted, %d rejected as expected", accepted, rejected)
}

func TestConformanceConsistency(t *testing.T) {
	accepted, rejected := 0, 0
	for _, path := range vectorFiles(t, filepath.Join("testdata", "rfc6962", "consistency")) {
		var v consistencyVector
		readVector(t, path, &v)
		err := VerifyConsistency(v.Size1, v.Size2, v.Proof, conformanceHash(v.Root1), conformanceHash(v.Root2))
		switch {
		case v.WantErr && err == nil:
			t.Errorf("%s (%s): accepted, want rejection", path, v.Desc)
		case !v.WantErr && err != nil:
			t.Errorf("%s (%s): rejected: %v", path, v.Desc, err)
		case err == nil:
			accepted++
		default:
			rejected++
		}
	}
	t.Logf("consistency vectors: %d accepted, %d rejected as expected", accepted, rejected)
}

// sharedVectors is the project's shared copy of the RFC 6962 vectors
// (../shared/conformance/rfc6962 next to the repository).
const sharedVectors = "../../shared/conformance/rfc6962"

// TestConformanceSharedVectorsMatch checks that testdata/rfc6962 is the
// shared conformance set, file for file, so the conformance tests above run
// exactly the shared vectors. Without the shared directory (a checkout of
// the repository alone) there is nothing to compare with.
func TestConformanceSharedVectorsMatch(t *testing.T) {
	if _, err := os.Stat(sharedVectors); err != nil {
		t.Skipf("no shared conformance directory at %s", sharedVectors)
	}
	for _, kind := range []string{"inclusion", "consistency"} {
		shared := vectorFiles(t, filepath.Join(sharedVectors, kind))
		local := vectorFiles(t, filepath.Join("testdata", "rfc6962", kind))
		if len(shared) != len(local) {
			t.Fatalf("%s: %d shared vectors, %d in testdata", kind, len(shared), len(local))
		}
		for _, path := range shared {
			rel, _ := filepath.Rel(sharedVectors, path)
			a, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join("testdata", "rfc6962", rel))
			if err != nil {
				t.Fatalf("%s is missing from testdata: %v", rel, err)
			}
			if string(a) != string(b) {
				t.Fatalf("%s differs from the shared vector", rel)
			}
		}
	}
}
