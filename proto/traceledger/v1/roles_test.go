// SPDX-License-Identifier: Apache-2.0

package traceledgerv1

import "testing"

// TestRoleNames: every role but the unspecified one round-trips through
// its name; other spellings are refused.
func TestRoleNames(t *testing.T) {
	want := map[Role]string{ROLE_DEPARTMENT: "department", ROLE_ENTERPRISE: "enterprise", ROLE_CERTIFIER: "certifier", ROLE_AUDITOR: "auditor"}
	for v := range Role_name {
		r := Role(v)
		if r == ROLE_UNSPECIFIED {
			continue
		}
		if want[r] == "" || RoleName(r) != want[r] {
			t.Errorf("RoleName(%s) = %q, want %q", r, RoleName(r), want[r])
		}
		if got, ok := RoleByName(RoleName(r)); !ok || got != r {
			t.Errorf("RoleByName(%q) = %s %v", RoleName(r), got, ok)
		}
	}
	for _, bad := range []string{"", "unspecified", "Enterprise", "ROLE_ENTERPRISE", "farmer"} {
		if r, ok := RoleByName(bad); ok {
			t.Errorf("RoleByName(%q) = %s", bad, r)
		}
	}
}
