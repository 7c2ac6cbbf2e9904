// SPDX-License-Identifier: Apache-2.0

package traceledgerv1

import (
	"fmt"
	"reflect"
	"strings"
	"time"
)

// ProposalKind is one kind of governance change a proposal can carry: its
// stable name (in messages, records and the CLI) and its one-line
// description. The state machine keys its validate and apply steps by the
// name (app/governance_proposals.go), and a test there checks that every
// kind here has them, so a new kind is added in this table, its proto
// field, and one entry of the app's table.
type ProposalKind struct {
	// Name is the stable name, e.g. "add_department".
	Name string
	// sample is a nil value of the ProposalChange oneof wrapper this kind
	// is.
	sample any
	// describe summarises a change of this kind in one line.
	describe func(*ProposalChange) string
}

// proposalKinds is the one table of the kinds.
var proposalKinds = []ProposalKind{
	{"add_department", (*ProposalChange_AddDepartment)(nil), func(ch *ProposalChange) string {
		d := ch.GetAddDepartment()
		return fmt.Sprintf("add department %s (%s) with power %d", d.GetId(), d.GetName(), d.GetPower())
	}},
	{"remove_department", (*ProposalChange_RemoveDepartment)(nil), func(ch *ProposalChange) string {
		d := ch.GetRemoveDepartment()
		return fmt.Sprintf("remove department %s (successor %s)", d.GetDepartment(), d.GetSuccessor())
	}},
	{"set_validator_power", (*ProposalChange_SetValidatorPower)(nil), func(ch *ProposalChange) string {
		s := ch.GetSetValidatorPower()
		return fmt.Sprintf("set the power of %s to %d", s.GetDepartment(), s.GetPower())
	}},
	{"set_quorum", (*ProposalChange_SetQuorum)(nil), func(ch *ProposalChange) string {
		q := ch.GetSetQuorum()
		return fmt.Sprintf("set the quorum to %d/%d", q.GetNumerator(), q.GetDenominator())
	}},
	{"accredit_certifier", (*ProposalChange_AccreditCertifier)(nil), func(ch *ProposalChange) string {
		a := ch.GetAccreditCertifier()
		return fmt.Sprintf("accredit %s for %s (%s, %s to %s)", a.GetCertifier(), strings.Join(a.GetSchemes(), ","), a.GetAccreditationNumber(),
			rfc3339Ms(a.GetValidFromMs()), rfc3339Ms(a.GetValidUntilMs()))
	}},
	{"suspend_accreditation", (*ProposalChange_SuspendAccreditation)(nil), func(ch *ProposalChange) string {
		a := ch.GetSuspendAccreditation()
		return fmt.Sprintf("suspend the accreditation of %s: %s", a.GetCertifier(), a.GetReason())
	}},
	{"withdraw_accreditation", (*ProposalChange_WithdrawAccreditation)(nil), func(ch *ProposalChange) string {
		a := ch.GetWithdrawAccreditation()
		return fmt.Sprintf("withdraw the accreditation of %s: %s", a.GetCertifier(), a.GetReason())
	}},
	{"schedule_upgrade", (*ProposalChange_ScheduleUpgrade)(nil), func(ch *ProposalChange) string {
		u := ch.GetScheduleUpgrade()
		return fmt.Sprintf("upgrade %s at height %d to version %s (sha256 %x)", u.GetName(), u.GetHeight(), u.GetVersion(), u.GetBinarySha256())
	}},
}

// ProposalKinds returns every proposal kind, in table order.
func ProposalKinds() []ProposalKind { return append([]ProposalKind(nil), proposalKinds...) }

// ProposalKindOf returns the kind of ch; ok is false for an empty change or
// a kind this version does not know.
func ProposalKindOf(ch *ProposalChange) (ProposalKind, bool) {
	if ch == nil || ch.Change == nil {
		return ProposalKind{}, false
	}
	t := reflect.TypeOf(ch.Change)
	for _, k := range proposalKinds {
		if reflect.TypeOf(k.sample) == t {
			return k, true
		}
	}
	return ProposalKind{}, false
}

// ProposalKindName is the stable name of ch's kind, or "unknown".
func ProposalKindName(ch *ProposalChange) string {
	if k, ok := ProposalKindOf(ch); ok {
		return k.Name
	}
	return "unknown"
}

// DescribeChange is a one-line summary of a change, e.g. "set the quorum
// to 3/4".
func DescribeChange(ch *ProposalChange) string {
	if k, ok := ProposalKindOf(ch); ok {
		return k.describe(ch)
	}
	return "unknown change"
}

func rfc3339Ms(ms int64) string {
	if ms == 0 {
		return ""
	}
	return time.UnixMilli(ms).UTC().Format(time.RFC3339)
}
