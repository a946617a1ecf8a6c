package sim

import (
	"math"
	"math/rand/v2"
)

// GMSK phase pulse: Φ(x) = ∫ g, the Gaussian-filtered (BT 0.3) rectangular
// frequency pulse of one bit on [0, 1), normalised to rise from 0 to 1.
// Bit i contributes a_i·(π/2)·Φ(t/T − i) to the phase (modulation index 0.5).
const (
	gmskBT      = 0.3
	phiLo       = -4 // Φ(x) = 0 below
	phiHi       = 5  // Φ(x) = 1 above
	phiPerBit   = 64 // table resolution
	gsmRampSecs = 10e-6
)

var phiTab = func() []float64 {
	sigma := math.Sqrt(math.Ln2) / (2 * math.Pi * gmskBT) // Gaussian std in bit periods
	f := func(u float64) float64 {
		return u*math.Erf(u/(math.Sqrt2*sigma)) + sigma*math.Sqrt(2/math.Pi)*math.Exp(-u*u/(2*sigma*sigma))
	}
	tab := make([]float64, (phiHi-phiLo)*phiPerBit+2)
	for i := range tab {
		x := phiLo + float64(i)/phiPerBit
		tab[i] = 0.5*(f(x)-f(x-1)) + 0.5
	}
	return tab
}()

func phi(x float64) float64 {
	if x <= phiLo {
		return 0
	}
	if x >= phiHi {
		return 1
	}
	p := (x - phiLo) * phiPerBit
	i := int(p)
	fr := p - float64(i)
	return phiTab[i] + fr*(phiTab[i+1]-phiTab[i])
}

// GSM burst fields (3GPP TS 45.002 §5.2): training sequence 0, RACH sync.
var (
	gsmTSC0     = bitsOf("00100101110000100010010111")
	gsmRACHTail = bitsOf("00111010")
	gsmRACHSync = bitsOf("01001011011111111001100110101010001111000")
)

func bitsOf(s string) []byte {
	b := make([]byte, len(s))
	for i := range s {
		b[i] = s[i] - '0'
	}
	return b
}

// gsmBits returns the burst's ±1 symbols (differentially encoded, TS 45.004)
// with random payload from r. Normal bursts are padded to 157 bits so the
// phase runs through the guard period, where the envelope ramps.
func gsmBits(kind txKind, r *rand.Rand) []float64 {
	var b []byte
	rnd := func(n int) {
		for range n {
			b = append(b, byte(r.Uint32()&1))
		}
	}
	if kind == kGSMAccess {
		b = append(b, gsmRACHTail...)
		b = append(b, gsmRACHSync...)
		rnd(36)
		b = append(b, 0, 0, 0)
	} else {
		b = append(b, 0, 0, 0)
		rnd(58) // 57 data + stealing flag
		b = append(b, gsmTSC0...)
		rnd(58)
		b = append(b, 0, 0, 0)
		for len(b) < 157 {
			b = append(b, 1)
		}
	}
	a := make([]float64, len(b))
	prev := byte(1)
	for i, v := range b {
		a[i] = 1 - 2*float64(v^prev)
		prev = v
	}
	return a
}

// renderGSM adds a GMSK burst to seg, whose first sample is absolute sample
// n0. t0 is the burst start (s, absolute), nBits its length between the
// half-amplitude points of the 10 µs raised-cosine ramps, df the carrier
// offset from the tuned centre (Hz) and amp the amplitude (√ of power, FS=1).
func renderGSM(seg []complex128, n0 int64, fs, t0, nBits float64, a []float64, df, amp float64) {
	const T = 1 / gsmBitRate
	tEnd := nBits * T
	cum := make([]float64, len(a)+1)
	for i, v := range a {
		cum[i+1] = cum[i] + v
	}
	// carrier phase 2π·df·t, from the exact fractional cycle at n0
	cyc := df * float64(n0) / fs
	base := 2 * math.Pi * (cyc - math.Floor(cyc))
	step := 2 * math.Pi * df / fs
	for m := range seg {
		t := float64(n0+int64(m))/fs - t0
		env := 1.0
		switch {
		case t <= -gsmRampSecs/2 || t >= tEnd+gsmRampSecs/2:
			continue
		case t < gsmRampSecs/2:
			env = 0.5 - 0.5*math.Cos(math.Pi*(t+gsmRampSecs/2)/gsmRampSecs)
		case t > tEnd-gsmRampSecs/2:
			env = 0.5 + 0.5*math.Cos(math.Pi*(t-tEnd+gsmRampSecs/2)/gsmRampSecs)
		}
		x := t / T
		k := int(math.Floor(x))
		lo, hi := k-phiHi+1, k-phiLo+1 // bits whose Φ(x−i) is strictly between 0 and 1
		lo = max(lo, 0)
		hi = min(hi, len(a))
		var ph float64
		if lo < len(a) {
			ph = cum[lo]
			for i := lo; i < hi; i++ {
				ph += a[i] * phi(x-float64(i))
			}
		} else {
			ph = cum[len(a)]
		}
		s, c := math.Sincos(math.Pi/2*ph + base + step*float64(m))
		seg[m] += complex(amp*env*c, amp*env*s)
	}
}
