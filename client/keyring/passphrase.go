// SPDX-License-Identifier: Apache-2.0

package keyring

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// DefaultEnvVar is the environment variable that FromEnv reads when no other
// is named.
const DefaultEnvVar = "TRACELEDGER_PASSPHRASE"

// MaxPassphraseLen is the longest passphrase ReadPassphrase accepts, in
// bytes.
const MaxPassphraseLen = 1024

// Errors of ReadPassphrase that callers may branch on (ErrEmptyPassphrase is
// also one).
var (
	// ErrNoPassphrase means the source holds no passphrase: the environment
	// variable is unset, or the input ended before a line.
	ErrNoPassphrase = errors.New("no passphrase")
	// ErrPassphraseMismatch means the confirmation differed from the first
	// entry.
	ErrPassphraseMismatch = errors.New("passphrases do not match")
	// ErrPassphraseTooLong means the passphrase exceeds MaxPassphraseLen.
	ErrPassphraseTooLong = errors.New("passphrase too long")
)

// SourceKind says where a passphrase comes from.
type SourceKind int

const (
	// FromTerminal prompts on Source.Prompter and reads one line from
	// Source.Stdin. When Stdin is a terminal on Linux or a BSD (macOS
	// included), echo is turned off while the line is typed; elsewhere, and
	// when Stdin is a pipe, the line is read as it is, with no echo
	// suppression.
	FromTerminal SourceKind = iota
	// FromFile reads the file at Source.Path; one trailing "\n" or "\r\n" is
	// removed and everything else, spaces included, is the passphrase.
	FromFile
	// FromEnv reads the environment variable Source.Env (DefaultEnvVar if
	// empty).
	FromEnv
)

// String returns the kind's name.
func (k SourceKind) String() string {
	switch k {
	case FromTerminal:
		return "terminal"
	case FromFile:
		return "file"
	case FromEnv:
		return "env"
	default:
		return fmt.Sprintf("SourceKind(%d)", int(k))
	}
}

// Source says where ReadPassphrase gets a passphrase. The zero value prompts
// on the process's terminal. The I/O fields exist for tests and embedding;
// nil means the process's own.
type Source struct {
	// Kind selects the source.
	Kind SourceKind
	// Path is the file for FromFile.
	Path string
	// Env is the variable for FromEnv; empty means DefaultEnvVar.
	Env string
	// Prompt is written before reading FromTerminal; empty means
	// "Passphrase: ".
	Prompt string
	// Confirm makes FromTerminal ask a second time and require the same
	// answer, for choosing a new passphrase.
	Confirm bool

	// Stdin is read FromTerminal; nil means os.Stdin.
	Stdin io.Reader
	// Prompter receives prompts; nil means os.Stderr.
	Prompter io.Writer
	// LookupEnv reads FromEnv; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
}

// ReadPassphrase returns the passphrase from src. It fails with
// ErrEmptyPassphrase rather than return an empty one. A terminal read stops
// when ctx is done, but the goroutine reading stays blocked until the line or
// end of input arrives (a read cannot be interrupted portably); the terminal
// echo is restored at once.
func ReadPassphrase(ctx context.Context, src Source) ([]byte, error) {
	var (
		p   []byte
		err error
	)
	switch src.Kind {
	case FromFile:
		p, err = passphraseFromFile(src.Path)
	case FromEnv:
		p, err = passphraseFromEnv(src)
	case FromTerminal:
		p, err = passphraseFromTerminal(ctx, src)
	default:
		err = fmt.Errorf("unknown passphrase source %v", src.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("passphrase from %v: %w", src.Kind, err)
	}
	if len(p) == 0 {
		return nil, fmt.Errorf("passphrase from %v: %w", src.Kind, ErrEmptyPassphrase)
	}
	if len(p) > MaxPassphraseLen {
		clear(p)
		return nil, fmt.Errorf("passphrase from %v: %w (over %d bytes)", src.Kind, ErrPassphraseTooLong, MaxPassphraseLen)
	}
	return p, nil
}

func passphraseFromFile(path string) ([]byte, error) {
	if path == "" {
		return nil, errors.New("no file named")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxPassphraseLen+3))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	b = trimNewline(b)
	if len(b) > MaxPassphraseLen {
		clear(b)
		return nil, fmt.Errorf("%w (over %d bytes)", ErrPassphraseTooLong, MaxPassphraseLen)
	}
	return b, nil
}

func passphraseFromEnv(src Source) ([]byte, error) {
	name := src.Env
	if name == "" {
		name = DefaultEnvVar
	}
	lookup := src.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	v, ok := lookup(name)
	if !ok {
		return nil, fmt.Errorf("%w: %s is not set", ErrNoPassphrase, name)
	}
	return []byte(v), nil
}

func passphraseFromTerminal(ctx context.Context, src Source) ([]byte, error) {
	in := src.Stdin
	if in == nil {
		in = os.Stdin
	}
	out := src.Prompter
	if out == nil {
		out = os.Stderr
	}
	prompt := src.Prompt
	if prompt == "" {
		prompt = "Passphrase: "
	}
	p, err := promptLine(ctx, in, out, prompt)
	if err != nil {
		return nil, err
	}
	if !src.Confirm || len(p) == 0 {
		return p, nil
	}
	again, err := promptLine(ctx, in, out, "Repeat "+lowerFirst(prompt))
	if err != nil {
		clear(p)
		return nil, err
	}
	defer clear(again)
	if !bytes.Equal(p, again) {
		clear(p)
		return nil, ErrPassphraseMismatch
	}
	return p, nil
}

// promptLine writes prompt and reads one line from in with echo off when in
// is a terminal.
func promptLine(ctx context.Context, in io.Reader, out io.Writer, prompt string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if _, err := io.WriteString(out, prompt); err != nil {
		return nil, fmt.Errorf("prompt: %w", err)
	}
	if f, ok := in.(*os.File); ok {
		restore, isTerm, err := disableEcho(int(f.Fd()))
		if err != nil {
			return nil, fmt.Errorf("turn off echo: %w", err)
		}
		if isTerm {
			defer func() {
				restore()
				// The typed newline was not echoed.
				io.WriteString(out, "\n")
			}()
		}
	}
	type result struct {
		line []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		line, err := readLine(in)
		done <- result{line, err}
	}()
	select {
	case r := <-done:
		return r.line, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// readLine reads bytes up to and without the first "\n" (and a "\r" before
// it) one at a time, so that nothing after the line is consumed. A line
// longer than MaxPassphraseLen fails with ErrPassphraseTooLong once the
// limit is passed, leaving the rest of the line unread.
func readLine(r io.Reader) ([]byte, error) {
	var (
		line []byte
		b    [1]byte
	)
	for {
		n, err := r.Read(b[:])
		if n == 1 {
			if b[0] == '\n' {
				return trimNewline(line), nil
			}
			if len(line) > MaxPassphraseLen {
				clear(line)
				return nil, fmt.Errorf("%w (over %d bytes)", ErrPassphraseTooLong, MaxPassphraseLen)
			}
			line = append(line, b[0])
		}
		if errors.Is(err, io.EOF) {
			if len(line) == 0 {
				return nil, fmt.Errorf("%w: input ended", ErrNoPassphrase)
			}
			return trimNewline(line), nil
		}
		if err != nil {
			clear(line)
			return nil, fmt.Errorf("read: %w", err)
		}
	}
}

// trimNewline removes one trailing "\n", "\r\n" or "\r".
func trimNewline(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

func lowerFirst(s string) string {
	if s != "" && 'A' <= s[0] && s[0] <= 'Z' {
		return string(s[0]+'a'-'A') + s[1:]
	}
	return s
}
