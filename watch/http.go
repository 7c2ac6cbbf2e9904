// SPDX-License-Identifier: Apache-2.0

package watch

import (
	"encoding/json"
	"net/http"
	"sort"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Completeness is what a list answer proves and what it does not, in
// words, on every list answer.
const Completeness = "each entry carries its record's inclusion proof and the state roots it ends in; " +
	"the list is complete for the log records [start, log_size) that this watcher read record by record (start is 0 unless it started at the tip), " +
	"each proven against verified roots (anyone can replay the same prefix and must find the same entries), " +
	"but no single proof shows completeness: the authenticated map has no enumeration proof"

// ListAnswer is the envelope of a list: the chain, the log prefix it
// covers, the state height of the last batch, and the entries.
type ListAnswer struct {
	ChainID string `json:"chain_id"`
	// Start and LogSize are the records read: [Start, LogSize) (Start is
	// 0 unless the watcher started at the tip).
	Start        uint64 `json:"start"`
	LogSize      uint64 `json:"log_size"`
	Height       int64  `json:"height"`
	RuleSet      string `json:"rule_set"`
	Completeness string `json:"completeness"`
	Data         any    `json:"data"`
}

// BlacklistEntry is an enterprise on the public quality-credit blacklist:
// suspended, or with recorded violations.
type BlacklistEntry struct {
	Enterprise string `json:"enterprise"`
	// Status is its last recorded status change (nil when none).
	Status     *StatusEntry `json:"status,omitempty"`
	Suspended  bool         `json:"suspended"`
	Violations []ListRecord `json:"violations"`
	// Complaints is how many complaints were recorded against it.
	Complaints int `json:"complaints"`
}

// Warnings are the consumer warnings: the recorded recalls and the public
// alerts.
type Warnings struct {
	Recalls []*RecallEntry `json:"recalls"`
	Alerts  []*Alert       `json:"alerts"`
}

// Blacklist is the blacklist from the state's lists, by enterprise id.
func (s *State) Blacklist() []BlacklistEntry {
	ids := map[string]bool{}
	for id, st := range s.Lists.Status {
		if st.Status == tlv1.PARTICIPANT_STATUS_SUSPENDED.String() {
			ids[id] = true
		}
	}
	for id, v := range s.Lists.Violations {
		if len(v) > 0 {
			ids[id] = true
		}
	}
	out := []BlacklistEntry{}
	for id := range ids {
		e := BlacklistEntry{Enterprise: id, Status: s.Lists.Status[id], Violations: s.Lists.Violations[id], Complaints: len(s.Lists.Complaints[id])}
		e.Suspended = e.Status != nil && e.Status.Status == tlv1.PARTICIPANT_STATUS_SUSPENDED.String()
		if e.Violations == nil {
			e.Violations = []ListRecord{}
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Enterprise < out[j].Enterprise })
	return out
}

// Warnings are the state's consumer warnings, recalls by id.
func (s *State) Warnings() Warnings {
	w := Warnings{Recalls: []*RecallEntry{}, Alerts: s.Lists.Warnings}
	for _, r := range s.Lists.Recalls {
		w.Recalls = append(w.Recalls, r)
	}
	sort.Slice(w.Recalls, func(i, j int) bool { return w.Recalls[i].ID < w.Recalls[j].ID })
	if w.Alerts == nil {
		w.Alerts = []*Alert{}
	}
	return w
}

// Handler serves the watcher's public lists: GET /v1/blacklist and
// GET /v1/warnings (mount it on an api.Server with Handle, or serve it
// alone).
func (w *Watcher) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/blacklist", func(rw http.ResponseWriter, r *http.Request) {
		st := w.Snapshot()
		w.writeList(rw, st, st.Blacklist())
	})
	mux.HandleFunc("GET /v1/warnings", func(rw http.ResponseWriter, r *http.Request) {
		st := w.Snapshot()
		w.writeList(rw, st, st.Warnings())
	})
	return mux
}

func (w *Watcher) writeList(rw http.ResponseWriter, st *State, data any) {
	rw.Header().Set("Content-Type", "application/json")
	rw.Header().Set("Cache-Control", "no-cache")
	json.NewEncoder(rw).Encode(ListAnswer{ChainID: st.ChainID, Start: st.Start, LogSize: st.Next, Height: st.Height, RuleSet: st.RuleSet, Completeness: Completeness, Data: data})
}
