package detect

import (
	"testing"
)

func TestFlatBurstsAndClutter(t *testing.T) {
	const fs = 2.4e6
	s := newSynth(fs, 1)
	x := s.noise(int(0.1*fs), 1e-4)
	// LTE 1 RB subframe, 6 RB subframe, at 10 dB in-band SNR.
	noiseInBand := func(bw float64) float64 { return 1e-4 * bw / fs }
	s.addFlat(x, 10*noiseInBand(180e3), -500e3, 180e3, 0.010, 1e-3)
	s.addFlat(x, 10*noiseInBand(1080e3), 300e3, 1080e3, 0.040, 1e-3)
	s.addTone(x, 1e-4*30, 820e3)
	ems, bursts := runDetector(fs, x, len(x))
	for _, b := range bursts {
		t.Logf("burst %+v", b)
	}
	for _, e := range ems {
		t.Logf("emission %+v", e)
	}
}
