// SPDX-License-Identifier: Apache-2.0

package proof

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/traceledger/traceledger"

// coreModules are the only places the core's non-standard dependencies may
// come from: the module's own proof core and wire types, and the gogoproto
// runtime the generated wire types need (with what it imports itself).
var coreModules = []string{
	module + "/proof",
	module + "/proto/",
	"github.com/cosmos/gogoproto/",
	"google.golang.org/protobuf/",
	"github.com/google/go-cmp/",
}

// goTool returns the go command, or skips the test when there is none.
func goTool(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	return bin
}

// goList runs go list with args and returns its output lines.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := exec.Command(goTool(t), append([]string{"list"}, args...)...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list %v: %v\n%s", args, err, ee.Stderr)
		}
		t.Fatalf("go list %v: %v", args, err)
	}
	return strings.Fields(string(out))
}

// TestCoreDependencies keeps CometBFT out of the verification core and of
// epcis (which builds its anchor trees on the core): `go list -deps` of
// either has no github.com/cometbft package, the core imports nothing but
// the standard library and the wire types, and everything it pulls in
// comes from coreModules.
func TestCoreDependencies(t *testing.T) {
	nonStd := `{{if not .Standard}}{{.ImportPath}}{{end}}`
	for _, pkg := range []string{module + "/proof", module + "/epcis"} {
		deps := goList(t, "-deps", "-f", nonStd, pkg)
		if len(deps) == 0 {
			t.Fatalf("go list -deps %s listed nothing", pkg)
		}
		for _, d := range deps {
			if strings.HasPrefix(d, "github.com/cometbft/") {
				t.Errorf("%s depends on %s", pkg, d)
			}
		}
		if pkg != module+"/proof" {
			continue
		}
		for _, d := range deps {
			allowed := false
			for _, m := range coreModules {
				allowed = allowed || strings.HasPrefix(d, m)
			}
			if !allowed {
				t.Errorf("the core depends on %s, outside %v", d, coreModules)
			}
		}
		direct := goList(t, "-f", `{{join .Imports "\n"}}`, pkg)
		std := map[string]bool{}
		for _, s := range goList(t, "std") {
			std[s] = true
		}
		for _, d := range direct {
			if !std[d] && d != module+"/proto/traceledger/v1" {
				t.Errorf("the core imports %s: only the standard library and the wire types are allowed", d)
			}
		}
	}
}

// TestCoreBuildsForWasm builds the smallest verifier on the core
// (internal/wasmcheck) for GOOS=js GOARCH=wasm, as a browser verifier
// would be built, and logs its size (recorded in docs/PERFORMANCE.md).
func TestCoreBuildsForWasm(t *testing.T) {
	bin := goTool(t)
	out := filepath.Join(t.TempDir(), "wasmcheck.wasm")
	cmd := exec.Command(bin, "build", "-ldflags=-s", "-o", out, module+"/proof/internal/wasmcheck")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("GOOS=js GOARCH=wasm go build: %v\n%s", err, msg)
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("wasmcheck.wasm: %d bytes (-ldflags=-s)", fi.Size())
}
