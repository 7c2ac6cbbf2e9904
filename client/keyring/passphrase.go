// SPDX-License-Identifier: Apache-2.0

package keyring

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"golang.org/x/term"

	"github.com/traceledger/traceledger/client/keyring/secretfile"
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
	// Source.Stdin. When Stdin is a terminal, the line is read with
	// golang.org/x/term with echo off (the terminal is in raw mode while
	// the line is typed, so Ctrl-C and Ctrl-D end the input rather than
	// send a signal); when Stdin is a pipe or a file, the line is read as
	// it is.
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
// ErrEmptyPassphrase rather than return an empty one. A read FromTerminal
// stops when ctx is done and restores the terminal at once. When Stdin is an
// *os.File on Unix (the process's stdin, a terminal or a pipe), nothing is
// left reading it afterwards; for other readers, and on other platforms, a
// goroutine stays blocked in one Read until the reader delivers a byte,
// which is then dropped.
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
	if err := secretfile.Check(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
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
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	lr, err := newLineReader(ctx, in, out)
	if err != nil {
		return nil, err
	}
	defer lr.close()
	p, err := lr.prompt(prompt)
	if err != nil {
		return nil, err
	}
	if !src.Confirm || len(p) == 0 {
		return p, nil
	}
	again, err := lr.prompt("Repeat " + lowerFirst(prompt))
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

// lineReader prompts for and reads the lines of one ReadPassphrase call.
type lineReader struct {
	out io.Writer
	in  io.Reader // in, wrapped so that its reads stop when ctx is done
	// tty is set when the input is a terminal: the terminal is in raw mode
	// (restored by close) and tty reads the line without echoing it.
	tty     *term.Terminal
	fd      int
	restore *term.State
}

// newLineReader prepares in for reading lines. A terminal is put in raw
// mode, so that every key press is readable at once: that is what lets a
// read wait for input and for ctx together in this goroutine (see
// ctxReader) rather than in one left blocked on the terminal when ctx ends.
// golang.org/x/term's Terminal then does the line editing without echo.
func newLineReader(ctx context.Context, in io.Reader, out io.Writer) (*lineReader, error) {
	lr := &lineReader{out: out, in: &ctxReader{ctx: ctx, r: in}}
	f, ok := in.(*os.File)
	if !ok {
		return lr, nil
	}
	fd, ok := fileFD(f)
	if !ok || !term.IsTerminal(fd) {
		return lr, nil
	}
	st, err := term.MakeRaw(fd)
	if err != nil {
		return nil, fmt.Errorf("turn off echo: %w", err)
	}
	lr.fd, lr.restore = fd, st
	lr.tty = term.NewTerminal(struct {
		io.Reader
		io.Writer
	}{lr.in, out}, "")
	// A terminal that reports no size (a fresh pseudo-terminal, a serial
	// line) keeps Terminal's default width of 80 columns.
	if w, h, err := term.GetSize(fd); err == nil && w > 0 && h > 0 {
		_ = lr.tty.SetSize(w, h)
	}
	return lr, nil
}

// prompt writes prompt and reads one line.
func (lr *lineReader) prompt(prompt string) ([]byte, error) {
	if lr.tty == nil {
		if _, err := io.WriteString(lr.out, prompt); err != nil {
			return nil, fmt.Errorf("prompt: %w", err)
		}
		return readLine(lr.in)
	}
	line, err := lr.tty.ReadPassword(prompt)
	switch {
	case errors.Is(err, io.EOF):
		// Ctrl-D on an empty line, or Ctrl-C (raw mode turns it into a key).
		_, _ = io.WriteString(lr.out, "\r\n")
		return nil, fmt.Errorf("%w: input ended (Ctrl-D or Ctrl-C)", ErrNoPassphrase)
	case err != nil:
		// The line was not finished: move past the prompt.
		_, _ = io.WriteString(lr.out, "\r\n")
		return nil, fmt.Errorf("read: %w", err)
	}
	return []byte(line), nil
}

// close puts the terminal back as it was.
func (lr *lineReader) close() {
	if lr.restore != nil {
		_ = term.Restore(lr.fd, lr.restore)
	}
}

// ctxReader reads r until ctx is done. Reads of an *os.File on Unix wait
// for input with poll(2) in the calling goroutine, so a cancelled
// ReadPassphrase leaves nothing reading the file. Other readers (and files
// elsewhere) are read in a goroutine per Read when ctx can end: if ctx ends
// first, that goroutine stays blocked in r.Read until r delivers a byte or
// fails, and the byte is dropped; no portable interface interrupts a
// blocked Read of an arbitrary io.Reader.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	if c.ctx.Done() == nil {
		return c.r.Read(p)
	}
	if f, ok := c.r.(*os.File); ok {
		if polled, err := waitReadable(c.ctx, f); polled {
			if err != nil {
				return 0, err
			}
			return f.Read(p)
		}
	}
	type result struct {
		b   []byte
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		b := make([]byte, len(p))
		n, err := c.r.Read(b)
		done <- result{b, n, err}
	}()
	select {
	case r := <-done:
		copy(p, r.b[:r.n])
		clear(r.b)
		return r.n, r.err
	case <-c.ctx.Done():
		return 0, c.ctx.Err()
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
