// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/client/keyring"
	"github.com/traceledger/traceledger/node"
)

// defaultHome is ~/.traceledger, or ./.traceledger without a home directory.
func defaultHome() string {
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".traceledger")
	}
	return ".traceledger"
}

func addHomeFlag(cmd *cobra.Command, home *string) {
	cmd.Flags().StringVar(home, "home", defaultHome(), "node home directory (config, data, keys)")
}

// defaultNodeURL is the RPC address used when neither --node nor a home's
// configuration gives one.
const defaultNodeURL = "http://127.0.0.1:26657"

func addNodeFlag(cmd *cobra.Command, node *string) {
	cmd.Flags().StringVar(node, "node", defaultNodeURL, "CometBFT RPC address of a node (http://HOST:PORT; a bare HOST:PORT means http://)")
}

// normalizeNodeURL checks an RPC address given with flag: a bare
// HOST:PORT gets http://, tcp:// (as in config.toml) becomes http://;
// other schemes are refused with a message that says what to give.
func normalizeNodeURL(flag, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", &usageError{err: fmt.Errorf("%s is empty: give the RPC address of a node, e.g. %s", flag, defaultNodeURL)}
	}
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", &usageError{err: fmt.Errorf("%s %q is not an address: give http://HOST:PORT, e.g. %s", flag, s, defaultNodeURL)}
	}
	switch u.Scheme {
	case "http", "https":
	case "tcp":
		u.Scheme = "http"
	default:
		return "", &usageError{err: fmt.Errorf("%s %q: the scheme must be http or https, e.g. %s", flag, s, defaultNodeURL)}
	}
	if u.Hostname() == "" {
		return "", &usageError{err: fmt.Errorf("%s %q names no host: give http://HOST:PORT, e.g. %s", flag, s, defaultNodeURL)}
	}
	return u.String(), nil
}

// rpcFromHome is the RPC address of the node whose home is home, from its
// config/config.toml (rpc.laddr; a wildcard host means this machine), if
// home holds a node configuration with a TCP RPC address.
func rpcFromHome(home string) (string, bool) {
	if _, err := os.Stat(filepath.Join(home, "config", "config.toml")); err != nil {
		return "", false
	}
	conf, err := node.LoadConfig(home)
	if err != nil {
		return "", false
	}
	u, err := url.Parse(conf.RPC.ListenAddress)
	if err != nil || (u.Scheme != "tcp" && u.Scheme != "http" && u.Scheme != "https") || u.Port() == "" {
		return "", false
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	scheme := "http"
	if u.Scheme == "https" {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, u.Port()), true
}

// outputFlag is -o/--output: text or json (and the extra formats a command
// adds, such as dot). Every command that prints a result has it.
type outputFlag struct {
	format string
	extra  []string
}

func (o *outputFlag) add(cmd *cobra.Command, extra ...string) {
	o.extra = extra
	cmd.Flags().StringVarP(&o.format, "output", "o", "text", "output format: "+strings.Join(o.formats(), ", "))
}

func (o *outputFlag) formats() []string { return append([]string{"text", "json"}, o.extra...) }

// aliasFlag adds a deprecated flag name that sets the same format (the
// --format of older versions).
func (o *outputFlag) aliasFlag(cmd *cobra.Command, name string) {
	cmd.Flags().StringVar(&o.format, name, "text", "output format (deprecated: use -o/--output)")
	cmd.Flags().MarkHidden(name) // kept for scripts written before -o; no warning, which would mix into the output
}

func (o *outputFlag) check() error {
	for _, f := range o.formats() {
		if o.format == f {
			return nil
		}
	}
	return &usageError{err: mustBe("--output", o.formats(), o.format)}
}

// runFunc is the signature of a command's RunE.
type runFunc = func(cmd *cobra.Command, args []string) error

// run is the RunE that refuses an unknown output format, then runs body:
// every command that prints a result checks -o before anything else.
func (o *outputFlag) run(body runFunc) runFunc {
	return func(cmd *cobra.Command, args []string) error {
		if err := o.check(); err != nil {
			return err
		}
		return body(cmd, args)
	}
}

// json reports whether the output is JSON.
func (o *outputFlag) json() bool { return o.format == "json" }

// print writes v as indented JSON, or calls text for text output.
func (o *outputFlag) print(w io.Writer, v any, text func(io.Writer)) error {
	if o.json() {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	text(w)
	return nil
}

// document writes a command's document result (a bundle, a proof, an EPCIS
// document, a credential, a key export): to the file path (with --out), or
// to standard output. The summary goes to standard error in text mode
// (standard output then carries the document alone); with -o json, standard
// output carries one JSON object: the summary, with the file written
// ("file") or the document itself under key. A file is created with
// permissions perm.
func (o *outputFlag) document(cmd *cobra.Command, path string, perm os.FileMode, doc []byte, key string, summary map[string]any, text func(io.Writer)) error {
	toFile := path != "" && path != "-"
	if toFile {
		if err := os.WriteFile(path, doc, perm); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	if !o.json() {
		if !toFile {
			if _, err := cmd.OutOrStdout().Write(doc); err != nil {
				return err
			}
		}
		if text != nil {
			text(cmd.ErrOrStderr())
		}
		return nil
	}
	view := map[string]any{}
	for k, v := range summary {
		view[k] = v
	}
	if toFile {
		view["file"] = filepath.Clean(path)
	} else if json.Valid(doc) {
		view[key] = json.RawMessage(doc)
	} else {
		view[key] = string(doc)
	}
	return o.print(cmd.OutOrStdout(), view, nil)
}

// passphraseFlags select where a key passphrase comes from.
type passphraseFlags struct {
	file string
	env  string
}

func (p *passphraseFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&p.file, "passphrase-file", "", "read the key passphrase from this file")
	cmd.Flags().StringVar(&p.env, "passphrase-env", "", "read the key passphrase from this environment variable (default: prompt, or $"+keyring.DefaultEnvVar+" when set)")
}

// source picks file, then env, then $TRACELEDGER_PASSPHRASE, then the terminal.
func (p *passphraseFlags) source(prompt string, confirm bool) keyring.Source {
	switch {
	case p.file != "":
		return keyring.Source{Kind: keyring.FromFile, Path: p.file}
	case p.env != "":
		return keyring.Source{Kind: keyring.FromEnv, Env: p.env}
	}
	if _, ok := os.LookupEnv(keyring.DefaultEnvVar); ok {
		return keyring.Source{Kind: keyring.FromEnv}
	}
	return keyring.Source{Kind: keyring.FromTerminal, Prompt: prompt, Confirm: confirm}
}

// unlockKeyring opens the keyring of home and reads the passphrase of the
// key name once (from the source pass selects).
func unlockKeyring(ctx context.Context, home, name string, pass passphraseFlags) (*keyring.Keyring, []byte, error) {
	kr, err := keyring.Open(keyring.Dir(home))
	if err != nil {
		return nil, nil, err
	}
	pw, err := keyring.ReadPassphrase(ctx, pass.source("Passphrase of "+name+": ", false))
	if err != nil {
		return nil, nil, err
	}
	return kr, pw, nil
}

// signerFlags are --from and the passphrase flags: the one loader of the
// signing key of every command that signs.
type signerFlags struct {
	from string
	pass passphraseFlags
}

// add adds --from (required; fromHelp says whose key it names) and the
// passphrase flags.
func (s *signerFlags) add(cmd *cobra.Command, fromHelp string) {
	cmd.Flags().StringVar(&s.from, "from", "", fromHelp+" (required)")
	cmd.MarkFlagRequired("from")
	s.pass.add(cmd)
}

// keyring opens the keyring of home and reads the passphrase of --from.
func (s *signerFlags) keyring(ctx context.Context, home string) (*keyring.Keyring, []byte, error) {
	return unlockKeyring(ctx, home, s.from, s.pass)
}

// signer loads the --from key of home's keyring.
func (s *signerFlags) signer(ctx context.Context, home string) (client.Signer, error) {
	kr, pw, err := s.keyring(ctx, home)
	if err != nil {
		return client.Signer{}, err
	}
	key, err := kr.Signer(s.from, pw)
	if err != nil {
		return client.Signer{}, err
	}
	return client.Signer{Key: key}, nil
}

// txFlags are the flags every command that signs and submits a
// transaction takes: the node, the API server to submit through instead
// of the node (--api), the signing key and the output format.
type txFlags struct {
	conn connFlags
	api  string
	sign signerFlags
	out  outputFlag
}

// add adds the connection flags, --api, --from (fromHelp says whose key it
// names), the passphrase flags and -o/--output.
func (t *txFlags) add(cmd *cobra.Command, fromHelp string) {
	t.conn.add(cmd)
	cmd.Flags().StringVar(&t.api, "api", "", "submit the signed transaction through this TraceLedger API server (POST /v1/txs), http(s)://HOST:PORT, instead of the node's RPC; reads and their verification stay with --node")
	t.sign.add(cmd, fromHelp)
	t.out.add(cmd)
}

// client is the verifying client of the node, submitting through --api
// when it is given.
func (t *txFlags) client() (*client.Client, error) {
	var b client.Broadcaster
	if t.api != "" {
		u, err := normalizeAPIURL(t.api)
		if err != nil {
			return nil, err
		}
		ab, err := client.NewAPIBroadcaster(u, nil)
		if err != nil {
			return nil, &usageError{err: fmt.Errorf("--api: %w", err)}
		}
		b = ab
	}
	c, err := t.conn.client()
	if err != nil {
		return nil, err
	}
	if b != nil {
		c.UseBroadcaster(b)
	}
	return c, nil
}

// normalizeAPIURL checks --api: a bare HOST:PORT gets http://; the scheme
// must be http or https.
func normalizeAPIURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return "", &usageError{err: fmt.Errorf("--api %q: give the address of a TraceLedger API server, http(s)://HOST:PORT, e.g. http://127.0.0.1:8080", s)}
	}
	return u.String(), nil
}

// signer returns the client and the --from key.
func (t *txFlags) signer(ctx context.Context) (*client.Client, client.Signer, error) {
	s, err := t.sign.signer(ctx, t.conn.home)
	if err != nil {
		return nil, client.Signer{}, err
	}
	c, err := t.client()
	if err != nil {
		return nil, client.Signer{}, err
	}
	return c, s, nil
}

// committed prints the outcome of a transaction: its hash, height and log
// indexes, with extra fields, and line first in text output.
func (t *txFlags) committed(cmd *cobra.Command, res *client.Committed, extra map[string]any, line string) error {
	view := map[string]any{"tx_hash": fmt.Sprintf("%X", res.Hash), "height": res.Height, "log_indexes": res.Indexes}
	for k, v := range extra {
		view[k] = v
	}
	return t.out.print(cmd.OutOrStdout(), view, func(w io.Writer) {
		if line != "" {
			fmt.Fprintln(w, line)
		}
		fmt.Fprintf(w, "committed: tx %X at height %d, log index %v\n", res.Hash, res.Height, res.Indexes)
	})
}

// hashFlag is a SHA-256 given either as a file to hash, --NAME FILE (the
// file stays local), or as hex, --NAME-sha256 HEX.
type hashFlag struct {
	name, file, hex string
}

// add adds --name (help fileHelp) and --name-sha256 (help hexHelp).
func (h *hashFlag) add(cmd *cobra.Command, name, fileHelp, hexHelp string) {
	h.name = name
	cmd.Flags().StringVar(&h.file, name, "", fileHelp)
	cmd.Flags().StringVar(&h.hex, name+"-sha256", "", hexHelp)
}

// sum is the hash given, or nil when neither flag is.
func (h *hashFlag) sum() ([]byte, error) {
	switch {
	case h.file != "" && h.hex != "":
		return nil, fmt.Errorf("give --%s or --%s-sha256, not both", h.name, h.name)
	case h.file != "":
		b, err := os.ReadFile(h.file)
		if err != nil {
			return nil, fmt.Errorf("--%s: %w", h.name, err)
		}
		s := sha256.Sum256(b)
		return s[:], nil
	case h.hex != "":
		b, err := hex.DecodeString(h.hex)
		if err != nil || len(b) != sha256.Size {
			return nil, fmt.Errorf("--%s-sha256 %q is not 64 hex digits", h.name, h.hex)
		}
		return b, nil
	}
	return nil, nil
}

// required is the hash given; neither flag is an error.
func (h *hashFlag) required() ([]byte, error) {
	s, err := h.sum()
	if err == nil && s == nil {
		err = fmt.Errorf("give --%s FILE or --%s-sha256 HEX", h.name, h.name)
	}
	return s, err
}

// decodeKey parses a base64 Ed25519 public key (as `keys show` prints it).
func decodeKey(flag, s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != 32 {
		return nil, fmt.Errorf("%s %q is not a base64 32-byte Ed25519 public key (see 'traceledger keys show')", flag, s)
	}
	return b, nil
}

// parseDate reads 2026-01-02 or an RFC 3339 time as Unix milliseconds.
func parseDate(flag, s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	for _, layout := range []string{time.DateOnly, time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, fmt.Errorf("%s %q: want a date (2026-01-02) or an RFC 3339 time", flag, s)
}
