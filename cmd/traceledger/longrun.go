// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
)

// What the long-running commands ('audit', 'watch run') share: an alerts
// file of JSON lines and HTTP listeners in the background.

// openAlerts opens the alerts output: path, or alerts.jsonl beside
// statePath when path is empty, appended to; "-" is standard output. It
// returns the writer, the path used and a close function.
func openAlerts(cmd *cobra.Command, path, statePath string) (io.Writer, string, func(), error) {
	if path == "" {
		path = filepath.Join(filepath.Dir(statePath), "alerts.jsonl")
	}
	if path == "-" {
		return cmd.OutOrStdout(), path, func() {}, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, "", nil, fmt.Errorf("alerts directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, "", nil, fmt.Errorf("open alerts file: %w", err)
	}
	return f, path, func() { f.Close() }, nil
}

// serveBackground serves h on addr until stop, saying where on standard
// error (what names it in messages).
func serveBackground(cmd *cobra.Command, addr, what string, h http.Handler) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s listener: %w", what, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	fmt.Fprintf(cmd.ErrOrStderr(), "%s on http://%s\n", what, ln.Addr())
	return func() { srv.Close() }, nil
}

// metricsMux serves h at /metrics.
func metricsMux(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", h)
	return mux
}
