package detect

// Shape is what one burst's time-frequency footprint looks like, before
// bursts are grouped into emissions.
type Shape uint8

// Burst shapes.
const (
	ShapeNone       Shape = iota
	ShapeGSM              // ~200 kHz, 0.25–0.75 ms: a GSM normal or access burst
	ShapeSlot             // 180 kHz-class, ≈0.5 ms: a GSM burst or an LTE PUCCH slot
	ShapeSubframe         // ≥ 0.8 ms or wider than a GSM channel: LTE/NR SC-FDMA
	ShapeWide             // several MHz, lifts the whole hop: UMTS-like
	ShapeNarrow           // < 40 kHz: a spur or CW carrier, never a phone
	ShapeChirp            // a line sweeping in frequency: LoRa and other chirp SRDs
	ShapeContinuous       // narrowband energy lasting far longer than any handset burst
)

var shapeNames = [...]string{"none", "gsm", "slot", "subframe", "wide", "narrow", "chirp", "continuous"}

func (s Shape) String() string {
	if int(s) < len(shapeNames) {
		return shapeNames[s]
	}
	return "?"
}

// Clutter reports whether the shape is never a handset.
func (s Shape) Clutter() bool {
	return s == ShapeNarrow || s == ShapeChirp || s == ShapeContinuous
}

// Burst is one connected patch of energy above the noise floor in one grid.
type Burst struct {
	Start, End     float64 // s, stream time
	FreqLo, FreqHi float64 // Hz, half-power edges (absolute when the tune is known)
	SNRdB          float64 // in-band signal over noise
	PowerDBFS      float64 // in-band power (signal and noise) relative to full scale
	// InstFraction is the mean share of the burst's bandwidth that one frame
	// occupies: ~1 for GMSK and SC-FDMA, small for a chirp.
	InstFraction float64
	// Sweep is how far (Hz) the burst's frequency centroid travels along a
	// straight line fitted to it over time, and SweepFit that fit's r²: a
	// chirp's centroid marches steadily (fit near 1); a phone holds its
	// channel (the centroid only jitters, fit near 0).
	Sweep, SweepFit float64
	Shape           Shape
	// Continued is set when the burst touches the start of a grid that
	// continues the previous one at the same tune: the tracker extends the
	// burst it already has instead of counting a new one.
	Continued bool
	// Truncated is set when the burst touches the end of its grid.
	Truncated bool
}

// Duration in seconds.
func (b *Burst) Duration() float64 { return b.End - b.Start }

// Bandwidth in Hz.
func (b *Burst) Bandwidth() float64 { return b.FreqHi - b.FreqLo }

// Centre frequency in Hz.
func (b *Burst) Centre() float64 { return (b.FreqLo + b.FreqHi) / 2 }

// A burst that fills at least wideFill of the searched span, and at least
// wideMinHz, for the whole grid or for wideMinDur is a signal wider than
// the capture: UMTS's 4.7 MHz, which "lifts the whole capture" (domain.md
// §6). An LTE phone's allocations come and go within a few subframes.
const (
	wideFill   = 0.8
	wideMinHz  = 1.2e6
	wideMinDur = 5e-3
)

// fillsSpan reports whether a bandwidth bw covers a searched span of
// spanHz as only a wider-than-capture signal does.
func fillsSpan(bw, spanHz float64) bool {
	return bw >= wideMinHz && bw >= wideFill*spanHz
}

// gsmMaxBW is the widest half-power bandwidth a GSM burst shows: GMSK
// (BT 0.3) puts 99 % of its power within 250 kHz; measured half-power
// widths are ~180–200 kHz.
const gsmMaxBW = 280e3

// classifyShape names a burst's footprint from its bandwidth, duration and
// how much of its band one frame fills (domain.md §6).
func classifyShape(bw, dur, inst, sweep, fit float64, truncated bool) Shape {
	chirpy := bw < 600e3 && dur > 0.4e-3 &&
		// Each frame fills well under its burst's band (GMSK and SC-FDMA
		// fill 0.65–1 of it, measured down to 2 dB SNR) …
		(inst < 0.55 ||
			// … or the centroid marches along a clean line.
			fit > 0.9 && sweep > 0.6*bw && inst < 0.7)
	switch {
	case bw < 40e3 && dur < 1e-3:
		// A blip shorter than any handset burst in a sliver of its band: a
		// noise swing, or a fragment of something wider; a line lasts.
		return ShapeNone
	case bw < 40e3:
		return ShapeNarrow
	case chirpy:
		return ShapeChirp
	case bw < gsmMaxBW && dur > 5e-3:
		// GSM multislot tops out at four slots (2.3 ms); LTE PUCCH/PUSCH of
		// one phone rarely runs 5 ms in a 180 kHz block without a gap.
		return ShapeContinuous
	case bw < 80e3:
		// Much narrower than any channel (GSM ≥ 100 kHz at half power, an
		// LTE RB 180 kHz): the edge of something seen at the limit, or a
		// fragment of a chirp; not a transmission to name.
		return ShapeNone
	case bw >= 3e6:
		return ShapeWide
	case bw > gsmMaxBW || dur >= 0.8e-3:
		return ShapeSubframe
	case dur >= 0.2e-3 && dur < 0.54e-3 && bw < 230e3:
		return ShapeSlot
	case dur >= 0.2e-3:
		return ShapeGSM
	}
	if truncated {
		return ShapeSubframe
	}
	return ShapeNone
}
