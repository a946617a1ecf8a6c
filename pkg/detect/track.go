package detect

import "math"

// GSMFrame is the GSM TDMA frame period, 60/13 ms: a phone on a traffic
// channel sends one burst per frame.
const GSMFrame = 60.0 / 13 * 1e-3

// coTimedSNRdB is how far apart in SNR two co-timed allocations may be and
// still be taken for one phone's subframe.
const coTimedSNRdB = 10

// TrackerConfig tunes how bursts become emissions.
type TrackerConfig struct {
	// Gap closes an emission when its channel stays quiet this long, s.
	Gap float64
	// Band names the uplink band of a frequency ("" when none or unknown).
	Band func(freqHz float64) string
	// NoGSM reports frequencies in a band where no GSM network runs (LTE/NR
	// only): a lone channel-wide slot there is an LTE PUCCH/PUSCH slot.
	NoGSM func(freqHz float64) bool
	// NotUplink names why a frequency cannot hold a handset (a downlink
	// band: base stations; a short-range-device allocation: LoRa, RFID), or
	// returns "". Emissions there are clutter with that reason.
	NotUplink func(freqHz float64) string
	// NoUMTS reports frequencies in a band where no UMTS network runs: a
	// signal wider than the capture there is a wide LTE/NR allocation.
	NoUMTS func(freqHz float64) bool
}

// Tracker groups bursts into emissions: the same channel (overlapping
// band) within Gap, co-timed LTE allocations of one subframe, and PUCCH slots
// that hop from one carrier edge to the other.
type Tracker struct {
	cfg    TrackerConfig
	active []*track
	free   []*track
	wides  []seenWide // recent wider-than-capture bursts
}

// seenWide is where and when a wider-than-capture burst was heard.
type seenWide struct{ start, end, lo, hi float64 }

// UMTS context: a 5 MHz UMTS carrier is wider than one hop's capture, so
// the hops beside the ones it fills catch only its skirts, as fragments
// that look like LTE allocations; and within seconds the floor of the hops
// it fills learns part of it (a call is continuous), after which they too
// see only its power swings as fragments — also in the next call, while
// the floor is still coming down; and the call's set-up precedes its first
// wide footprint. A fragment within umtsReachHz of the band where a
// wider-than-capture burst was heard, from Gap before it (what is still
// open when it comes) to umtsMemoryS after, belongs to it: a UMTS carrier
// stays where it is, and no LTE carrier shares its 5 MHz.
const (
	umtsReachHz  = 1.2e6
	umtsMemoryS  = 300
	maxSeenWides = 64
)

type track struct {
	lo, hi     float64
	start, end float64
	bursts     int
	shapes     [8]int
	maxSNR     float64
	maxPower   float64
	lastStart  float64
	lastEnd    float64
	lastShape  Shape
	lastSNR    float64
	periodic   int // bursts spaced by a whole number of GSM frames
	subframed  int // bursts spaced by a whole number of LTE subframes (1 ms)
	hopped     bool
	clutter    bool
	lastLo     float64
	lastHi     float64
}

// NewTracker returns a tracker; a zero Gap means 0.5 s.
func NewTracker(cfg TrackerConfig) *Tracker {
	if cfg.Gap <= 0 {
		cfg.Gap = 0.5
	}
	return &Tracker{cfg: cfg}
}

// Add folds one burst into the emission it belongs to, or starts one.
func (tr *Tracker) Add(b Burst) {
	cl := b.Shape.Clutter()
	if b.Shape == ShapeWide {
		tr.noteWide(b)
	}
	// A continuation of a burst cut by the previous grid's end.
	if b.Continued {
		for _, t := range tr.active {
			if t.clutter == cl && overlaps(t.lastLo, t.lastHi, b.FreqLo, b.FreqHi) && b.Start <= t.lastEnd+1e-4 {
				t.extend(b, false)
				return
			}
		}
	}
	if !cl {
		// Co-timed allocations of one LTE subframe (PUSCH clusters, PUCCH
		// edges) start together, overlap in time and arrive at a similar
		// level (one phone, one power control loop): one transmission, one
		// emission. Another phone in the same subframe is heard at its own
		// level and stays apart.
		for _, t := range tr.active {
			if t.clutter || (t.lastShape != ShapeSubframe && b.Shape != ShapeSubframe) || math.Abs(t.lastSNR-b.SNRdB) > coTimedSNRdB {
				continue
			}
			ov := math.Min(t.lastEnd, b.End) - math.Max(t.lastStart, b.Start)
			if math.Abs(t.lastStart-b.Start) < 2.5e-4 && ov >= 0.5*math.Min(t.lastEnd-t.lastStart, b.Duration()) &&
				math.Max(t.hi, b.FreqHi)-math.Min(t.lo, b.FreqLo) <= 20e6 {
				t.widen(b)
				return
			}
		}
		// PUCCH: a slot at one carrier edge followed at once by a slot at
		// the other edge. GSM never jumps channel within a frame.
		if b.Shape == ShapeSlot || b.Shape == ShapeGSM {
			for _, t := range tr.active {
				if t.clutter || (t.lastShape != ShapeSlot && t.lastShape != ShapeGSM) {
					continue
				}
				if math.Abs(b.Start-t.lastEnd) < 1.5e-4 && !overlaps(t.lastLo, t.lastHi, b.FreqLo, b.FreqHi) &&
					math.Abs(b.Centre()-(t.lastLo+t.lastHi)/2) <= 20e6 {
					t.hopped = true
					t.extend(b, true)
					return
				}
			}
		}
	}
	for _, t := range tr.active {
		if t.clutter == cl && overlaps(t.lo, t.hi, b.FreqLo, b.FreqHi) && b.Start-t.end <= tr.cfg.Gap {
			t.extend(b, true)
			return
		}
	}
	var t *track
	if n := len(tr.free); n > 0 {
		t, tr.free = tr.free[n-1], tr.free[:n-1]
		*t = track{}
	} else {
		t = &track{}
	}
	t.clutter = cl
	t.lo, t.hi, t.start, t.end = b.FreqLo, b.FreqHi, b.Start, b.End
	t.maxSNR, t.maxPower = math.Inf(-1), math.Inf(-1)
	t.note(b, true)
	tr.active = append(tr.active, t)
}

// overlaps reports whether two bands share at least a third of the narrower.
func overlaps(alo, ahi, blo, bhi float64) bool {
	ov := math.Min(ahi, bhi) - math.Max(alo, blo)
	return ov > 0 && ov >= math.Min(ahi-alo, bhi-blo)/3
}

func (t *track) note(b Burst, count bool) {
	if count {
		if t.bursts > 0 && b.Start-t.lastStart > 1e-3 {
			gap := b.Start - t.lastStart
			k := math.Round(gap / GSMFrame)
			if k >= 1 && k <= 104 && math.Abs(gap-k*GSMFrame) < 0.15e-3 {
				t.periodic++
			}
			// LTE transmits on a 1 ms subframe grid; below 20 ms the grid
			// and GSM's 4.615 ms frames cannot be confused.
			if j := math.Round(gap / 1e-3); j >= 1 && gap < 20e-3 && math.Abs(gap-j*1e-3) < 0.1e-3 {
				t.subframed++
			}
		}
		t.bursts++
		t.shapes[b.Shape]++
		t.lastStart = b.Start
	}
	t.lastEnd = math.Max(t.lastEnd, b.End)
	t.lastShape, t.lastLo, t.lastHi, t.lastSNR = b.Shape, b.FreqLo, b.FreqHi, b.SNRdB
	t.maxSNR = math.Max(t.maxSNR, b.SNRdB)
	t.maxPower = math.Max(t.maxPower, b.PowerDBFS)
}

func (t *track) extend(b Burst, count bool) {
	t.lo, t.hi = math.Min(t.lo, b.FreqLo), math.Max(t.hi, b.FreqHi)
	t.end = math.Max(t.end, b.End)
	t.note(b, count)
}

// widen adds a co-timed allocation to the same subframe: wider, no new burst.
func (t *track) widen(b Burst) {
	t.lo, t.hi = math.Min(t.lo, b.FreqLo), math.Max(t.hi, b.FreqHi)
	t.end = math.Max(t.end, b.End)
	t.shapes[ShapeSubframe]++
	t.maxSNR = math.Max(t.maxSNR, b.SNRdB)
	t.maxPower = math.Max(t.maxPower, b.PowerDBFS)
}

// Flush appends the emissions whose channel has been quiet since before
// now−Gap and forgets them.
func (tr *Tracker) Flush(now float64, out []Emission) []Emission {
	out = tr.flush(func(t *track) bool { return now-t.end > tr.cfg.Gap }, out)
	// Keep the wide bursts that an open emission or the next burst (which
	// starts after now) may still be near.
	cut := now
	for _, t := range tr.active {
		cut = math.Min(cut, t.start)
	}
	keep := tr.wides[:0]
	for _, w := range tr.wides {
		if w.end >= cut-umtsMemoryS {
			keep = append(keep, w)
		}
	}
	tr.wides = keep
	return out
}

// FlushAll appends every open emission (end of stream).
func (tr *Tracker) FlushAll(out []Emission) []Emission {
	out = tr.flush(func(*track) bool { return true }, out)
	tr.wides = tr.wides[:0]
	return out
}

func (tr *Tracker) flush(done func(*track) bool, out []Emission) []Emission {
	keep := tr.active[:0]
	for _, t := range tr.active {
		if !done(t) {
			keep = append(keep, t)
			continue
		}
		out = append(out, tr.emission(t))
		tr.free = append(tr.free, t)
	}
	for i := len(keep); i < len(tr.active); i++ {
		tr.active[i] = nil
	}
	tr.active = keep
	return out
}

// emission classifies a finished track (domain.md §6 rules of thumb).
func (tr *Tracker) emission(t *track) Emission {
	e := Emission{
		Start: t.start, End: t.end,
		FreqHz: (t.lo + t.hi) / 2, BandwidthHz: t.hi - t.lo,
		Bursts: t.bursts, SNRdB: t.maxSNR, PowerDBFS: t.maxPower,
	}
	if tr.cfg.Band != nil {
		e.Band = tr.cfg.Band(e.FreqHz)
	}
	s := &t.shapes
	switch {
	case t.clutter:
		e.Tech = Clutter
		switch {
		case s[ShapeChirp] > 0:
			e.Reason = "chirp"
		case s[ShapeNarrow] > 0:
			e.Reason = "narrow line (spur or CW carrier)"
		default:
			e.Reason = "continuous carrier"
		}
	case tr.cfg.NotUplink != nil && e.FreqHz != 0 && tr.cfg.NotUplink(e.FreqHz) != "":
		e.Tech, e.Reason = Clutter, tr.cfg.NotUplink(e.FreqHz)
	case s[ShapeWide] > 0 && !tr.noUMTS(e.FreqHz):
		// The fragments joined to it are its power swings once the floor
		// has learned part of it.
		e.Tech = UMTS
	case 4*t.periodic <= t.bursts && !tr.noUMTS(e.FreqHz) && tr.nearWide(t):
		// (A few bursts of many fall on the GSM frame grid by chance; a
		// GSM phone's nearly all do.)
		e.Tech = UMTS
	case t.hopped || s[ShapeSubframe] > 0 || s[ShapeWide] > 0 || t.subframed > t.periodic:
		e.Tech = LTE
	case t.periodic == 0 && tr.cfg.NoGSM != nil && e.FreqHz != 0 && tr.cfg.NoGSM(e.FreqHz):
		e.Tech = LTE
	case t.periodic == 0 && e.Band != "" && offGSMRaster(e.FreqHz):
		// A lone channel-wide slot away from GSM's 200 kHz channel raster:
		// an LTE PUCCH RB (carrier edges sit 90 or 10 kHz off it), not a
		// GSM burst (domain.md §6). Needs a receiver calibrated to a few
		// ppm; the band being known means the frequency is absolute.
		e.Tech = LTE
	case t.periodic > 0 || s[ShapeGSM] > 0 || s[ShapeSlot] > 0:
		// A 0.5 ms PUCCH slot and a 0.577 ms GSM burst differ by one frame
		// step; without LTE timing (1 ms grid, edge hopping) a lone
		// channel-wide slot in a band with GSM is taken for GSM.
		e.Tech = GSM
	default:
		e.Tech = Unknown
	}
	return e
}

func (tr *Tracker) noUMTS(f float64) bool {
	return tr.cfg.NoUMTS != nil && f != 0 && tr.cfg.NoUMTS(f)
}

// noteWide remembers where and when a wider-than-capture burst was heard:
// one entry per hop's slice, spanning from its first such burst to its
// last.
func (tr *Tracker) noteWide(b Burst) {
	for i := range tr.wides {
		if w := &tr.wides[i]; overlaps(w.lo, w.hi, b.FreqLo, b.FreqHi) {
			w.lo, w.hi = math.Min(w.lo, b.FreqLo), math.Max(w.hi, b.FreqHi)
			w.start, w.end = math.Min(w.start, b.Start), math.Max(w.end, b.End)
			return
		}
	}
	if len(tr.wides) == maxSeenWides { // a jammer's worth: forget the oldest
		copy(tr.wides, tr.wides[1:])
		tr.wides = tr.wides[:maxSeenWides-1]
	}
	tr.wides = append(tr.wides, seenWide{b.Start, b.End, b.FreqLo, b.FreqHi})
}

// nearWide reports whether t lies within reach of where a
// wider-than-capture burst was heard, from Gap before it to umtsMemoryS
// after.
func (tr *Tracker) nearWide(t *track) bool {
	for _, w := range tr.wides {
		if t.end >= w.start-tr.cfg.Gap && t.start <= w.end+umtsMemoryS &&
			t.lo >= w.lo-umtsReachHz && t.hi <= w.hi+umtsReachHz {
			return true
		}
	}
	return false
}

// gsmRasterTolHz is how far a measured centre may sit from a GSM channel
// centre (a multiple of 200 kHz in every GSM band: 890.0 + 0.2n,
// 1710.2 + 0.2(n−512), 824.2 + 0.2(n−128) MHz) and still be GSM: the
// half-power edges of a weak burst wander ±20 kHz.
const gsmRasterTolHz = 50e3

// offGSMRaster reports whether f is further than gsmRasterTolHz from every
// GSM channel centre.
func offGSMRaster(f float64) bool {
	return math.Abs(f-200e3*math.Round(f/200e3)) > gsmRasterTolHz
}
