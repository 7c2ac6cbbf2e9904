// SPDX-License-Identifier: Apache-2.0

package client

import (
	"context"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// UpgradePlan returns the verified scheduled upgrade, or nil when none is
// scheduled (absence proven).
func (c *Client) UpgradePlan(ctx context.Context) (*tlv1.UpgradePlan, Proven, error) {
	return valueOf[tlv1.UpgradePlan](ctx, c, tlv1.KeyUpgradePlan, "upgrade plan")
}

// UpgradeDone returns the verified record that the named upgrade ran, or
// nil when it is proven not to have run.
func (c *Client) UpgradeDone(ctx context.Context, name string) (*tlv1.UpgradeDone, Proven, error) {
	return valueOf[tlv1.UpgradeDone](ctx, c, tlv1.UpgradeDoneKey(name), "upgrade record")
}
