// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/traceledger/traceledger/api"
	"github.com/traceledger/traceledger/api/epcisrest"
	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/client/keyring"
)

func newAPICmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "api",
		Short: "Administer the HTTP API's EPCIS capture gateway: bearer tokens",
		Long: `api administers the EPCIS 2.0 capture gateway (docs/EPCIS-REST.md) that
'traceledger serve --gateway-home H' runs for an enterprise: a home with the
enterprise's encrypted keyring, where each bearer token lets one caller system
capture as one participant, signing with one key of the keyring.`,
	}
	token := &cobra.Command{
		Use:   "token",
		Short: "Add, list and revoke the gateway's bearer tokens (stored as SHA-256 only)",
	}
	token.AddCommand(newAPITokenAddCmd(), newAPITokenListCmd(), newAPITokenRevokeCmd())
	cmd.AddCommand(token)
	return cmd
}

// tokenView is a token as the commands print it.
type tokenView struct {
	Name        string    `json:"name"`
	Participant string    `json:"participant"`
	Key         string    `json:"key"`
	SHA256      string    `json:"sha256"`
	Created     time.Time `json:"created"`
	// Token is the secret, only in the answer of 'add'.
	Token string `json:"token,omitempty"`
}

func tokenViewOf(t epcisrest.Token) tokenView {
	return tokenView{Name: t.Name, Participant: t.Participant, Key: t.Key, SHA256: t.SHA256, Created: t.Created}
}

func newAPITokenAddCmd() *cobra.Command {
	var (
		home, participant, key string
		out                    outputFlag
	)
	cmd := &cobra.Command{
		Use:   "add NAME --participant ID",
		Short: "Make a bearer token for one participant and print it once",
		Long: `add makes a random 32-byte bearer token that lets a caller of the gateway of
--home capture EPCIS events as --participant, signed with the keyring key --key
(default: the key named like the participant). The token is printed once; the
gateway keeps only its SHA-256. A running gateway takes it at once.`,
		Example: `  traceledger api token add farm-erp --participant farm1 --home ./gateway`,
		Args:    cobra.ExactArgs(1),
		RunE: out.run(func(cmd *cobra.Command, args []string) error {
			if key == "" {
				key = participant
			}
			kr, err := keyring.Open(keyring.Dir(home))
			if err != nil {
				return err
			}
			if _, err := kr.Show(key); err != nil {
				return fmt.Errorf("--key %q: %w (add or import it with 'traceledger keys' --home %s)", key, err, home)
			}
			toks, err := epcisrest.OpenTokens(home)
			if err != nil {
				return err
			}
			secret, tok, err := toks.Add(args[0], participant, key)
			if err != nil {
				return err
			}
			v := tokenViewOf(tok)
			v.Token = secret
			return out.print(cmd.OutOrStdout(), v, func(w io.Writer) {
				fmt.Fprintf(w, "token %s for participant %s (signs with key %s):\n%s\n", tok.Name, tok.Participant, tok.Key, secret)
				fmt.Fprintln(w, "store it now: it is not shown again (the gateway keeps only its SHA-256)")
			})
		}),
	}
	addHomeFlag(cmd, &home)
	cmd.Flags().StringVar(&participant, "participant", "", "the participant the token captures as (required)")
	cmd.Flags().StringVar(&key, "key", "", "keyring key that signs the participant's captures (default: the participant id)")
	cmd.MarkFlagRequired("participant")
	out.add(cmd)
	return cmd
}

func newAPITokenListCmd() *cobra.Command {
	var (
		home string
		out  outputFlag
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the gateway's tokens (names, participants, keys; never the tokens)",
		Args:  cobra.NoArgs,
		RunE: out.run(func(cmd *cobra.Command, _ []string) error {
			toks, err := epcisrest.OpenTokens(home)
			if err != nil {
				return err
			}
			list, err := toks.List()
			if err != nil {
				return err
			}
			views := make([]tokenView, len(list))
			for i, t := range list {
				views[i] = tokenViewOf(t)
			}
			return out.print(cmd.OutOrStdout(), views, func(w io.Writer) {
				if len(views) == 0 {
					fmt.Fprintln(w, "no tokens")
				}
				for _, v := range views {
					fmt.Fprintf(w, "%-20s participant %-16s key %-16s created %s\n", v.Name, v.Participant, v.Key, v.Created.Format(time.RFC3339))
				}
			})
		}),
	}
	addHomeFlag(cmd, &home)
	out.add(cmd)
	return cmd
}

func newAPITokenRevokeCmd() *cobra.Command {
	var (
		home string
		out  outputFlag
	)
	cmd := &cobra.Command{
		Use:   "revoke NAME",
		Short: "Revoke a token: it stops working at once, also on a running gateway",
		Args:  cobra.ExactArgs(1),
		RunE: out.run(func(cmd *cobra.Command, args []string) error {
			toks, err := epcisrest.OpenTokens(home)
			if err != nil {
				return err
			}
			tok, err := toks.Revoke(args[0])
			if err != nil {
				return err
			}
			v := tokenViewOf(tok)
			return out.print(cmd.OutOrStdout(), map[string]any{"revoked": v}, func(w io.Writer) {
				fmt.Fprintf(w, "revoked token %s of participant %s\n", v.Name, v.Participant)
			})
		}),
	}
	addHomeFlag(cmd, &home)
	out.add(cmd)
	return cmd
}

// gatewayFlags are serve's flags of the EPCIS interface.
type gatewayFlags struct {
	home, passphraseFile string
	captureLimit         int
	fileSizeLimit        int64
}

func (g *gatewayFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&g.home, "gateway-home", "", "serve the EPCIS 2.0 interface under /epcis/ (docs/EPCIS-REST.md) as the capture gateway of this home: its keyring signs, its tokens ('traceledger api token') authenticate, its jobs and payloads live there")
	cmd.Flags().StringVar(&g.passphraseFile, "gateway-passphrase-file", "", "file holding the passphrase of the gateway's keyring (without it the gateway answers queries only)")
	cmd.Flags().IntVar(&g.captureLimit, "gateway-capture-limit", epcisrest.DefaultCaptureLimit, "most events per capture (GS1-EPCIS-Capture-Limit)")
	cmd.Flags().Int64Var(&g.fileSizeLimit, "gateway-file-size-limit", epcisrest.DefaultCaptureFileSizeLimit, "largest capture body, bytes (GS1-EPCIS-Capture-File-Size-Limit)")
}

// start mounts the gateway on srv and runs its capture jobs (those a
// previous run left first) until stop; without --gateway-home it does
// nothing.
func (g *gatewayFlags) start(cmd *cobra.Command, c *client.Client, srv *api.Server, logger *slog.Logger, timeout time.Duration) (stop func(), err error) {
	if g.home == "" {
		if g.passphraseFile != "" {
			return nil, &usageError{cmd: cmd.CommandPath(), err: fmt.Errorf("--gateway-passphrase-file needs --gateway-home")}
		}
		return func() {}, nil
	}
	var pass []byte
	if g.passphraseFile != "" {
		if pass, err = keyring.ReadPassphrase(cmd.Context(), keyring.Source{Kind: keyring.FromFile, Path: g.passphraseFile}); err != nil {
			return nil, fmt.Errorf("--gateway-passphrase-file: %w", err)
		}
	}
	gw, err := epcisrest.New(c, epcisrest.Options{Home: g.home, Passphrase: pass, CaptureLimit: g.captureLimit,
		CaptureFileSizeLimit: g.fileSizeLimit, Timeout: timeout, Logger: logger})
	if err != nil {
		return nil, err
	}
	gw.Mount(srv.Handle)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- gw.Run(ctx) }()
	mode := "capture and query"
	if pass == nil {
		mode = "query only: no --gateway-passphrase-file"
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "EPCIS 2.0 interface on /epcis/ (gateway home %s, %s)\n", g.home, mode)
	return func() {
		cancel()
		if err := <-done; err != nil {
			logger.Error("EPCIS gateway", "err", err)
		}
	}, nil
}
