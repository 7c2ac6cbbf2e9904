// SPDX-License-Identifier: Apache-2.0

package epcisrest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/traceledger/traceledger/client/keyring"
)

// Bearer tokens: a caller of the capture interface presents
// "Authorization: Bearer <token>"; the gateway keeps only the token's
// SHA-256, with the one participant it acts for and the keyring key it
// signs with. A token is printed once, when it is made.

// TokenPrefix starts every token, so that a leaked one is recognisable.
const TokenPrefix = "tlgw_"

// Errors of the token store, wrapped with the token's name.
var (
	// ErrTokenExists means a token of that name already exists.
	ErrTokenExists = errors.New("token already exists")
	// ErrTokenNotFound means no token has that name.
	ErrTokenNotFound = errors.New("token not found")
)

// Token is a stored token: everything but the secret itself.
type Token struct {
	// Name is the operator's name for the token (one per caller system).
	Name string `json:"name"`
	// Participant is the only participant the token may capture as.
	Participant string `json:"participant"`
	// Key is the keyring key the gateway signs this participant's
	// captures with.
	Key string `json:"key"`
	// SHA256 is the hex SHA-256 of the token string.
	SHA256  string    `json:"sha256"`
	Created time.Time `json:"created"`
}

// tokenFile is tokens.json.
type tokenFile struct {
	Tokens []Token `json:"tokens"`
}

// Tokens is the token store of a gateway home. It rereads the file when it
// changed on disk (another file renamed into place), so tokens added or
// revoked by the CLI take effect on a running gateway at once.
type Tokens struct {
	p paths

	mu sync.Mutex
	// st is the file byHash was read from: every write renames a new
	// file into place, so another inode means another content.
	st     os.FileInfo
	byHash map[string]Token
}

// OpenTokens opens the token store of the gateway home.
func OpenTokens(home string) (*Tokens, error) {
	p := paths{root: home}
	if err := p.ensure(); err != nil {
		return nil, err
	}
	return &Tokens{p: p}, nil
}

func (t *Tokens) read() (tokenFile, error) {
	var f tokenFile
	b, err := os.ReadFile(t.p.tokens())
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return f, fmt.Errorf("tokens: %w", err)
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return f, fmt.Errorf("tokens: %s is corrupt: %w", t.p.tokens(), err)
	}
	return f, nil
}

// validName is [a-z0-9._-]{1,64}, as key names.
func validName(name string) error {
	if err := keyring.ValidateName(name); err != nil {
		return fmt.Errorf("token name %q: want 1 to 64 of [a-z0-9._-]", name)
	}
	return nil
}

// Add makes a token for participant, signing with keyring key, and
// returns the token string (shown once; only its hash is stored).
func (t *Tokens) Add(name, participant, key string) (string, Token, error) {
	if err := validName(name); err != nil {
		return "", Token{}, err
	}
	if strings.TrimSpace(participant) == "" {
		return "", Token{}, fmt.Errorf("token %q: no participant", name)
	}
	if err := keyring.ValidateName(key); err != nil {
		return "", Token{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	f, err := t.read()
	if err != nil {
		return "", Token{}, err
	}
	if slices.ContainsFunc(f.Tokens, func(x Token) bool { return x.Name == name }) {
		return "", Token{}, fmt.Errorf("token %q: %w (revoke it first)", name, ErrTokenExists)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", Token{}, err
	}
	secret := TokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	tok := Token{Name: name, Participant: participant, Key: key, SHA256: tokenHash(secret), Created: time.Now().UTC().Truncate(time.Second)}
	f.Tokens = append(f.Tokens, tok)
	if err := writeJSONDurable(t.p.tokens(), f); err != nil {
		return "", Token{}, fmt.Errorf("tokens: %w", err)
	}
	t.st = nil
	return secret, tok, nil
}

// List returns the tokens by name.
func (t *Tokens) List() ([]Token, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f, err := t.read()
	if err != nil {
		return nil, err
	}
	slices.SortFunc(f.Tokens, func(a, b Token) int { return strings.Compare(a.Name, b.Name) })
	if f.Tokens == nil {
		f.Tokens = []Token{}
	}
	return f.Tokens, nil
}

// Revoke deletes the token name: it stops working at once, also on a
// running gateway.
func (t *Tokens) Revoke(name string) (Token, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f, err := t.read()
	if err != nil {
		return Token{}, err
	}
	i := slices.IndexFunc(f.Tokens, func(x Token) bool { return x.Name == name })
	if i < 0 {
		return Token{}, fmt.Errorf("token %q: %w", name, ErrTokenNotFound)
	}
	tok := f.Tokens[i]
	f.Tokens = slices.Delete(f.Tokens, i, i+1)
	if err := writeJSONDurable(t.p.tokens(), f); err != nil {
		return Token{}, fmt.Errorf("tokens: %w", err)
	}
	t.st = nil
	return tok, nil
}

// lookup returns the token whose string is secret.
func (t *Tokens) lookup(secret string) (Token, bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	st, err := os.Stat(t.p.tokens())
	switch {
	case errors.Is(err, fs.ErrNotExist):
		t.byHash, t.st = nil, nil
	case err != nil:
		return Token{}, false, fmt.Errorf("tokens: %w", err)
	case t.st == nil || !os.SameFile(t.st, st) || !st.ModTime().Equal(t.st.ModTime()) || st.Size() != t.st.Size():
		f, err := t.read()
		if err != nil {
			return Token{}, false, err
		}
		t.byHash = make(map[string]Token, len(f.Tokens))
		for _, tok := range f.Tokens {
			t.byHash[tok.SHA256] = tok
		}
		t.st = st
	}
	tok, ok := t.byHash[tokenHash(secret)]
	return tok, ok, nil
}

// tokenHash is the stored form of a token.
func tokenHash(secret string) string {
	s := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(s[:])
}
