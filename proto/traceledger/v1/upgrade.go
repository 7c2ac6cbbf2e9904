// SPDX-License-Identifier: Apache-2.0

package traceledgerv1

// Governed software upgrades (docs/GOVERNANCE.md, "Software upgrades"):
// the map keys of the plan and of the upgrades done, and the limits of a
// schedule_upgrade change.
const (
	// KeyUpgradePlan holds the UpgradePlan the network waits for; absent
	// when none is scheduled.
	KeyUpgradePlan = "upgrade/plan"
	// PrefixUpgradeDone starts upgrade/done/<name> -> UpgradeDone.
	PrefixUpgradeDone = "upgrade/done/"

	// MaxUpgradeVersionBytes bounds ScheduleUpgrade.version.
	MaxUpgradeVersionBytes = 64
	// MaxUpgradeNotesBytes bounds ScheduleUpgrade.notes.
	MaxUpgradeNotesBytes = 1024
	// UpgradeSHA256Bytes is the length of ScheduleUpgrade.binary_sha256.
	UpgradeSHA256Bytes = 32
)

// UpgradeDoneKey is the map key recording that the named upgrade ran.
func UpgradeDoneKey(name string) string { return PrefixUpgradeDone + name }

// UpgradeSubject is the history subject of the upgrade records (scheduled
// and applied), so one history lists every upgrade of the network.
const UpgradeSubject = SubjectGovernance + "upgrades"
