// SPDX-License-Identifier: Apache-2.0

package app

import "sync"

// sigCache remembers which transactions had their signature verified by
// CheckTx on this node, so FinalizeBlock need not verify them again. It is
// local and only ever skips work whose result is already known (a tx hash
// covers body and signature; the key id fixes the public key), so it cannot
// change any outcome. It holds at most size entries, evicting the oldest.
type sigCache struct {
	mu sync.Mutex
	m  *fifoMap[string] // tx hash -> key id
}

func newSigCache(size int) *sigCache {
	return &sigCache{m: newFIFOMap[string](size)}
}

func (c *sigCache) add(txHash []byte, keyID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m.add(string(txHash), keyID)
}

func (c *sigCache) verified(txHash []byte, keyID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.m.get(string(txHash))
	return ok && k == keyID
}
