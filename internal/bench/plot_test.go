// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"image/color"
	"math"
	"reflect"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

func TestPositiveRuns(t *testing.T) {
	for _, tc := range []struct {
		name string
		x, y []float64
		want []plotter.XYs
	}{
		{"empty", nil, nil, nil},
		{"all positive", []float64{1, 2}, []float64{3, 4}, []plotter.XYs{{{X: 1, Y: 3}, {X: 2, Y: 4}}}},
		{"zero y breaks the line", []float64{1, 2, 3}, []float64{5, 0, 6}, []plotter.XYs{{{X: 1, Y: 5}}, {{X: 3, Y: 6}}}},
		{"negative x and NaN dropped", []float64{-1, 2, math.NaN(), 4}, []float64{1, 2, 3, 4}, []plotter.XYs{{{X: 2, Y: 2}}, {{X: 4, Y: 4}}}},
		{"infinite y dropped", []float64{1, 2}, []float64{math.Inf(1), 2}, []plotter.XYs{{{X: 2, Y: 2}}}},
		{"uneven lengths use the shorter", []float64{1, 2, 3}, []float64{1}, []plotter.XYs{{{X: 1, Y: 1}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := positiveRuns(Series{X: tc.x, Y: tc.y})
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("positiveRuns = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDecadeTicks(t *testing.T) {
	labels := func(ts []plot.Tick) (major []string, minor int) {
		for _, tk := range ts {
			if tk.IsMinor() {
				minor++
			} else {
				major = append(major, tk.Label)
			}
		}
		return major, minor
	}
	for _, tc := range []struct {
		name   string
		lo, hi float64
		major  []string
		minor  int
	}{
		{"one decade", 1, 10, []string{"1", "10"}, 8},
		{"1k to 100k", 1e3, 1e5, []string{"1k", "10k", "100k"}, 16},
		{"100 to 10M", 100, 1e7, []string{"100", "1k", "10k", "100k", "1M", "10M"}, 40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			major, minor := labels(decadeTicks{}.Ticks(tc.lo, tc.hi))
			if !reflect.DeepEqual(major, tc.major) || minor != tc.minor {
				t.Errorf("ticks = %v and %d minor, want %v and %d", major, minor, tc.major, tc.minor)
			}
		})
	}
}

func TestRenderSize(t *testing.T) {
	for _, tc := range []struct {
		name   string
		panels []Panel
		w, h   int
	}{
		{"no panels", nil, 300, 200},
		{"empty panel", []Panel{{Title: "empty", Diagonal: true}}, 640, 480},
		{"one series with a zero", []Panel{{Title: "t", Series: []Series{{Label: "s", Color: color.RGBA{0x1f, 0x77, 0xb4, 0xff}, X: []float64{1, 10, 100}, Y: []float64{2, 0, 50}}}}}, 800, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img, err := Render("title", tc.panels, tc.w, tc.h)
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
				t.Errorf("image is %v, want %dx%d", b, tc.w, tc.h)
			}
		})
	}
}
