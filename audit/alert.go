// SPDX-License-Identifier: Apache-2.0

package audit

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/types"

	"github.com/traceledger/traceledger/proof/bundle"
)

// Alert kinds.
const (
	// AlertFork: two headers for one height, both signed by more than 2/3
	// of the trusted validator set (equivocation by at least 1/3).
	AlertFork = "fork"
	// AlertForgedHeader: a node serves a header for a verified height that
	// differs from the verified one and does not verify itself.
	AlertForgedHeader = "forged_header"
	// AlertNoValidHeader: no node serves a header for the next height that
	// verifies from the last trusted one.
	AlertNoValidHeader = "no_valid_header"
	// AlertBadAnswer: a node's answer fails its proof (Merkle path, app
	// hash against the verified header, completeness).
	AlertBadAnswer = "bad_answer"
	// AlertInconsistent: a node's log is not an extension of the verified
	// checkpoint (history rewritten), or it refuses the consistency proof.
	AlertInconsistent = "inconsistent_history"
	// AlertDisagreement: nodes give different answers to the same query at
	// the same height.
	AlertDisagreement = "disagreement"
	// AlertLagging: a node is more than the allowed number of blocks behind.
	AlertLagging = "lagging"
	// AlertUnreachable: a node does not answer.
	AlertUnreachable = "unreachable"
)

// Alert is one finding about a node, written as a JSON line.
type Alert struct {
	Time    time.Time `json:"time"`
	Kind    string    `json:"kind"`
	Node    string    `json:"node"`
	Height  int64     `json:"height,omitempty"`
	Message string    `json:"message"`
	// Evidence is the file holding the material that shows it.
	Evidence string `json:"evidence,omitempty"`
}

// Evidence is the material behind an alert, saved as a JSON file.
type Evidence struct {
	Kind    string    `json:"kind"`
	Node    string    `json:"node"`
	ChainID string    `json:"chain_id"`
	Height  int64     `json:"height"`
	Time    time.Time `json:"time"`
	Message string    `json:"message"`
	// Trusted is the last verified light block before Height (CometBFT
	// JSON), the anchor a conflicting header was checked from.
	Trusted json.RawMessage `json:"trusted,omitempty"`
	// Headers are the light blocks involved: for a fork or forged header,
	// the verified one first, then the node's.
	Headers []json.RawMessage `json:"headers,omitempty"`
	// Verification says, per header, whether it verified from Trusted.
	Verification []string `json:"verification,omitempty"`
	// Queries are the node answers involved.
	Queries []QueryEvidence `json:"queries,omitempty"`
	// Checkpoint is the verified checkpoint a consistency check started from.
	Checkpoint *Checkpoint `json:"checkpoint,omitempty"`
}

// QueryEvidence is one ABCI query and the node's raw answer.
type QueryEvidence struct {
	Node   string     `json:"node"`
	Path   string     `json:"path"`
	Data   bundle.Hex `json:"data"`
	Height int64      `json:"height"`
	// Code, Log and Value are the node's answer (Value as base64).
	Code   uint32 `json:"code"`
	Log    string `json:"log,omitempty"`
	Value  []byte `json:"value,omitempty"`
	Answer int64  `json:"answer_height"`
	// Error is why the answer failed verification.
	Error string `json:"error,omitempty"`
}

// lightBlockJSON encodes a light block in CometBFT's JSON.
func lightBlockJSON(lb *types.LightBlock) json.RawMessage {
	if lb == nil {
		return nil
	}
	raw, err := cmtjson.Marshal(lb)
	if err != nil {
		return json.RawMessage(fmt.Sprintf("%q", "cannot encode: "+err.Error()))
	}
	return raw
}

// alertSink writes alerts as JSON lines and evidence as files.
type alertSink struct {
	mu          sync.Mutex
	w           io.Writer
	evidenceDir string
	seq         int
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// raise writes ev to the evidence directory (when there is material) and
// the alert line, and returns the alert.
func (s *alertSink) raise(a Alert, ev *Evidence) Alert {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	if ev != nil && s.evidenceDir != "" {
		name := fmt.Sprintf("%s-%04d-%s-%s-h%d.json", a.Time.UTC().Format("20060102T150405Z"), s.seq, a.Kind,
			unsafeChars.ReplaceAllString(a.Node, "_"), a.Height)
		path := filepath.Join(s.evidenceDir, name)
		if err := writeJSONFile(path, ev); err != nil {
			a.Message += " (evidence not saved: " + err.Error() + ")"
		} else {
			a.Evidence = path
		}
	}
	if s.w != nil {
		line, _ := json.Marshal(a)
		s.w.Write(append(line, '\n'))
	}
	return a
}

func writeJSONFile(path string, v any) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
