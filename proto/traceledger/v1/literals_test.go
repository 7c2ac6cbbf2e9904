// SPDX-License-Identifier: Apache-2.0

package traceledgerv1

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// This file checks that the wire contract is spelled only here: no Go file
// of the module outside proto/ (tests aside) holds a string literal that is
// one of this package's exported string constants (map keys and their
// prefixes, query paths, subject schemes, event types, signing domains) or
// an integer literal used as one of its rejection codes. Such a literal is
// a second copy of the contract that a change here would not reach.
//
// The constants are read from this package's own source with go/types, so
// a constant added here is checked without editing this test. Two kinds of
// value are left out, because the same text is an ordinary word elsewhere
// (a flag, a JSON field, a metric label, prose) and no rule on the text
// alone tells the uses apart: values that are one bare lowercase word
// (Codespace "traceledger", the attribute keys "kind", "index", "subject",
// ..., StoreRecords "records"), unless they are map keys (KeyPrefixes, for
// example KeyParams "params", which are always checked); and the code 0,
// which is ABCI's own success code (abci.CodeTypeOK).

// contractRule is one owner constant and how a literal matches it.
type contractRule struct {
	name, value string
}

// matches reports whether the string literal s spells the rule's value: it
// equals it, or starts with it where the value is a prefix (it ends in "/",
// or ends in ":" and s goes on with something other than a space, so that
// "governance: %w" in an error message is not the subject scheme
// "governance:"), or starts with it and goes on with "/" or "?" where the
// value is a query path.
func (r contractRule) matches(s string) bool {
	if s == r.value {
		return true
	}
	rest, ok := strings.CutPrefix(s, r.value)
	if !ok {
		return false
	}
	switch {
	case strings.HasSuffix(r.value, "/"):
		return true
	case strings.HasSuffix(r.value, ":"):
		return !strings.HasPrefix(rest, " ")
	case strings.HasPrefix(r.value, "/"):
		return rest[0] == '/' || rest[0] == '?'
	}
	return false
}

var bareWord = regexp.MustCompile(`^[a-z_]+$`)

// contract is what the owner's source declares: the rules for its string
// constants, longest value first, and the names of its codes.
type contract struct {
	rules     []contractRule
	codeNames map[Code]string
}

// readContract reads the exported constants of the package in dir (its
// hand-written files; the generated ones hold none of these).
func readContract(t *testing.T, dir string) contract {
	t.Helper()
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, e := range entries {
		n := e.Name()
		if !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") || strings.HasSuffix(n, ".pb.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	// The hand-written files refer to generated types, which are not
	// loaded: those errors are ignored. Constants do not depend on them.
	conf := types.Config{Importer: importer.Default(), Error: func(error) {}}
	pkg, _ := conf.Check("traceledgerv1", fset, files, nil)
	k := contract{codeNames: map[Code]string{}}
	for _, name := range pkg.Scope().Names() {
		c, ok := pkg.Scope().Lookup(name).(*types.Const)
		if !ok || !c.Exported() {
			continue
		}
		if named, ok := c.Type().(*types.Named); ok && named.Obj().Name() == "Code" {
			if n, exact := constant.Uint64Val(c.Val()); exact {
				k.codeNames[Code(n)] = name
			}
			continue
		}
		if c.Val().Kind() != constant.String {
			continue
		}
		v := constant.StringVal(c.Val())
		if v == "" || (bareWord.MatchString(v) && !slices.Contains(KeyPrefixes, v)) {
			continue
		}
		k.rules = append(k.rules, contractRule{name: name, value: v})
	}
	slices.SortFunc(k.rules, func(a, b contractRule) int { return len(b.value) - len(a.value) })
	return k
}

// isCodeExpr reports whether e reads an ABCI code: the field x.Code of a
// response, the field name Code in a composite literal, or a conversion
// Code(x) / tlv1.Code(x). A variable named code is not taken for one: the
// CLI's exit codes are called that.
func isCodeExpr(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.SelectorExpr:
		return e.Sel.Name == "Code"
	case *ast.Ident:
		return e.Name == "Code"
	case *ast.CallExpr:
		return isCodeExpr(e.Fun)
	case *ast.ParenExpr:
		return isCodeExpr(e.X)
	}
	return false
}

// codeLiteral returns the code an integer literal e names, if it is one of
// the owner's codes other than 0.
func (k contract) codeLiteral(e ast.Expr) (Code, bool) {
	bl, ok := e.(*ast.BasicLit)
	if !ok || bl.Kind != token.INT {
		return 0, false
	}
	n, err := strconv.ParseUint(bl.Value, 0, 32)
	if _, known := k.codeNames[Code(n)]; err != nil || n == 0 || !known {
		return 0, false
	}
	return Code(n), true
}

// checkFile returns the contract literals in f, one line each.
func (k contract) checkFile(fset *token.FileSet, f *ast.File) []string {
	var out []string
	report := func(n ast.Node, format string, args ...any) {
		out = append(out, fmt.Sprintf("%s: %s", fset.Position(n.Pos()), fmt.Sprintf(format, args...)))
	}
	code := func(n ast.Expr) {
		if c, ok := k.codeLiteral(n); ok {
			report(n, "code %d as a literal: use tlv1.%s", uint32(c), k.codeNames[c])
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.ImportSpec:
			return false
		case *ast.BasicLit:
			if n.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(n.Value)
			if err != nil {
				return true
			}
			for _, r := range k.rules {
				if r.matches(s) {
					report(n, "%q spells tlv1.%s (%q): use the constant or its builder", s, r.name, r.value)
					break
				}
			}
		case *ast.BinaryExpr:
			if n.Op == token.EQL || n.Op == token.NEQ {
				if isCodeExpr(n.X) {
					code(n.Y)
				}
				if isCodeExpr(n.Y) {
					code(n.X)
				}
			}
		case *ast.SwitchStmt:
			if n.Tag != nil && isCodeExpr(n.Tag) {
				for _, s := range n.Body.List {
					for _, e := range s.(*ast.CaseClause).List {
						code(e)
					}
				}
			}
		case *ast.KeyValueExpr:
			if isCodeExpr(n.Key) {
				code(n.Value)
			}
		case *ast.ValueSpec:
			for i, name := range n.Names {
				if strings.HasPrefix(strings.ToLower(name.Name), "code") && i < len(n.Values) {
					code(n.Values[i])
				}
			}
		}
		return true
	})
	return out
}

// TestNoContractLiteralsOutsideOwner walks the module's non-test Go files
// outside proto/ and fails on every contract literal.
func TestNoContractLiteralsOutsideOwner(t *testing.T) {
	k := readContract(t, ".")
	// The rules must cover what this package lists at run time, or the
	// reading above went wrong and the walk below would prove nothing.
	values := map[string]bool{}
	for _, r := range k.rules {
		values[r.value] = true
	}
	for _, list := range [][]string{KeyPrefixes, ReservedSubjectSchemes, EventTypes, {PathStatus, PathRecord, PathHistory, PathStoreRecords, SignDomain}} {
		for _, v := range list {
			if !values[v] {
				t.Fatalf("the constant %q of this package is not among the checked literals", v)
			}
		}
	}
	for _, c := range Codes() {
		if _, ok := k.codeNames[c]; !ok {
			t.Fatalf("code %d (%s) was not read from the source", uint32(c), c)
		}
	}

	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s: %v", root, err)
	}
	fset := token.NewFileSet()
	var found []string
	files := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor" ||
				path == filepath.Join(root, "proto")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		if ast.IsGenerated(f) {
			return nil
		}
		files++
		for _, v := range k.checkFile(fset, f) {
			rel, _ := filepath.Rel(root, path)
			found = append(found, strings.Replace(v, path, rel, 1))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("checked only %d files under %s: the walk missed the module", files, root)
	}
	for _, v := range found {
		t.Error(v)
	}
}

// TestContractLiteralRules checks the matcher on snippets: what it must
// find and what it must let pass.
func TestContractLiteralRules(t *testing.T) {
	k := readContract(t, ".")
	tests := []struct {
		name, src string
		want      int
	}{
		{"head key built by hand", `var k = "head/" + subject`, 1},
		{"fixed key", `var r = ValueRequest{Key: "params"}`, 1},
		{"json path in prose", `var e = "params.max_tx_bytes is zero"`, 0},
		{"query path", `func f() { q(ctx, "/history", data) }`, 1},
		{"query path with a query", `var p = "/record?height=3"`, 1},
		{"another path", `var p = "/historyx"`, 0},
		{"store path", `var p = "/store/records/key"`, 1},
		{"subject scheme", `var s = "governance:validators"`, 1},
		{"error prefix", `var e = fmt.Errorf("governance: %w", err)`, 0},
		{"event type", `var e = "traceledger.record"`, 1},
		{"bare word", `var f = map[string]any{"kind": 1, "subject": 2, "records": 3}`, 0},
		{"code compared", `func f() bool { return res.Code == 32 }`, 1},
		{"code converted", `func f() bool { return tlv1.Code(ce.Code) != 7 }`, 1},
		{"success", `func f() bool { return res.Code != 0 }`, 0},
		{"code switch", `func f() { switch r.Code { case 6, 7: } }`, 2},
		{"code constant", `const codeHeightUnavailable = 32`, 1},
		{"code field", `var r = Response{Code: 80}`, 1},
		{"not a code", `func f() bool { return resp.StatusCode == 404 }`, 0},
		{"exit code", `var e = &exitError{code: 2, err: err}`, 0},
		{"import path", `import "example.com/head/x"`, 0},
		{"owner constants", `var k = tlv1.HeadKey(s) + tlv1.PathHistory`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, "x.go", "package x\n"+tt.src+"\n", 0)
			if err != nil {
				t.Fatal(err)
			}
			got := k.checkFile(fset, f)
			if len(got) != tt.want {
				t.Errorf("%d findings %q, want %d", len(got), got, tt.want)
			}
		})
	}
}
