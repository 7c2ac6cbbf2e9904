// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/traceledger/traceledger/portal/label"
)

func newLabelCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "label",
		Short: "Make QR labels that open the public portal's product page",
	}
	cmd.AddCommand(newLabelQRCmd())
	return cmd
}

func newLabelQRCmd() *cobra.Command {
	var resolver, format, out string
	var size int
	var output outputFlag
	cmd := &cobra.Command{
		Use:   "qr IDENTIFIER",
		Short: "Write a QR code of an identifier's GS1 Digital Link on the resolver, with the code beneath",
		Long: `qr writes a label for IDENTIFIER (any spelling of a GS1 key: EPC URI, Digital
Link on any domain): a QR code of its Digital Link URL on --resolver, the
API server's public URL, whose GS1 resolver sends a browser to the portal's
product page (docs/PORTAL.md), and the GS1 element string beneath. PNG or
SVG, to --out FILE or standard output.`,
		Example: `  traceledger label qr urn:epc:class:lgtin:6901234.500012.LOT1 --resolver https://trace.example.gov.cn --out lot1.png
  traceledger label qr 'https://id.gs1.org/01/56901234000127/10/LOT1' --resolver https://trace.example.gov.cn --format svg --out lot1.svg`,
		Args: cobra.ExactArgs(1),
		RunE: output.run(func(cmd *cobra.Command, args []string) error {
			if resolver == "" {
				return &usageError{cmd: cmd.CommandPath(), err: fmt.Errorf("--resolver is required: the public URL of the API server (scheme and host)")}
			}
			if format != "png" && format != "svg" {
				return &usageError{cmd: cmd.CommandPath(), err: mustBe("--format", []string{"png", "svg"}, format)}
			}
			if size < 64 || size > 4096 {
				return &usageError{cmd: cmd.CommandPath(), err: fmt.Errorf("--size %d: give 64 to 4096 pixels", size)}
			}
			u, err := label.URL(resolver, args[0])
			if err != nil {
				return &usageError{cmd: cmd.CommandPath(), err: err}
			}
			text := label.HumanReadable(u)
			l, err := label.New(u, text)
			if err != nil {
				return err
			}
			doc := l.SVG(size)
			if format == "png" {
				if doc, err = l.PNG(size); err != nil {
					return err
				}
			}
			summary := map[string]any{"url": u, "text": text, "format": format}
			return output.document(cmd, out, 0o644, doc, "label", summary, func(w io.Writer) {
				fmt.Fprintf(w, "label for %s\n  %s\n", text, u)
			})
		}),
	}
	output.add(cmd)
	cmd.Flags().StringVar(&resolver, "resolver", "", "public URL of the API server whose GS1 resolver the label opens, e.g. https://trace.example.gov.cn")
	cmd.Flags().StringVar(&format, "format", "png", "png or svg")
	cmd.Flags().IntVar(&size, "size", 512, "width in pixels (PNG) or user units (SVG)")
	cmd.Flags().StringVar(&out, "out", "", "write the label to FILE (default: standard output)")
	return cmd
}
