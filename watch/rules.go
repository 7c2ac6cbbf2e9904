// SPDX-License-Identifier: Apache-2.0

package watch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
)

// RuleSetFormat is the format version of a rule-set file this package
// reads; the rule set's own Version is the department's version of its
// rules (it names the rules every alert was raised under).
const RuleSetFormat = 1

// Rule types: the evaluators this package ships. A rule set switches them
// on, with parameters, per division; a new province edits data, not code.
const (
	// TypeMovementAfterRecall: a movement (shipping, receiving, retail
	// selling, ...) of an identifier whose back-trace reaches a lot
	// recalled by a record earlier in the log.
	TypeMovementAfterRecall = "movement_after_recall"
	// TypeCertificationInvalid: an event by an enterprise that needs a
	// certification of a scheme and held none valid at the event time.
	TypeCertificationInvalid = "certification_invalid"
	// TypeSevenLinksMissing: a market-access event for a lot whose
	// back-trace lacks links of the seven-link chain.
	TypeSevenLinksMissing = "seven_links_missing"
	// TypeSuspendedUpstream: a movement of products that a suspended (or
	// repeatedly sanctioned) enterprise held upstream.
	TypeSuspendedUpstream = "suspended_upstream"
	// TypeColdChainExcursion: a public EPCIS event whose sensor reports
	// leave a declared range, with the excursion's duration.
	TypeColdChainExcursion = "cold_chain_excursion"
)

// RuleTypes lists the rule types, in the order DefaultRuleSet declares them.
var RuleTypes = []string{TypeMovementAfterRecall, TypeCertificationInvalid, TypeSevenLinksMissing, TypeSuspendedUpstream, TypeColdChainExcursion}

// Severities, lowest first.
var Severities = []string{"info", "low", "medium", "high", "critical"}

// severityRank orders severities; -1 for an unknown one.
func severityRank(s string) int { return slices.Index(Severities, s) }

// RuleSet is a declared, versioned set of rules (a JSON file).
type RuleSet struct {
	// Format is RuleSetFormat.
	Format int `json:"format"`
	// Version is the department's version of this rule set, e.g.
	// "2026-12-03.1"; every alert names it.
	Version string `json:"version"`
	Rules   []Rule `json:"rules"`
	// Aggregate raises systemic-risk alerts; nil turns it off.
	Aggregate *Aggregate `json:"aggregate,omitempty"`
}

// Rule is one rule: an id, a type (an evaluator), its severity, where it
// applies and its parameters.
type Rule struct {
	// ID is unique in the set, 1 to 64 of [A-Za-z0-9_.-].
	ID       string `json:"id"`
	Type     string `json:"type"`
	Severity string `json:"severity"`
	Enabled  bool   `json:"enabled"`
	// Divisions are the administrative division codes the rule is on for
	// (the division of the enterprise the alert is about); empty: all.
	Divisions []string `json:"divisions,omitempty"`
	// Public marks alerts of this rule as consumer warnings
	// (GET /v1/warnings).
	Public bool `json:"public,omitempty"`
	// Params are the type's parameters (see the Params types).
	Params json.RawMessage `json:"parameters,omitempty"`

	params any // decoded Params
}

// Aggregate is the systemic-risk rule: alerts whose back-traces share an
// origin lot across at least MinDivisions divisions raise one alert of
// Severity naming every division and enterprise the lot reached.
type Aggregate struct {
	ID           string `json:"id"`
	MinDivisions int    `json:"min_divisions"`
	Severity     string `json:"severity"`
	Public       bool   `json:"public,omitempty"`
}

// MovementParams parameterise movement_after_recall and suspended_upstream.
type MovementParams struct {
	// Steps are the business steps (CBV words, e.g. shipping) or trace
	// event types that count as a movement.
	Steps []string `json:"steps"`
}

// SuspendedParams parameterise suspended_upstream.
type SuspendedParams struct {
	Steps []string `json:"steps"`
	// ViolationsAtLeast, when above 0, also flags an upstream enterprise
	// with at least this many recorded violations before the movement
	// (the ledger has no blacklist record yet: docs/SUPERVISION.md).
	ViolationsAtLeast int `json:"violations_at_least,omitempty"`
}

// CertificationParams parameterise certification_invalid.
type CertificationParams struct {
	// Scheme is the required scheme (gap, organic, haccp, ...).
	Scheme string `json:"scheme"`
	// Steps and Links select the events that need it (business steps or
	// trace event types; chain-link names); both empty: every event.
	Steps []string `json:"steps,omitempty"`
	Links []string `json:"links,omitempty"`
	// Enterprises limits the rule to these enterprises; empty: all.
	Enterprises []string `json:"enterprises,omitempty"`
	// Time is "event" (the event time the record carries, the default) or
	// "record" (the block time).
	Time string `json:"time,omitempty"`
}

// SevenLinksParams parameterise seven_links_missing.
type SevenLinksParams struct {
	// Steps are business steps that count as market access besides the
	// market_access chain link.
	Steps []string `json:"steps,omitempty"`
	// Required are the links that must be present (names, e.g.
	// input_use); empty: all seven.
	Required []string `json:"required,omitempty"`
}

// ColdChainParams parameterise cold_chain_excursion.
type ColdChainParams struct {
	// SensorType is the sensor report type's local name, e.g.
	// "Temperature" (gs1:Temperature, https://gs1.org/voc/Temperature).
	SensorType string `json:"sensor_type"`
	// UOM, when set, is the only unit compared (e.g. CEL).
	UOM string   `json:"uom,omitempty"`
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
	// MinDurationS is the shortest excursion reported, in seconds.
	MinDurationS int64 `json:"min_duration_s,omitempty"`
}

var ruleIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// RuleSetError is a rule set that does not load: Rule is the rule's id (or
// position), Field the field, and what to do in the message.
type RuleSetError struct {
	Rule, Field, Msg string
}

func (e *RuleSetError) Error() string {
	if e.Rule == "" {
		return fmt.Sprintf("rule set: %s: %s", e.Field, e.Msg)
	}
	return fmt.Sprintf("rule set: rule %s: %s: %s", e.Rule, e.Field, e.Msg)
}

// LoadRuleSet reads and checks a rule-set file.
func LoadRuleSet(path string) (*RuleSet, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read rule set: %w", err)
	}
	rs, err := ParseRuleSet(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rs, nil
}

func decodeStrict(raw []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

// ParseRuleSet decodes and checks a rule set: known format, unique ids,
// known types and severities, parameters that decode (unknown fields are
// refused, so a misspelt parameter is not silently ignored).
func ParseRuleSet(b []byte) (*RuleSet, error) {
	var rs RuleSet
	if err := decodeStrict(b, &rs); err != nil {
		return nil, &RuleSetError{Field: "document", Msg: err.Error()}
	}
	if rs.Format != RuleSetFormat {
		return nil, &RuleSetError{Field: "format", Msg: fmt.Sprintf("is %d, this watcher reads format %d", rs.Format, RuleSetFormat)}
	}
	if rs.Version == "" {
		return nil, &RuleSetError{Field: "version", Msg: "is required: name this version of the rules, e.g. \"2026-12-03.1\""}
	}
	seen := map[string]bool{}
	for i := range rs.Rules {
		r := &rs.Rules[i]
		name := r.ID
		if name == "" {
			name = fmt.Sprintf("#%d", i+1)
		}
		if !ruleIDPattern.MatchString(r.ID) {
			return nil, &RuleSetError{Rule: name, Field: "id", Msg: "must be 1 to 64 of [A-Za-z0-9_.-]"}
		}
		if seen[r.ID] {
			return nil, &RuleSetError{Rule: name, Field: "id", Msg: "is used twice"}
		}
		seen[r.ID] = true
		if severityRank(r.Severity) < 0 {
			return nil, &RuleSetError{Rule: name, Field: "severity", Msg: "must be one of " + strings.Join(Severities, ", ")}
		}
		p, err := decodeParams(r.Type, r.Params)
		if err != nil {
			return nil, &RuleSetError{Rule: name, Field: "parameters", Msg: err.Error()}
		}
		r.params = p
	}
	if a := rs.Aggregate; a != nil {
		if !ruleIDPattern.MatchString(a.ID) || seen[a.ID] {
			return nil, &RuleSetError{Rule: a.ID, Field: "aggregate.id", Msg: "must be a unique id of [A-Za-z0-9_.-]"}
		}
		if a.MinDivisions < 2 {
			return nil, &RuleSetError{Rule: a.ID, Field: "aggregate.min_divisions", Msg: "must be at least 2"}
		}
		if severityRank(a.Severity) < 0 {
			return nil, &RuleSetError{Rule: a.ID, Field: "aggregate.severity", Msg: "must be one of " + strings.Join(Severities, ", ")}
		}
	}
	return &rs, nil
}

// decodeParams decodes a rule type's parameters, with their checks.
func decodeParams(typ string, raw json.RawMessage) (any, error) {
	if len(raw) == 0 {
		raw = json.RawMessage("{}")
	}
	switch typ {
	case TypeMovementAfterRecall:
		var p MovementParams
		if err := decodeStrict(raw, &p); err != nil {
			return nil, err
		}
		if len(p.Steps) == 0 {
			return nil, fmt.Errorf("steps: list the business steps that count as a movement, e.g. [\"shipping\",\"receiving\",\"retail_selling\"]")
		}
		return &p, nil
	case TypeSuspendedUpstream:
		var p SuspendedParams
		if err := decodeStrict(raw, &p); err != nil {
			return nil, err
		}
		if len(p.Steps) == 0 {
			return nil, fmt.Errorf("steps: list the business steps that count as a movement")
		}
		return &p, nil
	case TypeCertificationInvalid:
		var p CertificationParams
		if err := decodeStrict(raw, &p); err != nil {
			return nil, err
		}
		if p.Scheme == "" {
			return nil, fmt.Errorf("scheme: name the required certification scheme, e.g. gap")
		}
		if p.Time != "" && p.Time != "event" && p.Time != "record" {
			return nil, fmt.Errorf("time: must be event or record")
		}
		for _, l := range p.Links {
			if _, ok := linkByName(l); !ok {
				return nil, fmt.Errorf("links: unknown chain link %q", l)
			}
		}
		return &p, nil
	case TypeSevenLinksMissing:
		var p SevenLinksParams
		if err := decodeStrict(raw, &p); err != nil {
			return nil, err
		}
		for _, l := range p.Required {
			if _, ok := linkByName(l); !ok {
				return nil, fmt.Errorf("required: unknown chain link %q", l)
			}
		}
		return &p, nil
	case TypeColdChainExcursion:
		var p ColdChainParams
		if err := decodeStrict(raw, &p); err != nil {
			return nil, err
		}
		if p.SensorType == "" || (p.Min == nil && p.Max == nil) {
			return nil, fmt.Errorf("give sensor_type and at least one of min, max")
		}
		if p.Min != nil && p.Max != nil && *p.Min > *p.Max {
			return nil, fmt.Errorf("min is above max")
		}
		return &p, nil
	}
	return nil, fmt.Errorf("unknown rule type %q: use one of %s", typ, strings.Join(RuleTypes, ", "))
}

// DefaultRuleSet is a starting rule set with every rule type, as a JSON
// document (`traceledger watch rules` prints it).
const DefaultRuleSet = `{
  "format": 1,
  "version": "default-1",
  "rules": [
    {"id": "recall-movement", "type": "movement_after_recall", "severity": "high", "enabled": true, "public": true,
     "parameters": {"steps": ["shipping", "receiving", "retail_selling"]}},
    {"id": "gap-required", "type": "certification_invalid", "severity": "medium", "enabled": true,
     "parameters": {"scheme": "gap", "links": ["production_record", "market_access"]}},
    {"id": "market-access-links", "type": "seven_links_missing", "severity": "medium", "enabled": true,
     "parameters": {"required": ["input_use", "production_record", "origin_exit"]}},
    {"id": "suspended-upstream", "type": "suspended_upstream", "severity": "high", "enabled": true,
     "parameters": {"steps": ["shipping", "receiving", "retail_selling"], "violations_at_least": 3}},
    {"id": "cold-chain", "type": "cold_chain_excursion", "severity": "medium", "enabled": true,
     "parameters": {"sensor_type": "Temperature", "uom": "CEL", "min": 0, "max": 8, "min_duration_s": 600}}
  ],
  "aggregate": {"id": "systemic-risk", "min_divisions": 3, "severity": "critical", "public": true}
}
`
