package dsp

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/dsp/fourier"

	"github.com/cellwatch/cellwatch/pkg/iq"

	"github.com/cellwatch/cellwatch/internal/cputime"
)

// benchHop is the bench reference's hop: 120 000 samples, 50 ms at 2.4 MS/s.
const benchHop = 120000

func benchCU8(samples int) []byte {
	raw := make([]byte, 2*samples)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range raw {
		raw[i] = byte(127 + r.IntN(33) - 16)
	}
	return raw
}

// BenchmarkWelch is the C + FFTW reference's pipeline (cu8 → LUT → Hann →
// FFT → |X|² → accumulate) per 120 000-sample hop; MS/s compares directly
// with its MSps_cpu.
func BenchmarkWelch(b *testing.B) {
	raw := benchCU8(benchHop)
	for _, asm := range kernels() {
		for _, n := range []int{256, 1024, 2048} {
			for _, overlap := range []int{0, 50} {
				step := n
				if overlap == 50 {
					step = n / 2
				}
				b.Run(fmt.Sprintf("%s/N=%d/overlap=%d", kernelName(asm), n, overlap), func(b *testing.B) {
					w, err := newWelch(n, step, asm)
					if err != nil {
						b.Fatal(err)
					}
					spec := make([]float32, n)
					b.SetBytes(int64(len(raw)))
					b.ReportAllocs()
					m := cputime.Start(b)
					for b.Loop() {
						if _, err := w.CU8(spec, raw); err != nil {
							b.Fatal(err)
						}
					}
					m.Report(b, benchHop)
				})
			}
		}
	}
}

// BenchmarkWelchGonum is the same pipeline on gonum's in-place radix-4
// FFT (complex128), the baseline this package's FFT replaced.
func BenchmarkWelchGonum(b *testing.B) {
	raw := benchCU8(benchHop)
	for _, n := range []int{256, 1024} {
		b.Run(fmt.Sprintf("N=%d/overlap=0", n), func(b *testing.B) {
			win := Hann(n)
			var lut [256]float64
			for i := range lut {
				lut[i] = float64((float32(i) - 127.5) / 127.5)
			}
			buf := make([]complex128, n)
			acc := make([]float64, n)
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			m := cputime.Start(b)
			for b.Loop() {
				clear(acc)
				for f := 0; f+n <= benchHop; f += n {
					fr := raw[2*f : 2*(f+n)]
					for i := range buf {
						buf[i] = complex(lut[fr[2*i]]*win[i], lut[fr[2*i+1]]*win[i])
					}
					fourier.CoefficientsRadix4(buf)
					for k, v := range buf {
						acc[k] += real(v)*real(v) + imag(v)*imag(v)
					}
				}
			}
			m.Report(b, benchHop)
		})
	}
}

// BenchmarkSTFT is the daemon's DSP per dwell: convert a 25 ms dwell of cu8
// at 2.4 MS/s and compute its 50 %-overlap grid, at the sizes FFTSizeFor
// picks for 2.4 MS/s (256) and for wider rates.
func BenchmarkSTFT(b *testing.B) {
	const fs = 2.4e6
	samples := int(0.025 * fs)
	raw := benchCU8(samples)
	conv, _ := NewConverter(iq.CU8)
	x := make([]complex64, samples)
	for _, asm := range kernels() {
		for _, n := range []int{256, 512, 1024, 2048} {
			b.Run(fmt.Sprintf("%s/N=%d", kernelName(asm), n), func(b *testing.B) {
				s, err := newSTFT(n, fs, samples, asm)
				if err != nil {
					b.Fatal(err)
				}
				g := s.NewGrid()
				b.SetBytes(int64(len(raw)))
				b.ReportAllocs()
				m := cputime.Start(b)
				for b.Loop() {
					conv.Convert(x, raw)
					s.Compute(g, x)
				}
				m.Report(b, samples)
			})
		}
	}
}
