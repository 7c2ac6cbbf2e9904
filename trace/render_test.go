// SPDX-License-Identifier: Apache-2.0

package trace

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	x := NewIndex(nil)
	e := ev(3, "proc", trf, in("urn:a"), out("urn:b"))
	e.Disposition = "active"
	add(x, e)
	g, err := x.Walk(context.Background(), "urn:a", Forward)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ format, want string }{
		{"text", "urn:a -transformed_into-> urn:b  (record #3 by proc)"},
		{"dot", `"urn:a" -> "urn:b" [label="transformed_into #3"];`},
		{"json", `"rel": "transformed_into"`},
	} {
		var b bytes.Buffer
		if err := g.Render(&b, Forward, tc.format); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), tc.want) {
			t.Errorf("%s output lacks %q:\n%s", tc.format, tc.want, b.String())
		}
		if tc.format == "json" {
			var v GraphView
			if err := json.Unmarshal(b.Bytes(), &v); err != nil || len(v.Edges) != 1 || v.Edges[0].Index != 3 || v.Disposition["urn:b"] != "active" {
				t.Errorf("json: %+v %v", v, err)
			}
		}
	}
	if err := g.Render(&bytes.Buffer{}, Forward, "xml"); err == nil {
		t.Error("unknown format accepted")
	}
	var b bytes.Buffer
	if err := SevenLinkReport(g).Render(&b, "text"); err != nil || !strings.Contains(b.String(), "0 of 7 present") {
		t.Errorf("links: %q %v", b.String(), err)
	}
	a, _ := x.Walk(context.Background(), "urn:zz", Forward)
	b.Reset()
	a.Render(&b, Forward, "text")
	if !strings.Contains(b.String(), "verified absence") {
		t.Errorf("absent: %q", b.String())
	}
}
