package sim

import (
	"math"
	"math/rand/v2"
)

// renderChirp adds a LoRa-like packet to seg: 8 up-chirp preamble symbols,
// 2.25 down-chirps, then payload up-chirps cyclically shifted by random
// symbol values. t0 is the packet start (s, absolute), df the centre offset
// from the tuned frequency.
func renderChirp(seg []complex128, n0 int64, fs, t0 float64, c *Chirper, df, amp float64, r *rand.Rand) {
	bw, sf, syms := chirpParams(c)
	nChips := float64(int(1) << sf)
	tsym := nChips / bw
	vals := make([]float64, syms)
	for i := range vals {
		vals[i] = float64(r.IntN(int(nChips))) / nChips
	}
	// instantaneous frequency relative to the chirp centre
	freq := func(t float64) float64 {
		s := t / tsym
		switch {
		case s < 8:
			return bw * (s - math.Floor(s) - 0.5)
		case s < 10.25:
			return bw * (0.5 - (s - math.Floor(s)))
		}
		k := int(s - 10.25)
		if k >= syms {
			return 0
		}
		u := s - 10.25 + vals[k]
		return bw * (u - math.Floor(u) - 0.5)
	}
	end := (10.25 + float64(syms)) * tsym
	cyc := df * float64(n0) / fs
	ph := 2 * math.Pi * (cyc - math.Floor(cyc))
	for m := range seg {
		t := float64(n0+int64(m))/fs - t0
		if t >= 0 && t < end {
			s, co := math.Sincos(ph)
			seg[m] += complex(amp*co, amp*s)
			ph += 2 * math.Pi * freq(t) / fs
		}
		ph += 2 * math.Pi * df / fs
	}
}
