package detect

import (
	"math"
	"testing"

	"github.com/cellwatch/cellwatch/pkg/dsp"
)

// wideTrials runs dwells of noise, then dwells each holding one flat 1 ms,
// 1.08 MHz burst (a 6-RB subframe) at in-band SNR snrDB, through a
// detector set up like the daemon's (6 ms dwells, the middle 80 % of the
// span searched). It returns how many of the bursts came out, and per
// trial diagnostics of where the signal's excess went.
type wideDiag struct {
	rawZ, z, hotFrac, boxRatio float64 // means over the trials
}

func wideTrials(t *testing.T, snrDB float64, trials int) (int, wideDiag) {
	t.Helper()
	dw := newDwellRig(t, 77)
	s, st, g, d, state, n, lo, hi, out := dw.s, dw.st, dw.g, dw.d, dw.state, dw.n, dw.lo, dw.hi, dw.out
	const bw, t0, dur = 1.08e6, 0.002, 0.001
	p := math.Pow(10, snrDB/10) * noiseInBand(bw)
	found := 0
	var dg wideDiag
	nb := 256
	// signal cells: frames wholly inside the burst, bins inside its band
	f0 := int(math.Ceil(t0 / d.step))
	f1 := int(math.Floor((t0+dur-d.frameLen)/d.step)) + 1
	k0 := nb/2 - int(bw/2/d.binHz) + 2
	k1 := nb/2 + int(bw/2/d.binHz) - 2
	cells := float64((f1 - f0) * (k1 - k0))
	hotLevel := 1 + 1.5/math.Sqrt(d.hotLooks)
	for range trials {
		x := s.noise(n, 1e-4)
		s.addFlat(x, p, 0, bw, t0, dur)
		st.Compute(g, x)
		level := append([]float32(nil), state.Floor.Level...)
		out = d.Process(state, g, Frame{Lo: lo, Hi: hi, DeferFrom: g.Frames}, out[:0])
		for _, b := range out {
			if !b.Shape.Clutter() && b.Start < t0+dur && b.End > t0 {
				found++
				break
			}
		}
		var raw, zz, hot float64
		for f := f0; f < f1; f++ {
			for k := k0; k < k1; k++ {
				raw += float64(g.P[f*nb+k] / level[k])
				zz += float64(d.z[f*nb+k])
				var s5 float64
				for df := -2; df <= 2; df++ {
					for dk := -2; dk <= 2; dk++ {
						s5 += float64(d.z[(f+df)*nb+k+dk])
					}
				}
				if s5/25 > hotLevel {
					hot++
				}
			}
		}
		// the best prach-box mean over the signal, over its threshold
		best := 0.0
		var thr float64
		for _, tp := range d.templates {
			if tp.name != "prach" {
				continue
			}
			thr = tp.thr
			for f := f0 - 2; f+tp.tw <= f1+2; f++ {
				for k := k0 - 4; k+tp.fw <= k1+4; k++ {
					var sm float64
					for a := f; a < f+tp.tw; a++ {
						for b := k; b < k+tp.fw; b++ {
							sm += float64(d.z[a*nb+b])
						}
					}
					best = max(best, sm/float64(tp.tw*tp.fw))
				}
			}
		}
		dg.rawZ += raw / cells
		dg.z += zz / cells
		dg.hotFrac += hot / cells
		dg.boxRatio += (best - 1) / (thr - 1)
	}
	ft := float64(trials)
	dg.rawZ, dg.z, dg.hotFrac, dg.boxRatio = dg.rawZ/ft, dg.z/ft, dg.hotFrac/ft, dg.boxRatio/ft
	t.Logf("6 RB at %.1f dB in-band: found %d/%d; mean cell over floor %.3f raw, %.3f after common mode; hot cells %.2f (hot level %.3f); best prach box excess / threshold excess %.2f",
		snrDB, found, trials, dg.rawZ, dg.z, dg.hotFrac, hotLevel, dg.boxRatio)
	return found, dg
}

// A 6-RB subframe covers half the searched span at ~1.3× the floor per
// cell near its ideal threshold: the common-mode removal must not divide
// it away. Before commonMode took its level from the sub-bands without a
// signal, 3 of these 30 were found and 57 % of the excess survived at −5 dB.
func TestWideBurstSurvivesCommonMode(t *testing.T) {
	found, dg := wideTrials(t, -2, 30)
	if found < 15 {
		t.Errorf("6 RB at −2 dB in-band: found %d of 30, want ≥ 15", found)
	}
	if kept := (dg.z - 1) / (dg.rawZ - 1); kept < 0.7 {
		t.Errorf("common-mode removal kept %.2f of the signal's excess, want ≥ 0.7", kept)
	}
}

// A signal wider than the capture, on for the whole dwell (UMTS), fills
// the searched span: it is ShapeWide, not an LTE subframe; a 6-RB
// subframe in the same dwell is not.
func TestWiderThanCaptureIsWide(t *testing.T) {
	dw := newDwellRig(t, 5)
	s, st, g, d, state, n, lo, hi, out := dw.s, dw.st, dw.g, dw.d, dw.state, dw.n, dw.lo, dw.hi, dw.out
	for _, c := range []struct {
		bw, t0, dur float64
		want        Shape
	}{
		{3.0e6, 0, rigDwell, ShapeWide},       // fills the capture, all dwell long
		{1.08e6, 0.002, 0.001, ShapeSubframe}, // a 6-RB subframe
	} {
		x := s.noise(n, 1e-4)
		s.addFlat(x, math.Pow(10, 0.8)*noiseInBand(c.bw), 0, c.bw, c.t0, c.dur)
		st.Compute(g, x)
		out = d.Process(state, g, Frame{Lo: lo, Hi: hi, DeferFrom: g.Frames}, out[:0])
		var shapes []Shape
		ok := false
		for _, b := range out {
			shapes = append(shapes, b.Shape)
			ok = ok || b.Shape == c.want
			if c.want == ShapeSubframe && b.Shape == ShapeWide {
				ok = false
				break
			}
		}
		if !ok {
			t.Errorf("%.2f MHz for %.1f ms: shapes %v, want %v", c.bw/1e6, c.dur*1e3, shapes, c.want)
		}
	}
}

// dwellRig is a detector set up like the daemon's (6 ms dwells, the
// middle 80 % of a 256-bin span searched) whose floor has learned ten
// dwells of noise.
type dwellRig struct {
	s      *synth
	st     *dsp.STFT
	g      *dsp.Grid
	d      *Detector
	state  *State
	n      int // samples per dwell
	lo, hi int
	out    []Burst
}

// rigDwell is a dwellRig's dwell, s.
const rigDwell = 0.006

func newDwellRig(t *testing.T, seed uint64) dwellRig {
	t.Helper()
	r := dwellRig{n: int(rigDwell * testFS), s: newSynth(testFS, seed), lo: 256 / 10, hi: 256 - 256/10, out: make([]Burst, 0, 64)}
	r.st, _ = dsp.NewSTFT(256, testFS, r.n)
	r.g = r.st.NewGrid()
	var err error
	r.d, err = NewDetector(Config{SampleRate: testFS, FFTSize: 256, FrameHop: 128, Window: r.st.Window(), MaxFrames: r.st.FramesFor(r.n), FalseAlarmsPerDay: 1})
	if err != nil {
		t.Fatal(err)
	}
	r.state = r.d.NewState()
	for range 10 {
		r.st.Compute(r.g, r.s.noise(r.n, 1e-4))
		r.out = r.d.Process(r.state, r.g, Frame{Lo: r.lo, Hi: r.hi, DeferFrom: r.g.Frames}, r.out[:0])
	}
	return r
}
