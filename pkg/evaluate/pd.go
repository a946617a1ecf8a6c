package evaluate

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"time"

	"github.com/cellwatch/cellwatch/pkg/detect"
	"github.com/cellwatch/cellwatch/pkg/sim"
)

// Signal is one kind of transmission whose single-shot detection
// probability the benchmark measures: which truth records are its trials,
// and the time-bandwidth product the ideal energy detector integrates.
type Signal struct {
	Name string // "gsm-burst", "lte-1rb", "lte-6rb", "prach"
	// Label for tables and plots.
	Label string
	// Kind and BandwidthHz select the trials among the truth records.
	Kind        string
	BandwidthHz float64
	// Duration is the on-air time the ideal detector integrates (s), and
	// NoiseBandwidthHz the band it integrates over, in which SNR is quoted.
	Duration, NoiseBandwidthHz float64
	// scene builds a one-phone scene; the phone's extra loss is set per SNR.
	scene func(seed int64) *sim.Scene
	// tune is where the receiver sits relative to the phone's FreqHz.
	tuneOffset float64
}

// N is the ideal detector's time-bandwidth product (complex samples).
func (s Signal) N() float64 { return s.Duration * s.NoiseBandwidthHz }

// Signals are the four single-shot cases of issue 3 (domain.md §2, §5.1).
func Signals() []Signal {
	prachLen := (3168.0 + 24576.0) / 30.72e6 // format 0: CP + sequence
	return []Signal{
		{Name: "gsm-burst", Label: "GSM normal burst (577 µs × 200 kHz)", Kind: sim.KindGSMBurst, BandwidthHz: 200e3,
			Duration: 576.9e-6, NoiseBandwidthHz: 200e3, scene: gsmScene, tuneOffset: -300e3},
		{Name: "lte-1rb", Label: "LTE subframe, 1 RB (1 ms × 180 kHz)", Kind: sim.KindLTESubframe, BandwidthHz: 180e3,
			Duration: 1e-3, NoiseBandwidthHz: 180e3, scene: lteDataScene, tuneOffset: 0},
		{Name: "lte-6rb", Label: "LTE subframe, 6 RB (1 ms × 1.08 MHz)", Kind: sim.KindLTESubframe, BandwidthHz: 1080e3,
			Duration: 1e-3, NoiseBandwidthHz: 1080e3, scene: lteDataScene, tuneOffset: 0},
		{Name: "prach", Label: "LTE PRACH preamble (0.9 ms × 1.05 MHz)", Kind: sim.KindPRACH, BandwidthHz: 839 * 1250,
			Duration: prachLen, NoiseBandwidthHz: 839 * 1250, scene: prachScene, tuneOffset: -300e3},
	}
}

// benchSensor is a receiver whose gain puts thermal noise at ~5.8 LSB rms
// per rail (full scale −80 dBm at 2.4 MS/s): 8-bit quantisation then adds
// 0.25 % to the noise, so the SNR quoted against kTB·NF is the SNR the
// detector sees. No DC offset or spurs: these curves measure detection in
// noise; clutter is measured separately.
func benchSensor() sim.Sensor {
	return sim.Sensor{Name: "bench", Zone: "bench", X: 0, Y: 0, NoiseFigureDB: 6, FullScaleDBm: -80}
}

func gsmScene(seed int64) *sim.Scene {
	return &sim.Scene{Name: "bench-gsm", Seed: seed, Sensor: benchSensor(), Phones: []sim.Phone{{
		ID: "gsm", Tech: detect.GSM, X: 3, Y: 0, TxPowerDBm: 5, FreqHz: 897.4e6,
		// Calls of 4.5 s every 5 s: the simulator plans an occurrence whole,
		// so long ones make truth look-ups slow.
		Schedule: []sim.Activity{{Kind: sim.Call, Start: 50 * time.Millisecond, Duration: 4500 * time.Millisecond, Every: 5 * time.Second}},
	}}}
}

// lteDataScene: one phone in a 3 MHz carrier uploading data: groups of 1–4
// PUSCH subframes on random allocations every 5–40 ms, in sessions of
// 0.5 s.
// Three such phones share the carrier (more trials per second; the
// trials exclude collisions).
func lteDataScene(seed int64) *sim.Scene {
	sc := &sim.Scene{Name: "bench-lte", Seed: seed, Sensor: benchSensor()}
	for i := range 3 {
		sc.Phones = append(sc.Phones, sim.Phone{
			ID: fmt.Sprintf("lte-%d", i), Tech: detect.LTE, X: 3, Y: 0, TxPowerDBm: -20, FreqHz: 847.0e6, BandwidthHz: 3e6,
			InactivityTimer: time.Millisecond,
			Schedule: []sim.Activity{{Kind: sim.Data, Start: time.Duration(20+170*i) * time.Millisecond,
				Duration: 500 * time.Millisecond, Every: 520 * time.Millisecond}},
		})
	}
	return sc
}

// prachScene: a phone that connects every 20 ms for a single Msg3 and lets
// go at once, so each occurrence starts with a PRACH preamble.
func prachScene(seed int64) *sim.Scene {
	return &sim.Scene{Name: "bench-prach", Seed: seed, Sensor: benchSensor(), Phones: []sim.Phone{{
		ID: "lte", Tech: detect.LTE, X: 3, Y: 0, TxPowerDBm: -20, FreqHz: 847.0e6, BandwidthHz: 3e6,
		InactivityTimer: time.Millisecond,
		Schedule:        []sim.Activity{{Kind: sim.Data, Start: 20 * time.Millisecond, Duration: time.Millisecond, Every: 20 * time.Millisecond}},
	}}}
}

// PDPoint is the measured detection probability at one SNR.
type PDPoint struct {
	SNRdB    float64 `json:"snr_db"` // mean in-band SNR of the trials
	Trials   int     `json:"trials"`
	Detected int     `json:"detected"`
	PD       float64 `json:"pd"`
	// Lo and Hi bound PD (Wilson 95 % interval).
	Lo      float64 `json:"pd_lo"`
	Hi      float64 `json:"pd_hi"`
	IdealPD float64 `json:"ideal_pd"`
}

// PDCurve is one signal's measured curve and the ideal detector beside it.
type PDCurve struct {
	Signal string    `json:"signal"`
	Label  string    `json:"label"`
	N      float64   `json:"time_bandwidth"` // the ideal detector's N
	PFA    float64   `json:"pfa_per_test"`
	Points []PDPoint `json:"points"`
	// SNR90 is the in-band SNR (dB) at PD 0.9, interpolated between the
	// points; IdealSNR90 the ideal detector's, exactly; GapDB their
	// difference. SNR90 is NaN when the points do not bracket 0.9.
	SNR90      float64 `json:"snr90_db"`
	IdealSNR90 float64 `json:"ideal_snr90_db"`
	GapDB      float64 `json:"gap_db"`
}

// PDConfig sets up a curve measurement.
type PDConfig struct {
	SNRsDB []float64
	Trials int // per SNR point (at least)
	// RefineTrials, when positive, are measured again (with new noise and
	// schedules) at the two points that bracket Pd 0.9 after the first
	// pass, and added to them: the crossing is then known to the precision
	// of Trials+RefineTrials there, at the cost of two points.
	RefineTrials      int
	Seed              int64
	FalseAlarmsPerDay float64
	Dwell, Settle     time.Duration
	SampleRate        float64
}

// warmupDwells: dwells whose bursts do not count while the hop's floor is
// learned (the sweeper's warm-up does the same).
const warmupDwells = 3

// MeasurePD measures sig's detection probability at each SNR of cfg.
// A trial is one truth record of the signal's kind and bandwidth that lies
// wholly inside a dwell and inside the searched band, with no other
// transmission within 1 ms and 200 kHz of it
// (so a neighbour cannot lend it energy, nor take it over). It is detected when a burst that
// is not clutter overlaps it in time and frequency.
func MeasurePD(sig Signal, cfg PDConfig) (PDCurve, error) {
	var pfa float64
	curve := PDCurve{Signal: sig.Name, Label: sig.Label, N: sig.N()}
	// The points are independent simulations: measure them in parallel.
	pts := make([]PDPoint, len(cfg.SNRsDB))
	errs := make([]error, len(cfg.SNRsDB))
	pfas := make([]float64, len(cfg.SNRsDB))
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	for i, snr := range cfg.SNRsDB {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			pts[i], pfas[i], errs[i] = measurePoint(sig, cfg, cfg.Seed+int64(i)*7919, snr)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return curve, fmt.Errorf("%s at %g dB: %w", sig.Name, cfg.SNRsDB[i], err)
		}
	}
	if cfg.RefineTrials > 0 {
		if err := refineCrossing(sig, cfg, pts); err != nil {
			return curve, err
		}
	}
	curve.Points, pfa = pts, pfas[0]
	curve.PFA = pfa
	ideal := IdealED{N: sig.N()}
	for i := range curve.Points {
		curve.Points[i].IdealPD = ideal.PD(dbToLin(curve.Points[i].SNRdB), pfa)
	}
	req, err := ideal.RequiredSNR(0.9, pfa)
	if err != nil {
		return curve, err
	}
	curve.IdealSNR90 = linToDB(req)
	curve.SNR90 = interpolate90(curve.Points)
	curve.GapDB = curve.SNR90 - curve.IdealSNR90
	return curve, nil
}

// refineCrossing adds cfg.RefineTrials trials to the two points of pts
// that bracket Pd 0.9 (in parallel, with seeds of their own).
func refineCrossing(sig Signal, cfg PDConfig, pts []PDPoint) error {
	at := -1
	for i := 1; i < len(pts); i++ {
		if pts[i-1].PD < 0.9 && pts[i].PD >= 0.9 {
			at = i - 1
			break
		}
	}
	if at < 0 {
		return nil // no crossing to refine: the curve says so by itself
	}
	more := cfg
	more.Trials = cfg.RefineTrials
	var extra [2]PDPoint
	var errs [2]error
	var wg sync.WaitGroup
	for j := range extra {
		i := at + j
		wg.Add(1)
		go func() {
			defer wg.Done()
			extra[j], _, errs[j] = measurePoint(sig, more, cfg.Seed+int64(i)*7919+104729, cfg.SNRsDB[i])
		}()
	}
	wg.Wait()
	for j, e := range extra {
		if errs[j] != nil {
			return fmt.Errorf("%s at %g dB, refining: %w", sig.Name, cfg.SNRsDB[at+j], errs[j])
		}
		pts[at+j] = mergePoints(pts[at+j], e)
	}
	return nil
}

// mergePoints pools two measurements of one SNR point.
func mergePoints(a, b PDPoint) PDPoint {
	n := a.Trials + b.Trials
	m := PDPoint{Trials: n, Detected: a.Detected + b.Detected}
	if n == 0 {
		return m
	}
	m.SNRdB = (a.SNRdB*float64(a.Trials) + b.SNRdB*float64(b.Trials)) / float64(n)
	m.PD = float64(m.Detected) / float64(n)
	m.Lo, m.Hi = wilson(m.Detected, n)
	return m
}

func measurePoint(sig Signal, cfg PDConfig, seed int64, snrDB float64) (PDPoint, float64, error) {
	sc := sig.scene(seed)
	s, err := sim.New(sc, cfg.SampleRate)
	if err != nil {
		return PDPoint{}, 0, err
	}
	// Set the phone's extra loss so its in-band SNR is snrDB. The scene's
	// link budget gives the per-RB (LTE) or per-channel (GSM) SNR; the
	// signal's own band may differ (6 RB: the same; PRACH: 6 RB of power
	// in 1.05 MHz), so go by a truth record's power.
	probe, err := firstTrialSNR(s, sig)
	if err != nil {
		return PDPoint{}, 0, err
	}
	for i := range sc.Phones {
		sc.Phones[i].ExtraLossDB = probe - snrDB
	}
	if s, err = sim.New(sc, cfg.SampleRate); err != nil {
		return PDPoint{}, 0, err
	}
	phoneHz := sc.Phones[0].FreqHz
	c, err := newDwellChain(s, phoneHz+sig.tuneOffset, cfg.Dwell, cfg.Settle, cfg.FalseAlarmsPerDay)
	if err != nil {
		return PDPoint{}, 0, err
	}
	fLo, fHi := c.searched()
	pt := PDPoint{}
	var snrSum float64
	noise := s.NoiseDBm(sig.NoiseBandwidthHz)
	for d := 0; pt.Trials < cfg.Trials; d++ {
		if d > 2000*cfg.Trials+5000 {
			return pt, 0, fmt.Errorf("only %d trials in %d dwells", pt.Trials, d)
		}
		t0, t1, bursts := c.next()
		if d < warmupDwells {
			continue
		}
		recs := s.TruthBetween(secs(t0-2e-3), secs(t1+2e-3))
		for i, r := range recs {
			if r.Kind != sig.Kind || math.Abs(r.BandwidthHz-sig.BandwidthHz) > 1e3 {
				continue
			}
			rs, re := r.Start.Seconds(), r.End.Seconds()
			lo, hi := r.FreqHz-r.BandwidthHz/2, r.FreqHz+r.BandwidthHz/2
			if rs < t0 || re > t1 || lo < fLo || hi > fHi || crowded(recs, i) {
				continue
			}
			pt.Trials++
			snrSum += r.PowerDBm - noise
			for _, b := range bursts {
				if !b.Shape.Clutter() && b.Start < re && b.End > rs && b.FreqLo < hi && b.FreqHi > lo {
					pt.Detected++
					break
				}
			}
		}
	}
	pt.SNRdB = snrSum / float64(pt.Trials)
	pt.PD = float64(pt.Detected) / float64(pt.Trials)
	pt.Lo, pt.Hi = wilson(pt.Detected, pt.Trials)
	return pt, c.det.PFA(), nil
}

// firstTrialSNR is the in-band SNR of the first transmission of sig's kind
// that the simulator schedules.
func firstTrialSNR(s *sim.Simulator, sig Signal) (float64, error) {
	for t := time.Duration(0); t < 10*time.Second; t += 100 * time.Millisecond {
		for _, r := range s.TruthBetween(t, t+100*time.Millisecond) {
			if r.Kind == sig.Kind && math.Abs(r.BandwidthHz-sig.BandwidthHz) <= 1e3 {
				return r.PowerDBm - s.NoiseDBm(sig.NoiseBandwidthHz), nil
			}
		}
	}
	return 0, fmt.Errorf("scene sends no %s of %.0f kHz in its first 10 s", sig.Kind, sig.BandwidthHz/1e3)
}

// crowded reports whether another record lies within 1 ms of recs[i] and
// within 200 kHz of its band: close enough that the detector may take both
// for one region (one phone's back-to-back subframes on neighbouring RBs
// are one burst) and report it where the other one is.
func crowded(recs []sim.TruthRecord, i int) bool {
	r := recs[i]
	lo, hi := r.FreqHz-r.BandwidthHz/2-200e3, r.FreqHz+r.BandwidthHz/2+200e3
	for j, o := range recs {
		if j == i {
			continue
		}
		olo, ohi := o.FreqHz-o.BandwidthHz/2, o.FreqHz+o.BandwidthHz/2
		if o.Start < r.End+time.Millisecond && o.End > r.Start-time.Millisecond && olo < hi && ohi > lo {
			return true
		}
	}
	return false
}

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// wilson is the Wilson score 95 % interval of k successes in n trials.
func wilson(k, n int) (lo, hi float64) {
	if n == 0 {
		return 0, 1
	}
	const z = 1.959964
	p, fn := float64(k)/float64(n), float64(n)
	den := 1 + z*z/fn
	c := (p + z*z/(2*fn)) / den
	h := z * math.Sqrt(p*(1-p)/fn+z*z/(4*fn*fn)) / den
	return math.Max(0, c-h), math.Min(1, c+h)
}

// interpolate90 is the SNR where the measured curve first crosses PD 0.9,
// linearly interpolated between the bracketing points (sorted by SNR).
func interpolate90(pts []PDPoint) float64 {
	for i := 1; i < len(pts); i++ {
		a, b := pts[i-1], pts[i]
		if a.PD < 0.9 && b.PD >= 0.9 {
			return a.SNRdB + (0.9-a.PD)/(b.PD-a.PD)*(b.SNRdB-a.SNRdB)
		}
	}
	if len(pts) > 0 && pts[0].PD >= 0.9 {
		return math.Inf(-1) // already above 0.9 at the lowest SNR tried
	}
	return math.NaN()
}
