// SPDX-License-Identifier: Apache-2.0

package epcisrest_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps the EPCIS interface a client, as package api: it
// depends on neither the application nor the node (nor internal/, cmd/).
func TestDependencies(t *testing.T) {
	const module = "github.com/traceledger/traceledger"
	bin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	out, err := exec.Command(bin, "list", "-deps", module+"/api/epcisrest").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 {
		t.Fatal("go list -deps listed nothing")
	}
	for _, d := range deps {
		for _, banned := range []string{module + "/app", module + "/node", module + "/internal", module + "/cmd"} {
			if d == banned || strings.HasPrefix(d, banned+"/") {
				t.Errorf("package epcisrest depends on %s", d)
			}
		}
	}
}
