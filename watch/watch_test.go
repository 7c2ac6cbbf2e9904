// SPDX-License-Identifier: Apache-2.0

package watch

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/traceledger/traceledger/proof"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
	"github.com/traceledger/traceledger/trace"
)

// memLog is an in-memory log with the histories the application would
// append each record to (the subjects given with it): the rules' logic is
// tested here against it; node_test.go runs the watcher on a real node.
type memLog struct {
	recs  []*tlv1.Record
	subj  [][]string
	parts map[string]*tlv1.Participant
}

func newMemLog() *memLog {
	m := &memLog{parts: map[string]*tlv1.Participant{}}
	for _, p := range []*tlv1.Participant{
		{Id: "farm", Role: tlv1.ROLE_ENTERPRISE, DivisionCode: "520102"},
		{Id: "proc", Role: tlv1.ROLE_ENTERPRISE, DivisionCode: "520302"},
		{Id: "shop1", Role: tlv1.ROLE_ENTERPRISE, DivisionCode: "520302"},
		{Id: "shop2", Role: tlv1.ROLE_ENTERPRISE, DivisionCode: "520402"},
		{Id: "shop3", Role: tlv1.ROLE_ENTERPRISE, DivisionCode: "520502"},
		{Id: "lab", Role: tlv1.ROLE_CERTIFIER, DivisionCode: "520102"},
		{Id: "agri", Role: tlv1.ROLE_DEPARTMENT},
	} {
		m.parts[p.Id] = p
	}
	return m
}

const t0 = int64(1_790_000_000_000) // block time of record 0, ms

func (m *memLog) add(r *tlv1.Record, subjects ...string) uint64 {
	r.TimeMs = t0 + int64(len(m.recs))*1000
	r.Height = int64(len(m.recs)) + 1
	m.recs = append(m.recs, r)
	m.subj = append(m.subj, subjects)
	return uint64(len(m.recs) - 1)
}

func (m *memLog) vr(i int) *proof.VerifiedRecord {
	bz, _ := m.recs[i].Marshal()
	return &proof.VerifiedRecord{Index: uint64(i), Record: m.recs[i], Bytes: bz, LeafHash: proof.LeafHash(bz)}
}

func (m *memLog) Tip(context.Context) (*tlv1.StateRoots, error) {
	return &tlv1.StateRoots{Height: int64(len(m.recs)), LogSize: uint64(len(m.recs))}, nil
}

func (m *memLog) Records(_ context.Context, _ *tlv1.StateRoots, from, to uint64) ([]*trace.Event, error) {
	var out []*trace.Event
	for i := from; i < to; i++ {
		out = append(out, trace.Decode(m.vr(int(i)), nil))
	}
	return out, nil
}

func (m *memLog) History(_ context.Context, subject string) (*trace.History, error) {
	h := &trace.History{Subject: subject}
	for i, ss := range m.subj {
		if slices.Contains(ss, subject) {
			h.Records = append(h.Records, m.vr(i))
		}
	}
	if len(h.Records) > 0 {
		h.Head = &tlv1.Head{Count: uint64(len(h.Records)), LastIndex: h.Records[len(h.Records)-1].Index}
	}
	return h, nil
}

func (m *memLog) Participant(_ context.Context, id string) (*tlv1.Participant, error) {
	return m.parts[id], nil
}

// event records a hashed EPCIS event by signer.
func (m *memLog) event(signer string, typ tlv1.EPCISEventType, step string, link tlv1.ChainLink, ids ...*tlv1.EventIdentifier) uint64 {
	var subjects []string
	for _, id := range ids {
		if !slices.Contains(subjects, id.Id) {
			subjects = append(subjects, id.Id)
		}
	}
	return m.add(&tlv1.Record{Signer: signer, Body: &tlv1.Record_Epcis{Epcis: &tlv1.EPCISRecord{
		Kind:    &tlv1.EPCISRecord_Hashed{Hashed: &tlv1.HashedEvent{Type: typ, BizStep: step, EventTimeMs: t0 + int64(len(m.recs))*1000, Identifiers: ids}},
		Context: &tlv1.TraceContext{ChainLink: link}, Subjects: subjects}}}, subjects...)
}

func id(s string, r tlv1.IdentifierRole) *tlv1.EventIdentifier {
	return &tlv1.EventIdentifier{Id: s, Role: r}
}
func cls(s string) *tlv1.EventIdentifier { return id(s, tlv1.IDENTIFIER_ROLE_CLASS) }
func in(s string) *tlv1.EventIdentifier  { return id(s, tlv1.IDENTIFIER_ROLE_INPUT) }
func out(s string) *tlv1.EventIdentifier { return id(s, tlv1.IDENTIFIER_ROLE_OUTPUT) }

const (
	obj  = tlv1.EPCIS_EVENT_TYPE_OBJECT
	trf  = tlv1.EPCIS_EVENT_TYPE_TRANSFORMATION
	none = tlv1.CHAIN_LINK_UNSPECIFIED
)

func (m *memLog) move(signer, step, lot string) uint64 {
	return m.event(signer, obj, "urn:epcglobal:cbv:bizstep:"+step, none, cls(lot))
}

// process: the harvest lot urn:harvest made into urn:pack by proc.
func (m *memLog) chain() {
	m.event("farm", obj, "harvesting", tlv1.CHAIN_LINK_PRODUCTION_RECORD, cls("urn:harvest"))
	m.move("farm", "shipping", "urn:harvest")
	m.event("proc", trf, "commissioning", none, in("urn:harvest"), out("urn:pack"))
}

func (m *memLog) recall(id, enterprise string, lots ...string) uint64 {
	subjects := append([]string{tlv1.CreditSubject(enterprise), tlv1.RecallSubject(id)}, lots...)
	return m.add(&tlv1.Record{Signer: "agri", Body: &tlv1.Record_Credit{Credit: &tlv1.CreditRecord{Body: &tlv1.CreditRecord_Recall{Recall: &tlv1.Recall{
		OrderedBy: "agri", Body: &tlv1.InitiateRecall{Id: id, Enterprise: enterprise, Lots: lots, Level: tlv1.RECALL_LEVEL_1, Hazard: "residue"}}}}}}, subjects...)
}

func (m *memLog) status(p string, to tlv1.ParticipantStatus) uint64 {
	return m.add(&tlv1.Record{Signer: "agri", Body: &tlv1.Record_Governance{Governance: &tlv1.GovernanceRecord{Body: &tlv1.GovernanceRecord_ParticipantStatusChanged{
		ParticipantStatusChanged: &tlv1.ParticipantStatusChanged{Participant: p, To: to, Reason: "fraud", By: "agri"}}}}}, tlv1.ParticipantSubject(p))
}

func (m *memLog) violation(ent string) uint64 {
	return m.add(&tlv1.Record{Signer: "agri", Body: &tlv1.Record_Credit{Credit: &tlv1.CreditRecord{Body: &tlv1.CreditRecord_Violation{
		Violation: &tlv1.RecordViolation{Enterprise: ent, Kind: "pesticide_residue", Penalty: "fine"}}}}}, tlv1.CreditSubject(ent))
}

func (m *memLog) accredit(certifier string, from, until int64) {
	m.add(&tlv1.Record{Signer: "agri", Body: &tlv1.Record_Governance{Governance: &tlv1.GovernanceRecord{Body: &tlv1.GovernanceRecord_AccreditationChanged{
		AccreditationChanged: &tlv1.AccreditationChanged{Certifier: certifier, Accreditation: &tlv1.Accreditation{Schemes: []string{"gap"},
			Status: tlv1.ACCREDITATION_STATUS_ACTIVE, ValidFromMs: from, ValidUntilMs: until}}}}}}, tlv1.ParticipantSubject(certifier))
}

func (m *memLog) certify(number, ent string, from, until int64) string {
	aid := tlv1.AttestationID("lab", number)
	m.add(&tlv1.Record{Signer: "lab", Body: &tlv1.Record_Attestation{Attestation: &tlv1.AttestationRecord{AttestationId: aid, Issued: &tlv1.Attestation{
		Id: aid, Issuer: "lab", Status: tlv1.ATTESTATION_STATUS_VALID, Body: &tlv1.IssueAttestation{Scheme: "gap", CertificateNumber: number,
			Subject: &tlv1.AttestationSubject{Enterprise: ent}, ValidFromMs: from, ValidUntilMs: until}}}}}, tlv1.AttestationHistorySubject(aid), tlv1.CreditSubject(ent))
	return aid
}

func (m *memLog) changeCert(aid, ent string, to tlv1.AttestationStatus) {
	m.add(&tlv1.Record{Signer: "lab", Body: &tlv1.Record_Attestation{Attestation: &tlv1.AttestationRecord{AttestationId: aid, From: tlv1.ATTESTATION_STATUS_VALID, To: to}}},
		tlv1.AttestationHistorySubject(aid), tlv1.CreditSubject(ent))
}

// ruleSet is a set with the one rule of typ (params as JSON).
func ruleSet(t *testing.T, typ, params string, aggregate bool) *RuleSet {
	t.Helper()
	doc := `{"format":1,"version":"test-1","rules":[{"id":"r","type":"` + typ + `","severity":"high","enabled":true,"parameters":` + params + `}]`
	if aggregate {
		doc += `,"aggregate":{"id":"systemic","min_divisions":3,"severity":"critical"}`
	}
	rs, err := ParseRuleSet([]byte(doc + "}"))
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func runAll(t *testing.T, m *memLog, rs *RuleSet) []*Alert {
	t.Helper()
	w, err := New(Config{Rules: rs, Batch: 3}, m)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := w.Step(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.To != uint64(len(m.recs)) {
		t.Fatalf("processed to %d of %d", rep.To, len(m.recs))
	}
	return rep.Alerts
}

const moveSteps = `{"steps":["shipping","receiving","retail_selling"]}`

func TestMovementAfterRecall(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func(m *memLog)
		want  []string // subjects of the alerts, in order
	}{
		{"sold after recall of its input lot", func(m *memLog) {
			m.chain()
			m.recall("R1", "farm", "urn:harvest")
			m.move("shop1", "retail_selling", "urn:pack")
		}, []string{"urn:pack"}},
		{"shipped after recall of the lot itself", func(m *memLog) {
			m.chain()
			m.recall("R1", "farm", "urn:harvest")
			m.move("farm", "shipping", "urn:harvest")
		}, []string{"urn:harvest"}},
		{"moved before the recall: no alert", func(m *memLog) {
			m.chain()
			m.move("shop1", "retail_selling", "urn:pack")
			m.recall("R1", "farm", "urn:harvest")
		}, nil},
		{"not a movement step: no alert", func(m *memLog) {
			m.chain()
			m.recall("R1", "farm", "urn:harvest")
			m.move("proc", "inspecting", "urn:pack")
		}, nil},
		{"another lot recalled: no alert", func(m *memLog) {
			m.chain()
			m.event("farm", obj, "harvesting", none, cls("urn:other"))
			m.recall("R1", "farm", "urn:other")
			m.move("shop1", "retail_selling", "urn:pack")
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMemLog()
			tc.build(m)
			alerts := runAll(t, m, ruleSet(t, TypeMovementAfterRecall, moveSteps, false))
			var got []string
			for _, a := range alerts {
				got = append(got, a.Subjects...)
				roles := map[string]bool{}
				for _, r := range a.Evidence.Records {
					roles[r.Role] = true
					if len(r.LeafHash) != 32 {
						t.Errorf("evidence record %d has no leaf hash", r.Index)
					}
				}
				if !roles["trigger"] || !roles["recall"] {
					t.Errorf("alert evidence lacks the trigger or the recall: %+v", a.Evidence.Records)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("alerts on %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSuspendedUpstream(t *testing.T) {
	for _, tc := range []struct {
		name   string
		params string
		build  func(m *memLog)
		want   []string // enterprises alerted about
	}{
		{"upstream farm suspended", moveSteps, func(m *memLog) {
			m.chain()
			m.status("farm", tlv1.PARTICIPANT_STATUS_SUSPENDED)
			m.move("shop1", "receiving", "urn:pack")
		}, []string{"farm"}},
		{"reinstated before the movement: no alert", moveSteps, func(m *memLog) {
			m.chain()
			m.status("farm", tlv1.PARTICIPANT_STATUS_SUSPENDED)
			m.status("farm", tlv1.PARTICIPANT_STATUS_ACTIVE)
			m.move("shop1", "receiving", "urn:pack")
		}, nil},
		{"suspended after the movement: no alert", moveSteps, func(m *memLog) {
			m.chain()
			m.move("shop1", "receiving", "urn:pack")
			m.status("farm", tlv1.PARTICIPANT_STATUS_SUSPENDED)
		}, nil},
		{"the mover itself is not upstream", moveSteps, func(m *memLog) {
			m.event("shop1", obj, "commissioning", none, cls("urn:own"))
			m.status("shop1", tlv1.PARTICIPANT_STATUS_SUSPENDED)
			m.move("shop1", "shipping", "urn:own")
		}, nil},
		{"violations at the threshold", `{"steps":["receiving"],"violations_at_least":2}`, func(m *memLog) {
			m.chain()
			m.violation("farm")
			m.violation("farm")
			m.move("shop1", "receiving", "urn:pack")
		}, []string{"farm"}},
		{"violations below the threshold: no alert", `{"steps":["receiving"],"violations_at_least":3}`, func(m *memLog) {
			m.chain()
			m.violation("farm")
			m.violation("farm")
			m.move("shop1", "receiving", "urn:pack")
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMemLog()
			tc.build(m)
			var got []string
			for _, a := range runAll(t, m, ruleSet(t, TypeSuspendedUpstream, tc.params, false)) {
				got = append(got, a.Enterprise)
				if a.Division != m.parts[a.Enterprise].DivisionCode {
					t.Errorf("alert division %q", a.Division)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("alerts about %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCertificationInvalid(t *testing.T) {
	const day = int64(86_400_000)
	params := `{"scheme":"gap","links":["production_record"]}`
	harvest := func(m *memLog) uint64 {
		return m.event("farm", obj, "harvesting", tlv1.CHAIN_LINK_PRODUCTION_RECORD, cls("urn:harvest"))
	}
	for _, tc := range []struct {
		name  string
		build func(m *memLog)
		want  int
		fail  string // a failure text the alert must carry
	}{
		{"valid certification: no alert", func(m *memLog) {
			m.accredit("lab", t0-day, t0+day)
			m.certify("C1", "farm", t0-day, t0+day)
			harvest(m)
		}, 0, ""},
		{"no certification at all", func(m *memLog) { harvest(m) }, 1, "holds no gap attestation"},
		{"expired at the event time", func(m *memLog) {
			m.accredit("lab", t0-day, t0+day)
			m.certify("C1", "farm", t0-day, t0+1000)
			harvest(m)
		}, 1, "outside its validity"},
		{"suspended before the event", func(m *memLog) {
			m.accredit("lab", t0-day, t0+day)
			aid := m.certify("C1", "farm", t0-day, t0+day)
			m.changeCert(aid, "farm", tlv1.ATTESTATION_STATUS_SUSPENDED)
			harvest(m)
		}, 1, "SUSPENDED"},
		{"issuer not accredited", func(m *memLog) {
			m.certify("C1", "farm", t0-day, t0+day)
			harvest(m)
		}, 1, "no accreditation"},
		{"another link: not required", func(m *memLog) {
			m.event("farm", obj, "shipping", tlv1.CHAIN_LINK_ORIGIN_EXIT, cls("urn:harvest"))
		}, 0, ""},
		{"a certifier's event: not an enterprise", func(m *memLog) {
			m.event("lab", obj, "inspecting", tlv1.CHAIN_LINK_PRODUCTION_RECORD, cls("urn:harvest"))
		}, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMemLog()
			tc.build(m)
			alerts := runAll(t, m, ruleSet(t, TypeCertificationInvalid, params, false))
			if len(alerts) != tc.want {
				t.Fatalf("%d alerts, want %d: %+v", len(alerts), tc.want, alerts)
			}
			if tc.fail != "" && !strings.Contains(strings.Join(alerts[0].Evidence.Failures, "; "), tc.fail) {
				t.Fatalf("failures %v lack %q", alerts[0].Evidence.Failures, tc.fail)
			}
		})
	}
}

func TestSevenLinksMissing(t *testing.T) {
	access := func(m *memLog) {
		m.event("proc", obj, "accepting", tlv1.CHAIN_LINK_MARKET_ACCESS, cls("urn:pack"))
	}
	full := func(m *memLog) {
		m.event("farm", obj, "x", tlv1.CHAIN_LINK_INPUT_USE, cls("urn:harvest"))
		m.chain() // production_record on urn:harvest
		m.event("farm", obj, "x", tlv1.CHAIN_LINK_ORIGIN_EXIT, cls("urn:harvest"))
	}
	params := `{"required":["input_use","production_record","origin_exit"]}`
	for _, tc := range []struct {
		name    string
		build   func(m *memLog)
		missing string
	}{
		{"every required link in the back-trace: no alert", func(m *memLog) { full(m); access(m) }, ""},
		{"no input use", func(m *memLog) {
			m.chain()
			m.event("farm", obj, "x", tlv1.CHAIN_LINK_ORIGIN_EXIT, cls("urn:harvest"))
			access(m)
		}, "input_use"},
		{"a link recorded after market access does not count", func(m *memLog) {
			m.chain()
			m.event("farm", obj, "x", tlv1.CHAIN_LINK_ORIGIN_EXIT, cls("urn:harvest"))
			access(m)
			m.event("farm", obj, "x", tlv1.CHAIN_LINK_INPUT_USE, cls("urn:harvest"))
		}, "input_use"},
		{"not market access: no alert", func(m *memLog) { m.chain() }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMemLog()
			tc.build(m)
			alerts := runAll(t, m, ruleSet(t, TypeSevenLinksMissing, params, false))
			if tc.missing == "" {
				if len(alerts) != 0 {
					t.Fatalf("unexpected alerts: %v", alerts[0].Message)
				}
				return
			}
			if len(alerts) != 1 || !strings.Contains(alerts[0].Message, tc.missing) {
				t.Fatalf("alerts %+v, want one naming %s", alerts, tc.missing)
			}
			if len(alerts[0].Evidence.Histories) == 0 {
				t.Fatal("no histories named: the absence is not backed")
			}
		})
	}
}

func TestColdChainExcursions(t *testing.T) {
	lo, hi := 0.0, 8.0
	p := &ColdChainParams{SensorType: "Temperature", UOM: "CEL", Min: &lo, Max: &hi}
	rep := func(tm, v string) *tlv1.SensorReport {
		return &tlv1.SensorReport{Type: "https://gs1.org/voc/Temperature", Time: tm, Value: v, Uom: "CEL"}
	}
	for _, tc := range []struct {
		name    string
		reports []*tlv1.SensorReport
		meta    *tlv1.SensorMetadata
		want    []string // durations
	}{
		{"in range", []*tlv1.SensorReport{rep("2026-07-01T10:00:00Z", "4"), rep("2026-07-01T11:00:00Z", "7.9")}, nil, nil},
		{"one excursion until back in range", []*tlv1.SensorReport{rep("2026-07-01T10:00:00Z", "4"), rep("2026-07-01T10:10:00Z", "9.5"),
			rep("2026-07-01T10:20:00Z", "12"), rep("2026-07-01T10:40:00Z", "5")}, nil, []string{"30m0s"}},
		{"unordered reports", []*tlv1.SensorReport{rep("2026-07-01T10:40:00Z", "5"), rep("2026-07-01T10:10:00Z", "9.5"), rep("2026-07-01T10:00:00Z", "4")}, nil, []string{"30m0s"}},
		{"still out at the end of the period", []*tlv1.SensorReport{rep("2026-07-01T10:00:00Z", "-2")},
			&tlv1.SensorMetadata{StartTime: "2026-07-01T09:00:00Z", EndTime: "2026-07-01T12:00:00Z"}, []string{"2h0m0s"}},
		{"other unit ignored", []*tlv1.SensorReport{{Type: "gs1:Temperature", Time: "2026-07-01T10:00:00Z", Value: "50", Uom: "FAH"}}, nil, nil},
		{"other type ignored", []*tlv1.SensorReport{{Type: "gs1:RelativeHumidity", Time: "2026-07-01T10:00:00Z", Value: "90"}}, nil, nil},
		{"min/max over the period", []*tlv1.SensorReport{{Type: "gs1:Temperature", MinValue: "2", MaxValue: "11", Uom: "CEL"}},
			&tlv1.SensorMetadata{StartTime: "2026-07-01T09:00:00Z", EndTime: "2026-07-01T09:45:00Z"}, []string{"45m0s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &tlv1.EPCISEvent{SensorElementList: []*tlv1.SensorElement{{SensorMetadata: tc.meta, SensorReport: tc.reports}}}
			var got []string
			for _, x := range Excursions(p, e) {
				got = append(got, x.Duration().String())
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("excursions %v, want %v", got, tc.want)
			}
		})
	}
	// Through the watcher: a public event, min_duration_s filtering.
	m := newMemLog()
	ev := &tlv1.EPCISEvent{Type: obj, EventTime: "2026-07-01T10:00:00Z", EpcList: []string{"urn:pallet"},
		SensorElementList: []*tlv1.SensorElement{{SensorReport: []*tlv1.SensorReport{rep("2026-07-01T10:00:00Z", "10"), rep("2026-07-01T10:05:00Z", "4")}}}}
	m.add(&tlv1.Record{Signer: "proc", Body: &tlv1.Record_Epcis{Epcis: &tlv1.EPCISRecord{Kind: &tlv1.EPCISRecord_Public{Public: ev}}}}, "urn:pallet")
	if a := runAll(t, m, ruleSet(t, TypeColdChainExcursion, `{"sensor_type":"Temperature","min":0,"max":8,"min_duration_s":600}`, false)); len(a) != 0 {
		t.Fatalf("a 5-minute excursion raised %d alerts under a 10-minute minimum", len(a))
	}
	if a := runAll(t, m, ruleSet(t, TypeColdChainExcursion, `{"sensor_type":"Temperature","min":0,"max":8,"min_duration_s":60}`, false)); len(a) != 1 || !strings.Contains(a[0].Message, "5m0s") {
		t.Fatalf("alerts %+v, want one 5m0s excursion", a)
	}
}

// TestAggregation: one recalled input lot behind movement alerts in three
// divisions raises one systemic alert naming every division and
// enterprise its trace-forward graph reached.
func TestAggregation(t *testing.T) {
	m := newMemLog()
	m.chain()
	m.recall("R1", "farm", "urn:harvest")
	m.move("shop1", "retail_selling", "urn:pack") // 520302
	m.move("shop2", "retail_selling", "urn:pack") // 520402
	m.move("shop2", "retail_selling", "urn:pack") // 520402 again: no new division
	m.move("shop3", "retail_selling", "urn:pack") // 520502: the third
	m.move("shop3", "retail_selling", "urn:pack") // no further division: no second systemic alert
	var sys []*Alert
	for _, a := range runAll(t, m, ruleSet(t, TypeMovementAfterRecall, moveSteps, true)) {
		if a.Type == "aggregate" {
			sys = append(sys, a)
		}
	}
	if len(sys) != 1 {
		t.Fatalf("%d systemic alerts, want 1", len(sys))
	}
	a := sys[0]
	if a.Severity != "critical" || a.Subjects[0] != "urn:harvest" || len(a.Related) != 4 {
		t.Fatalf("systemic alert %+v", a)
	}
	for _, e := range []string{"farm", "proc", "shop1", "shop2", "shop3"} {
		if !slices.Contains(a.Enterprises, e) {
			t.Errorf("enterprises %v lack %s", a.Enterprises, e)
		}
	}
	for _, d := range []string{"520102", "520302", "520402", "520502"} {
		if !slices.Contains(a.Divisions, d) {
			t.Errorf("divisions %v lack %s", a.Divisions, d)
		}
	}
}

// TestDivisionScope: a rule on for one division alerts only there.
func TestDivisionScope(t *testing.T) {
	m := newMemLog()
	m.chain()
	m.recall("R1", "farm", "urn:harvest")
	m.move("shop1", "retail_selling", "urn:pack") // 520302
	m.move("shop2", "retail_selling", "urn:pack") // 520402
	rs := ruleSet(t, TypeMovementAfterRecall, moveSteps, false)
	rs.Rules[0].Divisions = []string{"520402"}
	alerts := runAll(t, m, rs)
	if len(alerts) != 1 || alerts[0].Enterprise != "shop2" {
		t.Fatalf("alerts %+v, want one about shop2", alerts)
	}
	rs.Rules[0].Enabled = false
	if a := runAll(t, m, rs); len(a) != 0 {
		t.Fatal("a disabled rule alerted")
	}
}

// TestResume: a restarted watcher continues from its state file and does
// not raise the alerts of records it processed.
func TestResume(t *testing.T) {
	m := newMemLog()
	m.chain()
	m.recall("R1", "farm", "urn:harvest")
	m.move("shop1", "retail_selling", "urn:pack")
	path := filepath.Join(t.TempDir(), "watch.json")
	rs := ruleSet(t, TypeMovementAfterRecall, moveSteps, false)
	var lines bytes.Buffer
	w, _ := New(Config{Rules: rs, ChainID: "mem", StatePath: path, Alerts: &lines}, m)
	if rep, err := w.Step(context.Background()); err != nil || len(rep.Alerts) != 1 {
		t.Fatalf("first step: %v %+v", err, rep)
	}
	var a Alert
	if err := json.Unmarshal(bytes.TrimSpace(lines.Bytes()), &a); err != nil || a.Rule != "r" {
		t.Fatalf("alert line %q: %v", lines.String(), err)
	}
	m.move("shop2", "retail_selling", "urn:pack")
	w2, err := New(Config{Rules: rs, ChainID: "mem", StatePath: path}, m)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := w2.Step(context.Background())
	if err != nil || rep.From != uint64(len(m.recs)-1) || len(rep.Alerts) != 1 || rep.Alerts[0].Enterprise != "shop2" {
		t.Fatalf("resumed step: %v %+v", err, rep)
	}
	if _, err := New(Config{Rules: rs, StatePath: path, ChainID: "other"}, m); err == nil {
		t.Fatal("a state of another chain loaded")
	}
}

// TestLists: the blacklist and warnings from the records read.
func TestLists(t *testing.T) {
	m := newMemLog()
	m.chain()
	m.status("farm", tlv1.PARTICIPANT_STATUS_SUSPENDED)
	m.violation("proc")
	m.status("shop1", tlv1.PARTICIPANT_STATUS_SUSPENDED)
	m.status("shop1", tlv1.PARTICIPANT_STATUS_ACTIVE)
	m.recall("R1", "farm", "urn:harvest")
	m.move("shop1", "retail_selling", "urn:pack")
	rs := ruleSet(t, TypeMovementAfterRecall, moveSteps, false)
	rs.Rules[0].Public = true
	w, _ := New(Config{Rules: rs}, m)
	if _, err := w.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w.Handler())
	defer srv.Close()
	get := func(path string, v any) ListAnswer {
		res, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		la := ListAnswer{Data: v}
		if err := json.NewDecoder(res.Body).Decode(&la); err != nil {
			t.Fatal(err)
		}
		return la
	}
	var bl []BlacklistEntry
	la := get("/v1/blacklist", &bl)
	if la.LogSize != uint64(len(m.recs)) || la.Completeness == "" {
		t.Fatalf("envelope %+v", la)
	}
	if len(bl) != 2 || bl[0].Enterprise != "farm" || !bl[0].Suspended || bl[1].Enterprise != "proc" || len(bl[1].Violations) != 1 {
		t.Fatalf("blacklist %+v", bl)
	}
	var wn Warnings
	get("/v1/warnings", &wn)
	if len(wn.Recalls) != 1 || wn.Recalls[0].ID != "R1" || len(wn.Alerts) != 1 || len(wn.Recalls[0].Record.LeafHash) != 32 {
		t.Fatalf("warnings %+v", wn)
	}
}

func TestParseRuleSet(t *testing.T) {
	if _, err := ParseRuleSet([]byte(DefaultRuleSet)); err != nil {
		t.Fatalf("the default rule set: %v", err)
	}
	for _, tc := range []struct{ name, doc, field string }{
		{"format", `{"format":2,"version":"v","rules":[]}`, "format"},
		{"version", `{"format":1,"rules":[]}`, "version"},
		{"unknown field", `{"format":1,"version":"v","rulez":[]}`, "document"},
		{"duplicate id", `{"format":1,"version":"v","rules":[{"id":"a","type":"movement_after_recall","severity":"high","parameters":{"steps":["shipping"]}},{"id":"a","type":"movement_after_recall","severity":"high","parameters":{"steps":["shipping"]}}]}`, "id"},
		{"unknown type", `{"format":1,"version":"v","rules":[{"id":"a","type":"nope","severity":"high"}]}`, "parameters"},
		{"bad severity", `{"format":1,"version":"v","rules":[{"id":"a","type":"movement_after_recall","severity":"urgent","parameters":{"steps":["shipping"]}}]}`, "severity"},
		{"misspelt param", `{"format":1,"version":"v","rules":[{"id":"a","type":"movement_after_recall","severity":"high","parameters":{"step":["shipping"]}}]}`, "parameters"},
		{"unknown link", `{"format":1,"version":"v","rules":[{"id":"a","type":"seven_links_missing","severity":"high","parameters":{"required":["input"]}}]}`, "parameters"},
		{"min above max", `{"format":1,"version":"v","rules":[{"id":"a","type":"cold_chain_excursion","severity":"high","parameters":{"sensor_type":"Temperature","min":9,"max":8}}]}`, "parameters"},
		{"aggregate below 2", `{"format":1,"version":"v","rules":[],"aggregate":{"id":"s","min_divisions":1,"severity":"high"}}`, "aggregate.min_divisions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRuleSet([]byte(tc.doc))
			var re *RuleSetError
			if err == nil || !asRuleSetError(err, &re) || re.Field != tc.field {
				t.Fatalf("error %v, want one on field %s", err, tc.field)
			}
		})
	}
}

func asRuleSetError(err error, re **RuleSetError) bool {
	e, ok := err.(*RuleSetError)
	*re = e
	return ok
}

// FuzzParseRuleSet: any document either loads into a rule set whose every
// rule has decoded parameters, or is refused with a RuleSetError.
func FuzzParseRuleSet(f *testing.F) {
	f.Add([]byte(DefaultRuleSet))
	f.Add([]byte(`{"format":1,"version":"v","rules":[{"id":"a","type":"cold_chain_excursion","severity":"low","parameters":{"sensor_type":"T","max":8}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := ParseRuleSet(data)
		if err != nil {
			var re *RuleSetError
			if !asRuleSetError(err, &re) {
				t.Fatalf("error %T is not a RuleSetError", err)
			}
			return
		}
		for _, r := range rs.Rules {
			if r.params == nil {
				t.Fatalf("rule %s loaded without parameters", r.ID)
			}
		}
	})
}

// TestFromTip: a fresh watcher started at the tip evaluates only new
// records, and its lists say where they start.
func TestFromTip(t *testing.T) {
	m := newMemLog()
	m.chain()
	m.recall("R1", "farm", "urn:harvest")
	m.move("shop1", "retail_selling", "urn:pack") // before the start: not evaluated
	w, _ := New(Config{Rules: ruleSet(t, TypeMovementAfterRecall, moveSteps, false), FromTip: true}, m)
	if rep, err := w.Step(context.Background()); err != nil || len(rep.Alerts) != 0 || rep.Records != 0 {
		t.Fatalf("first step: %v %+v", err, rep)
	}
	m.move("shop2", "retail_selling", "urn:pack")
	rep, err := w.Step(context.Background())
	if err != nil || len(rep.Alerts) != 1 || rep.Alerts[0].Enterprise != "shop2" {
		t.Fatalf("second step: %v %+v", err, rep)
	}
	if st := w.Snapshot(); st.Start != uint64(len(m.recs)-1) || len(st.Lists.Recalls) != 0 {
		t.Fatalf("state start %d, recalls %d", st.Start, len(st.Lists.Recalls))
	}
}
