// SPDX-License-Identifier: Apache-2.0

package api

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// loadOpenAPI loads and validates the embedded document.
func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(OpenAPI())
	if err != nil {
		t.Fatalf("load the OpenAPI document: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the OpenAPI document is not valid: %v", err)
	}
	return doc
}

// TestOpenAPIDocumentValid: the document loads, is valid OpenAPI 3.1
// (kin-openapi's loader and Validate, which check 3.1 schemas as JSON
// Schema 2020-12), and every operation has a unique id and documents its
// answers.
func TestOpenAPIDocumentValid(t *testing.T) {
	doc := loadOpenAPI(t)
	if !doc.IsOpenAPI31OrLater() || !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Fatalf("openapi %q, want 3.1.x", doc.OpenAPI)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != "/" {
		t.Fatalf("servers %v, want the one relative server /", doc.Servers)
	}
	ids := map[string]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			if op.OperationID == "" {
				t.Errorf("%s has no operationId", where)
			} else if other, dup := ids[op.OperationID]; dup {
				t.Errorf("operationId %q of %s is also %s's", op.OperationID, where, other)
			}
			ids[op.OperationID] = where
			if op.Responses == nil || op.Responses.Len() == 0 {
				t.Errorf("%s documents no answer", where)
			}
		}
	}
}

// openAPIPath translates a ServeMux pattern's path to an OpenAPI path
// template: both write a one-segment wildcard {name}. A trailing
// {name...} (any number of segments) has no OpenAPI form; it is returned
// as the prefix before it, with multi set.
func openAPIPath(muxPath string) (path string, multi bool) {
	i := strings.LastIndex(muxPath, "/")
	if last := muxPath[i+1:]; strings.HasPrefix(last, "{") && strings.HasSuffix(last, "...}") {
		return muxPath[:i], true
	}
	return muxPath, false
}

// onlyWildcards reports whether rest is one or more "/{name}" segments.
func onlyWildcards(rest string) bool {
	if rest == "" || rest[0] != '/' {
		return false
	}
	for _, s := range strings.Split(rest[1:], "/") {
		if len(s) < 3 || s[0] != '{' || s[len(s)-1] != '}' || strings.ContainsAny(s[1:len(s)-1], "{}.") {
			return false
		}
	}
	return true
}

// covers reports whether the route pattern (method, ServeMux path) is the
// route of the OpenAPI operation (method, path template).
func covers(muxMethod, muxPath, method, path string) bool {
	if muxMethod != method {
		return false
	}
	p, multi := openAPIPath(muxPath)
	if !multi {
		return p == path
	}
	rest, ok := strings.CutPrefix(path, p)
	return ok && onlyWildcards(rest)
}

// samplePath is the operation's path with every path parameter filled in
// from its schema (the first of its enum, 0 for an integer, else a word).
func samplePath(path string, op *openapi3.Operation) (string, error) {
	u := path
	for _, pr := range op.Parameters {
		p := pr.Value
		if p.In != openapi3.ParameterInPath {
			continue
		}
		v := "x1"
		if s := p.Schema.Value; s != nil {
			switch {
			case len(s.Enum) > 0:
				v, _ = s.Enum[0].(string)
			case s.Type.Is(openapi3.TypeInteger):
				v = "0"
			}
		}
		u = strings.ReplaceAll(u, "{"+p.Name+"}", v)
	}
	if strings.Contains(u, "{") {
		return "", fmt.Errorf("a path parameter is not declared (sample %s)", u)
	}
	return u, nil
}

// routeCoverage walks routes (ServeMux patterns, registered on mux) and
// the document's operations both ways and returns what does not match:
// a route without an operation, an operation without exactly one route,
// an operation whose path reaches another route on mux.
func routeCoverage(doc *openapi3.T, routes []string, mux *http.ServeMux) []string {
	var out []string
	type operation struct{ method, path string }
	var ops []operation
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops = append(ops, operation{method, path})
			var served []string
			for _, rt := range routes {
				m, p, _ := strings.Cut(rt, " ")
				if covers(m, p, method, path) {
					served = append(served, rt)
				}
			}
			if len(served) != 1 {
				out = append(out, fmt.Sprintf("%s %s: served by %d routes %v, want one", method, path, len(served), served))
				continue
			}
			u, err := samplePath(path, op)
			if err != nil {
				out = append(out, fmt.Sprintf("%s %s: %v", method, path, err))
				continue
			}
			if _, pattern := mux.Handler(httptest.NewRequest(method, u, nil)); pattern != served[0] {
				out = append(out, fmt.Sprintf("%s %s: %s reaches route %q, want %q", method, path, u, pattern, served[0]))
			}
		}
	}
	for _, rt := range routes {
		m, p, ok := strings.Cut(rt, " ")
		if !ok {
			out = append(out, fmt.Sprintf("route %q takes any method: the document names one per operation", rt))
			continue
		}
		if !slices.ContainsFunc(ops, func(o operation) bool { return covers(m, p, o.method, o.path) }) {
			out = append(out, fmt.Sprintf("route %q has no operation in the document", rt))
		}
	}
	slices.Sort(out)
	return out
}

// TestOpenAPICoversEveryRoute: every route the server registers has an
// operation in the document, every operation is a registered route, and
// a request to each operation's path reaches that route on the server's
// own mux (no other route shadows it). The walk itself is shown to fail
// on a document without a route's operation, a route without an
// operation, and an operation another route shadows.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	doc := loadOpenAPI(t)
	s := New(nil, Options{})
	routes := s.Routes()
	if len(routes) < 10 || !slices.Contains(routes, "GET /v1/openapi.json") {
		t.Fatalf("routes: %v", routes)
	}
	for _, p := range routeCoverage(doc, routes, s.mux) {
		t.Error(p)
	}
	// The resolver's primary keys are the ones it answers.
	ai := doc.Paths.Value("/{ai}/{key}").Get.Parameters.GetByInAndName(openapi3.ParameterInPath, "ai")
	var enum []string
	for _, v := range ai.Schema.Value.Enum {
		s, _ := v.(string)
		enum = append(enum, s)
	}
	if !slices.Equal(enum, resolverPrimaryKeys) {
		t.Errorf("the document's primary keys %v, the resolver's %v", enum, resolverPrimaryKeys)
	}

	t.Run("a route without an operation", func(t *testing.T) {
		d := loadOpenAPI(t)
		d.Paths.Delete("/v1/validators")
		if got := routeCoverage(d, routes, s.mux); !slices.Equal(got, []string{`route "GET /v1/validators" has no operation in the document`}) {
			t.Fatalf("%q", got)
		}
	})
	t.Run("an operation without a route", func(t *testing.T) {
		less := slices.DeleteFunc(slices.Clone(routes), func(r string) bool { return r == "POST /v1/txs" })
		if got := routeCoverage(doc, less, s.mux); len(got) != 1 || !strings.HasPrefix(got[0], "POST /v1/txs: served by 0 routes") {
			t.Fatalf("%q", got)
		}
	})
	t.Run("a shadowed operation", func(t *testing.T) {
		mux := http.NewServeMux()
		for _, r := range routes {
			mux.HandleFunc(r, func(http.ResponseWriter, *http.Request) {})
		}
		// A route a later version might add that takes the resolver's
		// two-segment paths.
		mux.HandleFunc("GET /{ai}/{key}", func(http.ResponseWriter, *http.Request) {})
		got := routeCoverage(doc, routes, mux)
		if len(got) != 1 || !strings.Contains(got[0], `reaches route "GET /{ai}/{key}"`) {
			t.Fatalf("%q", got)
		}
	})
}

// TestOpenAPITranslation: the path translation the coverage test rests
// on, against routes written both ways.
func TestOpenAPITranslation(t *testing.T) {
	cases := []struct {
		muxMethod, muxPath, method, path string
		want                             bool
	}{
		{"GET", "/v1/status", "GET", "/v1/status", true},
		{"GET", "/v1/status", "POST", "/v1/status", false},
		{"GET", "/v1/records/{index}", "GET", "/v1/records/{index}", true},
		{"GET", "/v1/records/{index}", "GET", "/v1/records/{i}", false},
		{"GET", "/v1/records/{index}", "GET", "/v1/records", false},
		{"GET", "/{ai}/{rest...}", "GET", "/{ai}/{key}", true},
		{"GET", "/{ai}/{rest...}", "GET", "/{ai}/{key}/{q}/{v}", true},
		{"GET", "/{ai}/{rest...}", "GET", "/{ai}", false},
		{"GET", "/{ai}/{rest...}", "GET", "/{ai}/fixed", false},
		{"GET", "/{ai}/{rest...}", "GET", "/v1/status", false},
	}
	for _, tc := range cases {
		if got := covers(tc.muxMethod, tc.muxPath, tc.method, tc.path); got != tc.want {
			t.Errorf("covers(%s %s, %s %s) = %v, want %v", tc.muxMethod, tc.muxPath, tc.method, tc.path, got, tc.want)
		}
	}
}
