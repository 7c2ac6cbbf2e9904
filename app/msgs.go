// SPDX-License-Identifier: Apache-2.0

package app

import (
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/traceledger/traceledger/genesis"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Field limits of RecordEvent (the subject's is epcis.MaxIdentifierBytes,
// checked by canonicalSubject).
const (
	maxEventTypeBytes = 64
	maxNoteBytes      = 256
)

// msgHandler is everything the application knows about one message kind:
// its stable name (used in errors and ABCI events), the roles that may send
// it (the authorization matrix, checked in CheckTx and FinalizeBlock), its
// stateless field checks, and its execution.
type msgHandler struct {
	name string
	// sample is a nil value of the Msg.Sum type this handler serves.
	sample   any
	roles    []tlv1.Role
	validate func(m *tlv1.Msg) error
	exec     func(c *execCtx, m *tlv1.Msg) ([]recordedEvent, error)
}

// handlers maps a message kind (the dynamic type of Msg.Sum) to its handler.
type handlers map[reflect.Type]*msgHandler

// newHandlers builds the table from each domain's list. A domain adds a
// message kind by adding a handler to its own list.
func newHandlers() handlers {
	h := handlers{}
	for _, set := range [][]msgHandler{eventHandlers(), governanceHandlers(), epcisHandlers(), attestHandlers(), recallHandlers(), creditHandlers(), disclosureHandlers()} {
		for i := range set {
			if set[i].validate == nil || set[i].exec == nil || set[i].name == "" {
				panic("app: incomplete handler for " + set[i].name)
			}
			t := reflect.TypeOf(set[i].sample)
			if _, dup := h[t]; dup {
				panic("app: two handlers for " + set[i].name)
			}
			h[t] = &set[i]
		}
	}
	return h
}

// lookup returns the handler of m's kind.
func (h handlers) lookup(m *tlv1.Msg) (*msgHandler, error) {
	if m == nil || m.Sum == nil {
		return nil, rejectf(tlv1.CodeUnknownMessage, "message is empty")
	}
	mh, ok := h[reflect.TypeOf(m.Sum)]
	if !ok {
		return nil, rejectf(tlv1.CodeUnknownMessage, "message kind %T is not known to this node (upgrade it, or check the client)", m.Sum)
	}
	return mh, nil
}

// authorize checks the authorization matrix for p sending a message.
func (mh *msgHandler) authorize(p *tlv1.Participant) error {
	for _, r := range mh.roles {
		if p.Role == r {
			return nil
		}
	}
	return rejectf(tlv1.CodeUnauthorized, "%s may not be sent by %q, a %s", mh.name, p.Id, p.Role)
}

// eventHandlers are the minimal trace-event messages.
func eventHandlers() []msgHandler {
	return []msgHandler{{
		name:   "record_event",
		sample: (*tlv1.Msg_RecordEvent)(nil),
		roles:  []tlv1.Role{tlv1.ROLE_ENTERPRISE},
		validate: func(m *tlv1.Msg) error {
			return validateRecordEvent(m.GetRecordEvent())
		},
		exec: func(c *execCtx, m *tlv1.Msg) ([]recordedEvent, error) {
			return execRecordEvent(c, m.GetRecordEvent())
		},
	}}
}

func validateRecordEvent(e *tlv1.RecordEvent) error {
	if e == nil {
		return rejectf(tlv1.CodeInvalidMessage, "record_event is empty")
	}
	if _, err := canonicalSubject(tlv1.CodeInvalidMessage, "record_event.subject", e.Subject); err != nil {
		return err
	}
	if n := len(e.EventType); n == 0 || n > maxEventTypeBytes {
		return rejectf(tlv1.CodeInvalidMessage, "record_event.event_type must be 1 to %d bytes, got %d", maxEventTypeBytes, n)
	}
	for i, c := range e.EventType {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_-.:/", c)) {
			return rejectf(tlv1.CodeInvalidMessage, "record_event.event_type has %q at byte %d; use letters, digits and _-.:/", c, i)
		}
	}
	if e.EventTimeMs <= 0 {
		return rejectf(tlv1.CodeInvalidMessage, "record_event.event_time_ms must be a positive Unix time in milliseconds, got %d", e.EventTimeMs)
	}
	if len(e.PayloadSha256) != 32 {
		return rejectf(tlv1.CodeInvalidMessage, "record_event.payload_sha256 must be 32 bytes, got %d", len(e.PayloadSha256))
	}
	if len(e.Note) > maxNoteBytes {
		return rejectf(tlv1.CodeInvalidMessage, "record_event.note is %d bytes, the limit is %d", len(e.Note), maxNoteBytes)
	}
	if !utf8.ValidString(e.Note) {
		return rejectf(tlv1.CodeInvalidMessage, "record_event.note is not valid UTF-8")
	}
	return nil
}

// execCtx is what a message handler sees.
type execCtx struct {
	o           *overlay
	height      int64
	timeMs      int64
	txHash      []byte
	msgIndex    uint32
	signer      *tlv1.Participant
	signerKey   string
	maxFutureMs int64
	params      genesis.Params
}

// record builds a Record stamped with the context.
func (c *execCtx) record() *tlv1.Record {
	return &tlv1.Record{
		Height:    c.height,
		TimeMs:    c.timeMs,
		TxHash:    c.txHash,
		MsgIndex:  c.msgIndex,
		Signer:    c.signer.Id,
		SignerKey: c.signerKey,
	}
}

// recordedEvent describes an appended record for the ABCI events.
type recordedEvent struct {
	index    uint64
	subjects []string
}

func execRecordEvent(c *execCtx, e *tlv1.RecordEvent) ([]recordedEvent, error) {
	if e.EventTimeMs > c.timeMs+c.maxFutureMs {
		return nil, rejectf(tlv1.CodeEventInFuture, "record_event.event_time_ms %d is more than %d s after the block time %d",
			e.EventTimeMs, c.maxFutureMs/1000, c.timeMs)
	}
	subject := mustCanonical(e.Subject)
	// A retry of an event already recorded (after a time-out, say) is
	// refused with the record it would duplicate, not recorded twice.
	key := tlv1.TraceEventKey(c.signer.Id, subject, e.EventType, e.EventTimeMs, e.PayloadSha256)
	var prior tlv1.EPCISIndexEntry
	if found, err := getProto(c.o, key, &prior); err != nil {
		return nil, err
	} else if found {
		r := rejectf(tlv1.CodeEventDuplicate, "record_event: %s already recorded this %s event of %s (same event time and payload) at log index %d",
			c.signer.Id, e.EventType, subject, prior.Index)
		r.Facts.ExistingIndex = factU64(prior.Index)
		return nil, r
	}
	rec := c.record()
	rec.Body = &tlv1.Record_Event{Event: e}
	subjects := []string{subject}
	idx, err := c.o.appendRecord(rec, subjects)
	if err != nil {
		return nil, err
	}
	if err := putProto(c.o, key, &tlv1.EPCISIndexEntry{Index: idx, LeafHash: c.o.leafHashes[len(c.o.leafHashes)-1]}); err != nil {
		return nil, err
	}
	return []recordedEvent{{index: idx, subjects: subjects}}, nil
}
