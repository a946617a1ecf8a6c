package detect

import (
	"math"

	"github.com/cellwatch/cellwatch/pkg/dsp"
)

// floorQuantile is the per-bin quantile over time that estimates the noise.
// A low quantile ignores bursty traffic (a GSM call is on 1/8 of the time, an
// LTE phone's subframes rarely fill more than half a dwell) so phones do not
// raise their own threshold; 0.3 keeps the estimate's variance moderate
// (3.4/T relative, against 2.1/T for the median).
const floorQuantile = 0.3

// The per-dwell estimate is a truncated mean: the mean of the frames below
// truncCut times the current estimate, corrected for the truncation. A
// phone's bursts stand far above the cut and drop out whatever their duty
// cycle up to a half; noise keeps ~95 % of its frames, so the estimate is
// worth ~1.3 looks per frame (a 30 % quantile: ~0.25).
const (
	truncCut = 3
	// truncMeanFactor is E[X | X < 3μ]/μ for an exponential: (1−4e⁻³)/(1−e⁻³).
	truncMeanFactor = 0.8428
	truncRelVar     = 0.708
)

// estimate fills est[lo:hi] for one visit: seeded by the learned level (or,
// on a first visit, a low quantile), refined twice by the truncated mean,
// and falling back to the quantile for bins where most frames sit above the
// cut (continuous energy that the quantile measures and the mean cannot).
func (f *NoiseFloor) estimate(g *dsp.Grid, lo, hi int) {
	nb, nf := g.Bins, g.Frames
	qi := int(floorQuantile * float64(nf-1))
	// Mean of the qi-th order statistic of nf unit exponentials.
	var oq float64
	for i := 0; i <= qi; i++ {
		oq += 1 / float64(nf-i)
	}
	col := f.col[:nf]
	// A bin's quantile is the same in every pass over this grid: it is
	// computed once (gathering a column reads a cache line per frame).
	clear(f.qOK[lo:hi])
	quantile := func(k int) float32 {
		if f.qOK[k] {
			return f.q[k]
		}
		for t := range col {
			col[t] = g.P[t*nb+k]
		}
		f.q[k], f.qOK[k] = quickselect(col, qi)/float32(oq), true
		return f.q[k]
	}
	f.quantiles(g, lo, hi, qi, oq, func(k int) bool { return f.Visits == 0 || f.Level[k] <= 0 })
	for k := lo; k < hi; k++ {
		seed := f.Level[k]
		if f.Visits == 0 || seed <= 0 {
			seed = quantile(k)
		}
		f.thr[k] = truncCut * seed
	}
	for pass := 0; pass < 2; pass++ {
		clear(f.sum[lo:hi])
		clear(f.cnt[lo:hi])
		row := func(t int) []float32 { return g.P[t*nb+lo : t*nb+hi] }
		t := 0
		if nf4 := nf &^ 3; f.asm && hi-lo >= 8 && nf4 > 0 {
			// Whole groups of four frames in assembly.
			accumulateUnderAVX2(&g.P[lo], nb, nf4, &f.thr[lo], &f.sum[lo], &f.cnt[lo], hi-lo)
			t = nf4
		}
		for ; t+4 <= nf; t += 4 {
			accumulateUnder4(row(t), row(t+1), row(t+2), row(t+3), f.thr[lo:hi], f.sum[lo:hi], f.cnt[lo:hi])
		}
		for ; t < nf; t++ {
			accumulateUnder(row(t), f.thr[lo:hi], f.sum[lo:hi], f.cnt[lo:hi])
		}
		f.quantiles(g, lo, hi, qi, oq, func(k int) bool { return 2*int(f.cnt[k]) < nf })
		for k := lo; k < hi; k++ {
			if 2*int(f.cnt[k]) < nf {
				f.est[k] = quantile(k)
			} else {
				f.est[k] = float32(f.sum[k] / float64(f.cnt[k]) / truncMeanFactor)
			}
			f.thr[k] = truncCut * f.est[k]
		}
	}
}

// quantileBatch is how many bins' columns quantiles gathers in one walk
// down the grid.
const quantileBatch = 4

// quantiles computes (into q and qOK) the quantile estimate's quantile of
// every bin of [lo, hi) that want picks and that has none yet, exactly as
// estimate's quantile does, but gathering the columns of up to
// quantileBatch bins in one walk down the grid: a column alone reads a
// cache line per frame, and the bins that need one sit side by side (a
// carrier, a spur).
func (f *NoiseFloor) quantiles(g *dsp.Grid, lo, hi, qi int, oq float64, want func(k int) bool) {
	nb, nf := g.Bins, g.Frames
	var ks [quantileBatch]int
	n := 0
	flush := func() {
		for t := range nf {
			row := g.P[t*nb : (t+1)*nb]
			for i, k := range ks[:n] {
				f.cols[i*nf+t] = row[k]
			}
		}
		for i, k := range ks[:n] {
			col := f.cols[i*nf : (i+1)*nf]
			v, ok := radixSelect(col, qi)
			if !ok {
				v = quickselect(col, qi)
			}
			f.q[k], f.qOK[k] = v/float32(oq), true
		}
		n = 0
	}
	for k := lo; k < hi; k++ {
		if f.qOK[k] || !want(k) {
			continue
		}
		ks[n] = k
		n++
		if n == quantileBatch {
			flush()
		}
	}
	if n > 0 {
		flush()
	}
}

// accumulateUnder adds each value of row under its bin's threshold to the
// bin's sum and count. A function of its own, on slices of one length, so
// that the loop runs in registers without bounds checks (inlined into
// estimate, the index was spilled to the stack on every element).
//
//go:noinline
func accumulateUnder(row, thr []float32, sum []float64, cnt []int32) {
	thr, sum, cnt = thr[:len(row)], sum[:len(row)], cnt[:len(row)]
	for i, v := range row {
		if v < thr[i] {
			sum[i] += float64(v)
			cnt[i]++
		}
	}
}

// accumulateUnder4 is accumulateUnder of four consecutive frames, in
// order: each bin's sum and count are loaded and stored once per four
// frames instead of once per frame.
//
//go:noinline
func accumulateUnder4(r0, r1, r2, r3, thr []float32, sum []float64, cnt []int32) {
	n := len(thr)
	r0, r1, r2, r3, sum, cnt = r0[:n], r1[:n], r2[:n], r3[:n], sum[:n], cnt[:n]
	for i, c := range thr {
		s, m := sum[i], cnt[i]
		if v := r0[i]; v < c {
			s += float64(v)
			m++
		}
		if v := r1[i]; v < c {
			s += float64(v)
			m++
		}
		if v := r2[i]; v < c {
			s += float64(v)
			m++
		}
		if v := r3[i]; v < c {
			s += float64(v)
			m++
		}
		sum[i], cnt[i] = s, m
	}
}

// smoothBins is the half-width of the cross-frequency smoothing applied to
// a first visit too short to trust.
const smoothBins = 8

const (
	// capFactor bounds a bin's first estimate to twice (3 dB over) the
	// cross-frequency reference, so a carrier or a long burst present at
	// start-up is not mistaken for noise.
	capFactor = 2
	// alphaMin is the slowest ordinary update weight: after ten visits the
	// floor is an exponential average with a ten-visit memory.
	alphaMin = 0.1
	// alphaRise is the weight of an estimate far above the floor
	// (continuous energy: a new carrier, a jammer, drift). Such rises are
	// learned over ~50 visits, so a phone's continuous upload is reported
	// for a long time before it becomes "floor".
	alphaRise = 0.02
)

// NoiseFloor is a per-bin noise power estimate for one tune, learned over
// the visits (dwells, or chunks of a recording) made to it.
type NoiseFloor struct {
	Level []float32 // per bin, in grid power units
	// Busy marks bins occupied for most of the last visit (their low
	// quantile stands over twice the floor): carriers, spurs not yet
	// learned, continuous uplink. They are reported as such, not as bursts.
	Busy []bool
	// Line marks bins whose floor stands over twice the floor a few bins
	// away: spurs, the DC spike, CW carriers learned as floor.
	Line   []bool
	relVar float64 // relative variance of Level
	Visits int
	col    []float32
	est    []float32
	ref    []float32
	thr    []float32
	sum    []float64
	cnt    []int32
	cols   []float32 // quantiles: quantileBatch columns
	q      []float32 // estimate: each bin's quantile over the grid
	qOK    []bool    // and whether it is computed yet
	asm    bool      // run the AVX2 kernels (haveAVX2)
}

// NewNoiseFloor prepares a floor for grids of the given bins and frames.
func NewNoiseFloor(bins, maxFrames int) *NoiseFloor {
	return &NoiseFloor{
		Level: make([]float32, bins),
		Busy:  make([]bool, bins),
		Line:  make([]bool, bins),
		col:   make([]float32, maxFrames),
		est:   make([]float32, bins),
		ref:   make([]float32, bins),
		thr:   make([]float32, bins),
		sum:   make([]float64, bins),
		cnt:   make([]int32, bins),
		cols:  make([]float32, quantileBatch*maxFrames),
		q:     make([]float32, bins),
		qOK:   make([]bool, bins),
		asm:   haveAVX2(),
	}
}

// Looks is the number of independent looks the current estimate is worth:
// what the detector's threshold must allow for.
func (f *NoiseFloor) Looks() float64 {
	if f.relVar <= 0 {
		return 0
	}
	return 1 / f.relVar
}

// trustSpan is the shortest first visit whose per-bin time quantile is
// taken as noise. A longer look holds the gaps between a phone's bursts, so
// the quantile is the floor, and anything continuous in it (spurs, carriers,
// the DC spike) rightly becomes floor. A shorter look may sit entirely
// inside one transmission (a PRACH, a subframe): its bins are then capped
// by the cross-frequency reference instead.
const trustSpan = 10e-3

// Update folds the grid's frames into the floor for bins [lo, hi).
func (f *NoiseFloor) Update(g *dsp.Grid, lo, hi int) {
	f.update(g, lo, hi)
	f.markLines(lo, hi)
}

// lineGuard is how far (bins) from a bin its neighbourhood reference is
// taken when looking for lines in the floor.
const lineGuard = 8

// markLines flags bins standing over twice the lower of the floor levels
// lineGuard bins to either side.
func (f *NoiseFloor) markLines(lo, hi int) {
	for k := lo; k < hi; k++ {
		ref := float32(math.Inf(1))
		if k-lineGuard >= lo {
			ref = f.Level[k-lineGuard]
		}
		if k+lineGuard < hi {
			ref = min(ref, f.Level[k+lineGuard])
		}
		f.Line[k] = !math.IsInf(float64(ref), 1) && f.Level[k] > capFactor*ref
	}
}

func (f *NoiseFloor) update(g *dsp.Grid, lo, hi int) {
	if g.Frames == 0 {
		return
	}
	f.estimate(g, lo, hi)
	// Relative variance of a mean of the ~95 % of frames under the cut
	// (truncated exponential: var/mean² = 0.708 per frame), with 50 %-
	// overlapped Hann frames correlating at 1/9 with each neighbour.
	newVar := truncRelVar * (1 + 2.0/9) / (0.95 * float64(g.Frames))
	long := float64(g.Frames-1)*g.FrameStep+g.FrameLen >= trustSpan
	if f.Visits == 0 {
		f.Visits = 1
		if long {
			copy(f.Level[lo:hi], f.est[lo:hi])
			clear(f.Busy[lo:hi])
			f.relVar = newVar
			return
		}
		// Too short to trust each bin's own history: cap every bin at the
		// cross-frequency reference and smooth across ±smoothBins, which
		// pools the looks of neighbouring bins.
		ref := crossReference(f.est[lo:hi], f.ref)
		capped := f.ref[:hi]
		for k := lo; k < hi; k++ {
			capped[k] = f.est[k]
			if capped[k] > capFactor*ref {
				capped[k] = ref
			}
		}
		var run float64
		a, b := lo, lo
		for k := lo; k < hi; k++ {
			for b < hi && b <= k+smoothBins {
				run += float64(capped[b])
				b++
			}
			for a < k-smoothBins {
				run -= float64(capped[a])
				a++
			}
			f.Level[k] = float32(run / float64(b-a))
			f.Busy[k] = false // too short a look to call anything continuous
		}
		// Hann bins pair-correlate at 4/9 and 1/36: 2w+1 bins hold
		// (2w+1)/1.94 looks.
		f.relVar = newVar / math.Max(1, float64(2*smoothBins+1)/1.94)
		f.Visits = 1
		return
	}
	a := 1 / float64(f.Visits+1)
	if a < alphaMin {
		a = alphaMin
	}
	af := float32(a)
	for k := lo; k < hi; k++ {
		e, l := f.est[k], f.Level[k]
		if e > capFactor*l {
			f.Level[k] = l + alphaRise*(e-l)
		} else {
			f.Level[k] = l + af*(e-l)
		}
		f.Busy[k] = long && e > capFactor*f.Level[k]
	}
	f.relVar = (1-a)*(1-a)*f.relVar + a*a*newVar
	f.Visits++
}

// crossReference is a robust level of the spectrum across frequency: the
// 25th percentile of the per-bin estimates, which holds as long as
// signals cover less than three quarters of the span.
func crossReference(est, scratch []float32) float32 {
	s := scratch[:len(est)]
	copy(s, est)
	return quickselect(s, len(s)/4)
}

// radixSelect returns the k-th smallest element of a, reordering a, when
// every element is +0 or more (the bits of such floats sort as the
// values): byte by byte from the top, it counts the elements per byte
// value, keeps those in the bucket holding the k-th, and goes on with
// them. Four passes without a data-dependent branch, several times
// faster than quickselect on a grid column; the k-th smallest is one
// value, so both return the same. ok is false (a unchanged) if an element
// is negative (−0 included) or NaN.
func radixSelect(a []float32, k int) (v float32, ok bool) {
	for _, x := range a {
		if math.Float32bits(x) > 0x7f800000 { // sign bit set, or NaN
			return 0, false
		}
	}
	n := len(a)
	for shift := 24; shift >= 0; shift -= 8 {
		var hist [256]int
		for _, x := range a[:n] {
			hist[math.Float32bits(x)>>shift&255]++
		}
		b := 0
		for ; k >= hist[b]; b++ {
			k -= hist[b]
		}
		m := 0
		for _, x := range a[:n] {
			a[m] = x
			in := 0
			if math.Float32bits(x)>>shift&255 == uint32(b) {
				in = 1
			}
			m += in
		}
		n = m
	}
	return a[0], true
}

// quickselect returns the k-th smallest element of a, reordering a.
func quickselect[T float32 | float64](a []T, k int) T {
	lo, hi := 0, len(a)-1
	for lo < hi {
		// median of three pivot keeps sorted or constant input linear
		mid := lo + (hi-lo)/2
		if a[mid] < a[lo] {
			a[mid], a[lo] = a[lo], a[mid]
		}
		if a[hi] < a[lo] {
			a[hi], a[lo] = a[lo], a[hi]
		}
		if a[hi] < a[mid] {
			a[hi], a[mid] = a[mid], a[hi]
		}
		p := a[mid]
		i, j := lo, hi
		for i <= j {
			for a[i] < p {
				i++
			}
			for a[j] > p {
				j--
			}
			if i <= j {
				a[i], a[j] = a[j], a[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return a[k]
		}
	}
	return a[k]
}
