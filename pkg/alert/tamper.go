package alert

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// TamperConfig configures a TamperDetector.
type TamperConfig struct {
	Site, Sensor, Zone string
	// Sweeps: a condition must be seen in this many consecutive sweeps to
	// fire; it resolves after 3×Sweeps consecutive clean sweeps (so that a
	// marginal condition does not flap). Default 1.
	Sweeps int
	// JamRiseDB: a band is jammed when the floor of at least half its hops
	// is this far above the hop's learned floor.
	JamRiseDB float64
	// BlindDropDB: the sensor is blind when, on at least 60% of its
	// reference hops, the ambient level (peak above floor) is this far
	// below the learned one — or when the floor of 60% of all hops fell
	// this far (boxes with an LNA, whose floor is the antenna's).
	BlindDropDB float64
	// ClipRatio: a hop clips when this share of its samples is at the
	// rails; a quarter of the hops clipping in a sweep is overload.
	ClipRatio float64
	// DownAfter: a receiver down this long raises receiver_down.
	DownAfter time.Duration
	// LearnSweeps: sweeps used to learn each hop's floor and ambient
	// level before any check (default 5).
	LearnSweeps int
	NewID       func() string
}

// HopLevel is what one hop of a sweep measured.
type HopLevel struct {
	Hop      int // hop index, stable across sweeps
	Band     string
	FloorDBm float64 // median floor (dBm, or dBFS when uncalibrated: only differences matter)
	PeakDBm  float64 // strongest 200 kHz cell
	Clipped  float64 // share of samples at the rails
}

// TamperDetector watches the level statistics of every sweep for a
// tampered or unhealthy sensor. What really changes:
//
//   - Blinded (antenna cut, disconnected, shielded): on an RTL-SDR the
//     floor is mostly the dongle's own noise, so it barely moves; what
//     vanishes is the ambient signal the sensor always hears — base-station
//     downlink leakage and other carriers standing above the floor. Each
//     hop's ambient level (peak − floor) is learned; hops where it stands
//     clear of the floor are references, and their collapse together is
//     blindness. A receiver with no reference hop cannot see blindness
//     this way (ReferenceHops says so).
//   - Jammed: a jammer raises the floor across a band, not one cell.
//   - Overloaded: samples at the converter's rails on many hops.
//   - Receiver down: no samples, reported by the daemon.
//
// It is pure (time comes in through calls) and safe for concurrent use.
type TamperDetector struct {
	cfg TamperConfig

	mu      sync.Mutex
	sources map[string]*tamperSource
}

type hopBaseline struct {
	learn          []HopLevel // while learning
	floor, ambient float64    // medians over the learning sweeps
	// steady is the lowest peak level while learning: what is always
	// there (a carrier), not what came and went (a phone). Absolute, as a
	// carrier that fills the hop becomes its learned floor.
	steady  float64
	learned bool
}

type condState struct {
	seen, clean int // consecutive sweeps with / without the condition
	active      bool
	first, last time.Time
	bands       []string
	detail      string
}

type tamperSource struct {
	hops      map[int]*hopBaseline
	conds     map[Condition]*condState
	downSince time.Time // zero: up
}

// NewTamperDetector validates cfg.
func NewTamperDetector(cfg TamperConfig) (*TamperDetector, error) {
	var errs []error
	if cfg.JamRiseDB <= 0 || cfg.BlindDropDB <= 0 {
		errs = append(errs, errors.New("alert: tamper: jam_rise_db and blind_drop_db must be > 0"))
	}
	if cfg.ClipRatio <= 0 || cfg.ClipRatio >= 1 {
		errs = append(errs, errors.New("alert: tamper: clip_ratio must be in (0, 1)"))
	}
	if cfg.DownAfter <= 0 {
		errs = append(errs, errors.New("alert: tamper: down_after must be > 0"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	cfg.Sweeps = max(cfg.Sweeps, 1)
	if cfg.LearnSweeps <= 0 {
		cfg.LearnSweeps = 5
	}
	if cfg.NewID == nil {
		cfg.NewID = NewID
	}
	return &TamperDetector{cfg: cfg, sources: map[string]*tamperSource{}}, nil
}

func (t *TamperDetector) source(name string) *tamperSource {
	s := t.sources[name]
	if s == nil {
		s = &tamperSource{hops: map[int]*hopBaseline{}, conds: map[Condition]*condState{}}
		for _, c := range []Condition{CondBlind, CondJamming, CondClipping, CondReceiverDown} {
			s.conds[c] = &condState{}
		}
		t.sources[name] = s
	}
	return s
}

// referenceMinDB: a hop is a blindness reference when its learned ambient
// level stands BlindDropDB + referenceMinDB above the noise's own (so that
// a drop of BlindDropDB is not lost in the noise).
const referenceMinDB = 3

// minReferences: fewer reference hops than this cannot tell a blinded
// sensor from one carrier going off the air.
const minReferences = 2

// noisePeak is the peak level noise alone shows (the strongest of a
// dwell's many noise cells stands well above their median): the lower
// quartile of the learned hops' steady peaks, as at least a quarter of the
// hops hear nothing steady but noise.
func (s *tamperSource) noisePeak() float64 {
	var v []float64
	for _, b := range s.hops {
		if b.learned {
			v = append(v, b.steady)
		}
	}
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	return v[len(v)/4]
}

// Sweep checks one completed sweep of a receiver and returns the events it
// causes.
func (t *TamperDetector) Sweep(now time.Time, source string, hops []HopLevel) []Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.source(source)

	var refs, blindRefs, floorDrops, clipping, checked int
	noise := s.noisePeak()
	jamHops, bandHops := map[string]int{}, map[string]int{}
	blindBands := map[string]bool{}
	for _, h := range hops {
		b := s.hops[h.Hop]
		if b == nil {
			b = &hopBaseline{}
			s.hops[h.Hop] = b
		}
		if h.Clipped > t.cfg.ClipRatio {
			clipping++
		}
		if !b.learned {
			b.learn = append(b.learn, h)
			if len(b.learn) >= t.cfg.LearnSweeps {
				fl := make([]float64, len(b.learn))
				am := make([]float64, len(b.learn))
				for i, l := range b.learn {
					fl[i], am[i] = l.FloorDBm, l.PeakDBm-l.FloorDBm
				}
				pk := make([]float64, len(b.learn))
				for i, l := range b.learn {
					pk[i] = l.PeakDBm
				}
				b.floor, b.ambient, b.steady, b.learned, b.learn = median(fl), median(am), slices.Min(pk), true, nil
			}
			continue
		}
		checked++
		bandHops[h.Band]++
		rise := h.FloorDBm - b.floor
		// The reported floor is the detector's learned one, which follows
		// a rise slowly (it must not learn phones); the dwell's own level
		// shows at once in its peak, which stands ambient above the floor.
		if max(rise, h.PeakDBm-b.ambient-b.floor) >= t.cfg.JamRiseDB {
			jamHops[h.Band]++
		}
		if -rise >= t.cfg.BlindDropDB {
			floorDrops++
		}
		ambient := h.PeakDBm - h.FloorDBm
		if b.steady >= noise+t.cfg.BlindDropDB+referenceMinDB {
			refs++
			if h.PeakDBm <= b.steady-t.cfg.BlindDropDB {
				blindRefs++
				blindBands[h.Band] = true
			}
		}
		// Track slow drift (temperature, gain) while nothing is wrong.
		if rise > -t.cfg.BlindDropDB/2 && rise < t.cfg.JamRiseDB/2 && h.PeakDBm > b.steady-t.cfg.BlindDropDB/2 && ambient < b.ambient+t.cfg.JamRiseDB/2 {
			const a = 0.05
			b.floor += a * (h.FloorDBm - b.floor)
			b.ambient += a * (ambient - b.ambient)
			b.steady += a * (min(h.PeakDBm, b.steady+1) - b.steady)
		}
	}
	var evs []Event
	if checked == 0 {
		return nil // still learning
	}
	var jammed []string
	for band, n := range jamHops {
		if 2*n >= bandHops[band] {
			jammed = append(jammed, band)
		}
	}
	sort.Strings(jammed)
	blind := (refs >= minReferences && 10*blindRefs >= 6*refs) || 10*floorDrops >= 6*checked
	var bb []string
	if blind {
		for band := range blindBands {
			bb = append(bb, band)
		}
		if len(bb) == 0 {
			for band := range bandHops {
				bb = append(bb, band)
			}
		}
		sort.Strings(bb)
	}
	evs = t.step(evs, now, source, s, CondBlind, blind, bb,
		fmt.Sprintf("ambient signals gone on %d of %d reference hops, floor down on %d of %d hops", blindRefs, refs, floorDrops, checked))
	evs = t.step(evs, now, source, s, CondJamming, len(jammed) > 0, jammed,
		fmt.Sprintf("noise floor ≥ %.0f dB above its baseline across band(s) %s", t.cfg.JamRiseDB, strings.Join(jammed, ",")))
	evs = t.step(evs, now, source, s, CondClipping, 4*clipping >= len(hops) && clipping > 0, nil,
		fmt.Sprintf("%d of %d hops with more than %.1f%% of samples at the rails", clipping, len(hops), 100*t.cfg.ClipRatio))
	return evs
}

// ReferenceHops returns how many of source's hops have a learned ambient
// level usable to detect blindness (0: blindness is seen only by a floor
// drop), and whether learning is over.
func (t *TamperDetector) ReferenceHops(source string) (n int, learned bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.sources[source]
	if s == nil {
		return 0, false
	}
	learned = len(s.hops) > 0
	noise := s.noisePeak()
	for _, b := range s.hops {
		if !b.learned {
			learned = false
		} else if b.steady >= noise+t.cfg.BlindDropDB+referenceMinDB {
			n++
		}
	}
	return n, learned
}

// Receiver reports whether source is delivering samples; call it at least
// every second. A receiver down for DownAfter raises receiver_down.
func (t *TamperDetector) Receiver(now time.Time, source string, up bool) []Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.source(source)
	if up {
		s.downSince = time.Time{}
	} else if s.downSince.IsZero() {
		s.downSince = now
	}
	down := !s.downSince.IsZero() && now.Sub(s.downSince) >= t.cfg.DownAfter
	c := s.conds[CondReceiverDown]
	switch {
	case down && !c.active:
		c.active, c.first, c.last = true, s.downSince, now
		c.detail = fmt.Sprintf("no samples since %s", s.downSince.UTC().Format(TimeLayout))
		return []Event{t.event(now, source, CondReceiverDown, c, StatusFiring)}
	case down:
		c.last = now
	case !down && c.active && up:
		c.active = false
		c.detail = "receiving again"
		return []Event{t.event(now, source, CondReceiverDown, c, StatusResolved)}
	}
	return nil
}

// step advances one condition by one sweep.
func (t *TamperDetector) step(evs []Event, now time.Time, source string, s *tamperSource, cond Condition, on bool, bands []string, detail string) []Event {
	c := s.conds[cond]
	if on {
		c.seen++
		c.clean = 0
		if !c.active && c.seen >= t.cfg.Sweeps {
			c.active, c.first, c.last, c.bands, c.detail = true, now, now, bands, detail
			return append(evs, t.event(now, source, cond, c, StatusFiring))
		}
		if c.active {
			c.last = now
			c.bands = mergeBands(c.bands, bands)
		}
		return evs
	}
	c.seen = 0
	c.clean++
	if c.active && c.clean >= 3*t.cfg.Sweeps {
		c.active = false
		c.detail = "cleared"
		return append(evs, t.event(now, source, cond, c, StatusResolved))
	}
	return evs
}

func mergeBands(a, b []string) []string {
	for _, x := range b {
		if !slices.Contains(a, x) {
			a = append(a, x)
		}
	}
	sort.Strings(a)
	return a
}

func (t *TamperDetector) event(now time.Time, source string, cond Condition, c *condState, st Status) Event {
	typ := TypeTamper
	if cond == CondClipping || cond == CondReceiverDown {
		typ = TypeHealth
	}
	return Event{
		ID: t.cfg.NewID(), Type: typ, Site: t.cfg.Site, Sensor: t.cfg.Sensor, Zone: t.cfg.Zone,
		Condition: cond, Status: st, Source: source, Bands: slices.Clone(c.bands), Detail: c.detail,
		FirstSeen: NewTime(c.first), LastSeen: NewTime(c.last), At: NewTime(now),
	}
}

// Snapshot returns a firing event (new ids) for every active condition, for
// re-sending to Alertmanager.
func (t *TamperDetector) Snapshot(now time.Time) []Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	var evs []Event
	names := make([]string, 0, len(t.sources))
	for n := range t.sources {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := t.sources[n]
		for _, cond := range []Condition{CondBlind, CondJamming, CondClipping, CondReceiverDown} {
			if c := s.conds[cond]; c.active {
				evs = append(evs, t.event(now, n, cond, c, StatusFiring))
			}
		}
	}
	return evs
}

// ActiveBands returns, for a condition, the bands where it is active on
// any receiver (for cellwatch_sensor_blind{band} and the like).
func (t *TamperDetector) ActiveBands(cond Condition) map[string]bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := map[string]bool{}
	for _, s := range t.sources {
		if c := s.conds[cond]; c.active {
			for _, b := range c.bands {
				m[b] = true
			}
		}
	}
	return m
}

// Active reports whether cond is active on source.
func (t *TamperDetector) Active(source string, cond Condition) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.sources[source]
	return s != nil && s.conds[cond].active
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
