package dsp

import (
	"fmt"
	"math"
	"math/bits"
)

// lanes is how many frames one pass of the FFT transforms together: one
// 256-bit register of float32. Transforming frames side by side makes every
// butterfly of every stage a plain vertical SIMD operation (no shuffles,
// twiddles broadcast), which is what lets a short FFT reach C speed in Go
// assembly.
const lanes = 8

// elem is the float32 count of one batch element: 8 real parts (one per
// frame), then 8 imaginary parts; one 64-byte cache line.
const elem = 2 * lanes

// batchFFT is a radix-2 decimation-in-frequency FFT of size n (its middle
// stages run two per pass, radix-2²) over a batch of lanes frames held split re/im in buf (element i of frame l at
// buf[elem*i+l] and buf[elem*i+lanes+l]). Its output is in bit-reversed
// order; callers fold the reordering into how they store |X|², so no pass
// is spent on it.
type batchFFT struct {
	n   int
	tw  []float32 // twiddles: stage of span h uses complex entries h..2h-1 (re, im interleaved)
	rev []int32   // rev[p] is the frequency bin at output position p
	buf []float32 // n*elem
	asm bool      // use the AVX2 kernels
}

func newBatchFFT(n int, asm bool) (*batchFFT, error) {
	if n < 16 || n&(n-1) != 0 {
		return nil, fmt.Errorf("dsp: FFT size %d is not a power of two ≥ 16", n)
	}
	f := &batchFFT{n: n, tw: make([]float32, 2*n), rev: make([]int32, n), buf: make([]float32, n*elem), asm: asm}
	for h := 1; h < n; h *= 2 {
		for j := 0; j < h; j++ {
			// W = exp(-2πi j/(2h)), computed in float64 and rounded once.
			a := -math.Pi * float64(j) / float64(h)
			f.tw[2*(h+j)] = float32(math.Cos(a))
			f.tw[2*(h+j)+1] = float32(math.Sin(a))
		}
	}
	shift := 64 - uint(bits.TrailingZeros(uint(n)))
	for p := range f.rev {
		f.rev[p] = int32(bits.Reverse64(uint64(p)) >> shift)
	}
	return f, nil
}

// middle runs the stages of span n/4 down to 2, between the first stage
// (fused with loading the input) and the last (fused with |X|²), two at a
// time.
func (f *batchFFT) middle() {
	h := f.n / 4
	for ; h >= 4; h /= 4 {
		if f.asm {
			stage2AVX2(&f.buf[0], &f.tw[0], f.n, h)
		} else {
			stage2Go(f.buf, f.tw, h)
		}
	}
	if h == 2 {
		if f.asm {
			stageAVX2(&f.buf[0], &f.tw[0], f.n, h)
		} else {
			stageGo(f.buf, f.tw, h)
		}
	}
}

// transformCU8 transforms lanes frames of interleaved cu8 I/Q starting at
// byte offsets offs[l] of iq (each frame n samples inside iq), windowed by
// win (the window divided by 127.5, the cu8 full scale), and leaves the
// spectra in buf.
func (f *batchFFT) transformCU8(iq []byte, offs *[lanes]int32, win []float32) {
	for _, o := range offs {
		if o < 0 || int(o)+2*f.n > len(iq) {
			panic("dsp: cu8 frame outside its hop") // the callers size frames; a bug, not bad input
		}
	}
	if f.asm {
		firstCU8AVX2(&f.buf[0], &iq[0], offs, &win[0], &f.tw[0], f.n)
	} else {
		firstCU8Go(f.buf, iq, offs, win, f.tw)
	}
	f.middle()
}

// transformComplex transforms lanes frames of x starting at sample offsets
// offs[l], windowed by win, and leaves the spectra in buf.
func (f *batchFFT) transformComplex(x []complex64, offs *[lanes]int, win []float32) {
	for _, o := range offs {
		if o < 0 || o+f.n > len(x) {
			panic("dsp: frame outside its block") // the callers size frames; a bug, not bad input
		}
	}
	if f.asm {
		var b [lanes]int
		for l, o := range offs {
			b[l] = 8 * o
		}
		loadComplexAVX2(&f.buf[0], &x[0], &b, &win[0], f.n)
		stageAVX2(&f.buf[0], &f.tw[0], f.n, f.n/2)
	} else {
		loadComplex(f.buf, x, offs, win)
		stageGo(f.buf, f.tw, f.n/2)
	}
	f.middle()
}

// powerAdd runs the last stage and adds |X|² to acc (n*lanes, in output
// position order, lane-minor).
func (f *batchFFT) powerAdd(acc []float32) {
	if f.asm {
		powerAVX2(&f.buf[0], &acc[0], f.n, true)
	} else {
		powerGo(f.buf, acc, true)
	}
}

// powerStore runs the last stage and stores |X|² in pw (like acc).
func (f *batchFFT) powerStore(pw []float32) {
	if f.asm {
		powerAVX2(&f.buf[0], &pw[0], f.n, false)
	} else {
		powerGo(f.buf, pw, false)
	}
}

// loadComplex writes the windowed frames of x into the batch buffer.
func loadComplex(buf []float32, x []complex64, offs *[lanes]int, win []float32) {
	n := len(win)
	for l, o := range offs {
		for i, v := range x[o : o+n] {
			e := (*[elem]float32)(buf[elem*i:])
			w := win[i]
			e[l], e[lanes+l] = real(v)*w, imag(v)*w
		}
	}
}

// Kernels names the FFT kernels this build and CPU run: "avx2" (amd64 with
// AVX2 and FMA, without the purego build tag) or "go".
func Kernels() string {
	if haveAVX2() {
		return "avx2"
	}
	return "go"
}
