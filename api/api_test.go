// SPDX-License-Identifier: Apache-2.0

package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/types"

	"github.com/traceledger/traceledger/api"
	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/proof"
	"github.com/traceledger/traceledger/proof/bundle"
	prooflight "github.com/traceledger/traceledger/proof/light"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// TestReadRoutes: every read route with good and bad input: the status,
// and for an error the problem document's stable code and field.
func TestReadRoutes(t *testing.T) {
	ts, s := apiServer(t, fx.url, api.Options{})
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	cases := []struct {
		name   string
		path   string
		status int
		code   tlv1.Code
		field  string
	}{
		{"status", "/v1/status", 200, 0, ""},
		{"record", "/v1/records/0", 200, 0, ""},
		{"record not a number", "/v1/records/abc", 400, tlv1.CodeInvalidQuery, "index"},
		{"record beyond the log", "/v1/records/99999999", 404, tlv1.CodeNotFound, ""},
		{"history EPC URI", "/v1/history/" + seg(lotEPC), 200, 0, ""},
		{"history Digital Link", "/v1/history/" + seg(lotDL), 200, 0, ""},
		{"history bad identifier", "/v1/history/" + seg("not an identifier"), 400, tlv1.CodeEPCISInvalidIdentifier, "identifier"},
		{"history malformed EPC URI", "/v1/history/" + seg("urn:epc:class:lgtin:690123X.500012.L1"), 400, tlv1.CodeEPCISInvalidIdentifier, "identifier"},
		{"history unknown", "/v1/history/" + seg(unknownLot), 404, tlv1.CodeNotFound, "identifier"},
		{"value", "/v1/values/" + seg(tlv1.ParticipantKey("farm")), 200, 0, ""},
		{"value absent", "/v1/values/" + seg(tlv1.ParticipantKey("ghost")), 404, tlv1.CodeNotFound, "key"},
		{"participant", "/v1/participants/farm", 200, 0, ""},
		{"department", "/v1/participants/agri", 200, 0, ""},
		{"participant unknown", "/v1/participants/ghost", 404, tlv1.CodeParticipantNotFound, "id"},
		{"attestation", "/v1/attestations/" + seg(attID), 200, 0, ""},
		{"attestation valid at", "/v1/attestations/" + seg(attID) + "?valid_at=" + future, 200, 0, ""},
		{"attestation unknown", "/v1/attestations/" + seg("lab/NOPE"), 404, tlv1.CodeAttestNotFound, "id"},
		{"attestation unknown valid at", "/v1/attestations/" + seg("lab/NOPE") + "?valid_at=" + future, 404, tlv1.CodeAttestNotFound, "id"},
		{"attestation bad id", "/v1/attestations/nolab", 400, tlv1.CodeInvalidQuery, "id"},
		{"attestation bad time", "/v1/attestations/" + seg(attID) + "?valid_at=yesterday", 400, tlv1.CodeInvalidQuery, "valid_at"},
		{"validators", "/v1/validators", 200, 0, ""},
		{"proposal", "/v1/proposals/1", 200, 0, ""},
		{"proposal unknown", "/v1/proposals/999", 404, tlv1.CodeProposalNotFound, "id"},
		{"proposal bad id", "/v1/proposals/one", 400, tlv1.CodeInvalidQuery, "id"},
		{"recall", "/v1/recalls/" + recallID, 200, 0, ""},
		{"recall unknown", "/v1/recalls/R-NONE", 404, tlv1.CodeNotFound, "id"},
		{"credit", "/v1/credit/farm", 200, 0, ""},
		{"credit unknown", "/v1/credit/ghost", 404, tlv1.CodeParticipantNotFound, "enterprise"},
		{"trace back", "/v1/trace/back/" + seg(lotEPC), 200, 0, ""},
		{"trace forward", "/v1/trace/forward/" + seg(lotDL), 200, 0, ""},
		{"trace bad direction", "/v1/trace/sideways/" + seg(lotEPC), 400, tlv1.CodeInvalidQuery, "direction"},
		{"trace bad identifier", "/v1/trace/back/" + seg("x y"), 400, tlv1.CodeEPCISInvalidIdentifier, "identifier"},
		{"trace unknown", "/v1/trace/forward/" + seg(unknownLot), 404, tlv1.CodeNotFound, "identifier"},
		{"bundle", "/v1/bundles/" + seg(lotEPC) + "?value=" + seg(tlv1.RecallKey(lotEPC)), 200, 0, ""},
		{"bundle bad identifier", "/v1/bundles/" + seg("x y"), 400, tlv1.CodeEPCISInvalidIdentifier, "identifier"},
		{"consistency without size", "/v1/consistency", 400, tlv1.CodeInvalidQuery, "size"},
		{"consistency bad root", "/v1/consistency?size=1&log_root=00&records_root=00", 400, tlv1.CodeInvalidQuery, "log_root"},
		{"bad height", "/v1/status?height=-3", 400, tlv1.CodeInvalidQuery, "height"},
		{"height not kept", "/v1/status?height=1", 404, tlv1.CodeHeightUnavailable, "height"},
		{"no such route", "/v1/nothing", 404, tlv1.CodeNotFound, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, ts.URL+tc.path)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.status == 200 {
				if tc.name == "bundle" {
					return // checked in TestBundleVerifiesOffline
				}
				r.answer(t, nil)
				return
			}
			p := r.problem(t)
			if tlv1.Code(p.Code) != tc.code || p.Field != tc.field {
				t.Fatalf("problem code %d (%s) field %q, want %d (%s) %q: %s", p.Code, p.Name, p.Field, uint32(tc.code), tc.code, tc.field, r.body)
			}
			if tc.status == 404 && tc.field != "" && tc.code != tlv1.CodeHeightUnavailable && (p.Evidence == nil || len(p.Evidence.LightBlocks) == 0) {
				t.Fatalf("a proven absence without its evidence: %s", r.body)
			}
		})
	}
	if n := s.VerificationFailures(); n != 0 {
		t.Fatalf("%d verification failures in front of an honest node", n)
	}
}

// TestHistoryEvidenceChecksWithoutServer: a history answer carries what a
// client that trusts no server needs: the node's answer bytes and a light
// block signed by the genesis validators whose app hash commits to them.
// Every spelling of the lot gets the same canonical key and the same
// answer.
func TestHistoryEvidenceChecksWithoutServer(t *testing.T) {
	ts, _ := apiServer(t, fx.url, api.Options{})
	var a, b api.HistoryAnswer
	_, ev := get(t, ts.URL+"/v1/history/"+seg(lotEPC)).answer(t, &a)
	get(t, ts.URL+"/v1/history/"+seg(lotDL)).answer(t, &b)
	if a.Canonical == "" || a.Canonical != b.Canonical || a.Identifier != lotEPC || b.Identifier != lotDL {
		t.Fatalf("canonical keys %q and %q for one lot", a.Canonical, b.Canonical)
	}
	// The lot's events and the attestation that names the lot.
	if a.Head.Count != uint64(len(a.Records)) || len(a.Records) != fx.events+1 {
		t.Fatalf("history of %d records (head %d), want %d", len(a.Records), a.Head.Count, fx.events+1)
	}
	// Offline, from the evidence alone.
	if len(ev.Answers) != 1 || ev.Answers[0].Path != tlv1.PathHistory || len(ev.LightBlocks) != 1 {
		t.Fatalf("evidence: %d answers, %d light blocks", len(ev.Answers), len(ev.LightBlocks))
	}
	var resp tlv1.HistoryResponse
	if err := resp.Unmarshal(ev.Answers[0].Value); err != nil {
		t.Fatal(err)
	}
	vh, err := proof.VerifyHistory(a.Canonical, tlv1.HeadKey(a.Canonical), &resp)
	if err != nil || len(vh.Records) != len(a.Records) {
		t.Fatalf("the node's answer does not verify offline: %v", err)
	}
	lb := lightBlock(t, ev.LightBlocks[0])
	if lb.Height != resp.Roots.Height+1 {
		t.Fatalf("light block %d for state height %d", lb.Height, resp.Roots.Height)
	}
	if err := prooflight.VerifyRootsInHeader(resp.Roots, lb.SignedHeader); err != nil {
		t.Fatalf("roots not in the header: %v", err)
	}
	root, err := prooflight.GenesisTrustRoot(fx.doc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(lb.ValidatorSet.Hash(), types.NewValidatorSet(root.GenesisValidators.Validators).Hash()) {
		t.Fatal("the light block is not signed by the genesis validator set")
	}
	if err := lb.ValidatorSet.VerifyCommitLight(fx.doc.ChainID, lb.Commit.BlockID, lb.Height, lb.Commit); err != nil {
		t.Fatalf("commit signatures: %v", err)
	}
	// The view agrees with the bytes.
	for i, r := range a.Records {
		if r.Index != vh.Records[i].Index || !bytes.Equal(r.Bytes, vh.Records[i].Bytes) || len(r.Inclusion) != len(resp.Records[i].Inclusion.Hashes) {
			t.Fatalf("record view %d differs from the node's answer", i)
		}
	}
}

// lightBlock decodes a light block of the evidence.
func lightBlock(t *testing.T, raw json.RawMessage) *types.LightBlock {
	t.Helper()
	var lb types.LightBlock
	if err := cmtjson.Unmarshal(raw, &lb); err != nil {
		t.Fatalf("light block: %v", err)
	}
	if err := lb.ValidateBasic(fx.doc.ChainID); err != nil {
		t.Fatalf("light block: %v", err)
	}
	return &lb
}

// TestReadAnswers checks what the answers say.
func TestReadAnswers(t *testing.T) {
	ts, _ := apiServer(t, fx.url, api.Options{})
	var st api.StatusView
	h, _ := get(t, ts.URL+"/v1/status").answer(t, &st)
	if st.ChainID != fx.doc.ChainID || st.State.Height != h || st.HeaderHeight != h+1 || st.State.LogSize == 0 {
		t.Fatalf("status: %+v at %d", st, h)
	}
	var rec api.RecordAnswer
	get(t, ts.URL+"/v1/records/0").answer(t, &rec)
	if rec.Record.Index != 0 || len(rec.Record.Bytes) == 0 || rec.Record.Kind == "" || len(rec.Record.Record) == 0 {
		t.Fatalf("record 0: %+v", rec.Record)
	}
	var pa api.ParticipantAnswer
	get(t, ts.URL+"/v1/participants/farm").answer(t, &pa)
	if !strings.Contains(string(pa.Participant), `"farm"`) || len(pa.Keys) != 1 || len(pa.Proofs) != 2 {
		t.Fatalf("participant: %+v", pa)
	}
	var aa api.AttestationAnswer
	get(t, ts.URL+"/v1/attestations/"+seg(attID)).answer(t, &aa)
	if aa.ID != attID || !strings.Contains(string(aa.Attestation), "GAP-1") {
		t.Fatalf("attestation: %+v", aa)
	}
	for _, tc := range []struct {
		at    time.Time
		valid bool
	}{{time.Now().Add(time.Hour), true}, {time.Now().Add(-72 * time.Hour), false}, {time.Now().Add(72 * time.Hour), false}} {
		var va api.ValidityAnswer
		get(t, ts.URL+"/v1/attestations/"+seg(attID)+"?valid_at="+strconv.FormatInt(tc.at.UnixMilli(), 10)).answer(t, &va)
		if va.Valid != tc.valid || va.Issued == nil || len(va.Histories) != 2 || (!tc.valid && len(va.Failures) == 0) {
			t.Fatalf("valid at %v: %+v", tc.at, va)
		}
	}
	var vs api.ValidatorsAnswer
	get(t, ts.URL+"/v1/validators").answer(t, &vs)
	if len(vs.Departments) != 1 || vs.TotalPower <= 0 || vs.QuorumDenominator == 0 {
		t.Fatalf("validators: %+v", vs)
	}
	var pr api.ProposalAnswer
	get(t, ts.URL+"/v1/proposals/1").answer(t, &pr)
	if len(pr.Votes) != 1 || string(pr.Votes[0]) == "null" || !strings.Contains(string(pr.Proposal), "lab") {
		t.Fatalf("proposal 1: %s %s", pr.Proposal, pr.Votes)
	}
	var rc api.RecallAnswer
	get(t, ts.URL+"/v1/recalls/"+recallID).answer(t, &rc)
	if rc.ID != recallID || !strings.Contains(string(rc.Recall), "APILOT2") {
		t.Fatalf("recall: %s", rc.Recall)
	}
	var ca api.CreditAnswer
	get(t, ts.URL+"/v1/credit/farm").answer(t, &ca)
	if !strings.Contains(string(ca.Enterprise), `"farm"`) || len(ca.Certifications) != 1 || len(ca.Recalls) != 1 {
		t.Fatalf("credit: %d certifications: %s", len(ca.Certifications), ca.Enterprise)
	}
	var tr api.TraceAnswer
	_, ev := get(t, ts.URL+"/v1/trace/back/"+seg(lotDL)).answer(t, &tr)
	if tr.Graph.Root == "" || len(tr.Graph.Nodes) == 0 || tr.Links == nil || len(tr.Links.Missing) != 7 || len(ev.Answers) < 2 {
		t.Fatalf("trace back: %+v (%d answers)", tr, len(ev.Answers))
	}
}

// TestBundleVerifiesOffline: the bundle download is the document
// `traceledger verify` checks.
func TestBundleVerifiesOffline(t *testing.T) {
	ts, _ := apiServer(t, fx.url, api.Options{})
	r := get(t, ts.URL+"/v1/bundles/"+seg(lotDL)+"?value="+seg(tlv1.RecallKey(lotEPC)))
	if r.status != 200 || !strings.Contains(r.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("bundle: %d %s", r.status, r.body)
	}
	b, err := bundle.Decode(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	root, err := prooflight.GenesisTrustRoot(fx.doc)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := bundle.Verify(b, root, prooflight.HeaderOptions{Now: time.Now()})
	if err != nil || !rep.HasHistory || len(rep.Records) != fx.events+1 {
		t.Fatalf("bundle does not verify: %v", err)
	}
	if r.header.Get("X-TraceLedger-Height") != strconv.FormatInt(b.State.Height, 10) {
		t.Fatalf("height header %q, bundle at %d", r.header.Get("X-TraceLedger-Height"), b.State.Height)
	}
}

// TestConsistency: a checkpoint of the verified status is a prefix of the
// current log; a checkpoint the chain never had is refused (409) and not
// counted as a node's failure.
func TestConsistency(t *testing.T) {
	ts, s := apiServer(t, fx.url, api.Options{})
	var st api.StatusView
	get(t, ts.URL+"/v1/status").answer(t, &st)
	q := func(logRoot []byte) string {
		return fmt.Sprintf("%s/v1/consistency?size=%d&log_root=%x&records_root=%x", ts.URL, st.State.LogSize, logRoot, []byte(st.State.RecordsRoot))
	}
	var ca api.ConsistencyAnswer
	get(t, q(st.State.LogRoot)).answer(t, &ca)
	if ca.Old.LogSize != st.State.LogSize || ca.New.LogSize < st.State.LogSize || ca.LogProof.Size1 != st.State.LogSize {
		t.Fatalf("consistency: %+v", ca)
	}
	if st.State.LogSize > 0 {
		// A forged checkpoint (only when the log grew: equal sizes have
		// nothing to prove between them but the roots).
		r := get(t, q(bytes.Repeat([]byte{7}, 32)))
		if r.status != http.StatusConflict && ca.New.LogSize > st.State.LogSize {
			t.Fatalf("forged checkpoint: %d %s", r.status, r.body)
		}
		if r.status == http.StatusConflict {
			if p := r.problem(t); tlv1.Code(p.Code) != tlv1.CodeAPINotVerified || p.Field != "log_root" {
				t.Fatalf("forged checkpoint: %+v", p)
			}
		}
	}
	if s.VerificationFailures() != 0 {
		t.Fatal("a client's bad checkpoint was counted as a node's failure")
	}
}

// TestCaching: answers at an explicit height are immutable (ETag and
// Cache-Control immutable, 304 on If-None-Match without asking the node);
// answers at the latest height get a short max-age; errors are no-store.
func TestCaching(t *testing.T) {
	ts, srv := apiServer(t, fx.url, api.Options{LatestMaxAge: 2 * time.Second})
	path := "/v1/history/" + seg(lotEPC)
	latest := get(t, ts.URL+path)
	h, _ := latest.answer(t, nil)
	if cc := latest.header.Get("Cache-Control"); cc != "public, max-age=2" || latest.header.Get("ETag") == "" {
		t.Fatalf("latest: Cache-Control %q ETag %q", cc, latest.header.Get("ETag"))
	}
	// The node keeps two heights and makes a block every ~100 ms: ask
	// at the height just answered until it is still there.
	var pinned reply
	for i := 0; ; i++ {
		pinned = get(t, fmt.Sprintf("%s%s?height=%d", ts.URL, path, h))
		if pinned.status == 200 || i == 20 {
			break
		}
		h, _ = get(t, ts.URL+path).answer(t, nil)
	}
	ph, _ := pinned.answer(t, nil)
	if ph != h || pinned.header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Fatalf("pinned at %d: height %d, Cache-Control %q", h, ph, pinned.header.Get("Cache-Control"))
	}
	tag := pinned.header.Get("ETag")
	// The same answer through another spelling has the same tag.
	if other := get(t, fmt.Sprintf("%s/v1/history/%s?height=%d", ts.URL, seg(lotDL), h)); other.status == 200 && other.header.Get("ETag") != tag {
		t.Fatalf("two spellings, two ETags: %q %q", tag, other.header.Get("ETag"))
	}
	// 304 long after the node dropped that height.
	time.Sleep(500 * time.Millisecond)
	nm := do(t, http.MethodGet, fmt.Sprintf("%s%s?height=%d", ts.URL, path, h), nil, map[string]string{"If-None-Match": tag})
	if nm.status != http.StatusNotModified || len(nm.body) != 0 || nm.header.Get("ETag") != tag {
		t.Fatalf("If-None-Match: %d %q", nm.status, nm.header.Get("ETag"))
	}
	other := do(t, http.MethodGet, fmt.Sprintf("%s/v1/history/%s?height=%d", ts.URL, seg(unknownLot), h), nil, map[string]string{"If-None-Match": tag})
	if other.status == http.StatusNotModified {
		t.Fatal("another identifier's answer matched the tag")
	}
	if bad := get(t, ts.URL+"/v1/records/abc"); bad.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("an error is cached: %q", bad.header.Get("Cache-Control"))
	}
	m := metricsText(t, srv)
	for _, want := range []string{"traceledger_api_not_modified_total 1", `traceledger_api_requests_total{code="304",route="GET /v1/history/{identifier}"} 1`,
		`traceledger_api_requests_total{code="400",route="GET /v1/records/{index}"} 1`, "traceledger_api_node_up 1"} {
		if !strings.Contains(m, want) {
			t.Fatalf("metrics lack %q:\n%s", want, m)
		}
	}
}

// TestLyingNode: in front of a node whose query answers are altered in
// flight, the API serves none of them (502, code answer_not_verified) and
// counts every refusal.
func TestLyingNode(t *testing.T) {
	alters := []struct {
		name  string
		alter func([]byte)
	}{
		{"first byte", func(b []byte) { b[0] ^= 1 }},
		{"last byte", func(b []byte) { b[len(b)-1] ^= 1 }},
		{"middle byte", func(b []byte) { b[len(b)/2] ^= 0x10 }},
	}
	paths := []string{
		"/v1/status",
		"/v1/records/1",
		"/v1/history/" + seg(lotEPC),
		"/v1/history/" + seg(lotEPC) + "?offset=1&limit=2",
		"/v1/values/" + seg(tlv1.ParticipantKey("farm")),
		"/v1/participants/farm",
		"/v1/attestations/" + seg(attID),
		"/v1/credit/farm",
		"/v1/trace/back/" + seg(lotEPC),
		"/v1/history/" + seg(unknownLot),
	}
	for _, a := range alters {
		t.Run(a.name, func(t *testing.T) {
			ts, s := apiServer(t, tamperingProxy(t, fx.url, a.alter), api.Options{})
			refused := uint64(0)
			for _, p := range paths {
				r := get(t, ts.URL+p)
				if p == "/v1/status" && r.status == http.StatusOK {
					// Only the status's map_size is outside every proof
					// (the last byte): it is neither served nor passed on.
					_, ev := r.answer(t, nil)
					var st tlv1.StatusResponse
					if err := st.Unmarshal(ev.Answers[0].Value); err != nil || st.MapSize != 0 || bytes.Contains(r.body, []byte("map_size")) {
						t.Fatalf("the unproven map_size reached the answer: %v %s", err, r.body)
					}
					continue
				}
				if r.status != http.StatusBadGateway {
					t.Fatalf("%s: a lying node's answer was served: %d %s", p, r.status, r.body)
				}
				refused++
				if pr := r.problem(t); tlv1.Code(pr.Code) != tlv1.CodeAPINotVerified || pr.Evidence != nil {
					t.Fatalf("%s: %+v", p, pr)
				}
				if got := s.VerificationFailures(); got != refused {
					t.Fatalf("%s: %d failures counted after %d refusals", p, got, refused)
				}
			}
			if refused < uint64(len(paths)-1) {
				t.Fatalf("only %d of %d answers refused", refused, len(paths))
			}
			if m := metricsText(t, s); !strings.Contains(m, fmt.Sprintf("traceledger_api_verification_failures_total %d", refused)) || !strings.Contains(m, "traceledger_api_node_up 0") {
				t.Fatalf("metrics do not show the refusals:\n%s", m)
			}
			if st, rz := get(t, ts.URL+"/v1/status"), get(t, ts.URL+"/readyz"); st.status != rz.status {
				t.Fatalf("ready %d in front of a node whose status is %d", rz.status, st.status)
			}
		})
	}
}

// TestUnreachableNode: no node, 503 with node_unavailable; healthz still
// answers, readyz does not.
func TestUnreachableNode(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	ts, _ := apiServer(t, dead, api.Options{})
	for _, p := range []string{"/v1/status", "/v1/history/" + seg(lotEPC), "/readyz"} {
		r := get(t, ts.URL+p)
		if r.status != http.StatusServiceUnavailable {
			t.Fatalf("%s: %d %s", p, r.status, r.body)
		}
		if pr := r.problem(t); tlv1.Code(pr.Code) != tlv1.CodeAPINodeUnavailable {
			t.Fatalf("%s: %+v", p, pr)
		}
	}
	if r := get(t, ts.URL+"/healthz"); r.status != 200 {
		t.Fatalf("healthz: %d", r.status)
	}
	if r := get(t, ts.URL+"/v1/history/"+seg("x y")); r.status != 400 {
		t.Fatalf("input is checked before the node is asked: %d", r.status)
	}
}

// TestMethodsAndCORS: a wrong method is 405 naming the right one; reads
// answer any origin and their preflight.
func TestMethodsAndCORS(t *testing.T) {
	ts, _ := apiServer(t, fx.url, api.Options{})
	r := do(t, http.MethodPost, ts.URL+"/v1/status", []byte("{}"), nil)
	if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "GET" {
		t.Fatalf("POST /v1/status: %d %q", r.status, r.header.Get("Allow"))
	}
	if p := r.problem(t); tlv1.Code(p.Code) != tlv1.CodeInvalidQuery {
		t.Fatalf("405: %+v", p)
	}
	g := do(t, http.MethodGet, ts.URL+"/v1/status", nil, map[string]string{"Origin": "https://portal.example"})
	if g.status != 200 || g.header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(g.header.Get("Access-Control-Expose-Headers"), "ETag") {
		t.Fatalf("CORS read: %d %v", g.status, g.header)
	}
	pf := do(t, http.MethodOptions, ts.URL+"/v1/history/"+seg(lotEPC), nil, map[string]string{"Origin": "https://portal.example", "Access-Control-Request-Method": "GET"})
	if pf.status != http.StatusNoContent || !strings.Contains(pf.header.Get("Access-Control-Allow-Methods"), "GET") {
		t.Fatalf("preflight: %d %v", pf.status, pf.header)
	}
	sub := do(t, http.MethodPost, ts.URL+"/v1/txs", []byte(`{"tx":""}`), map[string]string{"Origin": "https://portal.example"})
	if sub.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("a submission answered a foreign origin")
	}
}

// TestHealthAndLimits: readiness, the time limit and graceful shutdown.
func TestHealthAndLimits(t *testing.T) {
	ts, _ := apiServer(t, fx.url, api.Options{})
	for _, p := range []string{"/healthz", "/readyz"} {
		if r := get(t, ts.URL+p); r.status != 200 {
			t.Fatalf("%s: %d %s", p, r.status, r.body)
		}
	}
	slow, _ := apiServer(t, fx.url, api.Options{Timeout: time.Millisecond})
	r := get(t, slow.URL+"/v1/history/"+seg(lotEPC))
	if r.status != http.StatusGatewayTimeout {
		t.Fatalf("time limit: %d %s", r.status, r.body)
	}
	if p := r.problem(t); tlv1.Code(p.Code) != tlv1.CodeAPITimeout {
		t.Fatalf("time limit: %+v", p)
	}

	c, err := client.New(fx.url, fx.doc)
	if err != nil {
		t.Fatal(err)
	}
	srv := api.New(c, api.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	if r := get(t, "http://"+ln.Addr().String()+"/healthz"); r.status != 200 {
		t.Fatalf("served healthz: %d", r.status)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(api.ShutdownGrace + 5*time.Second):
		t.Fatal("no graceful shutdown")
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
		t.Fatal("still serving after shutdown")
	}
}

// farmSequence reads the farm key's next sequence through the API.
func farmSequence(t *testing.T, base string) uint64 {
	t.Helper()
	id := client.Signer{Key: fx.farmKey}.KeyID()
	var va api.ValueAnswer
	get(t, base+"/v1/values/"+seg(tlv1.KeyKey(id))).answer(t, &va)
	var k tlv1.Key
	if err := k.Unmarshal(va.Entry.Value); err != nil {
		t.Fatal(err)
	}
	return k.Sequence
}

// logSize reads the verified log size through the API.
func logSize(t *testing.T, base string) uint64 {
	t.Helper()
	var st api.StatusView
	get(t, base+"/v1/status").answer(t, &st)
	return st.State.LogSize
}

// TestSubmit: a signed transaction goes on the ledger through the API and
// its records can be read back; refusals are problem documents with the
// stable code and the refusal's facts, and change nothing.
func TestSubmit(t *testing.T) {
	ts, _ := apiServer(t, fx.url, api.Options{MaxBodyBytes: 64 << 10})
	post := func(body []byte, query string) reply {
		return do(t, http.MethodPost, ts.URL+"/v1/txs"+query, body, map[string]string{"Content-Type": "application/json"})
	}
	txJSON := func(tx []byte) []byte {
		b, _ := json.Marshal(map[string]string{"tx": base64.StdEncoding.EncodeToString(tx)})
		return b
	}
	signer := client.Signer{Key: fx.farmKey}
	seq := farmSequence(t, ts.URL)
	tx, err := client.BuildTx(fx.doc.ChainID, signer, seq, eventMsg(lotEPC, 100))
	if err != nil {
		t.Fatal(err)
	}
	r := post(txJSON(tx), "?wait=commit")
	var ans api.TxAnswer
	if r.status != 200 || json.Unmarshal(r.body, &ans) != nil || !ans.Committed || len(ans.LogIndexes) != 1 || ans.Hash == "" {
		t.Fatalf("submit: %d %s", r.status, r.body)
	}
	fx.events++
	var rec api.RecordAnswer
	get(t, fmt.Sprintf("%s/v1/records/%d", ts.URL, ans.LogIndexes[0])).answer(t, &rec)
	if rec.Record.Index != ans.LogIndexes[0] {
		t.Fatalf("record %d read back as %d", ans.LogIndexes[0], rec.Record.Index)
	}

	// Refusals: nothing changes on the ledger.
	size := logSize(t, ts.URL)
	next := farmSequence(t, ts.URL)
	badSig, _ := client.BuildTx(fx.doc.ChainID, signer, next, eventMsg(lotEPC, 101))
	var txm tlv1.Tx
	if err := txm.Unmarshal(badSig); err != nil {
		t.Fatal(err)
	}
	txm.Signature[0] ^= 1
	badSig, _ = txm.Marshal()
	replay, _ := client.BuildTx(fx.doc.ChainID, signer, seq, eventMsg(lotEPC, 102))
	wrongChain, _ := client.BuildTx("another-chain", signer, next, eventMsg(lotEPC, 103))
	cases := []struct {
		name   string
		body   []byte
		query  string
		status int
		code   tlv1.Code
		field  string
		facts  func(*api.RejectionView) bool
	}{
		{"bad signature", txJSON(badSig), "", 422, tlv1.CodeBadSignature, "tx", nil},
		{"replayed sequence", txJSON(replay), "?wait=commit", 422, tlv1.CodeSequenceReplayed, "tx",
			func(rv *api.RejectionView) bool {
				return rv != nil && rv.NextSequence != nil && *rv.NextSequence == next
			}},
		{"wrong chain", txJSON(wrongChain), "", 422, tlv1.CodeWrongChainID, "tx", nil},
		{"not JSON", []byte("tx=1"), "", 400, tlv1.CodeTxDecode, "tx", nil},
		{"unknown member", []byte(`{"tx":"AA==","x":1}`), "", 400, tlv1.CodeTxDecode, "tx", nil},
		{"not base64", []byte(`{"tx":"%%%"}`), "", 400, tlv1.CodeTxDecode, "tx", nil},
		{"empty", []byte(`{"tx":""}`), "", 400, tlv1.CodeEmptyTx, "tx", nil},
		{"not a tx", txJSON([]byte{0xff, 0xff, 0xff}), "", 400, tlv1.CodeTxDecode, "tx", nil},
		{"bad wait", txJSON(tx), "?wait=forever", 400, tlv1.CodeInvalidQuery, "wait", nil},
		{"too large", txJSON(bytes.Repeat([]byte{1}, 100<<10)), "", 413, tlv1.CodeAPIRequestTooLarge, "tx", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := post(tc.body, tc.query)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			p := r.problem(t)
			if tlv1.Code(p.Code) != tc.code || p.Field != tc.field {
				t.Fatalf("code %d (%s) field %q, want %d (%s): %s", p.Code, p.Name, p.Field, uint32(tc.code), tc.code, r.body)
			}
			if tc.status == 422 && (p.Stage != "check" || p.Rejection == nil || tlv1.Code(p.Rejection.Code) != tc.code) {
				t.Fatalf("refusal without its facts: %s", r.body)
			}
			if tc.facts != nil && !tc.facts(p.Rejection) {
				t.Fatalf("refusal facts: %s", r.body)
			}
		})
	}
	if got := logSize(t, ts.URL); got != size {
		t.Fatalf("refused transactions changed the log: %d -> %d", size, got)
	}
	if got := farmSequence(t, ts.URL); got != next {
		t.Fatalf("refused transactions moved the sequence: %d -> %d", next, got)
	}
	if r := do(t, http.MethodGet, ts.URL+"/v1/txs", nil, nil); r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "POST" {
		t.Fatalf("GET /v1/txs: %d %q", r.status, r.header.Get("Allow"))
	}

}

// metricsText scrapes the server's metrics.
func metricsText(t *testing.T, s *api.Server) string {
	t.Helper()
	rec := httptest.NewRecorder()
	s.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("metrics: %d", rec.Code)
	}
	return rec.Body.String()
}
