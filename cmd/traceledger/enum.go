// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/traceledger/traceledger/epcis"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// enum is the one table of the names of an enumeration's values: the
// names a flag accepts and the names the output shows. Every enumerated
// flag parses with it and every enumerated value is printed with it.
type enum[T comparable] struct {
	// entries are the values a flag accepts, in the order errors list
	// them.
	entries []enumEntry[T]
	// aliases are further spellings a flag accepts (in normal form, see
	// normalName).
	aliases map[string]T
	// other names a value without an entry (such as a protobuf enum's
	// UNSPECIFIED); nil prints it with %v.
	other func(T) string
}

type enumEntry[T comparable] struct {
	name  string
	value T
}

// protoEnum is the table of a protobuf enum from its generated name map:
// a value's name is its proto name without prefix, lowercased
// (ROLE_CERTIFIER is "certifier", PROPOSAL_STATUS_EXECUTION_FAILED
// "execution_failed"). The zero value (…_UNSPECIFIED) is no value a flag
// accepts; it and unknown values print as their proto name would.
func protoEnum[T ~int32](prefix string, protoNames map[int32]string) enum[T] {
	name := func(v int32) string {
		n, ok := protoNames[v]
		if !ok {
			return strconv.Itoa(int(v))
		}
		return strings.ToLower(strings.TrimPrefix(n, prefix))
	}
	values := make([]int32, 0, len(protoNames))
	for v := range protoNames {
		if v != 0 {
			values = append(values, v)
		}
	}
	slices.Sort(values)
	var e enum[T]
	for _, v := range values {
		e.entries = append(e.entries, enumEntry[T]{name(v), T(v)})
	}
	e.other = func(v T) string { return name(int32(v)) }
	return e
}

// normalName is the form names are compared in: lower case, with a dash
// standing for an underscore (--status execution-failed).
func normalName(s string) string { return strings.ReplaceAll(strings.ToLower(s), "-", "_") }

// name is v's name.
func (e enum[T]) name(v T) string {
	for _, x := range e.entries {
		if x.value == v {
			return x.name
		}
	}
	if e.other != nil {
		return e.other(v)
	}
	return fmt.Sprint(v)
}

// names are the accepted names as a flag spells them (a dash for an
// underscore), in table order.
func (e enum[T]) names() []string {
	out := make([]string, len(e.entries))
	for i, x := range e.entries {
		out[i] = strings.ReplaceAll(x.name, "_", "-")
	}
	return out
}

// list is the accepted names for help text: "a, b or c".
func (e enum[T]) list() string { return orList(e.names()) }

// parse reads the value named s, given with flag; a name the table does
// not have is an error that lists the names it has.
func (e enum[T]) parse(flag, s string) (T, error) {
	n := normalName(s)
	for _, x := range e.entries {
		if x.name == n {
			return x.value, nil
		}
	}
	if v, ok := e.aliases[n]; ok {
		return v, nil
	}
	var zero T
	return zero, mustBe(flag, e.names(), s)
}

// filter is parse, except that the empty string is the zero value (a
// filter that is not set).
func (e enum[T]) filter(flag, s string) (T, error) {
	if s == "" {
		var zero T
		return zero, nil
	}
	return e.parse(flag, s)
}

// orList joins names as "a, b or c".
func orList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// mustBe is the error for a value of flag that is none of names.
func mustBe(flag string, names []string, got string) error {
	return fmt.Errorf("%s must be %s, not %q", flag, orList(names), got)
}

// The enumerations the commands parse and print.
var (
	roles                 = protoEnum[tlv1.Role]("ROLE_", tlv1.Role_name)
	participantStatuses   = protoEnum[tlv1.ParticipantStatus]("PARTICIPANT_STATUS_", tlv1.ParticipantStatus_name)
	departmentStatuses    = protoEnum[tlv1.DepartmentStatus]("DEPARTMENT_STATUS_", tlv1.DepartmentStatus_name)
	accreditationStatuses = protoEnum[tlv1.AccreditationStatus]("ACCREDITATION_STATUS_", tlv1.AccreditationStatus_name)
	proposalStatuses      = protoEnum[tlv1.ProposalStatus]("PROPOSAL_STATUS_", tlv1.ProposalStatus_name)
	keyActions            = protoEnum[tlv1.KeyAction]("KEY_ACTION_", tlv1.KeyAction_name)
	attestationStatuses   = protoEnum[tlv1.AttestationStatus]("ATTESTATION_STATUS_", tlv1.AttestationStatus_name)
	complaintCategories   = protoEnum[tlv1.ComplaintCategory]("COMPLAINT_CATEGORY_", tlv1.ComplaintCategory_name)
	recallLevels          = protoEnum[tlv1.RecallLevel]("RECALL_LEVEL_", tlv1.RecallLevel_name)
	voteOptions           = withAliases(protoEnum[tlv1.VoteOption]("VOTE_OPTION_", tlv1.VoteOption_name),
		map[string]tlv1.VoteOption{"y": tlv1.VOTE_OPTION_YES, "n": tlv1.VOTE_OPTION_NO})
	documentFormats = enum[epcis.Format]{
		entries: []enumEntry[epcis.Format]{{"auto", epcis.FormatAuto}, {"json", epcis.FormatJSON}, {"xml", epcis.FormatXML}},
		aliases: map[string]epcis.Format{"": epcis.FormatAuto, "jsonld": epcis.FormatJSON, "json_ld": epcis.FormatJSON},
	}
)

// withAliases is e accepting the further spellings aliases.
func withAliases[T comparable](e enum[T], aliases map[string]T) enum[T] {
	e.aliases = aliases
	return e
}
