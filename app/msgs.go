package app

import (
	"fmt"
	"strings"
	"unicode/utf8"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Field limits of RecordEvent.
const (
	maxSubjectBytes   = 512
	maxEventTypeBytes = 64
	maxNoteBytes      = 256
)

// msgName is the stable name of a message kind, used in errors and events.
func msgName(m *tlv1.Msg) string {
	switch m.Sum.(type) {
	case *tlv1.Msg_RecordEvent:
		return "record_event"
	default:
		return "unknown"
	}
}

// allowedRoles is the authorization matrix: the roles that may send each
// message kind. It is checked in CheckTx and again in FinalizeBlock.
var allowedRoles = map[string][]tlv1.Role{
	"record_event": {tlv1.ROLE_ENTERPRISE},
}

func authorize(m *tlv1.Msg, p *tlv1.Participant) error {
	name := msgName(m)
	for _, r := range allowedRoles[name] {
		if p.Role == r {
			return nil
		}
	}
	return rejectf(CodeUnauthorized, "%s may not be sent by %q, a %s", name, p.Id, p.Role)
}

// validateMsg checks a message's own fields (no state).
func validateMsg(m *tlv1.Msg) error {
	if m == nil {
		return rejectf(CodeUnknownMessage, "message is empty")
	}
	switch v := m.Sum.(type) {
	case *tlv1.Msg_RecordEvent:
		return validateRecordEvent(v.RecordEvent)
	default:
		return rejectf(CodeUnknownMessage, "message kind is not known to this node (upgrade it, or check the client)")
	}
}

func validateRecordEvent(e *tlv1.RecordEvent) error {
	if e == nil {
		return rejectf(CodeInvalidMessage, "record_event is empty")
	}
	if err := ValidateIdentifier(e.Subject); err != nil {
		return rejectf(CodeInvalidMessage, "record_event.subject: %v", err)
	}
	if strings.HasPrefix(e.Subject, "participant:") {
		return rejectf(CodeInvalidMessage, "record_event.subject %q: the participant: scheme is reserved for membership records", e.Subject)
	}
	if n := len(e.EventType); n == 0 || n > maxEventTypeBytes {
		return rejectf(CodeInvalidMessage, "record_event.event_type must be 1 to %d bytes, got %d", maxEventTypeBytes, n)
	}
	for i, c := range e.EventType {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_-.:/", c)) {
			return rejectf(CodeInvalidMessage, "record_event.event_type has %q at byte %d; use letters, digits and _-.:/", c, i)
		}
	}
	if e.EventTimeMs <= 0 {
		return rejectf(CodeInvalidMessage, "record_event.event_time_ms must be a positive Unix time in milliseconds, got %d", e.EventTimeMs)
	}
	if len(e.PayloadSha256) != 32 {
		return rejectf(CodeInvalidMessage, "record_event.payload_sha256 must be 32 bytes, got %d", len(e.PayloadSha256))
	}
	if len(e.Note) > maxNoteBytes {
		return rejectf(CodeInvalidMessage, "record_event.note is %d bytes, the limit is %d", len(e.Note), maxNoteBytes)
	}
	if !utf8.ValidString(e.Note) {
		return rejectf(CodeInvalidMessage, "record_event.note is not valid UTF-8")
	}
	return nil
}

// ValidateIdentifier checks that s can name a product, lot or item: a URI
// (scheme ":" rest) of at most 512 bytes with no spaces or control
// characters. Identifier schemes are checked in more depth by package epcis;
// here anything URI-shaped is accepted and never rewritten.
func ValidateIdentifier(s string) error {
	if s == "" {
		return fmt.Errorf("is empty")
	}
	if len(s) > maxSubjectBytes {
		return fmt.Errorf("is %d bytes, the limit is %d", len(s), maxSubjectBytes)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("is not valid UTF-8")
	}
	for i, c := range s {
		if c <= ' ' || c == 0x7f {
			return fmt.Errorf("has a space or control character at byte %d", i)
		}
	}
	colon := strings.IndexByte(s, ':')
	if colon <= 0 {
		return fmt.Errorf("%q is not a URI (want scheme:rest, e.g. urn:epc:class:lgtin:...)", s)
	}
	for i, c := range s[:colon] {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')
		if !ok {
			return fmt.Errorf("%q has an invalid URI scheme", s)
		}
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

// execMsg executes one validated, authorized message.
func execMsg(c *execCtx, m *tlv1.Msg) ([]recordedEvent, error) {
	switch v := m.Sum.(type) {
	case *tlv1.Msg_RecordEvent:
		return execRecordEvent(c, v.RecordEvent)
	default:
		return nil, rejectf(CodeUnknownMessage, "message kind is not known to this node")
	}
}

// recordedEvent describes an appended record for the ABCI events.
type recordedEvent struct {
	index    uint64
	subjects []string
}

func execRecordEvent(c *execCtx, e *tlv1.RecordEvent) ([]recordedEvent, error) {
	if e.EventTimeMs > c.timeMs+c.maxFutureMs {
		return nil, rejectf(CodeEventInFuture, "record_event.event_time_ms %d is more than %d s after the block time %d",
			e.EventTimeMs, c.maxFutureMs/1000, c.timeMs)
	}
	rec := c.record()
	rec.Body = &tlv1.Record_Event{Event: e}
	idx, err := c.o.appendRecord(rec, []string{e.Subject})
	if err != nil {
		return nil, err
	}
	return []recordedEvent{{index: idx, subjects: []string{e.Subject}}}, nil
}
