package sweep

import (
	"slices"
	"sort"
	"time"

	"github.com/cellwatch/cellwatch/pkg/bands"
)

// Schedule is the order in which one receiver visits its share of the hops
// during a pass. Hops that overlap a priority range (the PUCCH edges and
// PRACH region of the local carriers, where a waking phone shows up first)
// are visited twice per pass, half a pass apart; the others once.
type Schedule struct {
	Hops   []Hop // the receiver's share, as AssignHops returned it
	Order  []int // one pass: indices into Hops
	Dwell  time.Duration
	Settle time.Duration
}

// NewSchedule orders hops for one pass. With no priority range, or none
// that overlaps a hop, the pass is the hops in plan order.
func NewSchedule(hops []Hop, priority []bands.Range, dwell, settle time.Duration) Schedule {
	s := Schedule{Hops: hops, Dwell: dwell, Settle: settle}
	type visit struct {
		key float64
		hop int
	}
	n := len(hops)
	visits := make([]visit, 0, 2*n)
	for i, h := range hops {
		visits = append(visits, visit{float64(i), i})
		if isPriority(h, priority) && n > 1 {
			// The second visit goes half a pass later, just after the hop
			// found there, so the two gaps are as equal as the pass allows.
			visits = append(visits, visit{float64((i+n/2)%n) + 0.5, i})
		}
	}
	sort.SliceStable(visits, func(a, b int) bool { return visits[a].key < visits[b].key })
	for _, v := range visits {
		s.Order = append(s.Order, v.hop)
	}
	return s
}

// isPriority: the hop's slice overlaps one of the ranges.
func isPriority(h Hop, priority []bands.Range) bool {
	return slices.ContainsFunc(priority, func(r bands.Range) bool {
		return r.LowHz < h.HighHz && r.HighHz > h.LowHz
	})
}

// Step is the time one visit takes: settle, then dwell.
func (s Schedule) Step() time.Duration { return s.Dwell + s.Settle }

// Pass is the time one whole pass takes.
func (s Schedule) Pass() time.Duration { return time.Duration(len(s.Order)) * s.Step() }

// Integrating is the share of the receiver's time spent on samples the
// detector uses; the rest is spent settling after retunes.
func (s Schedule) Integrating() float64 {
	if s.Step() <= 0 {
		return 0
	}
	return float64(s.Dwell) / float64(s.Step())
}

// Revisit returns, for each hop, the longest time between the starts of two
// successive visits to it (the worst case a burst waits to be seen).
func (s Schedule) Revisit() []time.Duration {
	out := make([]time.Duration, len(s.Hops))
	last := make([]int, len(s.Hops))
	first := make([]int, len(s.Hops))
	for i := range last {
		last[i], first[i] = -1, -1
	}
	for pos, h := range s.Order {
		if last[h] >= 0 {
			out[h] = max(out[h], time.Duration(pos-last[h])*s.Step())
		} else {
			first[h] = pos
		}
		last[h] = pos
	}
	// The gap that wraps from the last visit of a pass to the first of the
	// next.
	for h := range out {
		if last[h] >= 0 {
			out[h] = max(out[h], time.Duration(len(s.Order)-last[h]+first[h])*s.Step())
		}
	}
	return out
}

// MaxRevisit is the longest revisit of any hop.
func (s Schedule) MaxRevisit() time.Duration {
	var m time.Duration
	for _, r := range s.Revisit() {
		m = max(m, r)
	}
	return m
}
