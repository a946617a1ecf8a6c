package evaluate

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/cellwatch/cellwatch/pkg/detect"
	"github.com/cellwatch/cellwatch/pkg/sim"
)

// ZoneAccuracy scores the site's zone decision (DecideZones) in a
// multi-sensor scene: every sensor box runs the daemon's sweeper on its own
// stream over the same simulated time with the same hop schedule, the
// site groups their detections and names a zone, and the zone is compared
// with the truth zone of the emitter that sent the transmission.
type ZoneAccuracy struct {
	Scene       string  `json:"scene"`
	Sensors     int     `json:"sensors"`
	SensorHours float64 `json:"sensor_hours"` // stream time after warm-up, all sensors
	Detections  int     `json:"detections"`   // non-clutter sensor detections after warm-up
	// Emissions are the site emissions scored (a handset in a zone sent
	// them); Right of them got the emitter's zone.
	Emissions int     `json:"emissions"`
	Right     int     `json:"right"`
	Accuracy  float64 `json:"accuracy"`
	Lo        float64 `json:"accuracy_lo"` // Wilson 95 %
	Hi        float64 `json:"accuracy_hi"`
	// SingleSensor: scored emissions only one box heard (they go to its
	// zone); SingleRight of them right.
	SingleSensor int `json:"single_sensor"`
	SingleRight  int `json:"single_right"`
	// Unexplained: site emissions no handset transmission explains (false
	// or clutter the classifier let through); NoZone: sent by a handset
	// outside every zone. Neither is scored.
	Unexplained int `json:"unexplained"`
	NoZone      int `json:"no_zone"`
	// GeometryRight is the share of scored emissions whose emitter is
	// strongest (truth link power, shadowing included) at a sensor of its
	// own zone: what a perfect level measurement would reach with this
	// rule in this scene.
	GeometryRight float64 `json:"geometry_right"`
	// Mistakes lists up to 10 wrong decisions.
	Mistakes []string `json:"mistakes,omitempty"`
}

// MeasureZones sweeps every sensor of sc for `each` of stream time after
// the warm-up, two sensors at a time, and scores the site's zone decision.
func MeasureZones(sc *sim.Scene, cfg SweepConfig, each time.Duration) (ZoneAccuracy, error) {
	sensors := sc.SensorList()
	if len(sensors) < 2 {
		return ZoneAccuracy{}, fmt.Errorf("zone accuracy: scene %q has %d sensor(s); it takes a multi-sensor scene", sc.Name, len(sensors))
	}
	sched, err := cfg.schedule()
	if err != nil {
		return ZoneAccuracy{}, err
	}
	type result struct {
		dets  []SensorDetection
		s     *sim.Simulator
		hours float64
		err   error
	}
	res := make([]result, len(sensors))
	var wg sync.WaitGroup
	slots := make(chan struct{}, 2) // the sweeps are CPU-bound
	for i, se := range sensors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			r := &res[i]
			ssc, err := sc.ForSensor(se.Name)
			if err != nil {
				r.err = err
				return
			}
			obs, s, err := runSweep(ssc, cfg, sched, cfg.Warmup+each, false)
			if err != nil {
				r.err = fmt.Errorf("sensor %q: %w", se.Name, err)
				return
			}
			r.s, r.hours = s, (s.Now() - cfg.Warmup).Hours()
			fs := fullScaleDBm(se)
			for _, e := range obs.ems {
				// The daemon reports no clutter and raises nothing during
				// its warm-up.
				if e.Tech == detect.Clutter || e.Start < cfg.Warmup.Seconds() {
					continue
				}
				r.dets = append(r.dets, SensorDetection{Sensor: se.Name, Zone: se.Zone, Start: e.Start, End: e.End,
					LoHz: e.FreqHz - e.BandwidthHz/2, HiHz: e.FreqHz + e.BandwidthHz/2, LevelDB: e.PowerDBFS + fs})
			}
		}()
	}
	wg.Wait()
	out := ZoneAccuracy{Scene: sc.Name, Sensors: len(sensors)}
	var dets []SensorDetection
	for _, r := range res {
		if r.err != nil {
			return out, fmt.Errorf("zone accuracy: %w", r.err)
		}
		out.SensorHours += r.hours
		dets = append(dets, r.dets...)
	}
	out.Detections = len(dets)
	site, err := DecideZones(dets, DefaultZoneMatch)
	if err != nil {
		return out, fmt.Errorf("zone accuracy: %w", err)
	}
	// The emitters and their schedules are the same at every sensor, so
	// any sensor's simulator holds the truth.
	s := res[0].s
	geomZone := map[string]string{} // emitter → zone of its strongest sensor
	for _, in := range s.Emitters() {
		best := math.Inf(-1)
		for _, l := range in.PerSensor {
			if l.RxPowerDBm > best {
				best, geomZone[in.ID] = l.RxPowerDBm, l.Zone
			}
		}
	}
	geom := 0
	for _, e := range site {
		id, zone, ok := truthEmitter(s, e)
		switch {
		case !ok:
			out.Unexplained++
			continue
		case zone == "":
			out.NoZone++
			continue
		}
		out.Emissions++
		if geomZone[id] == zone {
			geom++
		}
		right := e.Zone == zone
		if right {
			out.Right++
		}
		if e.Sensors == 1 {
			out.SingleSensor++
			if right {
				out.SingleRight++
			}
		}
		if !right && len(out.Mistakes) < 10 {
			out.Mistakes = append(out.Mistakes, fmt.Sprintf("t=%.3fs %.3f MHz %s (zone %s) put in %s by %s, %d sensor(s), margin %.1f dB",
				e.Start, (e.LoHz+e.HiHz)/2e6, id, zone, e.Zone, e.Sensor, e.Sensors, e.MarginDB))
		}
	}
	if out.Emissions == 0 {
		return out, fmt.Errorf("zone accuracy: no handset emission in %v of scene %q", each, sc.Name)
	}
	out.Accuracy = float64(out.Right) / float64(out.Emissions)
	out.Lo, out.Hi = wilson(out.Right, out.Emissions)
	out.GeometryRight = float64(geom) / float64(out.Emissions)
	return out, nil
}

// truthEmitter is the handset with the most transmissions inside the site
// emission's span and band, its zone, and whether there is one.
func truthEmitter(s *sim.Simulator, e SiteEmission) (id, zone string, ok bool) {
	count := map[string]int{}
	zones := map[string]string{}
	best, bestN := "", 0
	for _, r := range s.TruthBetween(secs(e.Start-2e-3), secs(e.End+2e-3)) {
		if r.Tech == detect.Clutter || r.FreqHz-r.BandwidthHz/2 >= e.HiHz || r.FreqHz+r.BandwidthHz/2 <= e.LoHz {
			continue
		}
		count[r.Emitter]++
		zones[r.Emitter] = r.Zone
		if n := count[r.Emitter]; n > bestN || n == bestN && r.Emitter < best {
			best, bestN = r.Emitter, n
		}
	}
	return best, zones[best], bestN > 0
}

// fullScaleDBm is the sensor's full scale at the antenna port (the
// simulator's gain model), which turns dBFS into the dBm a calibrated
// site compares.
func fullScaleDBm(se sim.Sensor) float64 {
	switch {
	case se.GainDB > 0:
		return sim.FullScaleAtZeroGainDBm - se.GainDB
	case se.FullScaleDBm != 0:
		return se.FullScaleDBm
	}
	return sim.DefaultFullScaleDBm
}
