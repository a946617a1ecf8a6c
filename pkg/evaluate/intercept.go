package evaluate

import (
	"fmt"
	"sync"
	"time"

	"github.com/cellwatch/cellwatch/pkg/detect"
	"github.com/cellwatch/cellwatch/pkg/sim"
	"github.com/cellwatch/cellwatch/pkg/sweep"
)

// Intercept is the probability that the sweep reports a short signalling
// event: an idle LTE phone waking up (PRACH, Msg3, a few PUSCH subframes
// within 250 ms, then PUCCH until the connection drops), EventLen long in
// all, at a random moment, on carriers spread over the plan's bands.
type Intercept struct {
	EventLen string  `json:"event_len"`
	Events   int     `json:"events"`
	Caught   int     `json:"caught"`
	P        float64 `json:"p"`
	Lo       float64 `json:"p_lo"` // Wilson 95 %
	Hi       float64 `json:"p_hi"`
	// Receivers is how many dongles share the plan (sweep.AssignHops).
	Receivers int `json:"receivers"`
	// Timing is the share of events that at least one dwell on their hop
	// overlapped (what the hop plan allows, whatever the detector does).
	Timing float64 `json:"timing"`
	// Heard is the share of events of which at least one transmission
	// overlapped a dwell in time and that hop's slice in frequency: the
	// most any detector could catch on this schedule. The rest of the gap
	// to P is the detector's.
	Heard      float64 `json:"heard"`
	Pass       string  `json:"pass"`        // one pass of the schedule (the longest receiver's)
	MaxRevisit string  `json:"max_revisit"` // longest wait between looks at a hop
	SNRdB      float64 `json:"snr_db"`      // per-RB in-band SNR of the phones
	Hops       int     `json:"hops"`
}

// interceptCarriers are uplink carrier centres in each EU band (B28, B20,
// B8, B3) where the benchmark's phones wake up.
var interceptCarriers = []float64{713.0e6, 738.0e6, 837.0e6, 857.0e6, 887.5e6, 907.5e6, 1725.0e6, 1750.0e6}

// interceptScene: one LTE phone per carrier, 10 MHz wide, each waking for
// an SMS-like exchange whose inactivity tail ends the event after eventLen;
// events recur every period with phases staggered between phones, so over
// many passes they fall at every phase of the sweep.
func interceptScene(seed int64, eventLen, period time.Duration, snrDB float64) *sim.Scene {
	sc := &sim.Scene{Name: "bench-intercept", Seed: seed, Sensor: benchSensor()}
	for i, f := range interceptCarriers {
		start := 200*time.Millisecond + time.Duration(i)*period/time.Duration(len(interceptCarriers)) + time.Duration(seed%997)*time.Millisecond
		sc.Phones = append(sc.Phones, sim.Phone{
			ID: fmt.Sprintf("wake-%d", i), Tech: detect.LTE, X: 3, Y: float64(i), TxPowerDBm: -20, FreqHz: f, BandwidthHz: 10e6,
			// The SMS data phase lasts 250 ms; the tail makes up the rest.
			InactivityTimer: eventLen - 250*time.Millisecond,
			Schedule:        []sim.Activity{{Kind: sim.SMS, Start: start, Every: period}},
		})
	}
	return sc
}

// MeasureIntercept sweeps the intercept scene with `receivers` dongles
// sharing the plan, as the daemon shares it, for `each` of stream time, and
// counts the events some reported emission overlaps in time and band.
func MeasureIntercept(cfg SweepConfig, receivers int, eventLen time.Duration, snrDB float64, each time.Duration, seed int64) (Intercept, error) {
	if receivers < 1 {
		return Intercept{}, fmt.Errorf("intercept: %d receivers", receivers)
	}
	hp, err := sweep.NewHopPlan(cfg.Plan, sweep.HopPlanConfig{SampleRate: cfg.SampleRate})
	if err != nil {
		return Intercept{}, err
	}
	shares, _, err := sweep.AssignHops(hp.Hops, make([][]string, receivers))
	if err != nil {
		return Intercept{}, err
	}
	period := 3*eventLen + 137*time.Millisecond // incommensurate with the pass
	sc := interceptScene(seed, eventLen, period, snrDB)
	// Set each phone's loss so one RB arrives at snrDB.
	probe, err := sim.New(sc, cfg.SampleRate)
	if err != nil {
		return Intercept{}, err
	}
	for i, e := range probe.Emitters() {
		sc.Phones[i].ExtraLossDB = e.SNRdB - snrDB
	}
	out := Intercept{EventLen: eventLen.String(), SNRdB: snrDB, Hops: len(hp.Hops), Receivers: receivers}
	// Every receiver is its own simulated dongle in the same scene: the
	// phones' schedules depend on the seed alone, so all see the same truth.
	obs := make([]*sweepObserver, receivers)
	sims := make([]*sim.Simulator, receivers)
	errs := make([]error, receivers)
	var longest sweep.Schedule
	var wg sync.WaitGroup
	for i, share := range shares {
		sched := sweep.NewSchedule(share, cfg.Priority, cfg.Dwell, cfg.Settle)
		if sched.Pass() > longest.Pass() {
			longest = sched
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			obs[i], sims[i], errs[i] = runSweep(sc, cfg, sched, cfg.Warmup+each, true)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return Intercept{}, err
		}
	}
	out.Pass, out.MaxRevisit = longest.Pass().String(), longest.MaxRevisit().String()
	var hops []*sweep.HopReport
	var ems []detect.Emission
	end := sims[0].Now()
	for i := range obs {
		hops = append(hops, obs[i].hops...)
		ems = append(ems, obs[i].ems...)
		end = min(end, sims[i].Now())
	}
	dwell := cfg.Dwell.Seconds()
	looked, heard := 0, 0
	for _, a := range sims[0].ActivitiesBetween(cfg.Warmup, end-eventLen) {
		if a.Tech == detect.Clutter || a.Start < cfg.Warmup {
			continue
		}
		out.Events++
		as, ae := a.Start.Seconds(), a.End.Seconds()
		lo, hi := a.FreqHz-a.BandwidthHz/2, a.FreqHz+a.BandwidthHz/2
		for _, h := range hops {
			if h.Start < ae && h.Start+dwell > as && h.Hop.LowHz < hi && h.Hop.HighHz > lo {
				looked++
				break
			}
		}
		if overlapsDwell(sims[0].TruthBetween(a.Start, a.End), a.Emitter, hops, dwell) {
			heard++
		}
		for _, e := range ems {
			if e.Tech != detect.Clutter && e.Start < ae && e.End > as &&
				e.FreqHz-e.BandwidthHz/2 < hi && e.FreqHz+e.BandwidthHz/2 > lo {
				out.Caught++
				break
			}
		}
	}
	if out.Events == 0 {
		return out, fmt.Errorf("no events in %v", each)
	}
	out.P = float64(out.Caught) / float64(out.Events)
	out.Lo, out.Hi = wilson(out.Caught, out.Events)
	out.Timing = float64(looked) / float64(out.Events)
	out.Heard = float64(heard) / float64(out.Events)
	return out, nil
}

// overlapsDwell: one of the emitter's transmissions overlapped a dwell in
// time and that hop's slice in frequency.
func overlapsDwell(recs []sim.TruthRecord, emitter string, hops []*sweep.HopReport, dwell float64) bool {
	for _, r := range recs {
		if r.Emitter != emitter {
			continue
		}
		rs, re := r.Start.Seconds(), r.End.Seconds()
		lo, hi := r.FreqHz-r.BandwidthHz/2, r.FreqHz+r.BandwidthHz/2
		for _, h := range hops {
			if h.Start < re && h.Start+dwell > rs && h.Hop.LowHz < hi && h.Hop.HighHz > lo {
				return true
			}
		}
	}
	return false
}
