// SPDX-License-Identifier: Apache-2.0

// Package label makes the QR labels that open the portal: a QR code of an
// identifier's GS1 Digital Link URL on the resolver's domain (scanned, it
// reaches the API server's resolver, which sends a browser to the product
// page), with the human-readable code beneath, as PNG or SVG. The QR
// symbol comes from github.com/skip2/go-qrcode; nothing here encodes QR.
package label

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"net/url"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/traceledger/traceledger/epcis"
)

// ErrNotGS1 reports an identifier that has no GS1 Digital Link (a national
// code or another URI): its label cannot open the resolver.
var ErrNotGS1 = errors.New("not a GS1 key")

// gs1Domain is the domain canonical Digital Links are written on.
const gs1Domain = "https://id.gs1.org"

// URL returns the Digital Link of identifier (any spelling: EPC URI,
// Digital Link on any domain) on the resolver at base (scheme and host,
// e.g. https://trace.example.gov.cn).
func URL(base, identifier string) (string, error) {
	b, err := url.Parse(strings.TrimSuffix(base, "/"))
	if err != nil || (b.Scheme != "https" && b.Scheme != "http") || b.Host == "" || b.RawQuery != "" || b.Fragment != "" {
		return "", fmt.Errorf("resolver URL %q: give scheme and host, e.g. https://trace.example.gov.cn", base)
	}
	c, err := epcis.CanonicalIdentifier(identifier)
	if err != nil {
		return "", fmt.Errorf("identifier %q: %w", identifier, err)
	}
	if _, gs1 := epcis.DigitalLink(c); !gs1 || !strings.HasPrefix(c, gs1Domain+"/") {
		return "", fmt.Errorf("%w: %q (canonical %q) has no GS1 Digital Link; a label needs a GTIN with lot or serial, an SSCC, a GLN, ...", ErrNotGS1, identifier, c)
	}
	return strings.TrimSuffix(b.String(), "/") + strings.TrimPrefix(c, gs1Domain), nil
}

// Label is a QR code of URL with Text beneath.
type Label struct {
	URL, Text string
	qr        *qrcode.QRCode
}

// New encodes u (error correction level M: a label survives some dirt).
func New(u, text string) (*Label, error) {
	qr, err := qrcode.New(u, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("encode the QR code: %w", err)
	}
	return &Label{URL: u, Text: text, qr: qr}, nil
}

// textHeight is the height of the text band beneath the code, in pixels
// of a PNG (basicfont's 13-pixel face, scaled with the code).
const textHeight = 20

// PNG renders the label size pixels wide (at least the code's modules
// plus its quiet zone).
func (l *Label) PNG(size int) ([]byte, error) {
	bits := l.qr.Bitmap()
	n := len(bits)
	scale := max(size/n, 1)
	face := basicfont.Face7x13
	lines := wrap(l.Text, max(n*scale/7, 8))
	w, h := n*scale, n*scale+len(lines)*textHeight+4
	img := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	for y, row := range bits {
		for x, dark := range row {
			if dark {
				draw.Draw(img, image.Rect(x*scale, y*scale, (x+1)*scale, (y+1)*scale), image.Black, image.Point{}, draw.Src)
			}
		}
	}
	d := &font.Drawer{Dst: img, Src: image.NewUniform(color.Black), Face: face}
	for i, line := range lines {
		adv := d.MeasureString(line).Round()
		d.Dot = fixed.P(max((w-adv)/2, 0), n*scale+(i+1)*textHeight-4)
		d.DrawString(line)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encode the PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// SVG renders the label as an SVG document size user units wide.
func (l *Label) SVG(size int) []byte {
	bits := l.qr.Bitmap()
	n := len(bits)
	scale := max(size/n, 1)
	lines := wrap(l.Text, max(n*scale/8, 8))
	w, h := n*scale, n*scale+len(lines)*textHeight+6
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">`, w, h, w, h, html.EscapeString(l.URL))
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, w, h)
	for y, row := range bits {
		for x, dark := range row {
			if dark {
				fmt.Fprintf(&b, "M%d %dh%dv%dh-%dz", x*scale, y*scale, scale, scale, scale)
			}
		}
	}
	b.WriteString(`"/>`)
	for i, line := range lines {
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-family="monospace" font-size="13" text-anchor="middle">%s</text>`, w/2, n*scale+(i+1)*textHeight-2, html.EscapeString(line))
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// wrap breaks s into lines of at most width characters, at slashes where
// it can.
func wrap(s string, width int) []string {
	var out []string
	for len(s) > width {
		cut := strings.LastIndex(s[:width], "/")
		if cut <= 0 {
			cut = width
		}
		out = append(out, s[:cut])
		s = s[cut:]
	}
	return append(out, s)
}

// HumanReadable is the GS1 element string of a Digital Link
// ("(01)09506000134352(10)LOT1"), printed beneath the code.
func HumanReadable(digitalLink string) string {
	u, err := url.Parse(digitalLink)
	if err != nil {
		return digitalLink
	}
	parts := strings.Split(strings.Trim(u.EscapedPath(), "/"), "/")
	if len(parts)%2 != 0 {
		return digitalLink
	}
	var b strings.Builder
	for i := 0; i < len(parts); i += 2 {
		v, err := url.PathUnescape(parts[i+1])
		if err != nil {
			return digitalLink
		}
		fmt.Fprintf(&b, "(%s)%s", parts[i], v)
	}
	return b.String()
}
