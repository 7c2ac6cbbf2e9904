// SPDX-License-Identifier: Apache-2.0

package app

// fifoMap is a map that holds at most a fixed number of entries and
// forgets the oldest when a new key would exceed that: the bounded memory
// of the app's local caches (verified signatures, admitted transactions).
// Keys must not be empty. It is not safe for concurrent use.
type fifoMap[V any] struct {
	m    map[string]V
	ring []string // keys in insertion order, a circular buffer
	next int
}

func newFIFOMap[V any](size int) *fifoMap[V] {
	return &fifoMap[V]{m: make(map[string]V, size), ring: make([]string, size)}
}

// add stores v under k unless k is present already (its value and age are
// kept).
func (f *fifoMap[V]) add(k string, v V) {
	if _, ok := f.m[k]; ok {
		return
	}
	if old := f.ring[f.next]; old != "" {
		delete(f.m, old)
	}
	f.ring[f.next] = k
	f.next = (f.next + 1) % len(f.ring)
	f.m[k] = v
}

func (f *fifoMap[V]) get(k string) (V, bool) {
	v, ok := f.m[k]
	return v, ok
}

func (f *fifoMap[V]) len() int { return len(f.m) }
