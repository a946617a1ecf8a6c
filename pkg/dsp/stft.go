package dsp

import (
	"fmt"
	"math"
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
	win32   []float32 // win as float32, for the FFT
	winCU8  []float32 // win over 127.5: cu8's full scale folded into the window
	scale   float32
	fft     *batchFFT
	col     []int32   // grid column of each FFT output position (bit reversal and fftshift)
	pw      []float32 // |X|² of one batch of frames
	maxRows int
}

// NewSTFT prepares an STFT of size n (a power of two ≥ 16) at sample rate fs
// for hops of at most maxSamples samples.
func NewSTFT(n int, fs float64, maxSamples int) (*STFT, error) {
	return newSTFT(n, fs, maxSamples, haveAVX2())
}

func newSTFT(n int, fs float64, maxSamples int, asm bool) (*STFT, error) {
	if n < 16 || n&(n-1) != 0 {
		return nil, fmt.Errorf("dsp: FFT size %d is not a power of two ≥ 16", n)
	}
	if fs <= 0 {
		return nil, fmt.Errorf("dsp: sample rate %g must be positive", fs)
	}
	if maxSamples < n {
		maxSamples = n
	}
	f, err := newBatchFFT(n, asm)
	if err != nil {
		return nil, err
	}
	w := Hann(n)
	w32, wCU8 := make([]float32, n), make([]float32, n)
	var s2 float64
	for i, v := range w {
		s2 += v * v
		w32[i] = float32(v)
		wCU8[i] = float32(v / 127.5)
	}
	col := make([]int32, n)
	for p, k := range f.rev {
		col[p] = (k + int32(n/2)) % int32(n) // negative frequencies first
	}
	return &STFT{
		n: n, hop: n / 2, fs: fs, win: w, win32: w32, winCU8: wCU8,
		scale:   float32(1 / s2),
		fft:     f,
		col:     col,
		pw:      make([]float32, n*lanes),
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
	// Eight frames at a time through the batched FFT; in a last partial
	// batch the missing lanes repeat the first frame and are not stored.
	for t := 0; t < rows; t += lanes {
		valid := min(lanes, rows-t)
		var offs [lanes]int
		for l := range offs {
			offs[l] = t * s.hop
			if l < valid {
				offs[l] = (t + l) * s.hop
			}
		}
		s.fft.transformComplex(x, &offs, s.win32)
		s.store(g, t, valid)
	}
}

// ComputeCU8 is Compute on interleaved cu8 I/Q (rtl-sdr offset binary),
// converted inside the FFT's first pass: the same spectrogram as
// converting to complex64 first, to float32 rounding (the scale is folded
// into the window), with one pass over the samples less.
func (s *STFT) ComputeCU8(g *Grid, iq []byte) {
	rows := min(framesFor(len(iq)/2, s.n, s.hop), g.capFrames)
	g.Frames = rows
	for t := 0; t < rows; t += lanes {
		valid := min(lanes, rows-t)
		var offs [lanes]int32
		for l := range offs {
			offs[l] = int32(2 * t * s.hop)
			if l < valid {
				offs[l] = int32(2 * (t + l) * s.hop)
			}
		}
		s.fft.transformCU8(iq, &offs, s.winCU8)
		s.store(g, t, valid)
	}
}

// store finishes the batch of frames t..t+valid-1 into g: |X|², scaled, in
// grid column order.
func (s *STFT) store(g *Grid, t, valid int) {
	n, sc := s.n, s.scale
	s.fft.powerStore(s.pw)
	rowsP := g.P[t*n : (t+valid)*n]
	if valid == lanes && s.fft.asm {
		scatterRowsAVX2(&rowsP[0], &s.pw[0], &s.col[0], n, sc)
		return
	}
	for p, c := range s.col {
		src := (*[lanes]float32)(s.pw[lanes*p:])
		for l := 0; l < valid; l++ {
			rowsP[l*n+int(c)] = src[l] * sc
		}
	}
}
