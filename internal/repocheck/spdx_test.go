// SPDX-License-Identifier: Apache-2.0

package repocheck

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const spdxLine = "// SPDX-License-Identifier: Apache-2.0"

// TestSPDXLines: every hand-written Go file starts with the project's SPDX
// line (the project is Apache-2.0, see LICENSE); generated files (*.pb.go)
// are left as their generator writes them.
func TestSPDXLines(t *testing.T) {
	root := filepath.Join("..", "..")
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "testdata", "node_modules", "bin":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".pb.go") {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		n++
		if !sc.Scan() || sc.Text() != spdxLine {
			t.Errorf("%s: the first line is not %q", path, spdxLine)
		}
		for line := 2; line <= 8 && sc.Scan(); line++ {
			if sc.Text() == spdxLine {
				t.Errorf("%s:%d: the SPDX line again", path, line)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 100 {
		t.Fatalf("walked only %d Go files from %s: the walk is broken", n, root)
	}
}
