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
