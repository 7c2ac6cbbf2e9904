package app

import "sync"

// sigCache remembers which transactions had their signature verified by
// CheckTx on this node, so FinalizeBlock need not verify them again. It is
// local and only ever skips work whose result is already known (a tx hash
// covers body and signature; the key id fixes the public key), so it cannot
// change any outcome. It holds at most size entries, evicting the oldest.
type sigCache struct {
	mu   sync.Mutex
	m    map[string]string // tx hash -> key id
	ring []string
	next int
}

func newSigCache(size int) *sigCache {
	return &sigCache{m: make(map[string]string, size), ring: make([]string, size)}
}

func (c *sigCache) add(txHash []byte, keyID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := string(txHash)
	if _, ok := c.m[h]; ok {
		return
	}
	if old := c.ring[c.next]; old != "" {
		delete(c.m, old)
	}
	c.ring[c.next] = h
	c.next = (c.next + 1) % len(c.ring)
	c.m[h] = keyID
}

func (c *sigCache) verified(txHash []byte, keyID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.m[string(txHash)]
	return ok && k == keyID
}
