// SPDX-License-Identifier: Apache-2.0

package api

import (
	"bytes"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/traceledger/traceledger/client"
)

// TestBlobRoute: GET /v1/blobs/{sha256} serves a stored ciphertext as it
// is, and answers problems for a malformed hash, an unknown one, a store
// file whose bytes do not hash to its name and a server with no store;
// client.HTTPBlobFetcher reads it back.
func TestBlobRoute(t *testing.T) {
	dir := t.TempDir()
	st := client.BlobStore{Dir: dir}
	data := []byte("age-encryption.org/v1 ... ciphertext")
	sum, err := st.Put(data)
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Repeat([]byte{0xab}, 32)
	os.WriteFile(filepath.Join(dir, hex.EncodeToString(bad)), []byte("not what the name says"), 0o600)
	ts := httptest.NewServer(New(nil, Options{BlobDir: dir, ReadRate: -1, SubmitRate: -1}).Handler())
	defer ts.Close()
	none := httptest.NewServer(New(nil, Options{ReadRate: -1, SubmitRate: -1}).Handler())
	defer none.Close()
	for _, tc := range []struct {
		name, url string
		status    int
		body      string
	}{
		{"stored", ts.URL + "/v1/blobs/" + hex.EncodeToString(sum), http.StatusOK, string(data)},
		{"malformed", ts.URL + "/v1/blobs/abc", http.StatusBadRequest, "64 hex digits"},
		{"unknown", ts.URL + "/v1/blobs/" + strings.Repeat("00", 32), http.StatusNotFound, "no ciphertext"},
		{"corrupt store file", ts.URL + "/v1/blobs/" + hex.EncodeToString(bad), http.StatusInternalServerError, "could not serve"},
		{"no store", none.URL + "/v1/blobs/" + hex.EncodeToString(sum), http.StatusNotFound, "no ciphertext store"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Get(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var b bytes.Buffer
			b.ReadFrom(resp.Body)
			if resp.StatusCode != tc.status || !strings.Contains(b.String(), tc.body) {
				t.Fatalf("%d %q; want %d containing %q", resp.StatusCode, b.String(), tc.status, tc.body)
			}
		})
	}
	got, err := client.HTTPBlobFetcher(ts.URL, nil)(sum)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("fetch: %v %q", err, got)
	}
	if _, err := client.HTTPBlobFetcher(ts.URL, nil)(bad[:31]); err == nil {
		t.Fatal("fetched a malformed hash")
	}
}
