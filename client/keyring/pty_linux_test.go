// SPDX-License-Identifier: Apache-2.0

package keyring

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// pty is a pseudo-terminal: the code under test reads and writes the
// terminal side (tty); the test types on the controller side and collects
// what the terminal shows.
type pty struct {
	tty  *os.File
	ctrl *os.File

	mu    sync.Mutex
	shown bytes.Buffer
	done  chan struct{}
}

func openPTY(t *testing.T) *pty {
	t.Helper()
	ctrl, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	// The descriptors are used through fileFD, not Fd, so that both files
	// stay in the runtime's poller and Close ends a pending Read.
	cfd, _ := fileFD(ctrl)
	if err := unix.IoctlSetPointerInt(cfd, unix.TIOCSPTLCK, 0); err != nil {
		ctrl.Close()
		t.Skipf("unlock pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetInt(cfd, unix.TIOCGPTN)
	if err != nil {
		ctrl.Close()
		t.Skipf("pseudo-terminal number: %v", err)
	}
	tty, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		ctrl.Close()
		t.Skipf("open pseudo-terminal: %v", err)
	}
	p := &pty{tty: tty, ctrl: ctrl, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		buf := make([]byte, 256)
		for {
			n, err := ctrl.Read(buf)
			p.mu.Lock()
			p.shown.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		tty.Close()
		ctrl.Close()
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			t.Error("the pseudo-terminal reader did not end")
		}
	})
	return p
}

func (p *pty) termios(t *testing.T) unix.Termios {
	t.Helper()
	fd, _ := fileFD(p.tty)
	st, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return *st
}

// typeWhenRaw waits until the terminal is out of canonical mode (the
// prompt is reading) and then types s.
func (p *pty) typeWhenRaw(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for p.termios(t).Lflag&unix.ICANON != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the prompt never put the terminal in raw mode")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := p.ctrl.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

func (p *pty) screen() string {
	time.Sleep(50 * time.Millisecond) // let the reader collect the last output
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.shown.String()
}

type readResult struct {
	p   []byte
	err error
}

func (p *pty) read(ctx context.Context, src Source) <-chan readResult {
	src.Stdin, src.Prompter = p.tty, p.tty
	ch := make(chan readResult, 1)
	go func() {
		b, err := ReadPassphrase(ctx, src)
		ch <- readResult{b, err}
	}()
	return ch
}

func wait(t *testing.T, ch <-chan readResult) readResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("ReadPassphrase did not return")
		return readResult{}
	}
}

func TestReadPassphraseTerminalPTY(t *testing.T) {
	tests := []struct {
		name    string
		typed   string
		confirm bool
		want    string
		wantErr error
	}{
		{"enter", "s3cret\r", false, "s3cret", nil},
		{"backspace", "s3cx\x7fret\r", false, "s3cret", nil},
		{"utf-8", "pässwört\r", false, "pässwört", nil},
		{"confirm", "s3cret\rs3cret\r", true, "s3cret", nil},
		{"confirm mismatch", "s3cret\rs3creT\r", true, "", ErrPassphraseMismatch},
		{"ctrl-d", "\x04", false, "", ErrNoPassphrase},
		{"ctrl-c", "s3\x03", false, "", ErrNoPassphrase},
		{"empty", "\r", false, "", ErrEmptyPassphrase},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := openPTY(t)
			before := p.termios(t)
			ch := p.read(context.Background(), Source{Prompt: "Key passphrase: ", Confirm: tt.confirm})
			p.typeWhenRaw(t, tt.typed)
			r := wait(t, ch)
			if tt.wantErr != nil {
				if !errors.Is(r.err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", r.err, tt.wantErr)
				}
			} else if r.err != nil || string(r.p) != tt.want {
				t.Fatalf("got %q, %v; want %q", r.p, r.err, tt.want)
			}
			if after := p.termios(t); after != before {
				t.Errorf("terminal settings not restored:\n before %+v\n after  %+v", before, after)
			}
			screen := p.screen()
			if !strings.HasPrefix(screen, "Key passphrase: ") {
				t.Errorf("screen %q does not start with the prompt", screen)
			}
			if tt.confirm && !strings.Contains(screen, "Repeat key passphrase: ") {
				t.Errorf("screen %q has no confirmation prompt", screen)
			}
			if strings.Contains(screen, "s3") || strings.Contains(screen, "w") {
				t.Errorf("screen %q echoes the passphrase", screen)
			}
		})
	}
}

// TestReadPassphraseTerminalCancel checks that a prompt on a terminal ends
// when its context does, restores the terminal, and leaves nothing reading
// it: the next prompt gets the next line.
func TestReadPassphraseTerminalCancel(t *testing.T) {
	p := openPTY(t)
	before := p.termios(t)
	ctx, cancel := context.WithCancel(context.Background())
	ch := p.read(ctx, Source{})
	p.typeWhenRaw(t, "half")
	cancel()
	if r := wait(t, ch); !errors.Is(r.err, context.Canceled) {
		t.Fatalf("err = %v, want Canceled", r.err)
	}
	if after := p.termios(t); after != before {
		t.Fatalf("terminal settings not restored after cancel")
	}
	ch = p.read(context.Background(), Source{})
	p.typeWhenRaw(t, "whole\r")
	if r := wait(t, ch); r.err != nil || string(r.p) != "whole" {
		t.Fatalf("after a cancelled prompt: got %q, %v; want \"whole\"", r.p, r.err)
	}
}
