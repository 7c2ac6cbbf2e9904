// SPDX-License-Identifier: Apache-2.0

package client_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/traceledger/traceledger/client"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

const floodLot = "urn:epc:class:lgtin:6901234.500012.FLOOD1"

// flood records n events of floodLot in transactions of up to 900
// messages, as any registered enterprise can (issue 16, finding 1).
func flood(t *testing.T, c *client.Client, key ed25519.PrivateKey, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for done := 0; done < n; {
		var msgs []*tlv1.Msg
		for ; done < n && len(msgs) < 900; done++ {
			sum := sha256.Sum256(fmt.Appendf(nil, "flood %d", done))
			msgs = append(msgs, &tlv1.Msg{Sum: &tlv1.Msg_RecordEvent{RecordEvent: &tlv1.RecordEvent{Subject: floodLot, EventType: fmt.Sprintf("f%d", done),
				EventTimeMs: time.Now().Add(-time.Hour).UnixMilli(), PayloadSha256: sum[:]}}})
		}
		if _, err := c.Submit(ctx, client.Signer{Key: key}, msgs...); err != nil {
			t.Fatal(err)
		}
	}
}

// TestHistoryPagesOnANode: a lot with more records than one unpaged answer
// carries (10,001) is read whole by History (walking pages), its pages
// each verify and together are that history, a voluntary recall finds its
// held evidence, and a primary that alters a page is refused.
func TestHistoryPagesOnANode(t *testing.T) {
	nodeURL, doc, c, farm := proofNode(t, 0)
	n := tlv1.MaxHistoryRecords + 1
	flood(t, c, farm, n)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	whole, p, err := c.History(ctx, floodLot)
	if err != nil {
		t.Fatal(err)
	}
	if whole.Head == nil || whole.Head.Count != uint64(n) || len(whole.Records) != n {
		t.Fatalf("history of %d records: head %+v, %d records", n, whole.Head, len(whole.Records))
	}
	if p.Header == nil {
		t.Fatal("no verified header")
	}
	var want []uint64
	for _, r := range whole.Records {
		want = append(want, r.Index)
	}

	newest, _, err := c.NewestHistoryPage(ctx, floodLot, 100)
	if err != nil {
		t.Fatal(err)
	}
	if newest.Offset != uint64(n-100) || len(newest.Records) != 100 || !newest.Newest() {
		t.Fatalf("newest page at %d with %d records", newest.Offset, len(newest.Records))
	}
	var got []uint64
	for off := uint64(0); off < uint64(n); off += tlv1.MaxHistoryPage {
		pg, _, err := c.HistoryPage(ctx, floodLot, off, tlv1.MaxHistoryPage)
		if err != nil {
			t.Fatalf("page at %d: %v", off, err)
		}
		if pg.Offset != off {
			t.Fatalf("page at %d says offset %d", off, pg.Offset)
		}
		for _, r := range pg.Records {
			got = append(got, r.Index)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("pages gave %d records, History %d, or another order", len(got), len(want))
	}
	if _, _, err := c.HistoryPage(ctx, floodLot, uint64(n)+1, 10); err == nil {
		t.Fatal("a page beyond the history was answered")
	}

	recall := &tlv1.InitiateRecall{Id: "R-FLOOD", Enterprise: "farm", Lots: []string{floodLot}}
	if err := c.FillHeldEvidence(ctx, recall); err != nil {
		t.Fatalf("held evidence in a %d-record history: %v", n, err)
	}
	if len(recall.HeldEvidence) != 1 || recall.HeldEvidence[0] != want[0] {
		t.Fatalf("held evidence %v, want [%d]", recall.HeldEvidence, want[0])
	}

	tampers := []struct {
		name  string
		alter func(*tlv1.HistoryResponse) bool
	}{
		{"forged chain before", func(r *tlv1.HistoryResponse) bool {
			if len(r.ChainBefore) == 0 {
				return false
			}
			r.ChainBefore[3] ^= 1
			return true
		}},
		{"a record dropped", func(r *tlv1.HistoryResponse) bool {
			if len(r.Records) < 2 {
				return false
			}
			r.Records = r.Records[:len(r.Records)-1]
			return true
		}},
		{"a suffix hash altered", func(r *tlv1.HistoryResponse) bool {
			if len(r.SuffixLeafHashes) == 0 {
				return false
			}
			r.SuffixLeafHashes[len(r.SuffixLeafHashes)/2][0] ^= 1
			return true
		}},
	}
	for _, tc := range tampers {
		t.Run(tc.name, func(t *testing.T) {
			lying, err := client.New(historyTamperingPrimary(t, nodeURL, tc.alter), doc)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := lying.HistoryPage(ctx, floodLot, 3000, 500); !errors.Is(err, client.ErrNotVerified) {
				t.Fatalf("an altered page: %v, want ErrNotVerified", err)
			}
			if tc.name != "a suffix hash altered" { // the walk asks for no suffix
				if _, _, err := lying.History(ctx, floodLot); !errors.Is(err, client.ErrNotVerified) {
					t.Fatalf("a history walked over altered pages: %v, want ErrNotVerified", err)
				}
			}
		})
	}
}

// historyTamperingPrimary is a proxy in front of nodeURL that passes
// everything unchanged except /history answers, which alter rewrites
// (when it reports a change).
func historyTamperingPrimary(t *testing.T, nodeURL string, alter func(*tlv1.HistoryResponse) bool) string {
	t.Helper()
	target, _ := url.Parse(nodeURL)
	rp := httputil.NewSingleHostReverseProxy(target)
	const mark = "X-Test-History"
	rp.ModifyResponse = func(res *http.Response) error {
		if res.StatusCode != http.StatusOK || res.Request.Header.Get(mark) == "" {
			return nil
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			return err
		}
		var msg map[string]any
		if json.Unmarshal(body, &msg) == nil {
			if r, ok := msg["result"].(map[string]any); ok {
				if resp, ok := r["response"].(map[string]any); ok {
					if v, ok := resp["value"].(string); ok && v != "" {
						raw, _ := base64.StdEncoding.DecodeString(v)
						var hr tlv1.HistoryResponse
						if hr.Unmarshal(raw) == nil && alter(&hr) {
							raw, _ = hr.Marshal()
							resp["value"] = base64.StdEncoding.EncodeToString(raw)
							body, _ = json.Marshal(msg)
						}
					}
				}
			}
		}
		res.Body = io.NopCloser(bytes.NewReader(body))
		res.ContentLength = int64(len(body))
		res.Header.Del("Content-Length")
		return nil
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if bytes.Contains(body, []byte(`"`+tlv1.PathHistory+`"`)) || r.URL.Query().Get("path") == `"`+tlv1.PathHistory+`"` {
			r.Header.Set(mark, "1")
		}
		rp.ServeHTTP(w, r)
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return "http://" + l.Addr().String()
}
