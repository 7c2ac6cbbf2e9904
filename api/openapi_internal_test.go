// SPDX-License-Identifier: Apache-2.0

package api

import (
	"context"
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

// sampleRequest is a request for the operation's path with every path
// parameter filled in from its schema (the first of its enum, 0 for an
// integer, else a word).
func sampleRequest(t *testing.T, method, path string, op *openapi3.Operation) *http.Request {
	t.Helper()
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
		t.Fatalf("%s %s: a path parameter is not declared (sample %s)", method, path, u)
	}
	return httptest.NewRequest(method, u, nil)
}

// TestOpenAPICoversEveryRoute: every route the server registers has an
// operation in the document, every operation is a registered route, and
// a request to each operation's path reaches that route on the server's
// own mux (no other route shadows it).
func TestOpenAPICoversEveryRoute(t *testing.T) {
	doc := loadOpenAPI(t)
	s := New(nil, Options{})
	routes := s.Routes()
	if len(routes) < 10 {
		t.Fatalf("only %d routes: %v", len(routes), routes)
	}
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
				t.Errorf("%s %s: served by %d routes %v, want one", method, path, len(served), served)
				continue
			}
			req := sampleRequest(t, method, path, op)
			if _, pattern := s.mux.Handler(req); pattern != served[0] {
				t.Errorf("%s %s: %s reaches route %q, want %q", method, path, req.URL.Path, pattern, served[0])
			}
		}
	}
	for _, rt := range routes {
		m, p, ok := strings.Cut(rt, " ")
		if !ok {
			t.Errorf("route %q takes any method: the document names one per operation", rt)
			continue
		}
		if !slices.ContainsFunc(ops, func(o operation) bool { return covers(m, p, o.method, o.path) }) {
			t.Errorf("route %q has no operation in the document", rt)
		}
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
