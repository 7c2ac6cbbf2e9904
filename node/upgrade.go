// SPDX-License-Identifier: Apache-2.0

package node

import "github.com/traceledger/traceledger/app"

// Options are the application settings an embedder may choose when it
// builds a node (the zero value is what `traceledger start` uses).
type Options struct {
	// Upgrades are registered in addition to the binary's own
	// (app.Upgrade): tests and demonstrations make "the new binary" so.
	Upgrades []app.Upgrade
	// AllowEarlyUpgradeBinary lets a binary with a registered upgrade not
	// yet due start anyway, to replay older blocks (app.Options).
	AllowEarlyUpgradeBinary bool
}

// Halted is closed when the application stopped the chain on this node:
// the network reached an upgrade this binary does not register. HaltErr
// says why (an *app.UpgradeNeededError naming the binary needed); the
// embedder should Stop the node and tell the operator.
func (n *Node) Halted() <-chan struct{} { return n.app.Halted() }

// HaltErr is the reason the application halted, nil while it has not.
func (n *Node) HaltErr() error { return n.app.HaltErr() }

// App is the node's application (for tests and tools).
func (n *Node) App() *app.App { return n.app }
