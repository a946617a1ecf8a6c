package sweep

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/cellwatch/cellwatch/pkg/bands"
	"github.com/cellwatch/cellwatch/pkg/detect"
	"github.com/cellwatch/cellwatch/pkg/source"
)

// SweeperConfig sets up the hop loop of one tunable source.
type SweeperConfig struct {
	Plan bands.Plan
	Hops []Hop // the share of the hop plan this source sweeps
	// Order is one pass as indices into Hops (see Schedule); nil means
	// every hop once, in order.
	Order  []int
	Settle time.Duration
	Dwell  time.Duration
	Warmup int // visits a hop's floor must have before its bursts count (≥ 1)
	// Gap closes an emission after this much quiet on its channel. The
	// default, one visit (settle + dwell) capped at 0.5 s, closes what a
	// dwell saw once the sweep has moved on: an emission never spans two
	// passes, so a call that outlasts the revisit time still yields an
	// emission every pass instead of one at its end.
	Gap               time.Duration
	FalseAlarmsPerDay float64
}

// HopReport is what one dwell produced, for metrics and the spectrum API.
type HopReport struct {
	Hop       Hop
	Start     float64   // stream time of the dwell's first sample, s
	Wall      time.Time // when the dwell's first sample was read
	Samples   int       // samples read, settle included
	Bursts    []detect.Burst
	FloorDBFS float64 // median noise floor over the hop's slice, dB full scale per 200 kHz
	PeakDBFS  float64 // strongest 200 kHz-equivalent cell power in the slice, dBFS
	Occupancy float64 // share of the slice's bins with a burst
	// The slice bin by bin, in the same unit as FloorDBFS and PeakDBFS
	// (linear power per 200 kHz relative to full scale): bin k is centred
	// at FirstBinHz + k·BinHz. FloorBins is the learned floor, PeakBins the
	// strongest cell of the dwell. Both are the sweeper's buffers, valid
	// only during the Observer's Hop call: copy what you keep.
	FirstBinHz, BinHz   float64
	FloorBins, PeakBins []float32
	WarmingUp           bool
	Clipped             float64 // share of raw samples at the converter's rails (0 or 255 for cu8)
	// Deficit is how many samples short of its sample rate the source ran
	// while the dwell was read (meaningful for live receivers only).
	Deficit int64
}

// SweepReport closes one pass over every hop.
type SweepReport struct {
	Duration time.Duration
	Hops     int // visits made in the pass
}

// Sweeper runs one source over its hops: tune, discard the settle time,
// dwell, detect; hop after hop, pass after pass.
type Sweeper struct {
	src     source.Source
	cfg     SweeperConfig
	c       *chain
	states  []*detect.State
	tracker *detect.Tracker
	fs      float64
	samples int64 // samples read so far: the stream clock
	// visit receives the end of the settle time and the dwell in one Read:
	// one wake-up (one USB transfer, one run of TCP reads) per hop rather
	// than one for the settle and one for the dwell. tail is how many of
	// its bytes are settle; a settle longer than maxSettleTail is read
	// into it and dropped first.
	visit               []byte
	tail                int
	levels              []float64
	floorBins, peakBins []float32
	report              HopReport // handed to the Observer, rewritten every hop
}

// NewSweeper checks the source against the plan and prepares buffers.
func NewSweeper(src source.Source, cfg SweeperConfig) (*Sweeper, error) {
	info := src.Info()
	if !info.Tunable {
		return nil, fmt.Errorf("%s: source cannot be retuned, so it cannot sweep", src.Name())
	}
	if len(cfg.Hops) == 0 {
		return nil, fmt.Errorf("%s: no hops to sweep", src.Name())
	}
	if cfg.Dwell <= 0 {
		return nil, fmt.Errorf("%s: dwell %v must be positive", src.Name(), cfg.Dwell)
	}
	if cfg.Gap <= 0 {
		cfg.Gap = min(500*time.Millisecond, cfg.Settle+cfg.Dwell)
	}
	if cfg.Order == nil {
		for i := range cfg.Hops {
			cfg.Order = append(cfg.Order, i)
		}
	}
	for _, i := range cfg.Order {
		if i < 0 || i >= len(cfg.Hops) {
			return nil, fmt.Errorf("%s: hop order names hop %d of %d", src.Name(), i, len(cfg.Hops))
		}
	}
	fs := info.SampleRate
	dwell := int(cfg.Dwell.Seconds() * fs)
	c, err := newChain(info.Format, fs, dwell, cfg.FalseAlarmsPerDay)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src.Name(), err)
	}
	bps := info.Format.BytesPerSample()
	tail := min(int(cfg.Settle.Seconds()*fs)*bps, maxSettleTail)
	s := &Sweeper{
		src: src, cfg: cfg, c: c, fs: fs,
		tracker:   detect.NewTracker(trackerConfig(cfg.Plan, cfg.Gap.Seconds())),
		visit:     make([]byte, tail+len(c.raw)),
		tail:      tail,
		levels:    make([]float64, c.stft.Size()),
		floorBins: make([]float32, c.stft.Size()),
		peakBins:  make([]float32, c.stft.Size()),
	}
	for range cfg.Hops {
		s.states = append(s.states, c.det.NewState())
	}
	return s, nil
}

// Observer receives what the sweeper produces. Calls come from the
// sweeper's goroutine, in order. The *HopReport and everything it points
// to are the sweeper's, rewritten every hop: copy what you keep.
type Observer interface {
	Hop(r *HopReport)
	Sweep(r SweepReport)
	Emission(e detect.Emission)
}

// maxSettleTail bounds the settle bytes read together with a dwell: 256 KiB
// is librtlsdr's USB buffer, 55 ms at 2.4 MS/s.
const maxSettleTail = 256 << 10

// StallTimeout is how long a dwell may overrun its own length before the
// receiver is declared stalled (a dongle that stopped streaming, an
// rtl_tcp server that hangs): Run then fails with ErrStalled.
const StallTimeout = 2 * time.Second

// ErrStalled: the source delivered no samples for StallTimeout.
var ErrStalled = errors.New("receiver stalled: no samples")

// SetSource replaces a failed source by a reopened one of the same format
// and rate; the learned floors and open emissions are kept.
func (s *Sweeper) SetSource(src source.Source) error {
	old, now := s.src.Info(), src.Info()
	if old.Format != now.Format || old.SampleRate != now.SampleRate || !now.Tunable {
		return fmt.Errorf("%s: reopened source differs (%v at %g S/s, tunable %v)", src.Name(), now.Format, now.SampleRate, now.Tunable)
	}
	s.src = src
	return nil
}

// Run sweeps until ctx is cancelled or the source fails. Cancellation
// lets the current hop finish and delivers every emission still being
// tracked; a hop that overruns by StallTimeout fails with ErrStalled.
func (s *Sweeper) Run(ctx context.Context, obs Observer) error {
	var ems []detect.Emission
	defer func() {
		s.deliver(obs, s.tracker.FlushAll(ems[:0]))
	}()
	grace := s.cfg.Settle + s.cfg.Dwell + StallTimeout
	// A hop is not interrupted by ctx, only bounded by the grace. One
	// context and one timer, re-armed per hop, serve every hop: a stall
	// ends the run, so the context never needs to be reset.
	hctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	stall := time.AfterFunc(grace, stop)
	stall.Stop()
	defer stall.Stop()
	for {
		start := time.Now()
		for _, i := range s.cfg.Order {
			if ctx.Err() != nil {
				return nil
			}
			stall.Reset(grace)
			r, err := s.dwell(hctx, i)
			stalled := !stall.Stop()
			if err != nil && ctx.Err() != nil {
				return nil // a hop that failed during shutdown is not an error
			}
			if stalled {
				return fmt.Errorf("%s: %w for %v", s.src.Name(), ErrStalled, StallTimeout)
			}
			if err != nil {
				return err
			}
			obs.Hop(r)
			ems = s.tracker.Flush(float64(s.samples)/s.fs, ems[:0])
			s.deliver(obs, ems)
		}
		obs.Sweep(SweepReport{Duration: time.Since(start), Hops: len(s.cfg.Order)})
	}
}

func (s *Sweeper) deliver(obs Observer, ems []detect.Emission) {
	for _, e := range ems {
		obs.Emission(e)
	}
}

// dwell tunes to hop i, drops the settle samples and processes the dwell.
func (s *Sweeper) dwell(ctx context.Context, i int) (*HopReport, error) {
	h := s.cfg.Hops[i]
	if err := s.src.Tune(ctx, h.CenterHz); err != nil {
		return nil, fmt.Errorf("%s: tune to %.3f MHz: %w", s.src.Name(), h.CenterHz/1e6, err)
	}
	bps := s.c.conv.Format().BytesPerSample()
	for head := int(s.cfg.Settle.Seconds()*s.fs)*bps - s.tail; head > 0; {
		n, err := s.src.Read(ctx, s.visit[:min(head, len(s.visit))])
		head -= n
		s.samples += int64(n / bps)
		if err == nil && n == 0 {
			err = errNoProgress
		}
		if err != nil {
			return nil, readErr(s.src, err)
		}
	}
	got := 0
	readStart := time.Now()
	for got < len(s.visit) {
		n, err := s.src.Read(ctx, s.visit[got:])
		got += n
		if err == nil && n == 0 {
			err = errNoProgress
		}
		if err != nil {
			return nil, readErr(s.src, err)
		}
	}
	readTime := time.Since(readStart)
	raw := s.visit[s.tail:]
	got = len(raw)
	t0 := float64(s.samples+int64(s.tail/bps)) / s.fs
	s.samples += int64(len(s.visit) / bps)
	wall := time.Now().Add(-time.Duration(float64(got/bps) / s.fs * float64(time.Second)))
	// A live receiver that takes longer than real time to deliver a visit
	// runs short of its sample rate: the shortfall, beyond 10 % and 5 ms of
	// scheduling slack, is samples it lost.
	want := float64(len(s.visit) / bps)
	deficit := readTime.Seconds()*s.fs - want - 0.1*want - 0.005*s.fs
	ns := s.c.conv.Convert(s.c.x, raw[:got])
	s.c.stft.Compute(s.c.grid, s.c.x[:ns])
	g := s.c.grid
	lo := int(math.Floor((h.LowHz-h.CenterHz)/g.BinHz)) + g.Bins/2
	hi := int(math.Ceil((h.HighHz-h.CenterHz)/g.BinHz)) + g.Bins/2
	lo, hi = max(0, lo), min(g.Bins, hi)
	st := s.states[i]
	s.c.burst = s.c.det.Process(st, g, detect.Frame{
		T0: t0, Centre: h.CenterHz, Lo: lo, Hi: hi, DeferFrom: g.Frames,
	}, s.c.burst[:0])
	r := &s.report
	*r = HopReport{Hop: h, Start: t0, Wall: wall, Samples: ns + int(s.cfg.Settle.Seconds()*s.fs), Bursts: s.c.burst,
		Deficit: int64(max(0, deficit))}
	for _, b := range s.c.burst {
		s.tracker.Add(b)
	}
	r.FirstBinHz, r.BinHz = h.CenterHz+float64(lo-g.Bins/2)*g.BinHz, g.BinHz
	r.FloorBins, r.PeakBins = binLevels(s.floorBins, s.peakBins, st.Floor.Level[lo:hi], g.P[:g.Frames*g.Bins], g.Bins, lo, hi, s.fs)
	r.FloorDBFS, r.PeakDBFS, r.Occupancy = hopLevels(s.levels, r.FloorBins, r.PeakBins, g.BinHz, s.c.burst)
	r.Clipped = clippedShare(raw[:got], s.c.conv.Format().BytesPerSample())
	return r, nil
}

// errNoProgress: a Read returned neither data nor an error.
var errNoProgress = errors.New("read returned no data")

func readErr(src source.Source, err error) error {
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: stream ended", src.Name())
	}
	return fmt.Errorf("%s: read: %w", src.Name(), err)
}

// hopLevels summarises a dwell from its bins (binLevels): the median floor
// and the peak cell over the slice, both as power in 200 kHz relative to
// full scale, and the share of the slice covered by bursts.
func hopLevels(scratch []float64, floorBins, peakBins []float32, binHz float64, bursts []detect.Burst) (floor, peak, occ float64) {
	if len(floorBins) == 0 {
		return math.NaN(), math.NaN(), 0
	}
	tmp := scratch[:len(floorBins)]
	for i, v := range floorBins {
		tmp[i] = float64(v)
	}
	slices.Sort(tmp)
	floor = 10 * math.Log10(tmp[len(tmp)/2])
	var mx float32
	for _, v := range peakBins {
		mx = max(mx, v)
	}
	peak = 10 * math.Log10(float64(mx))
	var bw float64
	for _, b := range bursts {
		bw += b.Bandwidth()
	}
	occ = math.Min(1, bw/(float64(len(floorBins))*binHz))
	return floor, peak, occ
}

// binLevels fills floor and peak with the slice's learned floor and the
// dwell's strongest cell per bin, scaled like hopLevels (per 200 kHz).
func binLevels(floor, peak, level, p []float32, bins, lo, hi int, fs float64) ([]float32, []float32) {
	per200k := float32(200e3 / fs)
	floor, peak = floor[:hi-lo], peak[:hi-lo]
	for k, v := range level {
		floor[k] = v * per200k
		peak[k] = 0
	}
	for t := 0; t*bins < len(p); t++ {
		for k, v := range p[t*bins+lo : t*bins+hi] {
			peak[k] = max(peak[k], v)
		}
	}
	for k := range peak {
		peak[k] *= per200k
	}
	return floor, peak
}

// clippedShare is the fraction of 8-bit sample components at a rail: the
// dongle is overloaded when this is more than a trace.
func clippedShare(raw []byte, bps int) float64 {
	if bps != 2 || len(raw) == 0 {
		return 0
	}
	// bytes.Count of one byte is vectorised: this runs on every dwell.
	n := bytes.Count(raw, []byte{0}) + bytes.Count(raw, []byte{255})
	return float64(n) / float64(len(raw))
}
