// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/traceledger/traceledger/client/keyring"
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

func addNodeFlag(cmd *cobra.Command, node *string) {
	cmd.Flags().StringVar(node, "node", "http://127.0.0.1:26657", "CometBFT RPC address of a node")
}

// outputFlag is --output text|json.
type outputFlag struct{ format string }

func (o *outputFlag) add(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.format, "output", "o", "text", "output format: text or json")
}

func (o *outputFlag) check() error {
	if o.format != "text" && o.format != "json" {
		return fmt.Errorf("--output must be text or json, not %q", o.format)
	}
	return nil
}

// print writes v as indented JSON, or calls text for text output.
func (o *outputFlag) print(w io.Writer, v any, text func(io.Writer)) error {
	if o.format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	text(w)
	return nil
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
