// SPDX-License-Identifier: Apache-2.0

package watch

import (
	"time"

	"github.com/traceledger/traceledger/proof/bundle"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
	"github.com/traceledger/traceledger/trace"
)

// Alert is one finding, written as a JSON line. It carries the records it
// rests on with their inclusion proofs and the state roots those end in,
// so that a department can check it without trusting the watcher: each
// proof against its roots (proof.VerifyRecord), the roots against the app
// hash of header Height+1, which its own light client verifies (or
// `traceledger query record INDEX` against its own node).
type Alert struct {
	// ID is "<rule>/<log index of the triggering record>/<n>": stable, so
	// a restarted watcher raises the same alert under the same id.
	ID       string `json:"id"`
	Rule     string `json:"rule"`
	Type     string `json:"type"`
	RuleSet  string `json:"rule_set"`
	Severity string `json:"severity"`
	// Subjects are the identifiers the alert is about (canonical).
	Subjects []string `json:"subjects"`
	// Enterprise is the participant the alert is about, Division its
	// division code (from its verified participant entry).
	Enterprise string `json:"enterprise,omitempty"`
	Division   string `json:"division,omitempty"`
	// Divisions and Enterprises are every affected division and
	// enterprise of an aggregated alert (from the trace-forward graph).
	Divisions   []string `json:"divisions,omitempty"`
	Enterprises []string `json:"enterprises,omitempty"`
	// Time is the block time of the triggering record (RFC 3339), Index
	// its log index; Raised when the watcher raised it.
	Time    time.Time `json:"time"`
	Index   uint64    `json:"index"`
	Raised  time.Time `json:"raised"`
	Message string    `json:"message"`
	// Public alerts are consumer warnings too.
	Public bool `json:"public,omitempty"`
	// Related are the ids of the alerts an aggregated alert rests on.
	Related  []string  `json:"related,omitempty"`
	Evidence *Evidence `json:"evidence"`
}

// Evidence is what an alert rests on.
type Evidence struct {
	// Records are the log records, each with its proof.
	Records []EvidenceRecord `json:"records"`
	// Histories are the subjects whose complete histories (proven by their
	// heads) the finding read: an absence in them ("no valid
	// certification", "no input_use event") is proven by their
	// completeness at that height, and `traceledger proof export --id S`
	// produces an offline bundle of each.
	Histories []HistoryRef `json:"histories,omitempty"`
	// Failures are the checks that failed, in words (e.g. why an
	// attestation was not valid at the event time).
	Failures []string `json:"failures,omitempty"`
}

// EvidenceRecord is one log record and its proof.
type EvidenceRecord struct {
	Index uint64 `json:"index"`
	// Role says what the record shows: "trigger", "recall", "attestation",
	// "suspension", "violation", "link:<name>", "edge".
	Role     string     `json:"role"`
	Kind     string     `json:"kind"`
	LeafHash bundle.Hex `json:"leaf_hash"`
	// Proof is the node's ProvenRecord (protobuf, base64): the record
	// bytes and their inclusion proof in the log of Roots.
	Proof []byte `json:"proof,omitempty"`
	Roots *Roots `json:"roots,omitempty"`
}

// Roots are state roots (hex): they hash to the app hash of header
// Height+1.
type Roots struct {
	Height      int64      `json:"height"`
	LogSize     uint64     `json:"log_size"`
	LogRoot     bundle.Hex `json:"log_root"`
	MapRoot     bundle.Hex `json:"map_root"`
	RecordsRoot bundle.Hex `json:"records_root"`
}

func rootsOf(r *tlv1.StateRoots) *Roots {
	if r == nil {
		return nil
	}
	return &Roots{Height: r.Height, LogSize: r.LogSize, LogRoot: r.LogRoot, MapRoot: r.MapRoot, RecordsRoot: r.RecordsRoot}
}

// StateRoots returns the roots as wire state roots.
func (r *Roots) StateRoots() *tlv1.StateRoots {
	return &tlv1.StateRoots{Height: r.Height, LogSize: r.LogSize, LogRoot: r.LogRoot, MapRoot: r.MapRoot, RecordsRoot: r.RecordsRoot}
}

// HistoryRef names a complete history read at a height.
type HistoryRef struct {
	Subject string `json:"subject"`
	// Count is the number of records the head proved; 0 with Absent for a
	// subject proven to have none.
	Count  uint64 `json:"count"`
	Absent bool   `json:"absent,omitempty"`
}

// evidenceOf turns a decoded event into an evidence record.
func evidenceOf(ev *trace.Event, role string) EvidenceRecord {
	er := EvidenceRecord{Index: ev.Index, Role: role}
	if ev.Record != nil {
		er.Kind = tlv1.KindOf(ev.Record.Record).String()
		er.LeafHash = ev.Record.LeafHash[:]
	}
	if ev.Proof != nil {
		er.Proof, _ = ev.Proof.Marshal()
	}
	er.Roots = rootsOf(ev.Roots)
	return er
}

// addRecord appends ev once (by index and role).
func (e *Evidence) addRecord(ev *trace.Event, role string) {
	for _, r := range e.Records {
		if r.Index == ev.Index && r.Role == role {
			return
		}
	}
	e.Records = append(e.Records, evidenceOf(ev, role))
}

// addHistory notes a complete history read.
func (e *Evidence) addHistory(h *trace.History) {
	if h == nil {
		return
	}
	for _, r := range e.Histories {
		if r.Subject == h.Subject {
			return
		}
	}
	ref := HistoryRef{Subject: h.Subject, Absent: h.Head == nil}
	if h.Head != nil {
		ref.Count = h.Head.Count
	}
	e.Histories = append(e.Histories, ref)
}
