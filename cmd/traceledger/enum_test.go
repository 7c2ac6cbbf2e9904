// SPDX-License-Identifier: Apache-2.0

package main

import (
	"strings"
	"testing"

	"github.com/traceledger/traceledger/epcis"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// enumCase is one spelling given to a flag and the value it must parse
// to, or ok false for a spelling the flag refuses.
type enumCase[T comparable] struct {
	in   string
	want T
	ok   bool
}

func checkEnum[T comparable](t *testing.T, e enum[T], flag string, cases []enumCase[T]) {
	t.Helper()
	for _, c := range cases {
		got, err := e.parse(flag, c.in)
		switch {
		case c.ok && (err != nil || got != c.want):
			t.Errorf("%s %q: %v, %v; want %v", flag, c.in, got, err, c.want)
		case !c.ok && err == nil:
			t.Errorf("%s %q: accepted as %v, want an error", flag, c.in, got)
		case !c.ok && !strings.Contains(err.Error(), flag+" must be "+e.list()+", not "):
			t.Errorf("%s %q: error %q does not list the names", flag, c.in, err)
		}
	}
}

// TestEnumParse: every enumerated flag accepts its names (in any case, a
// dash for an underscore) and its aliases, and refuses the zero value's
// name and anything else with an error that lists the names.
func TestEnumParse(t *testing.T) {
	checkEnum(t, roles, "--role", []enumCase[tlv1.Role]{
		{"department", tlv1.ROLE_DEPARTMENT, true}, {"enterprise", tlv1.ROLE_ENTERPRISE, true},
		{"Certifier", tlv1.ROLE_CERTIFIER, true}, {"auditor", tlv1.ROLE_AUDITOR, true},
		{"unspecified", 0, false}, {"", 0, false}, {"farmer", 0, false}, {"ROLE_AUDITOR", 0, false},
	})
	checkEnum(t, proposalStatuses, "--status", []enumCase[tlv1.ProposalStatus]{
		{"open", tlv1.PROPOSAL_STATUS_OPEN, true}, {"execution-failed", tlv1.PROPOSAL_STATUS_EXECUTION_FAILED, true},
		{"execution_failed", tlv1.PROPOSAL_STATUS_EXECUTION_FAILED, true}, {"closed", 0, false},
	})
	checkEnum(t, attestationStatuses, "--to", []enumCase[tlv1.AttestationStatus]{
		{"suspended", tlv1.ATTESTATION_STATUS_SUSPENDED, true}, {"expired", 0, false},
	})
	checkEnum(t, complaintCategories, "--category", []enumCase[tlv1.ComplaintCategory]{
		{"labelling", tlv1.COMPLAINT_CATEGORY_LABELLING, true}, {"labeling", 0, false},
	})
	checkEnum(t, recallLevels, "--level", []enumCase[tlv1.RecallLevel]{
		{"1", tlv1.RECALL_LEVEL_1, true}, {"3", tlv1.RECALL_LEVEL_3, true}, {"0", 0, false}, {"4", 0, false},
	})
	checkEnum(t, voteOptions, "the vote", []enumCase[tlv1.VoteOption]{
		{"yes", tlv1.VOTE_OPTION_YES, true}, {"Y", tlv1.VOTE_OPTION_YES, true}, {"no", tlv1.VOTE_OPTION_NO, true},
		{"n", tlv1.VOTE_OPTION_NO, true}, {"abstain", 0, false},
	})
	checkEnum(t, documentFormats, "--format", []enumCase[epcis.Format]{
		{"", epcis.FormatAuto, true}, {"auto", epcis.FormatAuto, true}, {"jsonld", epcis.FormatJSON, true},
		{"json-ld", epcis.FormatJSON, true}, {"xml", epcis.FormatXML, true}, {"csv", 0, false},
	})
	if st, err := participantStatuses.filter("--status", ""); err != nil || st != tlv1.PARTICIPANT_STATUS_UNSPECIFIED {
		t.Errorf("an unset filter: %v %v", st, err)
	}
}

// TestEnumNames: the lists in help and errors, and the names printed,
// including a value without an entry.
func TestEnumNames(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{roles.list(), "department, enterprise, certifier or auditor"},
		{participantStatuses.list(), "active, suspended or removed"},
		{proposalStatuses.list(), "open, passed, failed, expired, executed or execution-failed"},
		{complaintCategories.list(), "quality, safety, labelling, fraud, service or other"},
		{proposalStatuses.name(tlv1.PROPOSAL_STATUS_EXECUTION_FAILED), "execution_failed"},
		{attestationStatuses.name(tlv1.ATTESTATION_STATUS_UNSPECIFIED), "unspecified"},
		{roles.name(tlv1.Role(99)), "99"},
		{keyActions.name(tlv1.KEY_ACTION_REVOKED), "revoked"},
		{voteOptions.name(tlv1.VOTE_OPTION_NO), "no"},
		{orList([]string{"text"}), "text"},
		{mustBe("--output", []string{"text", "json", "dot"}, "yaml").Error(), `--output must be text, json or dot, not "yaml"`},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
