package detect

import (
	"math"
	"math/rand/v2"

	"github.com/cellwatch/cellwatch/pkg/dsp"
)

// synth builds test signals: complex white noise of power noiseP plus
// flat-spectrum bursts (random-phase QPSK on a 15 kHz grid, like SC-FDMA).
type synth struct {
	fs  float64
	rng *rand.Rand
}

func newSynth(fs float64, seed uint64) *synth {
	return &synth{fs: fs, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

func (s *synth) noise(n int, p float64) []complex64 {
	x := make([]complex64, n)
	sd := math.Sqrt(p / 2)
	for i := range x {
		x[i] = complex(float32(s.rng.NormFloat64()*sd), float32(s.rng.NormFloat64()*sd))
	}
	return x
}

// addFlat adds a burst of total power p, centred at offset f0 (Hz from the
// tune), bw wide, from t0 for dur seconds.
func (s *synth) addFlat(x []complex64, p, f0, bw, t0, dur float64) {
	const sc = 15e3
	n := int(math.Max(1, math.Round(bw/sc)))
	a := math.Sqrt(p / float64(n))
	i0 := int(t0 * s.fs)
	i1 := min(len(x), int((t0+dur)*s.fs))
	symLen := int(s.fs / sc)
	for c := 0; c < n; c++ {
		f := f0 - bw/2 + (float64(c)+0.5)*sc
		w := 2 * math.Pi * f / s.fs
		ph := 0.0
		for i := i0; i < i1; i++ {
			if (i-i0)%symLen == 0 {
				ph = float64(s.rng.IntN(4))*math.Pi/2 + math.Pi/4
			}
			arg := w*float64(i) + ph
			x[i] += complex(float32(a*math.Cos(arg)), float32(a*math.Sin(arg)))
		}
	}
}

// addTone adds a CW carrier of power p at offset f0.
func (s *synth) addTone(x []complex64, p, f0 float64) {
	a := math.Sqrt(p)
	w := 2 * math.Pi * f0 / s.fs
	for i := range x {
		x[i] += complex(float32(a*math.Cos(w*float64(i))), float32(a*math.Sin(w*float64(i))))
	}
}

// addChirp adds an up-chirp of power p sweeping bw around f0 every period,
// from t0 for dur.
func (s *synth) addChirp(x []complex64, p, f0, bw, period, t0, dur float64) {
	a := math.Sqrt(p)
	i0 := int(t0 * s.fs)
	i1 := min(len(x), int((t0+dur)*s.fs))
	ph := 0.0
	for i := i0; i < i1; i++ {
		tt := math.Mod(float64(i-i0)/s.fs, period)
		f := f0 - bw/2 + bw*tt/period
		ph += 2 * math.Pi * f / s.fs
		x[i] += complex(float32(a*math.Cos(ph)), float32(a*math.Sin(ph)))
	}
}

// runDetector runs the whole pipeline over x as one grid per chunk at a
// fixed tune and returns the emissions.
func runDetector(fs float64, x []complex64, chunk int) ([]Emission, []Burst) {
	n := dsp.FFTSizeFor(fs)
	st, _ := dsp.NewSTFT(n, fs, chunk)
	g := st.NewGrid()
	d, err := NewDetector(Config{SampleRate: fs, FFTSize: n, FrameHop: st.Hop(), Window: st.Window(),
		MaxFrames: st.FramesFor(chunk), FalseAlarmsPerDay: 1})
	if err != nil {
		panic(err)
	}
	state := d.NewState()
	tr := NewTracker(TrackerConfig{})
	var all []Burst
	var ems []Emission
	for off := 0; off+n <= len(x); off += chunk {
		end := min(len(x), off+chunk)
		st.Compute(g, x[off:end])
		bs := d.Process(state, g, Frame{T0: float64(off) / fs, DeferFrom: g.Frames}, nil)
		for _, b := range bs {
			tr.Add(b)
		}
		all = append(all, bs...)
		ems = tr.Flush(float64(end)/fs, ems)
	}
	ems = tr.FlushAll(ems)
	return ems, all
}
