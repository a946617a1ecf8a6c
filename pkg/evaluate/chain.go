package evaluate

import (
	"fmt"
	"time"

	"github.com/cellwatch/cellwatch/pkg/detect"
	"github.com/cellwatch/cellwatch/pkg/dsp"
	"github.com/cellwatch/cellwatch/pkg/iq"
	"github.com/cellwatch/cellwatch/pkg/sim"
)

// dwellChain runs the daemon's detection core over a simulator held at one
// tune, dwell after dwell, exactly as the sweeper processes one hop: each
// dwell is one grid (a burst cut by its end is cut), the settle samples
// before it are read and thrown away, and the hop's noise floor is learned
// over the visits. Unlike the sweeper it does not leave the hop between
// visits, so a benchmark gets many trials per second of signal.
type dwellChain struct {
	s          *sim.Simulator
	conv       *dsp.Converter
	stft       *dsp.STFT
	grid       *dsp.Grid
	det        *detect.Detector
	state      *detect.State
	raw        []byte
	x          []complex64
	settle     int
	lo, hi     int // searched bins: the hop's usable 80 %
	centre, fs float64
	t          int64 // samples read
	bursts     []detect.Burst
}

// usableShare is the part of the captured span that the daemon's hop plan
// searches (the rest is the anti-alias roll-off).
const usableShare = 0.8

func newDwellChain(s *sim.Simulator, centre float64, dwell, settle time.Duration, falseAlarmsPerDay float64) (*dwellChain, error) {
	fs := s.SampleRate()
	n := dsp.FFTSizeFor(fs)
	ns := int(dwell.Seconds() * fs)
	st, err := dsp.NewSTFT(n, fs, ns)
	if err != nil {
		return nil, err
	}
	det, err := detect.NewDetector(detect.Config{
		SampleRate: fs, FFTSize: n, FrameHop: st.Hop(), Window: st.Window(),
		MaxFrames: st.FramesFor(ns), FalseAlarmsPerDay: falseAlarmsPerDay,
	})
	if err != nil {
		return nil, fmt.Errorf("evaluate: detector: %w", err)
	}
	conv, err := dsp.NewConverter(iq.CU8)
	if err != nil {
		return nil, err
	}
	s.Tune(centre)
	edge := int((1 - usableShare) / 2 * float64(n))
	return &dwellChain{
		s: s, conv: conv, stft: st, grid: st.NewGrid(), det: det, state: det.NewState(),
		raw: make([]byte, 2*ns), x: make([]complex64, ns),
		settle: int(settle.Seconds() * fs), lo: edge, hi: n - edge, centre: centre, fs: fs,
	}, nil
}

// next reads and processes one settle+dwell and returns the dwell's span
// (stream seconds) and the bursts found (valid until the next call).
func (c *dwellChain) next() (t0, t1 float64, bursts []detect.Burst) {
	for left := c.settle; left > 0; {
		m := min(left, len(c.x))
		c.s.Generate(c.raw[:2*m])
		left -= m
		c.t += int64(m)
	}
	c.s.Generate(c.raw)
	ns := c.conv.Convert(c.x, c.raw)
	t0 = float64(c.t) / c.fs
	c.t += int64(ns)
	c.stft.Compute(c.grid, c.x[:ns])
	c.bursts = c.det.Process(c.state, c.grid, detect.Frame{
		T0: t0, Centre: c.centre, Lo: c.lo, Hi: c.hi, DeferFrom: c.grid.Frames,
	}, c.bursts[:0])
	g := c.grid
	t1 = t0 + float64(g.Frames-1)*g.FrameStep + g.FrameLen
	return t0, t1, c.bursts
}

// searched is the frequency span (absolute Hz) the dwell searches.
func (c *dwellChain) searched() (lo, hi float64) {
	g := c.grid
	return c.centre + g.FreqOffset(c.lo) - g.BinHz/2, c.centre + g.FreqOffset(c.hi-1) + g.BinHz/2
}
