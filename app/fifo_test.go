// SPDX-License-Identifier: Apache-2.0

package app

import (
	"fmt"
	"testing"
)

func TestFIFOMap(t *testing.T) {
	for _, tc := range []struct {
		name    string
		size    int
		adds    []string // key=value
		present []string // key=value expected
		absent  []string
	}{
		{"under size", 3, []string{"a=1", "b=2"}, []string{"a=1", "b=2"}, []string{"c"}},
		{"oldest forgotten", 2, []string{"a=1", "b=2", "c=3"}, []string{"b=2", "c=3"}, []string{"a"}},
		{"wraps around", 2, []string{"a=1", "b=2", "c=3", "d=4", "e=5"}, []string{"d=4", "e=5"}, []string{"a", "b", "c"}},
		{"re-adding keeps value and age", 2, []string{"a=1", "b=2", "a=9", "c=3"}, []string{"b=2", "c=3"}, []string{"a"}},
		{"size one", 1, []string{"a=1", "b=2"}, []string{"b=2"}, []string{"a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFIFOMap[string](tc.size)
			for _, kv := range tc.adds {
				var k, v string
				fmt.Sscanf(kv, "%1s=%s", &k, &v)
				f.add(k, v)
			}
			for _, kv := range tc.present {
				var k, v string
				fmt.Sscanf(kv, "%1s=%s", &k, &v)
				if got, ok := f.get(k); !ok || got != v {
					t.Errorf("get(%q) = %q, %v; want %q", k, got, ok, v)
				}
			}
			for _, k := range tc.absent {
				if got, ok := f.get(k); ok {
					t.Errorf("get(%q) = %q, want absent", k, got)
				}
			}
			if f.len() != len(tc.present) {
				t.Errorf("len %d, want %d", f.len(), len(tc.present))
			}
		})
	}
}
