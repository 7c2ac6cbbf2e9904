// SPDX-License-Identifier: Apache-2.0

package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// upgradeChange is a schedule_upgrade change.
func upgradeChange(name string, height int64) *tlv1.ProposalChange {
	sum := sha256.Sum256([]byte("traceledger " + name))
	return &tlv1.ProposalChange{Change: &tlv1.ProposalChange_ScheduleUpgrade{ScheduleUpgrade: &tlv1.ScheduleUpgrade{
		Name: name, Height: height, Version: "v9.9.9-" + name, BinarySha256: sum[:], Notes: "test upgrade"}}}
}

// migratedKey is the map key the test migration writes.
var migratedKey = tlv1.HeadKey("test:migrated")

// testUpgrade is a registered upgrade whose migration counts its runs and
// writes migratedKey.
func testUpgrade(name string, runs *int) Upgrade {
	return Upgrade{Name: name, AppVersion: Version + 1, Migrate: func(m *Migration) error {
		*runs++
		old, err := m.Get(migratedKey)
		if err != nil {
			return err
		}
		m.Set(migratedKey, append(old, []byte(fmt.Sprintf("%s@%d;", m.Plan.Upgrade.Name, m.Height))...))
		return nil
	}}
}

// diskGovFixture is a governance fixture whose app lives in dir, so that a
// test can reopen it as another binary.
func diskGovFixture(t *testing.T, dir string) *govFixture {
	t.Helper()
	g := &govFixture{t: t, seq: map[string]uint64{}, txSigner: map[string]string{}, st: govAppState(fourDepartments)}
	a, err := New(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	g.a = a
	t.Cleanup(func() { g.a.Close() })
	g.initChain(g.a)
	return g
}

// reopen closes the fixture's app and opens dir as the binary opts says.
func (g *govFixture) reopen(dir string, opts Options) error {
	g.t.Helper()
	g.a.Close()
	opts.Dir = dir
	a, err := New(opts)
	if err != nil {
		// Keep a closed-safe app so Cleanup has something to close.
		g.a, _ = newApp(Options{}, testHooks{inMemory: true})
		return err
	}
	g.a = a
	return nil
}

// schedule passes a schedule_upgrade proposal by three of four votes.
func (g *govFixture) schedule(name string, height int64) uint64 {
	g.t.Helper()
	id := g.propose("agri", upgradeChange(name, height), false)
	g.block(g.tx("agri", voteMsg(id, true)), g.tx("ahv", voteMsg(id, true)), g.tx("drug", voteMsg(id, true)))
	if p := g.proposal(id); p.Status != tlv1.PROPOSAL_STATUS_EXECUTED {
		g.t.Fatalf("upgrade proposal is %s: %s", p.Status, p.Result)
	}
	return id
}

// record reads log record i from the latest committed state.
func (g *govFixture) record(i uint64) ([]byte, error) {
	v := g.a.st.viewAt(g.h)
	defer v.discard()
	return v.record(i)
}

func appVersionOf(t *testing.T, a *App) uint64 {
	t.Helper()
	info, err := a.Info(context.Background(), &abci.RequestInfo{})
	if err != nil {
		t.Fatal(err)
	}
	return info.AppVersion
}

// TestUpgradeByProposal: a passed proposal schedules the upgrade; at the
// height the old binary halts naming the binary it needs and commits
// nothing; the new binary runs the migration once, changes the app
// version, and neither a restart nor later blocks run it again; the old
// binary then refuses the upgraded state.
func TestUpgradeByProposal(t *testing.T) {
	dir := t.TempDir()
	g := diskGovFixture(t, dir)
	g.ok("farm", recordMsg("urn:epc:id:sgtin:0614141.107346.1", 1))
	const name = "v2-rules"
	upH := g.h + 6
	pid := g.schedule(name, upH)

	var plan tlv1.UpgradePlan
	if !g.get(tlv1.KeyUpgradePlan, &plan) || plan.Upgrade.Name != name || plan.Upgrade.Height != upH || plan.ProposalId != pid {
		t.Fatalf("plan in state: %v", &plan)
	}
	for g.h < upH-1 {
		g.ok("farm", recordMsg("urn:epc:id:sgtin:0614141.107346.1", g.h))
	}
	before := g.a.latest().info
	records := map[uint64][]byte{}
	for i := uint64(0); i < before.LogSize; i++ {
		bz, err := g.record(i)
		if err != nil {
			t.Fatal(err)
		}
		records[i] = bz
	}

	// The old binary at the height: halts, names the binary, commits nothing.
	_, err := g.a.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: upH, Time: blockTime(upH)})
	var need *UpgradeNeededError
	if !errors.As(err, &need) {
		t.Fatalf("old binary at the upgrade height: %v, want an UpgradeNeededError", err)
	}
	sum := sha256.Sum256([]byte("traceledger " + name))
	for _, frag := range []string{"UPGRADE NEEDED", name, "v9.9.9-" + name, fmt.Sprintf("%x", sum)} {
		if !strings.Contains(err.Error(), frag) {
			t.Errorf("halt message %q lacks %q", err, frag)
		}
	}
	select {
	case <-g.a.Halted():
	default:
		t.Fatal("Halted is not closed after the upgrade halt")
	}
	if g.a.HaltErr() == nil {
		t.Fatal("HaltErr is nil after the halt")
	}
	// A restart of the old binary refuses at once.
	if err := g.reopen(dir, Options{}); !errors.As(err, &need) {
		t.Fatalf("old binary restarted at the height: %v, want an UpgradeNeededError", err)
	}

	// The new binary continues.
	runs := 0
	newBinary := Options{Upgrades: []Upgrade{testUpgrade(name, &runs)}}
	if err := g.reopen(dir, newBinary); err != nil {
		t.Fatalf("new binary at the height: %v", err)
	}
	if v := appVersionOf(t, g.a); v != Version {
		t.Fatalf("app version before the upgrade block: %d, want %d", v, Version)
	}
	res := g.block()
	if runs != 1 {
		t.Fatalf("migration ran %d times at the height, want 1", runs)
	}
	if res.ConsensusParamUpdates.GetVersion().GetApp() != Version+1 {
		t.Fatalf("upgrade block's consensus param updates %v, want app version %d", res.ConsensusParamUpdates, Version+1)
	}
	if v := appVersionOf(t, g.a); v != Version+1 {
		t.Fatalf("app version after the upgrade: %d, want %d", v, Version+1)
	}
	var done tlv1.UpgradeDone
	if !g.get(tlv1.UpgradeDoneKey(name), &done) || done.Height != upH || done.AppVersion != Version+1 {
		t.Fatalf("done record: %v", &done)
	}
	if g.get(tlv1.KeyUpgradePlan, &plan) {
		t.Fatal("the plan is still in state after the upgrade")
	}
	// The log was appended to, never rewritten.
	for i, want := range records {
		got, err := g.record(i)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("record %d changed across the upgrade (%v)", i, err)
		}
	}
	rec, err := g.record(before.LogSize)
	if err != nil {
		t.Fatal(err)
	}
	var r tlv1.Record
	if err := r.Unmarshal(rec); err != nil || r.GetGovernance().GetUpgradeApplied().GetPlan().GetUpgrade().GetName() != name {
		t.Fatalf("first record of the upgrade block is not upgrade_applied: %v (%v)", &r, err)
	}

	g.ok("farm", recordMsg("urn:epc:id:sgtin:0614141.107346.1", g.h))
	if err := g.reopen(dir, newBinary); err != nil {
		t.Fatalf("new binary restarted after the upgrade: %v", err)
	}
	if v := appVersionOf(t, g.a); v != Version+1 {
		t.Fatalf("app version after a restart: %d, want %d", v, Version+1)
	}
	g.block()
	g.block()
	if runs != 1 {
		t.Fatalf("migration ran %d times after a restart, want 1", runs)
	}
	v := g.a.st.viewAt(g.h)
	got, _ := v.mapValue(migratedKey)
	v.discard()
	if want := fmt.Sprintf("%s@%d;", name, upH); string(got) != want {
		t.Fatalf("migrated value %q, want %q", got, want)
	}

	// The name cannot be scheduled again.
	g.fails(tlv1.CodeUpgradeState, "already ran", "agri", proposeMsg("p", 0, false, upgradeChange(name, g.h+10)))

	// The old binary refuses the upgraded state.
	var tooNew *StateTooNewError
	if err := g.reopen(dir, Options{}); !errors.As(err, &tooNew) || tooNew.StateVersion != Version+1 {
		t.Fatalf("old binary on the upgraded state: %v, want a StateTooNewError", err)
	}
}

// TestUpgradeTooEarly: a binary that registers an upgrade not yet due
// refuses to start, with or without a plan, unless told to replay old
// blocks; replaying, it runs the old rules until the height and the
// migration at it.
func TestUpgradeTooEarly(t *testing.T) {
	dir := t.TempDir()
	g := diskGovFixture(t, dir)
	g.block()
	const name = "early"
	runs := 0
	newBinary := Options{Upgrades: []Upgrade{testUpgrade(name, &runs)}}
	var early *UpgradeTooEarlyError
	if err := g.reopen(dir, newBinary); !errors.As(err, &early) || early.Plan != nil {
		t.Fatalf("new binary without a plan: %v, want an UpgradeTooEarlyError without plan", err)
	}
	if err := g.reopen(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	upH := g.h + 8
	g.schedule(name, upH)
	if err := g.reopen(dir, newBinary); !errors.As(err, &early) || early.Plan == nil || early.NextHeight != g.h+1 {
		t.Fatalf("new binary before the height: %v, want an UpgradeTooEarlyError naming the plan", err)
	}
	if !strings.Contains(early.Error(), name) {
		t.Fatalf("message %q does not name the upgrade", early)
	}
	allow := newBinary
	allow.AllowEarlyUpgradeBinary = true
	if err := g.reopen(dir, allow); err != nil {
		t.Fatalf("new binary allowed to replay: %v", err)
	}
	for g.h < upH-1 {
		g.block()
	}
	if runs != 0 {
		t.Fatalf("migration ran %d times before the height", runs)
	}
	g.block()
	if runs != 1 || appVersionOf(t, g.a) != Version+1 {
		t.Fatalf("after the height: %d runs, app version %d", runs, appVersionOf(t, g.a))
	}
}

// TestUpgradeScheduleRejections: a schedule_upgrade that could not apply is
// refused at submission, with its code.
func TestUpgradeScheduleRejections(t *testing.T) {
	g := newGovFixture(t)
	g.block()
	bad := func(edit func(u *tlv1.ScheduleUpgrade)) *tlv1.ProposalChange {
		ch := upgradeChange("u1", g.h+100)
		edit(ch.GetScheduleUpgrade())
		return ch
	}
	cases := []struct {
		name     string
		ch       *tlv1.ProposalChange
		code     tlv1.Code
		fragment string
	}{
		{"short sha256", bad(func(u *tlv1.ScheduleUpgrade) { u.BinarySha256 = u.BinarySha256[:31] }), tlv1.CodeInvalidMessage, "binary_sha256"},
		{"no version", bad(func(u *tlv1.ScheduleUpgrade) { u.Version = "" }), tlv1.CodeInvalidMessage, "version"},
		{"bad name", bad(func(u *tlv1.ScheduleUpgrade) { u.Name = "Bad Name" }), tlv1.CodeInvalidMessage, "name"},
		{"zero height", bad(func(u *tlv1.ScheduleUpgrade) { u.Height = 0 }), tlv1.CodeInvalidMessage, "height"},
		{"past height", bad(func(u *tlv1.ScheduleUpgrade) { u.Height = 1 }), tlv1.CodeUpgradeState, "must be after"},
		{"long notes", bad(func(u *tlv1.ScheduleUpgrade) { u.Notes = strings.Repeat("n", tlv1.MaxUpgradeNotesBytes+1) }), tlv1.CodeInvalidMessage, "notes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g.fails(tc.code, tc.fragment, "agri", proposeMsg("p", 0, false, tc.ch))
		})
	}
	if got := tlv1.DescribeChange(upgradeChange("u1", 50)); !strings.Contains(got, "upgrade u1 at height 50") {
		t.Fatalf("description %q", got)
	}
}

// TestUpgradeRegistry: a registration that could never run is refused.
func TestUpgradeRegistry(t *testing.T) {
	cases := []struct {
		name string
		ups  []Upgrade
		frag string
	}{
		{"bad name", []Upgrade{{Name: "", AppVersion: Version + 1}}, "name"},
		{"twice", []Upgrade{{Name: "a", AppVersion: Version + 1}, {Name: "a", AppVersion: Version + 2}}, "twice"},
		{"version not above", []Upgrade{{Name: "a", AppVersion: Version}}, "not above"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := newRegistry(tc.ups); err == nil || !strings.Contains(err.Error(), tc.frag) {
				t.Fatalf("newRegistry: %v, want an error with %q", err, tc.frag)
			}
		})
	}
}
