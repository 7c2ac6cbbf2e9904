// SPDX-License-Identifier: Apache-2.0

package genesis

import (
	"errors"
	"testing"
)

// TestValidateQuorum pins the one quorum rule genesis and the set_quorum
// proposal share, and which field a failure names.
func TestValidateQuorum(t *testing.T) {
	for _, tc := range []struct {
		num, den uint64
		field    string // "" = valid
	}{
		{2, 3, ""}, {1, 2, ""}, {999_999, 1_000_000, ""}, {500_000, 1_000_000, ""},
		{0, 0, "quorum_denominator"}, {1, 1_000_001, "quorum_denominator"},
		{3, 3, "quorum_numerator"}, {4, 3, "quorum_numerator"},
		{1, 3, "quorum_numerator"}, {0, 1, "quorum_numerator"}, {499_999, 1_000_000, "quorum_numerator"},
	} {
		err := ValidateQuorum(tc.num, tc.den)
		var qe *QuorumError
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%d/%d: %v, want valid", tc.num, tc.den, err)
		case tc.field != "" && (!errors.As(err, &qe) || qe.Field != tc.field):
			t.Errorf("%d/%d: %v, want a QuorumError on %s", tc.num, tc.den, err, tc.field)
		}
	}
}
