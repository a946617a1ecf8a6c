// Package sweep plans and schedules the hops a dongle makes across the
// uplink bands.
package sweep

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cellwatch/cellwatch/pkg/bands"
)

// hopRasterHz is the channel raster the DC spike must avoid. GSM's 200 kHz
// raster (890.0 + 0.2n, 1710.2 + 0.2n, 824.2 + 0.2n MHz) is a subset of it,
// and LTE/NR carriers sit on it.
const hopRasterHz = 100e3

// Defaults applied by NewHopPlan to zero fields of HopPlanConfig.
const (
	DefaultUsable    = 0.8
	DefaultDCGuardHz = 50e3
)

// HopPlanConfig sets how a band plan is cut into hops.
type HopPlanConfig struct {
	SampleRate float64 // complex samples per second, > 0
	// Usable is the fraction of the sampled bandwidth kept around the tune
	// frequency (the edges droop). 0 means DefaultUsable.
	Usable float64
	// Tuner bounds the tune frequencies; the zero value means bands.R820T.
	Tuner bands.Tuner
	// DCGuardHz is the width kept clear of channel-raster points around the
	// DC spike: every centre is at least DCGuardHz/2 from a multiple of
	// 100 kHz. 0 means DefaultDCGuardHz; at most 100 kHz.
	DCGuardHz float64
}

// Hop is one tune of the sweep.
type Hop struct {
	Index    int     // position in HopPlan.Hops
	Band     string  // band name ("B20")
	CenterHz float64 // tune frequency, a whole number of Hz
	// LowHz and HighHz bound the slice of the band this hop owns. Slices are
	// half-open [LowHz, HighHz) except the top one of a band's reachable
	// part, which includes its upper edge.
	LowHz, HighHz float64
}

// HopPlan is the result of NewHopPlan.
type HopPlan struct {
	Plan   string        // band plan name
	Config HopPlanConfig // effective configuration (defaults applied)
	Bands  []bands.Band  // bands with at least one hop, in plan order
	Hops   []Hop         // grouped by band in plan order, ascending within a band
	Blind  []bands.Range // parts of the plan's bands the tuner cannot reach
}

// withDefaults fills zero fields and validates.
func (c HopPlanConfig) withDefaults() (HopPlanConfig, error) {
	if c.Usable == 0 {
		c.Usable = DefaultUsable
	}
	if c.DCGuardHz == 0 {
		c.DCGuardHz = DefaultDCGuardHz
	}
	if c.Tuner == (bands.Tuner{}) {
		c.Tuner = bands.R820T
	}
	var errs []error
	if !(c.SampleRate > 0) || math.IsInf(c.SampleRate, 0) {
		errs = append(errs, fmt.Errorf("sample rate %g: must be a positive number of samples per second", c.SampleRate))
	}
	if !(c.Usable > 0 && c.Usable <= 1) {
		errs = append(errs, fmt.Errorf("usable fraction %g: must be in (0, 1]", c.Usable))
	}
	if !(c.DCGuardHz >= 0 && c.DCGuardHz <= hopRasterHz) {
		errs = append(errs, fmt.Errorf("DC guard %g Hz: must be in [0, %g] Hz", c.DCGuardHz, hopRasterHz))
	}
	if !(c.Tuner.MinHz >= 0 && c.Tuner.MaxHz > c.Tuner.MinHz) || math.IsInf(c.Tuner.MaxHz, 0) {
		errs = append(errs, fmt.Errorf("tuner %q: range %g–%g Hz is empty or invalid", c.Tuner.Name, c.Tuner.MinHz, c.Tuner.MaxHz))
	}
	if len(errs) == 0 && c.Usable*c.SampleRate <= c.DCGuardHz+2 {
		errs = append(errs, fmt.Errorf("usable bandwidth %g Hz (usable × sample rate) must exceed the DC guard %g Hz", c.Usable*c.SampleRate, c.DCGuardHz))
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("hop plan: %w", errors.Join(errs...))
	}
	return c, nil
}

// NewHopPlan cuts the reachable part of each band of p into the fewest
// contiguous, non-overlapping, equal slices of width ≤ Usable·SampleRate,
// one per hop, such that each hop's tune frequency can be placed with
//
//   - the whole slice inside the usable passband: |slice edge − centre| ≤
//     Usable·SampleRate/2, exactly (centres are whole Hz, rounded inwards);
//   - the DC spike off the channel raster: the centre is ≥ DCGuardHz/2 from
//     every multiple of 100 kHz (GSM's 200 kHz and LTE/NR's 100 kHz channel
//     centres), as far from it as the slack allows (x.x50 MHz when possible),
//     ties going to the point nearest the slice middle.
//
// Usually the fewest slices of width ≤ Usable·SampleRate already leave
// enough slack; when they do not, the band gets one more hop. Bands or parts
// of bands the tuner cannot reach are listed in Blind.
func NewHopPlan(p bands.Plan, c HopPlanConfig) (HopPlan, error) {
	c, err := c.withDefaults()
	if err != nil {
		return HopPlan{}, err
	}
	if err := p.Validate(); err != nil {
		return HopPlan{}, fmt.Errorf("hop plan: %w", err)
	}
	hp := HopPlan{Plan: p.Name, Config: c}
	for _, b := range p.Bands {
		hp.Blind = append(hp.Blind, c.Tuner.Blind(b)...)
		reach, ok := c.Tuner.Reachable(b)
		if !ok {
			continue
		}
		hops, err := hopsForRange(reach, c)
		if err != nil {
			return HopPlan{}, fmt.Errorf("hop plan: band %s: %w", b.Name, err)
		}
		for _, h := range hops {
			h.Index = len(hp.Hops)
			hp.Hops = append(hp.Hops, h)
		}
		hp.Bands = append(hp.Bands, b)
	}
	return hp, nil
}

// hopsForRange covers r with the fewest equal slices whose centres can all
// be placed.
func hopsForRange(r bands.Range, c HopPlanConfig) ([]Hop, error) {
	span := c.Usable * c.SampleRate
	w := r.Width()
	n := max(1, int(math.Ceil(w/span-1e-12)))
	// With slices ≤ span − guard − 2 Hz every window holds an allowed
	// whole-Hz centre, so the search ends by nMax (withDefaults ensures
	// span > guard + 2).
	nMax := max(n, int(math.Ceil(w/(span-c.DCGuardHz-2))))
next:
	for ; n <= nMax; n++ {
		hops := make([]Hop, n)
		for i := range hops {
			lo := r.LowHz + w*float64(i)/float64(n)
			hi := r.HighHz
			if i < n-1 {
				hi = r.LowHz + w*float64(i+1)/float64(n)
			}
			if hi-lo > span { // rounding at the limit
				continue next
			}
			centre, ok := hopCentre(lo, hi, span/2, c)
			if !ok {
				continue next
			}
			hops[i] = Hop{Band: r.Band, CenterHz: centre, LowHz: lo, HighHz: hi}
		}
		return hops, nil
	}
	return nil, fmt.Errorf("no hop layout keeps centres %g Hz off the raster", c.DCGuardHz/2)
}

// hopCentre picks a whole-Hz tune frequency for the slice [lo, hi] so that
// the slice stays within half of the centre and the centre is as far from
// the 100 kHz raster as possible (≥ guard/2), ties going to the one nearest
// the slice middle.
func hopCentre(lo, hi, half float64, c HopPlanConfig) (float64, bool) {
	a := math.Ceil(max(hi-half, c.Tuner.MinHz))
	b := math.Floor(min(lo+half, c.Tuner.MaxHz))
	if a > b {
		return 0, false
	}
	mid := math.Round((lo + hi) / 2)
	// Best spots are half-way between raster points; near the window's ends
	// the edges themselves are the farthest reachable points.
	below := math.Floor((mid-hopRasterHz/2)/hopRasterHz)*hopRasterHz + hopRasterHz/2
	cands := []float64{a, b, below, below + hopRasterHz, min(max(mid, a), b)}
	best, bestD := 0.0, -1.0
	for _, x := range cands {
		if x < a || x > b {
			continue
		}
		d := hopRasterDistance(x)
		if d > bestD || (d == bestD && math.Abs(x-mid) < math.Abs(best-mid)) {
			best, bestD = x, d
		}
	}
	return best, bestD >= c.DCGuardHz/2
}

// hopRasterDistance is the distance from f to the nearest multiple of 100 kHz.
func hopRasterDistance(f float64) float64 {
	return math.Abs(f - math.Round(f/hopRasterHz)*hopRasterHz)
}

// WriteTable prints the plan for people: per band its range, hop count and
// each hop's centre, slice and revisit time with one and with two dongles
// sharing the plan (hops overlapping a priority range are visited twice per
// pass), then the blind ranges, then the totals and the share of time spent
// integrating rather than settling.
func (hp HopPlan) WriteTable(w io.Writer, dwell, settle time.Duration, priority []bands.Range) error {
	c := hp.Config
	one := NewSchedule(hp.Hops, priority, dwell, settle)
	rev1 := one.Revisit()
	rev2 := make([]time.Duration, len(hp.Hops))
	var two []Schedule
	shares, _, err := AssignHops(hp.Hops, [][]string{nil, nil})
	if err != nil {
		return err
	}
	for _, sh := range shares {
		s := NewSchedule(sh, priority, dwell, settle)
		for k, r := range s.Revisit() {
			rev2[sh[k].Index] = r
		}
		two = append(two, s)
	}
	sw := &hopTableWriter{w: w}
	tw := tabwriter.NewWriter(sw, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "plan %s: sample rate %.3f MS/s, usable %.0f%% (%.3f MHz), DC ≥ %.0f kHz off the 100 kHz raster, tuner %s %.0f–%.0f MHz\n",
		hp.Plan, c.SampleRate/1e6, c.Usable*100, c.Usable*c.SampleRate/1e6, c.DCGuardHz/2e3,
		c.Tuner.Name, c.Tuner.MinHz/1e6, c.Tuner.MaxHz/1e6)
	for _, b := range hp.Bands {
		var hops []Hop
		for _, h := range hp.Hops {
			if h.Band == b.Name {
				hops = append(hops, h)
			}
		}
		reach, _ := c.Tuner.Reachable(b)
		fmt.Fprintf(tw, "\n%s  UL %.3f–%.3f MHz  [%s]  swept %.3f–%.3f MHz: %d hops of %.4f MHz\n",
			b.Name, b.ULLow/1e6, b.ULHigh/1e6, strings.Join(b.Techs, ","), reach.LowHz/1e6, reach.HighHz/1e6,
			len(hops), reach.Width()/float64(len(hops))/1e6)
		head, extra := "", "" // the priority column, only when there are priority ranges
		if len(priority) > 0 {
			head, extra = "visits/pass\t", "1\t"
		}
		fmt.Fprintf(tw, "hop\tcentre MHz\tslice MHz\t\tDC off raster kHz\trevisit 1 dongle\t2 dongles\t%s\n", head)
		for _, h := range hops {
			mark := extra
			if isPriority(h, priority) {
				mark = "2\t"
			}
			fmt.Fprintf(tw, "%d\t%.4f\t%.4f –\t%.4f\t%.1f\t%v\t%v\t%s\n", h.Index, h.CenterHz/1e6, h.LowHz/1e6, h.HighHz/1e6,
				hopRasterDistance(h.CenterHz)/1e3, rev1[h.Index], rev2[h.Index], mark)
		}
	}
	fmt.Fprintf(tw, "\nblind (tuner cannot reach):")
	if len(hp.Blind) == 0 {
		fmt.Fprintf(tw, " none")
	}
	fmt.Fprintln(tw)
	for _, r := range hp.Blind {
		fmt.Fprintf(tw, "  %v\n", r)
	}
	fmt.Fprintf(tw, "\ntotal: %d hops; each visit settles %v then integrates %v: %.1f%% of the time integrating\n",
		len(hp.Hops), settle, dwell, 100*one.Integrating())
	fmt.Fprintf(tw, "one dongle: %d visits per pass of %v, worst revisit %v\n", len(one.Order), one.Pass(), one.MaxRevisit())
	fmt.Fprintf(tw, "two dongles: passes of %v and %v, worst revisit %v\n", two[0].Pass(), two[1].Pass(), max(two[0].MaxRevisit(), two[1].MaxRevisit()))
	if err := tw.Flush(); err != nil {
		return err
	}
	return sw.err
}

// hopTableWriter remembers the first write error and drops later writes.
type hopTableWriter struct {
	w   io.Writer
	err error
}

func (s *hopTableWriter) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.w.Write(p)
	s.err = err
	return n, err
}
