package evaluate

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/cellwatch/cellwatch/pkg/bands"
	"github.com/cellwatch/cellwatch/pkg/detect"
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
// (anything but clutter) that no handset transmission explains.
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
}

// MeasureFalseAlarms sweeps scene with the daemon's sweeper for `runs`
// independent receivers (seeds) of `each` stream time apiece, in parallel.
func MeasureFalseAlarms(scene func(seed int64) *sim.Scene, cfg SweepConfig, runs int, each time.Duration, seed int64) (FalseAlarms, error) {
	sched, err := cfg.schedule()
	if err != nil {
		return FalseAlarms{}, err
	}
	type result struct {
		fa  FalseAlarms
		err error
	}
	res := make([]result, runs)
	var wg sync.WaitGroup
	for i := 0; i < runs; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i].fa, res[i].err = falseAlarmRun(scene(seed+int64(i)*104729), cfg, sched, each)
		}()
	}
	wg.Wait()
	var out FalseAlarms
	for _, r := range res {
		if r.err != nil {
			return out, r.err
		}
		out.Scene = r.fa.Scene
		out.SensorHours += r.fa.SensorHours
		out.Dwells += r.fa.Dwells
		out.Reported += r.fa.Reported
		out.Explained += r.fa.Explained
		out.False += r.fa.False
		out.Clutter += r.fa.Clutter
		for _, e := range r.fa.Examples {
			if len(out.Examples) < 10 {
				out.Examples = append(out.Examples, e)
			}
		}
	}
	out.PerHour = float64(out.False) / out.SensorHours
	out.PerDay = 24 * out.PerHour
	out.PerDayUpper = 24 * PoissonUpper(out.False, 0.95) / out.SensorHours
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
	ems    []detect.Emission
	hops   []*sweep.HopReport // kept only when keepHops
	keep   bool
}

func (o *sweepObserver) Hop(r *sweep.HopReport) {
	o.dwells++
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
	sw, err := sweep.NewSweeper(src, sweep.SweeperConfig{
		Plan: cfg.Plan, Hops: sched.Hops, Order: sched.Order, Settle: cfg.Settle, Dwell: cfg.Dwell,
		FalseAlarmsPerDay: cfg.FalseAlarmsPerDay,
	})
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	obs := &sweepObserver{stop: (cfg.Warmup + each).Seconds(), cancel: cancel, keep: keepHops}
	if err := sw.Run(ctx, obs); err != nil {
		return nil, nil, err
	}
	return obs, src.Simulator(), nil
}

func falseAlarmRun(sc *sim.Scene, cfg SweepConfig, sched sweep.Schedule, each time.Duration) (FalseAlarms, error) {
	obs, s, err := runSweep(sc, cfg, sched, each, false)
	if err != nil {
		return FalseAlarms{}, err
	}
	fa := FalseAlarms{Scene: sc.Name, SensorHours: (s.Now() - cfg.Warmup).Hours(), Dwells: obs.dwells}
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
		if len(fa.Examples) < 10 {
			fa.Examples = append(fa.Examples, fmt.Sprintf("t=%.3fs %.3f MHz bw %.0f kHz %s %s bursts=%d snr=%.1f dB",
				e.Start, e.FreqHz/1e6, e.BandwidthHz/1e3, e.Tech, e.Band, e.Bursts, e.SNRdB))
		}
	}
	return fa, nil
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
