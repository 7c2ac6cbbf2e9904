// SPDX-License-Identifier: Apache-2.0

package verify_test

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/traceledger/traceledger/portal/verify"
)

// recorded is the input the product page of a 50-record lot read from a
// real node (TestPortalInChromium writes it with
// TRACELEDGER_WRITE_TESTDATA=1): the page's genesis, the proof bundle and
// the API answers.
func recorded(t testing.TB) (verify.Input, []byte) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "history50.json"))
	if err != nil {
		t.Fatal(err)
	}
	in, err := verify.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	return in, raw
}

func TestVerifyRecorded(t *testing.T) {
	in, _ := recorded(t)
	res := verify.Verify(in)
	if !res.Verified {
		t.Fatalf("recorded answers refused: %v", res.Errors)
	}
	if res.History == nil || res.History.Count != 50 || len(res.History.Records) != 50 || res.Header.Height != res.StateHeight+1 ||
		res.Header.Signed != 1 || res.Header.Validators != 1 || len(res.HeaderPath) == 0 || res.HeaderPath[0] != 1 {
		t.Fatalf("result: history %+v, header %+v, path %v", res.History, res.Header, res.HeaderPath)
	}
	if res.Graph == nil || len(res.Graph.Nodes) != 1 || res.Credit["farm"] == nil {
		t.Fatalf("graph %+v, credit %v", res.Graph, res.Credit)
	}
	in.Pin = res.GenesisHash
	if r := verify.Verify(in); !r.Verified {
		t.Fatalf("with the right pin: %v", r.Errors)
	}
}

// mutate applies f to the decoded JSON of in and returns the new input.
func mutate(t *testing.T, raw []byte, f func(doc map[string]any)) verify.Input {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	f(doc)
	b, _ := json.Marshal(doc)
	in, err := verify.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func flipB64(s string, at int) string {
	b, _ := base64.StdEncoding.DecodeString(s)
	b[at%len(b)] ^= 1
	return base64.StdEncoding.EncodeToString(b)
}

// TestVerifyTampered: one change anywhere the trust rests on is refused.
func TestVerifyTampered(t *testing.T) {
	_, raw := recorded(t)
	bundle := func(d map[string]any) map[string]any { return d["bundle"].(map[string]any) }
	answer := func(d map[string]any, i int) map[string]any { return d["answers"].([]any)[i].(map[string]any) }
	cases := map[string]func(d map[string]any){
		"a bundle record": func(d map[string]any) {
			r := bundle(d)["records"].([]any)[7].(map[string]any)
			r["record"] = flipB64(r["record"].(string), 20)
		},
		"a bundle record dropped": func(d map[string]any) {
			b := bundle(d)
			b["records"] = b["records"].([]any)[1:]
		},
		"the bundle's app hash": func(d map[string]any) {
			lbs := bundle(d)["light_blocks"].([]any)
			h := lbs[len(lbs)-1].(map[string]any)["signed_header"].(map[string]any)["header"].(map[string]any)
			h["app_hash"] = strings.Repeat("AB", 32)
		},
		"a commit signature": func(d map[string]any) {
			lbs := bundle(d)["light_blocks"].([]any)
			sig := lbs[0].(map[string]any)["signed_header"].(map[string]any)["commit"].(map[string]any)["signatures"].([]any)[0].(map[string]any)
			sig["signature"] = flipB64(sig["signature"].(string), 5)
		},
		"a node answer": func(d map[string]any) {
			a := answer(d, 0)["evidence"].(map[string]any)["answers"].([]any)[0].(map[string]any)
			a["value"] = flipB64(a["value"].(string), 400)
		},
		"the data of an answer": func(d map[string]any) {
			r := answer(d, 0)["data"].(map[string]any)["records"].([]any)[3].(map[string]any)
			r["bytes"] = flipB64(r["bytes"].(string), 30)
		},
		"another genesis": func(d map[string]any) {
			g, _ := base64.StdEncoding.DecodeString(d["genesis"].(string))
			d["genesis"] = base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(g), `"power":"`, `"power":"1`, 1)))
		},
		"a pin of another genesis": func(d map[string]any) { d["pin"] = strings.Repeat("0", 64) },
		"no bundle":                func(d map[string]any) { delete(d, "bundle") },
		"another product": func(d map[string]any) {
			d["answers"] = []any{d["answers"].([]any)[0]}
			d["product"] = "https://id.gs1.org/01/56901234000127/10/OTHER"
		},
	}
	for name, f := range cases {
		res := verify.Verify(mutate(t, raw, f))
		if res.Verified || len(res.Errors) == 0 {
			t.Errorf("%s: verified", name)
		} else {
			t.Logf("%s: %s", name, res.Errors[0])
		}
	}
}

// FuzzVerify: no input makes the verifier panic, and nothing is verified
// without a bundle whose header path starts at the genesis.
func FuzzVerify(f *testing.F) {
	if raw, err := os.ReadFile(filepath.Join("testdata", "history50.json")); err == nil {
		f.Add(raw)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"genesis":"e30=","bundle":{"format":"traceledger-proof-bundle","version":1}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := verify.Decode(data)
		if err != nil {
			return
		}
		res := verify.Verify(in)
		if res.Verified && (len(res.HeaderPath) == 0 || res.History == nil && in.Product != "") {
			t.Fatalf("verified without a header path or history: %+v", res)
		}
	})
}
