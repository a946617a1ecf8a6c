package dsp

import (
	"fmt"
	"testing"

	"gonum.org/v1/gonum/dsp/fourier"

	"github.com/cellwatch/cellwatch/pkg/iq"

	"github.com/cellwatch/cellwatch/internal/cputime"
)

// The optimisation steps of docs/performance.md, each still runnable so its
// gain can be re-measured: go test -run - -bench Steps ./pkg/dsp

// middleRadix2 is batchFFT.middle before the radix-2² pass: one stage per
// pass over the buffer.
func (f *batchFFT) middleRadix2() {
	for h := f.n / 4; h >= 2; h /= 2 {
		if f.asm {
			stageAVX2(&f.buf[0], &f.tw[0], f.n, h)
		} else {
			stageGo(f.buf, f.tw, h)
		}
	}
}

// welchSteps is Welch.CU8 over whole batches with a choice of middle stages.
func welchSteps(w *Welch, spec []float32, raw []byte, radix2 bool) {
	frames := w.FramesFor(len(raw) / 2)
	clear(w.acc)
	var offs [lanes]int32
	for t := 0; t+lanes <= frames; t += lanes {
		for l := range offs {
			offs[l] = int32(2 * (t + l) * w.step)
		}
		f := w.fft
		if f.asm {
			firstCU8AVX2(&f.buf[0], &raw[0], &offs, &w.win[0], &f.tw[0], f.n)
		} else {
			firstCU8Go(f.buf, raw, &offs, w.win, f.tw)
		}
		if radix2 {
			f.middleRadix2()
		} else {
			f.middle()
		}
		f.powerAdd(w.acc)
	}
	for p, k := range w.fft.rev {
		a := w.acc[lanes*p : lanes*p+lanes]
		spec[k] = a[0] + a[1] + a[2] + a[3] + a[4] + a[5] + a[6] + a[7]
	}
}

func BenchmarkSteps(b *testing.B) {
	raw := benchCU8(benchHop)
	for _, n := range []int{256, 1024} {
		for _, step := range []struct {
			name        string
			asm, radix2 bool
		}{
			{"1-go-radix2", false, true},
			{"2-go-radix2x2", false, false},
			{"3-avx2-radix2", true, true},
			{"4-avx2-radix2x2", true, false},
		} {
			if step.asm && !haveAVX2() {
				continue
			}
			b.Run(fmt.Sprintf("welch/N=%d/%s", n, step.name), func(b *testing.B) {
				w, _ := newWelch(n, n, step.asm)
				spec := make([]float32, n)
				b.SetBytes(int64(len(raw)))
				m := cputime.Start(b)
				for b.Loop() {
					welchSteps(w, spec, raw, step.radix2)
				}
				m.Report(b, benchHop)
			})
		}
	}

	// The daemon's dwell: 25 ms of cu8 at 2.4 MS/s, converted, then the
	// 50 %-overlap grid at N = 256.
	const fs, n = 2.4e6, 256
	samples := int(0.025 * fs)
	dwell := benchCU8(samples)
	x := make([]complex64, samples)
	grid := func(b *testing.B, name string, setup func() (*Converter, func())) {
		b.Run("stft/N=256/"+name, func(b *testing.B) {
			conv, compute := setup()
			b.SetBytes(int64(len(dwell)))
			m := cputime.Start(b)
			for b.Loop() {
				conv.Convert(x, dwell)
				compute()
			}
			m.Report(b, samples)
		})
	}
	lutConv := func() *Converter { c, _ := NewConverter(iq.CU8); c.asm = false; return c }
	grid(b, "0-gonum-complex128", func() (*Converter, func()) {
		win := Hann(n)
		var s2 float64
		for _, v := range win {
			s2 += v * v
		}
		buf := make([]complex128, n)
		rows := framesFor(samples, n, n/2)
		p := make([]float32, rows*n)
		return lutConv(), func() {
			for t := 0; t < rows; t++ {
				fr := x[t*n/2 : t*n/2+n]
				for i := range buf {
					buf[i] = complex(float64(real(fr[i]))*win[i], float64(imag(fr[i]))*win[i])
				}
				fourier.CoefficientsRadix4(buf)
				row := p[t*n : (t+1)*n]
				for k := 0; k < n/2; k++ {
					a, c := buf[k+n/2], buf[k]
					row[k] = float32((real(a)*real(a) + imag(a)*imag(a)) / s2)
					row[k+n/2] = float32((real(c)*real(c) + imag(c)*imag(c)) / s2)
				}
			}
		}
	})
	if !haveAVX2() {
		return
	}
	grid(b, "1-avx2-fft-go-load-scatter", func() (*Converter, func()) {
		s, _ := newSTFT(n, fs, samples, true)
		g := s.NewGrid()
		rows := s.FramesFor(samples)
		f := s.fft
		return lutConv(), func() {
			for t := 0; t+lanes <= rows; t += lanes {
				var offs [lanes]int
				for l := range offs {
					offs[l] = (t + l) * s.hop
				}
				loadComplex(f.buf, x, &offs, s.win32)
				stageAVX2(&f.buf[0], &f.tw[0], n, n/2)
				f.middleRadix2()
				f.powerStore(s.pw)
				for p, c := range s.col {
					for l := 0; l < lanes; l++ {
						g.P[(t+l)*n+int(c)] = s.pw[lanes*p+l] * s.scale
					}
				}
			}
		}
	})
	grid(b, "2-avx2-load-scatter", func() (*Converter, func()) {
		s, _ := newSTFT(n, fs, samples, true)
		g := s.NewGrid()
		rows := s.FramesFor(samples)
		f := s.fft
		return lutConv(), func() {
			for t := 0; t+lanes <= rows; t += lanes {
				var offs [lanes]int
				for l := range offs {
					offs[l] = 8 * (t + l) * s.hop
				}
				loadComplexAVX2(&f.buf[0], &x[0], &offs, &s.win32[0], n)
				stageAVX2(&f.buf[0], &f.tw[0], n, n/2)
				f.middleRadix2()
				f.powerStore(s.pw)
				scatterRowsAVX2(&g.P[t*n], &s.pw[0], &s.col[0], n, s.scale)
			}
		}
	})
	grid(b, "3-avx2-convert-radix2x2", func() (*Converter, func()) {
		s, _ := newSTFT(n, fs, samples, true)
		g := s.NewGrid()
		conv, _ := NewConverter(iq.CU8)
		return conv, func() { s.Compute(g, x) }
	})
}
