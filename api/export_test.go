// SPDX-License-Identifier: Apache-2.0

package api

// SetHistoryWalk makes s walk whole histories in pages of page records and
// refuse histories longer than served (read to be served whole) or walked
// (read for some of their records): small values let tests walk short
// histories in many pages.
func SetHistoryWalk(s *Server, page uint32, served, walked uint64) {
	s.walk = walkLimits{page: page, served: served, walked: walked}
}
