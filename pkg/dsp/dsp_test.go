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

func BenchmarkSTFT(b *testing.B) {
	const fs = 2.4e6
	n := FFTSizeFor(fs)
	samples := int(0.025 * fs) // one 25 ms dwell
	s, _ := NewSTFT(n, fs, samples)
	g := s.NewGrid()
	conv, _ := NewConverter(iq.CU8)
	raw := make([]byte, 2*samples)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range raw {
		raw[i] = byte(127 + r.IntN(9) - 4)
	}
	x := make([]complex64, samples)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		conv.Convert(x, raw)
		s.Compute(g, x)
	}
	b.ReportMetric(float64(samples)*float64(b.N)/b.Elapsed().Seconds()/1e6, "MS/s")
}
