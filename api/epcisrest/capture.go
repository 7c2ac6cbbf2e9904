// SPDX-License-Identifier: Apache-2.0

package epcisrest

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/traceledger/traceledger/api"
	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/epcis"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Capture headers.
const (
	// HeaderErrorBehaviour is GS1-Capture-Error-Behaviour: rollback (the
	// default) or proceed.
	HeaderErrorBehaviour = "GS1-Capture-Error-Behaviour"
	// HeaderCaptureMode is TraceLedger's choice of how events go on the
	// ledger: "hashed" (the default: the hash ID, the payload's SHA-256
	// and the index fields; the payload stays in the gateway's store) or
	// "public" (the full event).
	HeaderCaptureMode = "TraceLedger-Capture-Mode"
)

// Error behaviours and capture modes.
const (
	behaviourRollback = "rollback"
	behaviourProceed  = "proceed"
	modeHashed        = "hashed"
	modePublic        = "public"
)

// Job is a capture job as GET /capture/{captureID} shows it: the members
// the standard's CaptureJob has, and TraceLedger's (which participant, how
// the events went on the ledger, and every event recorded, with its log
// index, so that a job that failed part-way says exactly what is on the
// ledger).
type Job struct {
	CaptureID             string     `json:"captureID"`
	CreatedAt             time.Time  `json:"createdAt"`
	FinishedAt            *time.Time `json:"finishedAt,omitempty"`
	Running               bool       `json:"running"`
	Success               bool       `json:"success"`
	CaptureErrorBehaviour string     `json:"captureErrorBehaviour"`
	Errors                []Problem  `json:"errors"`

	Participant string          `json:"participant"`
	Mode        string          `json:"mode"`
	EventCount  int             `json:"eventCount"`
	Recorded    []RecordedEvent `json:"recorded"`
}

// RecordedEvent is one event a job put on the ledger.
type RecordedEvent struct {
	// EventIndex is the event's 0-based position in the document.
	EventIndex int    `json:"eventIndex"`
	EventID    string `json:"eventID"`
	LogIndex   uint64 `json:"logIndex"`
	Height     int64  `json:"height"`
	TxHash     string `json:"txHash,omitempty"`
}

// jobFile is a job as stored: the Job and what the runner needs to resume.
type jobFile struct {
	Job Job `json:"job"`
	// Token and Key name the token that captured and the key that signs.
	Token string `json:"token"`
	Key   string `json:"key"`
	// Format is "json" or "xml".
	Format string `json:"format"`
	// Checked is set once every event was validated and looked up.
	Checked bool `json:"checked"`
	// Excluded are the events that will not be recorded (errors).
	Excluded []int `json:"excluded,omitempty"`
	// Pending is the batch submitted and not yet known to be committed.
	Pending []int `json:"pending,omitempty"`
}

// captureOptions answers OPTIONS /capture: the limits and behaviours.
func (g *Gateway) captureOptions(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	g.limitHeaders(h)
	h.Set(HeaderErrorBehaviour, "all")
	h.Set("GS1-EPC-Format", "Never_Translates")
	h.Set("Allow", "OPTIONS, POST, GET")
	setVersionHeaders(h)
	w.WriteHeader(http.StatusNoContent)
}

// eventsOptions answers OPTIONS /events.
func (g *Gateway) eventsOptions(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	g.limitHeaders(h)
	h.Set("GS1-EPC-Format", "Never_Translates")
	h.Set("Allow", "OPTIONS, GET, POST")
	setVersionHeaders(h)
	w.WriteHeader(http.StatusNoContent)
}

// options answers OPTIONS with the methods a resource takes.
func (g *Gateway) options(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Allow", allow)
		setVersionHeaders(w.Header())
		w.WriteHeader(http.StatusNoContent)
	}
}

func (g *Gateway) limitHeaders(h http.Header) {
	h.Set("GS1-EPCIS-Capture-Limit", strconv.Itoa(g.opts.CaptureLimit))
	h.Set("GS1-EPCIS-Capture-File-Size-Limit", strconv.FormatInt(g.opts.CaptureFileSizeLimit, 10))
}

// tooLarge is a 413 with the limits.
func (g *Gateway) tooLarge(field, format string, args ...any) *problemError {
	pe := newProblem(http.StatusRequestEntityTooLarge, excCaptureLimit, tlv1.CodeAPIRequestTooLarge, field,
		fmt.Sprintf("split the document: at most %d events and %d bytes per capture (OPTIONS /epcis/capture)", g.opts.CaptureLimit, g.opts.CaptureFileSizeLimit),
		format, args...)
	pe.headers = map[string]string{
		"GS1-EPCIS-Capture-Limit":           strconv.Itoa(g.opts.CaptureLimit),
		"GS1-EPCIS-Capture-File-Size-Limit": strconv.FormatInt(g.opts.CaptureFileSizeLimit, 10),
	}
	return pe
}

// captureRequest is a capture's checked request.
type captureRequest struct {
	caller    *caller
	signer    client.Signer
	behaviour string
	mode      string
	format    epcis.Format
	body      []byte
	events    []client.PreparedEvent
	errs      []error
}

// readCapture authenticates and checks a capture request (POST /capture
// or POST /events): everything that is answered before anything is
// stored.
func (g *Gateway) readCapture(w http.ResponseWriter, r *http.Request) (*captureRequest, *problemError) {
	cl, pe := g.authenticate(r, true)
	if pe != nil {
		return nil, pe
	}
	cr := &captureRequest{caller: cl, behaviour: behaviourRollback, mode: modeHashed}
	if v := strings.TrimSpace(r.Header.Get(HeaderErrorBehaviour)); v != "" {
		switch strings.ToLower(v) {
		case behaviourRollback, behaviourProceed:
			cr.behaviour = strings.ToLower(v)
		default:
			return nil, newProblem(http.StatusBadRequest, excValidation, tlv1.CodeInvalidQuery, HeaderErrorBehaviour,
				"give rollback (the default) or proceed", "%s %q is neither rollback nor proceed", HeaderErrorBehaviour, v)
		}
	}
	if v := strings.TrimSpace(r.Header.Get(HeaderCaptureMode)); v != "" {
		switch strings.ToLower(v) {
		case modeHashed, modePublic:
			cr.mode = strings.ToLower(v)
		default:
			return nil, newProblem(http.StatusBadRequest, excValidation, tlv1.CodeInvalidQuery, HeaderCaptureMode,
				"give hashed (the default: the payload stays with you) or public (the full event goes on the ledger)", "%s %q is neither hashed nor public", HeaderCaptureMode, v)
		}
	}
	f, pe := requestFormat(r)
	if pe != nil {
		return nil, pe
	}
	cr.format = f
	limit := g.opts.CaptureFileSizeLimit
	if r.ContentLength > limit {
		return nil, g.tooLarge("body", "the body is %d bytes, more than the capture file size limit %d", r.ContentLength, limit)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, g.tooLarge("body", "the body exceeds the capture file size limit %d bytes", limit)
		}
		return nil, newProblem(http.StatusBadRequest, excValidation, tlv1.CodeInvalidQuery, "body", "send the document again", "read the body: %v", err)
	}
	cr.body = body
	mode := client.ImportHashed
	if cr.mode == modePublic {
		mode = client.ImportPublic
	}
	cr.events, cr.errs, err = client.PrepareEach(body, f, mode)
	if err != nil {
		return nil, syntaxProblem(err)
	}
	if len(cr.events) > g.opts.CaptureLimit {
		return nil, g.tooLarge("epcisBody.eventList", "the document holds %d events, more than the capture limit %d", len(cr.events), g.opts.CaptureLimit)
	}
	ctx, cancel := context.WithTimeout(r.Context(), g.opts.Timeout)
	defer cancel()
	s, pe := g.signer(ctx, cl)
	if pe != nil {
		return nil, pe
	}
	cr.signer = s
	return cr, nil
}

// requestFormat is the document format of the request's Content-Type.
func requestFormat(r *http.Request) (epcis.Format, *problemError) {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return epcis.FormatAuto, nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil {
		switch mt {
		case "application/json", "application/ld+json":
			return epcis.FormatJSON, nil
		case "application/xml", "text/xml":
			return epcis.FormatXML, nil
		}
	}
	return 0, newProblem(http.StatusUnsupportedMediaType, excUnsupportedType, tlv1.CodeInvalidQuery, "Content-Type",
		"send application/json or application/ld+json (EPCIS 2.0 JSON / JSON-LD), or application/xml", "Content-Type %q is not an EPCIS document type", ct)
}

// syntaxProblem answers a document that does not parse: 400 with the
// position.
func syntaxProblem(err error) *problemError {
	field := "body"
	var se *epcis.SyntaxError
	if errors.As(err, &se) {
		if se.Line > 0 {
			field = fmt.Sprintf("body (line %d, column %d)", se.Line, se.Column)
		}
		if se.Event >= 0 {
			field += fmt.Sprintf(", event %d", se.Event)
		}
	}
	var ee *epcis.EventError
	if errors.As(err, &ee) {
		field = ee.Field
	}
	return newProblem(http.StatusBadRequest, excValidation, tlv1.CodeEPCISInvalidEvent, field,
		"send an EPCIS 2.0 EPCISDocument (JSON / JSON-LD, or XML)", "the document does not parse: %v", err)
}

// capture answers POST /capture: the job is stored durably, then 202 with
// its Location; it runs in the background (Run).
func (g *Gateway) capture(w http.ResponseWriter, r *http.Request) {
	cr, pe := g.readCapture(w, r)
	if pe != nil {
		writeProblem(w, pe)
		return
	}
	format := "json"
	if cr.format == epcis.FormatXML || (cr.format == epcis.FormatAuto && epcis.DetectFormat(cr.body) == epcis.FormatXML) {
		format = "xml"
	}
	id := newID()
	jf := &jobFile{Token: cr.caller.tok.Name, Key: cr.caller.tok.Key, Format: format, Job: Job{
		CaptureID: id, CreatedAt: time.Now().UTC(), Running: true, Success: true, CaptureErrorBehaviour: cr.behaviour,
		Errors: []Problem{}, Participant: cr.caller.tok.Participant, Mode: cr.mode, EventCount: len(cr.events), Recorded: []RecordedEvent{},
	}}
	// The document first, then the job: a job file always has its body.
	if err := writeFileDurable(g.p.body(id), cr.body); err != nil {
		g.fail(r.Context(), w, r, fmt.Errorf("store the capture: %w", err))
		return
	}
	if err := g.saveJob(jf); err != nil {
		os.Remove(g.p.body(id))
		g.fail(r.Context(), w, r, fmt.Errorf("store the capture job: %w", err))
		return
	}
	g.enqueue(id, cr)
	h := w.Header()
	h.Set("Location", BasePath+"/capture/"+id)
	h.Set("Cache-Control", "no-store")
	setVersionHeaders(h)
	writeJSON(w, http.StatusAccepted, jf.Job)
}

// enqueue hands a stored job to the runner, with its prepared events so
// they are not prepared twice.
func (g *Gateway) enqueue(id string, cr *captureRequest) {
	g.mu.Lock()
	g.pendingJobs = append(g.pendingJobs, id)
	if cr != nil {
		g.prepared[id] = cr
	}
	g.mu.Unlock()
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// saveJob writes a job file.
func (g *Gateway) saveJob(jf *jobFile) error {
	g.jobsMu.Lock()
	defer g.jobsMu.Unlock()
	return writeJSONDurable(g.p.job(jf.Job.CaptureID), jf)
}

// loadJob reads a job file.
func (g *Gateway) loadJob(id string) (*jobFile, error) {
	g.jobsMu.Lock()
	defer g.jobsMu.Unlock()
	b, err := os.ReadFile(g.p.job(id))
	if err != nil {
		return nil, err
	}
	var jf jobFile
	if err := json.Unmarshal(b, &jf); err != nil {
		return nil, fmt.Errorf("job %s is corrupt: %w", id, err)
	}
	return &jf, nil
}

// allJobs reads every job file, oldest first.
func (g *Gateway) allJobs() ([]*jobFile, error) {
	entries, err := os.ReadDir(g.p.jobs())
	if err != nil {
		return nil, err
	}
	var out []*jobFile
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || !validID(id) {
			continue
		}
		jf, err := g.loadJob(id)
		if err != nil {
			g.log.Error("unreadable capture job", "capture_id", id, "err", err)
			continue
		}
		out = append(out, jf)
	}
	slices.SortStableFunc(out, func(a, b *jobFile) int { return a.Job.CreatedAt.Compare(b.Job.CreatedAt) })
	return out, nil
}

// unfinishedJobs lists the jobs still running, oldest first.
func (g *Gateway) unfinishedJobs() ([]string, error) {
	jobs, err := g.allJobs()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, jf := range jobs {
		if jf.Job.Running {
			out = append(out, jf.Job.CaptureID)
		}
	}
	return out, nil
}

// getJob answers GET /capture/{captureID}.
func (g *Gateway) getJob(w http.ResponseWriter, r *http.Request) {
	cl, pe := g.authenticate(r, true)
	if pe != nil {
		writeProblem(w, pe)
		return
	}
	id := r.PathValue("captureID")
	var jf *jobFile
	var err error
	if validID(id) {
		jf, err = g.loadJob(id)
	}
	if !validID(id) || errors.Is(err, os.ErrNotExist) {
		writeProblem(w, newProblem(http.StatusNotFound, excNoSuchResource, tlv1.CodeNotFound, "captureID", "use the Location a capture answered", "no capture job %q", id))
		return
	}
	if err != nil {
		g.fail(r.Context(), w, r, err)
		return
	}
	if jf.Job.Participant != cl.tok.Participant {
		writeProblem(w, newProblem(http.StatusForbidden, excSecurity, tlv1.CodeAPIForbidden, "captureID", "use the token of the participant that captured",
			"capture job %s is not participant %q's", id, cl.tok.Participant))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	setVersionHeaders(w.Header())
	writeJSON(w, http.StatusOK, jf.Job)
}

// JobList is the answer of GET /capture: the caller's jobs, newest first.
type JobList []Job

// listJobs answers GET /capture: the caller's participant's jobs, newest
// first, paged with perPage and nextPageToken.
func (g *Gateway) listJobs(w http.ResponseWriter, r *http.Request) {
	cl, pe := g.authenticate(r, true)
	if pe != nil {
		writeProblem(w, pe)
		return
	}
	q := r.URL.Query()
	perPage, offset, pe := g.paging(q, "capture\x00"+cl.tok.Participant)
	if pe != nil {
		writeProblem(w, pe)
		return
	}
	jobs, err := g.allJobs()
	if err != nil {
		g.fail(r.Context(), w, r, err)
		return
	}
	mine := JobList{}
	for i := len(jobs) - 1; i >= 0; i-- {
		if jobs[i].Job.Participant == cl.tok.Participant {
			mine = append(mine, jobs[i].Job)
		}
	}
	page := mine[min(offset, len(mine)):min(offset+perPage, len(mine))]
	if offset+perPage < len(mine) {
		g.linkNext(w, r, "capture\x00"+cl.tok.Participant, offset+perPage, perPage)
	}
	w.Header().Set("Cache-Control", "no-store")
	setVersionHeaders(w.Header())
	writeJSON(w, http.StatusOK, page)
}

// captureEvent answers POST /events: one event, recorded before the answer
// (201 with its Location), 409 when it is already on the ledger.
func (g *Gateway) captureEvent(w http.ResponseWriter, r *http.Request) {
	cr, pe := g.readCapture(w, r)
	if pe != nil {
		writeProblem(w, pe)
		return
	}
	if len(cr.events) != 1 {
		writeProblem(w, newProblem(http.StatusBadRequest, excValidation, tlv1.CodeEPCISInvalidEvent, "body",
			"POST one event to /epcis/events; send documents to /epcis/capture", "the body holds %d events, not one", len(cr.events)))
		return
	}
	if err := cr.errs[0]; err != nil {
		p := eventProblem(0, "", err)
		writeProblem(w, &problemError{p: p})
		return
	}
	ev := cr.events[0]
	ctx, cancel := context.WithTimeout(r.Context(), g.opts.Timeout)
	defer cancel()
	ve, _, err := g.c.Event(ctx, ev.HashID)
	if err != nil {
		g.fail(ctx, w, r, err)
		return
	}
	if rc := ve.By(cr.caller.participant()); rc != nil {
		// Only the caller's own earlier recording is a conflict: an event
		// belongs to nobody (others may have recorded it too).
		g.conflict(w, ev.HashID, rc.Index)
		return
	}
	if ev.Payload != nil {
		if err := g.storePayload(ev); err != nil {
			g.fail(ctx, w, r, err)
			return
		}
	}
	var com *client.Committed
	for attempt := 1; ; attempt++ {
		com, err = g.submit(ctx, cr.signer, []client.PreparedEvent{ev})
		var te *client.TxError
		if attempt < 3 && errors.As(err, &te) && transient(te) {
			continue // the sequence is re-read
		}
		break
	}
	if idx, ok := client.AlreadyRecorded(err); ok {
		g.conflict(w, ev.HashID, idx)
		return
	}
	var te *client.TxError
	if errors.As(err, &te) {
		p := eventProblem(0, ev.HashID, err)
		p.Status = http.StatusBadRequest
		writeProblem(w, &problemError{p: p})
		return
	}
	if err != nil {
		g.fail(ctx, w, r, err)
		return
	}
	loc := eventLocation(ev.HashID)
	h := w.Header()
	h.Set("Location", loc)
	h.Set("Cache-Control", "no-store")
	setVersionHeaders(h)
	rec := RecordedEvent{EventIndex: 0, EventID: ev.HashID, Height: com.Height, TxHash: hex.EncodeToString(com.Hash)}
	if len(com.Indexes) == 1 {
		rec.LogIndex = com.Indexes[0]
	}
	writeJSON(w, http.StatusCreated, rec)
}

// conflict is the 409 of an event already on the ledger.
func (g *Gateway) conflict(w http.ResponseWriter, hashID string, index uint64) {
	pe := newProblem(http.StatusConflict, excAlreadyExists, tlv1.CodeEPCISDuplicateEvent, "eventID",
		"the event is already on the ledger: nothing to do", "event %s is already recorded at log index %d", hashID, index)
	pe.p.EventID, pe.p.ExistingIndex = hashID, &index
	pe.headers = map[string]string{"Location": eventLocation(hashID)}
	writeProblem(w, pe)
}

// eventLocation is the URL path of an event.
func eventLocation(hashID string) string { return BasePath + "/events/" + url.PathEscape(hashID) }

// submit records events as one RecordEventBatch and waits for commit.
func (g *Gateway) submit(ctx context.Context, s client.Signer, batch []client.PreparedEvent) (*client.Committed, error) {
	msgs := make([]*tlv1.RecordEPCISEvent, len(batch))
	for i, e := range batch {
		msgs[i] = e.Msg
	}
	g.submitMu.Lock()
	defer g.submitMu.Unlock()
	return g.c.Submit(ctx, s, &tlv1.Msg{Sum: &tlv1.Msg_RecordEventBatch{RecordEventBatch: &tlv1.RecordEventBatch{Events: msgs}}})
}

// storePayload keeps a hashed event's payload in the gateway's store.
func (g *Gateway) storePayload(e client.PreparedEvent) error {
	d, err := epcis.HashIDDigest(e.HashID)
	if err != nil {
		return err
	}
	path := g.p.payload(d)
	if b, err := os.ReadFile(path); err == nil && string(b) == string(e.Payload.JSON) {
		return nil
	}
	if err := writeFileDurable(path, e.Payload.JSON); err != nil {
		return fmt.Errorf("store the payload of %s: %w", e.HashID, err)
	}
	return nil
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// noRoute answers a path under /epcis/ that no route takes.
func (g *Gateway) noRoute(w http.ResponseWriter, r *http.Request) {
	writeProblem(w, newProblem(http.StatusNotFound, excNoSuchResource, tlv1.CodeNotFound, "", "see docs/EPCIS-REST.md for the routes",
		"no EPCIS route %s %s", r.Method, r.URL.Path))
}

// problemOfJob is a job-level problem (no event named).
func problemOfJob(status int, typ string, code tlv1.Code, hint, format string, args ...any) Problem {
	return Problem{Problem: api.Problem{Type: typ, Title: http.StatusText(status), Status: status, Detail: fmt.Sprintf(format, args...),
		Code: uint32(code), Name: code.String(), Hint: hint}}
}
