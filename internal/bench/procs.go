// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// clockTicks is the kernel's USER_HZ, the unit of utime and stime in
// /proc/<pid>/stat; it is 100 on every Linux architecture Go supports.
const clockTicks = 100

// ProcUsage is one sample of a process: CPU time used so far and resident
// memory now.
type ProcUsage struct {
	CPUSeconds float64
	RSSBytes   int64
}

// ReadProc reads /proc/<pid>/stat (utime + stime) and /proc/<pid>/status
// (VmRSS) of a Linux process.
func ReadProc(pid int) (ProcUsage, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ProcUsage{}, fmt.Errorf("bench: read stat of pid %d: %w", pid, err)
	}
	u, err := parseStat(string(b))
	if err != nil {
		return ProcUsage{}, fmt.Errorf("bench: pid %d: %w", pid, err)
	}
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ProcUsage{}, fmt.Errorf("bench: read status of pid %d: %w", pid, err)
	}
	u.RSSBytes = parseRSS(string(st))
	return u, nil
}

// parseStat extracts utime and stime (fields 14 and 15) from a
// /proc/<pid>/stat line. The command name (field 2) may contain spaces and
// parentheses, so fields are counted after its last ')'.
func parseStat(s string) (ProcUsage, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return ProcUsage{}, fmt.Errorf("malformed stat %q", s)
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); utime is field 14 -> f[11], stime f[12].
	if len(f) < 13 {
		return ProcUsage{}, fmt.Errorf("stat has %d fields after the name, want at least 13", len(f))
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return ProcUsage{}, fmt.Errorf("stat utime %q stime %q are not numbers", f[11], f[12])
	}
	return ProcUsage{CPUSeconds: float64(ut+st) / clockTicks}, nil
}

// parseRSS returns VmRSS from /proc/<pid>/status in bytes (0 if absent).
func parseRSS(s string) int64 {
	for _, line := range strings.Split(s, "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}

// ProcSampler samples a set of processes every interval: CPU seconds at
// start and end, and the peak resident memory in between.
type ProcSampler struct {
	pids  map[string]int
	mu    sync.Mutex
	start map[string]ProcUsage
	last  map[string]ProcUsage
	peak  map[string]int64
	t0    time.Time
	stop  chan struct{}
	done  chan struct{}
}

// SampleProcs starts sampling pids (name -> pid) every interval.
func SampleProcs(pids map[string]int, interval time.Duration) *ProcSampler {
	s := &ProcSampler{pids: pids, start: map[string]ProcUsage{}, last: map[string]ProcUsage{}, peak: map[string]int64{},
		t0: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	s.sample(true)
	go func() {
		defer close(s.done)
		tk := time.NewTicker(interval)
		defer tk.Stop()
		for {
			select {
			case <-s.stop:
				s.sample(false)
				return
			case <-tk.C:
				s.sample(false)
			}
		}
	}()
	return s
}

func (s *ProcSampler) sample(first bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, pid := range s.pids {
		u, err := ReadProc(pid)
		if err != nil {
			continue
		}
		if first {
			s.start[name] = u
		}
		s.last[name] = u
		s.peak[name] = max(s.peak[name], u.RSSBytes)
	}
}

// NodeUsage is one process's use over a sampling period.
type NodeUsage struct {
	Name string `json:"name"`
	// CPUSeconds used during the period, and as cores (CPU seconds per
	// wall second).
	CPUSeconds float64 `json:"cpu_seconds"`
	Cores      float64 `json:"cores"`
	// PeakRSSBytes is the largest resident set sampled.
	PeakRSSBytes int64 `json:"peak_rss_bytes"`
}

// Stop ends sampling and returns each process's usage, in the order of
// names.
func (s *ProcSampler) Stop(names []string) []NodeUsage {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	wall := time.Since(s.t0).Seconds()
	out := make([]NodeUsage, 0, len(names))
	for _, n := range names {
		cpu := s.last[n].CPUSeconds - s.start[n].CPUSeconds
		out = append(out, NodeUsage{Name: n, CPUSeconds: cpu, Cores: ratio(cpu, wall), PeakRSSBytes: s.peak[n]})
	}
	return out
}

// DiskUsage is the space allocated to the files under dir, as du counts it
// (blocks, not apparent sizes: badger preallocates sparse files).
func DiskUsage(dir string) (int64, error) {
	var size int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil // removed while walking
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			size += st.Blocks * 512
		} else {
			size += fi.Size()
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("bench: disk usage of %s: %w", dir, err)
	}
	return size, nil
}
