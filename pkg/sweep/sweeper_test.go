package sweep

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/cellwatch/cellwatch/pkg/bands"
	"github.com/cellwatch/cellwatch/pkg/detect"
	"github.com/cellwatch/cellwatch/pkg/sim"
	"github.com/cellwatch/cellwatch/pkg/source"
)

type recorder struct {
	hops, sweeps int
	ems          []detect.Emission
}

func (r *recorder) Hop(*HopReport)             { r.hops++ }
func (r *recorder) Sweep(SweepReport)          { r.sweeps++ }
func (r *recorder) Emission(e detect.Emission) { r.ems = append(r.ems, e) }

// stallAfter delivers n reads, then blocks until its context ends.
type stallAfter struct {
	source.Source
	n int
}

func (s *stallAfter) Read(ctx context.Context, p []byte) (int, error) {
	if s.n <= 0 {
		<-ctx.Done()
		return 0, ctx.Err()
	}
	s.n--
	return s.Source.Read(ctx, p)
}

func newSimSweeper(t *testing.T, wrap func(source.Source) source.Source, bandNames ...string) (*Sweeper, *source.Sim) {
	t.Helper()
	sc, _ := sim.Builtin("corridor-small")
	src, err := source.NewSim("sim0", sc, 2.4e6, false)
	if err != nil {
		t.Fatal(err)
	}
	hp, _ := NewHopPlan(bands.EU, HopPlanConfig{SampleRate: 2.4e6})
	shares, _, err := AssignHops(hp.Hops, [][]string{bandNames})
	if err != nil {
		t.Fatal(err)
	}
	var s source.Source = src
	if wrap != nil {
		s = wrap(src)
	}
	sw, err := NewSweeper(s, SweeperConfig{Plan: bands.EU, Hops: shares[0], Settle: 5 * time.Millisecond, Dwell: 25 * time.Millisecond, FalseAlarmsPerDay: 1})
	if err != nil {
		t.Fatal(err)
	}
	return sw, src
}

func TestSweeperFindsTheCallAndFlushesOnStop(t *testing.T) {
	sw, src := newSimSweeper(t, nil, "B8")
	rec := &recorder{}
	sweepUntil(t, sw, src.Simulator(), rec, 3*time.Second)
	var gsm int
	for _, e := range rec.ems {
		if e.Tech == detect.GSM && e.Band == "B8" && e.FreqHz > 897.9e6 && e.FreqHz < 898.1e6 {
			gsm++
		}
	}
	if gsm == 0 || rec.sweeps == 0 {
		t.Fatalf("sweeps %d, GSM emissions on 898 MHz %d of %+v", rec.sweeps, gsm, rec.ems)
	}
}

func TestSweeperStall(t *testing.T) {
	sw, _ := newSimSweeper(t, func(s source.Source) source.Source { return &stallAfter{Source: s, n: 10} }, "B8")
	err := sw.Run(context.Background(), &recorder{})
	if !errors.Is(err, ErrStalled) {
		t.Fatalf("want ErrStalled, got %v", err)
	}
}

// halfRate delivers samples at half the nominal rate, like a receiver that
// loses every other block.
// halfRate delivers samples at half the source's rate: each read lasts
// twice the time its samples cover. The pace is per read, so time the
// sweeper spends processing earns no credit (a clock-based pace would let
// reads after a slow hop catch up at full speed).
type halfRate struct {
	source.Source
}

func (h *halfRate) Read(ctx context.Context, p []byte) (int, error) {
	start := time.Now()
	n, err := h.Source.Read(ctx, p)
	time.Sleep(time.Until(start.Add(time.Duration(float64(n/2) / (h.Info().SampleRate / 2) * float64(time.Second)))))
	return n, err
}

type deficits struct {
	recorder
	sum, samples int64
}

func (d *deficits) Hop(r *HopReport) { d.sum += r.Deficit; d.samples += int64(r.Samples); d.hops++ }

func TestSweeperCountsRateDeficit(t *testing.T) {
	if testing.Short() {
		t.Skip("measures read timing; the race detector's slowdown hides a half-rate source")
	}
	for _, c := range []struct {
		name string
		wrap func(source.Source) source.Source
		lo   float64 // deficit share of the dwell samples
		hi   float64
	}{
		{"full rate", nil, 0, 0.3}, // scheduling hiccups on a loaded machine only
		{"half rate", func(s source.Source) source.Source { return &halfRate{Source: s} }, 0.6, 3}, // more when the machine is loaded
	} {
		t.Run(c.name, func(t *testing.T) {
			sw, _ := newSimSweeper(t, c.wrap, "B8")
			rec := &deficits{}
			ctx, cancel := context.WithTimeout(context.Background(), 600*time.Millisecond)
			defer cancel()
			if err := sw.Run(ctx, rec); err != nil {
				t.Fatal(err)
			}
			dwell := float64(rec.hops) * 0.025 * 2.4e6
			share := float64(rec.sum) / dwell
			t.Logf("deficit %.2f of the dwell samples over %d hops", share, rec.hops)
			if share < c.lo || share > c.hi {
				t.Errorf("deficit %.2f of the dwell samples over %d hops, want %.1f–%.1f", share, rec.hops, c.lo, c.hi)
			}
		})
	}
}

type binChecker struct {
	recorder
	t          *testing.T
	bestHz     float64
	bestDB     float64
	floorErrDB float64
}

func (c *binChecker) Hop(r *HopReport) {
	c.hops++
	if len(r.FloorBins) == 0 || len(r.FloorBins) != len(r.PeakBins) {
		c.t.Errorf("hop %d: %d floor bins, %d peak bins", r.Hop.Index, len(r.FloorBins), len(r.PeakBins))
		return
	}
	// The bins whose centres span the slice, to within a bin at the top.
	if lo, hi := r.FirstBinHz, r.FirstBinHz+float64(len(r.PeakBins)-1)*r.BinHz; lo > r.Hop.LowHz || hi < r.Hop.HighHz-r.BinHz || hi > r.Hop.HighHz {
		c.t.Errorf("bin centres %.4f–%.4f MHz, the slice is %.4f–%.4f", lo/1e6, hi/1e6, r.Hop.LowHz/1e6, r.Hop.HighHz/1e6)
	}
	if r.WarmingUp {
		return
	}
	fl := slices.Clone(r.FloorBins)
	slices.Sort(fl)
	c.floorErrDB = max(c.floorErrDB, math.Abs(10*math.Log10(float64(fl[len(fl)/2]))-r.FloorDBFS))
	for k, v := range r.PeakBins {
		if db := 10 * math.Log10(float64(v)); db > c.bestDB {
			c.bestDB, c.bestHz = db, r.FirstBinHz+float64(k)*r.BinHz
		}
	}
}

// The per-bin levels of a hop put the corridor's GSM call (898.0 MHz) at
// its frequency, and their median floor is the hop's floor.
func TestHopReportBins(t *testing.T) {
	sw, src := newSimSweeper(t, nil, "B8")
	c := &binChecker{t: t, bestDB: math.Inf(-1)}
	sweepUntil(t, sw, src.Simulator(), c, 2*time.Second)
	t.Logf("strongest bin %.4f MHz, %.1f dBFS", c.bestHz/1e6, c.bestDB)
	if math.Abs(c.bestHz-898e6) > 50e3 {
		t.Errorf("strongest bin at %.4f MHz (%.1f dBFS), want the call at 898.0 MHz", c.bestHz/1e6, c.bestDB)
	}
	if c.floorErrDB > 0.01 {
		t.Errorf("median of the floor bins differs from FloorDBFS by %.3f dB", c.floorErrDB)
	}
}

func TestClippedShare(t *testing.T) {
	raw := make([]byte, 1000)
	for i := range raw {
		raw[i] = byte(1 + i%254) // never a rail
	}
	raw[3], raw[10], raw[999] = 0, 255, 255
	if got := clippedShare(raw, 2); got != 0.003 {
		t.Errorf("cu8 with 3 rail bytes in 1000: %v, want 0.003", got)
	}
	if got := clippedShare(raw, 4); got != 0 {
		t.Errorf("cs16 has no 8-bit rails: %v", got)
	}
}

// sweepUntil runs sw until the simulator's clock passes until, then stops
// it and checks it ended cleanly.
func sweepUntil(t *testing.T, sw *Sweeper, clock *sim.Simulator, obs Observer, until time.Duration) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- sw.Run(ctx, obs) }()
	for clock.Now() < until {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// readCounter counts the Reads and Tunes the sweeper makes.
type readCounter struct {
	source.Source
	reads, tunes int
}

func (c *readCounter) Read(ctx context.Context, p []byte) (int, error) {
	c.reads++
	return c.Source.Read(ctx, p)
}

func (c *readCounter) Tune(ctx context.Context, hz float64) error {
	c.tunes++
	return c.Source.Tune(ctx, hz)
}

type starts struct {
	recorder
	start []float64
}

func (s *starts) Hop(r *HopReport) { s.start = append(s.start, r.Start); s.hops++ }

// The settle time and the dwell come in one Read per hop (a settle longer
// than maxSettleTail in two), and the stream clock still counts every
// sample: hop k's dwell starts at k·(settle+dwell) + settle.
func TestSweeperReadsSettleAndDwellTogether(t *testing.T) {
	for _, c := range []struct {
		settle    time.Duration
		readsPerH int
	}{{5 * time.Millisecond, 1}, {100 * time.Millisecond, 2}} {
		sc, _ := sim.Builtin("corridor-small")
		src, err := source.NewSim("sim0", sc, 2.4e6, false)
		if err != nil {
			t.Fatal(err)
		}
		rc := &readCounter{Source: src}
		hp, _ := NewHopPlan(bands.EU, HopPlanConfig{SampleRate: 2.4e6})
		shares, _, _ := AssignHops(hp.Hops, [][]string{{"B8"}})
		const dwell = 6 * time.Millisecond
		sw, err := NewSweeper(rc, SweeperConfig{Plan: bands.EU, Hops: shares[0], Settle: c.settle, Dwell: dwell, FalseAlarmsPerDay: 1})
		if err != nil {
			t.Fatal(err)
		}
		rec := &starts{}
		ctx, cancel := context.WithCancel(context.Background())
		obs := stopAfter{Observer: rec, n: 20, cancel: cancel}
		if err := sw.Run(ctx, &obs); err != nil {
			t.Fatal(err)
		}
		cancel()
		if rec.hops != 20 || rc.tunes != 20 || rc.reads != 20*c.readsPerH {
			t.Errorf("settle %v: %d hops, %d tunes, %d reads; want 20, 20, %d", c.settle, rec.hops, rc.tunes, rc.reads, 20*c.readsPerH)
		}
		settle, visit := float64(int(c.settle.Seconds()*2.4e6)), float64(int(c.settle.Seconds()*2.4e6)+int(dwell.Seconds()*2.4e6))
		for k, got := range rec.start {
			if want := (float64(k)*visit + settle) / 2.4e6; math.Abs(got-want) > 1e-9 {
				t.Fatalf("settle %v: hop %d starts at %.9f s, want %.9f", c.settle, k, got, want)
			}
		}
	}
}

// stopAfter cancels the sweep after n hops.
type stopAfter struct {
	Observer
	n      int
	cancel func()
}

func (s *stopAfter) Hop(r *HopReport) {
	s.Observer.Hop(r)
	if s.n--; s.n == 0 {
		s.cancel()
	}
}
