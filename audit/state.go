// SPDX-License-Identifier: Apache-2.0

package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/types"

	"github.com/traceledger/traceledger/proof/bundle"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// StateVersion is the version of the state file format.
const StateVersion = 1

// keepHeaders is how many recent verified headers the state remembers (their
// hashes and app hashes), to check nodes' roots and compare later answers.
const keepHeaders = 256

// State is what the auditor remembers between passes, like a
// transparency-log monitor: the last verified header (with its validator
// set, to verify the next one), the last verified checkpoint of the state
// roots (to check that later logs extend it), recent header summaries, the
// rolling record sweep's position and what it last saw of each node.
type State struct {
	Version int    `json:"version"`
	ChainID string `json:"chain_id"`
	// Trusted is the last verified light block (CometBFT JSON).
	Trusted json.RawMessage `json:"trusted,omitempty"`
	// Checkpoint are the last verified state roots.
	Checkpoint *Checkpoint `json:"checkpoint,omitempty"`
	// Headers are the most recent verified headers, ascending.
	Headers []HeaderSummary `json:"headers,omitempty"`
	// SweepCursor is the log index the record sweep continues from.
	SweepCursor uint64 `json:"sweep_cursor"`
	// Nodes is the last seen status of each node, by name.
	Nodes map[string]*NodeState `json:"nodes,omitempty"`
	// Forks are the heights at which conflicting headers were saved.
	Forks []int64 `json:"forks,omitempty"`
}

// Checkpoint are verified state roots (hex in JSON).
type Checkpoint struct {
	Height      int64      `json:"height"`
	LogSize     uint64     `json:"log_size"`
	LogRoot     bundle.Hex `json:"log_root"`
	MapRoot     bundle.Hex `json:"map_root"`
	RecordsRoot bundle.Hex `json:"records_root"`
}

// Roots returns the checkpoint as wire state roots.
func (c *Checkpoint) Roots() *tlv1.StateRoots {
	return &tlv1.StateRoots{Height: c.Height, LogSize: c.LogSize, LogRoot: c.LogRoot, MapRoot: c.MapRoot, RecordsRoot: c.RecordsRoot}
}

func checkpointOf(r *tlv1.StateRoots) *Checkpoint {
	return &Checkpoint{Height: r.Height, LogSize: r.LogSize, LogRoot: r.LogRoot, MapRoot: r.MapRoot, RecordsRoot: r.RecordsRoot}
}

// HeaderSummary is a verified header's height, hash and app hash.
type HeaderSummary struct {
	Height  int64      `json:"height"`
	Hash    bundle.Hex `json:"hash"`
	AppHash bundle.Hex `json:"app_hash"`
}

// NodeState is what the auditor last saw of a node.
type NodeState struct {
	Height int64 `json:"height"`
	// Healthy is false while the node has an open alert.
	Healthy bool `json:"healthy"`
	// LastAlert is the kind of its latest alert.
	LastAlert string `json:"last_alert,omitempty"`
	// Open are the kinds of alert the node had in its last pass: the same
	// finding in the next pass is reported again, without new evidence.
	Open []string `json:"open,omitempty"`
}

// LoadState reads the state file; a missing file is a fresh state.
func LoadState(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &State{Version: StateVersion, Nodes: map[string]*NodeState{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read audit state: %w", err)
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("audit state %s: %w", path, err)
	}
	if st.Version != StateVersion {
		return nil, fmt.Errorf("audit state %s has version %d, this auditor reads %d", path, st.Version, StateVersion)
	}
	if st.Nodes == nil {
		st.Nodes = map[string]*NodeState{}
	}
	return &st, nil
}

// Save writes the state atomically (a temporary file renamed over path).
func (s *State) Save(path string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode audit state: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".audit-state-*")
	if err != nil {
		return fmt.Errorf("write audit state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write audit state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write audit state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write audit state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write audit state: %w", err)
	}
	return nil
}

// trusted decodes the last verified light block (nil when none).
func (s *State) trusted() (*types.LightBlock, error) {
	if len(s.Trusted) == 0 {
		return nil, nil
	}
	var lb types.LightBlock
	if err := cmtjson.Unmarshal(s.Trusted, &lb); err != nil {
		return nil, fmt.Errorf("audit state: trusted light block: %w", err)
	}
	if err := lb.ValidateBasic(s.ChainID); err != nil {
		return nil, fmt.Errorf("audit state: trusted light block: %w", err)
	}
	return &lb, nil
}

func (s *State) setTrusted(lb *types.LightBlock) error {
	raw, err := cmtjson.Marshal(lb)
	if err != nil {
		return fmt.Errorf("encode light block: %w", err)
	}
	s.Trusted = raw
	return nil
}

// header returns the summary of a verified header at height.
func (s *State) header(height int64) (HeaderSummary, bool) {
	i, ok := slices.BinarySearchFunc(s.Headers, height, func(h HeaderSummary, t int64) int {
		switch {
		case h.Height < t:
			return -1
		case h.Height > t:
			return 1
		}
		return 0
	})
	if !ok {
		return HeaderSummary{}, false
	}
	return s.Headers[i], true
}

func (s *State) addHeader(h HeaderSummary) {
	s.Headers = append(s.Headers, h)
	if n := len(s.Headers); n > keepHeaders {
		s.Headers = slices.Clone(s.Headers[n-keepHeaders:])
	}
}

func (s *State) node(name string) *NodeState {
	n, ok := s.Nodes[name]
	if !ok {
		n = &NodeState{Healthy: true}
		s.Nodes[name] = n
	}
	return n
}
