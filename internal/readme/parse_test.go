// SPDX-License-Identifier: Apache-2.0

package readme

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseBlocks(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		want    []block
		wantErr string
	}{
		{
			name: "plain shell blocks run; other languages are not blocks",
			doc:  "# T\n\n```sh\necho a\necho b\n```\n\n```go\nfunc f() {}\n```\n\n```bash\necho c\n```\n",
			want: []block{
				{line: 3, text: "echo a\necho b\n"},
				{line: 12, text: "echo c\n"},
			},
		},
		{
			name: "skip with a reason",
			doc:  "<!-- readme-test: skip (needs Docker) -->\n```sh\ndocker compose up -d\n```\n",
			want: []block{{line: 2, text: "docker compose up -d\n", mode: modeSkip, reason: "needs Docker"}},
		},
		{
			name: "background with a ready check",
			doc:  "<!-- readme-test: background; ready: bin/x node health -->\n```sh\nbin/x start\n```\n",
			want: []block{{line: 2, text: "bin/x start\n", mode: modeBackground, ready: "bin/x node health"}},
		},
		{
			name: "omit a prefix",
			doc:  "<!-- readme-test: omit go test (it runs this test) -->\n```sh\ngo run . demo\ngo test ./...\n```\n",
			want: []block{{line: 2, text: "go run . demo\ngo test ./...\n", omit: "go test", reason: "it runs this test"}},
		},
		{
			name: "a reason may hold a semicolon",
			doc:  "<!-- readme-test: skip (takes minutes; see the docs) -->\n```sh\nmake bench\n```\n",
			want: []block{{line: 2, text: "make bench\n", mode: modeSkip, reason: "takes minutes; see the docs"}},
		},
		{
			name:    "skip needs a reason",
			doc:     "<!-- readme-test: skip -->\n```sh\nx\n```\n",
			wantErr: "skip: want a reason",
		},
		{
			name:    "background needs ready",
			doc:     "<!-- readme-test: background -->\n```sh\nx\n```\n",
			wantErr: "background needs ready",
		},
		{
			name:    "ready without background",
			doc:     "<!-- readme-test: ready: true -->\n```sh\nx\n```\n",
			wantErr: "ready: belongs to background",
		},
		{
			name:    "unknown directive",
			doc:     "<!-- readme-test: skipp (typo) -->\n```sh\nx\n```\n",
			wantErr: "unknown directive",
		},
		{
			name:    "marker not just before a fence",
			doc:     "<!-- readme-test: skip (r) -->\n\n```sh\nx\n```\n",
			wantErr: "line 1: the marker must be on the line just before",
		},
		{
			name:    "marker before a block of another language",
			doc:     "<!-- readme-test: skip (r) -->\n```go\nx\n```\n",
			wantErr: "not a shell block",
		},
		{
			name:    "marker at the end",
			doc:     "text\n<!-- readme-test: skip (r) -->",
			wantErr: "marker at the end",
		},
		{
			name:    "unclosed fence",
			doc:     "```sh\necho a\n",
			wantErr: "line 1: code block is not closed",
		},
		{
			name:    "marker without its closing",
			doc:     "<!-- readme-test: skip (r)\n```sh\nx\n```\n",
			wantErr: "must end on its line",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseBlocks(tt.doc)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestCommands(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"one per line", "a\nb\n", []string{"a", "b"}},
		{"continuations join", "a \\\n  --x \\\n  --y\nb\n", []string{"a \\\n  --x \\\n  --y", "b"}},
		{"comments and blank lines dropped", "# c\n\na   # trailing stays\n", []string{"a   # trailing stays"}},
		{"unterminated continuation", "a \\\n", []string{"a \\\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := commands(tt.text); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("commands(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestScriptOmits(t *testing.T) {
	b := block{text: "go run ./cmd/x demo   # first\ngo test -count=1 \\\n    ./...\necho done\n", omit: "go test"}
	want := "go run ./cmd/x demo   # first\necho done\n"
	if got := b.script(); got != want {
		t.Fatalf("script() = %q, want %q", got, want)
	}
	b.omit = ""
	if got := b.script(); got != b.text {
		t.Fatalf("without omit, script() = %q, want the text %q", got, b.text)
	}
}
