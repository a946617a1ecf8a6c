package dsp

import "fmt"

// Welch averages the power spectra of the frames of one block of cu8
// samples: frames of n samples every step samples (n: no overlap, n/2: 50 %),
// periodic Hann window, |X|² summed and scaled by 1/(frames·Σw²). It is the
// per-hop pipeline of rtl_power and of the C + FFTW reference in
// ../shared/bench, which `cellwatch bench dsp` measures it against; frames
// never cross a block.
type Welch struct {
	n, step int
	fft     *batchFFT
	win     []float32 // Hann over 127.5: the cu8 scale folded into the window
	wss     float64   // Σw² of the float32 Hann window
	acc     []float32 // n·lanes partial sums, by output position then lane
	part    []float32 // |X|² of a partial batch
}

// NewWelch prepares a Welch average with FFT size n (a power of two ≥ 16)
// and frame step 1 ≤ step ≤ n.
func NewWelch(n, step int) (*Welch, error) {
	return newWelch(n, step, haveAVX2())
}

func newWelch(n, step int, asm bool) (*Welch, error) {
	f, err := newBatchFFT(n, asm)
	if err != nil {
		return nil, err
	}
	if step < 1 || step > n {
		return nil, fmt.Errorf("dsp: Welch frame step %d is outside 1..%d (the FFT size)", step, n)
	}
	w := &Welch{n: n, step: step, fft: f, win: make([]float32, n), acc: make([]float32, n*lanes), part: make([]float32, n*lanes)}
	for i, v := range Hann(n) {
		v32 := float32(v)
		w.wss += float64(v32) * float64(v32)
		w.win[i] = v32 / 127.5
	}
	return w, nil
}

// Size is the FFT size.
func (w *Welch) Size() int { return w.n }

// FramesFor is how many frames a block of n samples holds.
func (w *Welch) FramesFor(n int) int { return framesFor(n, w.n, w.step) }

// CU8 writes the averaged spectrum of the interleaved cu8 block iq into
// spec (len ≥ Size(); bin k is FFT bin k, DC first, no fftshift) and returns
// the number of frames averaged. It allocates nothing. A block shorter than
// one frame, or longer than 2³⁰ samples, is an error.
func (w *Welch) CU8(spec []float32, iq []byte) (int, error) {
	if len(spec) < w.n {
		return 0, fmt.Errorf("dsp: spectrum buffer of %d bins for a %d-point FFT", len(spec), w.n)
	}
	samples := len(iq) / 2
	if samples > 1<<30 {
		return 0, fmt.Errorf("dsp: block of %d samples is too long for one Welch average", samples)
	}
	frames := w.FramesFor(samples)
	if frames == 0 {
		return 0, fmt.Errorf("dsp: block of %d samples is shorter than one %d-point frame", samples, w.n)
	}
	clear(w.acc)
	var offs [lanes]int32
	t := 0
	for ; t+lanes <= frames; t += lanes {
		for l := range offs {
			offs[l] = int32(2 * (t + l) * w.step)
		}
		w.fft.transformCU8(iq, &offs, w.win)
		w.fft.powerAdd(w.acc)
	}
	if valid := frames - t; valid > 0 {
		for l := range offs {
			offs[l] = int32(2 * (t + min(l, valid-1)) * w.step)
		}
		w.fft.transformCU8(iq, &offs, w.win)
		w.fft.powerStore(w.part)
		for p := 0; p < w.n; p++ {
			for l := 0; l < valid; l++ {
				w.acc[lanes*p+l] += w.part[lanes*p+l]
			}
		}
	}
	scale := float32(1 / (float64(frames) * w.wss))
	for p, k := range w.fft.rev {
		a := (*[lanes]float32)(w.acc[lanes*p:])
		spec[k] = (((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]))) * scale
	}
	return frames, nil
}
