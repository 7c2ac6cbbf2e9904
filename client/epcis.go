// SPDX-License-Identifier: Apache-2.0

package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/traceledger/traceledger/epcis"
	"github.com/traceledger/traceledger/proof"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// EPCIS events: verified lookups by Event Hash ID, idempotent import of
// EPCIS 2.0 documents in pipelined batches, export of an identifier's
// public events as a JSON-LD document with their proofs, and checks of
// disclosed payloads against the ledger.

// Batch sizes and transaction room.
const (
	// knownChunk is how many hash IDs one /epcis/known query carries: the
	// request travels hex-encoded in JSON-RPC, whose body CometBFT limits
	// to 1 MB by default (rpc.max_body_bytes).
	knownChunk = 2000
	// DefaultMaxTxBytes is assumed when the node's parameters cannot be read.
	DefaultMaxTxBytes = 262144
	// txOverhead is room left in a transaction for the envelope around the
	// batch (chain id, signer, sequence, signature, framing).
	txOverhead = 512
)

// VerifiedEvent is an EPCIS event proven to be recorded under its hash ID,
// with every recording of it: the map entry "event/<hash id>" is proven,
// each record it lists is proven in the log, and a public event re-hashes
// to the hash ID. Any participant may record an event (once): a recording
// by one participant says nothing about whether another recorded it.
type VerifiedEvent struct {
	HashID string
	// Recordings are the participants' recordings in log order, one per
	// participant, never empty.
	Recordings []EventRecording
}

// EventRecording is one participant's proven recording of an event.
type EventRecording struct {
	// Signer is the participant that recorded it.
	Signer string
	// Index and LeafHash locate the record in the log.
	Index    uint64
	LeafHash [32]byte
	Record   *tlv1.Record
	EPCIS    *tlv1.EPCISRecord
}

// By returns participant's recording of the event, or nil when it has
// none (or v, an event proven unrecorded, is nil).
func (v *VerifiedEvent) By(participant string) *EventRecording {
	if v == nil {
		return nil
	}
	for i := range v.Recordings {
		if v.Recordings[i].Signer == participant {
			return &v.Recordings[i]
		}
	}
	return nil
}

// VerifiedAnchor is an anchored root proven to be recorded.
type VerifiedAnchor struct {
	Index    uint64
	LeafHash [32]byte
	Record   *tlv1.Record
	Anchor   *tlv1.AnchorRoot
	// RecordBytes and Inclusion are the proof of the record in the log.
	RecordBytes []byte
	Inclusion   *tlv1.LogInclusionProof
	Roots       *tlv1.StateRoots
}

// VerifyEventResponse checks an /epcis/event answer against its own roots
// (the roots themselves are checked against a header by the caller): every
// recording the index lists (proof.VerifyEventAnswer), and that each public
// event re-hashes to hashID. It returns nil, nil when the event is proven
// not to be recorded.
func VerifyEventResponse(hashID string, resp *tlv1.EventResponse) (*VerifiedEvent, error) {
	entries, vrs, err := proof.VerifyEventAnswer(hashID, resp)
	if err != nil {
		return nil, notVerified(err)
	}
	if len(vrs) == 0 {
		return nil, nil
	}
	out := &VerifiedEvent{HashID: hashID, Recordings: make([]EventRecording, len(vrs))}
	for i, vr := range vrs {
		er := vr.Record.GetEpcis()
		if p := er.GetPublic(); p != nil {
			got, err := epcis.HashProto(p, int(er.BatchIndex))
			if err != nil || got != hashID {
				return nil, fmt.Errorf("%w: the public event of record %d hashes to %s (%v), not %s", ErrNotVerified, vr.Index, got, err, hashID)
			}
		}
		out.Recordings[i] = EventRecording{Signer: entries[i].Signer, Index: vr.Index, LeafHash: vr.LeafHash, Record: vr.Record, EPCIS: er}
	}
	return out, nil
}

// VerifyAnchorResponse checks an /epcis/anchor answer against its own
// roots: the "anchor/<hex root>" entry (membership or absence) and, when
// present, the one record it points at. nil, nil means the root is proven
// not to be anchored.
func VerifyAnchorResponse(root []byte, resp *tlv1.EventResponse) (*VerifiedAnchor, error) {
	if resp == nil || resp.Roots == nil {
		return nil, fmt.Errorf("%w: answer lacks roots", ErrNotVerified)
	}
	key := tlv1.AnchorKey(root)
	present, err := proof.VerifyValue(resp.Roots, key, resp.Entry)
	if err != nil {
		return nil, notVerified(err)
	}
	if !present {
		if len(resp.Records) != 0 {
			return nil, fmt.Errorf("%w: %q is proven absent but a record came with it", ErrNotVerified, key)
		}
		return nil, nil
	}
	var ent tlv1.EPCISIndexEntry
	if err := ent.Unmarshal(resp.Entry.Value); err != nil {
		return nil, fmt.Errorf("%w: map entry %q does not decode: %v", ErrNotVerified, key, err)
	}
	if len(resp.Records) != 1 || resp.Records[0] == nil || resp.Records[0].Index != ent.Index {
		return nil, fmt.Errorf("%w: %q points at record %d, the answer's record proof does not match", ErrNotVerified, key, ent.Index)
	}
	pr := resp.Records[0]
	vr, err := verifyRecord(resp.Roots, pr)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(vr.LeafHash[:], ent.LeafHash) {
		return nil, fmt.Errorf("%w: record %d has leaf hash %X, %q says %X", ErrNotVerified, vr.Index, vr.LeafHash, key, ent.LeafHash)
	}
	ar := vr.Record.GetAnchor()
	if ar == nil || ar.Anchor == nil || !bytes.Equal(ar.Anchor.Root, root) {
		return nil, fmt.Errorf("%w: record %d is not the anchor of %X", ErrNotVerified, vr.Index, root)
	}
	return &VerifiedAnchor{Index: vr.Index, LeafHash: vr.LeafHash, Record: vr.Record, Anchor: ar.Anchor,
		RecordBytes: pr.Record, Inclusion: pr.Inclusion, Roots: resp.Roots}, nil
}

// Event returns the verified recordings of the event with hashID, every
// participant's, or nil when it is proven not to be recorded.
func (c *Client) Event(ctx context.Context, hashID string) (*VerifiedEvent, Proven, error) {
	ve, _, p, err := verifiedQuery(ctx, c, tlv1.PathEPCISEvent, &tlv1.EventRequest{HashId: hashID}, func(resp *tlv1.EventResponse) (*VerifiedEvent, error) {
		return VerifyEventResponse(hashID, resp)
	})
	return ve, p, err
}

// Anchor returns the verified anchor of root, or nil when it is proven not
// to be anchored.
func (c *Client) Anchor(ctx context.Context, root []byte) (*VerifiedAnchor, Proven, error) {
	va, _, p, err := verifiedQuery(ctx, c, tlv1.PathEPCISAnchor, &tlv1.AnchorRequest{Root: root}, func(resp *tlv1.EventResponse) (*VerifiedAnchor, error) {
		return VerifyAnchorResponse(root, resp)
	})
	return va, p, err
}

// Known reports which of hashIDs the participant recorder recorded (any
// participant when recorder is empty). The answer is not proven:
// importers use it to skip the events they recorded already (the ledger
// rejects a duplicate anyway); use Event for a proof.
func (c *Client) Known(ctx context.Context, hashIDs []string, recorder string) ([]bool, error) {
	out := make([]bool, 0, len(hashIDs))
	for start := 0; start < len(hashIDs); start += knownChunk {
		end := min(start+knownChunk, len(hashIDs))
		resp, _, err := queryAnswer[tlv1.KnownResponse](ctx, c, tlv1.PathEPCISKnown, &tlv1.KnownRequest{HashIds: hashIDs[start:end], Recorder: recorder}, 0)
		if err != nil {
			return nil, err
		}
		if len(resp.Known) != end-start {
			return nil, fmt.Errorf("known query: %d answers for %d hash IDs", len(resp.Known), end-start)
		}
		out = append(out, resp.Known...)
	}
	return out, nil
}

// MaxTxBytes reads the network's transaction size limit (params.max_tx_bytes;
// unproven, a size hint only). It returns DefaultMaxTxBytes when the
// parameters cannot be read.
func (c *Client) MaxTxBytes(ctx context.Context) int64 {
	vr, _, err := queryAnswer[tlv1.ValueResponse](ctx, c, tlv1.PathValue, &tlv1.ValueRequest{Key: tlv1.KeyParams}, 0)
	if err != nil || vr.Value == nil {
		return DefaultMaxTxBytes
	}
	var p tlv1.ChainParams
	if p.Unmarshal(vr.Value.Value) != nil || p.MaxTxBytes <= txOverhead {
		return DefaultMaxTxBytes
	}
	return p.MaxTxBytes
}

// ---------------------------------------------------------------------------
// Import.

// ImportMode selects how events go on the ledger.
type ImportMode int

const (
	// ImportPublic records the full events.
	ImportPublic ImportMode = iota
	// ImportHashed records the hash IDs, the payloads' SHA-256 and the
	// public index fields; the payloads stay with the enterprise.
	ImportHashed
)

// PreparedEvent is one event of a document, checked and ready to submit.
type PreparedEvent struct {
	// Index is the event's position in its document.
	Index  int
	HashID string
	Msg    *tlv1.RecordEPCISEvent
	// Payload is the disclosable payload of a hashed event (nil for public).
	Payload *epcis.Payload
	size    int
	// eventTimeMs is the event time in Unix milliseconds (PlanImport
	// checks it against the future-skew bound).
	eventTimeMs int64
}

// PrepareImport parses an EPCIS 2.0 document (JSON / JSON-LD or XML; an
// EPCISDocument, an EPCISQueryDocument or a bare event), computes every
// event's Event Hash ID and checks each event as the validators will, so
// that a bad event is reported with its index and field before anything is
// submitted. Nothing needs a node.
func PrepareImport(data []byte, format epcis.Format, mode ImportMode) ([]PreparedEvent, error) {
	out, errs, err := PrepareEach(data, format, mode)
	if err != nil {
		return nil, err
	}
	for _, e := range errs {
		if e != nil {
			return nil, e
		}
	}
	return out, nil
}

// PrepareEach is PrepareImport event by event: a document that parses
// gives one PreparedEvent or one error (an *epcis.EventError naming the
// event's index and field) per event, in document order, so that a
// capture can record the good events of a document and report each bad
// one. err is set only when the document itself does not parse.
func PrepareEach(data []byte, format epcis.Format, mode ImportMode) (events []PreparedEvent, errs []error, err error) {
	evs, err := epcis.ParseBytes(data, format)
	if err != nil {
		return nil, nil, err
	}
	var payloads []epcis.Payload
	if mode == ImportHashed {
		if payloads, err = epcis.Payloads(data, format); err != nil {
			return nil, nil, err
		}
		if len(payloads) != len(evs) {
			return nil, nil, fmt.Errorf("epcis: %d payloads for %d events", len(payloads), len(evs))
		}
	}
	events = make([]PreparedEvent, len(evs))
	errs = make([]error, len(evs))
	for i, ev := range evs {
		var pl *epcis.Payload
		if mode == ImportHashed {
			pl = &payloads[i]
		}
		events[i], errs[i] = prepareEvent(i, ev, pl)
	}
	return events, errs, nil
}

// prepareEvent checks the i-th event of a document and builds its
// message: hashed when pl (its disclosable payload) is given, else public.
func prepareEvent(i int, ev epcis.Event, pl *epcis.Payload) (PreparedEvent, error) {
	hashID, err := epcis.HashID(ev)
	if err != nil {
		return PreparedEvent{}, err
	}
	p, err := epcis.ToProto(ev)
	if err != nil {
		return PreparedEvent{}, err
	}
	ck, err := epcis.CheckProto(p, i)
	if err != nil {
		return PreparedEvent{}, err
	}
	if ck.HashID != hashID {
		// The typed form must carry everything the hash covers; a
		// difference is a bug in package epcis, not in the document.
		return PreparedEvent{}, &epcis.EventError{Index: i, Err: fmt.Errorf("the event hashes to %s but its protobuf form to %s (please report this)", hashID, ck.HashID)}
	}
	ctx, err := epcis.ContextFromEvent(ev)
	if err != nil {
		return PreparedEvent{}, err
	}
	msg := &tlv1.RecordEPCISEvent{HashId: hashID, Context: ctx}
	pe := PreparedEvent{Index: i, HashID: hashID, Msg: msg}
	if pl != nil {
		// The payload is what the enterprise discloses later: alone, it
		// must give the same hash ID, or 'epcis check' could not tie it
		// to this record.
		if got, err := epcis.HashDocument(bytes.NewReader(pl.JSON), epcis.FormatJSON); err != nil || len(got) != 1 || got[0] != hashID {
			return PreparedEvent{}, &epcis.EventError{Index: i, Err: fmt.Errorf("the event's disclosable payload does not hash to its hash ID %s (got %v, %v); a document-level ignoreFields, for example, does not travel with one event", hashID, got, err)}
		}
		pe.Payload = pl
		h := &tlv1.HashedEvent{
			Type: p.Type, EventTimeMs: ck.EventTimeMs, EventTimeZoneOffset: trim(p.EventTimeZoneOffset),
			BizStep: trim(p.BizStep), Disposition: trim(p.Disposition),
			Identifiers: ck.Identifiers, PayloadSha256: pl.SHA256[:],
		}
		if p.ReadPoint != nil {
			h.ReadPoint = trim(p.ReadPoint.Id)
		}
		if p.BizLocation != nil {
			h.BizLocation = trim(p.BizLocation.Id)
		}
		if _, err := epcis.CheckHashed(h, i); err != nil {
			return PreparedEvent{}, err
		}
		msg.Kind = &tlv1.RecordEPCISEvent_Hashed{Hashed: h}
	} else {
		msg.Kind = &tlv1.RecordEPCISEvent_Public{Public: p}
	}
	if err := epcis.CheckContext(ctx); err != nil {
		return PreparedEvent{}, &epcis.EventError{Index: i, Err: err}
	}
	pe.size = msg.Size()
	pe.eventTimeMs = ck.EventTimeMs
	return pe, nil
}

func trim(s string) string { return string(bytes.TrimSpace([]byte(s))) }

// ImportProgress reports an import's progress.
type ImportProgress struct {
	// Total is the number of events in the document; Known of them the
	// signer's participant had already recorded (or repeat an earlier
	// event of the document).
	Total, Known int
	// Submitted and Committed count new events sent and committed.
	Submitted, Committed int
}

// ImportOptions configure Import.
type ImportOptions struct {
	Signer Signer
	// MaxBatch is the most events per transaction (default and limit 1,000).
	MaxBatch int
	// MaxTxBytes bounds a transaction (default: the network's parameter).
	MaxTxBytes int64
	// InFlight is how many transactions may wait for commit at once
	// (default 8).
	InFlight int
	// Progress, if set, is called after each step.
	Progress func(ImportProgress)
}

// ImportResult is the outcome of an import.
type ImportResult struct {
	ImportProgress
	// Recorder is the participant the signer signs for: Known counts the
	// events it had recorded already, whoever else recorded them.
	Recorder string
	// DuplicatesInDocument counts events that repeat an earlier event of
	// the same document (same hash ID).
	DuplicatesInDocument int
	// Txs are the committed transactions, in order.
	Txs []*Committed
}

// ImportError is a rejected batch, naming the document event at fault.
type ImportError struct {
	// Index is the document index of the event the node rejected, or -1
	// when the rejection names no event.
	Index  int
	HashID string
	Err    error
}

func (e *ImportError) Error() string {
	if e.Index < 0 {
		return fmt.Sprintf("import: %v", e.Err)
	}
	return fmt.Sprintf("import: document event %d (%s): %v", e.Index, e.HashID, e.Err)
}

// Unwrap returns the node's rejection.
func (e *ImportError) Unwrap() error { return e.Err }

// Import submits prepared events that the signer's participant has not
// recorded yet, in batches of up to MaxBatch events that fit in a
// transaction, with up to InFlight transactions awaiting commit, and waits
// until all are committed. It is idempotent: events the participant
// already recorded are skipped, so a second import of the same document
// records nothing. Another participant's recording of an event does not
// count: each participant records its own (docs/ERRORS.md, code 65).
// Every batch's commit is confirmed by proof once the batches are in (see
// Submit): one the node claims but that does not verify is a
// *CommitNotVerifiedError, and is not counted in the result.
func (c *Client) Import(ctx context.Context, events []PreparedEvent, opts ImportOptions) (*ImportResult, error) {
	if opts.MaxBatch <= 0 || opts.MaxBatch > tlv1.MaxBatchEvents {
		opts.MaxBatch = tlv1.MaxBatchEvents
	}
	if opts.InFlight <= 0 {
		opts.InFlight = 8
	}
	if opts.MaxTxBytes <= 0 {
		opts.MaxTxBytes = c.MaxTxBytes(ctx)
	}
	progress := func(r *ImportResult) {
		if opts.Progress != nil {
			opts.Progress(r.ImportProgress)
		}
	}
	ids := make([]string, len(events))
	for i, e := range events {
		ids[i] = e.HashID
	}
	recorder, err := c.KeyParticipant(ctx, opts.Signer.KeyID())
	if err != nil {
		return nil, err
	}
	res := &ImportResult{ImportProgress: ImportProgress{Total: len(events)}, Recorder: recorder}
	known, err := c.Known(ctx, ids, recorder)
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(events))
	var todo []PreparedEvent
	for i, e := range events {
		switch {
		case seen[e.HashID]:
			res.DuplicatesInDocument++
			res.Known++
		case known[i]:
			res.Known++
		default:
			todo = append(todo, e)
		}
		seen[e.HashID] = true
	}
	progress(res)
	batches, err := planBatches(todo, opts.MaxBatch, ImportLimits{ChainID: c.genesis.ChainID, MaxTxBytes: opts.MaxTxBytes, MaxMsgsPerTx: DefaultMaxMsgsPerTx})
	if err != nil {
		return res, err
	}
	type inflight struct {
		sent  sentTx
		batch []PreparedEvent
	}
	var window []inflight
	// The node's word that a batch committed is confirmed by proof
	// (verifyCommit) once the batches are in, all in one pass: each read
	// waits for the header after the latest block, so reads made together
	// share that wait instead of adding a block per batch.
	var unverified []inflight
	wait := func() error {
		f := window[0]
		window = window[1:]
		com, err := c.WaitTx(ctx, f.sent.hash)
		if err != nil {
			c.forgetSequence(opts.Signer.KeyID())
			return importError(err, f.batch)
		}
		res.Committed += len(f.batch)
		res.Txs = append(res.Txs, com)
		unverified = append(unverified, f)
		progress(res)
		return nil
	}
	verifyAll := func(err error) error {
		first := len(res.Txs) - len(unverified)
		for i, f := range unverified {
			if verr := c.verifyCommit(ctx, f.sent, res.Txs[first+i]); verr != nil {
				c.forgetSequence(opts.Signer.KeyID())
				for _, g := range unverified[i:] {
					res.Committed -= len(g.batch)
				}
				res.Txs = res.Txs[:first+i]
				unverified = nil
				return importError(verr, f.batch)
			}
		}
		unverified = nil
		return err
	}
	for _, b := range batches {
		msgs := make([]*tlv1.RecordEPCISEvent, len(b))
		for i, e := range b {
			msgs[i] = e.Msg
		}
		_, sent, err := c.broadcast(ctx, opts.Signer, false, &tlv1.Msg{Sum: &tlv1.Msg_RecordEventBatch{RecordEventBatch: &tlv1.RecordEventBatch{Events: msgs}}})
		var refused *TxError
		if errors.As(err, &refused) { // CheckTx refused the batch
			for len(window) > 0 { // let what was accepted commit, then report
				if werr := wait(); werr != nil {
					break
				}
			}
			return res, verifyAll(importError(err, b))
		}
		if err != nil {
			return res, verifyAll(err)
		}
		res.Submitted += len(b)
		window = append(window, inflight{sent: sent, batch: b})
		progress(res)
		if len(window) >= opts.InFlight {
			if err := wait(); err != nil {
				return res, verifyAll(err)
			}
		}
	}
	for len(window) > 0 {
		if err := wait(); err != nil {
			return res, verifyAll(err)
		}
	}
	return res, verifyAll(nil)
}

// KeyParticipant returns the id of the participant that the registered key
// keyID signs for, read with a proof.
func (c *Client) KeyParticipant(ctx context.Context, keyID string) (string, error) {
	bz, _, err := c.Value(ctx, tlv1.KeyKey(keyID))
	if err != nil {
		return "", fmt.Errorf("read key %s: %w", keyID, err)
	}
	if bz == nil {
		return "", fmt.Errorf("key %s is not registered on this network: ask your department to register it", keyID)
	}
	var k tlv1.Key
	if err := k.Unmarshal(bz); err != nil {
		return "", fmt.Errorf("%w: key %s does not decode: %v", ErrNotVerified, keyID, err)
	}
	return k.Participant, nil
}

// importError names the document event a batch rejection is about.
func importError(err error, batch []PreparedEvent) error {
	var te *TxError
	if errors.As(err, &te) {
		if r := te.Rejection; r != nil && r.BatchEvent != nil && int(*r.BatchEvent) < len(batch) {
			i := *r.BatchEvent
			return &ImportError{Index: batch[i].Index, HashID: batch[i].HashID, Err: err}
		}
	}
	return &ImportError{Index: -1, Err: err}
}

// packBatches groups events into batches of at most maxEvents whose
// messages fit in maxBytes.
func packBatches(events []PreparedEvent, maxEvents, maxBytes int) ([][]PreparedEvent, error) {
	var out [][]PreparedEvent
	var cur []PreparedEvent
	size := 0
	for _, e := range events {
		n := e.size + 8 // field tag and length
		if n > maxBytes {
			return nil, &ImportError{Index: e.Index, HashID: e.HashID, Err: &LimitError{Code: tlv1.CodeTxTooLarge, Index: -1,
				What: "the event's encoding (bytes) is more than a transaction may carry beside its envelope (record it hashed)", Got: int64(n), Limit: int64(maxBytes)}}
		}
		if len(cur) == maxEvents || size+n > maxBytes {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, e)
		size += n
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out, nil
}

// ---------------------------------------------------------------------------
// Export.

// ExportResult is an identifier's public events as a JSON-LD document.
type ExportResult struct {
	// Document is the EPCIS 2.0 JSON-LD EPCISDocument, with the ledger's
	// proofs in its "tl:ledger" member.
	Document []byte
	// Subject is the canonical identifier whose history was exported.
	Subject string
	// Public, Hashed and Other count the history's records: public events
	// (in the document), hashed events and other records (listed in the
	// proofs only).
	Public, Hashed, Other int
	// Unrendered lists public events JSON-LD cannot carry exactly (listed
	// in the proofs with the reason, not in the event list).
	Unrendered []string
	Proven     Proven
}

// LedgerProofs is the "tl:ledger" member of an exported document: the
// verified history of the subject and, per record, its proof.
type LedgerProofs struct {
	Subject string `json:"subject"`
	// StateHeight is the state the answer was proven at; Header is the
	// signed header (StateHeight+1) whose app hash commits to it.
	StateHeight  int64  `json:"stateHeight"`
	HeaderHeight int64  `json:"headerHeight"`
	AppHash      string `json:"appHash"`
	LogSize      uint64 `json:"logSize"`
	LogRoot      string `json:"logRoot"`
	MapRoot      string `json:"mapRoot"`
	// Count and ChainHash are the subject's head in the map: the history
	// is complete when its records rehash to ChainHash.
	Count     uint64          `json:"count"`
	ChainHash string          `json:"chainHash"`
	Records   []ExportedProof `json:"records"`
	// HistoryResponse is the node's answer (protobuf HistoryResponse,
	// base64) from which everything above is re-verified.
	HistoryResponse string `json:"historyResponse"`
}

// ExportedProof is one record of the history with its inclusion proof.
type ExportedProof struct {
	LogIndex  uint64   `json:"logIndex"`
	LeafHash  string   `json:"leafHash"`
	Inclusion []string `json:"inclusion"`
	// Kind is "public", "hashed", "anchor" or "other".
	Kind          string `json:"kind"`
	EventID       string `json:"eventID,omitempty"`
	PayloadSHA256 string `json:"payloadSha256,omitempty"`
	// Unrendered says why a public event is not in the event list.
	Unrendered string `json:"unrendered,omitempty"`
}

// Export reads the verified, complete history of identifier (canonicalised
// as the ledger keys histories) and writes its public events as an EPCIS
// 2.0 JSON-LD document, each with its eventID set to its Event Hash ID,
// and the proofs in the document's "tl:ledger" member.
func (c *Client) Export(ctx context.Context, identifier string, creation time.Time) (*ExportResult, error) {
	resp, vh, p, err := c.ProvenHistory(ctx, identifier)
	if err != nil {
		return nil, err
	}
	subject := vh.Subject
	raw, err := resp.Marshal()
	if err != nil {
		return nil, err
	}
	out := &ExportResult{Subject: subject, Proven: p}
	lp := LedgerProofs{Subject: subject, StateHeight: p.Height, HeaderHeight: p.Header.Height,
		AppHash: hex.EncodeToString(p.Header.AppHash), LogSize: resp.Roots.LogSize,
		LogRoot: hex.EncodeToString(resp.Roots.LogRoot), MapRoot: hex.EncodeToString(resp.Roots.MapRoot),
		HistoryResponse: base64.StdEncoding.EncodeToString(raw)}
	if vh.Head != nil {
		lp.Count, lp.ChainHash = vh.Head.Count, hex.EncodeToString(vh.Head.ChainHash)
	}
	var events []epcis.Event
	var eventIDs []string
	for i, r := range vh.Records {
		ep := ExportedProof{LogIndex: r.Index, LeafHash: hex.EncodeToString(r.LeafHash[:]), Kind: "other"}
		for _, hsh := range resp.Records[i].Inclusion.Hashes {
			ep.Inclusion = append(ep.Inclusion, hex.EncodeToString(hsh))
		}
		switch {
		case r.Record.GetEpcis() != nil:
			er := r.Record.GetEpcis()
			ep.EventID = er.HashId
			if pub := er.GetPublic(); pub != nil {
				ep.Kind = "public"
				ev, err := epcis.FromProto(pub, len(events))
				if err != nil {
					return nil, fmt.Errorf("%w: record %d: %v", ErrNotVerified, r.Index, err)
				}
				if got, err := epcis.HashID(ev); err != nil || got != er.HashId {
					return nil, fmt.Errorf("%w: record %d: public event hashes to %s (%v), not %s", ErrNotVerified, r.Index, got, err, er.HashId)
				}
				if _, err := epcis.EventObject(ev, epcis.NewNamespaces(), er.HashId); err != nil {
					ep.Unrendered = err.Error()
					out.Unrendered = append(out.Unrendered, er.HashId)
				} else {
					events = append(events, ev)
					eventIDs = append(eventIDs, er.HashId)
				}
				out.Public++
			} else {
				ep.Kind = "hashed"
				ep.PayloadSHA256 = hex.EncodeToString(er.GetHashed().GetPayloadSha256())
				out.Hashed++
			}
		case r.Record.GetAnchor() != nil:
			ep.Kind = "anchor"
			out.Other++
		default:
			out.Other++
		}
		lp.Records = append(lp.Records, ep)
	}
	doc, err := epcis.MarshalDocument(events, epcis.DocumentOptions{
		CreationDate: creation, EventIDs: eventIDs,
		Prefixes: map[string]string{"tl": epcis.TraceLedgerNS},
		Extra:    map[string]any{"tl:ledger": lp},
	})
	if err != nil {
		return nil, err
	}
	// The document must re-hash to what the ledger holds.
	got, err := epcis.HashDocument(bytes.NewReader(doc), epcis.FormatJSON)
	if err != nil {
		return nil, fmt.Errorf("exported document does not parse: %w", err)
	}
	for i := range got {
		if got[i] != eventIDs[i] {
			return nil, fmt.Errorf("exported event %d re-hashes to %s, the ledger holds %s", i, got[i], eventIDs[i])
		}
	}
	out.Document = doc
	return out, nil
}

// ---------------------------------------------------------------------------
// Payload checks.

// PayloadCheck is the ledger's verdict on one disclosed event.
type PayloadCheck struct {
	Index         int    `json:"index"`
	HashID        string `json:"hash_id"`
	PayloadSHA256 string `json:"payload_sha256"`
	// Status is "match" (a hashed recording of this hash ID commits to
	// this payload hash), "public" (the event is recorded in full),
	// "payload-mismatch" (recorded, but every recording commits to
	// another payload hash: the disclosed payload is not the one
	// committed to) or "not-recorded" (proven absent). LogIndex, Signer
	// and Height are those of the recording the status rests on (the
	// first that matches, else the first public one, else the first).
	Status   string `json:"status"`
	LogIndex uint64 `json:"log_index,omitempty"`
	Signer   string `json:"signer,omitempty"`
	Height   int64  `json:"height,omitempty"`
	// Recorded is the payload hash that recording holds, when it differs.
	Recorded string `json:"recorded_payload_sha256,omitempty"`
	// Recordings is every participant's recording of the event, each with
	// its own status ("match", "public" or "payload-mismatch").
	Recordings []PayloadRecording `json:"recordings,omitempty"`
}

// PayloadRecording is one participant's recording as a payload check sees it.
type PayloadRecording struct {
	Signer   string `json:"signer"`
	LogIndex uint64 `json:"log_index"`
	Height   int64  `json:"height"`
	Status   string `json:"status"`
	// Recorded is the payload hash of a mismatching hashed recording.
	Recorded string `json:"recorded_payload_sha256,omitempty"`
}

// CheckPayloads checks a disclosed payload (a single event object, or a
// whole EPCIS document) against the ledger: each event's Event Hash ID and
// payload hash are computed locally and compared with the proven record.
func (c *Client) CheckPayloads(ctx context.Context, data []byte, format epcis.Format) ([]PayloadCheck, Proven, error) {
	events, err := epcis.ParseBytes(data, format)
	if err != nil {
		return nil, Proven{}, err
	}
	payloads, err := epcis.Payloads(data, format)
	if err != nil {
		return nil, Proven{}, err
	}
	out := make([]PayloadCheck, len(events))
	var last Proven
	for i, ev := range events {
		id, err := epcis.HashID(ev)
		if err != nil {
			return nil, Proven{}, err
		}
		pc := PayloadCheck{Index: i, HashID: id, PayloadSHA256: hex.EncodeToString(payloads[i].SHA256[:]), Status: "not-recorded"}
		ve, p, err := c.Event(ctx, id)
		if err != nil {
			return nil, Proven{}, err
		}
		last = p
		if ve != nil {
			best := -1
			rank := map[string]int{"match": 2, "public": 1, "payload-mismatch": 0}
			for _, r := range ve.Recordings {
				pr := PayloadRecording{Signer: r.Signer, LogIndex: r.Index, Height: r.Record.Height, Status: "public"}
				if hd := r.EPCIS.GetHashed(); hd != nil {
					if bytes.Equal(hd.PayloadSha256, payloads[i].SHA256[:]) {
						pr.Status = "match"
					} else {
						pr.Status, pr.Recorded = "payload-mismatch", hex.EncodeToString(hd.PayloadSha256)
					}
				}
				pc.Recordings = append(pc.Recordings, pr)
				if best < 0 || rank[pr.Status] > rank[pc.Recordings[best].Status] {
					best = len(pc.Recordings) - 1
				}
			}
			b := pc.Recordings[best]
			pc.Status, pc.LogIndex, pc.Signer, pc.Height, pc.Recorded = b.Status, b.LogIndex, b.Signer, b.Height, b.Recorded
		}
		out[i] = pc
	}
	return out, last, nil
}
