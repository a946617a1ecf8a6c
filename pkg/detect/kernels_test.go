package detect

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/cellwatch/cellwatch/pkg/dsp"
)

// modes lists the kernel sets this build can run: the pure-Go one always,
// the AVX2 one where the CPU has it.
func modes() []bool {
	if haveAVX2() {
		return []bool{false, true}
	}
	return []bool{false}
}

func modeName(asm bool) string {
	if asm {
		return "avx2"
	}
	return "go"
}

func needAVX2(t *testing.T) {
	t.Helper()
	if !haveAVX2() {
		t.Skip("this build or CPU has no AVX2 kernels (purego tag, other architecture, or no AVX2): only the Go kernels run")
	}
}

// randomPower fills p with exponential powers (noise in units of the
// floor) and a few exact zeros, huge values and values equal to 3, the cut.
func randomPower(r *rand.Rand, p []float32) {
	for i := range p {
		switch r.IntN(40) {
		case 0:
			p[i] = 0
		case 1:
			p[i] = 3
		case 2:
			p[i] = float32(r.ExpFloat64() * 1e6)
		default:
			p[i] = float32(r.ExpFloat64())
		}
	}
}

func sameFloat32s(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: element %d avx2 %g (%#x), go %g (%#x)", what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

func sameFloat64s(t *testing.T, what string, got, want []float64) {
	t.Helper()
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Fatalf("%s: element %d avx2 %g, go %g", what, i, got[i], want[i])
		}
	}
}

// Each AVX2 kernel gives bit for bit what its Go twin gives on the same
// random input.
func TestAVX2KernelsMatchGo(t *testing.T) {
	needAVX2(t)
	r := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{8, 16, 200, 256} {
		const nb, nf = 264, 12
		p := make([]float32, nb*nf)
		randomPower(r, p)
		thr := make([]float32, n)
		for i := range thr {
			thr[i] = float32(0.5 + 3*r.Float64())
		}
		thr[0] = 3
		// accumulateUnder4 (its twin) frame group by frame group.
		sg, cg := make([]float64, n), make([]int32, n)
		sa, ca := make([]float64, n), make([]int32, n)
		for i := range sg {
			sg[i] = r.Float64()
			cg[i] = int32(r.IntN(9))
			sa[i], ca[i] = sg[i], cg[i]
		}
		const lo = 3
		for t0 := 0; t0 < nf; t0 += 4 {
			row := func(t int) []float32 { return p[t*nb+lo : t*nb+lo+n] }
			accumulateUnder4(row(t0), row(t0+1), row(t0+2), row(t0+3), thr, sg, cg)
		}
		accumulateUnderAVX2(&p[lo], nb, nf, &thr[0], &sa[0], &ca[0], n)
		sameFloat64s(t, "accumulateUnder sums", sa, sg)
		if !reflect.DeepEqual(ca, cg) {
			t.Fatalf("accumulateUnder counts: avx2 %v, go %v", ca, cg)
		}
		if n > 8 { // a width that is not a multiple of 8: the last block overlaps
			m := n - 3
			for t0 := 0; t0 < nf; t0 += 4 {
				row := func(t int) []float32 { return p[t*nb+lo : t*nb+lo+m] }
				accumulateUnder4(row(t0), row(t0+1), row(t0+2), row(t0+3), thr[:m], sg[:m], cg[:m])
			}
			accumulateUnderAVX2(&p[lo], nb, nf, &thr[0], &sa[0], &ca[0], m)
			sameFloat64s(t, "accumulateUnder sums", sa, sg)
			if !reflect.DeepEqual(ca, cg) {
				t.Fatalf("accumulateUnder counts: avx2 %v, go %v", ca, cg)
			}
		}

		// normalise, with unknown (0), negative and NaN levels.
		level := make([]float32, n)
		for i := range level {
			level[i] = float32(r.ExpFloat64())
		}
		level[0], level[n/2], level[n-1] = 0, -1, float32(math.NaN())
		zg, za := make([]float32, nb*nf), make([]float32, nb*nf)
		for t0 := 0; t0 < nf; t0++ {
			normalise(zg[t0*nb+lo:t0*nb+lo+n], p[t0*nb+lo:t0*nb+lo+n], level)
		}
		normaliseAVX2(&za[lo], &p[lo], nb, nf, &level[0], n)
		sameFloat32s(t, "normalise", za, zg)
		if n > 8 { // a width that is not a multiple of 8
			m := n - 3
			clear(zg)
			clear(za)
			for t0 := 0; t0 < nf; t0++ {
				normalise(zg[t0*nb+lo:t0*nb+lo+m], p[t0*nb+lo:t0*nb+lo+m], level[:m])
			}
			normaliseAVX2(&za[lo], &p[lo], nb, nf, &level[0], m)
			sameFloat32s(t, "normalise", za, zg)
		}

		// The common-mode division.
		c := float32(1 + r.Float64())
		copy(za, p)
		copy(zg, p)
		divideAVX2(&za[0], n, c)
		for k := range zg[:n] {
			zg[k] /= c
		}
		sameFloat32s(t, "divide", za, zg)

		// sumUnder of eight frames, transposed, each with its own cut, busy
		// bins left out.
		busy := make([]bool, n)
		keep := make([]int32, n)
		for k := range busy {
			busy[k] = r.IntN(5) == 0
			keep[k] = -1
			if busy[k] {
				keep[k] = 0
			}
		}
		zt := make([]float32, 8*n)
		transpose8AVX2(&zt[0], &p[lo], nb, n)
		var cut [8]float32
		for f := range cut {
			cut[f] = float32(0.5 + 3*r.Float64())
		}
		cut[0] = 3
		var s8 [8]float64
		var n8 [8]int32
		sumUnder8AVX2(&zt[0], &keep[0], &cut, n, &s8, &n8)
		for f := range 8 {
			sg, ng := sumUnder(p[f*nb+lo:f*nb+lo+n], busy, cut[f])
			if math.Float64bits(s8[f]) != math.Float64bits(sg) || int(n8[f]) != ng {
				t.Fatalf("n=%d sumUnder frame %d: avx2 %g/%d, go %g/%d", n, f, s8[f], n8[f], sg, ng)
			}
		}
		// Two groups of eight in one loop: frames 0-7 and 4-11.
		zt2 := make([]float32, 8*n)
		transpose8AVX2(&zt2[0], &p[4*nb+lo], nb, n)
		cut2 := cut
		cut2[3] = 1.5
		var s16 [2][8]float64
		var n16 [2][8]int32
		sumUnder16AVX2(&zt[0], &zt2[0], &keep[0], &cut, &cut2, n, &s16[0], &s16[1], &n16[0], &n16[1])
		for g, c := range [2][8]float32{cut, cut2} {
			for f := range 8 {
				sg, ng := sumUnder(p[(4*g+f)*nb+lo:(4*g+f)*nb+lo+n], busy, c[f])
				if math.Float64bits(s16[g][f]) != math.Float64bits(sg) || int(n16[g][f]) != ng {
					t.Fatalf("n=%d sumUnder16 group %d frame %d: avx2 %g/%d, go %g/%d", n, g, f, s16[g][f], n16[g][f], sg, ng)
				}
			}
		}

		// hotCells: two rows of an integral image five frames apart.
		a, b := make([]float64, nb+1), make([]float64, nb+1)
		var ra, rb float64
		for k := 1; k <= nb; k++ {
			ra += r.ExpFloat64()
			rb += r.ExpFloat64() * 7
			a[k], b[k] = ra, ra+rb
		}
		excl := make([]bool, nb)
		for k := range excl {
			excl[k] = r.IntN(6) == 0
		}
		for _, level := range []float64{1, 1.4, 2} {
			hg := hotCells(make([]int32, 0, nb), a, b, excl, lo, lo+n, 5, level, false)
			ha := hotCells(make([]int32, 0, nb), a, b, excl, lo, lo+n, 5, level, true)
			if !reflect.DeepEqual(ha, hg) {
				t.Fatalf("n=%d level %g hotCells: avx2 %v, go %v", n, level, ha, hg)
			}
			if level == 1.4 && (len(hg) == 0 || len(hg) > n*3/4) {
				t.Fatalf("n=%d: %d hot cells of %d: the test compares nothing interesting", n, len(hg), n)
			}
		}

		// integrateRow of four frames, from a random previous row.
		w := nb + 1
		prev := make([]float64, w)
		for k := range prev {
			prev[k] = float64(k) * r.Float64()
		}
		keep4 := make([]int32, nb)
		for k := range keep4 {
			keep4[k] = -1
			if excl[k] {
				keep4[k] = 0
			}
		}
		ig, ia := make([]float64, 4*w), make([]float64, 4*w)
		for _, zClip := range []float32{5, 1e9} {
			for f := range 4 {
				pf := prev
				if f > 0 {
					pf = ig[(f-1)*w : f*w]
				}
				integrateRow(ig[f*w:(f+1)*w], pf, p[f*nb:(f+1)*nb], excl, lo, lo+n, zClip)
			}
			integrateRows4(ia, prev, p[:4*nb], excl, keep4, lo, lo+n, zClip)
			sameFloat64s(t, "integrateRow", ia, ig)
		}
	}
}

// Process gives the same bursts, normalised grid and floor with the AVX2
// kernels as with the Go ones, grid after grid of a scene with bursts, a
// spur, a carrier switching on (busy bins), gain steps (common mode) and a
// search span and frame count that are not multiples of the vector widths.
func TestProcessAVX2MatchesGo(t *testing.T) {
	needAVX2(t)
	s := newSynth(testFS, 21)
	const n = int(0.0125 * testFS)
	st, _ := dsp.NewSTFT(256, testFS, n)
	var ds [2]*Detector
	var sts [2]*State
	for i, asm := range []bool{false, true} {
		d, err := NewDetector(Config{SampleRate: testFS, FFTSize: 256, FrameHop: st.Hop(), Window: st.Window(), MaxFrames: st.FramesFor(n), FalseAlarmsPerDay: 1})
		if err != nil {
			t.Fatal(err)
		}
		d.asm = asm
		ds[i], sts[i] = d, d.NewState()
	}
	g := st.NewGrid()
	total := 0
	for visit := range 12 {
		x := s.noise(n, 1e-4)
		for t0 := 0.0003 * float64(visit%5); t0 < 0.012; t0 += GSMFrame {
			s.addFlat(x, 30*noiseInBand(180e3), 600e3, 180e3, t0, 577e-6)
		}
		s.addFlat(x, 8*noiseInBand(1.08e6), -300e3, 1.08e6, 0.004, 1e-3)
		s.addTone(x, 1e-4*30, -900e3)
		if visit >= 4 {
			s.addFlat(x, 20*noiseInBand(200e3), 300e3, 200e3, 0, 0.0125)
		}
		for i := int(0.007 * testFS); i < int(0.0085*testFS); i++ {
			x[i] *= 1.4 // a gain step
		}
		if visit == 7 || visit == 9 {
			// A strong burst over the whole span: frames with too few
			// bins under the common-mode cut, where commonMode gives up.
			s.addFlat(x, 300*1e-4, 0, 2.3e6, 0.0021+0.003*float64(visit-7), 1e-3)
		}
		st.Compute(g, x)
		fr := Frame{Lo: 23, Hi: 236 - visit%3, DeferFrom: g.Frames}
		var outs [2][]Burst
		for i, d := range ds {
			outs[i] = d.Process(sts[i], g, fr, nil)
		}
		if !reflect.DeepEqual(outs[1], outs[0]) {
			t.Fatalf("visit %d: bursts differ:\navx2 %+v\ngo   %+v", visit, outs[1], outs[0])
		}
		sameFloat32s(t, "z", ds[1].z[:g.Frames*g.Bins], ds[0].z[:g.Frames*g.Bins])
		sameFloat32s(t, "floor", sts[1].Floor.Level, sts[0].Floor.Level)
		if !reflect.DeepEqual(sts[1].Floor.Busy, sts[0].Floor.Busy) || !reflect.DeepEqual(sts[1].Floor.Line, sts[0].Floor.Line) {
			t.Fatalf("visit %d: busy or line bins differ", visit)
		}
		total += len(outs[0])
	}
	if total == 0 {
		t.Fatal("no bursts found: the scene tests nothing past the floor")
	}
}

// The kernels and their Go twins over one grid of the replay's geometry
// (200 ms at 2.4 MS/s, 256 bins; 3748 frames, a multiple of 8): bytes are
// the grid's float32 cells.
func BenchmarkKernels(b *testing.B) {
	const nb, nf, lo, hi = 256, 3748, 0, 256
	r := rand.New(rand.NewPCG(1, 2))
	p := make([]float32, nb*nf)
	randomPower(r, p)
	z := make([]float32, nb*nf)
	thr := make([]float32, nb)
	level := make([]float32, nb)
	busy := make([]bool, nb)
	keep := make([]int32, nb)
	for i := range thr {
		thr[i], level[i], keep[i] = 3, 1, -1
	}
	sum, cnt := make([]float64, nb), make([]int32, nb)
	w := nb + 1
	integ := make([]float64, 5*w)
	hot := make([]int32, 0, nb)
	row := func(t int) []float32 { return p[t*nb : (t+1)*nb] }
	bench := func(name string, asm bool, f func()) {
		b.Run(name+"/"+modeName(asm), func(b *testing.B) {
			b.SetBytes(int64(4 * nb * nf))
			b.ReportAllocs()
			for b.Loop() {
				f()
			}
		})
	}
	for _, asm := range modes() {
		bench("accumulateUnder", asm, func() {
			if asm {
				accumulateUnderAVX2(&p[0], nb, nf, &thr[0], &sum[0], &cnt[0], nb)
				return
			}
			for t := 0; t < nf; t += 4 {
				accumulateUnder4(row(t), row(t+1), row(t+2), row(t+3), thr, sum, cnt)
			}
		})
		bench("normalise", asm, func() {
			if asm {
				normaliseAVX2(&z[0], &p[0], nb, nf, &level[0], nb)
				return
			}
			for t := range nf {
				normalise(z[t*nb+lo:t*nb+hi], p[t*nb+lo:t*nb+hi], level)
			}
		})
		bench("sumUnder", asm, func() {
			cut := float32(3)
			if asm {
				zt := make([]float32, 8*nb)
				cut8 := [8]float32{cut, cut, cut, cut, cut, cut, cut, cut}
				var s [8]float64
				var n [8]int32
				for t := 0; t < nf; t += 8 {
					transpose8AVX2(&zt[0], &p[t*nb], nb, nb)
					sumUnder8AVX2(&zt[0], &keep[0], &cut8, nb, &s, &n)
				}
				return
			}
			for t := 0; t < nf; t += 4 {
				sumUnder4(row(t), row(t+1), row(t+2), row(t+3), busy, [4]float32{cut, cut, cut, cut})
			}
		})
		bench("integrateRow", asm, func() {
			for t := 0; t < nf; t += 4 {
				if asm {
					integrateRows4(integ[w:], integ[:w], p[t*nb:(t+4)*nb], busy, keep, lo, hi, 1e9)
				} else {
					for f := range 4 {
						integrateRow(integ[(f+1)*w:(f+2)*w], integ[f*w:(f+1)*w], row(t+f), busy, lo, hi, 1e9)
					}
				}
				copy(integ[:w], integ[4*w:])
			}
		})
		// hotCells on rows of a real integral image: about one bin in
		// four is hot.
		bench("hotCells", asm, func() {
			for t := range nf {
				hot = hotCells(hot[:0], integ[:w], integ[4*w:], busy, lo, hi, 4, 1.0+float64(t%3)*0.01, asm)
			}
		})
	}
}

// radixSelect picks the same element as quickselect (and a sort) on grid
// columns, with ties, zeros and infinities, and declines negative and NaN
// input.
func TestRadixSelectMatchesQuickselect(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 7, 100, 3750} {
		a := make([]float32, n)
		randomPower(r, a)
		if n > 5 {
			a[1], a[2] = float32(math.Inf(1)), a[3] // an infinity and a tie
		}
		for _, k := range []int{0, n / 3, n - 1} {
			want := slices.Clone(a)
			slices.Sort(want)
			got, ok := radixSelect(slices.Clone(a), k)
			if !ok || math.Float32bits(got) != math.Float32bits(want[k]) {
				t.Fatalf("n=%d k=%d: radixSelect %g (ok %v), want %g", n, k, got, ok, want[k])
			}
			if q := quickselect(slices.Clone(a), k); q != want[k] {
				t.Fatalf("n=%d k=%d: quickselect %g, want %g", n, k, q, want[k])
			}
		}
	}
	for _, bad := range []float32{-1, float32(math.Copysign(0, -1)), float32(math.NaN())} {
		if _, ok := radixSelect([]float32{1, bad, 2}, 1); ok {
			t.Errorf("radixSelect accepted %g", bad)
		}
	}
}
