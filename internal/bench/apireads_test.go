// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"strings"
	"testing"
)

func TestParseArm(t *testing.T) {
	for _, tc := range []struct {
		name  string
		kind  string
		load  bool
		pairs int
		bad   bool
	}{
		{name: "rpc", kind: ArmRPC, pairs: 1},
		{name: "api-pinned+load", kind: ArmAPIPinned, load: true, pairs: 1},
		{name: "api-pinned+2pairs", kind: ArmAPIPinned, pairs: 2},
		{name: "rpc-pinned+load+2pairs", kind: ArmRPCPinned, load: true, pairs: 2},
		{name: "api-follow+2pairs+load", kind: ArmAPIFollow, load: true, pairs: 2},
		{name: "api-pinned+before+load", kind: ArmAPIPinned, load: true, pairs: 1},
		{name: "rpc+before", bad: true},
		{name: "graphql", bad: true},
		{name: "+load", bad: true},
		{name: "api+3pairs", bad: true},
	} {
		kind, load, pairs, err := ParseArm(tc.name)
		if tc.bad {
			if err == nil {
				t.Errorf("%s: accepted", tc.name)
			}
			continue
		}
		if err != nil || kind != tc.kind || load != tc.load || pairs != tc.pairs {
			t.Errorf("%s: %q %t %d %v", tc.name, kind, load, pairs, err)
		}
	}
	// Every api arm's baseline is an rpc arm of the same shape.
	for _, tc := range [][2]string{
		{"api", "rpc"}, {"api-pinned", "rpc-pinned"}, {"api-follow", "rpc-pinned"},
		{"api+load", "rpc+load"}, {"api-pinned+2pairs", "rpc-pinned+2pairs"},
	} {
		kind, load, pairs, _ := ParseArm(tc[0])
		if got := baselineOf(kind, load, pairs); got != tc[1] {
			t.Errorf("baseline of %s: %s, want %s", tc[0], got, tc[1])
		}
	}
}

func TestParseMetrics(t *testing.T) {
	text := `# HELP traceledger_api_not_modified_total x
# TYPE traceledger_api_not_modified_total counter
traceledger_api_not_modified_total 1234
traceledger_api_requests_total{route="GET /v1/history/{identifier}",code="200"} 99
traceledger_api_verification_failures_total 0
`
	m, err := parseMetrics(strings.NewReader(text), "traceledger_api_not_modified_total", "traceledger_api_verification_failures_total")
	if err != nil || m["traceledger_api_not_modified_total"] != 1234 || m["traceledger_api_verification_failures_total"] != 0 {
		t.Fatalf("%v %v", m, err)
	}
	if _, err := parseMetrics(strings.NewReader(text), "traceledger_api_missing_total"); err == nil {
		t.Error("a missing metric was not reported")
	}
}

func TestEvaluateAPI(t *testing.T) {
	res := &APIResult{Arms: []ArmResult{
		{Name: ArmAPIPinned + SuffixLoad, Kind: ArmAPIPinned, Load: true, Reads: 10, PerSec: 2500, Latency: Latency{P99: 40}},
		{Name: ArmAPI + SuffixLoad, Kind: ArmAPI, Load: true, Reads: 10, PerSec: 2500, Latency: Latency{P99: 400}},
	}}
	ts := EvaluateAPI(res)
	if ts[0].Met == nil || *ts[0].Met { // latest: p99 too high
		t.Errorf("api+load: %+v", ts[0])
	}
	if ts[1].Met == nil || !*ts[1].Met {
		t.Errorf("api-pinned+load: %+v", ts[1])
	}
	if ts[2].Met != nil || ts[3].Met != nil {
		t.Errorf("unmeasured targets judged: %+v %+v", ts[2], ts[3])
	}
}
