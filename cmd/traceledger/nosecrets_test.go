// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/traceledger/traceledger/client/keyring"
)

// secretFlagAllowed says why a flag whose name suggests a secret takes
// none: it names a file or an environment variable, or takes a public key,
// or is one of the named exceptions (by command path and flag name).
func secretFlagAllowed(cmdPath string, f *pflag.Flag) (string, bool) {
	exceptions := map[string]string{
		"traceledger serve --tls-key":                         "a file path (the TLS key file, PEM)",
		"traceledger api token add --key":                     "the name of a keyring key, not the key",
		"traceledger tx participant add-encryption-key --key": "the name of a keyring encryption key, not the key (the public recipient goes with --recipient)",
	}
	switch {
	case strings.HasSuffix(f.Name, "-file"):
		return "a file path", true
	case strings.HasSuffix(f.Name, "-env"):
		return "the name of an environment variable", true
	case strings.Contains(strings.ToLower(f.Usage), "public key"):
		return "a public key", true
	}
	why, ok := exceptions[cmdPath+" --"+f.Name]
	return why, ok
}

// TestNoSecretInArguments: keys are never in arguments (issue 16, "Keys").
// Over the whole command tree, no flag whose name suggests a secret
// (passphrase, key, secret, token, seed, private, password) takes the
// secret itself: each names a file or an environment variable, takes a
// public key, or is a named exception that takes neither (a keyring key's
// name, a TLS key file). A new flag that takes a secret fails here.
func TestNoSecretInArguments(t *testing.T) {
	secretish := regexp.MustCompile(`(?i)pass|secret|token|seed|priv|mnemonic|key`)
	seen := 0
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		check := func(f *pflag.Flag) {
			if !secretish.MatchString(f.Name) {
				return
			}
			seen++
			if _, ok := secretFlagAllowed(c.CommandPath(), f); !ok {
				t.Errorf("%s --%s (%q) may take a secret on the command line, where ps and shell history show it: read it from a file (--...-file) or an environment variable (--...-env)", c.CommandPath(), f.Name, f.Usage)
			}
		}
		c.Flags().VisitAll(check)
		c.PersistentFlags().VisitAll(check)
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(newRootCmd())
	if seen < 20 {
		t.Fatalf("only %d secret-looking flags found: the walk checks nothing", seen)
	}
}

// runAll is run returning standard output and standard error together.
func runAll(t *testing.T, ctx context.Context, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return out.String(), err
}

// TestNoSecretInOutputOrFiles: a known passphrase and export passphrase,
// and the private key they protect, never appear in what the CLI prints
// (standard output and error, text and JSON, errors included) nor in clear
// in any file under the node's home (config, data, logs, the keyring)
// while keys are added, listed, shown, exported and used to sign, and
// when a wrong passphrase is given.
func TestNoSecretInOutputOrFiles(t *testing.T) {
	const pass = "Zq7-unique passphrase-4711-never-printed"
	const exportPass = "Xk9-unique export passphrase-0815-never-printed"
	t.Setenv("TRACELEDGER_PASSPHRASE", pass)
	t.Setenv("TL_TEST_EXPORT_PASS", exportPass)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n := startTestNode(t, ctx, "no-secrets")
	conn := []string{"--home", n.home, "--node", n.url}
	exportFile := filepath.Join(t.TempDir(), "farm2.export")
	var printed strings.Builder
	for _, args := range [][]string{
		{"keys", "add", "farm2", "-o", "json"},
		{"keys", "add", "farm3"},
		{"keys", "list", "-o", "json"},
		{"keys", "show", "farm1"},
		{"keys", "export", "farm2", "--export-passphrase-env", "TL_TEST_EXPORT_PASS", "--out", exportFile},
		{"tx", "record", "--from", "farm1", "--subject", "urn:epc:class:lgtin:6901234.000012.NOSECRET", "--type", "harvest", "--payload-sha256", strings.Repeat("ab", 32)},
		{"tx", "record", "--from", "farm1", "--subject", "urn:epc:class:lgtin:6901234.000012.NOSECRET", "--type", "harvest", "--payload-sha256", strings.Repeat("cd", 32), "-o", "json"},
		{"query", "history", "urn:epc:class:lgtin:6901234.000012.NOSECRET", "-o", "json"},
	} {
		full := append(args, "--home", n.home)
		if args[0] != "keys" {
			full = append(args, conn...)
		}
		out, err := runAll(t, ctx, full...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		printed.WriteString(out)
	}
	// A wrong passphrase: the error must not echo either one.
	t.Setenv("TRACELEDGER_PASSPHRASE", "a wrong passphrase, also long")
	out, err := runAll(t, ctx, append([]string{"tx", "record", "--from", "farm1", "--subject", "urn:epc:class:lgtin:6901234.000012.NOSECRET", "--type", "x", "--payload-sha256", strings.Repeat("ef", 32)}, conn...)...)
	if err == nil {
		t.Fatal("signing with a wrong passphrase succeeded")
	}
	printed.WriteString(out + err.Error())

	kr, err := keyring.Open(filepath.Join(n.home, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{"passphrase": pass, "export passphrase": exportPass}
	for _, name := range []string{"farm1", "farm2", "farm3"} {
		priv, err := kr.Signer(name, []byte(pass))
		if err != nil {
			t.Fatalf("key %s: %v", name, err)
		}
		for what, b := range map[string][]byte{"seed": priv.Seed(), "private key": priv} {
			secrets[name+" "+what+" (hex)"] = hex.EncodeToString(b)
			secrets[name+" "+what+" (HEX)"] = strings.ToUpper(hex.EncodeToString(b))
			secrets[name+" "+what+" (base64)"] = base64.StdEncoding.EncodeToString(b)
			secrets[name+" "+what+" (base64 raw)"] = base64.RawStdEncoding.EncodeToString(b)
			secrets[name+" "+what+" (base64url)"] = base64.RawURLEncoding.EncodeToString(b)
		}
	}
	for what, s := range secrets {
		if strings.Contains(printed.String(), s) {
			t.Errorf("the CLI printed the %s", what)
		}
	}
	files := 0
	err = filepath.WalkDir(n.home, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil // a file the node holds open exclusively
		}
		files++
		for what, s := range secrets {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("%s holds the %s in clear", path, what)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	exp, _ := os.ReadFile(exportFile)
	for what, s := range secrets {
		if len(exp) == 0 || bytes.Contains(exp, []byte(s)) {
			t.Errorf("the export file is empty or holds the %s in clear", what)
		}
	}
	if files < 5 {
		t.Fatalf("only %d files under the home: the scan checks nothing", files)
	}
}
