// SPDX-License-Identifier: Apache-2.0

package genesis

import (
	"testing"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// TestRolesSpelledAsTheContract: the role names a genesis file uses are the
// contract's (tlv1.RoleName), which the state machine reads them with.
func TestRolesSpelledAsTheContract(t *testing.T) {
	for name, r := range map[string]tlv1.Role{RoleEnterprise: tlv1.ROLE_ENTERPRISE, RoleCertifier: tlv1.ROLE_CERTIFIER, RoleAuditor: tlv1.ROLE_AUDITOR} {
		if got, ok := tlv1.RoleByName(name); !ok || got != r {
			t.Errorf("genesis role %q is %s in the contract, want %s", name, got, r)
		}
	}
}
