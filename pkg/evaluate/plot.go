package evaluate

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// WritePlots writes one PNG per Pd curve into dir (created if missing):
// the measured points with their 95 % intervals, the ideal energy
// detector's exact curve at the same Pfa, and the Pd 0.9 line. It returns
// the files written.
func WritePlots(r *Report, dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("plots: %w", err)
	}
	var files []string
	for _, c := range r.Curves {
		f := filepath.Join(dir, "pd-"+c.Signal+".png")
		if err := plotCurve(c, f); err != nil {
			return files, fmt.Errorf("plots: %s: %w", f, err)
		}
		files = append(files, f)
	}
	return files, nil
}

func plotCurve(c PDCurve, file string) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s — Pfa %.2g per test", c.Label, c.PFA)
	p.X.Label.Text = "in-band SNR (dB)"
	p.Y.Label.Text = "probability of detection"
	p.Y.Min, p.Y.Max = 0, 1
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, pt := range c.Points {
		lo, hi = math.Min(lo, pt.SNRdB), math.Max(hi, pt.SNRdB)
	}
	lo, hi = math.Min(lo, c.IdealSNR90-3)-1, hi+1
	p.X.Min, p.X.Max = lo, hi

	ideal := IdealED{N: c.N}
	lambda := ideal.Threshold(c.PFA)
	var ic plotter.XYs
	for x := lo; x <= hi; x += 0.1 {
		ic = append(ic, plotter.XY{X: x, Y: ideal.pdAt(dbToLin(x), lambda)})
	}
	il, err := plotter.NewLine(ic)
	if err != nil {
		return err
	}
	il.Color = color.RGBA{R: 40, G: 90, B: 200, A: 255}
	il.Width = vg.Points(1.5)

	pts := make(plotter.XYs, len(c.Points))
	errs := make(plotter.YErrors, len(c.Points))
	for i, pt := range c.Points {
		pts[i] = plotter.XY{X: pt.SNRdB, Y: pt.PD}
		errs[i].Low, errs[i].High = pt.PD-pt.Lo, pt.Hi-pt.PD
	}
	ml, mp, err := plotter.NewLinePoints(pts)
	if err != nil {
		return err
	}
	red := color.RGBA{R: 200, G: 40, B: 40, A: 255}
	ml.Color, mp.Color = red, red
	mp.Shape = draw.CircleGlyph{}
	eb, err := plotter.NewYErrorBars(struct {
		plotter.XYs
		plotter.YErrors
	}{pts, errs})
	if err != nil {
		return err
	}
	eb.Color = red

	bar, err := plotter.NewLine(plotter.XYs{{X: lo, Y: BarPD}, {X: hi, Y: BarPD}})
	if err != nil {
		return err
	}
	bar.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	bar.Color = color.Gray{Y: 120}

	p.Add(plotter.NewGrid(), bar, il, ml, mp, eb)
	p.Legend.Add(fmt.Sprintf("ideal energy detector (Pd 0.9 at %.2f dB)", c.IdealSNR90), il)
	p.Legend.Add(fmt.Sprintf("cellwatch (Pd 0.9 at %s dB, gap %s dB)", fmtDB(c.SNR90), fmtDB(c.GapDB)), ml, mp)
	p.Legend.Top = false
	p.Legend.Left = false
	p.Legend.XOffs = -vg.Points(5)
	p.Legend.YOffs = vg.Points(30)
	return p.Save(16*vg.Centimeter, 11*vg.Centimeter, file)
}
