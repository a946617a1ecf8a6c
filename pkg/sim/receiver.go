package sim

import (
	"math"
	"math/cmplx"
)

// The receiver chain of a scene that uses any of the newer features
// (carriers, events, gain, IQ imbalance, droop, settling): every
// external signal is summed first so that an antenna cut can attenuate them
// together, then the thermal noise is added, the retune transient, the
// RTL2832 roll-off, the DC offset and spurs, the IQ imbalance, and finally
// the 8-bit quantiser clips. Scenes without them keep the original, simpler
// chain (and their exact bytes).

// droopTaps is a 13-tap Hamming-windowed sinc, cutoff 0.44·fs: within
// 0.1 dB to ±0.3·fs, −0.6 dB at 0.35, −2.5 dB at 0.4, −4 dB at 0.42, −10 dB
// at fs/2 — the roll-off that leaves ~80 % of a hop usable (design.md §2).
var droopTaps = func() []float64 {
	const n, fc = 13, 0.44
	h := make([]float64, n)
	var sum float64
	for i := range h {
		k := float64(i) - (n-1)/2.0
		v := 2 * fc
		if k != 0 {
			v = math.Sin(2*math.Pi*fc*k) / (math.Pi * k)
		}
		h[i] = v * (0.54 - 0.46*math.Cos(2*math.Pi*float64(i)/(n-1)))
		sum += h[i]
	}
	for i := range h {
		h[i] /= sum
	}
	return h
}()

// rxState is the receiver's memory across blocks.
type rxState struct {
	on      bool         // the full chain is in use
	ext     []complex128 // external signals of the block
	hist    []complex128 // droop filter: last len(taps)−1 inputs, then the block
	mu, nu  complex128   // IQ imbalance: y = μ·x + ν·conj(x)
	iq      bool
	tuneAt  int64 // absolute sample of the last retune
	tau     float64
	setDF   float64    // PLL offset right after the retune, Hz
	setGain float64    // gain deficit right after the retune (0…1)
	setDC   complex128 // DC step right after the retune
}

// usesChain reports whether sc needs the full receiver chain.
func usesChain(sc *Scene) bool {
	se := sc.Sensor
	return len(sc.Carriers) > 0 || len(sc.Events) > 0 || se.GainDB > 0 ||
		se.IQGainDB != 0 || se.IQPhaseDeg != 0 || se.EdgeDroop || se.SettleTau > 0
}

func (s *Simulator) initRx() {
	se := s.sc.Sensor
	s.rx.on = usesChain(s.sc)
	if !s.rx.on {
		return
	}
	s.rx.ext = make([]complex128, genBlock)
	if se.EdgeDroop {
		s.rx.hist = make([]complex128, len(droopTaps)-1+genBlock)
	}
	if se.IQGainDB != 0 || se.IQPhaseDeg != 0 {
		g := math.Pow(10, se.IQGainDB/20)
		phi := se.IQPhaseDeg * math.Pi / 180
		s.rx.mu = (1 + cmplx.Rect(g, -phi)) / 2
		s.rx.nu = (1 - cmplx.Rect(g, phi)) / 2
		s.rx.iq = true
	}
	s.rx.tau = se.SettleTau.Seconds()
	s.retuned()
}

// retuned starts the settling transient of a retune at the current sample.
func (s *Simulator) retuned() {
	s.rx.tuneAt = s.n
	if s.rx.tau == 0 {
		return
	}
	r := rngFor(s.sc.Seed, "\x00settle"+s.sc.receiverKey(), uint64(s.tuneGen))
	s.rx.setDF = (5e3 + 25e3*r.Float64()) * float64(1-2*int(r.IntN(2)))
	s.rx.setGain = 0.5 + 0.4*r.Float64()
	s.rx.setDC = cmplx.Rect(0.1, 2*math.Pi*r.Float64()) // −20 dBFS
}

// IQImageRejectionDB is the image rejection of the IQ imbalance (|μ/ν|²).
func (s *Simulator) IQImageRejectionDB() float64 {
	if !s.rx.iq {
		return math.Inf(1)
	}
	return 20 * math.Log10(cmplx.Abs(s.rx.mu)/cmplx.Abs(s.rx.nu))
}

// blockChain renders n samples through the full receiver chain.
func (s *Simulator) blockChain(dst []byte, n int) {
	buf, ext := s.buf[:n], s.rx.ext[:n]
	n0, n1 := s.n, s.n+int64(n)
	clear(ext)
	s.addEmitters(ext, n0)
	for _, w := range s.wides {
		s.addWide(ext, n0, w)
	}
	s.addCWs(ext, n0)
	if s.hasCut(n0, n1) {
		for i := range ext {
			ext[i] *= complex(s.cutGain(n0+int64(i)), 0)
		}
	}
	sig := s.sigma
	for i := range buf {
		buf[i] = complex(sig*s.noise.NormFloat64(), sig*s.noise.NormFloat64()) + ext[i]
	}
	s.settle(buf, n0)
	if s.rx.hist != nil {
		s.droop(buf)
	}
	for i := range buf {
		buf[i] += s.dc
	}
	s.settleDC(buf, n0)
	s.addSpurs(buf, n0)
	if s.rx.iq {
		mu, nu := s.rx.mu, s.rx.nu
		for i, v := range buf {
			buf[i] = mu*v + nu*cmplx.Conj(v)
		}
	}
	for i, v := range buf {
		dst[2*i] = quantise(real(v))
		dst[2*i+1] = quantise(imag(v))
	}
	s.n = n1
}

// settleSpan is how long a retune transient is rendered (its e^−8 tail is
// below the 8-bit resolution).
func (s *Simulator) settleSpan() int64 { return int64(8 * s.rx.tau * s.fs) }

// settleWindow is the part [lo, hi) of a buffer starting at sample n0 of
// length n that the last retune's transient covers (empty without one).
func (s *Simulator) settleWindow(n0 int64, n int) (lo, hi int) {
	if s.rx.tau == 0 {
		return 0, 0
	}
	lo = int(min(max(s.rx.tuneAt-n0, 0), int64(n)))
	hi = int(min(max(s.rx.tuneAt+s.settleSpan()-n0, 0), int64(n)))
	return lo, hi
}

// settle applies the PLL's frequency error and the gain recovery of the
// last retune: x·(1 − a·e^(−t/τ))·e^(j·2π·Δf·τ·(1 − e^(−t/τ))).
func (s *Simulator) settle(buf []complex128, n0 int64) {
	lo, hi := s.settleWindow(n0, len(buf))
	for i := lo; i < hi; i++ {
		t := float64(n0+int64(i)-s.rx.tuneAt) / s.fs
		e := math.Exp(-t / s.rx.tau)
		buf[i] *= cmplx.Rect(1-s.rx.setGain*e, 2*math.Pi*s.rx.setDF*s.rx.tau*(1-e))
	}
}

func (s *Simulator) settleDC(buf []complex128, n0 int64) {
	lo, hi := s.settleWindow(n0, len(buf))
	for i := lo; i < hi; i++ {
		buf[i] += s.rx.setDC * complex(math.Exp(-float64(n0+int64(i)-s.rx.tuneAt)/s.fs/s.rx.tau), 0)
	}
}

// droop filters buf in place with droopTaps, carrying the filter's history
// across blocks (the output is delayed by 6 samples, as in the dongle).
func (s *Simulator) droop(buf []complex128) {
	m := len(droopTaps) - 1
	h := s.rx.hist[:m+len(buf)]
	copy(h[m:], buf)
	for i := range buf {
		var acc complex128
		for k, c := range droopTaps {
			acc += complex(c, 0) * h[i+m-k]
		}
		buf[i] = acc
	}
	copy(h[:m], h[len(buf):len(buf)+m])
}

// addCWs adds the scene's CW carriers that are on during the block.
func (s *Simulator) addCWs(buf []complex128, n0 int64) {
	for i := range s.sc.Carriers {
		c := &s.sc.Carriers[i]
		if c.Kind != CarrierCW || !s.visible(c.FreqHz, 0) {
			continue
		}
		a := max(n0, int64(math.Ceil(c.Start.Seconds()*s.fs)))
		b := n0 + int64(len(buf))
		if c.Until != 0 {
			b = min(b, int64(math.Ceil(c.Until.Seconds()*s.fs)))
		}
		if a >= b {
			continue
		}
		addCW(buf[a-n0:b-n0], a, s.fs, c.FreqHz-s.tune, math.Sqrt(s.lin(c.RxPowerDBm)))
	}
	for _, p := range s.imCWs {
		if !s.visible(p.FreqHz, 0) {
			continue
		}
		a := max(n0, int64(math.Ceil(p.Start.Seconds()*s.fs)))
		b := n0 + int64(len(buf))
		if p.Until != 0 {
			b = min(b, int64(math.Ceil(p.Until.Seconds()*s.fs)))
		}
		if a < b {
			addCW(buf[a-n0:b-n0], a, s.fs, p.FreqHz-s.tune, math.Sqrt(s.lin(p.RxPowerDBm)))
		}
	}
}
