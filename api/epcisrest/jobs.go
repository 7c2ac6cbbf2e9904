// SPDX-License-Identifier: Apache-2.0

package epcisrest

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/epcis"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// The runner records a job's events in RecordEventBatch transactions of up
// to 1,000 events (fewer when the network's max_tx_bytes is reached), each
// atomic on the ledger, one after the other. Before it submits a batch it
// stores the batch as pending; after the commit it stores the records'
// log indices. A restart in between finds the pending batch and asks the
// ledger whether it was recorded, so a resumed job neither loses nor
// repeats an event.
//
// rollback: every event is validated and looked up before anything is
// submitted; one invalid or already recorded event fails the job and
// nothing is recorded. A batch the ledger refuses later stops the job:
// the ledger is append-only, so the events of earlier batches stay, and
// the job lists exactly those (recorded) beside the error.
//
// proceed: invalid and duplicate events are reported and the others are
// recorded; an event a batch is refused for is taken out and the rest of
// the batch is submitted again.

// txOverhead is the room left in a transaction around the batch.
const txOverhead = 512

// runJob runs the job id to its end. It returns false when ctx ended first
// (the job stays running on disk and resumes at the next start).
func (g *Gateway) runJob(ctx context.Context, id string) bool {
	for {
		done, err := g.stepJob(ctx, id)
		if done {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		g.log.Warn("capture job waits for the node", "capture_id", id, "err", err)
		select {
		case <-ctx.Done():
			return false
		case <-time.After(g.opts.RetryDelay):
		}
	}
}

// stepJob runs the job as far as it can: done is true when it finished
// (or cannot run at all); err says why it stopped otherwise (the node is
// unreachable: try again later).
func (g *Gateway) stepJob(ctx context.Context, id string) (done bool, err error) {
	jf, err := g.loadJob(id)
	if err != nil {
		g.log.Error("capture job unreadable", "capture_id", id, "err", err)
		return true, err
	}
	if !jf.Job.Running {
		return true, nil
	}
	g.mu.Lock()
	cr := g.prepared[id]
	g.mu.Unlock()
	var events []client.PreparedEvent
	var errs []error
	if cr != nil {
		events, errs = cr.events, cr.errs
	} else {
		body, err := os.ReadFile(g.p.body(id))
		if err != nil {
			return true, g.finish(jf, problemOfJob(http.StatusInternalServerError, excImplementation, tlv1.CodeInternal, "capture the document again",
				"the captured document is lost: %v", err))
		}
		format := epcis.FormatJSON
		if jf.Format == "xml" {
			format = epcis.FormatXML
		}
		mode := client.ImportHashed
		if jf.Job.Mode == modePublic {
			mode = client.ImportPublic
		}
		events, errs, err = client.PrepareEach(body, format, mode)
		if err != nil {
			return true, g.finish(jf, problemOfJob(http.StatusBadRequest, excValidation, tlv1.CodeEPCISInvalidEvent, "", "the document does not parse: %v", err))
		}
	}
	signer, pe := g.signer(ctx, &caller{tok: Token{Name: jf.Token, Participant: jf.Job.Participant, Key: jf.Key}})
	if pe != nil {
		if pe.p.Status == http.StatusForbidden {
			return true, g.finish(jf, pe.p)
		}
		return false, pe
	}
	if !jf.Checked {
		if err := g.check(ctx, jf, events, errs); err != nil {
			return false, err
		}
		if jf.Job.CaptureErrorBehaviour == behaviourRollback && len(jf.Job.Errors) > 0 {
			return true, g.finish(jf)
		}
		if err := g.saveJob(jf); err != nil {
			return false, err
		}
	}
	if len(jf.Pending) > 0 {
		if err := g.resolvePending(ctx, jf, events); err != nil {
			return false, err
		}
		if err := g.saveJob(jf); err != nil {
			return false, err
		}
	}
	maxBytes := int(g.c.MaxTxBytes(ctx)) - txOverhead
	for {
		todo := g.todo(jf, events)
		if len(todo) == 0 {
			return true, g.finish(jf)
		}
		batch, tooBig := packBatch(todo, g.opts.MaxBatch, maxBytes)
		if tooBig >= 0 {
			e := events[tooBig]
			g.exclude(jf, tooBig, e.HashID, fmt.Errorf("the event is %d bytes, more than a transaction may carry (%d): capture it hashed", e.Msg.Size(), maxBytes))
			if jf.Job.CaptureErrorBehaviour == behaviourRollback {
				return true, g.finish(jf, g.rollbackNote(jf))
			}
			continue
		}
		for _, e := range batch {
			if e.Payload != nil {
				if err := g.storePayload(e); err != nil {
					return false, err
				}
			}
		}
		jf.Pending = indices(batch)
		if err := g.saveJob(jf); err != nil {
			return false, err
		}
		com, err := g.submit(ctx, signer, batch)
		var te *client.TxError
		switch {
		case err == nil && len(com.Indexes) == len(batch):
			g.recorded(jf, batch, com)
			jf.Pending = nil
		case err == nil: // committed, but the result does not name one record per event: ask the ledger
			if rerr := g.resolvePending(ctx, jf, events); rerr != nil {
				return false, rerr
			}
		case errors.As(err, &te) && transient(te):
			return false, err // the batch stays pending; the next try re-reads the sequence
		case errors.As(err, &te):
			// First: was the batch recorded after all (a resumed job
			// whose earlier transaction committed)?
			if rerr := g.resolvePending(ctx, jf, events); rerr != nil {
				return false, rerr
			}
			if len(jf.Pending) == 0 && !slices.ContainsFunc(batch, func(e client.PreparedEvent) bool { return !g.isRecorded(jf, e.Index) }) {
				break
			}
			jf.Pending = nil
			at := -1
			if r := te.Rejection; r != nil && r.BatchEvent != nil && int(*r.BatchEvent) < len(batch) {
				at = batch[*r.BatchEvent].Index
			}
			if at < 0 { // refused as a whole: every event of the batch fails
				for _, e := range batch {
					if !g.isRecorded(jf, e.Index) {
						g.exclude(jf, e.Index, e.HashID, err)
					}
				}
			} else {
				g.exclude(jf, at, events[at].HashID, err)
			}
			if jf.Job.CaptureErrorBehaviour == behaviourRollback {
				return true, g.finish(jf, g.rollbackNote(jf))
			}
		default:
			return false, err // the node is unreachable: the batch stays pending
		}
		if err := g.saveJob(jf); err != nil {
			return false, err
		}
	}
}

// transient reports whether a refusal says nothing about the events: a
// sequence out of step (another client of the same key) or a refusal by
// CometBFT itself (mempool full, transaction already in its cache).
func transient(te *client.TxError) bool {
	if te.Codespace != tlv1.Codespace {
		return true
	}
	switch tlv1.Code(te.Code) {
	case tlv1.CodeSequenceReplayed, tlv1.CodeSequenceGap:
		return true
	}
	return false
}

// check validates every event and looks up those already on the ledger,
// noting each problem in the job.
func (g *Gateway) check(ctx context.Context, jf *jobFile, events []client.PreparedEvent, errs []error) error {
	seen := map[string]int{}
	var ids []string
	var at []int
	var problems []Problem
	excluded := []int{}
	for i := range events {
		if errs[i] != nil {
			problems = append(problems, eventProblem(i, "", errs[i]))
			excluded = append(excluded, i)
			continue
		}
		h := events[i].HashID
		if j, ok := seen[h]; ok {
			problems = append(problems, eventProblem(i, h, &duplicateError{hashID: h, earlier: j}))
			excluded = append(excluded, i)
			continue
		}
		seen[h] = i
		ids = append(ids, h)
		at = append(at, i)
	}
	known, err := g.c.Known(ctx, ids, jf.Job.Participant)
	if err != nil {
		return err
	}
	for k, isKnown := range known {
		if !isKnown {
			continue
		}
		i := at[k]
		ve, _, err := g.c.Event(ctx, ids[k])
		if err != nil {
			return err
		}
		rc := ve.By(jf.Job.Participant)
		if rc == nil { // Known is unproven; the proof says this participant has not recorded it
			continue
		}
		problems = append(problems, eventProblem(i, ids[k], &duplicateError{hashID: ids[k], recorded: true, index: rc.Index}))
		excluded = append(excluded, i)
	}
	slices.SortStableFunc(problems, func(a, b Problem) int { return *a.EventIndex - *b.EventIndex })
	slices.Sort(excluded)
	jf.Job.Errors = append(jf.Job.Errors, problems...)
	jf.Excluded = excluded
	jf.Checked = true
	return nil
}

// resolvePending asks the ledger (verified) which events of the pending
// batch are recorded by this job's participant, and notes them.
func (g *Gateway) resolvePending(ctx context.Context, jf *jobFile, events []client.PreparedEvent) error {
	if len(jf.Pending) == 0 {
		return nil
	}
	ids := make([]string, len(jf.Pending))
	for k, i := range jf.Pending {
		ids[k] = events[i].HashID
	}
	known, err := g.c.Known(ctx, ids, jf.Job.Participant)
	if err != nil {
		return err
	}
	for k, isKnown := range known {
		i := jf.Pending[k]
		if !isKnown || g.isRecorded(jf, i) {
			continue
		}
		ve, _, err := g.c.Event(ctx, ids[k])
		if err != nil {
			return err
		}
		rc := ve.By(jf.Job.Participant)
		if rc == nil {
			continue
		}
		jf.Job.Recorded = append(jf.Job.Recorded, RecordedEvent{EventIndex: i, EventID: ids[k], LogIndex: rc.Index, Height: rc.Record.Height,
			TxHash: hex.EncodeToString(rc.Record.TxHash)})
	}
	sortRecorded(jf)
	jf.Pending = nil
	return nil
}

// recorded notes a committed batch: one record per event, in order.
func (g *Gateway) recorded(jf *jobFile, batch []client.PreparedEvent, com *client.Committed) {
	for k, e := range batch {
		r := RecordedEvent{EventIndex: e.Index, EventID: e.HashID, Height: com.Height, TxHash: hex.EncodeToString(com.Hash)}
		if len(com.Indexes) == len(batch) {
			r.LogIndex = com.Indexes[k]
		}
		jf.Job.Recorded = append(jf.Job.Recorded, r)
	}
	sortRecorded(jf)
}

func sortRecorded(jf *jobFile) {
	slices.SortFunc(jf.Job.Recorded, func(a, b RecordedEvent) int { return a.EventIndex - b.EventIndex })
}

func (g *Gateway) isRecorded(jf *jobFile, i int) bool {
	return slices.ContainsFunc(jf.Job.Recorded, func(r RecordedEvent) bool { return r.EventIndex == i })
}

// exclude takes event i out of the job with its error.
func (g *Gateway) exclude(jf *jobFile, i int, hashID string, err error) {
	jf.Job.Errors = append(jf.Job.Errors, eventProblem(i, hashID, err))
	if !slices.Contains(jf.Excluded, i) {
		jf.Excluded = append(jf.Excluded, i)
		slices.Sort(jf.Excluded)
	}
}

// rollbackNote is the job-level problem of a rollback that could not undo
// what earlier batches recorded.
func (g *Gateway) rollbackNote(jf *jobFile) Problem {
	n := len(jf.Job.Recorded)
	return problemOfJob(http.StatusConflict, excImplementation, tlv1.CodeEPCISInvalidEvent,
		"the events in recorded are on the ledger; capture the rest again once the error is fixed",
		"rollback stopped the job; %d events recorded by earlier batches stay on the append-only ledger (listed in recorded), the other %d were not recorded",
		n, jf.Job.EventCount-n)
}

// todo lists the events still to record, in document order.
func (g *Gateway) todo(jf *jobFile, events []client.PreparedEvent) []client.PreparedEvent {
	var out []client.PreparedEvent
	for i, e := range events {
		if slices.Contains(jf.Excluded, i) || g.isRecorded(jf, i) {
			continue
		}
		out = append(out, e)
	}
	return out
}

// packBatch takes the first batch of todo: up to maxEvents events whose
// messages fit in maxBytes. tooBig is the document index of a first event
// that fits no transaction, else -1.
func packBatch(todo []client.PreparedEvent, maxEvents, maxBytes int) (batch []client.PreparedEvent, tooBig int) {
	size := 0
	for _, e := range todo {
		n := e.Msg.Size() + 8
		if n > maxBytes {
			if len(batch) == 0 {
				return nil, e.Index
			}
			break
		}
		if len(batch) == maxEvents || size+n > maxBytes {
			break
		}
		batch = append(batch, e)
		size += n
	}
	return batch, -1
}

func indices(batch []client.PreparedEvent) []int {
	out := make([]int, len(batch))
	for i, e := range batch {
		out[i] = e.Index
	}
	return out
}

// finish ends the job with extra problems.
func (g *Gateway) finish(jf *jobFile, extra ...Problem) error {
	jf.Job.Errors = append(jf.Job.Errors, extra...)
	now := time.Now().UTC()
	jf.Job.Running, jf.Job.Success, jf.Job.FinishedAt = false, len(jf.Job.Errors) == 0, &now
	jf.Pending = nil
	if err := g.saveJob(jf); err != nil {
		g.log.Error("store the finished capture job", "capture_id", jf.Job.CaptureID, "err", err)
		return err
	}
	g.log.Info("capture job finished", "capture_id", jf.Job.CaptureID, "success", jf.Job.Success, "recorded", len(jf.Job.Recorded), "errors", len(jf.Job.Errors))
	return nil
}
