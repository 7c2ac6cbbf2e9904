// SPDX-License-Identifier: Apache-2.0

package traceledgerv1

import (
	"reflect"
	"testing"
)

// TestProposalKindsCoverTheOneof: every wrapper type of ProposalChange's
// oneof has exactly one kind, with a distinct name, and empty changes have
// none.
func TestProposalKindsCoverTheOneof(t *testing.T) {
	wrappers := (&ProposalChange{}).XXX_OneofWrappers()
	if len(wrappers) != len(proposalKinds) {
		t.Fatalf("ProposalChange has %d kinds in its oneof, the table %d", len(wrappers), len(proposalKinds))
	}
	names := map[string]bool{}
	for _, w := range wrappers {
		ch := &ProposalChange{Change: reflect.New(reflect.TypeOf(w).Elem()).Interface().(isProposalChange_Change)}
		k, ok := ProposalKindOf(ch)
		if !ok {
			t.Errorf("%T has no kind", w)
			continue
		}
		if names[k.Name] {
			t.Errorf("two kinds are named %s", k.Name)
		}
		names[k.Name] = true
		if DescribeChange(ch) == "unknown change" {
			t.Errorf("%s has no description", k.Name)
		}
	}
	if _, ok := ProposalKindOf(&ProposalChange{}); ok {
		t.Error("an empty change has a kind")
	}
	if got := DescribeChange(&ProposalChange{Change: &ProposalChange_SetQuorum{SetQuorum: &SetQuorum{Numerator: 3, Denominator: 4}}}); got != "set the quorum to 3/4" {
		t.Errorf("describe set_quorum = %q", got)
	}
}
