// SPDX-License-Identifier: Apache-2.0

package api_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/traceledger/traceledger/api"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// TestLists: /v1/participants pages proven entries and says the list is
// not proven complete; /v1/proposals is proven complete against the
// proposal count; bad parameters are 400; a lying node is refused.
func TestLists(t *testing.T) {
	ts, s := apiServer(t, fx.url, api.Options{})
	var ids []string
	next := "/v1/participants?limit=1"
	for next != "" && len(ids) < 10 {
		var a api.ParticipantsAnswer
		get(t, ts.URL+next).answer(t, &a)
		if a.Complete || len(a.Participants) != len(a.Entries) || len(a.Participants) > 1 {
			t.Fatalf("participants page: %+v", a)
		}
		for _, p := range a.Participants {
			var v struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(p, &v); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, v.ID)
		}
		next = a.Next
	}
	if len(ids) != 3 || ids[0] != "agri" || ids[1] != "farm" || ids[2] != "lab" {
		t.Fatalf("participants %v", ids)
	}
	var certs api.ParticipantsAnswer
	get(t, ts.URL+"/v1/participants?role=certifier").answer(t, &certs)
	if len(certs.Participants) != 1 {
		t.Fatalf("certifiers: %s", certs.Participants)
	}
	var props api.ProposalsAnswer
	get(t, ts.URL+"/v1/proposals").answer(t, &props)
	if !props.Complete || props.Count != 1 || len(props.Proposals) != 1 || props.Next != "" {
		t.Fatalf("proposals: %+v", props)
	}
	var after api.ProposalsAnswer
	get(t, ts.URL+"/v1/proposals?after=1").answer(t, &after)
	if len(after.Proposals) != 0 || after.Count != 1 {
		t.Fatalf("proposals after the last: %+v", after)
	}
	for _, p := range []string{"/v1/participants?role=king", "/v1/participants?limit=0", "/v1/participants?limit=501", "/v1/proposals?after=x", "/v1/proposals?limit=-1"} {
		r := get(t, ts.URL+p)
		if pr := r.problem(t); r.status != http.StatusBadRequest || tlv1.Code(pr.Code) != tlv1.CodeInvalidQuery {
			t.Fatalf("%s: %d %s", p, r.status, r.body)
		}
	}
	if n := s.VerificationFailures(); n != 0 {
		t.Fatalf("%d verification failures", n)
	}
	lying, ls := apiServer(t, tamperingProxy(t, fx.url, func(b []byte) { b[len(b)/2] ^= 0x10 }), api.Options{})
	for i, p := range []string{"/v1/participants", "/v1/proposals"} {
		if r := get(t, lying.URL+p); r.status != http.StatusBadGateway || ls.VerificationFailures() != uint64(i+1) {
			t.Fatalf("%s from a lying node: %d %s", p, r.status, r.body)
		}
	}
}
