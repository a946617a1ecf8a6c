package dsp

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/cellwatch/cellwatch/pkg/iq"
)

func TestConvertFormats(t *testing.T) {
	cases := []struct {
		f    iq.Format
		raw  []byte
		want complex64
	}{
		{iq.CU8, []byte{255, 0}, complex(1, -1)},
		{iq.CU8, []byte{127, 128}, complex(-0.5/127.5, 0.5/127.5)},
		{iq.CS8, []byte{0x80, 0x40}, complex(-1, 0.5)},
		{iq.CS16, []byte{0x00, 0x80, 0x00, 0x40}, complex(-1, 0.5)},
		{iq.CF32, []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0xbf}, complex(1, -0.5)},
	}
	for _, c := range cases {
		conv, err := NewConverter(c.f)
		if err != nil {
			t.Fatal(err)
		}
		dst := make([]complex64, 4)
		// A trailing partial sample is ignored.
		if n := conv.Convert(dst, append(c.raw, 1)); n != 1 || dst[0] != c.want {
			t.Errorf("%v: got %d %v, want 1 %v", c.f, n, dst[0], c.want)
		}
	}
	if _, err := NewConverter(0); err == nil {
		t.Error("format 0 accepted")
	}
}

// The cu8 conversion is the look-up table exactly, whichever kernel runs and
// whatever the length (the AVX2 kernel takes multiples of 8 samples).
func TestConvertCU8AllBytes(t *testing.T) {
	conv, err := NewConverter(iq.CU8)
	if err != nil {
		t.Fatal(err)
	}
	raw := make([]byte, 2*300+1)
	for i := range raw {
		raw[i] = byte(i * 7)
	}
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 128, 255, 300} {
		dst := make([]complex64, n+1)
		if got := conv.Convert(dst, raw[:2*n+1]); got != n {
			t.Fatalf("Convert of %d samples returned %d", n, got)
		}
		for i := 0; i < n; i++ {
			want := complex((float32(raw[2*i])-127.5)/127.5, (float32(raw[2*i+1])-127.5)/127.5)
			if dst[i] != want {
				t.Fatalf("n=%d sample %d: %v, want %v", n, i, dst[i], want)
			}
		}
		if dst[n] != 0 {
			t.Fatalf("n=%d: wrote past the samples", n)
		}
	}
}

func TestFFTSizeFor(t *testing.T) {
	for fs, want := range map[float64]int{2.4e6: 256, 2.048e6: 256, 1.92e6: 256, 1.0833e6: 128, 30.72e6: 4096, 5e5: 64, 1e3: 32} {
		if got := FFTSizeFor(fs); got != want {
			t.Errorf("FFTSizeFor(%g) = %d, want %d", fs, got, want)
		}
	}
}

// White noise of per-sample power σ² reads σ² in every cell; a tone lands
// in its bin with power A²·N·(Σw)²/(N·Σw²)… i.e. the Hann coherent gain.
func TestSTFTScaleAndBins(t *testing.T) {
	const fs, n = 2.4e6, 256
	x := make([]complex64, 240000)
	r := rand.New(rand.NewPCG(1, 2))
	const p = 1e-3
	for i := range x {
		x[i] = complex(float32(r.NormFloat64()*math.Sqrt(p/2)), float32(r.NormFloat64()*math.Sqrt(p/2)))
	}
	s, err := NewSTFT(n, fs, len(x))
	if err != nil {
		t.Fatal(err)
	}
	g := s.NewGrid()
	s.Compute(g, x)
	if g.Frames != (len(x)-n)/(n/2)+1 {
		t.Fatalf("frames %d", g.Frames)
	}
	var sum float64
	for _, v := range g.P[:g.Frames*g.Bins] {
		sum += float64(v)
	}
	mean := sum / float64(g.Frames*g.Bins)
	if math.Abs(10*math.Log10(mean/p)) > 0.05 {
		t.Errorf("noise reads %.4g per cell, want %.4g", mean, p)
	}
	// A tone at +300 kHz, exactly on bin 128+32.
	f := 300e3
	for i := range x {
		ph := 2 * math.Pi * f * float64(i) / fs
		x[i] = complex(float32(math.Cos(ph)), float32(math.Sin(ph)))
	}
	s.Compute(g, x)
	row := g.Row(3)
	best := 0
	for k := range row {
		if row[k] > row[best] {
			best = k
		}
	}
	if best != 160 || math.Abs(g.FreqOffset(best)-f) > 1 {
		t.Errorf("tone in bin %d (%g Hz), want 160", best, g.FreqOffset(best))
	}
	// Hann: (Σw)²/Σw² = N·(1/4)/(3/8) = 2N/3.
	if want := 2.0 * n / 3; math.Abs(float64(row[best])/want-1) > 1e-3 {
		t.Errorf("tone power %g, want %g", row[best], want)
	}
}

func TestSTFTAllocatesNothing(t *testing.T) {
	s, _ := NewSTFT(256, 2.4e6, 60000)
	g := s.NewGrid()
	x := make([]complex64, 60000)
	if a := testing.AllocsPerRun(10, func() { s.Compute(g, x) }); a != 0 {
		t.Errorf("Compute allocates %v times per hop", a)
	}
}
