// SPDX-License-Identifier: Apache-2.0

package portal_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/traceledger/traceledger/portal"
	"github.com/traceledger/traceledger/portal/label"
	"github.com/traceledger/traceledger/portal/verify"
)

// pageState is what the test reads from the product page.
type pageState struct {
	State      string   `json:"state"`
	Height     string   `json:"height"`
	Records    string   `json:"records"`
	VerifyMs   string   `json:"verifyMs"`
	Text       string   `json:"text"`
	Errors     []string `json:"errors"`
	Recall     string   `json:"recall"`
	GraphNodes int      `json:"graphNodes"`
	Timeline   int      `json:"timeline"`
	Unverified int      `json:"unverified"`
	Certs      string   `json:"certs"`
	Credit     string   `json:"credit"`
	Links      string   `json:"links"`
	Marked     bool     `json:"marked"`
	Path       string   `json:"path"`
}

const readState = `(() => {
  const v = document.getElementById('verdict');
  const txt = (id) => (document.getElementById(id) || {}).textContent || '';
  return {
    state: v.dataset.state, height: v.dataset.height || '', records: v.dataset.records || '', verifyMs: v.dataset.verifyMs || '',
    text: txt('verdict-text'), errors: [...document.querySelectorAll('#verdict-errors li')].map((e) => e.textContent),
    recall: document.getElementById('recall').hidden ? '' : txt('recall'),
    graphNodes: document.querySelectorAll('#graph svg g.node').length,
    timeline: document.querySelectorAll('#timeline li').length,
    unverified: document.querySelectorAll('#timeline .badge.bad').length,
    certs: txt('certs'), credit: txt('credit'), links: txt('links'),
    marked: document.getElementById('product').classList.contains('unverified'),
    path: location.pathname,
  };
})()`

// waitVerdict waits until the page's verification has ended and reads the
// page.
func waitVerdict(t *testing.T, ctx context.Context) pageState {
	t.Helper()
	// A navigation (a redirect, the search) ends a poll: poll again.
	deadline := time.Now().Add(4 * time.Minute)
	for {
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => { const v = document.getElementById('verdict'); return !!v && !!v.dataset.state && v.dataset.state !== 'checking'; })()`,
			chromedp.WithPollingInterval(200*time.Millisecond), chromedp.WithPollingTimeout(4*time.Minute)))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for the verdict: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	st, err := chromedp.Run(ctx, chromedp.Evaluate[pageState](readState))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// shoot saves a full-page screenshot in the test's directory and, when
// TRACELEDGER_SCREENSHOTS names a directory, there too.
func shoot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dirs := []string{dir}
	if d := os.Getenv("TRACELEDGER_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		if err := os.WriteFile(filepath.Join(d, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshot %s (%d bytes)", filepath.Join(dir, name), len(png))
}

func mustDo(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// TestPortalInChromium runs the portal in headless Chromium against a real
// node: the product page of a lot verifies in the browser (the header path
// from the genesis the page carries, every record, completeness, the
// trace back) and says so with the right height and record count, shows
// the recall of an input, the certification and the credit status, in
// Chinese and in English, on a phone and a desktop screen; search and the
// GS1 resolver land on it; and behind a proxy that changes one byte of one
// record the page says verification failed and marks the data.
func TestPortalInChromium(t *testing.T) {
	bin := chromium(t)
	n := startNetwork(t)
	base := n.apiServer(t)
	gen, err := portal.CompactGenesis(n.doc)
	if err != nil {
		t.Fatal(err)
	}
	lot := canonical(t, lotL1)
	ctx := context.Background()
	vh, _, err := n.c.History(ctx, lot)
	if err != nil {
		t.Fatal(err)
	}
	wantRecords := len(vh.Records)

	// The Go verifier on what the page reads.
	in := fetchInput(t, base, lot, gen)
	res := verify.Verify(in)
	if !res.Verified {
		t.Fatalf("the Go verifier refuses the honest answers: %v", res.Errors)
	}
	if res.History == nil || int(res.History.Count) != wantRecords || len(res.Recalls) != 1 || len(res.Recalls[0].Recall.Covers) != 1 ||
		res.Recalls[0].Recall.Covers[0] != canonical(t, lotP1) || res.Graph == nil || len(res.Graph.Nodes) != 4 {
		b, _ := json.MarshalIndent(res, "", " ")
		t.Fatalf("the Go verifier's result: %s", b)
	}

	dir := t.TempDir()
	actx, cancelA := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true))...)
	defer cancelA()
	bctx, cancelB := chromedp.NewContext(actx)
	defer cancelB()
	mustDo(t, bctx, chromedp.Navigate("about:blank"))
	go func() {
		for m, err := range chromedp.Console(bctx) {
			if err != nil {
				return
			}
			t.Logf("browser console: %s", m)
		}
	}()

	page := base + "/portal/p/" + url.PathEscape(lot)
	t.Run("phone", func(t *testing.T) {
		mustDo(t, bctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulatePortrait),
			chromedp.Navigate(page))
		st := waitVerdict(t, bctx)
		if st.State != "verified" {
			t.Fatalf("the page says %q: %s %v", st.State, st.Text, st.Errors)
		}
		h, _ := strconv.ParseInt(st.Height, 10, 64)
		latest, _, err := n.c.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if h <= 0 || h > latest.Roots.Height || !strings.Contains(st.Text, "区块高度 "+st.Height) || !strings.Contains(st.Text, "已验证") ||
			!strings.Contains(st.Text, "由 1 个部门中的 1 个签名") {
			t.Errorf("verdict %q at height %q (latest %d)", st.Text, st.Height, latest.Roots.Height)
		}
		if st.Records != strconv.Itoa(wantRecords) || !strings.Contains(st.Text, "共 "+strconv.Itoa(wantRecords)+" 条记录") {
			t.Errorf("records %q, text %q: want %d", st.Records, st.Text, wantRecords)
		}
		if !strings.Contains(st.Recall, "召回") || !strings.Contains(st.Recall, "pesticide residue") || !strings.Contains(st.Recall, "原料") {
			t.Errorf("recall banner %q", st.Recall)
		}
		if st.GraphNodes != 4 || st.Timeline < 7 || st.Unverified != 0 || st.Marked {
			t.Errorf("graph nodes %d, timeline %d, unverified marks %d, marked %v", st.GraphNodes, st.Timeline, st.Unverified, st.Marked)
		}
		if !strings.Contains(st.Certs, "GF-2026-001") || !strings.Contains(st.Certs, "有效") {
			t.Errorf("certifications %q", st.Certs)
		}
		if !strings.Contains(st.Credit, "Mountain Foods Co.") || !strings.Contains(st.Credit, "正常") {
			t.Errorf("credit %q", st.Credit)
		}
		if !strings.Contains(st.Links, "投入品使用") || !strings.Contains(st.Links, "产地环境认证 — 未记录") {
			t.Errorf("seven links %q", st.Links)
		}
		t.Logf("phone: %s (verified in %s ms in the browser)", st.Text, st.VerifyMs)
		shoot(t, bctx, dir, "phone-zh.png")

		mustDo(t, bctx, chromedp.Click("#lang"))
		st2, err := chromedp.Run(bctx, chromedp.Evaluate[pageState](readState))
		if err != nil {
			t.Fatal(err)
		}
		want := "Verified by 1 of 1 departments at height " + st.Height
		if !strings.HasPrefix(st2.Text, want) || !strings.Contains(st2.Recall, "RECALL") || !strings.Contains(st2.Links, "Use of inputs") {
			t.Errorf("English: %q (want %q...), recall %q", st2.Text, want, st2.Recall)
		}
		shoot(t, bctx, dir, "phone-en.png")
	})

	t.Run("desktop", func(t *testing.T) {
		mustDo(t, bctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(page))
		st := waitVerdict(t, bctx)
		if st.State != "verified" || !strings.HasPrefix(st.Text, "Verified by 1 of 1 departments") {
			t.Fatalf("desktop: %q %q %v", st.State, st.Text, st.Errors)
		}
		shoot(t, bctx, dir, "desktop-en.png")
	})

	gtinLot := strings.TrimPrefix(lot, "https://id.gs1.org")
	t.Run("search and resolver", func(t *testing.T) {
		parts := strings.Split(strings.Trim(gtinLot, "/"), "/") // 01, gtin, 10, lot
		element := "(01)" + parts[1] + "(10)" + parts[3]
		mustDo(t, bctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
			chromedp.Navigate(base+"/"), chromedp.WaitVisible("#q"), chromedp.SendKeys("#q", element), chromedp.Submit("#q"))
		productPath := func(st pageState) string { p, _ := url.PathUnescape(st.Path); return p }
		want := "/portal/p/" + lot
		if st := waitVerdict(t, bctx); st.State != "verified" || productPath(st) != want {
			t.Errorf("search %s: %q at %s", element, st.State, st.Path)
		}
		// A QR label's URL (the GS1 resolver) sends the browser there too,
		// and so does an EPC URI typed in the search box.
		labelURL, err := label.URL(base, lotL1)
		if err != nil || labelURL != base+gtinLot {
			t.Fatalf("label URL %q, %v; want %q", labelURL, err, base+gtinLot)
		}
		mustDo(t, bctx, chromedp.Navigate(labelURL))
		if st := waitVerdict(t, bctx); st.State != "verified" || productPath(st) != want {
			t.Errorf("resolver %s: %q at %s", gtinLot, st.State, st.Path)
		}
		mustDo(t, bctx, chromedp.Navigate(base+"/?q="+url.QueryEscape(lotL1)))
		if st := waitVerdict(t, bctx); st.State != "verified" || productPath(st) != want {
			t.Errorf("EPC URI %s: %q at %s", lotL1, st.State, st.Path)
		}
	})

	t.Run("fifty records", func(t *testing.T) {
		b50 := canonical(t, lotB50)
		mustDo(t, bctx, chromedp.Navigate(base+"/portal/p/"+url.PathEscape(b50)))
		st := waitVerdict(t, bctx)
		if st.State != "verified" || st.Records != "50" {
			t.Fatalf("50-record history: %q, %s records: %v", st.State, st.Records, st.Errors)
		}
		in := fetchInput(t, base, b50, gen)
		var best time.Duration
		for range 5 {
			t0 := time.Now()
			if r := verify.Verify(in); !r.Verified {
				t.Fatalf("Go verifier on the 50-record history: %v", r.Errors)
			}
			if d := time.Since(t0); best == 0 || d < best {
				best = d
			}
		}
		t.Logf("50-record history: verified in %s ms in Chromium (performance.now, first run), %.2f ms in Go (native, best of 5)", st.VerifyMs, float64(best.Microseconds())/1000)
		// The WebAssembly verifier in the page and the Go verifier give the
		// same result on the same input, honest and tampered.
		for name, input := range map[string]verify.Input{"honest": in, "tampered": tamperInput(t, in)} {
			b, _ := json.Marshal(input)
			lit, _ := json.Marshal(string(b))
			type verdict struct {
				Verified bool     `json:"verified"`
				Errors   []string `json:"errors"`
				Count    uint64   `json:"count"`
				Nodes    int      `json:"nodes"`
				Records  int      `json:"records_checked"`
			}
			page, err := chromedp.Run(bctx, chromedp.Evaluate[verdict](`(() => { const r = JSON.parse(window.traceledgerVerify(`+string(lit)+`));
  return {verified: r.verified, errors: r.errors, count: r.history ? r.history.count : 0, nodes: r.graph ? r.graph.nodes.length : 0, records_checked: r.records_checked}; })()`))
			if err != nil {
				t.Fatal(err)
			}
			g := verify.Verify(input)
			want := verdict{Verified: g.Verified, Errors: g.Errors, Records: g.Records}
			if g.History != nil {
				want.Count = g.History.Count
			}
			if g.Graph != nil {
				want.Nodes = len(g.Graph.Nodes)
			}
			if fmt.Sprint(page) != fmt.Sprint(want) {
				t.Errorf("%s: the page's verifier says %+v, the Go verifier %+v", name, page, want)
			}
			if name == "honest" {
				best, err := chromedp.Run(bctx, chromedp.Evaluate[float64](`(() => { const s = `+string(lit)+`; let best = 1e9;
  for (let i = 0; i < 5; i++) { const t0 = performance.now(); window.traceledgerVerify(s); best = Math.min(best, performance.now() - t0); }
  return best; })()`))
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("50-record history in Chromium: best of 5 %.1f ms (performance.now)", best)
			}
			if name == "tampered" && page.Verified {
				t.Error("the page's verifier accepts the tampered input")
			}
		}
		if os.Getenv("TRACELEDGER_WRITE_TESTDATA") != "" {
			b, _ := json.Marshal(in)
			if err := os.WriteFile(filepath.Join("verify", "testdata", "history50.json"), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("lying proxy", func(t *testing.T) {
		target := vh.Records[0].Index
		liar := lyingProxy(t, base, target)
		if r := verify.Verify(fetchInput(t, liar, lot, gen)); r.Verified {
			t.Fatal("the Go verifier accepts an altered record")
		}
		mustDo(t, bctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
			chromedp.Navigate(liar+"/portal/p/"+url.PathEscape(lot)))
		st := waitVerdict(t, bctx)
		if st.State != "failed" || !strings.Contains(st.Text, "验证失败") || len(st.Errors) == 0 || !st.Marked || st.Unverified == 0 {
			t.Fatalf("behind the lying proxy the page says %q (%q), errors %v, marked %v, %d records marked unverified", st.State, st.Text, st.Errors, st.Marked, st.Unverified)
		}
		t.Logf("lying proxy: %q, first error %q", st.Text, st.Errors[0])
		shoot(t, bctx, dir, "phone-lie.png")
	})
}

// tamperInput is in with one byte of the bundle's first record changed.
func tamperInput(t *testing.T, in verify.Input) verify.Input {
	t.Helper()
	var b map[string]any
	if err := json.Unmarshal(in.Bundle, &b); err != nil {
		t.Fatal(err)
	}
	alter(b, uint64(b["records"].([]any)[0].(map[string]any)["index"].(float64)))
	out := in
	out.Bundle, _ = json.Marshal(b)
	return out
}
