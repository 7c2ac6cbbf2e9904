// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

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
	return &usageError{err: fmt.Errorf("--output must be %s, not %q", strings.Join(o.formats(), " or "), o.format)}
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
