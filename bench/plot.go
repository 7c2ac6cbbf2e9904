// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Series is one line of a plot panel.
type Series struct {
	Label  string
	Color  color.RGBA
	Dashed bool
	X, Y   []float64
}

// Panel is one log-scaled chart.
type Panel struct {
	Title, XLabel, YLabel string
	Series                []Series
	// Diagonal draws y = x (committed = offered).
	Diagonal bool
}

var palette = []color.RGBA{
	{0x55, 0x55, 0x55, 0xff}, // kvstore: grey
	{0x1f, 0x77, 0xb4, 0xff},
	{0xd6, 0x27, 0x28, 0xff},
	{0x2c, 0xa0, 0x2c, 0xff},
	{0x94, 0x67, 0xbd, 0xff},
	{0xff, 0x7f, 0x0e, 0xff},
}

// modeColor gives every mode its own colour in every plot.
func modeColor(mode string) color.RGBA {
	for i, m := range []string{ModeKVStore, ModeSingle, ModeBatch100, ModeBatch1000, ModePrefilled} {
		if m == mode {
			return palette[i]
		}
	}
	return palette[len(palette)-1]
}

// WritePlot writes a PNG of res: committed events per second against
// offered events per second (left) and submit-to-commit latency p50 (solid)
// and p99 (dashed) against offered events per second (right), one colour
// per mode, both axes logarithmic.
func WritePlot(path string, res *Result) error {
	thr := Panel{Title: "committed vs offered load", XLabel: "offered events/s (kvstore: tx/s)", YLabel: "committed events/s", Diagonal: true}
	lat := Panel{Title: "submit-to-commit latency (solid p50, dashed p99)", XLabel: "offered events/s (kvstore: tx/s)", YLabel: "ms"}
	for _, m := range res.Modes {
		c := modeColor(m.Name)
		var x, y, p50, p99 []float64
		steps := append([]Step(nil), m.Steps...)
		if m.Half != nil {
			steps = append(steps, *m.Half)
		}
		sortSteps(steps)
		for _, s := range steps {
			x = append(x, s.OfferedEventsPerSec)
			y = append(y, s.CommittedEventsPerSec)
			p50 = append(p50, s.Latency.P50)
			p99 = append(p99, s.Latency.P99)
		}
		label := fmt.Sprintf("%s (%d ev/tx, %d B)", m.Name, m.EventsPerTx, m.TxBytes)
		thr.Series = append(thr.Series, Series{Label: label, Color: c, X: x, Y: y})
		lat.Series = append(lat.Series, Series{Label: m.Name + " p50", Color: c, X: x, Y: p50},
			Series{Label: m.Name + " p99", Color: c, Dashed: true, X: x, Y: p99})
	}
	title := fmt.Sprintf("TraceLedger vs CometBFT %s kvstore: %d validators, timeout_commit %d ms, %d CPUs, %s",
		res.CometBFT, res.Config.Validators, res.Config.TimeoutCommitMs, res.Machine.CPUs, res.Started.Format("2006-01-02 15:04 UTC"))
	img := Render(title, []Panel{thr, lat}, 1400, 660)
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("bench: write %s: %w", path, err)
	}
	return f.Close()
}

func sortSteps(s []Step) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j].OfferedEventsPerSec < s[j-1].OfferedEventsPerSec; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// Render draws panels side by side under a title on a white canvas.
func Render(title string, panels []Panel, w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	fill(img, img.Bounds(), color.RGBA{0xff, 0xff, 0xff, 0xff})
	text(img, 12, 18, title, color.RGBA{0, 0, 0, 0xff})
	pw := w / max(1, len(panels))
	for i, p := range panels {
		drawPanel(img, image.Rect(i*pw, 28, (i+1)*pw, h), p)
	}
	return img
}

// logRange returns the decade bounds covering the positive values.
func logRange(vals []float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range vals {
		if v > 0 {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if math.IsInf(lo, 1) {
		return 1, 10
	}
	lo, hi = math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if hi <= lo {
		hi = lo + 1
	}
	return lo, hi
}

func drawPanel(img *image.RGBA, r image.Rectangle, p Panel) {
	black := color.RGBA{0, 0, 0, 0xff}
	grid := color.RGBA{0xdd, 0xdd, 0xdd, 0xff}
	plot := image.Rect(r.Min.X+70, r.Min.Y+40, r.Max.X-20, r.Max.Y-130)
	text(img, plot.Min.X, r.Min.Y+14, p.Title, black)
	var xs, ys []float64
	for _, s := range p.Series {
		xs = append(xs, s.X...)
		ys = append(ys, s.Y...)
	}
	if p.Diagonal {
		xs = append(xs, ys...)
		ys = xs
	}
	x0, x1 := logRange(xs)
	y0, y1 := logRange(ys)
	px := func(v float64) int {
		return plot.Min.X + int(math.Round((math.Log10(v)-x0)/(x1-x0)*float64(plot.Dx())))
	}
	py := func(v float64) int {
		return plot.Max.Y - int(math.Round((math.Log10(v)-y0)/(y1-y0)*float64(plot.Dy())))
	}
	for d := x0; d <= x1; d++ {
		x := px(math.Pow(10, d))
		line(img, x, plot.Min.Y, x, plot.Max.Y, grid, 1, false)
		text(img, x-12, plot.Max.Y+16, tickLabel(d), black)
	}
	for d := y0; d <= y1; d++ {
		y := py(math.Pow(10, d))
		line(img, plot.Min.X, y, plot.Max.X, y, grid, 1, false)
		text(img, plot.Min.X-50, y+4, tickLabel(d), black)
	}
	line(img, plot.Min.X, plot.Max.Y, plot.Max.X, plot.Max.Y, black, 1, false)
	line(img, plot.Min.X, plot.Min.Y, plot.Min.X, plot.Max.Y, black, 1, false)
	text(img, plot.Min.X+plot.Dx()/2-60, plot.Max.Y+32, p.XLabel, black)
	text(img, r.Min.X+4, plot.Min.Y-4, p.YLabel, black)
	if p.Diagonal {
		a, b := math.Pow(10, math.Max(x0, y0)), math.Pow(10, math.Min(x1, y1))
		line(img, px(a), py(a), px(b), py(b), color.RGBA{0xaa, 0xaa, 0xaa, 0xff}, 1, true)
	}
	for _, s := range p.Series {
		prevOK := false
		var lx, ly int
		for i := range s.X {
			if s.X[i] <= 0 || s.Y[i] <= 0 {
				prevOK = false
				continue
			}
			x, y := px(s.X[i]), py(s.Y[i])
			if prevOK {
				line(img, lx, ly, x, y, s.Color, 2, s.Dashed)
			}
			fill(img, image.Rect(x-3, y-3, x+4, y+4), s.Color)
			lx, ly, prevOK = x, y, true
		}
	}
	// legend below the axis label, two columns
	ly := plot.Max.Y + 48
	for i, s := range p.Series {
		col, row := i%2, i/2
		x := plot.Min.X + col*(plot.Dx()/2)
		y := ly + row*15
		line(img, x, y-4, x+24, y-4, s.Color, 2, s.Dashed)
		text(img, x+30, y, s.Label, black)
	}
}

// tickLabel writes 10^d compactly: 1, 10, 100, 1k, 10k, 100k, 1M.
func tickLabel(d float64) string {
	v := math.Pow(10, d)
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%gM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%gk", v/1e3)
	}
	return fmt.Sprintf("%g", v)
}

func fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, c)
		}
	}
}

// line draws from (x0,y0) to (x1,y1) with the given width; dashed lines
// draw 6 pixels and skip 4.
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA, width int, dashed bool) {
	dx, dy := x1-x0, y1-y0
	n := max(abs(dx), abs(dy))
	if n == 0 {
		fill(img, image.Rect(x0, y0, x0+width, y0+width), c)
		return
	}
	for i := 0; i <= n; i++ {
		if dashed && i%10 >= 6 {
			continue
		}
		x := x0 + int(math.Round(float64(dx*i)/float64(n)))
		y := y0 + int(math.Round(float64(dy*i)/float64(n)))
		fill(img, image.Rect(x, y, x+width, y+width), c)
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func text(img *image.RGBA, x, y int, s string, c color.RGBA) {
	d := &font.Drawer{Dst: img, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}
