// SPDX-License-Identifier: Apache-2.0

package api_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestAPIDependencies keeps the API a client: `go list -deps` of package
// api names neither the application nor the node (nor internal/).
func TestAPIDependencies(t *testing.T) {
	const module = "github.com/traceledger/traceledger"
	bin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	out, err := exec.Command(bin, "list", "-deps", module+"/api").Output()
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
				t.Errorf("package api depends on %s", d)
			}
		}
	}
}
