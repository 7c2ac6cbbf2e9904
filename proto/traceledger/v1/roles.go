// SPDX-License-Identifier: Apache-2.0

package traceledgerv1

import "strings"

// RoleName is a role's stable lower-case name, as genesis files, messages
// and the CLI spell it: "department", "enterprise", "certifier",
// "auditor" (the enum's name without its ROLE_ prefix).
func RoleName(r Role) string {
	return strings.ToLower(strings.TrimPrefix(r.String(), "ROLE_"))
}

// RoleByName returns the role whose RoleName is name; ROLE_UNSPECIFIED is
// never returned.
func RoleByName(name string) (Role, bool) {
	v, ok := Role_value["ROLE_"+strings.ToUpper(name)]
	if !ok || Role(v) == ROLE_UNSPECIFIED || strings.ToLower(name) != name {
		return ROLE_UNSPECIFIED, false
	}
	return Role(v), true
}
