// SPDX-License-Identifier: Apache-2.0

package trace

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// EdgeView is an edge as JSON: the link, the supporting record (log index,
// leaf hash, signer, block height) and its inclusion proof (audit path
// hashes in hex, tree size) when the walk read it from a node.
type EdgeView struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Rel      string `json:"rel"`
	Index    uint64 `json:"log_index"`
	LeafHash string `json:"leaf_hash,omitempty"`
	Signer   string `json:"signer"`
	Height   int64  `json:"height,omitempty"`
	TreeSize uint64 `json:"proof_tree_size,omitempty"`
	// StateHeight and LogRoot are the roots the proof ends in.
	StateHeight int64    `json:"proof_state_height,omitempty"`
	LogRoot     string   `json:"proof_log_root,omitempty"`
	AuditPath   []string `json:"proof_audit_path,omitempty"`
}

// GraphView is a Graph as JSON.
type GraphView struct {
	Root         string            `json:"root"`
	Direction    string            `json:"direction"`
	Absent       bool              `json:"absent"`
	Nodes        []string          `json:"nodes"`
	Edges        []EdgeView        `json:"edges"`
	Participants []string          `json:"participants"`
	Divisions    map[string]string `json:"divisions"`
	Reached      []string          `json:"divisions_reached"`
	Disposition  map[string]string `json:"last_disposition"`
	Attestations []string          `json:"attestations,omitempty"`
	Recalls      []string          `json:"recalls,omitempty"`
}

func edgeView(e Edge) EdgeView {
	v := EdgeView{From: e.From, To: e.To, Rel: e.Rel, Index: e.Event.Index, Signer: e.Event.Signer}
	if r := e.Event.Record; r != nil {
		v.LeafHash, v.Height = hex.EncodeToString(r.LeafHash[:]), r.Record.Height
	}
	if r := e.Event.Roots; r != nil {
		v.StateHeight, v.LogRoot = r.Height, hex.EncodeToString(r.LogRoot)
	}
	if p := e.Event.Proof; p != nil && p.Inclusion != nil {
		v.TreeSize = p.Inclusion.Size_
		for _, h := range p.Inclusion.Hashes {
			v.AuditPath = append(v.AuditPath, hex.EncodeToString(h))
		}
	}
	return v
}

// View returns the graph as JSON-ready values.
func (g *Graph) View(dir Direction) GraphView {
	v := GraphView{Root: g.Root, Direction: dirName(dir), Absent: g.Absent, Nodes: g.Nodes, Participants: g.Participants,
		Divisions: g.Divisions, Reached: g.DivisionsReached, Disposition: map[string]string{}}
	for _, e := range g.Edges {
		v.Edges = append(v.Edges, edgeView(e))
	}
	for n, e := range g.Disposition {
		v.Disposition[n] = e.Disposition
	}
	for _, a := range g.Attestations {
		v.Attestations = append(v.Attestations, a.Attestation.AttestationId)
	}
	for _, r := range g.Recalls {
		v.Recalls = append(v.Recalls, r.Recall.GetBody().GetId())
	}
	return v
}

func dirName(d Direction) string {
	if d == Back {
		return "back"
	}
	return "forward"
}

// Render writes the graph as json, dot (Graphviz) or text.
func (g *Graph) Render(w io.Writer, dir Direction, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(g.View(dir))
	case "dot":
		fmt.Fprintf(w, "digraph trace {\n  rankdir=LR;\n  %s [shape=box, style=bold];\n", strconv.Quote(g.Root))
		for _, e := range g.Edges {
			fmt.Fprintf(w, "  %s -> %s [label=%s];\n", strconv.Quote(e.From), strconv.Quote(e.To), strconv.Quote(fmt.Sprintf("%s #%d", e.Rel, e.Event.Index)))
		}
		fmt.Fprintln(w, "}")
		return nil
	case "text":
		if g.Absent {
			fmt.Fprintf(w, "%s has no history on the ledger (verified absence)\n", g.Root)
			return nil
		}
		fmt.Fprintf(w, "trace %s from %s: %d identifiers, %d edges\n", dirName(dir), g.Root, len(g.Nodes), len(g.Edges))
		for _, e := range g.Edges {
			fmt.Fprintf(w, "  %s -%s-> %s  (record #%d by %s)\n", e.From, e.Rel, e.To, e.Event.Index, e.Event.Signer)
		}
		fmt.Fprintf(w, "participants: %s\n", strings.Join(g.Participants, ", "))
		fmt.Fprintf(w, "divisions reached: %s\n", strings.Join(g.DivisionsReached, ", "))
		var ns []string
		for n := range g.Disposition {
			ns = append(ns, n)
		}
		slices.Sort(ns)
		for _, n := range ns {
			fmt.Fprintf(w, "last disposition of %s: %s (record #%d)\n", n, g.Disposition[n].Disposition, g.Disposition[n].Index)
		}
		for _, a := range g.Attestations {
			fmt.Fprintf(w, "attestation record #%d: %s\n", a.Index, a.Attestation.AttestationId)
		}
		for _, r := range g.Recalls {
			fmt.Fprintf(w, "recall record #%d: %s\n", r.Index, r.Recall.GetBody().GetId())
		}
		return nil
	}
	return fmt.Errorf("format must be json, dot or text, not %q", format)
}

// Render writes the seven-link report as json or text.
func (r *LinkReport) Render(w io.Writer, format string) error {
	type link struct {
		Link    string   `json:"link"`
		Present bool     `json:"present"`
		Records []uint64 `json:"log_indexes,omitempty"`
	}
	var links []link
	for _, l := range SevenLinks {
		k := link{Link: LinkName(l), Present: len(r.Present[l]) > 0}
		for _, e := range r.Present[l] {
			k.Records = append(k.Records, e.Index)
		}
		links = append(links, k)
	}
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"lot": r.Lot, "links": links, "missing": len(r.Missing)})
	case "text":
		fmt.Fprintf(w, "seven-link report for %s: %d of 7 present\n", r.Lot, 7-len(r.Missing))
		for _, k := range links {
			mark := "MISSING"
			if k.Present {
				mark = fmt.Sprintf("present, records %v", k.Records)
			}
			fmt.Fprintf(w, "  %-36s %s\n", k.Link, mark)
		}
		return nil
	}
	return fmt.Errorf("format must be json or text, not %q", format)
}
