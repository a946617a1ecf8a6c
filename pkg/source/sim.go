package source

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cellwatch/cellwatch/pkg/iq"
	"github.com/cellwatch/cellwatch/pkg/sim"
)

// RTL-SDR (R820T) tuning range the simulated source accepts.
const (
	simMinFreq = 24e6
	simMaxFreq = 1766e6
)

// Sim is a Source backed by the scene simulator: it behaves like an RTL-SDR
// dongle (cu8, tunable 24–1766 MHz) in the scene's sensor position.
type Sim struct {
	name     string
	sim      *sim.Simulator
	realtime bool

	mu     sync.Mutex
	closed bool
	start  time.Time // wall clock of the first Read (realtime pacing)
}

// NewSim simulates sc at sampleRate. With realtime, Read delivers samples no
// faster than the sample rate in wall-clock time, like hardware (a slow
// reader is never dropped samples, unlike hardware); without, as fast as the
// simulator runs (tests, replay, benchmarks).
func NewSim(name string, sc *sim.Scene, sampleRate float64, realtime bool) (*Sim, error) {
	s, err := sim.New(sc, sampleRate)
	if err != nil {
		return nil, err
	}
	return &Sim{name: name, sim: s, realtime: realtime}, nil
}

// Simulator gives access to the truth (and the stream clock).
func (s *Sim) Simulator() *sim.Simulator { return s.sim }

// FullScaleDBm implements Calibrated: the scene's sensor gain setting.
func (s *Sim) FullScaleDBm() float64 { return s.sim.FullScaleDBm() }

// Name returns the source's name.
func (s *Sim) Name() string { return s.name }

// Info describes the simulated dongle at its current tune.
func (s *Sim) Info() Info {
	return Info{Format: iq.CU8, SampleRate: s.sim.SampleRate(), CenterFreq: s.sim.TuneHz(),
		Tunable: true, MinFreq: simMinFreq, MaxFreq: simMaxFreq}
}

var errSimClosed = errors.New("source: sim closed")

// Tune retunes; a scene whose sensor has a settle_tau renders the unsettled
// samples after it, like a dongle.
func (s *Sim) Tune(ctx context.Context, freqHz float64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errSimClosed
	}
	if freqHz < simMinFreq || freqHz > simMaxFreq {
		return fmt.Errorf("source %s: %.0f Hz outside %.0f–%.0f Hz", s.name, freqHz, simMinFreq, simMaxFreq)
	}
	s.sim.Tune(freqHz)
	return nil
}

// Read fills p with whole cu8 samples. In realtime mode it first waits until
// the wall clock has caught up with the end of those samples, returning
// ctx.Err() if ctx ends first.
func (s *Sim) Read(ctx context.Context, p []byte) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	n := len(p) &^ 1
	if n == 0 {
		return 0, nil
	}
	if s.realtime {
		s.mu.Lock()
		if s.start.IsZero() {
			s.start = time.Now().Add(-s.sim.Now())
		}
		end := s.sim.Now() + time.Duration(float64(n/2)/s.sim.SampleRate()*1e9)
		due := s.start.Add(end)
		s.mu.Unlock()
		if err := waitUntil(ctx, due); err != nil {
			return 0, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, errSimClosed
	}
	return s.sim.Generate(p[:n]), nil
}

// Close ends the source; later calls fail.
func (s *Sim) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}
