// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
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
	img, err := Render(title, []Panel{thr, lat}, 1400, 660)
	if err != nil {
		return err
	}
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

// pixelDPI is the resolution Render draws at; with it one pixel is
// 72/96 of a point, the unit gonum/plot measures in.
const pixelDPI = 96

// px converts pixels at pixelDPI to a plot length.
func px(n float64) vg.Length { return vg.Length(n) * vg.Inch / pixelDPI }

// Render draws panels side by side under a title on a white canvas of
// w by h pixels, each panel with its legend below it in two columns.
func Render(title string, panels []Panel, w, h int) (image.Image, error) {
	canvas := vgimg.NewWith(vgimg.UseWH(px(float64(w)), px(float64(h))), vgimg.UseDPI(pixelDPI))
	dc := draw.New(canvas)
	head := textStyle(13)
	head.YAlign = draw.YTop
	dc.FillText(head, vg.Point{X: dc.Min.X + px(12), Y: dc.Max.Y - px(6)}, title)
	body := draw.Crop(dc, 0, 0, 0, -px(36))
	tiles := draw.Tiles{Rows: 1, Cols: max(1, len(panels))}
	for i, p := range panels {
		if err := drawPanel(tiles.At(body, i, 0), p); err != nil {
			return nil, err
		}
	}
	img, ok := canvas.Image().(*image.RGBA)
	if !ok {
		return nil, fmt.Errorf("bench: plot canvas is a %T, not an RGBA image", canvas.Image())
	}
	return img, nil
}

// textStyle is the plot's default font at size points.
func textStyle(size vg.Length) text.Style {
	return text.Style{
		Color:   color.Black,
		Font:    font.From(plot.DefaultFont, size),
		Handler: plot.DefaultTextHandler,
	}
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

// decadeTicks marks every power of ten with a tickLabel and the
// multiples 2..9 between them as unlabelled minor ticks.
type decadeTicks struct{}

// Ticks implements plot.Ticker.
func (decadeTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for d := math.Floor(math.Log10(lo)); math.Pow(10, d) <= hi*(1+1e-9); d++ {
		v := math.Pow(10, d)
		ticks = append(ticks, plot.Tick{Value: v, Label: tickLabel(d)})
		for k := 2.0; k < 10 && k*v <= hi; k++ {
			ticks = append(ticks, plot.Tick{Value: k * v})
		}
	}
	return ticks
}

// seriesStyles returns the line and point styles of s.
func seriesStyles(s Series) (draw.LineStyle, draw.GlyphStyle) {
	line := draw.LineStyle{Color: s.Color, Width: px(2)}
	if s.Dashed {
		line.Dashes = []vg.Length{px(6), px(4)}
	}
	return line, draw.GlyphStyle{Color: s.Color, Radius: px(3.5), Shape: draw.BoxGlyph{}}
}

// positiveRuns splits the points of s where a coordinate is not positive
// (a log axis cannot show it), so the line breaks there.
func positiveRuns(s Series) []plotter.XYs {
	var runs []plotter.XYs
	var cur plotter.XYs
	for i := range min(len(s.X), len(s.Y)) {
		x, y := s.X[i], s.Y[i]
		if x <= 0 || y <= 0 || math.IsInf(x, 0) || math.IsInf(y, 0) || math.IsNaN(x) || math.IsNaN(y) {
			if len(cur) > 0 {
				runs = append(runs, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, plotter.XY{X: x, Y: y})
	}
	if len(cur) > 0 {
		runs = append(runs, cur)
	}
	return runs
}

// drawPanel draws p into c: the chart on top, its legend below.
func drawPanel(c draw.Canvas, p Panel) error {
	c = draw.Crop(c, px(8), -px(16), px(6), 0)
	legends := [2]plot.Legend{plot.NewLegend(), plot.NewLegend()}
	for i := range legends {
		legends[i].Left, legends[i].Top = true, true
		legends[i].TextStyle = textStyle(10)
		legends[i].ThumbnailWidth = px(24)
		legends[i].Padding = px(2)
	}

	pl := plot.New()
	pl.Title.Text = p.Title
	pl.Title.Padding = px(8)
	pl.X.Label.Text, pl.Y.Label.Text = p.XLabel, p.YLabel
	pl.X.Scale, pl.Y.Scale = plot.LogScale{}, plot.LogScale{}
	pl.X.Tick.Marker, pl.Y.Tick.Marker = decadeTicks{}, decadeTicks{}
	grid := plotter.NewGrid()
	grid.Vertical = draw.LineStyle{Color: color.RGBA{0xdd, 0xdd, 0xdd, 0xff}, Width: px(1)}
	grid.Horizontal = grid.Vertical
	pl.Add(grid)

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
	if p.Diagonal {
		a, b := math.Pow(10, math.Max(x0, y0)), math.Pow(10, math.Min(x1, y1))
		diag, err := plotter.NewLine(plotter.XYs{{X: a, Y: a}, {X: b, Y: b}})
		if err != nil {
			return fmt.Errorf("bench: plot %q: diagonal: %w", p.Title, err)
		}
		diag.LineStyle = draw.LineStyle{Color: color.RGBA{0xaa, 0xaa, 0xaa, 0xff}, Width: px(1), Dashes: []vg.Length{px(6), px(4)}}
		pl.Add(diag)
	}
	for i, s := range p.Series {
		lineStyle, glyphStyle := seriesStyles(s)
		for _, run := range positiveRuns(s) {
			line, points, err := plotter.NewLinePoints(run)
			if err != nil {
				return fmt.Errorf("bench: plot %q: series %q: %w", p.Title, s.Label, err)
			}
			line.LineStyle, points.GlyphStyle = lineStyle, glyphStyle
			pl.Add(line, points)
		}
		legends[i%2].Add(s.Label, &plotter.Line{LineStyle: lineStyle})
	}
	// Fix the axes to whole decades after Add widened them to the data.
	pl.X.Min, pl.X.Max = math.Pow(10, x0), math.Pow(10, x1)
	pl.Y.Min, pl.Y.Max = math.Pow(10, y0), math.Pow(10, y1)

	legendH := max(legends[0].Rectangle(c).Size().Y, legends[1].Rectangle(c).Size().Y)
	if legendH > 0 {
		legendH += px(14)
	}
	pl.Draw(draw.Crop(c, 0, 0, legendH, 0))
	area := draw.Crop(c, px(62), 0, 0, 0)
	area.Max.Y = area.Min.Y + legendH - px(8)
	cols := draw.Tiles{Rows: 1, Cols: 2}
	for i := range legends {
		legends[i].Draw(cols.At(area, i, 0))
	}
	return nil
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
