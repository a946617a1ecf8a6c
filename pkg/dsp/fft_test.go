package dsp

import (
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cellwatch/cellwatch/pkg/iq"
)

// dft is the naive O(n²) transform in float64, the ground truth.
func dft(x []complex128) []complex128 { return dftEvery(x, 1) }

// dftEvery is dft for the bins that are multiples of every (others are 0).
func dftEvery(x []complex128, every int) []complex128 {
	n := len(x)
	w := make([]complex128, n)
	for i := range w {
		w[i] = cmplx.Rect(1, -2*math.Pi*float64(i)/float64(n))
	}
	out := make([]complex128, n)
	for k := 0; k < n; k += every {
		var s complex128
		for i, v := range x {
			s += v * w[(i*k)%n]
		}
		out[k] = s
	}
	return out
}

// kernels lists the FFT implementations this build can run: the pure-Go
// one always, the AVX2 one where the CPU has it.
func kernels() []bool {
	if haveAVX2() {
		return []bool{false, true}
	}
	return []bool{false}
}

func kernelName(asm bool) string {
	if asm {
		return "avx2"
	}
	return "go"
}

// fftSizes is every size FFTSizeFor can return (32…8192) plus 16, the
// smallest NewSTFT accepts.
var fftSizes = []int{16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192}

// The batched FFT of random cu8 frames matches a float64 DFT of the same
// windowed samples: every bin's |X|² within 1e-5 of the mean bin power
// (Σ|x|², by Parseval), i.e. 50 dB under the frame's noise level. The worst
// seen is 2.5e-6 at n = 8192 (float32 rounding grows with log n).
func TestBatchFFTMatchesDFT(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range fftSizes {
		for _, asm := range kernels() {
			t.Run(fmt.Sprintf("%s/%d", kernelName(asm), n), func(t *testing.T) {
				f, err := newBatchFFT(n, asm)
				if err != nil {
					t.Fatal(err)
				}
				raw := make([]byte, 2*n*lanes+6)
				for i := range raw {
					raw[i] = byte(r.IntN(256))
				}
				win := make([]float32, n)
				hann := Hann(n)
				for i := range win {
					win[i] = float32(hann[i]) / 127.5
				}
				var offs [lanes]int32
				for l := range offs {
					offs[l] = int32(2*l*n + 2*(l%3)) // frames at odd places too
				}
				f.transformCU8(raw, &offs, win)
				pw := make([]float32, n*lanes)
				f.powerStore(pw)
				var worst float64
				for l, o := range offs {
					every := max(1, n/512) // the naive DFT is slow: 512 bins of the largest sizes
					x := make([]complex128, n)
					var total float64
					for i := range x {
						re := (float64(raw[int(o)+2*i]) - 127.5) / 127.5 * float64(float32(hann[i]))
						im := (float64(raw[int(o)+2*i+1]) - 127.5) / 127.5 * float64(float32(hann[i]))
						x[i] = complex(re, im)
						total += re*re + im*im
					}
					want := dftEvery(x, every)
					for p, k := range f.rev {
						if int(k)%every != 0 {
							continue
						}
						w := real(want[k])*real(want[k]) + imag(want[k])*imag(want[k])
						got := float64(pw[lanes*p+l])
						worst = max(worst, math.Abs(got-w)/total)
						if math.Abs(got-w) > 1e-5*total {
							t.Fatalf("lane %d bin %d: |X|² %g, DFT %g", l, k, got, w)
						}
					}
				}
				t.Logf("worst |X|² error %.2g of the mean bin power", worst)
			})
		}
	}
}

// stage2Go is stageGo twice: the same operations in the same order (equal
// to rounding: a compiler may fuse multiply-adds differently, as arm64's does).
func TestStage2IsTwoStages(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, n := range fftSizes {
		buf := make([]float32, n*elem)
		for i := range buf {
			buf[i] = float32(r.NormFloat64())
		}
		f, _ := newBatchFFT(n, false)
		for h := n / 2; h >= 2; h /= 2 {
			one := slices.Clone(buf)
			two := slices.Clone(buf)
			stageGo(one, f.tw, h)
			stageGo(one, f.tw, h/2)
			stage2Go(two, f.tw, h)
			for i := range one {
				if d := math.Abs(float64(one[i] - two[i])); d > 1e-6*(1+math.Abs(float64(one[i]))) {
					t.Fatalf("n=%d span %d element %d: stage2Go %g, two stageGo %g", n, h, i, two[i], one[i])
				}
			}
		}
	}
}

// The output permutation is a permutation.
func TestBatchFFTBitReversal(t *testing.T) {
	for _, n := range fftSizes {
		f, _ := newBatchFFT(n, false)
		seen := make([]bool, n)
		for _, k := range f.rev {
			if seen[k] {
				t.Fatalf("n=%d: bin %d twice", n, k)
			}
			seen[k] = true
		}
	}
}

func TestBatchFFTRejectsSizes(t *testing.T) {
	for _, n := range []int{0, 8, 100, 1000, -256} {
		if _, err := newBatchFFT(n, false); err == nil {
			t.Errorf("size %d accepted", n)
		}
	}
}

// The AVX2 kernels agree with the Go kernels on the same input to float32
// rounding (FMA differs from mul+add): 1e-5 relative to the frame power,
// stage by stage, and the accumulating power kernel adds.
func TestAVX2MatchesGo(t *testing.T) {
	if !haveAVX2() {
		t.Skip("this build or CPU has no AVX2 kernels (purego tag, other architecture, or no AVX2+FMA): only the Go kernels run")
	}
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range fftSizes {
		buf := make([]float32, n*elem)
		for i := range buf {
			buf[i] = float32(r.NormFloat64())
		}
		g, _ := newBatchFFT(n, false)
		a, _ := newBatchFFT(n, true)
		for h := n / 2; h >= 2; h /= 2 {
			copy(g.buf, buf)
			copy(a.buf, buf)
			stageGo(g.buf, g.tw, h)
			stageAVX2(&a.buf[0], &a.tw[0], n, h)
			for i := range buf {
				if d := math.Abs(float64(g.buf[i] - a.buf[i])); d > 1e-5*(1+math.Abs(float64(g.buf[i]))) {
					t.Fatalf("n=%d span %d: element %d go %g avx2 %g", n, h, i, g.buf[i], a.buf[i])
				}
			}
		}
		for h := n / 2; h >= 2; h /= 2 {
			copy(g.buf, buf)
			copy(a.buf, buf)
			stage2Go(g.buf, g.tw, h)
			stage2AVX2(&a.buf[0], &a.tw[0], n, h)
			for i := range buf {
				if d := math.Abs(float64(g.buf[i] - a.buf[i])); d > 1e-5*(1+math.Abs(float64(g.buf[i]))) {
					t.Fatalf("n=%d spans %d+%d: element %d go %g avx2 %g", n, h, h/2, i, g.buf[i], a.buf[i])
				}
			}
		}
		copy(g.buf, buf)
		copy(a.buf, buf)
		og, oa := make([]float32, n*lanes), make([]float32, n*lanes)
		for i := range og {
			og[i] = float32(i % 7)
			oa[i] = og[i]
		}
		powerGo(g.buf, og, true)
		powerAVX2(&a.buf[0], &oa[0], n, true)
		for i := range og {
			if d := math.Abs(float64(og[i] - oa[i])); d > 1e-5*(1+math.Abs(float64(og[i]))) {
				t.Fatalf("n=%d power add %d: go %g avx2 %g", n, i, og[i], oa[i])
			}
		}
	}
}

// Every cell of the STFT grid, from either kernel, is the fftshifted |DFT|²
// of its windowed frame scaled by 1/Σw², to 1e-5 of the frame's mean cell;
// the frame count leaves a partial last batch.
func TestSTFTMatchesDFT(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{16, 32, 64, 256, 512, 1024, 2048} {
		for _, asm := range kernels() {
			t.Run(fmt.Sprintf("%s/%d", kernelName(asm), n), func(t *testing.T) {
				samples := n/2*(2*lanes+3) + n/2 + 5 // 19 frames: two full batches and 3
				x := make([]complex64, samples)
				for i := range x {
					x[i] = complex(float32(r.NormFloat64()), float32(r.NormFloat64()))
				}
				s, err := newSTFT(n, 2.4e6, samples, asm)
				if err != nil {
					t.Fatal(err)
				}
				g := s.NewGrid()
				s.Compute(g, x)
				if g.Frames != 2*lanes+3 {
					t.Fatalf("%d frames, want %d", g.Frames, 2*lanes+3)
				}
				win := s.Window()
				var s2 float64
				for _, v := range win {
					s2 += v * v
				}
				for row := 0; row < g.Frames; row++ {
					if n >= 1024 && row%4 != 3 {
						continue // the naive DFT is slow: every 4th row, the last batch included
					}
					f := make([]complex128, n)
					for i := range f {
						v := x[row*n/2+i]
						f[i] = complex(float64(real(v))*float64(float32(win[i])), float64(imag(v))*float64(float32(win[i])))
					}
					want := dft(f)
					var mean float64
					for _, v := range want {
						mean += (real(v)*real(v) + imag(v)*imag(v)) / s2 / float64(n)
					}
					got := g.Row(row)
					for c := range got {
						k := (c + n/2) % n
						w := (real(want[k])*real(want[k]) + imag(want[k])*imag(want[k])) / s2
						if math.Abs(float64(got[c])-w) > 1e-5*mean {
							t.Fatalf("row %d column %d: %g, DFT %g", row, c, got[c], w)
						}
					}
				}
			})
		}
	}
}

// FuzzSTFT feeds arbitrary cu8 dwells through the STFT at the sizes the
// daemon uses (FFTSizeFor at 2.4 MS/s is 256; wider rates give 512…2048):
// every row obeys Parseval (Σ cells = n·Σ|w·x|²/Σw², to 1e-5 relative), and
// the AVX2 grid equals the Go grid to 1e-5 of the cell plus the row's mean
// cell.
func FuzzSTFT(f *testing.F) {
	f.Add([]byte{0, 255, 127, 128, 1, 2, 3}, uint8(0))
	f.Add(benchCU8(3000), uint8(1))
	f.Add(make([]byte, 5000), uint8(3))
	f.Fuzz(func(t *testing.T, raw []byte, size uint8) {
		n := []int{256, 512, 1024, 2048}[size%4]
		if len(raw) < 2 {
			return
		}
		samples := 3*n + n/2 + 1 // 6 frames: one partial batch
		iqb := make([]byte, 2*samples)
		for i := range iqb {
			iqb[i] = raw[i%len(raw)] ^ byte(i/len(raw))
		}
		conv, _ := NewConverter(iq.CU8)
		x := make([]complex64, samples)
		conv.Convert(x, iqb)
		var grids [][]float32
		for _, asm := range kernels() {
			s, err := newSTFT(n, 2.4e6, samples, asm)
			if err != nil {
				t.Fatal(err)
			}
			g := s.NewGrid()
			s.Compute(g, x)
			win := s.Window()
			var s2 float64
			for _, v := range win {
				s2 += v * v
			}
			for row := 0; row < g.Frames; row++ {
				var e, sum float64
				for i := 0; i < n; i++ {
					v := x[row*n/2+i]
					w := float64(float32(win[i]))
					e += (float64(real(v))*float64(real(v)) + float64(imag(v))*float64(imag(v))) * w * w
				}
				for _, v := range g.Row(row) {
					sum += float64(v)
				}
				want := float64(n) * e / s2
				if math.Abs(sum-want) > 1e-5*want+1e-12 {
					t.Fatalf("%s n=%d row %d: Σ cells %g, Parseval %g", kernelName(asm), n, row, sum, want)
				}
			}
			grids = append(grids, g.P[:g.Frames*n])
		}
		if len(grids) == 2 {
			for i := range grids[0] {
				row := grids[0][(i/n)*n : (i/n+1)*n]
				var mean float64
				for _, v := range row {
					mean += float64(v) / float64(n)
				}
				if d := math.Abs(float64(grids[0][i] - grids[1][i])); d > 1e-5*(mean+math.Abs(float64(grids[0][i])))+1e-12 {
					t.Fatalf("n=%d cell %d: go %g, avx2 %g", n, i, grids[0][i], grids[1][i])
				}
			}
		}
	})
}
