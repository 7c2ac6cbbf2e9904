// SPDX-License-Identifier: Apache-2.0

package bundle

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteText writes the report for people: what was proven, per record and
// map entry, and at which height; and every failed check.
func (r *Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "bundle: %q on chain %s\n", r.Identifier, r.ChainID)
	fmt.Fprintf(w, "trust root: %s\n", r.TrustRoot)
	if len(r.HeaderPath) > 0 {
		path := make([]string, len(r.HeaderPath))
		for i, h := range r.HeaderPath {
			path[i] = fmt.Sprint(h)
		}
		fmt.Fprintf(w, "headers verified (CometBFT light-client rules): %s\n", strings.Join(path, " -> "))
	}
	if r.Header.Height > 0 {
		fmt.Fprintf(w, "header %d: hash %X, app hash %X, %s, signed by %d of %d validators (power %d of %d)\n",
			r.Header.Height, []byte(r.Header.Hash), []byte(r.Header.AppHash), r.Header.Time.UTC().Format(time.RFC3339),
			r.Header.Signed, r.Header.Validators, r.Header.SignedPower, r.Header.TotalPower)
	}
	fmt.Fprintf(w, "state height %d: log of %d records\n", r.StateHeight, r.LogSize)
	switch {
	case !r.Complete:
		fmt.Fprintf(w, "history: NOT PROVEN complete\n")
	case !r.HasHistory:
		fmt.Fprintf(w, "history: no records for %q (absence proven at state height %d)\n", r.Identifier, r.StateHeight)
	default:
		fmt.Fprintf(w, "history: %d records, complete (chain hash %X)\n", r.Count, []byte(r.ChainHash))
		if r.Recalls == 0 {
			fmt.Fprintf(w, "recalls: none in the complete history (no recall named %q as of state height %d)\n", r.Identifier, r.StateHeight)
		} else {
			fmt.Fprintf(w, "recalls: %d in the complete history\n", r.Recalls)
		}
	}
	for _, rec := range r.Records {
		if !rec.Verified {
			fmt.Fprintf(w, "  #%-7d FAILED    %s\n", rec.Index, rec.Error)
			continue
		}
		kind := rec.Kind
		if rec.EventType != "" {
			kind += " " + rec.EventType
		}
		fmt.Fprintf(w, "  #%-7d VERIFIED  %s  %-12s %-28s %s\n", rec.Index,
			time.UnixMilli(rec.TimeMs).UTC().Format(time.RFC3339), rec.Signer, kind, rec.Proven)
	}
	for _, v := range r.Values {
		switch {
		case !v.Verified:
			fmt.Fprintf(w, "  map %-40s FAILED    %s\n", v.Key, v.Error)
		case v.Present:
			fmt.Fprintf(w, "  map %-40s VERIFIED  present at state height %d\n", v.Key, r.StateHeight)
		default:
			fmt.Fprintf(w, "  map %-40s VERIFIED  absent at state height %d\n", v.Key, r.StateHeight)
		}
	}
	for _, e := range r.Errors {
		fmt.Fprintf(w, "error: %s\n", e)
	}
	if r.Verified {
		fmt.Fprintln(w, "RESULT: VERIFIED")
	} else {
		fmt.Fprintln(w, "RESULT: NOT VERIFIED")
	}
}
