package iq

import (
	"fmt"
	"math"
)

// Mixing a clean recording into a real receiver background is how the corpus
// tests turn uplink captures made by other radios into what an RTL-SDR next
// to a phone would deliver: resample both to the daemon's rate (Resampler),
// move the signal to its channel (Shift), add it at a chosen level
// (AddScaled), and quantise the sum to 8 bits (EncodeCU8).

// Shift multiplies x in place by exp(j·2π·hz·n/rate), moving its spectrum up
// by hz. The phase is computed per sample from n (no accumulated drift).
func Shift(x []complex64, hz, rate float64) {
	if hz == 0 {
		return
	}
	w := 2 * math.Pi * hz / rate
	for n := range x {
		s, c := math.Sincos(math.Mod(w*float64(n), 2*math.Pi))
		v := complex128(x[n]) * complex(c, s)
		x[n] = complex64(v)
	}
}

// AddScaled adds gain·signal to dst starting at dst[offset]. The signal must
// fit inside dst: a mix that silently dropped part of it would lie about
// what it holds.
func AddScaled(dst, signal []complex64, offset int, gain float64) error {
	if offset < 0 || offset+len(signal) > len(dst) {
		return fmt.Errorf("mix: %d signal samples at offset %d do not fit in %d background samples", len(signal), offset, len(dst))
	}
	if math.IsNaN(gain) || math.IsInf(gain, 0) {
		return fmt.Errorf("mix: gain %g is not a number", gain)
	}
	g := float32(gain)
	d := dst[offset : offset+len(signal)]
	for i, v := range signal {
		d[i] += complex(g*real(v), g*imag(v))
	}
	return nil
}

// EncodeCU8 quantises x (full scale ±1 per component, as dsp.Converter
// decodes cu8) to RTL-SDR offset binary: the nearest of the 256 levels
// (b−127.5)/127.5, clipped at the rails as the dongle's ADC clips. It returns
// the bytes and how many components were clipped. There is no dither: the
// receiver noise in every mix is several LSB rms, which already decorrelates
// the rounding error, and the output stays a pure function of the input.
func EncodeCU8(x []complex64) (b []byte, clipped int) {
	b = make([]byte, 2*len(x))
	q := func(v float32) byte {
		l := math.Round(float64(v)*127.5 + 127.5)
		switch {
		case l < 0:
			clipped++
			return 0
		case l > 255:
			clipped++
			return 255
		}
		return byte(l)
	}
	for i, v := range x {
		b[2*i] = q(real(v))
		b[2*i+1] = q(imag(v))
	}
	return b, clipped
}

// Span is a half-open range of sample indices [Start, End).
type Span struct{ Start, End int }

// Gate keeps x inside the spans and zeroes it elsewhere, with a raised-cosine
// ramp of taper samples just outside each span so that gating adds no
// splatter. Mixing only a capture's bursts keeps the recorder's own noise
// floor (a different radio's) out of the background between them.
func Gate(x []complex64, keep []Span, taper int) {
	w := make([]float32, len(x))
	for _, s := range keep {
		for i := max(0, s.Start-taper); i < min(len(x), s.End+taper); i++ {
			var g float64 = 1
			switch {
			case i < s.Start:
				g = ramp(i-(s.Start-taper)+1, taper)
			case i >= s.End:
				g = ramp(s.End+taper-i, taper)
			}
			w[i] = max(w[i], float32(g))
		}
	}
	for i := range x {
		x[i] *= complex(w[i], 0)
	}
}

// ramp is step j (1…n) of an n-sample raised-cosine rise, strictly between 0 and 1.
func ramp(j, n int) float64 { return 0.5 - 0.5*math.Cos(math.Pi*float64(j)/float64(n+1)) }
