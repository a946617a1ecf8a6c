package iq

import (
	"fmt"
	"math"
)

// Resampler changes the sample rate of complex baseband by a rational factor
// Up/Down: a polyphase FIR evaluates only the output samples of "insert
// Up−1 zeros, low-pass, keep one in Down", with a Kaiser-windowed sinc as the
// low-pass. It exists to turn recordings made at other rates (30.72, 15.36,
// 1.0833 MS/s …) into what an RTL-SDR delivers at the daemon's 2.4 MS/s.
//
// The filter is centred (zero phase): output sample m is the signal at time
// m/outRate, the same instant as input sample m·Down/Up, so burst timing
// survives resampling. Samples outside the input are taken as zero.
type Resampler struct {
	Up, Down int
	// PassHz and StopHz are the filter's passband and stopband edges in Hz:
	// the response is flat up to PassHz (Kaiser ripple ~1e-3 dB at 80 dB) and
	// at least StopDB down from StopHz on.
	PassHz, StopHz float64
	StopDB         float64
	h              []float64 // prototype at Up×input rate, centred on h[half], gain Up
	half           int
}

// Resampler design: a passband to 90 % of the lower Nyquist frequency and a
// stopband from that Nyquist frequency on, 80 dB down. Nothing aliases into
// the output band above −80 dB (8-bit samples span ~50 dB), and the outer
// 10 % where the response rolls off is what the daemon leaves unsearched
// anyway, as it does an RTL-SDR's own filter skirt.
const (
	resamplePassShare = 0.9
	resampleStopDB    = 80.0
	// maxResampleUp bounds the interpolation factor (and the prototype
	// filter's length, which grows with it).
	maxResampleUp = 1024
	// rateTolerance is how closely Up/Down must match outRate/inRate: 1 ppm,
	// far below an RTL-SDR crystal's error, and loose enough for a rate
	// written with a few decimals (1083333.33 for 13 MHz/12).
	rateTolerance = 1e-6
)

// NewResampler designs a resampler from inRate to outRate (complex samples
// per second). The ratio must be a fraction with a numerator of at most 1024
// to within 1 ppm.
func NewResampler(inRate, outRate float64) (*Resampler, error) {
	if !(inRate > 0) || math.IsInf(inRate, 0) {
		return nil, fmt.Errorf("resample: input rate %g S/s is not a positive rate", inRate)
	}
	if !(outRate > 0) || math.IsInf(outRate, 0) {
		return nil, fmt.Errorf("resample: output rate %g S/s is not a positive rate", outRate)
	}
	up, down, ok := rationalRatio(outRate/inRate, maxResampleUp, rateTolerance)
	if !ok {
		return nil, fmt.Errorf("resample: %g → %g S/s is not a ratio Up/Down with Up ≤ %d (to within %g)", inRate, outRate, maxResampleUp, rateTolerance)
	}
	nyq := math.Min(inRate, outRate) / 2
	r := &Resampler{Up: up, Down: down, PassHz: resamplePassShare * nyq, StopHz: nyq, StopDB: resampleStopDB}
	if up == 1 && down == 1 {
		r.h = []float64{1}
		return r, nil
	}
	// Kaiser's design formulas: β from the attenuation, length from the
	// transition width as a fraction of the rate the prototype runs at.
	hiRate := float64(up) * inRate
	a := r.StopDB
	beta := 0.1102 * (a - 8.7)
	dw := 2 * math.Pi * (r.StopHz - r.PassHz) / hiRate
	n := int(math.Ceil((a-7.95)/(2.285*dw))) + 1
	r.half = n / 2                           // odd length 2·half+1: the centre tap is an integer delay
	fc := (r.PassHz + r.StopHz) / 2 / hiRate // −6 dB point, cycles per sample
	r.h = make([]float64, 2*r.half+1)
	i0b := besselI0(beta)
	for i := range r.h {
		k := float64(i - r.half)
		x := k / float64(r.half)
		w := besselI0(beta*math.Sqrt(math.Max(0, 1-x*x))) / i0b
		r.h[i] = float64(up) * 2 * fc * sinc(2*fc*k) * w
	}
	return r, nil
}

// Taps is the length of the prototype filter (at Up × the input rate).
func (r *Resampler) Taps() int { return len(r.h) }

// OutputLen is the number of samples Resample returns for n input samples:
// every output instant from the first input sample to the last.
func (r *Resampler) OutputLen(n int) int {
	if n <= 0 {
		return 0
	}
	return (n-1)*r.Up/r.Down + 1
}

// Resample returns x at the output rate. It works on a whole buffer: the
// recordings it serves are seconds long at most.
func (r *Resampler) Resample(x []complex64) []complex64 {
	out := make([]complex64, r.OutputLen(len(x)))
	up, half := r.Up, r.half
	for m := range out {
		// Output m sits at index c = m·Down of the zero-stuffed stream; it
		// takes the input samples j with |c − j·Up| ≤ half.
		c := m * r.Down
		j0 := max(0, ceilDiv(c-half, up))
		j1 := min(len(x)-1, (c+half)/up)
		var re, im float64
		for j, k := j0, c-j0*up+half; j <= j1; j, k = j+1, k-up {
			w := r.h[k]
			re += w * float64(real(x[j]))
			im += w * float64(imag(x[j]))
		}
		out[m] = complex(float32(re), float32(im))
	}
	return out
}

func ceilDiv(a, b int) int {
	if a <= 0 {
		return -((-a) / b)
	}
	return (a + b - 1) / b
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// besselI0 is the modified Bessel function of the first kind, order 0, by
// its power series (converges for every argument a Kaiser window uses).
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	q := x * x / 4
	for k := 1; k < 500; k++ {
		term *= q / float64(k*k)
		sum += term
		if term < 1e-17*sum {
			break
		}
	}
	return sum
}

// rationalRatio finds the fraction p/q closest to x with p ≤ maxP among the
// continued-fraction convergents, and whether it is within tol (relative).
func rationalRatio(x float64, maxP int, tol float64) (p, q int, ok bool) {
	// Convergents h/k of x's continued fraction.
	h0, h1 := 0, 1
	k0, k1 := 1, 0
	v := x
	for i := 0; i < 64; i++ {
		a := math.Floor(v)
		if a > float64(maxP) {
			break
		}
		ai := int(a)
		h2, k2 := ai*h1+h0, ai*k1+k0
		if h2 > maxP || k2 > 1<<30 {
			break
		}
		h0, h1, k0, k1 = h1, h2, k1, k2
		if h1 > 0 && math.Abs(float64(h1)/float64(k1)-x) <= tol*x {
			return h1, k1, true
		}
		frac := v - a
		if frac < 1e-15 {
			break
		}
		v = 1 / frac
	}
	return 0, 0, false
}
