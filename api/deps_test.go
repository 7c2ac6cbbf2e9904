// SPDX-License-Identifier: Apache-2.0

package api_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestAPIDependencies keeps the HTTP face a client: `go list -deps` of
// package api and of the EPCIS interface mounted on it names neither the
// application nor the node (nor internal/, nor cmd/).
func TestAPIDependencies(t *testing.T) {
	const module = "github.com/traceledger/traceledger"
	bin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	for _, pkg := range []string{module + "/api", module + "/api/epcisrest"} {
		out, err := exec.Command(bin, "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		deps := strings.Fields(string(out))
		if len(deps) == 0 {
			t.Fatalf("go list -deps %s listed nothing", pkg)
		}
		for _, d := range deps {
			for _, banned := range []string{module + "/app", module + "/node", module + "/internal", module + "/cmd"} {
				if d == banned || strings.HasPrefix(d, banned+"/") {
					t.Errorf("package %s depends on %s", pkg, d)
				}
			}
		}
	}
}
