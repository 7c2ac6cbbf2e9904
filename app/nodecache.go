// SPDX-License-Identifier: Apache-2.0

package app

import "sync"

// nodeCache keeps the upper levels of the log in memory. Every inclusion
// proof needs one node per level; the lower levels are spread over the
// whole log, but the upper ones are few (a log of n records has n/2^l nodes
// at level l) and shared by every proof, so caching them turns most of a
// proof's random reads into map lookups. A perfect subtree's hash never
// changes once its last leaf is committed, and only committed nodes are
// read, so an entry never goes stale.
type nodeCache struct {
	mu sync.RWMutex
	m  map[nodeID][]byte
}

type nodeID struct {
	level uint
	index uint64
}

const (
	// nodeCacheMinLevel is the lowest level cached: levels 6 and up hold
	// about 1/32 as many nodes as the log has records (about 156,000 at
	// 5,000,000 records).
	nodeCacheMinLevel = 6
	// nodeCacheSize bounds the cache (an estimated 25 MB at about 100
	// bytes per entry, not measured); beyond it, nodes are read from
	// storage as before.
	nodeCacheSize = 1 << 18
)

func newNodeCache() *nodeCache { return &nodeCache{m: map[nodeID][]byte{}} }

func (c *nodeCache) get(level uint, index uint64) []byte {
	if level < nodeCacheMinLevel {
		return nil
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[nodeID{level, index}]
}

func (c *nodeCache) put(level uint, index uint64, hash []byte) {
	if level < nodeCacheMinLevel {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) < nodeCacheSize {
		c.m[nodeID{level, index}] = hash
	}
}
