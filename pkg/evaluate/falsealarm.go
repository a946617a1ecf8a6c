package evaluate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cellwatch/cellwatch/pkg/bands"
	"github.com/cellwatch/cellwatch/pkg/detect"
	"github.com/cellwatch/cellwatch/pkg/dsp"
	"github.com/cellwatch/cellwatch/pkg/sim"
	"github.com/cellwatch/cellwatch/pkg/source"
	"github.com/cellwatch/cellwatch/pkg/sweep"
	"gonum.org/v1/gonum/stat/distuv"
)

// SweepConfig is the daemon's sweep set-up that a benchmark runs.
type SweepConfig struct {
	Plan              bands.Plan
	SampleRate        float64
	Dwell, Settle     time.Duration
	Priority          []bands.Range
	FalseAlarmsPerDay float64
	// Warmup: emissions that start before it are not counted (the daemon
	// raises no alert while its floors are first learned).
	Warmup time.Duration
}

// schedule is the hop plan and pass order the daemon would use with one
// receiver sweeping the whole plan.
func (c SweepConfig) schedule() (sweep.Schedule, error) {
	hp, err := sweep.NewHopPlan(c.Plan, sweep.HopPlanConfig{SampleRate: c.SampleRate})
	if err != nil {
		return sweep.Schedule{}, err
	}
	return sweep.NewSchedule(hp.Hops, c.Priority, c.Dwell, c.Settle), nil
}

// FalseAlarms is the false-detection rate on a scene without handsets
// inside the protected zone: every emission the daemon would report
// (anything but clutter) that no handset transmission explains. The
// top-level counts are the operating budget's; Budgets repeats the count
// on the same stream at larger budgets to calibrate the threshold model,
// and Extrapolated carries it to the operating budget.
type FalseAlarms struct {
	Scene       string  `json:"scene"`
	SensorHours float64 `json:"sensor_hours"` // stream time swept, all runs
	Dwells      int     `json:"dwells"`
	Reported    int     `json:"reported"`    // emissions the daemon would report
	Explained   int     `json:"explained"`   // … of which a handset sent (e.g. outside traffic)
	False       int     `json:"false"`       // … the rest
	Clutter     int     `json:"clutter"`     // emissions classified clutter (not reported)
	PerHour     float64 `json:"per_hour"`    // False / SensorHours
	PerDay      float64 `json:"per_day"`     // PerHour × 24
	PerDayUpper float64 `json:"per_day_u95"` // one-sided 95 % Poisson upper bound, per day
	// Examples lists up to 10 false detections.
	Examples []string `json:"examples,omitempty"`
	// Budgets: one row per budget swept over the same samples, the
	// operating one included, largest first.
	Budgets []BudgetFalseAlarms `json:"budgets"`
	// Extrapolated is the operating rate from the calibrated model (nil
	// without a calibration budget).
	Extrapolated *FalseAlarmExtrapolation `json:"extrapolated,omitempty"`
	// CalibrationExamples lists up to 10 false detections at the largest
	// budget (what the threshold lets through when lowered).
	CalibrationExamples []string `json:"calibration_examples,omitempty"`
}

// MeasureFalseAlarms sweeps scene with the daemon's sweeper for `runs`
// independent receivers (seeds) of `each` stream time apiece, in parallel.
// Each run simulates its stream once and feeds the same samples to one
// sweeper per budget: cfg.FalseAlarmsPerDay (the operating budget, whose
// counts fill the top-level fields) and every larger one in calibrate.
func MeasureFalseAlarms(scene func(seed int64) *sim.Scene, cfg SweepConfig, calibrate []float64, runs int, each time.Duration, seed int64) (FalseAlarms, error) {
	sched, err := cfg.schedule()
	if err != nil {
		return FalseAlarms{}, err
	}
	budgets := []float64{cfg.FalseAlarmsPerDay}
	for _, b := range calibrate {
		if !(b > cfg.FalseAlarmsPerDay) {
			return FalseAlarms{}, fmt.Errorf("calibration budget %g per day is not above the operating %g", b, cfg.FalseAlarmsPerDay)
		}
		if !slices.Contains(budgets, b) {
			budgets = append(budgets, b)
		}
	}
	slices.SortFunc(budgets, func(a, b float64) int { return cmp.Compare(b, a) })
	type result struct {
		runs []budgetRun // per budget
		err  error
	}
	res := make([]result, runs)
	var wg sync.WaitGroup
	for i := 0; i < runs; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i].runs, res[i].err = falseAlarmRun(scene(seed+int64(i)*104729), cfg, sched, each, budgets)
		}()
	}
	wg.Wait()
	per := make([]FalseAlarms, len(budgets))
	rows := make([]BudgetFalseAlarms, len(budgets))
	for _, r := range res {
		if r.err != nil {
			return FalseAlarms{}, r.err
		}
		for j := range budgets {
			f, o := r.runs[j].fa, &per[j]
			o.Scene = f.Scene
			o.SensorHours += f.SensorHours
			o.Dwells += f.Dwells
			o.Reported += f.Reported
			o.Explained += f.Explained
			o.False += f.False
			o.Clutter += f.Clutter
			for _, e := range f.Examples {
				if len(o.Examples) < 10 {
					o.Examples = append(o.Examples, e)
				}
			}
			rows[j].Budget = budgets[j]
			rows[j].Expected += r.runs[j].expected
			rows[j].OnClutter += r.runs[j].onClutter
			for c, n := range r.runs[j].causes {
				if rows[j].Causes == nil {
					rows[j].Causes = map[string]int{}
				}
				rows[j].Causes[c] += n
			}
		}
	}
	opIdx := slices.Index(budgets, cfg.FalseAlarmsPerDay)
	out := per[opIdx]
	out.PerHour = float64(out.False) / out.SensorHours
	out.PerDay = 24 * out.PerHour
	out.PerDayUpper = 24 * PoissonUpper(out.False, 0.95) / out.SensorHours
	for j := range rows {
		rows[j].False = per[j].False
		rows[j].fill(out.SensorHours)
	}
	out.Budgets = rows
	if x, ok := Extrapolate(rows, cfg.FalseAlarmsPerDay, out.SensorHours); ok {
		out.Extrapolated = &x
		out.CalibrationExamples = per[0].Examples
	}
	return out, nil
}

// PoissonUpper is the exact one-sided upper confidence bound at level conf
// on the mean of a Poisson count k: χ²_conf(2k+2)/2 (3.0 for k = 0 at 95 %).
func PoissonUpper(k int, conf float64) float64 {
	return distuv.ChiSquared{K: float64(2*k + 2)}.Quantile(conf) / 2
}

// sweepObserver collects what a sweeper reports.
type sweepObserver struct {
	stop   float64 // stream seconds after which the run ends
	cancel context.CancelFunc
	dwells int
	// tested sums, over the dwells from testFrom on that are past their
	// hop's warm-up, the share of the grid's bins searched (when fftSize
	// is set): the dwells' worth of full grids the detector tested.
	tested   float64
	testFrom float64
	fftSize  int
	ems      []detect.Emission
	hops     []*sweep.HopReport // kept only when keepHops
	keep     bool
}

func (o *sweepObserver) Hop(r *sweep.HopReport) {
	o.dwells++
	if o.fftSize > 0 && r.Start >= o.testFrom && !r.WarmingUp {
		o.tested += float64(len(r.FloorBins)) / float64(o.fftSize)
	}
	if o.keep {
		cp := *r
		cp.Bursts = append([]detect.Burst(nil), r.Bursts...)
		o.hops = append(o.hops, &cp)
	}
	if r.Start >= o.stop {
		o.cancel()
	}
}
func (o *sweepObserver) Sweep(sweep.SweepReport)    {}
func (o *sweepObserver) Emission(e detect.Emission) { o.ems = append(o.ems, e) }

// runSweep sweeps a simulated receiver in sc for `each` of stream time and
// returns the emissions and the simulator (for its truth).
func runSweep(sc *sim.Scene, cfg SweepConfig, sched sweep.Schedule, each time.Duration, keepHops bool) (*sweepObserver, *sim.Simulator, error) {
	src, err := source.NewSim("bench", sc, cfg.SampleRate, false)
	if err != nil {
		return nil, nil, err
	}
	defer src.Close()
	obs := &sweepObserver{stop: (cfg.Warmup + each).Seconds(), keep: keepHops}
	if err := sweepSource(src, cfg, sched, obs); err != nil {
		return nil, nil, err
	}
	return obs, src.Simulator(), nil
}

// sweepSource runs the daemon's sweeper over src until obs.stop.
func sweepSource(src source.Source, cfg SweepConfig, sched sweep.Schedule, obs *sweepObserver) error {
	sw, err := sweep.NewSweeper(src, sweep.SweeperConfig{
		Plan: cfg.Plan, Hops: sched.Hops, Order: sched.Order, Settle: cfg.Settle, Dwell: cfg.Dwell,
		FalseAlarmsPerDay: cfg.FalseAlarmsPerDay,
	})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	obs.cancel = cancel
	return sw.Run(ctx, obs)
}

// budgetRun is one sweeper's score in one run.
type budgetRun struct {
	fa        FalseAlarms
	onClutter int            // false detections on clutter (falseCause not "noise")
	causes    map[string]int // false detections by falseCause
	expected  float64        // the threshold model's false bursts over the dwells after warm-up
}

// falseAlarmRun sweeps one simulated stream with one sweeper per budget,
// all fed the same samples, and scores each.
func falseAlarmRun(sc *sim.Scene, cfg SweepConfig, sched sweep.Schedule, each time.Duration, budgets []float64) ([]budgetRun, error) {
	src, err := source.NewSim("bench", sc, cfg.SampleRate, false)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	_, readers := newFanOut(src, len(budgets))
	obs := make([]*sweepObserver, len(budgets))
	errs := make([]error, len(budgets))
	fft := dsp.FFTSizeFor(cfg.SampleRate)
	var wg sync.WaitGroup
	for j, b := range budgets {
		c := cfg
		c.FalseAlarmsPerDay = b
		obs[j] = &sweepObserver{stop: (cfg.Warmup + each).Seconds(), testFrom: cfg.Warmup.Seconds(), fftSize: fft}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer readers[j].Close()
			errs[j] = sweepSource(readers[j], c, sched, obs[j])
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	s := src.Simulator()
	out := make([]budgetRun, len(budgets))
	for j, b := range budgets {
		out[j].fa, out[j].causes = scoreFalseAlarms(s, sc, cfg, sched, obs[j])
		out[j].onClutter = out[j].fa.False - out[j].causes["noise"]
		out[j].expected = b / 86400 * obs[j].tested * cfg.Dwell.Seconds()
	}
	return out, nil
}

// scoreFalseAlarms counts what one sweeper reported against the truth,
// and the false detections by what lies under them.
func scoreFalseAlarms(s *sim.Simulator, sc *sim.Scene, cfg SweepConfig, sched sweep.Schedule, obs *sweepObserver) (fa FalseAlarms, causes map[string]int) {
	fa = FalseAlarms{Scene: sc.Name, SensorHours: (s.Now() - cfg.Warmup).Hours(), Dwells: obs.dwells}
	causes = map[string]int{}
	for _, e := range obs.ems {
		if e.Start < cfg.Warmup.Seconds() {
			continue
		}
		if e.Tech == detect.Clutter {
			fa.Clutter++
			continue
		}
		fa.Reported++
		if explainedByHandset(s, e) {
			fa.Explained++
			continue
		}
		fa.False++
		cause := falseCause(s, e, sched)
		causes[causeSource(cause)]++
		if len(fa.Examples) < 10 {
			fa.Examples = append(fa.Examples, fmt.Sprintf("t=%.3fs %.3f MHz bw %.0f kHz %s %s bursts=%d snr=%.1f dB on %s",
				e.Start, e.FreqHz/1e6, e.BandwidthHz/1e3, e.Tech, e.Band, e.Bursts, e.SNRdB, cause))
		}
	}
	return fa, causes
}

// causeSource names the source behind a cause: a keyed carrier's
// numbered intervals ("cw-903.1-4") count as one ("cw-903.1").
func causeSource(cause string) string {
	if i := strings.LastIndexByte(cause, '-'); i > 0 && strings.Contains(cause, "cw-") {
		if _, err := strconv.Atoi(cause[i+1:]); err == nil && strings.Count(cause[:i], "-") >= 1 {
			return cause[:i]
		}
	}
	return cause
}

// falseCause names what lies under a false detection: a clutter emitter
// or carrier, an intermodulation product, a spur, the hop-centre DC line,
// the I/Q image (mirrored about the centre of the hop it was seen on) of
// one of those, or "noise".
func falseCause(s *sim.Simulator, e detect.Emission, sched sweep.Schedule) string {
	lo, hi := e.FreqHz-e.BandwidthHz/2, e.FreqHz+e.BandwidthHz/2
	t0, t1 := secs(e.Start-5e-3), secs(e.End+5e-3)
	if c := clutterIn(s, lo, hi, t0, t1); c != "" {
		return c
	}
	sc := s.Scene()
	if sc.Spurs && len(sim.Spurs(lo-20e3, hi+20e3)) > 0 {
		return "spur"
	}
	if sc.DCOffset {
		for _, h := range sched.Hops {
			if h.CenterHz > lo-20e3 && h.CenterHz < hi+20e3 {
				return "dc"
			}
		}
	}
	if c := intermodAt(s, e.FreqHz, t0, t1); c != "" {
		return c
	}
	for _, h := range sched.Hops {
		if e.FreqHz < h.LowHz || e.FreqHz > h.HighHz {
			continue
		}
		if c := clutterIn(s, 2*h.CenterHz-hi, 2*h.CenterHz-lo, t0, t1); c != "" {
			return "image of " + c
		}
	}
	return "noise"
}

// clutterIn names a transmission or carrier on air over [t0, t1) that
// overlaps [lo, hi] Hz, or "".
func clutterIn(s *sim.Simulator, lo, hi float64, t0, t1 time.Duration) string {
	for _, r := range s.TruthBetween(t0, t1) {
		if r.FreqHz-r.BandwidthHz/2 < hi && r.FreqHz+r.BandwidthHz/2 > lo {
			return r.Emitter
		}
	}
	sc := s.Scene()
	for _, c := range sc.Carriers {
		half := max(c.OccupiedHz()/2, 20e3)
		on := t1 >= c.Start && (c.Until == 0 || t0 < c.Until)
		if on && c.FreqHz-half < hi && c.FreqHz+half > lo {
			return c.Name
		}
	}
	return ""
}

// intermodAt names the strongest intermodulation product on air over
// [t0, t1) whose density at f lifts the thermal floor by 0.4 dB or more
// (a tenth of it), or "".
func intermodAt(s *sim.Simulator, f float64, t0, t1 time.Duration) string {
	best, bestD := "", math.Pow(10, s.NoiseDBm(1)/10)/10 // mW/Hz
	for _, p := range s.Scene().IntermodProducts() {
		on := t1 >= p.Start && (p.Until == 0 || t0 < p.Until)
		if !on || p.BandwidthHz == 0 || math.Abs(f-p.FreqHz) > p.BandwidthHz/2 {
			continue
		}
		x := (f - p.FreqHz) / p.SigmaHz
		if d := math.Pow(10, p.RxPowerDBm/10) / (p.SigmaHz * math.Sqrt(2*math.Pi)) * math.Exp(-x*x/2); d >= bestD {
			best, bestD = p.Name, d
		}
	}
	return best
}

// explainedByHandset: a handset (not clutter) transmitted within the
// emission's time span (±5 ms) on overlapping frequencies.
func explainedByHandset(s *sim.Simulator, e detect.Emission) bool {
	lo, hi := e.FreqHz-e.BandwidthHz/2, e.FreqHz+e.BandwidthHz/2
	for _, r := range s.TruthBetween(secs(e.Start-5e-3), secs(e.End+5e-3)) {
		if r.Tech == detect.Clutter {
			continue
		}
		if r.FreqHz-r.BandwidthHz/2 < hi && r.FreqHz+r.BandwidthHz/2 > lo {
			return true
		}
	}
	return false
}
