// SPDX-License-Identifier: Apache-2.0

package label_test

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/traceledger/traceledger/portal/label"
)

func TestURL(t *testing.T) {
	for _, tc := range []struct{ base, id, want string }{
		{"https://trace.example.gov.cn", "urn:epc:class:lgtin:6901234.500012.LOT1", "https://trace.example.gov.cn/01/56901234000127/10/LOT1"},
		{"http://127.0.0.1:8080/", "https://example.com/01/56901234000127/10/LOT1?x=1", "http://127.0.0.1:8080/01/56901234000127/10/LOT1"},
		{"https://r.example", "urn:epc:id:sgtin:6901234.500012.SER9", "https://r.example/01/56901234000127/21/SER9"},
	} {
		got, err := label.URL(tc.base, tc.id)
		if err != nil || got != tc.want {
			t.Errorf("URL(%q, %q) = %q, %v; want %q", tc.base, tc.id, got, err, tc.want)
		}
	}
	if _, err := label.URL("https://r.example", "urn:x:lot:L1"); !errors.Is(err, label.ErrNotGS1) {
		t.Errorf("a non-GS1 identifier: %v, want ErrNotGS1", err)
	}
	for _, bad := range []string{"", "r.example", "ftp://r.example", "https://r.example/?q=1"} {
		if _, err := label.URL(bad, "urn:epc:class:lgtin:6901234.500012.LOT1"); err == nil {
			t.Errorf("resolver %q accepted", bad)
		}
	}
	if got := label.HumanReadable("https://r.example/01/56901234000127/10/LOT%2F1"); got != "(01)56901234000127(10)LOT/1" {
		t.Errorf("HumanReadable: %q", got)
	}
}

// TestPNGDecodes: the PNG label decodes back to its URL with a QR decoder.
func TestPNGDecodes(t *testing.T) {
	u := "https://trace.example.gov.cn/01/56901234000127/10/LOT1"
	l, err := label.New(u, label.HumanReadable(u))
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{120, 512} {
		b, err := l.PNG(size)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if got := decode(t, img); got != u {
			t.Errorf("size %d: decodes to %q, want %q", size, got, u)
		}
	}
	svg := string(l.SVG(300))
	if !strings.HasPrefix(svg, "<svg ") || !strings.Contains(svg, "(01)56901234000127(10)LOT1") {
		t.Errorf("SVG: %.200s", svg)
	}
}

func decode(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("decode the QR code: %v", err)
	}
	return res.GetText()
}
