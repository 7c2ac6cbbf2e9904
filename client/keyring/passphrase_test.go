// SPDX-License-Identifier: Apache-2.0

package keyring

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReadPassphraseFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name    string
		path    string
		want    string
		wantErr error
	}{
		{"newline", write("nl", "secret\n"), "secret", nil},
		{"crlf", write("crlf", "secret\r\n"), "secret", nil},
		{"no newline", write("plain", "secret"), "secret", nil},
		{"spaces kept", write("spaces", " se cret \n"), " se cret ", nil},
		{"only one newline removed", write("two", "secret\n\n"), "secret\n", nil},
		{"empty", write("empty", ""), "", ErrEmptyPassphrase},
		{"just newline", write("justnl", "\n"), "", ErrEmptyPassphrase},
		{"too long", write("long", strings.Repeat("x", MaxPassphraseLen+1)), "", ErrPassphraseTooLong},
		{"longest", write("longest", strings.Repeat("x", MaxPassphraseLen)+"\n"), strings.Repeat("x", MaxPassphraseLen), nil},
		{"missing", filepath.Join(dir, "missing"), "", os.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadPassphrase(context.Background(), Source{Kind: FromFile, Path: tt.path})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := ReadPassphrase(context.Background(), Source{Kind: FromFile}); err == nil {
		t.Fatal("FromFile without a path succeeded")
	}
}

func TestReadPassphraseEnv(t *testing.T) {
	env := map[string]string{DefaultEnvVar: "from-default", "OTHER": "from-other", "EMPTY": ""}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tests := []struct {
		name    string
		env     string
		want    string
		wantErr error
	}{
		{"default variable", "", "from-default", nil},
		{"named variable", "OTHER", "from-other", nil},
		{"unset", "UNSET", "", ErrNoPassphrase},
		{"empty", "EMPTY", "", ErrEmptyPassphrase},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadPassphrase(context.Background(), Source{Kind: FromEnv, Env: tt.env, LookupEnv: lookup})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	t.Run("process environment", func(t *testing.T) {
		t.Setenv("TRACELEDGER_TEST_PASS", "real env")
		got, err := ReadPassphrase(context.Background(), Source{Kind: FromEnv, Env: "TRACELEDGER_TEST_PASS"})
		if err != nil || string(got) != "real env" {
			t.Fatalf("got %q, %v", got, err)
		}
	})
}

func TestReadPassphraseTerminal(t *testing.T) {
	tests := []struct {
		name       string
		input      string
		confirm    bool
		prompt     string
		want       string
		wantErr    error
		wantPrompt string
	}{
		{"line", "secret\nrest", false, "", "secret", nil, "Passphrase: "},
		{"crlf", "secret\r\n", false, "", "secret", nil, "Passphrase: "},
		{"eof ends line", "secret", false, "", "secret", nil, "Passphrase: "},
		{"custom prompt", "s\n", false, "Key passphrase: ", "s", nil, "Key passphrase: "},
		{"confirm", "secret\nsecret\n", true, "New passphrase: ", "secret", nil, "New passphrase: Repeat new passphrase: "},
		{"confirm mismatch", "secret\nsecreT\n", true, "", "", ErrPassphraseMismatch, ""},
		{"confirm eof", "secret\n", true, "", "", ErrNoPassphrase, ""},
		{"no input", "", false, "", "", ErrNoPassphrase, ""},
		{"empty line", "\nsecret\n", false, "", "", ErrEmptyPassphrase, ""},
		{"too long", strings.Repeat("x", MaxPassphraseLen+1) + "\n", false, "", "", ErrPassphraseTooLong, ""},
		{"very long", strings.Repeat("x", 10*MaxPassphraseLen), false, "", "", ErrPassphraseTooLong, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			got, err := ReadPassphrase(context.Background(), Source{
				Stdin: strings.NewReader(tt.input), Prompter: &out, Prompt: tt.prompt, Confirm: tt.confirm,
			})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
			if out.String() != tt.wantPrompt {
				t.Errorf("prompt output %q, want %q", out.String(), tt.wantPrompt)
			}
		})
	}
}

func TestReadPassphraseReadsOnlyOneLine(t *testing.T) {
	in := strings.NewReader("first\nsecond\n")
	src := Source{Stdin: in, Prompter: io.Discard}
	for _, want := range []string{"first", "second"} {
		got, err := ReadPassphrase(context.Background(), src)
		if err != nil || string(got) != want {
			t.Fatalf("got %q, %v; want %q", got, err, want)
		}
	}
}

func TestReadPassphraseContext(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := ReadPassphrase(ctx, Source{Stdin: pr, Prompter: io.Discard})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
	cancelled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, err := ReadPassphrase(cancelled, Source{Stdin: strings.NewReader("x\n"), Prompter: io.Discard}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want Canceled", err)
	}
}

func TestReadPassphrasePipeFile(t *testing.T) {
	// An *os.File that is not a terminal is read as it is.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := w.WriteString("piped\n"); err != nil {
		t.Fatal(err)
	}
	w.Close()
	got, err := ReadPassphrase(context.Background(), Source{Stdin: r, Prompter: io.Discard})
	if err != nil || string(got) != "piped" {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestReadPassphraseUnknownKind(t *testing.T) {
	if _, err := ReadPassphrase(context.Background(), Source{Kind: SourceKind(9)}); err == nil {
		t.Fatal("unknown kind succeeded")
	}
	if s := SourceKind(9).String(); s != "SourceKind(9)" {
		t.Errorf("String = %q", s)
	}
}

// TestReadPassphraseCancelLeavesNoReader checks that a cancelled prompt on
// an *os.File (a pipe here, as stdin is under a script) leaves nothing
// reading it: the line written afterwards goes to the next prompt. A
// goroutine left blocked in Read would take it instead.
func TestReadPassphraseCancelLeavesNoReader(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := ReadPassphrase(ctx, Source{Stdin: r, Prompter: io.Discard}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
	if _, err := w.WriteString("next\n"); err != nil {
		t.Fatal(err)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	got, err := ReadPassphrase(ctx2, Source{Stdin: r, Prompter: io.Discard})
	if err != nil || string(got) != "next" {
		t.Fatalf("after a cancelled prompt: got %q, %v; want \"next\"", got, err)
	}
}
