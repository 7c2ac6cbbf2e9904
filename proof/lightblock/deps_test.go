// SPDX-License-Identifier: Apache-2.0

package lightblock_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestNoCometBFT keeps CometBFT out of the package for every platform and
// for GOOS=js GOARCH=wasm: the in-browser verifier links it.
func TestNoCometBFT(t *testing.T) {
	bin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	for _, env := range [][]string{nil, {"GOOS=js", "GOARCH=wasm"}} {
		cmd := exec.Command(bin, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".")
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list %v: %v", env, err)
		}
		for _, d := range strings.Fields(string(out)) {
			if strings.HasPrefix(d, "github.com/cometbft/") {
				t.Errorf("%v: package lightblock depends on %s", env, d)
			}
		}
	}
}
