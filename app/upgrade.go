// SPDX-License-Identifier: Apache-2.0

package app

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Governed software upgrades (docs/GOVERNANCE.md, "Software upgrades").
//
// A passed schedule_upgrade proposal stores an UpgradePlan at
// tlv1.KeyUpgradePlan. At the start of the plan's height, before any of the
// block's transactions:
//
//   - a binary that does not register an upgrade of the plan's name stops:
//     FinalizeBlock fails with an *UpgradeNeededError naming the binary
//     needed (version and SHA-256), so CometBFT commits nothing at that
//     height, and New refuses to open a state whose next block is it;
//   - a binary that registers it runs its migration on the block's state,
//     records upgrade/done/<name> (and an upgrade_applied log record),
//     deletes the plan and tells CometBFT the new app version. All of it is
//     committed with the block, atomically, so a restart never runs the
//     migration again.
//
// A binary refuses to start (New fails with an *UpgradeTooEarlyError) on a
// state where one of its registered upgrades has not run and is not due in
// the very next block, unless Options.AllowEarlyUpgradeBinary is set: the
// new binary is installed while the network is halted at the height, not
// before. With that option it replays older blocks under the old rules:
// an upgrade's new rules must be switched on by its done record (the app
// version in the state), never by the binary alone.

// Upgrade is a software upgrade a binary knows how to perform.
type Upgrade struct {
	// Name is the name a schedule_upgrade proposal gives it.
	Name string
	// AppVersion is the application protocol version from the upgrade on;
	// it must be greater than the version before it.
	AppVersion uint64
	// Migrate changes the state at the upgrade height, before the block's
	// transactions. It must be deterministic; nil means no state change.
	Migrate func(m *Migration) error
}

// builtinUpgrades are the upgrades this binary registers, in the order they
// were released. None yet: the first one is added with the release that
// needs it (Options.Upgrades adds more, for tests and demonstrations).
var builtinUpgrades []Upgrade

// Migration is what an upgrade's migration may touch: the map values of the
// upgrade block's state. It may not rewrite the log: records before the
// upgrade stay provable with the same proofs.
type Migration struct {
	o *overlay
	// Height is the upgrade height.
	Height int64
	// TimeMs is the upgrade block's time.
	TimeMs int64
	// Plan is the plan being carried out.
	Plan *tlv1.UpgradePlan
}

// Get returns the map value at key (nil when absent).
func (m *Migration) Get(key string) ([]byte, error) { return m.o.mapValue(key) }

// Set writes the map value at key; a nil value deletes it.
func (m *Migration) Set(key string, value []byte) { m.o.set(key, value) }

// UpgradeNeededError stops a binary at an upgrade it does not register.
type UpgradeNeededError struct {
	// Plan is the scheduled upgrade.
	Plan *tlv1.UpgradePlan
}

func (e *UpgradeNeededError) Error() string {
	u := e.Plan.GetUpgrade()
	return fmt.Sprintf("UPGRADE NEEDED at height %d: upgrade %q (proposal %d) needs traceledger version %s, binary sha256 %x; this binary does not register it: install that binary and start the node again",
		u.GetHeight(), u.GetName(), e.Plan.GetProposalId(), u.GetVersion(), u.GetBinarySha256())
}

// UpgradeTooEarlyError stops a binary started before its upgrade is due.
type UpgradeTooEarlyError struct {
	// Name is the registered upgrade that has not run.
	Name string
	// NextHeight is the height the node would execute next.
	NextHeight int64
	// Plan is the scheduled plan, nil when none is.
	Plan *tlv1.UpgradePlan
}

func (e *UpgradeTooEarlyError) Error() string {
	when := "no upgrade is scheduled"
	if e.Plan != nil {
		when = fmt.Sprintf("the scheduled upgrade is %q at height %d", e.Plan.GetUpgrade().GetName(), e.Plan.GetUpgrade().GetHeight())
	}
	return fmt.Sprintf("this binary registers upgrade %q, which has not run, and the next block is %d while %s: run the previous binary until the network stops at the upgrade height (or start with the early-upgrade-binary option to replay old blocks)",
		e.Name, e.NextHeight, when)
}

// StateTooNewError stops a binary whose state was upgraded past it.
type StateTooNewError struct {
	// StateVersion is the app version of the stored state.
	StateVersion uint64
	// BinaryVersion is the highest app version this binary runs.
	BinaryVersion uint64
}

func (e *StateTooNewError) Error() string {
	return fmt.Sprintf("the app state is at app version %d but this binary runs at most %d: the network was upgraded; install the binary of the upgrade (traceledger query upgrade)", e.StateVersion, e.BinaryVersion)
}

// registry is the upgrades a binary registers, by name.
type registry map[string]Upgrade

func newRegistry(extra []Upgrade) (registry, error) {
	r := registry{}
	for _, u := range append(append([]Upgrade(nil), builtinUpgrades...), extra...) {
		if err := checkUpgradeName(u.Name); err != nil {
			return nil, fmt.Errorf("registered upgrade %q: %w", u.Name, err)
		}
		if _, dup := r[u.Name]; dup {
			return nil, fmt.Errorf("upgrade %q is registered twice", u.Name)
		}
		if u.AppVersion <= Version {
			return nil, fmt.Errorf("upgrade %q moves to app version %d, not above this binary's base version %d", u.Name, u.AppVersion, Version)
		}
		r[u.Name] = u
	}
	return r, nil
}

// checkUpgradeName checks a registered name with the rules of the
// proposal's name field.
func checkUpgradeName(name string) error {
	if err := checkID("name", name); err != nil {
		return errors.New(errMsg(err))
	}
	return nil
}

// maxVersion is the highest app version the binary runs.
func (r registry) maxVersion() uint64 {
	v := Version
	for _, u := range r {
		v = max(v, u.AppVersion)
	}
	return v
}

// names returns the registered names in order.
func (r registry) names() []string {
	out := make([]string, 0, len(r))
	for n := range r {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// readPlan returns the scheduled plan, nil when none.
func readPlan(r mapReader) (*tlv1.UpgradePlan, error) {
	var p tlv1.UpgradePlan
	found, err := getProto(r, tlv1.KeyUpgradePlan, &p)
	if err != nil || !found {
		return nil, err
	}
	return &p, nil
}

// checkStartable is New's check of the committed state against the
// binary's upgrades; height is the committed height.
func (a *App) checkStartable(r mapReader, height int64, doneVersion uint64, allowEarly bool) error {
	if doneVersion > a.upgrades.maxVersion() {
		return &StateTooNewError{StateVersion: doneVersion, BinaryVersion: a.upgrades.maxVersion()}
	}
	plan, err := readPlan(r)
	if err != nil {
		return err
	}
	next := height + 1
	if plan != nil && plan.Upgrade.Height == next {
		if _, ok := a.upgrades[plan.Upgrade.Name]; !ok {
			return &UpgradeNeededError{Plan: plan}
		}
	}
	if allowEarly {
		return nil
	}
	for _, n := range a.upgrades.names() {
		v, err := r.mapValue(tlv1.UpgradeDoneKey(n))
		if err != nil {
			return err
		}
		if v != nil || (plan != nil && plan.Upgrade.Name == n && plan.Upgrade.Height == next) {
			continue
		}
		return &UpgradeTooEarlyError{Name: n, NextHeight: next, Plan: plan}
	}
	return nil
}

// upgradeResult is what beginning a block did for an upgrade.
type upgradeResult struct {
	events    []abci.Event
	params    *cmtproto.ConsensusParams
	version   uint64 // the new app version, 0 when unchanged
	migration bool
}

// beginBlockUpgrade runs the upgrade due at height, if any, on o before
// the block's transactions. An error stops the node (it is not a
// rejection): *UpgradeNeededError when the binary lacks the upgrade.
func (a *App) beginBlockUpgrade(o *overlay, height, timeMs int64) (upgradeResult, error) {
	plan, err := readPlan(o)
	if err != nil || plan == nil || plan.Upgrade.Height != height {
		if err == nil && plan != nil && plan.Upgrade.Height < height {
			err = fmt.Errorf("upgrade %q was due at height %d and never ran; the state is at height %d", plan.Upgrade.Name, plan.Upgrade.Height, height)
		}
		return upgradeResult{}, err
	}
	u, ok := a.upgrades[plan.Upgrade.Name]
	if !ok {
		return upgradeResult{}, &UpgradeNeededError{Plan: plan}
	}
	if u.Migrate != nil {
		if err := u.Migrate(&Migration{o: o, Height: height, TimeMs: timeMs, Plan: plan}); err != nil {
			return upgradeResult{}, fmt.Errorf("migration of upgrade %q at height %d: %w", u.Name, height, err)
		}
	}
	done := &tlv1.UpgradeDone{Plan: plan, Height: height, AppVersion: u.AppVersion}
	if err := putProto(o, tlv1.UpgradeDoneKey(u.Name), done); err != nil {
		return upgradeResult{}, err
	}
	o.set(tlv1.KeyUpgradePlan, nil)
	x := &changeCtx{o: o, height: height, timeMs: timeMs, proposalID: plan.ProposalId}
	if err := x.appendGov(&tlv1.GovernanceRecord{Body: &tlv1.GovernanceRecord_UpgradeApplied{UpgradeApplied: done}},
		tlv1.UpgradeSubject, tlv1.ProposalSubject(plan.ProposalId)); err != nil {
		return upgradeResult{}, err
	}
	a.logger.Info("upgrade applied", "name", u.Name, "height", height, "app_version", u.AppVersion)
	return upgradeResult{
		events:    upgradeEvents(x.recs),
		params:    &cmtproto.ConsensusParams{Version: &cmtproto.VersionParams{App: u.AppVersion}},
		version:   u.AppVersion,
		migration: true,
	}, nil
}

func upgradeEvents(recs []recordedEvent) []abci.Event {
	var out []abci.Event
	for _, r := range recs {
		out = append(out, recordABCIEvent("governance", r))
	}
	return out
}

// halt records err as the reason the node cannot go on and closes
// a.halted once; it returns err.
func (a *App) halt(err error) error {
	a.haltOnce.Do(func() {
		a.haltErr = err
		close(a.halted)
	})
	return err
}

// Halted is closed when the application stopped the chain on this node
// (an upgrade it lacks); HaltErr then says why. The embedder should stop
// the node and tell the operator.
func (a *App) Halted() <-chan struct{} { return a.halted }

// HaltErr is the reason the application halted, nil while it has not.
func (a *App) HaltErr() error {
	select {
	case <-a.halted:
		return a.haltErr
	default:
		return nil
	}
}

// AppVersion is the application protocol version of the committed state.
func (a *App) AppVersion() uint64 { return a.appVersion.Load() }

// ---------------------------------------------------------------- the proposal kind

func validateScheduleUpgrade(f string, ch *tlv1.ProposalChange) error {
	u := ch.GetScheduleUpgrade()
	if u == nil {
		return rejectf(tlv1.CodeInvalidMessage, "%s is empty", f)
	}
	if err := checkID(f+".name", u.Name); err != nil {
		return err
	}
	if u.Height <= 0 {
		return rejectf(tlv1.CodeInvalidMessage, "%s.height must be positive, got %d", f, u.Height)
	}
	if err := checkText(f+".version", u.Version, 1, tlv1.MaxUpgradeVersionBytes); err != nil {
		return err
	}
	if len(u.BinarySha256) != tlv1.UpgradeSHA256Bytes {
		return rejectf(tlv1.CodeInvalidMessage, "%s.binary_sha256 is %d bytes, want %d (the SHA-256 of the new binary)", f, len(u.BinarySha256), tlv1.UpgradeSHA256Bytes)
	}
	if u.Notes != "" {
		if err := checkText(f+".notes", u.Notes, 0, tlv1.MaxUpgradeNotesBytes); err != nil {
			return err
		}
	}
	return nil
}

func applyScheduleUpgrade(x *changeCtx, ch *tlv1.ProposalChange) ([]*tlv1.ValidatorPower, error) {
	u := ch.GetScheduleUpgrade()
	if u.Height <= x.height {
		return nil, rejectf(tlv1.CodeUpgradeState, "upgrade %q at height %d: the height must be after %d, the height the proposal executes at", u.Name, u.Height, x.height)
	}
	if v, err := x.o.mapValue(tlv1.UpgradeDoneKey(u.Name)); err != nil {
		return nil, err
	} else if v != nil {
		return nil, rejectf(tlv1.CodeUpgradeState, "upgrade %q already ran; every upgrade needs a new name", u.Name)
	}
	plan := &tlv1.UpgradePlan{Upgrade: u, ProposalId: x.proposalID, ScheduledHeight: x.height}
	if err := putProto(x.o, tlv1.KeyUpgradePlan, plan); err != nil {
		return nil, err
	}
	return nil, x.appendGov(&tlv1.GovernanceRecord{Body: &tlv1.GovernanceRecord_UpgradeScheduled{UpgradeScheduled: plan}},
		tlv1.ProposalSubject(x.proposalID), tlv1.UpgradeSubject)
}

// String lists the registered upgrade names, for log messages.
func (r registry) String() string { return strings.Join(r.names(), ",") }
