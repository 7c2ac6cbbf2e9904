// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/client/keyring"
	"github.com/traceledger/traceledger/genesis"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// TestDiscloseEndToEnd runs issue 18 on a real node through the CLI: the
// farm records a hashed event; the department and an auditor register
// encryption keys; the farm discloses the payload to both; each opens it
// and gets "verified"; a non-recipient cannot decrypt; an altered
// ciphertext and a disclosure of a wrong payload fail verification (exit
// 2); a request unanswered past its deadline shows as overdue in the
// requests and the credit profile until the farm refuses it; a request is
// answered by a disclosure.
func TestDiscloseEndToEnd(t *testing.T) {
	const pass = "correct horse battery staple"
	t.Setenv("TRACELEDGER_PASSPHRASE", pass)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	n := startTestNode(t, ctx, "disclose-cli")
	dir := t.TempDir()
	store := filepath.Join(dir, "blobs")

	jsonOf := func(out string, v any) {
		t.Helper()
		if err := json.Unmarshal([]byte(out), v); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
	}
	// Two auditors: aud1 will be a recipient, aud2 not.
	for _, a := range []string{"aud1", "aud2"} {
		var key struct {
			PublicKey string `json:"public_key"`
		}
		out, err := run(t, ctx, "keys", "add", a, "--home", n.home, "-o", "json")
		if err != nil {
			t.Fatal(err)
		}
		jsonOf(out, &key)
		n.must("tx", "participant", "register", "--from", "agri-admin", "--id", a, "--name", "Auditor "+a, "--role", "auditor", "--key", key.PublicKey)
	}
	for _, k := range []struct{ signer, enc string }{{"agri-admin", "agri-enc"}, {"aud1", "aud1-enc"}, {"aud2", "aud2-enc"}} {
		if _, err := run(t, ctx, "keys", "add-encryption", k.enc, "--home", n.home); err != nil {
			t.Fatal(err)
		}
		n.must("tx", "participant", "add-encryption-key", "--from", k.signer, "--key", k.enc)
	}
	out := n.must("query", "encryption-keys", "agri", "-o", "json")
	if !strings.Contains(out, "age1") {
		t.Fatalf("encryption keys of agri: %s", out)
	}
	if _, err := n.cli("query", "encryption-keys", "farm1"); exitCodeOf(err) != exitNegative {
		t.Fatalf("farm1 has no encryption key: %v", err)
	}

	lot := "urn:epc:class:lgtin:6901234.500012.DISC1"
	payload := []byte(`{"kg":1200,"field":"north-7","pesticide":"none"}`)
	pfile := filepath.Join(dir, "harvest.json")
	os.WriteFile(pfile, payload, 0o600)
	record := func(file, typ string) uint64 {
		t.Helper()
		var rec struct {
			Indexes []uint64 `json:"log_indexes"`
		}
		jsonOf(n.must("tx", "record", "--from", "farm1", "--subject", lot, "--type", typ, "--payload", file, "-o", "json"), &rec)
		return rec.Indexes[0]
	}
	ev := record(pfile, "harvest")
	evs := strconv.FormatUint(ev, 10)

	var created struct {
		Disclosure uint64 `json:"disclosure"`
		Sum        string `json:"ciphertext_sha256"`
	}
	jsonOf(n.must("disclose", "create", "--from", "farm1", "--events", evs, "--to", "agri,aud1", "--payload", evs+"="+pfile,
		"--store", store, "--purpose", "pesticide residue investigation", "--legal-basis", "Food Safety Law art. 110", "-o", "json"), &created)
	ct, err := os.ReadFile(filepath.Join(store, created.Sum))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct, payload) {
		t.Fatal("the store holds the payload in clear")
	}
	d := strconv.FormatUint(created.Disclosure, 10)
	for _, enc := range []string{"agri-enc", "aud1-enc"} {
		out := n.must("disclose", "open", d, "--from", enc, "--store", store)
		if !strings.Contains(out, "verified disclosure") || !strings.Contains(out, string(payload)) {
			t.Fatalf("open as %s: %s", enc, out)
		}
	}
	var opened struct {
		Verified bool `json:"verified"`
		Events   []struct {
			Payload []byte `json:"payload"`
		} `json:"events"`
	}
	jsonOf(n.must("disclose", "open", d, "--from", "agri-enc", "--store", store, "-o", "json"), &opened)
	if !opened.Verified || len(opened.Events) != 1 || !bytes.Equal(opened.Events[0].Payload, payload) {
		t.Fatalf("open -o json: %+v", opened)
	}
	// The same ciphertext through an API server's GET /v1/blobs/{sha256}.
	addr := freePort(t)
	sctx, stopServe := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() {
		_, err := run(t, sctx, "serve", "--node", n.url, "--genesis", n.genesis, "--addr", addr, "--blob-store", store)
		served <- err
	}()
	defer func() {
		stopServe()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	n.eventually("serve answers", func() bool {
		res, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	if out := n.must("disclose", "open", d, "--from", "aud1-enc", "--store", "http://"+addr); !strings.Contains(out, "verified disclosure") {
		t.Fatalf("open through the API: %s", out)
	}

	// Rotation: aud1 rotates its encryption key; the old key can no longer
	// be disclosed to (create reads the current keys), a new disclosure
	// opens with the new key and not with the old one.
	var keys struct {
		Keys []struct {
			ID string `json:"id"`
		} `json:"keys"`
	}
	jsonOf(n.must("query", "encryption-keys", "aud1", "-o", "json"), &keys)
	if len(keys.Keys) != 1 {
		t.Fatalf("aud1's keys: %+v", keys)
	}
	if _, err := run(t, ctx, "keys", "add-encryption", "aud1-enc2", "--home", n.home); err != nil {
		t.Fatal(err)
	}
	n.must("tx", "participant", "add-encryption-key", "--from", "aud1", "--key", "aud1-enc2", "--replaces", keys.Keys[0].ID)
	var again struct {
		Disclosure uint64 `json:"disclosure"`
	}
	jsonOf(n.must("disclose", "create", "--from", "farm1", "--events", evs, "--to", "aud1", "--payload", evs+"="+pfile,
		"--store", store, "--purpose", "re-disclosure to the rotated key", "--legal-basis", "Food Safety Law art. 110", "-o", "json"), &again)
	d2 := strconv.FormatUint(again.Disclosure, 10)
	if out := n.must("disclose", "open", d2, "--from", "aud1-enc2", "--store", store); !strings.Contains(out, "verified disclosure") {
		t.Fatalf("open with the rotated key: %s", out)
	}
	if _, err := n.cli("disclose", "open", d2, "--from", "aud1-enc", "--store", store); exitCodeOf(err) != exitUsage {
		t.Fatalf("open with the old key: %v", err)
	}
	// The audit trail: the disclosure record, verified, names its
	// recipients, and each recipient's history lists what it was given.
	var trail struct {
		Disclosures []disclosureView `json:"disclosures"`
		Verified    bool             `json:"verified"`
	}
	jsonOf(n.must("query", "disclosures", "aud1", "-o", "json"), &trail)
	if !trail.Verified || len(trail.Disclosures) != 2 || trail.Disclosures[0].Index != created.Disclosure || trail.Disclosures[1].Discloser != "farm1" {
		t.Fatalf("aud1's disclosures: %+v", trail)
	}
	jsonOf(n.must("query", "disclosures", "aud2", "-o", "json"), &trail)
	if len(trail.Disclosures) != 0 {
		t.Fatalf("aud2 was given nothing: %+v", trail)
	}
	if out := n.must("query", "record", d); !strings.Contains(out, "agri,aud1") || !strings.Contains(out, "VERIFIED") {
		t.Fatalf("query record %s: %s", d, out)
	}

	// A non-recipient is refused, and its key really cannot decrypt.
	if out, err := n.cli("disclose", "open", d, "--from", "aud2-enc", "--store", store); exitCodeOf(err) != exitUsage || strings.Contains(out, "verified") {
		t.Fatalf("non-recipient open: %v %s", err, out)
	}
	kr, err := keyring.Open(keyring.Dir(n.home))
	if err != nil {
		t.Fatal(err)
	}
	aud2, err := kr.Identity("aud2-enc", []byte(pass))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := age.Decrypt(bytes.NewReader(ct), aud2); err == nil {
		t.Fatal("a non-recipient's key decrypted the ciphertext")
	}

	// An altered ciphertext (in a store copy) is not verified.
	bad := filepath.Join(dir, "bad-blobs")
	os.MkdirAll(bad, 0o700)
	tampered := bytes.Clone(ct)
	tampered[len(tampered)-1] ^= 1
	os.WriteFile(filepath.Join(bad, created.Sum), tampered, 0o600)
	if out, err := n.cli("disclose", "open", d, "--from", "agri-enc", "--store", bad); exitCodeOf(err) != exitNotVerified || strings.Contains(out, string(payload)) {
		t.Fatalf("tampered ciphertext: %v %s", err, out)
	}

	// create refuses a payload that is not the recorded one.
	wrong := filepath.Join(dir, "wrong.json")
	os.WriteFile(wrong, []byte(`{"kg":1}`), 0o600)
	if _, err := n.cli("disclose", "create", "--from", "farm1", "--events", evs, "--to", "agri", "--payload", evs+"="+wrong,
		"--store", store, "--purpose", "p", "--legal-basis", "l"); exitCodeOf(err) != exitUsage || !strings.Contains(err.Error(), "not the payload that was recorded") {
		t.Fatalf("create with a wrong payload: %v", err)
	}
	// A discloser that seals a wrong payload anyway (through the SDK) is
	// caught by the recipient.
	doc, _, err := genesis.Load(n.genesis)
	if err != nil {
		t.Fatal(err)
	}
	c, err := newClient(n.url, doc, 0)
	if err != nil {
		t.Fatal(err)
	}
	farm, err := kr.Signer("farm1", []byte(pass))
	if err != nil {
		t.Fatal(err)
	}
	agriKeys, _, err := c.EncryptionKeys(ctx, "agri")
	if err != nil || len(agriKeys) != 1 {
		t.Fatalf("agri's keys: %v %v", agriKeys, err)
	}
	lie, err := client.SealDisclosure(c.ChainID(), []*tlv1.DisclosedPayload{{EventIndex: ev, Payload: []byte(`{"kg":1}`)}}, []string{agriKeys[0].Recipient})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := client.BlobStore{Dir: store}.Put(lie)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Disclose(ctx, client.Signer{Key: farm}, &tlv1.Disclose{EventIndexes: []uint64{ev}, CiphertextSha256: sum, CiphertextSize: uint64(len(lie)),
		Recipients: []*tlv1.DisclosureRecipient{{Participant: "agri", KeyId: agriKeys[0].Id}}, Purpose: "p", LegalBasis: "l"})
	if err != nil {
		t.Fatal(err)
	}
	if out, err := n.cli("disclose", "open", strconv.FormatUint(res.Indexes[0], 10), "--from", "agri-enc", "--store", store); exitCodeOf(err) != exitNotVerified ||
		!errors.Is(err, client.ErrPayloadMismatch) || strings.Contains(out, "verified disclosure") {
		t.Fatalf("wrong payload: %v %s", err, out)
	}
	if h := sha256.Sum256(lie); !bytes.Equal(h[:], sum) {
		t.Fatal("store returned a wrong hash")
	}

	// Requests: one left open past its deadline is overdue until refused.
	deadline := time.Now().Add(3 * time.Second).UTC().Format(time.RFC3339)
	n.must("tx", "disclosure", "request", "--from", "agri-admin", "--number", "Q1", "--enterprise", "farm1", "--lot", lot,
		"--deadline", deadline, "--purpose", "inspection", "--legal-basis", "Food Safety Law art. 110")
	n.must("tx", "disclosure", "request", "--from", "agri-admin", "--number", "Q2", "--enterprise", "farm1", "--lot", lot,
		"--deadline", time.Now().Add(time.Hour).UTC().Format(time.RFC3339), "--purpose", "inspection", "--legal-basis", "Food Safety Law art. 110")
	var reqs struct {
		Requests []requestView `json:"requests"`
	}
	n.eventually("request Q1 overdue", func() bool {
		jsonOf(n.must("query", "disclosure-requests", "farm1", "--overdue", "-o", "json"), &reqs)
		return len(reqs.Requests) == 1 && reqs.Requests[0].ID == "agri/Q1"
	})
	var credit struct {
		Overdue []string `json:"overdue_disclosure_requests"`
	}
	jsonOf(n.must("query", "credit", "farm1", "-o", "json"), &credit)
	if len(credit.Overdue) != 1 || credit.Overdue[0] != "agri/Q1" {
		t.Fatalf("credit profile overdue requests: %v", credit.Overdue)
	}
	n.must("tx", "disclosure", "refuse", "agri/Q1", "--from", "farm1", "--reason", "the lot was destroyed before sale")
	// The answer takes its payload from a directory keyed by payload hash,
	// as the EPCIS gateway keeps them.
	pdir := filepath.Join(dir, "payloads")
	os.MkdirAll(pdir, 0o700)
	ph := sha256.Sum256(payload)
	os.WriteFile(filepath.Join(pdir, hex.EncodeToString(ph[:])+".json"), payload, 0o600)
	jsonOf(n.must("disclose", "create", "--from", "farm1", "--events", evs, "--to", "agri", "--payload-dir", pdir, "--request", "agri/Q2",
		"--store", store, "--purpose", "inspection", "--legal-basis", "Food Safety Law art. 110", "-o", "json"), &created)
	jsonOf(n.must("query", "disclosure-requests", "farm1", "-o", "json"), &reqs)
	if len(reqs.Requests) != 2 || reqs.Requests[0].Status != "refused" || reqs.Requests[1].Status != "disclosed" || reqs.Requests[0].Overdue ||
		reqs.Requests[1].AnswerIndex != created.Disclosure {
		t.Fatalf("requests after the answers: %+v", reqs.Requests)
	}
	jsonOf(n.must("query", "credit", "farm1", "-o", "json"), &credit)
	if len(credit.Overdue) != 0 {
		t.Fatalf("overdue after the refusal: %v", credit.Overdue)
	}
}
