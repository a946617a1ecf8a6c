package sim

import (
	"fmt"
	"math"
	"math/cmplx"
	"time"
)

// Carrier kinds: continuous emitters that are never handsets.
const (
	// CarrierLTEDL is an LTE (or NR) base-station downlink: OFDM, QPSK on
	// every 15 kHz subcarrier of the channel's RBs, the DC subcarrier empty.
	CarrierLTEDL = "lte-dl"
	// CarrierUMTSDL is a WCDMA downlink: 3.84 Mcps, root-raised-cosine
	// α = 0.22, so a raised-cosine spectrum 4.68 MHz wide (domain.md §2).
	CarrierUMTSDL = "umts-dl"
	// CarrierGSMDL is a GSM BCCH carrier: GMSK on all eight slots of every
	// frame, a ~200 kHz hump.
	CarrierGSMDL = "gsm-dl"
	// CarrierCW is an unmodulated carrier (RFID reader, alarm, oscillator).
	CarrierCW = "cw"
)

// carrierMaxHz bounds a carrier's frequency: what the tuner's front end
// still passes to its LNA, beyond the range it tunes to.
const carrierMaxHz = 3000e6

// Carrier is a continuous emitter heard at every sensor at RxPowerDBm (total
// power over its band): base-station downlink leaking into the receiver
// (domain.md §4.3), or a CW carrier.
type Carrier struct {
	Name string `yaml:"name"`
	Kind string `yaml:"kind"`
	// FreqHz is the channel centre; BandwidthHz the channel width (lte-dl:
	// 1.4…20 MHz; umts-dl 5 MHz, gsm-dl 200 kHz and cw 0 are implied).
	FreqHz      float64 `yaml:"freq_hz"`
	BandwidthHz float64 `yaml:"bandwidth_hz"`
	RxPowerDBm  float64 `yaml:"rx_power_dbm"`
	// Start and Until bound the time on air; Until 0 means to the end.
	Start time.Duration `yaml:"start"`
	Until time.Duration `yaml:"until"`
}

func (c *Carrier) validate(i int) []error {
	w := fmt.Sprintf("carriers[%d] (%q)", i, c.Name)
	var errs []error
	if c.Name == "" {
		errs = append(errs, fmt.Errorf("carriers[%d]: empty name", i))
	}
	// A carrier above the tuner's range (B3 downlink at 1805–1880 MHz)
	// still reaches its LNA: it is heard through its intermodulation.
	if !(c.FreqHz >= tunerMinHz && c.FreqHz <= carrierMaxHz) {
		errs = append(errs, fmt.Errorf("%s: freq_hz %g outside 24–3000 MHz", w, c.FreqHz))
	}
	switch c.Kind {
	case CarrierLTEDL:
		if lteRBs(c.BandwidthHz) == 0 {
			errs = append(errs, fmt.Errorf("%s: lte-dl bandwidth_hz %g is not 1.4, 3, 5, 10, 15 or 20 MHz", w, c.BandwidthHz))
		}
	case CarrierUMTSDL, CarrierGSMDL, CarrierCW:
	default:
		errs = append(errs, fmt.Errorf("%s: unknown kind %q (want %s, %s, %s or %s)", w, c.Kind, CarrierLTEDL, CarrierUMTSDL, CarrierGSMDL, CarrierCW))
	}
	if c.Start < 0 || c.Until < 0 || c.Until != 0 && c.Until <= c.Start {
		errs = append(errs, fmt.Errorf("%s: start %v / until %v is not an interval", w, c.Start, c.Until))
	}
	if c.RxPowerDBm > 10 || c.RxPowerDBm < -200 {
		errs = append(errs, fmt.Errorf("%s: rx_power_dbm %g outside −200…10", w, c.RxPowerDBm))
	}
	return errs
}

// occupiedHz is the width the carrier's energy occupies.
func (c *Carrier) occupiedHz() float64 {
	switch c.Kind {
	case CarrierLTEDL:
		return float64(12*lteRBs(c.BandwidthHz)) * 15e3
	case CarrierUMTSDL:
		return umtsChipRate * (1 + umtsRollOff)
	case CarrierGSMDL:
		return 200e3
	}
	return 0
}

// WCDMA chip rate and roll-off (TS 25.101 / domain.md §2).
const (
	umtsChipRate = 3.84e6
	umtsRollOff  = 0.22
)

// shapeRC is the raised-cosine spectrum of a WCDMA signal at offset f.
func shapeRC(f float64) float64 {
	a := math.Abs(f)
	lo, hi := (1-umtsRollOff)*umtsChipRate/2, (1+umtsRollOff)*umtsChipRate/2
	switch {
	case a <= lo:
		return 1
	case a >= hi:
		return 0
	}
	return 0.5 * (1 + math.Cos(math.Pi/(umtsRollOff*umtsChipRate)*(a-lo)))
}

// shapeGMSK approximates the GMSK (BT 0.3) power spectrum: −3 dB at
// ±80 kHz, −30 dB near ±200 kHz (the TS 45.005 mask, domain.md §2).
func shapeGMSK(f float64) float64 {
	x := f / 68e3
	return math.Exp(-x * x / 2)
}

// wideSource is a noise-like continuous emitter synthesised on the 15 kHz
// tone grid: one OFDM-like symbol per 1/15 kHz, no cyclic prefix, each tone
// a fresh random value (QPSK, or complex Gaussian) weighted by a spectral
// shape. Contiguous symbols make the stream continuous in time; the result
// has the wanted power spectral density within a tone spacing.
type wideSource struct {
	id         string
	fc         float64                 // centre, Hz
	lo, hi     float64                 // occupied span relative to fc
	shape      func(f float64) float64 // power weight at offset f, nil = flat
	qpsk       bool
	skipDC     bool
	toneDBm    float64 // power per tone where shape = 1
	from, till time.Duration
}

// carrierSource makes the synthesis of a modulated carrier.
func carrierSource(c *Carrier) *wideSource {
	w := &wideSource{id: c.Name, fc: c.FreqHz, from: c.Start, till: c.Until}
	var tones float64
	switch c.Kind {
	case CarrierLTEDL:
		n := 12 * lteRBs(c.BandwidthHz)
		w.lo, w.hi, w.qpsk, w.skipDC = -float64(n/2)*15e3, float64(n/2)*15e3, true, true
		tones = float64(n)
	case CarrierUMTSDL:
		h := (1 + umtsRollOff) * umtsChipRate / 2
		w.lo, w.hi, w.shape = -h, h, shapeRC
		tones = umtsChipRate / 15e3 // ∫RC = chip rate
	case CarrierGSMDL:
		w.lo, w.hi, w.shape = -200e3, 200e3, shapeGMSK
		tones = 68e3 * math.Sqrt(2*math.Pi) / 15e3
	}
	w.toneDBm = c.RxPowerDBm - 10*math.Log10(tones)
	return w
}

// jamSource is the noise of a jammer event: flat over [LowHz, HighHz] at
// (10^(rise/10) − 1)·kT·NF per Hz, so the floor ends RiseDB above thermal.
func (s *Simulator) jamSource(i int, e *Event) *wideSource {
	psd := -174 + s.sc.Sensor.noiseFigure() + 10*math.Log10(math.Pow(10, e.riseDB()/10)-1)
	c := (e.LowHz + e.HighHz) / 2
	return &wideSource{id: fmt.Sprintf("\x00jammer%d", i), fc: c, lo: e.LowHz - c, hi: e.HighHz - c,
		toneDBm: psd + 10*math.Log10(15e3), from: e.At, till: e.Until}
}

// addWide adds src over absolute samples [n0, n0+len(buf)) at the current tune.
func (s *Simulator) addWide(buf []complex128, n0 int64, src *wideSource) {
	g := s.lte.grid
	n1 := n0 + int64(len(buf))
	t0, t1 := s.timeOf(n0), s.timeOf(n1)
	if t1 <= src.from || src.till != 0 && t0 >= src.till {
		return
	}
	df := src.fc - s.tune
	half := s.fs / 2
	lo, hi := max(src.lo, -half-df), min(src.hi, half-df)
	if lo >= hi {
		return
	}
	// tone k sits at lo0 + k·15 kHz from the centre (half-integer grid, like LTE's)
	k0 := int(math.Ceil((lo-src.lo)/15e3 - 0.5))
	k1 := int(math.Floor((hi-src.lo)/15e3 - 0.5))
	if k1 < k0 {
		return
	}
	off0 := src.lo + (float64(k0)+0.5)*15e3
	nt := k1 - k0 + 1
	if cap(s.wideTones) < nt {
		s.wideTones = make([]complex128, nt)
	}
	tones := s.wideTones[:nt]
	weights := s.wideWeights(src, off0, nt)
	amp := math.Sqrt(s.lin(src.toneDBm))
	nA0 := max(n0, int64(math.Ceil(src.from.Seconds()*s.fs)))
	nB1 := n1
	if src.till != 0 {
		nB1 = min(n1, int64(math.Ceil(src.till.Seconds()*s.fs)))
	}
	sym := 1 / g.spacing
	for k := int64(math.Floor(float64(nA0) / s.fs / sym)); ; k++ {
		a := int64(math.Ceil(float64(k) * sym * s.fs))
		b := int64(math.Ceil(float64(k+1) * sym * s.fs))
		if a >= nB1 {
			break
		}
		nA, nB := max(a, nA0), min(b, nB1)
		if nA >= nB {
			continue
		}
		r := rngFor(s.sc.Seed, src.id, 0xd1, uint64(k))
		for i := range tones {
			var x complex128
			if src.qpsk {
				x = complex(float64(1-2*int(r.Uint32()&1)), float64(1-2*int(r.Uint32()&1))) * math.Sqrt2 / 2
			} else {
				x = complex(r.NormFloat64(), r.NormFloat64()) * math.Sqrt2 / 2
			}
			tones[i] = x * complex(weights[i], 0)
		}
		g.symbol(buf, n0, nA, nB, float64(k)*sym, df, off0, tones, amp)
	}
}

// wideWeights returns the amplitude weight of nt tones from off0.
func (s *Simulator) wideWeights(src *wideSource, off0 float64, nt int) []float64 {
	if cap(s.wideW) < nt {
		s.wideW = make([]float64, nt)
	}
	w := s.wideW[:nt]
	for i := range w {
		f := off0 + float64(i)*15e3
		v := 1.0
		if src.shape != nil {
			v = math.Sqrt(src.shape(f))
		}
		if src.skipDC && math.Abs(f) < 8e3 {
			v = 0
		}
		w[i] = v
	}
	return w
}

// addCW adds a CW carrier of power p (linear, full scale 1) at offset df,
// phase-exact at every 1024th absolute sample like the spurs.
func addCW(buf []complex128, n0 int64, fs, df, amp float64) {
	step := cmplx.Exp(complex(0, 2*math.Pi*df/fs))
	exact := func(n int64) complex128 {
		cyc := df * float64(n) / fs
		return cmplx.Rect(amp, 2*math.Pi*(cyc-math.Floor(cyc)))
	}
	ph := exact(n0)
	for i := range buf {
		if n := n0 + int64(i); n%1024 == 0 {
			ph = exact(n)
		}
		buf[i] += ph
		ph *= step
	}
}
