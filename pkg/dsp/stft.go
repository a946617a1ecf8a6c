package dsp

import (
	"fmt"
	"math"
	"math/bits"

	"gonum.org/v1/gonum/dsp/fourier"
)

// TargetBinHz is the frequency resolution the grid aims for: narrow enough to
// see a 180 kHz resource block as ~18 bins and resolve a 200 kHz GSM channel,
// short enough in time (~0.1 ms frames at 2.4 MS/s) that a 577 µs burst
// spans several frames (domain.md §2.1).
const TargetBinHz = 10e3

// FFTSizeFor is the power-of-two FFT size whose bin width is closest (in
// log terms) to TargetBinHz at sample rate fs, clamped to [32, 8192].
func FFTSizeFor(fs float64) int {
	if fs <= 0 {
		return 256
	}
	e := math.Round(math.Log2(fs / TargetBinHz))
	n := 1 << int(math.Max(5, math.Min(13, e)))
	return n
}

// Grid is a short-time power spectrum: Frames rows of Bins columns, row-major.
// Column 0 is the lowest frequency (−fs/2); column Bins/2 is the tune
// frequency (DC). Power is normalised so that white noise of per-sample power
// σ² reads σ² in every cell; full scale (|x|=1) is 0 dBFS.
type Grid struct {
	Frames, Bins int
	BinHz        float64 // frequency spacing of columns
	FrameStep    float64 // seconds between frame starts
	FrameLen     float64 // seconds of samples in one frame
	P            []float32
	capFrames    int
}

// Row returns frame t's spectrum.
func (g *Grid) Row(t int) []float32 { return g.P[t*g.Bins : (t+1)*g.Bins] }

// FreqOffset is the centre frequency of column k relative to the tune, Hz.
func (g *Grid) FreqOffset(k int) float64 { return float64(k-g.Bins/2) * g.BinHz }

// STFT computes Grids with a fixed FFT size, Hann window and 50 % overlap.
// Overlap halves the time step (53 µs at 2.4 MS/s), which keeps burst edges
// sharp, and recovers most of the energy the window tapers away.
type STFT struct {
	n, hop  int
	fs      float64
	win     []float64
	scale   float64
	buf     []complex128
	radix4  bool
	maxRows int
}

// NewSTFT prepares an STFT of size n (a power of two ≥ 16) at sample rate fs
// for hops of at most maxSamples samples.
func NewSTFT(n int, fs float64, maxSamples int) (*STFT, error) {
	if n < 16 || n&(n-1) != 0 {
		return nil, fmt.Errorf("dsp: FFT size %d is not a power of two ≥ 16", n)
	}
	if fs <= 0 {
		return nil, fmt.Errorf("dsp: sample rate %g must be positive", fs)
	}
	if maxSamples < n {
		maxSamples = n
	}
	w := Hann(n)
	var s2 float64
	for _, v := range w {
		s2 += v * v
	}
	return &STFT{
		n: n, hop: n / 2, fs: fs, win: w,
		scale:   1 / s2,
		buf:     make([]complex128, n),
		radix4:  bits.TrailingZeros(uint(n))%2 == 0,
		maxRows: framesFor(maxSamples, n, n/2),
	}, nil
}

func framesFor(samples, n, hop int) int {
	if samples < n {
		return 0
	}
	return (samples-n)/hop + 1
}

// Size is the FFT size.
func (s *STFT) Size() int { return s.n }

// Hop is the number of samples between frame starts.
func (s *STFT) Hop() int { return s.hop }

// Window is the analysis window (read-only).
func (s *STFT) Window() []float64 { return s.win }

// NewGrid allocates a grid large enough for this STFT's maximum hop.
func (s *STFT) NewGrid() *Grid {
	return &Grid{
		Bins: s.n, BinHz: s.fs / float64(s.n),
		FrameStep: float64(s.hop) / s.fs, FrameLen: float64(s.n) / s.fs,
		P: make([]float32, s.maxRows*s.n), capFrames: s.maxRows,
	}
}

// FramesFor is how many frames Compute makes from n samples.
func (s *STFT) FramesFor(n int) int { return framesFor(n, s.n, s.hop) }

// Compute fills g with the spectrogram of x. Samples past the last whole
// frame are ignored (the caller carries them over if it streams). It
// allocates nothing.
func (s *STFT) Compute(g *Grid, x []complex64) {
	rows := framesFor(len(x), s.n, s.hop)
	if rows > g.capFrames {
		rows = g.capFrames
	}
	g.Frames = rows
	n, half := s.n, s.n/2
	buf := s.buf[:n]
	win := s.win[:n]
	sc := s.scale
	for t := 0; t < rows; t++ {
		frame := x[t*s.hop : t*s.hop+n]
		for i := range buf {
			v := frame[i]
			buf[i] = complex(float64(real(v))*win[i], float64(imag(v))*win[i])
		}
		if s.radix4 {
			fourier.CoefficientsRadix4(buf)
		} else {
			fourier.CoefficientsRadix2(buf)
		}
		row := g.P[t*n : (t+1)*n]
		// fftshift while taking |X|²: negative frequencies first.
		for k := 0; k < half; k++ {
			a := buf[k+half]
			row[k] = float32((real(a)*real(a) + imag(a)*imag(a)) * sc)
			b := buf[k]
			row[k+half] = float32((real(b)*real(b) + imag(b)*imag(b)) * sc)
		}
	}
}
