// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/epcis"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

func newEPCISCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "epcis",
		Short: "GS1 EPCIS 2.0 events: hash, import, export, check disclosed payloads",
		Long: `epcis works with GS1 EPCIS 2.0 documents in JSON / JSON-LD or XML
(EPCISDocument, EPCISQueryDocument, or a single event).

Every event is identified by its CBV 2.0 Event Hash ID
(ni:///sha-256;<hex>?ver=CBV2.0), computed the same way by this tool, by every
validator and by anyone who re-checks an export. An event is recorded either in
full (public: validators recompute its hash ID) or hashed (only the hash ID,
the SHA-256 of its JCS-canonical payload and its index fields: identifiers,
event type, bizStep, disposition, event time, locations). Every event extends
the provable history of each identifier it names, keyed by the identifier's
canonical form (GS1 keys as constrained canonical GS1 Digital Link URIs).`,
	}
	cmd.AddCommand(newEPCISHashCmd(), newEPCISImportCmd(), newEPCISExportCmd(), newEPCISCheckCmd(), newEPCISShowCmd())
	return cmd
}

// formatFlag is --format auto|json|xml.
type formatFlag struct{ value string }

func (f *formatFlag) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.value, "format", "auto", "document format: auto (by content), json (JSON / JSON-LD) or xml")
}

func (f *formatFlag) get() (epcis.Format, error) { return documentFormats.parse("--format", f.value) }

// readInput reads a file, or standard input for "-".
func readInput(cmd *cobra.Command, path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(cmd.InOrStdin())
	}
	return os.ReadFile(path)
}

func newEPCISHashCmd() *cobra.Command {
	var (
		prehash bool
		format  formatFlag
		out     outputFlag
	)
	cmd := &cobra.Command{
		Use:   "hash DOCUMENT",
		Short: "Print each event's Event Hash ID (or pre-hash string), one per line, in document order",
		Long: `hash reads an EPCIS 2.0 document (a file, or - for standard input) and prints the
CBV 2.0 Event Hash ID of each event, one per line, in document order. With
--prehash it prints the canonical pre-hash string the hash is taken over. No node
is needed. A malformed document or event is an error naming the event index and
the field.`,
		Example: `  traceledger epcis hash shipment.jsonld
  traceledger epcis hash --prehash shipment.xml`,
		Args: cobra.ExactArgs(1),
		RunE: out.run(func(cmd *cobra.Command, args []string) error {
			f, err := format.get()
			if err != nil {
				return err
			}
			data, err := readInput(cmd, args[0])
			if err != nil {
				return err
			}
			events, err := epcis.ParseBytes(data, f)
			if err != nil {
				return err
			}
			lines := make([]string, len(events))
			for i, ev := range events {
				pre, err := epcis.PreHash(ev)
				if err != nil {
					return err
				}
				if prehash {
					lines[i] = pre
				} else {
					lines[i] = epcis.HashPreHash(pre)
				}
			}
			return out.print(cmd.OutOrStdout(), lines, func(w io.Writer) {
				for _, l := range lines {
					fmt.Fprintln(w, l)
				}
			})
		}),
	}
	cmd.Flags().BoolVar(&prehash, "prehash", false, "print the canonical pre-hash strings instead of the hash IDs")
	format.add(cmd)
	out.add(cmd)
	return cmd
}

// progressLine draws an import's progress on a terminal: a progress bar
// (github.com/schollz/progressbar) of the new events committed, with the
// counts, rewritten in place. It draws nothing unless made for a terminal,
// so a pipe or a file never gets carriage returns.
type progressLine struct {
	w    io.Writer // nil: not a terminal
	bar  *progressbar.ProgressBar
	last time.Time
}

// newProgressLine reports progress on w if w is a terminal.
func newProgressLine(w io.Writer) *progressLine {
	if !isTerminal(w) {
		return &progressLine{}
	}
	return &progressLine{w: w}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// update draws pr, at most five times a second unless final; the final
// report ends the line.
func (p *progressLine) update(pr client.ImportProgress, final bool) {
	if p.w == nil {
		return
	}
	newEvents := pr.Total - pr.Known
	if !final && (newEvents == 0 || time.Since(p.last) < 200*time.Millisecond) {
		return
	}
	p.last = time.Now()
	size, done := int64(newEvents), int64(pr.Committed)
	if newEvents == 0 { // nothing to submit: a full bar
		size, done = 1, 1
	}
	if p.bar == nil {
		w := p.w
		p.bar = progressbar.NewOptions64(size,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetWidth(30),
			progressbar.OptionSetTheme(progressbar.Theme{Saucer: "#", SaucerPadding: " ", BarStart: "[", BarEnd: "]"}),
			progressbar.OptionShowDescriptionAtLineEnd(),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionSetElapsedTime(false),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }))
	} else if p.bar.GetMax64() != size {
		p.bar.ChangeMax64(size)
	}
	p.bar.Describe(fmt.Sprintf("%d/%d new events submitted, %d committed (%d already recorded)", pr.Submitted, newEvents, pr.Committed, pr.Known))
	p.bar.Set64(done)
	if final && !p.bar.IsFinished() {
		p.bar.Exit() // ends the line where the import stopped
	}
}

func newEPCISImportCmd() *cobra.Command {
	var (
		tx         txFlags
		format     formatFlag
		hashed     bool
		payloadDir string
		batch      int
		inFlight   int
		dryRun     bool
	)
	cmd := &cobra.Command{
		Use:   "import DOCUMENT",
		Short: "Validate an EPCIS 2.0 document, record its events in batches, and wait for commit",
		Long: `import reads an EPCIS 2.0 document in JSON / JSON-LD or XML (EPCISDocument,
EPCISQueryDocument or a single event), checks every event as the validators
will (an error names the event index and the field, and nothing is sent),
computes every Event Hash ID, and submits the events the signer's participant
has not recorded yet in RecordEventBatch transactions of up to 1,000 events (fewer when the network's
max_tx_bytes is reached), several in flight, waiting until all are committed.
Progress goes to standard error when it is a terminal.

Re-importing the same document records nothing twice: events the participant
already recorded are skipped, and the summary says how many. Another
participant's recording of an event does not count: each participant records
its own (the ledger lists every recording, see 'traceledger epcis show').

By default events are recorded in full (public). With --hashed only the hash
ID, the payload's SHA-256 and the index fields go on the ledger; --payload-dir
then writes each event's disclosable payload (<hash hex>.json, JCS canonical)
for 'traceledger epcis check'. The TraceLedger extension fields tl:chainLink,
tl:domainStep and tl:userHash (namespace https://ns.traceledger.org/epcis/)
become the record's context.`,
		Example: `  traceledger epcis import --from farm1 harvest-2026-11.jsonld
  traceledger epcis import --from farm1 --hashed --payload-dir ./payloads shipments.xml`,
		Args: cobra.ExactArgs(1),
		RunE: tx.out.run(func(cmd *cobra.Command, args []string) error {
			f, err := format.get()
			if err != nil {
				return err
			}
			data, err := readInput(cmd, args[0])
			if err != nil {
				return err
			}
			mode := client.ImportPublic
			if hashed {
				mode = client.ImportHashed
			} else if payloadDir != "" {
				return fmt.Errorf("--payload-dir needs --hashed (public events are on the ledger in full)")
			}
			events, err := client.PrepareImport(data, f, mode)
			if err != nil {
				return err
			}
			if payloadDir != "" {
				if err := writePayloads(payloadDir, events); err != nil {
					return err
				}
			}
			if dryRun {
				return dryRunImport(cmd, &tx, events, batch)
			}
			c, signer, err := tx.signer(cmd.Context())
			if err != nil {
				return err
			}
			pl := newProgressLine(cmd.ErrOrStderr())
			res, err := c.Import(cmd.Context(), events, client.ImportOptions{Signer: signer, MaxBatch: batch, InFlight: inFlight,
				Progress: func(p client.ImportProgress) { pl.update(p, false) }})
			if res != nil {
				pl.update(res.ImportProgress, true)
			}
			if err != nil {
				return err
			}
			var heights []int64
			for _, tx := range res.Txs {
				heights = append(heights, tx.Height)
			}
			newEvents := res.Committed
			view := map[string]any{"events": res.Total, "recorder": res.Recorder, "recorded": newEvents, "already_recorded": res.Known - res.DuplicatesInDocument,
				"duplicates_in_document": res.DuplicatesInDocument, "transactions": len(res.Txs), "heights": heights, "mode": map[bool]string{true: "hashed", false: "public"}[hashed]}
			return tx.out.print(cmd.OutOrStdout(), view, func(w io.Writer) {
				switch {
				case newEvents == 0:
					fmt.Fprintf(w, "nothing to record: %s already recorded all %d events", res.Recorder, res.Total)
				default:
					fmt.Fprintf(w, "recorded %d of %d events as %s in %d transactions (heights %v)", newEvents, res.Total, res.Recorder, len(res.Txs), heights)
					if n := res.Known - res.DuplicatesInDocument; n > 0 {
						fmt.Fprintf(w, "; %s had already recorded %d", res.Recorder, n)
					}
				}
				if res.DuplicatesInDocument > 0 {
					fmt.Fprintf(w, "; %d repeat an earlier event of the document", res.DuplicatesInDocument)
				}
				fmt.Fprintln(w)
			})
		}),
	}
	tx.add(cmd, "name of the signing key in the keyring")
	format.add(cmd)
	cmd.Flags().BoolVar(&hashed, "hashed", false, "record hashed events (hash ID, payload SHA-256 and index fields only)")
	cmd.Flags().StringVar(&payloadDir, "payload-dir", "", "with --hashed: write each event's disclosable payload to DIR/<hash hex>.json")
	cmd.Flags().IntVar(&batch, "batch", tlv1.MaxBatchEvents, "most events per transaction (1 to 1000)")
	cmd.Flags().IntVar(&inFlight, "in-flight", 8, "transactions awaiting commit at once")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "validate, hash and apply every limit the submission meets (the chain's params read with a proof from the node; with no node reachable, the default params); submit nothing")
	return cmd
}

// dryRunImport applies every limit an import of events meets without
// submitting (client.PlanImport): batch size, transaction size against
// params.max_tx_bytes, messages per transaction, event times against the
// future-skew bound, with the same codes the import would meet. The params
// are read with a proof from the node; when no node can be reached (or no
// genesis is at hand) the defaults are applied, and the output says so.
func dryRunImport(cmd *cobra.Command, tx *txFlags, events []client.PreparedEvent, batch int) error {
	lim, source := client.DefaultImportLimits(""), ""
	c, err := tx.conn.client()
	if err != nil {
		source = fmt.Sprintf("default params (%v)", err)
	} else if lim, err = c.ImportLimits(cmd.Context()); err != nil {
		if !unreachable(err) {
			return err
		}
		lim, source = client.DefaultImportLimits(c.ChainID()), fmt.Sprintf("default params (node not reached: %v)", err)
	} else {
		source = fmt.Sprintf("chain params verified at height %d", lim.Proven.Height)
	}
	plan, err := client.PlanImport(events, batch, lim, time.Now())
	if err != nil {
		return err
	}
	largest := 0
	for _, n := range plan.TxBytes {
		largest = max(largest, n)
	}
	view := map[string]any{"events": plan.Events, "valid": true, "duplicates_in_document": plan.Duplicates,
		"transactions": len(plan.Batches), "largest_tx_bytes": largest,
		"limits": map[string]any{"max_tx_bytes": lim.MaxTxBytes, "max_msgs_per_tx": lim.MaxMsgsPerTx,
			"max_event_future_skew_seconds": int64(lim.MaxEventFutureSkew / time.Second), "verified": lim.Verified, "source": source}}
	return tx.out.print(cmd.OutOrStdout(), view, func(w io.Writer) {
		fmt.Fprintf(w, "%d events are valid and within the limits (%s): at most %d transactions, the largest %d of %d bytes; nothing submitted (--dry-run)\n",
			plan.Events, source, len(plan.Batches), largest, lim.MaxTxBytes)
	})
}

func writePayloads(dir string, events []client.PreparedEvent) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, e := range events {
		d, err := epcis.HashIDDigest(e.HashID)
		if err != nil {
			return err
		}
		path := filepath.Join(dir, hex.EncodeToString(d[:])+".json")
		if err := os.WriteFile(path, append(e.Payload.JSON, '\n'), 0o600); err != nil {
			return err
		}
	}
	return nil
}

func newEPCISExportCmd() *cobra.Command {
	var (
		q           queryFlags
		id, outFile string
	)
	cmd := &cobra.Command{
		Use:   "export --id IDENTIFIER",
		Short: "Write the ledger's public events of an identifier as an EPCIS 2.0 JSON-LD document, with proofs",
		Long: `export reads the complete, verified history of IDENTIFIER (an EPC URI, a GS1
Digital Link URI, a national code URN or any URI; GS1 keys are canonicalised as
the ledger keys them) and writes an EPCIS 2.0 JSON-LD EPCISDocument of its public
events in log order, each with eventID set to its Event Hash ID. The proofs go
alongside, in the document's "tl:ledger" member: the state roots, the signed
header's app hash, the subject's head (count and chain hash: completeness),
and every record's log index, leaf hash and inclusion proof, hashed events
included (with their payload SHA-256), plus the node's raw answer. Re-hashing
the exported events gives the recorded hash IDs (the tool checks this before
writing).

The document goes to --out FILE, or to standard output; with -o json standard
output carries one JSON object: a summary, with the file written or the
document itself ("document").`,
		Example: `  traceledger epcis export --id urn:epc:class:lgtin:6901234.500012.LOT1 --out lot1.jsonld`,
		Args:    cobra.NoArgs,
		RunE: q.run(func(cmd *cobra.Command, _ []string, c *client.Client) error {
			res, err := c.Export(cmd.Context(), id, time.Now())
			if err != nil {
				return err
			}
			unrendered := res.Unrendered
			if unrendered == nil {
				unrendered = []string{}
			}
			summary := map[string]any{"subject": res.Subject, "public_events": res.Public - len(res.Unrendered), "hashed_events": res.Hashed,
				"other_records": res.Other, "unrendered": unrendered, "state_height": res.Proven.Height, "header_height": res.Proven.Header.Height, "header_time": res.Proven.Header.Time.UTC().Format(time.RFC3339Nano), "verified": true}
			return q.out.document(cmd, outFile, 0o644, res.Document, "document", summary, func(ew io.Writer) {
				fmt.Fprintf(ew, "%s: %d public events exported, %d hashed events and %d other records listed with proofs (verified at state height %d, header %d)\n",
					res.Subject, res.Public-len(res.Unrendered), res.Hashed, res.Other, res.Proven.Height, res.Proven.Header.Height)
				for _, u := range res.Unrendered {
					fmt.Fprintf(ew, "warning: event %s has no exact JSON-LD rendering; it is listed with its proof only\n", u)
				}
			})
		}),
	}
	q.add(cmd)
	cmd.Flags().StringVar(&id, "id", "", "identifier whose history to export (required)")
	cmd.Flags().StringVar(&outFile, "out", "", "write the document to this file (default standard output)")
	cmd.MarkFlagRequired("id")
	return cmd
}

func newEPCISCheckCmd() *cobra.Command {
	var (
		conn   connFlags
		out    outputFlag
		format formatFlag
	)
	cmd := &cobra.Command{
		Use:   "check PAYLOAD",
		Short: "Check a disclosed event payload (or a whole document) against the ledger",
		Long: `check computes, for each event of PAYLOAD (a disclosed event payload, or any
EPCIS 2.0 document), its Event Hash ID and the SHA-256 of its JCS-canonical
payload, looks the hash ID up on the ledger and verifies the answer's proofs.
Each event is "match" (a hashed event with that payload hash is recorded),
"public" (recorded in full), "payload-mismatch" (recorded, but the disclosed
payload is not the one committed to) or "not-recorded" (absence proven). When
several participants recorded the event, the verdict rests on the recording
that matches best, and -o json lists each one under "recordings". The exit code
is 2 if any payload mismatches, else 4 if any event is not recorded.`,
		Args: cobra.ExactArgs(1),
		RunE: out.run(func(cmd *cobra.Command, args []string) error {
			f, err := format.get()
			if err != nil {
				return err
			}
			data, err := readInput(cmd, args[0])
			if err != nil {
				return err
			}
			c, err := conn.client()
			if err != nil {
				return err
			}
			checks, p, err := c.CheckPayloads(cmd.Context(), data, f)
			if err != nil {
				return err
			}
			bad, mismatched := 0, 0
			for _, ch := range checks {
				if ch.Status != "match" && ch.Status != "public" {
					bad++
				}
				if ch.Status == "payload-mismatch" {
					mismatched++
				}
			}
			err = out.print(cmd.OutOrStdout(), map[string]any{"events": checks, "state_height": p.Height, "verified": true}, func(w io.Writer) {
				for _, ch := range checks {
					fmt.Fprintf(w, "event %d  %s  %-16s", ch.Index, ch.HashID, strings.ToUpper(ch.Status))
					if ch.Status != "not-recorded" {
						fmt.Fprintf(w, "  log #%d, height %d, by %s", ch.LogIndex, ch.Height, ch.Signer)
						if n := len(ch.Recordings); n > 1 {
							fmt.Fprintf(w, " (%d recordings: 'epcis show %s')", n, ch.HashID)
						}
					}
					if ch.Recorded != "" {
						fmt.Fprintf(w, "  (ledger payload sha256 %s, disclosed %s)", ch.Recorded, ch.PayloadSHA256)
					}
					fmt.Fprintln(w)
				}
				if p.Header != nil {
					provenLine(w, p)
				}
			})
			switch {
			case err != nil:
				return err
			case mismatched > 0: // the disclosed payload is not the one committed to
				return notVerified(fmt.Errorf("%d of %d events do not match the ledger (%d disclosed payloads differ from the committed ones)", bad, len(checks), mismatched))
			case bad > 0:
				return negative("%d of %d events are not recorded (absence proven)", bad, len(checks))
			}
			return nil
		}),
	}
	conn.add(cmd)
	out.add(cmd)
	format.add(cmd)
	return cmd
}

func newEPCISShowCmd() *cobra.Command {
	var (
		conn connFlags
		out  outputFlag
	)
	cmd := &cobra.Command{
		Use:   "show HASH_ID",
		Short: "Show every verified recording of an event by its Event Hash ID",
		Long: `show looks an Event Hash ID up on the ledger and verifies the answer: the
event's index entry, and every participant's recording it lists (each
participant may record an event once; who recorded it first decides nothing
for the others), each proven in the log, a public event re-hashed. It prints
one line per recording, in log order, or that the event is proven absent
(exit 4). With -o json, "recordings" lists them.`,
		Args: cobra.ExactArgs(1),
		RunE: out.run(func(cmd *cobra.Command, args []string) error {
			if !epcis.ValidHashID(args[0]) {
				return fmt.Errorf("%q is not an Event Hash ID (ni:///sha-256;<64 hex>?ver=CBV2.0)", args[0])
			}
			c, err := conn.client()
			if err != nil {
				return err
			}
			ve, p, err := c.Event(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			recordings := []map[string]any{}
			if ve != nil {
				for _, r := range ve.Recordings {
					rv := map[string]any{"signer": r.Signer, "log_index": r.Index, "leaf_hash": hex.EncodeToString(r.LeafHash[:]), "height": r.Record.Height,
						"subjects": r.EPCIS.Subjects, "kind": recordingKind(r)}
					if c := r.EPCIS.Context; c != nil {
						rv["chain_link"], rv["domain_step"] = epcis.ChainLinkName(c.ChainLink), epcis.DomainStepName(c.DomainStep)
					}
					if h := r.EPCIS.GetHashed(); h != nil {
						rv["payload_sha256"] = hex.EncodeToString(h.PayloadSha256)
					}
					recordings = append(recordings, rv)
				}
			}
			view := map[string]any{"hash_id": args[0], "recorded": ve != nil, "recordings": recordings, "state_height": p.Height, "header_height": p.Header.Height, "header_time": p.Header.Time.UTC().Format(time.RFC3339Nano), "verified": true}
			err = out.print(cmd.OutOrStdout(), view, func(w io.Writer) {
				if ve == nil {
					fmt.Fprintf(w, "%s is not recorded (absence proven)\n", args[0])
				} else {
					fmt.Fprintf(w, "%s: recorded by %d participants  VERIFIED\n", args[0], len(ve.Recordings))
					for _, r := range ve.Recordings {
						fmt.Fprintf(w, "  %s: %s event, log #%d at height %d, subjects %s\n", r.Signer, recordingKind(r), r.Index, r.Record.Height, strings.Join(r.EPCIS.Subjects, " "))
					}
				}
				provenLine(w, p)
			})
			if err == nil && ve == nil {
				return negative("event %s is not recorded (absence proven at state height %d)", args[0], p.Height)
			}
			return err
		}),
	}
	conn.add(cmd)
	out.add(cmd)
	return cmd
}

// recordingKind is "public" or "hashed".
func recordingKind(r client.EventRecording) string {
	if r.EPCIS.GetPublic() != nil {
		return "public"
	}
	return "hashed"
}
