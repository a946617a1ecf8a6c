package evaluate

import (
	"time"

	"github.com/cellwatch/cellwatch/pkg/detect"
	"github.com/cellwatch/cellwatch/pkg/sim"
	"github.com/cellwatch/cellwatch/pkg/sweep"
)

// Classes are the rows (truth) and columns (reported) of the confusion
// matrix, in order. "none" as truth: nothing transmitted there (a false
// detection); "unknown-cellular" as reported: a handset the classifier
// would not name.
var Classes = []string{"gsm", "lte", "umts", "nr", "clutter"}

// Confusion is the technology confusion matrix over the emissions the
// sweep reported (clutter included, which the daemon drops but the
// classifier decided), each matched to the emitter that sent most of it.
type Confusion struct {
	Scenes []string `json:"scenes"`
	// Matrix[truth][reported] counts emissions. Truth keys are Classes
	// plus "none"; reported keys Classes plus "unknown-cellular".
	Matrix map[string]map[string]int `json:"matrix"`
	// Right and Total: emissions whose truth is a class, and of those the
	// ones reported as that class. Accuracy = Right / Total.
	Right    int     `json:"right"`
	Total    int     `json:"total"`
	Accuracy float64 `json:"accuracy"`
	// HandsetRight/HandsetTotal: the same over handset emissions only
	// (truth gsm/lte/umts/nr): is the phone's technology named right.
	HandsetRight    int     `json:"handset_right"`
	HandsetTotal    int     `json:"handset_total"`
	HandsetAccuracy float64 `json:"handset_accuracy"`
	SensorHours     float64 `json:"sensor_hours"`

	// FamilyRight and FamilyAccuracy count an NR emission reported as LTE
	// (or the reverse) as right: on the same 180 kHz RB grid with the same
	// numerology, nothing in an energy detector's view tells them apart
	// (domain.md §2.1, §6). The strict figures above do not.
	FamilyRight    int     `json:"lte_nr_as_one_right"`
	FamilyAccuracy float64 `json:"lte_nr_as_one_accuracy"`
}

// sameFamily: LTE and NR uplinks are one family to an energy detector.
func sameFamily(truth, got string) bool {
	lteNR := func(s string) bool { return s == string(detect.LTE) || s == string(detect.NR) }
	return truth == got || lteNR(truth) && lteNR(got)
}

// techScene has one handset of each technology the EU plan carries, each
// busy again and again so every stretch of a run holds all of them: GSM
// calls (DTX) in B8 and SMS in B3, LTE data in B8 (beside UMTS) and SMS in
// B28, a UMTS call in B8 and NR data on n28, with the dongle's spurs and
// DC offset. techSceneAt sets their SNR.
func techScene(seed int64) *sim.Scene {
	sc := &sim.Scene{Name: "bench-techs", Seed: seed, Sensor: benchSensor(), Spurs: true, DCOffset: true}
	every := func(kind string, start, dur, period time.Duration) []sim.Activity {
		return []sim.Activity{{Kind: kind, Start: start, Duration: dur, Every: period}}
	}
	sc.Phones = []sim.Phone{
		{ID: "gsm-call", Tech: detect.GSM, X: 3, Y: 0, FreqHz: 897.4e6, DTX: true, Schedule: every(sim.Call, time.Second, 8*time.Second, 20*time.Second)},
		{ID: "gsm-sms", Tech: detect.GSM, X: 3, Y: 1, FreqHz: 1747.6e6, Schedule: every(sim.SMS, 2*time.Second, 0, 7*time.Second)},
		{ID: "lte-data", Tech: detect.LTE, X: 3, Y: 2, FreqHz: 882.5e6, BandwidthHz: 5e6, SRSPeriod: 40 * time.Millisecond,
			Schedule: every(sim.Data, 3*time.Second, 2*time.Second, 9*time.Second)},
		{ID: "lte-sms", Tech: detect.LTE, X: 3, Y: 3, FreqHz: 713e6, BandwidthHz: 10e6, InactivityTimer: 3 * time.Second,
			Schedule: every(sim.SMS, 4*time.Second, 0, 11*time.Second)},
		{ID: "umts-call", Tech: detect.UMTS, X: 3, Y: 4, FreqHz: 907.6e6, Schedule: every(sim.Call, 2*time.Second, 15*time.Second, 30*time.Second)},
		{ID: "nr-data", Tech: detect.NR, X: 3, Y: 5, FreqHz: 738e6, BandwidthHz: 10e6,
			Schedule: every(sim.Data, 5*time.Second, 2*time.Second, 13*time.Second)},
	}
	return sc
}

// techSceneAt sets every phone of techScene to snrDB in band (per RB for
// LTE and NR, per channel for GSM).
func techSceneAt(seed int64, sampleRate, snrDB float64) (*sim.Scene, error) {
	sc := techScene(seed)
	probe, err := sim.New(sc, sampleRate)
	if err != nil {
		return nil, err
	}
	for i, e := range probe.Emitters() {
		sc.Phones[i].ExtraLossDB = e.SNRdB - snrDB
	}
	return sc, nil
}

// MeasureConfusion sweeps each scene for `each` of stream time and scores
// the classification of every emission.
func MeasureConfusion(scenes []*sim.Scene, cfg SweepConfig, each time.Duration) (Confusion, error) {
	sched, err := cfg.schedule()
	if err != nil {
		return Confusion{}, err
	}
	c := Confusion{Matrix: map[string]map[string]int{}}
	for _, sc := range scenes {
		obs, s, err := runSweep(sc, cfg, sched, cfg.Warmup+each, false)
		if err != nil {
			return c, err
		}
		c.Scenes = append(c.Scenes, sc.Name)
		c.SensorHours += (s.Now() - cfg.Warmup).Hours()
		for _, e := range obs.ems {
			if e.Start < cfg.Warmup.Seconds() {
				continue
			}
			truth := truthClass(s, e, sched)
			got := string(e.Tech)
			if c.Matrix[truth] == nil {
				c.Matrix[truth] = map[string]int{}
			}
			c.Matrix[truth][got]++
			if truth == "none" {
				continue
			}
			c.Total++
			if truth == got {
				c.Right++
			}
			if sameFamily(truth, got) {
				c.FamilyRight++
			}
			if truth != string(detect.Clutter) {
				c.HandsetTotal++
				if truth == got {
					c.HandsetRight++
				}
			}
		}
	}
	if c.Total > 0 {
		c.Accuracy = float64(c.Right) / float64(c.Total)
		c.FamilyAccuracy = float64(c.FamilyRight) / float64(c.Total)
	}
	if c.HandsetTotal > 0 {
		c.HandsetAccuracy = float64(c.HandsetRight) / float64(c.HandsetTotal)
	}
	return c, nil
}

// truthClass is the technology of the emitter with the most transmissions
// inside the emission's span and band, or "none".
func truthClass(s *sim.Simulator, e detect.Emission, sched sweep.Schedule) string {
	lo, hi := e.FreqHz-e.BandwidthHz/2, e.FreqHz+e.BandwidthHz/2
	count := map[string]int{}
	tech := map[string]detect.Tech{}
	best, bestN := "", 0
	for _, r := range s.TruthBetween(secs(e.Start-2e-3), secs(e.End+2e-3)) {
		if r.FreqHz-r.BandwidthHz/2 >= hi || r.FreqHz+r.BandwidthHz/2 <= lo {
			continue
		}
		count[r.Emitter]++
		tech[r.Emitter] = r.Tech
		if n := count[r.Emitter]; n > bestN || n == bestN && r.Emitter < best {
			best, bestN = r.Emitter, n
		}
	}
	if bestN == 0 {
		// The receiver's own lines are clutter too: the 28.8 MHz spurs and
		// the DC offset at each hop's centre.
		sc := s.Scene()
		if sc.Spurs && len(sim.Spurs(lo-20e3, hi+20e3)) > 0 {
			return string(detect.Clutter)
		}
		if sc.DCOffset {
			for _, h := range sched.Hops {
				if h.CenterHz > lo-20e3 && h.CenterHz < hi+20e3 {
					return string(detect.Clutter)
				}
			}
		}
		return "none"
	}
	return string(tech[best])
}
