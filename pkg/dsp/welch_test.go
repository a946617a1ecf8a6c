package dsp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Welch's spectrum, from either kernel, is the float64 average of |DFT|² of
// the windowed cu8 frames over 1/Σw², bin for bin to 1e-4 relative (what the
// C + FFTW reference's README expects between implementations), with and
// without overlap and with frame counts that leave a partial batch.
func TestWelchMatchesDFT(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, n := range []int{16, 64, 256, 1024} {
		for _, step := range []int{n, n / 2} {
			for _, asm := range kernels() {
				t.Run(fmt.Sprintf("%s/%d/step%d", kernelName(asm), n, step), func(t *testing.T) {
					frames := 2*lanes + 5
					samples := (frames-1)*step + n + step/3 // a tail shorter than a step is ignored
					iq := make([]byte, 2*samples)
					for i := range iq {
						iq[i] = byte(127 + r.IntN(61) - 30)
					}
					w, err := newWelch(n, step, asm)
					if err != nil {
						t.Fatal(err)
					}
					spec := make([]float32, n)
					got, err := w.CU8(spec, iq)
					if err != nil || got != frames {
						t.Fatalf("CU8: %d frames, %v; want %d", got, err, frames)
					}
					hann := Hann(n)
					var s2 float64
					for _, v := range hann {
						s2 += float64(float32(v)) * float64(float32(v))
					}
					want := make([]float64, n)
					for f := 0; f < frames; f++ {
						x := make([]complex128, n)
						for i := range x {
							b := iq[2*(f*step+i):]
							wi := float64(float32(hann[i]))
							x[i] = complex((float64(b[0])-127.5)/127.5*wi, (float64(b[1])-127.5)/127.5*wi)
						}
						for k, v := range dft(x) {
							want[k] += (real(v)*real(v) + imag(v)*imag(v)) / (float64(frames) * s2)
						}
					}
					for k := range want {
						if d := math.Abs(float64(spec[k])-want[k]) / want[k]; d > 1e-4 {
							t.Fatalf("bin %d: %g, DFT %g (relative %.2g)", k, spec[k], want[k], d)
						}
					}
				})
			}
		}
	}
}

func TestWelchErrors(t *testing.T) {
	if _, err := NewWelch(100, 50); err == nil {
		t.Error("size 100 accepted")
	}
	for _, step := range []int{0, -1, 257} {
		if _, err := NewWelch(256, step); err == nil {
			t.Errorf("step %d accepted", step)
		}
	}
	w, err := NewWelch(256, 256)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.CU8(make([]float32, 256), make([]byte, 2*255)); err == nil {
		t.Error("a block shorter than one frame gave no error")
	}
	if _, err := w.CU8(make([]float32, 255), make([]byte, 2*256)); err == nil {
		t.Error("a short spectrum buffer gave no error")
	}
}

func TestWelchAllocatesNothing(t *testing.T) {
	w, _ := NewWelch(1024, 512)
	iq := benchCU8(benchHop)
	spec := make([]float32, 1024)
	if a := testing.AllocsPerRun(5, func() { _, _ = w.CU8(spec, iq) }); a != 0 {
		t.Errorf("CU8 allocates %v times per hop", a)
	}
}
