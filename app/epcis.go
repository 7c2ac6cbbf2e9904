// SPDX-License-Identifier: Apache-2.0

package app

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/traceledger/traceledger/epcis"
	"github.com/traceledger/traceledger/proof"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// EPCIS 2.0 events on the ledger (issue 4).
//
// A RecordEPCISEvent carries one event, public (the full typed event: the
// validators recompute its CBV 2.0 Event Hash ID and reject a mismatch) or
// hashed (the hash ID, the payload's SHA-256 and the public index fields).
// A RecordEventBatch carries up to 1,000 of them in one signed transaction,
// all or nothing. Each event becomes one log record (an EPCISRecord),
// appended to the history of every identifier it names (canonical form, see
// epcis.ParseIdentifier), and the map entry "event/<hash id>" (an
// EPCISEventIndex) lists it with its signer. An Event Hash ID names what
// happened, not who may say so: any participant may record the event, once
// (a second recording by the same participant is a duplicate, code 65),
// and no participant's recording keeps another's out, so an enterprise
// cannot pre-empt a partner's event by recording it first (app protocol
// 3). Every recording can be found by the hash ID with a proof.
//
// An AnchorRoot records a Merkle root over up to 1,000,000 event hash IDs
// of a high-volume source; the map entry "anchor/<hex root>" points at its
// record, which is appended to the source's history.
//
// Stateless checks (CheckTx and FinalizeBlock both run them) include the
// hash recomputation; state checks (duplicates, the event time against the
// block time) run in FinalizeBlock.

// epcisRoles may record events and anchors: enterprises, and certifiers for
// their certification links.
var epcisRoles = []tlv1.Role{tlv1.ROLE_ENTERPRISE, tlv1.ROLE_CERTIFIER}

// epcisHandlers are the EPCIS event messages. The handlers share a cache of
// checked events (see checkCache), one per App.
func epcisHandlers() []msgHandler {
	d := &epcisDomain{cache: newCheckCache(checkCacheSize)}
	return []msgHandler{
		{
			name:   "record_epcis_event",
			sample: (*tlv1.Msg_RecordEpcisEvent)(nil),
			roles:  epcisRoles,
			validate: func(m *tlv1.Msg) error {
				_, _, err := d.check(m.GetRecordEpcisEvent(), "record_epcis_event", 0)
				return err
			},
			exec: func(c *execCtx, m *tlv1.Msg) ([]recordedEvent, error) {
				e := m.GetRecordEpcisEvent()
				ck, err := d.checked(e, "record_epcis_event", 0)
				if err != nil {
					return nil, err
				}
				r, err := execEPCISEvent(c, e, ck, "record_epcis_event", 0)
				if err != nil {
					return nil, err
				}
				return []recordedEvent{r}, nil
			},
		},
		{
			name:   "record_event_batch",
			sample: (*tlv1.Msg_RecordEventBatch)(nil),
			roles:  epcisRoles,
			validate: func(m *tlv1.Msg) error {
				return d.checkBatch(m.GetRecordEventBatch())
			},
			exec: func(c *execCtx, m *tlv1.Msg) ([]recordedEvent, error) {
				b := m.GetRecordEventBatch()
				out := make([]recordedEvent, len(b.Events))
				for i, e := range b.Events {
					ck, err := d.checked(e, "record_event_batch", i)
					if err != nil {
						return nil, atBatchEvent(err, i)
					}
					if out[i], err = execEPCISEvent(c, e, ck, "record_event_batch", i); err != nil {
						return nil, atBatchEvent(err, i)
					}
				}
				return out, nil
			},
		},
		{
			name:   "anchor_root",
			sample: (*tlv1.Msg_AnchorRoot)(nil),
			roles:  epcisRoles,
			validate: func(m *tlv1.Msg) error {
				_, err := checkAnchor(m.GetAnchorRoot())
				return err
			},
			exec: func(c *execCtx, m *tlv1.Msg) ([]recordedEvent, error) {
				return execAnchor(c, m.GetAnchorRoot())
			},
		},
	}
}

// checkCacheSize is how many checked events the cache remembers: a few
// blocks' worth of mempool backlog.
const checkCacheSize = 1 << 17

// epcisDomain holds the EPCIS handlers' per-App state.
type epcisDomain struct {
	cache *checkCache
}

// check runs the stateless checks of one event, or takes their result from
// the cache when an identical event passed them already (in CheckTx, or in
// this block's validation). It also returns the event's cache key.
func (d *epcisDomain) check(e *tlv1.RecordEPCISEvent, msg string, batchIndex int) (*checkedEvent, checkKey, error) {
	k, ok := checkKeyOf(e)
	if ok {
		if ck := d.cache.get(k); ck != nil {
			return ck, k, nil
		}
	}
	ck, err := checkEPCISEvent(e, msg, batchIndex)
	if err == nil && ok {
		d.cache.put(k, ck)
	}
	return ck, k, err
}

// checked returns what exec needs of an event that validate accepted:
// from the cache (validate has just put it there), or derived again
// without the hash when the cache lost it.
func (d *epcisDomain) checked(e *tlv1.RecordEPCISEvent, msg string, batchIndex int) (*checkedEvent, error) {
	if k, ok := checkKeyOf(e); ok {
		if ck := d.cache.get(k); ck != nil {
			return ck, nil
		}
	}
	return indexEPCISEvent(e, msg, batchIndex)
}

// checkBatch runs the stateless checks of a batch: its size, every event,
// and no hash ID twice.
func (d *epcisDomain) checkBatch(b *tlv1.RecordEventBatch) error {
	if b == nil || len(b.Events) == 0 {
		return rejectf(tlv1.CodeEPCISBatchSize, "record_event_batch.events is empty: a batch carries 1 to %d events", tlv1.MaxBatchEvents)
	}
	if len(b.Events) > tlv1.MaxBatchEvents {
		return rejectf(tlv1.CodeEPCISBatchSize, "record_event_batch.events has %d events, the limit is %d", len(b.Events), tlv1.MaxBatchEvents)
	}
	first := make(map[string]int, len(b.Events))
	for i, e := range b.Events {
		ck, _, err := d.check(e, "record_event_batch", i)
		if err != nil {
			return atBatchEvent(err, i)
		}
		if j, dup := first[ck.hashID]; dup {
			return atBatchEvent(rejectf(tlv1.CodeEPCISDuplicateEvent, "record_event_batch.events[%d] (event %d): hash_id %s is also events[%d]", i, i, ck.hashID, j), i)
		}
		first[ck.hashID] = i
	}
	return nil
}

// atBatchEvent names the batch event a refusal is about in its facts.
func atBatchEvent(err error, i int) error {
	return withFacts(err, func(r *tlv1.Rejection) { r.BatchEvent = factU32(i) })
}

// checkKey identifies an event's encoding.
type checkKey [32]byte

// checkKeyOf is SHA-256 over a domain tag and the event's deterministic
// encoding. The stateless checks are a function of exactly these bytes
// (their result does not depend on state, parameters or the event's place
// in its batch, which only error messages mention), so a cached success
// is the success a recomputation would give.
func checkKeyOf(e *tlv1.RecordEPCISEvent) (checkKey, bool) {
	if e == nil {
		return checkKey{}, false
	}
	bz, err := e.Marshal()
	if err != nil {
		return checkKey{}, false
	}
	h := sha256.New()
	h.Write([]byte("traceledger/epcis-check/v1\x00"))
	h.Write(bz)
	var k checkKey
	h.Sum(k[:0])
	return k, true
}

// checkCache remembers the events that passed the stateless checks, so that
// FinalizeBlock does not recompute the Event Hash ID of a public event that
// CheckTx has checked, and exec reuses what validate learnt. Bounded, first
// in first out; safe for CheckTx and FinalizeBlock running concurrently.
// Only successes are kept, and the entries are never modified.
type checkCache struct {
	mu   sync.Mutex
	m    map[checkKey]*checkedEvent
	ring []checkKey
	next int
}

func newCheckCache(size int) *checkCache {
	return &checkCache{m: make(map[checkKey]*checkedEvent, size), ring: make([]checkKey, size)}
}

func (c *checkCache) get(k checkKey) *checkedEvent {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[k]
}

func (c *checkCache) put(k checkKey, ck *checkedEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; ok {
		return
	}
	if old := c.ring[c.next]; c.m[old] != nil && len(c.m) >= len(c.ring) {
		delete(c.m, old)
	}
	c.ring[c.next] = k
	c.next = (c.next + 1) % len(c.ring)
	c.m[k] = ck
}

// checkedEvent is what the stateless checks learn about one event.
type checkedEvent struct {
	hashID      string
	eventTimeMs int64
	subjects    []string
}

// eventCode maps an epcis error to its rejection code.
func eventCode(err error) tlv1.Code {
	switch {
	case errors.Is(err, epcis.ErrUnknownEventType):
		return tlv1.CodeEPCISUnknownEventType
	case errors.Is(err, epcis.ErrMissingField):
		return tlv1.CodeEPCISMissingField
	case errors.Is(err, epcis.ErrInvalidURI):
		return tlv1.CodeEPCISInvalidIdentifier
	}
	return tlv1.CodeEPCISInvalidEvent
}

// eventReject turns an epcis error about the event at where into a
// rejection naming the event and the field.
func eventReject(where string, err error) error {
	var ee *epcis.EventError
	if errors.As(err, &ee) {
		msg := where
		if ee.Field != "" {
			msg += " field " + ee.Field
		}
		if ee.Value != "" {
			v := ee.Value
			if len(v) > 80 {
				v = v[:80] + "..."
			}
			msg += fmt.Sprintf(" (value %q)", v)
		}
		return rejectf(eventCode(err), "%s: %v", msg, ee.Err)
	}
	return rejectf(eventCode(err), "%s: %v", where, err)
}

func eventWhere(msg string, batchIndex int) string {
	if msg == "record_event_batch" {
		return fmt.Sprintf("record_event_batch.events[%d] (event %d)", batchIndex, batchIndex)
	}
	return "record_epcis_event"
}

// checkEPCISEvent runs the stateless checks of one event: the hash ID's
// form, the event (public: its fields, identifiers and recomputed hash ID;
// hashed: its index fields) and its context.
func checkEPCISEvent(e *tlv1.RecordEPCISEvent, msg string, batchIndex int) (*checkedEvent, error) {
	where := eventWhere(msg, batchIndex)
	if e == nil {
		return nil, rejectf(tlv1.CodeEPCISMissingField, "%s is empty", where)
	}
	if !epcis.ValidHashID(e.HashId) {
		return nil, rejectf(tlv1.CodeEPCISInvalidEvent, "%s hash_id %q is not a CBV 2.0 Event Hash ID (ni:///sha-256;<64 lower-case hex>?ver=CBV2.0)", where, truncate(e.HashId, 100))
	}
	if err := epcis.CheckContext(e.Context); err != nil {
		return nil, eventReject(where, err)
	}
	ck := &checkedEvent{hashID: e.HashId}
	switch k := e.Kind.(type) {
	case *tlv1.RecordEPCISEvent_Public:
		c, err := epcis.CheckProto(k.Public, batchIndex)
		if err != nil {
			return nil, eventReject(where, err)
		}
		if c.HashID != e.HashId {
			return nil, rejectf(tlv1.CodeEPCISHashMismatch, "%s: the event hashes to %s, hash_id says %s", where, c.HashID, e.HashId)
		}
		ctx, err := epcis.ContextFromProto(k.Public, batchIndex)
		if err != nil {
			return nil, eventReject(where, err)
		}
		if ctx != nil && !epcis.SameContext(ctx, e.Context) {
			return nil, rejectf(tlv1.CodeEPCISInvalidEvent, "%s: context (%s) disagrees with the event's TraceLedger fields (%s)", where, describeContext(e.Context), describeContext(ctx))
		}
		ck.eventTimeMs, ck.subjects = c.EventTimeMs, c.Subjects
	case *tlv1.RecordEPCISEvent_Hashed:
		subjects, err := epcis.CheckHashed(k.Hashed, batchIndex)
		if err != nil {
			return nil, eventReject(where, err)
		}
		ck.eventTimeMs, ck.subjects = k.Hashed.EventTimeMs, subjects
	default:
		return nil, rejectf(tlv1.CodeEPCISMissingField, "%s carries neither a public nor a hashed event", where)
	}
	for _, s := range ck.subjects {
		if tlv1.IsReservedSubject(s) {
			return nil, rejectf(tlv1.CodeEPCISInvalidIdentifier, "%s: identifier %q uses a scheme reserved for membership records", where, truncate(s, 100))
		}
	}
	return ck, nil
}

// indexEPCISEvent derives what recording needs from an event that
// checkEPCISEvent accepted (validate runs before exec on every path), without
// recomputing the hash: the event time and the canonical subjects.
func indexEPCISEvent(e *tlv1.RecordEPCISEvent, msg string, batchIndex int) (*checkedEvent, error) {
	where := eventWhere(msg, batchIndex)
	ck := &checkedEvent{hashID: e.HashId}
	var err error
	switch k := e.Kind.(type) {
	case *tlv1.RecordEPCISEvent_Public:
		ck.eventTimeMs, ck.subjects, err = epcis.IndexProto(k.Public, batchIndex)
	case *tlv1.RecordEPCISEvent_Hashed:
		ck.eventTimeMs = k.Hashed.EventTimeMs
		ck.subjects, err = epcis.CheckHashed(k.Hashed, batchIndex)
	default:
		err = fmt.Errorf("%w: no event", epcis.ErrMissingField)
	}
	if err != nil {
		return nil, eventReject(where, err)
	}
	return ck, nil
}

func describeContext(c *tlv1.TraceContext) string {
	if c == nil {
		return "none"
	}
	s := fmt.Sprintf("chain link %q, domain step %q", epcis.ChainLinkName(c.ChainLink), epcis.DomainStepName(c.DomainStep))
	if len(c.UserHash) > 0 {
		s += ", user hash " + hex.EncodeToString(c.UserHash)
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// execEPCISEvent records one checked event: the event time against the
// block time, the duplicate check, the record and the index entry.
func execEPCISEvent(c *execCtx, e *tlv1.RecordEPCISEvent, ck *checkedEvent, msg string, batchIndex int) (recordedEvent, error) {
	where := eventWhere(msg, batchIndex)
	if ck.eventTimeMs > c.timeMs+c.maxFutureMs {
		return recordedEvent{}, rejectf(tlv1.CodeEventInFuture, "%s field eventTime: %d ms is more than %d s after the block time %d ms",
			where, ck.eventTimeMs, c.maxFutureMs/1000, c.timeMs)
	}
	key := tlv1.EventKey(ck.hashID)
	var index tlv1.EPCISEventIndex
	if _, err := getProto(c.o, key, &index); err != nil {
		return recordedEvent{}, err
	}
	for _, ent := range index.Entries {
		if ent.Signer == c.signer.Id {
			e := rejectf(tlv1.CodeEPCISDuplicateEvent, "%s: %s already recorded event %s at log index %d", where, c.signer.Id, ck.hashID, ent.Index)
			e.Facts.ExistingIndex = factU64(ent.Index)
			return recordedEvent{}, e
		}
	}
	if len(index.Entries) >= tlv1.MaxEventRecorders {
		return recordedEvent{}, rejectf(tlv1.CodeEPCISEventRecorders, "%s: event %s is already recorded by %d participants, the most one event may have (%s first, at log index %d)",
			where, ck.hashID, len(index.Entries), index.Entries[0].Signer, index.Entries[0].Index)
	}
	body := &tlv1.EPCISRecord{HashId: ck.hashID, Context: e.Context, Subjects: ck.subjects, BatchIndex: uint32(batchIndex)}
	switch k := e.Kind.(type) {
	case *tlv1.RecordEPCISEvent_Public:
		body.Kind = &tlv1.EPCISRecord_Public{Public: k.Public}
	case *tlv1.RecordEPCISEvent_Hashed:
		body.Kind = &tlv1.EPCISRecord_Hashed{Hashed: k.Hashed}
	}
	rec := c.record()
	rec.Body = &tlv1.Record_Epcis{Epcis: body}
	idx, err := c.o.appendRecord(rec, ck.subjects)
	if err != nil {
		return recordedEvent{}, err
	}
	// Log indexes only grow, so appending keeps the entries in log order.
	index.Entries = append(index.Entries, &tlv1.EPCISIndexEntry{Index: idx, LeafHash: c.o.leafHashes[len(c.o.leafHashes)-1], Signer: c.signer.Id})
	if err := putProto(c.o, key, &index); err != nil {
		return recordedEvent{}, err
	}
	return recordedEvent{index: idx, subjects: ck.subjects}, nil
}

// checkAnchor runs the stateless checks of an AnchorRoot and returns the
// source's canonical identifier.
func checkAnchor(a *tlv1.AnchorRoot) (string, error) {
	if a == nil {
		return "", rejectf(tlv1.CodeEPCISInvalidAnchor, "anchor_root is empty")
	}
	if len(a.Root) != 32 {
		return "", rejectf(tlv1.CodeEPCISInvalidAnchor, "anchor_root.root must be 32 bytes, got %d", len(a.Root))
	}
	if a.LeafCount == 0 || a.LeafCount > epcis.MaxAnchorLeaves {
		return "", rejectf(tlv1.CodeEPCISInvalidAnchor, "anchor_root.leaf_count must be 1 to %d, got %d", epcis.MaxAnchorLeaves, a.LeafCount)
	}
	id, err := epcis.ParseIdentifier(a.Source)
	if err != nil {
		return "", rejectf(tlv1.CodeEPCISInvalidAnchor, "anchor_root.source %q: %v", truncate(a.Source, 100), err)
	}
	if tlv1.IsReservedSubject(id.Canonical) {
		return "", rejectf(tlv1.CodeEPCISInvalidAnchor, "anchor_root.source %q uses a scheme reserved for membership records", truncate(a.Source, 100))
	}
	if a.FromTimeMs < 0 || a.ToTimeMs < 0 || (a.ToTimeMs != 0 && a.FromTimeMs > a.ToTimeMs) {
		return "", rejectf(tlv1.CodeEPCISInvalidAnchor, "anchor_root: from_time_ms %d and to_time_ms %d are not a time range", a.FromTimeMs, a.ToTimeMs)
	}
	return id.Canonical, nil
}

func execAnchor(c *execCtx, a *tlv1.AnchorRoot) ([]recordedEvent, error) {
	source, err := checkAnchor(a)
	if err != nil {
		return nil, err
	}
	if a.ToTimeMs > c.timeMs+c.maxFutureMs {
		return nil, rejectf(tlv1.CodeEventInFuture, "anchor_root.to_time_ms %d is more than %d s after the block time %d", a.ToTimeMs, c.maxFutureMs/1000, c.timeMs)
	}
	key := tlv1.AnchorKey(a.Root)
	if v, err := c.o.mapValue(key); err != nil {
		return nil, err
	} else if v != nil {
		return nil, rejectf(tlv1.CodeEPCISDuplicateAnchor, "anchor_root.root %X is already anchored", a.Root)
	}
	rec := c.record()
	rec.Body = &tlv1.Record_Anchor{Anchor: &tlv1.AnchorRecord{Anchor: a}}
	subjects := []string{source}
	idx, err := c.o.appendRecord(rec, subjects)
	if err != nil {
		return nil, err
	}
	if err := putProto(c.o, key, &tlv1.EPCISIndexEntry{Index: idx, LeafHash: c.o.leafHashes[len(c.o.leafHashes)-1]}); err != nil {
		return nil, err
	}
	return []recordedEvent{{index: idx, subjects: subjects}}, nil
}

// epcisQueries are the EPCIS query paths.
func epcisQueries() map[string]queryHandler {
	return map[string]queryHandler{
		tlv1.PathEPCISEvent: func(q *querier, data []byte) (marshaler, error) {
			var r tlv1.EventRequest
			if err := r.Unmarshal(data); err != nil {
				return nil, rejectf(tlv1.CodeInvalidQuery, "data is not an EventRequest: %v", err)
			}
			if !epcis.ValidHashID(r.HashId) {
				return nil, rejectf(tlv1.CodeInvalidQuery, "hash_id %q is not an Event Hash ID", truncate(r.HashId, 100))
			}
			return q.eventRecordings(tlv1.EventKey(r.HashId))
		},
		tlv1.PathEPCISAnchor: func(q *querier, data []byte) (marshaler, error) {
			var r tlv1.AnchorRequest
			if err := r.Unmarshal(data); err != nil {
				return nil, rejectf(tlv1.CodeInvalidQuery, "data is not an AnchorRequest: %v", err)
			}
			if len(r.Root) != 32 {
				return nil, rejectf(tlv1.CodeInvalidQuery, "root is %d bytes, want 32", len(r.Root))
			}
			return q.indexed(tlv1.AnchorKey(r.Root))
		},
		tlv1.PathEPCISKnown: func(q *querier, data []byte) (marshaler, error) {
			var r tlv1.KnownRequest
			if err := r.Unmarshal(data); err != nil {
				return nil, rejectf(tlv1.CodeInvalidQuery, "data is not a KnownRequest: %v", err)
			}
			if len(r.HashIds) > tlv1.MaxKnownQuery {
				return nil, rejectf(tlv1.CodeInvalidQuery, "%d hash IDs, the limit is %d", len(r.HashIds), tlv1.MaxKnownQuery)
			}
			out := &tlv1.KnownResponse{Height: q.c.info.Height, Known: make([]bool, len(r.HashIds))}
			for i, id := range r.HashIds {
				var index tlv1.EPCISEventIndex
				found, err := getProto(q.v, tlv1.EventKey(id), &index)
				if err != nil {
					return nil, err
				}
				out.Known[i] = found && (r.Recorder == "" || slices.ContainsFunc(index.Entries, func(e *tlv1.EPCISIndexEntry) bool { return e.Signer == r.Recorder }))
			}
			return out, nil
		},
	}
}

// indexed proves the anchor index entry at key and, when present, its record.
func (q *querier) indexed(key string) (*tlv1.EventResponse, error) {
	pv, err := q.value(key)
	if err != nil {
		return nil, err
	}
	resp := &tlv1.EventResponse{Roots: q.roots(), Entry: pv}
	if pv.Value == nil {
		return resp, nil // proven absent
	}
	var ent tlv1.EPCISIndexEntry
	if err := ent.Unmarshal(pv.Value); err != nil {
		return nil, fmt.Errorf("decode %s: %w", key, err)
	}
	pr, err := q.entryRecord(key, &ent)
	if err != nil {
		return nil, err
	}
	resp.Records = []*tlv1.ProvenRecord{pr}
	return resp, nil
}

// eventRecordings proves the event index at key and, when present, every
// recording it lists, in its order.
func (q *querier) eventRecordings(key string) (*tlv1.EventResponse, error) {
	pv, err := q.value(key)
	if err != nil {
		return nil, err
	}
	resp := &tlv1.EventResponse{Roots: q.roots(), Entry: pv}
	if pv.Value == nil {
		return resp, nil // proven absent
	}
	var index tlv1.EPCISEventIndex
	if err := index.Unmarshal(pv.Value); err != nil {
		return nil, fmt.Errorf("decode %s: %w", key, err)
	}
	resp.Records = make([]*tlv1.ProvenRecord, len(index.Entries))
	for i, ent := range index.Entries {
		if resp.Records[i], err = q.entryRecord(key, ent); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

// entryRecord proves the record an index entry at key points at.
func (q *querier) entryRecord(key string, ent *tlv1.EPCISIndexEntry) (*tlv1.ProvenRecord, error) {
	pr, err := q.provenRecord(ent.Index)
	if err != nil {
		return nil, err
	}
	if got := proof.LeafHash(pr.Record); string(got[:]) != string(ent.LeafHash) {
		return nil, fmt.Errorf("%s points at record %d whose leaf hash is %X, not %X", key, ent.Index, got, ent.LeafHash)
	}
	return pr, nil
}
