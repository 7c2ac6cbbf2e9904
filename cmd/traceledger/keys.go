// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/base64"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/traceledger/traceledger/client/keyring"
)

func newKeysCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage the encrypted signing keys in <home>/keys",
	}
	cmd.AddCommand(newKeysAddCmd(), newKeysListCmd(), newKeysShowCmd(), newKeysExportCmd(), newKeysImportCmd(), newKeysAddEncryptionCmd())
	return cmd
}

type keyView struct {
	Name      string `json:"name"`
	KeyID     string `json:"key_id"`
	PublicKey string `json:"public_key"`
}

func viewOf(i keyring.Info) keyView {
	return keyView{Name: i.Name, KeyID: i.KeyID, PublicKey: base64.StdEncoding.EncodeToString(i.PublicKey)}
}

func printKey(w io.Writer, k keyView) {
	fmt.Fprintf(w, "%-16s key id %s  public key %s\n", k.Name, k.KeyID, k.PublicKey)
}

func newKeysAddCmd() *cobra.Command {
	var home string
	var pass passphraseFlags
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "add NAME",
		Short: "Generate a new Ed25519 key, encrypted with a passphrase",
		Long: `add generates a key and stores it encrypted (scrypt + XChaCha20-Poly1305).
Give its public key (shown) to your supervising department to be registered.`,
		Args: cobra.ExactArgs(1),
		RunE: out.run(func(cmd *cobra.Command, args []string) error {
			kr, err := keyring.Open(keyring.Dir(home))
			if err != nil {
				return err
			}
			pw, err := keyring.ReadPassphrase(cmd.Context(), pass.source("New passphrase: ", true))
			if err != nil {
				return err
			}
			info, err := kr.Add(args[0], pw)
			if err != nil {
				return err
			}
			v := viewOf(info)
			return out.print(cmd.OutOrStdout(), v, func(w io.Writer) { printKey(w, v) })
		}),
	}
	addHomeFlag(cmd, &home)
	pass.add(cmd)
	out.add(cmd)
	return cmd
}

func newKeysListCmd() *cobra.Command {
	var home string
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the keys (public information only)",
		Args:  cobra.NoArgs,
		RunE: out.run(func(cmd *cobra.Command, _ []string) error {
			kr, err := keyring.Open(keyring.Dir(home))
			if err != nil {
				return err
			}
			infos, err := kr.List()
			if err != nil {
				return err
			}
			views := make([]keyView, 0, len(infos))
			for _, i := range infos {
				views = append(views, viewOf(i))
			}
			return out.print(cmd.OutOrStdout(), views, func(w io.Writer) {
				if len(views) == 0 {
					fmt.Fprintf(w, "no keys in %s; create one with 'traceledger keys add NAME'\n", keyring.Dir(home))
				}
				for _, v := range views {
					printKey(w, v)
				}
			})
		}),
	}
	addHomeFlag(cmd, &home)
	out.add(cmd)
	return cmd
}

func newKeysShowCmd() *cobra.Command {
	var home string
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a key's id and public key",
		Args:  cobra.ExactArgs(1),
		RunE: out.run(func(cmd *cobra.Command, args []string) error {
			kr, err := keyring.Open(keyring.Dir(home))
			if err != nil {
				return err
			}
			info, err := kr.Show(args[0])
			if err != nil {
				return err
			}
			v := viewOf(info)
			return out.print(cmd.OutOrStdout(), v, func(w io.Writer) { printKey(w, v) })
		}),
	}
	addHomeFlag(cmd, &home)
	out.add(cmd)
	return cmd
}

func newKeysExportCmd() *cobra.Command {
	var home, file, exportEnv, exportFile string
	var pass passphraseFlags
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "export NAME",
		Short: "Export a key as a file encrypted with a separate export passphrase",
		Long: `export writes the key NAME encrypted with the export passphrase: to --out FILE,
or to standard output. With -o json, standard output carries one JSON object:
the key's name and id, and the file written or the export itself ("export").`,
		Args: cobra.ExactArgs(1),
		RunE: out.run(func(cmd *cobra.Command, args []string) error {
			kr, pw, err := unlockKeyring(cmd.Context(), home, args[0], pass)
			if err != nil {
				return err
			}
			ep, err := keyring.ReadPassphrase(cmd.Context(), exportSource(exportFile, exportEnv, "Export passphrase: ", true))
			if err != nil {
				return err
			}
			data, err := kr.Export(args[0], pw, ep)
			if err != nil {
				return err
			}
			info, err := kr.Show(args[0])
			if err != nil {
				return err
			}
			// The export is secret material: only the owner may read the file.
			return out.document(cmd, file, 0o600, data, "export", map[string]any{"name": info.Name, "key_id": info.KeyID}, nil)
		}),
	}
	addHomeFlag(cmd, &home)
	pass.add(cmd)
	out.add(cmd)
	cmd.Flags().StringVar(&file, "out", "-", "write the export to this file (- for standard output)")
	cmd.Flags().StringVarP(&file, "file", "f", "-", "same as --out")
	cmd.Flags().MarkHidden("file") // the shorthand -f of older versions
	cmd.Flags().StringVar(&exportFile, "export-passphrase-file", "", "read the export passphrase from this file")
	cmd.Flags().StringVar(&exportEnv, "export-passphrase-env", "", "read the export passphrase from this environment variable")
	return cmd
}

func newKeysImportCmd() *cobra.Command {
	var home, exportEnv, exportFile string
	var pass passphraseFlags
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "import NAME FILE",
		Short: "Import a key exported by 'keys export'",
		Args:  cobra.ExactArgs(2),
		RunE: out.run(func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[1])
			if err != nil {
				return err
			}
			kr, err := keyring.Open(keyring.Dir(home))
			if err != nil {
				return err
			}
			ep, err := keyring.ReadPassphrase(cmd.Context(), exportSource(exportFile, exportEnv, "Export passphrase: ", false))
			if err != nil {
				return err
			}
			pw, err := keyring.ReadPassphrase(cmd.Context(), pass.source("New passphrase for "+args[0]+": ", true))
			if err != nil {
				return err
			}
			info, err := kr.Import(args[0], data, ep, pw)
			if err != nil {
				return err
			}
			v := viewOf(info)
			return out.print(cmd.OutOrStdout(), v, func(w io.Writer) { printKey(w, v) })
		}),
	}
	addHomeFlag(cmd, &home)
	pass.add(cmd)
	out.add(cmd)
	cmd.Flags().StringVar(&exportFile, "export-passphrase-file", "", "read the export passphrase from this file")
	cmd.Flags().StringVar(&exportEnv, "export-passphrase-env", "", "read the export passphrase from this environment variable")
	return cmd
}

func exportSource(file, env, prompt string, confirm bool) keyring.Source {
	switch {
	case file != "":
		return keyring.Source{Kind: keyring.FromFile, Path: file}
	case env != "":
		return keyring.Source{Kind: keyring.FromEnv, Env: env}
	}
	return keyring.Source{Kind: keyring.FromTerminal, Prompt: prompt, Confirm: confirm}
}
