// SPDX-License-Identifier: Apache-2.0

package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/traceledger/traceledger/api"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// TestConcurrentLatestReadsShareHeaderWait: latest reads that arrive
// together are at one state height and all need its next header; they
// share one light-client wait for it (counted), and every one of them is
// served verified. In front of a lying node, every concurrent read is
// refused and counted.
func TestConcurrentLatestReadsShareHeaderWait(t *testing.T) {
	const readers = 16
	for _, tc := range []struct {
		name   string
		lying  bool
		status int
	}{
		{"honest node", false, http.StatusOK},
		{"lying node", true, http.StatusBadGateway},
	} {
		t.Run(tc.name, func(t *testing.T) {
			node := fx.url
			if tc.lying {
				node = tamperingProxy(t, fx.url, func(b []byte) { b[len(b)-1] ^= 1 })
			}
			ts, srv := apiServer(t, node, api.Options{ReadRate: -1})
			path := fmt.Sprintf("%s/v1/history/%s", ts.URL, seg(lotEPC))
			replies := make([]reply, readers)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range replies {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					replies[i] = get(t, path)
				}()
			}
			close(start)
			wg.Wait()
			for i, r := range replies {
				if r.status != tc.status {
					t.Fatalf("read %d: %d %s", i, r.status, r.body)
				}
				if tc.lying {
					if p := r.problem(t); p.Code != uint32(tlv1.CodeAPINotVerified) {
						t.Fatalf("read %d: code %d, want %d", i, p.Code, tlv1.CodeAPINotVerified)
					}
					continue
				}
				if h, ev := r.answer(t, &api.HistoryAnswer{}); h <= 0 || len(ev.LightBlocks) == 0 {
					t.Fatalf("read %d: height %d, %d light blocks", i, h, len(ev.LightBlocks))
				}
			}
			m := metricsText(t, srv)
			if tc.lying {
				if got := srv.VerificationFailures(); got < readers {
					t.Fatalf("%d failures counted for %d refused reads", got, readers)
				}
				return
			}
			if srv.VerificationFailures() != 0 {
				t.Fatalf("%d verification failures in front of an honest node", srv.VerificationFailures())
			}
			if strings.Contains(m, "traceledger_api_shared_header_waits_total 0\n") || !strings.Contains(m, "traceledger_api_shared_header_waits_total") {
				t.Fatalf("no read shared a header wait among %d concurrent latest reads:\n%s", readers, m)
			}
		})
	}
}
