package dsp

import "math"

// Hann returns the periodic Hann window of length n (the DFT-even form used
// for spectral analysis: ENBW 1.5 bins, and 50 % overlapped frames sum to a
// constant).
func Hann(n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n))
	}
	return w
}
