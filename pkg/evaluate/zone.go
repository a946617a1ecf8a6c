package evaluate

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// SensorDetection is one sensor box's report of an emission as the site
// receives it: the box's name and configured zone, and what its detector
// measured.
type SensorDetection struct {
	Sensor, Zone string
	Start, End   float64 // s, on the site's common clock
	LoHz, HiHz   float64 // occupied band
	// LevelDB is the received level the boxes are compared on: the
	// strongest burst's in-band power (dBm when every box is calibrated,
	// else dBFS, which compares only between boxes at the same gain).
	LevelDB float64
}

// SiteEmission is one transmission as the site decides it: the sensors'
// detections of it, and the zone of the sensor that heard it strongest.
type SiteEmission struct {
	Start, End float64 // union of the members' spans
	LoHz, HiHz float64 // union of the members' bands
	Zone       string  // the winner's zone
	Sensor     string  // the winner: the strongest member
	LevelDB    float64 // the winner's level
	// MarginDB is the winner's level over the strongest other sensor's;
	// +Inf when a single sensor heard it.
	MarginDB float64
	Sensors  int   // distinct sensors among the members
	Members  []int // indices into DecideZones' input, ascending
}

// ZoneMatch is how close two sensors' detections must be to be the same
// transmission.
type ZoneMatch struct {
	// SlackS widens each span on both sides (s): the sensors share the
	// hop schedule, so a transmission falls in the same dwells at every
	// box, but edges are measured to a frame or so.
	SlackS float64
	// MinOverlap is the share of the narrower band that must overlap the
	// other (0…1): "the same channel", not merely adjacent ones.
	MinOverlap float64
}

// DefaultZoneMatch: 1 ms of slack and half the narrower band.
var DefaultZoneMatch = ZoneMatch{SlackS: 1e-3, MinOverlap: 0.5}

// DecideZones groups detections from different sensors that overlap in
// time and share a channel (transitively: a long detection at one box can
// join several short ones at another) and attributes each group to the
// zone of its loudest sensor. Absolute level cannot tell inside from
// outside (domain.md §4); the difference between boxes can: the box in the
// phone's zone has the fewest walls and metres in between. A detection
// heard by one sensor only goes to that sensor's zone. Detections of the
// same sensor are never matched directly with each other. Pure and
// deterministic: ties go to the lexically first sensor name; the output is
// ordered by start time, then by first member. A malformed detection is an
// error naming it.
func DecideZones(dets []SensorDetection, m ZoneMatch) ([]SiteEmission, error) {
	for i, d := range dets {
		if err := d.Validate(); err != nil {
			return nil, fmt.Errorf("detection %d: %w", i, err)
		}
	}
	if !(m.SlackS >= 0) || !(m.MinOverlap >= 0 && m.MinOverlap <= 1) {
		return nil, fmt.Errorf("zone match: slack %g s must be ≥ 0 and min overlap %g within 0…1", m.SlackS, m.MinOverlap)
	}
	n := len(dets)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(dets[a].Start, dets[b].Start) })
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for oi, i := range order {
		a := &dets[i]
		for _, j := range order[oi+1:] {
			b := &dets[j]
			if b.Start-m.SlackS > a.End+m.SlackS {
				break // sorted by start: nothing later overlaps a
			}
			if a.Sensor == b.Sensor || !sameChannel(a, b, m.MinOverlap) {
				continue
			}
			if ri, rj := find(i), find(j); ri != rj {
				parent[max(ri, rj)] = min(ri, rj)
			}
		}
	}
	groups := map[int][]int{}
	var roots []int
	for i := range dets {
		r := find(i)
		if groups[r] == nil {
			roots = append(roots, r)
		}
		groups[r] = append(groups[r], i)
	}
	out := make([]SiteEmission, 0, len(roots))
	for _, r := range roots {
		out = append(out, decide(dets, groups[r]))
	}
	slices.SortStableFunc(out, func(a, b SiteEmission) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(a.Members[0], b.Members[0]))
	})
	return out, nil
}

// decide builds the site emission of one group of detections.
func decide(dets []SensorDetection, members []int) SiteEmission {
	// Each sensor's level is its loudest member's.
	level := map[string]float64{}
	zone := map[string]string{}
	e := SiteEmission{Start: math.Inf(1), End: math.Inf(-1), LoHz: math.Inf(1), HiHz: math.Inf(-1), Members: members}
	for _, i := range members {
		d := &dets[i]
		e.Start, e.End = math.Min(e.Start, d.Start), math.Max(e.End, d.End)
		e.LoHz, e.HiHz = math.Min(e.LoHz, d.LoHz), math.Max(e.HiHz, d.HiHz)
		if l, ok := level[d.Sensor]; !ok || d.LevelDB > l {
			level[d.Sensor], zone[d.Sensor] = d.LevelDB, d.Zone
		}
	}
	names := make([]string, 0, len(level))
	for s := range level {
		names = append(names, s)
	}
	slices.Sort(names)
	e.Sensors = len(names)
	e.LevelDB, e.MarginDB = math.Inf(-1), math.Inf(1)
	second := math.Inf(-1)
	for _, s := range names {
		switch l := level[s]; {
		case l > e.LevelDB:
			second = e.LevelDB
			e.Sensor, e.Zone, e.LevelDB = s, zone[s], l
		case l > second:
			second = l
		}
	}
	if len(names) > 1 {
		e.MarginDB = e.LevelDB - second
	}
	return e
}

// sameChannel: the bands overlap by at least minOverlap of the narrower.
func sameChannel(a, b *SensorDetection, minOverlap float64) bool {
	ov := math.Min(a.HiHz, b.HiHz) - math.Max(a.LoHz, b.LoHz)
	if ov <= 0 {
		return false
	}
	narrow := math.Min(a.HiHz-a.LoHz, b.HiHz-b.LoHz)
	return narrow <= 0 || ov >= minOverlap*narrow
}

// Validate reports a detection the site cannot place.
func (d SensorDetection) Validate() error {
	switch {
	case d.Sensor == "":
		return fmt.Errorf("detection at %.6f s: empty sensor name", d.Start)
	case !(d.End >= d.Start):
		return fmt.Errorf("sensor %q: detection ends (%g s) before it starts (%g s)", d.Sensor, d.End, d.Start)
	case !(d.HiHz >= d.LoHz):
		return fmt.Errorf("sensor %q: detection band %g…%g Hz is inverted", d.Sensor, d.LoHz, d.HiHz)
	case math.IsNaN(d.LevelDB) || math.IsInf(d.LevelDB, 0):
		return fmt.Errorf("sensor %q: detection level %g dB is not a number", d.Sensor, d.LevelDB)
	}
	return nil
}
