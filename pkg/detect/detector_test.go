package detect

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/cellwatch/cellwatch/pkg/dsp"

	"github.com/cellwatch/cellwatch/internal/cputime"
)

const testFS = 2.4e6

func noiseInBand(bw float64) float64 { return 1e-4 * bw / testFS } // for total noise power 1e-4

func TestThresholdMatchesBudget(t *testing.T) {
	// One cell of a rectangular-free grid is one exponential look.
	if l := boxLooks(dsp.Hann(256), 256, 1, 1); math.Abs(l-1) > 1e-9 {
		t.Errorf("one cell holds %v looks, want 1", l)
	}
	// Neighbouring Hann bins correlate: 2 bins hold 4/(2+2·4/9) looks.
	if l, want := boxLooks(dsp.Hann(256), 256, 1, 2), 4/(2+8.0/9); math.Abs(l-want) > 1e-6 {
		t.Errorf("2 bins hold %v looks, want %v", l, want)
	}
	for _, c := range []struct{ looks, floor, pfa float64 }{{80, 0, 1e-10}, {80, 200, 1e-10}, {700, 30, 1e-6}, {5, 1e4, 1e-3}} {
		x := ratioThreshold(c.looks, c.floor, c.pfa)
		if got := exceedProb(c.looks, c.floor, x); math.Abs(math.Log(got/c.pfa)) > 1e-3 {
			t.Errorf("looks %v floor %v: P(exceed %v) = %g, want %g", c.looks, c.floor, x, got, c.pfa)
		}
	}
	// An imperfect floor must cost threshold.
	if ratioThreshold(80, 50, 1e-9) <= ratioThreshold(80, 0, 1e-9) {
		t.Error("a 50-look floor does not raise the threshold")
	}
}

func TestFloorIgnoresBurstsAndLearnsCarriers(t *testing.T) {
	s := newSynth(testFS, 7)
	x := s.noise(int(0.05*testFS), 1e-4)
	// A GSM-like call: 577 µs every 4.615 ms, 20 dB in-band, at −400 kHz.
	for t0 := 0.001; t0 < 0.05; t0 += GSMFrame {
		s.addFlat(x, 100*noiseInBand(180e3), -400e3, 180e3, t0, 577e-6)
	}
	s.addTone(x, 1e-4*10, 500e3)
	st, _ := dsp.NewSTFT(256, testFS, len(x))
	g := st.NewGrid()
	st.Compute(g, x)
	f := NewNoiseFloor(256, g.Frames)
	f.Update(g, 0, 256)
	k := 128 - int(400e3/g.BinHz)
	if r := 10 * math.Log10(float64(f.Level[k])/1e-4); math.Abs(r) > 0.5 {
		t.Errorf("floor under a 1/8-duty call is %+.2f dB off the noise", r)
	}
	kt := 128 + int(500e3/g.BinHz)
	if float64(f.Level[kt]) < 100*1e-4 {
		t.Errorf("a carrier present through a long first look should be learned as floor, got %g", f.Level[kt])
	}
	if f.Looks() < 100 {
		t.Errorf("floor from %d frames is worth only %.0f looks", g.Frames, f.Looks())
	}
}

func TestNoiseAloneIsSilent(t *testing.T) {
	s := newSynth(testFS, 11)
	// 40 dwells of 25 ms at one tune: 1 s of noise. At one false alarm a day
	// the expected count is ~1e-5.
	var all []Burst
	for i := 0; i < 40; i++ {
		x := s.noise(int(0.025*testFS), 1e-4)
		_, bs := runDetector(testFS, x, len(x))
		all = append(all, bs...)
	}
	if len(all) > 0 {
		t.Errorf("%d bursts in pure noise: %+v", len(all), all[0])
	}
}

func TestBurstsMeasuredAndClassified(t *testing.T) {
	s := newSynth(testFS, 1)
	x := s.noise(int(0.1*testFS), 1e-4)
	s.addFlat(x, 10*noiseInBand(180e3), -500e3, 180e3, 0.010, 1e-3)  // LTE 1 RB × 1 ms, 10 dB
	s.addFlat(x, 10*noiseInBand(1080e3), 300e3, 1080e3, 0.040, 1e-3) // 6 RB, 10 dB
	s.addChirp(x, 1e-4*3, -200e3, 125e3, 1.024e-3, 0.060, 0.030)     // LoRa SF7-like packet
	s.addTone(x, 1e-4*30, -900e3)                                    // CW spur
	ems, bursts := runDetector(testFS, x, len(x))
	var lte, clutter int
	for _, e := range ems {
		switch e.Tech {
		case LTE:
			lte++
		case Clutter:
			clutter++
		default:
			t.Errorf("unexpected emission %+v", e)
		}
	}
	if lte != 2 {
		t.Errorf("want the two LTE subframes, got %d LTE emissions: %+v", lte, ems)
	}
	if clutter < 1 {
		t.Errorf("the chirp should be clutter: %+v", ems)
	}
	for _, e := range ems {
		if e.Tech != Clutter && e.Start < 0.09 && e.End > 0.06 && e.FreqHz-e.BandwidthHz/2 < -130e3 && e.FreqHz+e.BandwidthHz/2 > -270e3 {
			t.Errorf("chirp band reported as a handset: %+v", e)
		}
		if e.Tech != Clutter && math.Abs(e.FreqHz+900e3) < 50e3 {
			t.Errorf("CW line reported as a handset: %+v", e)
		}
	}
	for _, b := range bursts {
		if b.Shape != ShapeSubframe {
			continue
		}
		if d := b.Duration(); math.Abs(d-1e-3) > 0.12e-3 {
			t.Errorf("subframe measured %.3f ms", d*1e3)
		}
		if math.Abs(b.Centre()+500e3) < 50e3 {
			if bw := b.Bandwidth(); math.Abs(bw-180e3) > 25e3 {
				t.Errorf("1 RB measured %.0f kHz", bw/1e3)
			}
			if math.Abs(b.SNRdB-10) > 1.5 {
				t.Errorf("1 RB SNR %.1f dB, want 10", b.SNRdB)
			}
		}
	}
}

func TestShortLookCapsTheFloor(t *testing.T) {
	// A recording shorter than a burst gap: a 0.9 ms, 1 MHz signal filling
	// the whole file must still be found (PRACH capture).
	s := newSynth(testFS, 5)
	x := s.noise(int(0.0009*testFS), 1e-4)
	s.addFlat(x, 100*noiseInBand(1.05e6), 0, 1.05e6, 0, 0.0009)
	_, bursts := runDetector(testFS, x, len(x))
	if len(bursts) != 1 || math.Abs(bursts[0].Bandwidth()-1.05e6) > 60e3 {
		t.Fatalf("want one 1.05 MHz burst, got %+v", bursts)
	}
}

// dwellWithBurst is one 25 ms dwell at 2.4 MS/s holding a 10 dB, 1 RB
// subframe, and a detector for it.
func dwellWithBurst(tb testing.TB) (*Detector, *dsp.Grid) {
	tb.Helper()
	s := newSynth(testFS, 9)
	x := s.noise(int(0.025*testFS), 1e-4)
	s.addFlat(x, 10*noiseInBand(180e3), -500e3, 180e3, 0.010, 1e-3)
	st, _ := dsp.NewSTFT(256, testFS, len(x))
	g := st.NewGrid()
	st.Compute(g, x)
	d, err := NewDetector(Config{SampleRate: testFS, FFTSize: 256, FrameHop: 128, Window: st.Window(), MaxFrames: g.Frames, FalseAlarmsPerDay: 1})
	if err != nil {
		tb.Fatal(err)
	}
	return d, g
}

func TestProcessAllocatesNothing(t *testing.T) {
	d, g := dwellWithBurst(t)
	state := d.NewState()
	out := make([]Burst, 0, 64)
	d.Process(state, g, Frame{DeferFrom: g.Frames}, out)
	if a := testing.AllocsPerRun(5, func() { out = d.Process(state, g, Frame{DeferFrom: g.Frames}, out[:0]) }); a != 0 {
		t.Errorf("Process allocates %v times per hop", a)
	}
	if len(out) == 0 {
		t.Error("the burst was not found")
	}
}

func BenchmarkProcess(b *testing.B) {
	d, g := dwellWithBurst(b)
	state := d.NewState()
	out := make([]Burst, 0, 64)
	b.ReportAllocs()
	samples := (g.Frames + 1) * 128
	b.SetBytes(int64(2 * samples))
	m := cputime.Start(b)
	for b.Loop() {
		out = d.Process(state, g, Frame{DeferFrom: g.Frames, Lo: 26, Hi: 230}, out[:0])
	}
	m.Report(b, samples)
}

// BenchmarkProcessDwell is the daemon's case: 6 ms dwells at 2.4 MS/s on
// the usable bins of a hop (n/10 cut at each edge), cycling through eight
// different dwells of noise with GSM bursts, a 1 RB subframe and a spur so
// the floor keeps learning as it does on a real hop.
func BenchmarkProcessDwell(b *testing.B) {
	const dwell = 14400 // 6 ms
	s := newSynth(testFS, 3)
	st, _ := dsp.NewSTFT(256, testFS, dwell)
	grids := make([]*dsp.Grid, 8)
	for i := range grids {
		x := s.noise(dwell, 1e-4)
		for t0 := 0.0002 * float64(i); t0 < 6e-3; t0 += GSMFrame {
			s.addFlat(x, 30*noiseInBand(180e3), 600e3, 180e3, t0, 577e-6)
		}
		s.addFlat(x, 10*noiseInBand(180e3), -500e3, 180e3, 0.002, 1e-3)
		s.addTone(x, 1e-4*30, -900e3)
		grids[i] = st.NewGrid()
		st.Compute(grids[i], x)
	}
	d, err := NewDetector(Config{SampleRate: testFS, FFTSize: 256, FrameHop: st.Hop(), Window: st.Window(), MaxFrames: st.FramesFor(dwell), FalseAlarmsPerDay: 1})
	if err != nil {
		b.Fatal(err)
	}
	state := d.NewState()
	out := make([]Burst, 0, 64)
	for _, g := range grids { // a warm floor, as after the daemon's warm-up
		out = d.Process(state, g, Frame{DeferFrom: g.Frames, Lo: 25, Hi: 231}, out[:0])
	}
	b.ReportAllocs()
	b.SetBytes(2 * dwell)
	m := cputime.Start(b)
	i := 0
	for b.Loop() {
		g := grids[i%len(grids)]
		out = d.Process(state, g, Frame{DeferFrom: g.Frames, Lo: 25, Hi: 231}, out[:0])
		i++
	}
	m.Report(b, dwell)
}

// A weak burst's profile dips below half its level by chance; the
// peak-anchored run stops there, the maximum-excess run steps over it and
// still refuses to swallow noise on either side.
func TestExcessRunStepsOverDips(t *testing.T) {
	p := make([]float64, 30)
	for i := 8; i < 22; i++ {
		p[i] = 2
	}
	p[11], p[12], p[13] = 0.2, 0.1, 0.3 // a chance dip inside the burst
	p[3], p[26] = 0.9, 0.8              // noise outside it
	sm := make([]float64, len(p))
	l, h, _, _ := halfPowerRun(p, sm, 0, len(p))
	if h-l+1 >= 14 {
		t.Fatalf("the peak-anchored run already spans %d..%d; the test needs it cut", l, h)
	}
	l, h, lf, hf := excessRun(p, sm, 0, len(p))
	if l != 8 || h != 21 {
		t.Errorf("excess run %d..%d, want 8..21", l, h)
	}
	if math.Abs(lf-7.5) > 0.5 || math.Abs(hf-21.5) > 0.5 {
		t.Errorf("edges %.2f..%.2f, want about 7.5..21.5", lf, hf)
	}
}

func TestDropArtefacts(t *testing.T) {
	d, err := NewDetector(Config{SampleRate: 2.4e6, FFTSize: 256, FrameHop: 128, Window: dsp.Hann(256), MaxFrames: 200, FalseAlarmsPerDay: 1})
	if err != nil {
		t.Fatal(err)
	}
	g := &dsp.Grid{Bins: 256, BinHz: 2.4e6 / 256}
	fr := Frame{Centre: 861.05e6}
	lines := make([]bool, 256)
	lines[128+5] = true // a CW line 46.9 kHz above the tune
	b := func(f, bw, snr float64, s Shape) Burst {
		return Burst{Start: 0.001, End: 0.005, FreqLo: f - bw/2, FreqHi: f + bw/2, SNRdB: snr, Shape: s}
	}
	cw := fr.Centre + 5*d.binHz
	in := []Burst{
		b(861.5e6, 125e3, 36, ShapeChirp),               // a chirp
		b(860.6e6, 82e3, 4, ShapeSubframe),              // its image: dropped
		b(860.0e6, 180e3, 4, ShapeSubframe),             // a weak phone elsewhere: kept
		b(cw+8e3, 82e3, 2, ShapeSlot),                   // the CW's skirt: dropped
		b(cw+8e3, 82e3, 9, ShapeSlot),                   // strong on the line: kept
		b(cw+60e3, 82e3, 2, ShapeSlot),                  // 60 kHz off the line: kept
		b(2*fr.Centre-860.0e6, 180e3, 2, ShapeSubframe), // mirror of a phone only 2 dB stronger: kept
	}
	out := d.dropArtefacts(g, fr, lines, append([]Burst(nil), in...), 0)
	want := []int{0, 2, 4, 5, 6}
	if len(out) != len(want) {
		t.Fatalf("kept %d bursts, want %d: %+v", len(out), len(want), out)
	}
	for i, w := range want {
		if out[i] != in[w] {
			t.Errorf("kept #%d = %+v, want input #%d", i, out[i], w)
		}
	}
}

// A weak GMSK burst's frequency profile is a rounded hump that crosses its
// half level with a shallow slope, so noise moves a crossing far in; the
// equivalent width (area over top level) is a sum and keeps the hump's
// width. A line stays narrow by it.
func TestEquivRunKeepsAWeakHumpsWidth(t *testing.T) {
	const bins, centre, half = 48, 24, 16 // hump: half-power width 16 bins
	r := rand.New(rand.NewPCG(3, 4))
	p := make([]float64, bins)
	sm := make([]float64, bins)
	const draws, looks = 2000, 8
	var cutHP, cutEq int
	var sumEq float64
	for range draws {
		for i := range p {
			var s float64
			if d := float64(i - centre); math.Abs(d) < half {
				c := math.Cos(math.Pi * d / (2 * half))
				s = 1.0 * c * c // per-cell SNR 1 at the top: a burst near Pd 0.9
			}
			var m float64
			for range looks {
				m += (1 + s) * r.ExpFloat64()
			}
			p[i] = m/looks - 1
		}
		l, h, _, _ := halfPowerRun(p, sm, 0, bins)
		if h-l+1 < 9 {
			cutHP++
		}
		l, h, lf, hf := equivRun(p, sm, 0, bins)
		if h-l+1 < 9 {
			cutEq++
		}
		sumEq += hf - lf
	}
	if cutHP < draws/20 {
		t.Fatalf("the half-power run cut only %d of %d humps under 9 bins; the test needs it to fail more often", cutHP, draws)
	}
	if cutEq > draws/200 {
		t.Errorf("the equivalent width cut %d of %d humps under 9 bins (half-power run: %d)", cutEq, draws, cutHP)
	}
	t.Logf("under 9 bins: half-power run %d, equivalent width %d of %d; mean equivalent width %.1f bins", cutHP, cutEq, draws, sumEq/draws)
	if m := sumEq / draws; m < 13 || m > 22 {
		t.Errorf("mean equivalent width %.1f bins, want about 16", m)
	}
	// A line (one bin and its window's neighbours) in a wide region stays
	// under 4 bins: narrower than 40 kHz at 9.4 kHz bins, a line to
	// classifyShape.
	clear(p)
	p[24], p[23], p[25] = 30, 7.5, 7.5
	if l, h, lf, hf := equivRun(p, sm, 0, bins); h-l+1 > 4 || hf-lf > 4 {
		t.Errorf("a line measures %d..%d (%.1f bins wide)", l, h, hf-lf)
	}
}
