// Package detect finds handset transmissions in time-frequency power grids:
// a per-bin noise floor learned over time, a CFAR test of matched
// time-frequency boxes whose threshold follows from a false-alarm budget,
// burst extraction and shape classification, and the grouping of bursts
// into emissions per channel. It is pure: no I/O, no logging, no clocks,
// no globals; buffers are sized at set-up and reused for every hop.
package detect

import (
	"fmt"
	"math"

	"github.com/cellwatch/cellwatch/pkg/dsp"
)

// Config sets up a Detector for one grid geometry.
type Config struct {
	SampleRate float64 // complex samples per second
	FFTSize    int     // grid bins
	FrameHop   int     // samples between frames
	Window     []float64
	MaxFrames  int // largest grid Process will see
	// FalseAlarmsPerDay is the budget of false bursts per day of processed
	// signal (all templates together). It sets every threshold.
	FalseAlarmsPerDay float64
	// MaxBursts bounds the bursts returned per grid (the strongest are kept).
	MaxBursts int
}

// template is one matched box: a signal's duration and bandwidth.
type template struct {
	name      string
	dur, bw   float64 // s, Hz: the signal the box is matched to
	tw, fw    int     // frames, bins
	looks     float64 // independent looks in the box
	testsPerS float64 // roughly independent box positions per second of signal, per bin of span
	thr       float64 // current threshold on the box mean (depends on the floor's looks)
}

// Detector holds the set-up that is the same for every tune: templates and
// scratch buffers. Per-tune learning lives in State.
type Detector struct {
	cfg       Config
	fs        float64
	binHz     float64
	step      float64 // s between frames
	frameLen  float64 // s per frame
	templates []template
	pfa       float64 // per box test
	hotLooks  float64 // looks in the 5×5 hot-map box
	// looksPerCell is the looks a large region holds per cell (Hann bins and
	// overlapped frames correlate, so less than one).
	looksPerCell float64
	floorLooks   float64 // of the grid being processed
	// scratch
	z        []float32 // normalised power
	integ    []float64 // integral image (frames+1)×(bins+1)
	label    []int32   // 0 cold, -1 hot, -2 seed, >0 component id
	excl     []bool    // bins the box tests leave out (wide busy runs)
	stack    []int32
	prof     []float64
	prof2    []float64
	smooth   []float64
	comps    []component
	boxes    []seedBox
	hot      []int32 // one frame's hot bins
	rowBoxes []rowBox
	seeds    []int32   // seed cells, in index order
	cmSum    []float64 // commonMode: per frame and sub-band, truncated sums
	cmN      []float64 // and their counts
	thrs     thresholdCache
}

type component struct {
	t0, t1, k0, k1 int // bounding box, half-open
	cells          int
	sum            float64 // Σ z over the cells
}

// maxComponents bounds the regions examined per grid: bursts, and the
// small noise blobs seeded next to strong ones (which verify drops).
const maxComponents = 4096

// minClip bounds one cell's share of a box sum. A 4-bin CW line clipped at
// 5 adds at most 16 noise-equivalents per frame: enough to trigger the
// narrow boxes centred on it (so it is seen, and classified as clutter), too
// little to light up a 1 MHz box whose other cells are noise. When a poor
// floor estimate raises the thresholds, the clip rises with them (twice the
// highest box threshold) so strong signals still pass.
const minClip = 5

// State is what the detector learns about one tune (one hop of a sweep, or
// a recording's fixed tune).
type State struct {
	Floor *NoiseFloor
}

// NewState prepares per-tune state for this detector's geometry.
func (d *Detector) NewState() *State {
	return &State{Floor: NewNoiseFloor(d.cfg.FFTSize, d.cfg.MaxFrames)}
}

// signal templates (domain.md §2, §5): the boxes are matched to what a
// handset sends, so each burst is integrated over its own length and width.
var templateSpecs = []struct {
	name    string
	dur, bw float64
}{
	{"gsm", 577e-6, 150e3},    // GSM normal burst; the GMSK core (measured best: bench detect)
	{"slot", 500e-6, 170e3},   // LTE PUCCH slot / one RB for half a subframe
	{"rb", 1e-3, 170e3},       // LTE 1 RB × 1 ms
	{"prach", 0.8e-3, 1.00e6}, // LTE PRACH / 6 RB subframe
	{"wide", 1e-3, 1.8e6},     // wide PUSCH allocations
}

// NewDetector validates cfg and prepares templates and buffers.
func NewDetector(cfg Config) (*Detector, error) {
	if cfg.SampleRate <= 0 || cfg.FFTSize < 16 || cfg.FrameHop <= 0 || len(cfg.Window) != cfg.FFTSize || cfg.MaxFrames <= 0 {
		return nil, fmt.Errorf("detect: invalid geometry (rate %g, fft %d, hop %d, window %d, frames %d)",
			cfg.SampleRate, cfg.FFTSize, cfg.FrameHop, len(cfg.Window), cfg.MaxFrames)
	}
	if !(cfg.FalseAlarmsPerDay > 0) {
		return nil, fmt.Errorf("detect: false-alarm budget %g per day must be positive", cfg.FalseAlarmsPerDay)
	}
	if cfg.MaxBursts <= 0 {
		cfg.MaxBursts = 256
	}
	d := &Detector{
		cfg:      cfg,
		fs:       cfg.SampleRate,
		binHz:    cfg.SampleRate / float64(cfg.FFTSize),
		step:     float64(cfg.FrameHop) / cfg.SampleRate,
		frameLen: float64(cfg.FFTSize) / cfg.SampleRate,
	}
	var testsPerS float64
	for _, s := range templateSpecs {
		// Frames whose window lies inside the signal, and bins inside its band.
		tw := int(math.Round((s.dur-d.frameLen)/d.step)) + 1
		if tw < 1 {
			tw = 1
		}
		fw := int(math.Round(s.bw / d.binHz))
		if fw < 2 || fw > cfg.FFTSize*3/4 {
			continue // the grid cannot resolve this signal (too coarse, or wider than the span)
		}
		t := template{name: s.name, dur: s.dur, bw: s.bw, tw: tw, fw: fw}
		t.looks = boxLooks(cfg.Window, cfg.FrameHop, tw, fw)
		// Box positions overlapping by more than half are strongly
		// correlated: count one test per half box in each direction.
		t.testsPerS = 1 / d.step / math.Max(1, float64(tw)/2) / math.Max(1, float64(fw)/2)
		testsPerS += t.testsPerS * float64(cfg.FFTSize)
		d.templates = append(d.templates, t)
	}
	if len(d.templates) == 0 {
		return nil, fmt.Errorf("detect: no signal template fits a %d-bin grid at %g S/s", cfg.FFTSize, cfg.SampleRate)
	}
	d.pfa = cfg.FalseAlarmsPerDay / 86400 / testsPerS
	d.hotLooks = boxLooks(cfg.Window, cfg.FrameHop, 5, 5)
	d.looksPerCell = boxLooks(cfg.Window, cfg.FrameHop, 20, 20) / 400
	nb, nf := cfg.FFTSize, cfg.MaxFrames
	d.z = make([]float32, nf*nb)
	d.integ = make([]float64, (nf+1)*(nb+1))
	d.label = make([]int32, nf*nb)
	d.excl = make([]bool, nb)
	d.stack = make([]int32, 0, nf*nb)
	d.prof = make([]float64, max(nf, nb))
	d.prof2 = make([]float64, max(nf, nb))
	d.smooth = make([]float64, max(nf, nb))
	d.comps = make([]component, 0, maxComponents)
	d.boxes = make([]seedBox, 0, len(d.templates))
	d.hot = make([]int32, 0, nb)
	d.rowBoxes = make([]rowBox, 0, len(d.templates))
	d.seeds = make([]int32, 0, nf*nb)
	d.cmSum = make([]float64, cmBands*nf)
	d.cmN = make([]float64, cmBands*nf)
	d.thrs = newThresholdCache()
	return d, nil
}

// PFA is the false-alarm probability of one box test.
func (d *Detector) PFA() float64 { return d.pfa }

// Frame describes where a grid sits in the stream.
type Frame struct {
	T0     float64 // stream time of the first sample of frame 0, s
	Centre float64 // tune frequency, Hz (0 when unknown: frequencies are then baseband offsets)
	// Lo and Hi bound the bins to search (the usable part of the hop).
	Lo, Hi int
	// DeferFrom: bursts starting at or after this frame are left for the
	// next grid, which must start at this frame (streaming with carry-over).
	// Set it to the grid's frame count when nothing follows.
	DeferFrom int
	// Continues says frame 0 directly follows the previous grid's DeferFrom.
	Continues bool
}

// Process learns the floor from g, tests every template box, and appends
// the bursts found (up to MaxBursts) to out.
func (d *Detector) Process(st *State, g *dsp.Grid, fr Frame, out []Burst) []Burst {
	lo, hi := fr.Lo, fr.Hi
	if lo < 0 {
		lo = 0
	}
	if hi <= 0 || hi > g.Bins {
		hi = g.Bins
	}
	if g.Frames == 0 || hi-lo < 2 {
		return out
	}
	st.Floor.Update(g, lo, hi)
	nb, nf := g.Bins, g.Frames
	level, busy := st.Floor.Level, st.Floor.Busy
	z := d.z[:nf*nb]
	for t := 0; t < nf; t++ {
		normalise(z[t*nb+lo:t*nb+hi], g.P[t*nb+lo:t*nb+hi], level[lo:hi])
	}
	excl := d.bridgeLines(z, nf, nb, lo, hi, busy, st.Floor.Line)
	d.commonMode(z, nf, nb, lo, hi, excl)
	floorLooks := st.Floor.Looks()
	d.floorLooks = floorLooks
	zClip := float32(minClip)
	for i := range d.templates {
		tp := &d.templates[i]
		tp.thr = d.thrs.threshold(tp.looks, floorLooks, d.pfa)
		zClip = max(zClip, float32(2*tp.thr))
	}
	// Integral image: integ[(t)(nb+1)+k] = Σ z over frames < t, bins < k.
	w := nb + 1
	integ := d.integ[:(nf+1)*w]
	for k := 0; k <= nb; k++ {
		integ[k] = 0
	}
	// Hot map: cells whose 5×5 neighbourhood mean stands 1.5σ over the
	// floor. Bursts are grown over hot cells from seeds that a matched box
	// test put there, so the box decides "something is here" and the hot
	// map says where it is, not the box's outline.
	label := d.label[:nf*nb] // each frame's row is cleared as it is marked
	const hr = 2             // 5×5
	hotLevel := 1 + 1.5/math.Sqrt(d.hotLooks)
	// A box test only seeds the hot cell at its centre, so the boxes are
	// tested around hot cells alone (a few percent of a noise grid), not
	// at every position.
	boxes := d.boxes[:0]
	ahead := hr + 1 // integral rows past frame t that frame t's tests read
	for _, tp := range d.templates {
		if tp.tw > nf || tp.fw > hi-lo {
			continue
		}
		boxes = append(boxes, seedBox{ct: tp.tw / 2, ck: tp.fw / 2, tw: tp.tw, fw: tp.fw, thr: tp.thr * float64(tp.tw*tp.fw)})
		ahead = max(ahead, tp.tw-tp.tw/2)
	}
	seeds := d.seeds[:0] // in index order, as components takes them
	mark := func(t int) {
		t0, t1 := max(0, t-hr), min(nf, t+hr+1)
		d.hot = hotCells(d.hot[:0], integ[t0*w:(t0+1)*w], integ[t1*w:(t1+1)*w], excl, lo, hi, t1-t0, hotLevel)
		lr := label[t*nb : (t+1)*nb]
		clear(lr)
		if len(d.hot) == 0 {
			return
		}
		// The boxes centred on frame t: their rows of the integral image.
		rb := d.rowBoxes[:0]
		for _, bx := range boxes {
			if t0 := t - bx.ct; t0 >= 0 && t0+bx.tw <= nf {
				rb = append(rb, rowBox{a: integ[t0*w : (t0+1)*w], b: integ[(t0+bx.tw)*w : (t0+bx.tw+1)*w], ck: bx.ck, fw: bx.fw, thr: bx.thr})
			}
		}
		for _, k := range d.hot {
			lr[k] = -1
			if seedsAt(rb, lo, hi, int(k)) {
				lr[k] = -2
				seeds = append(seeds, int32(t*nb)+k)
			}
		}
	}
	// Each frame is marked as soon as the integral rows its tests read
	// are written, while they are still in cache: a long grid's integral
	// image is megabytes.
	next := 0
	for t := 1; t <= nf; t++ {
		integrateRow(integ[t*w:(t+1)*w], integ[(t-1)*w:t*w], z[(t-1)*nb:t*nb], excl, lo, hi, zClip)
		for ; next+ahead <= t; next++ {
			mark(next)
		}
	}
	for ; next < nf; next++ {
		mark(next)
	}
	d.seeds = seeds
	first := len(out)
	added := 0
	out, added = d.busyRuns(g, fr, lo, hi, busy, out)
	if len(seeds) == 0 {
		return out
	}
	d.components(nf, nb)
	for _, c := range d.comps {
		if c.t0 >= fr.DeferFrom {
			continue
		}
		if !d.verify(c, nb, floorLooks) {
			continue
		}
		if added >= d.cfg.MaxBursts {
			break
		}
		n := len(out)
		out = d.measure(g, c, fr, out)
		added += len(out) - n
	}
	return dropLeakage(out, first)
}

// normalise writes the grid's power over the floor level, bin by bin (0
// where the level is unknown).
//
//go:noinline
func normalise(zr, row, level []float32) {
	zr, row = zr[:len(level)], row[:len(level)]
	for k, l := range level {
		if l > 0 {
			zr[k] = row[k] / l
		} else {
			zr[k] = 0
		}
	}
}

// integrateRow writes row t of the integral image, cur, from row t-1,
// prev, and frame t-1 of z: cur[k] = prev[k] + the row's sum over the
// bins < k inside [lo, hi), clipped at zClip. Out of line, like the
// other per-cell loops, so it runs in registers.
//
//go:noinline
func integrateRow(cur, prev []float64, zr []float32, excl []bool, lo, hi int, zClip float32) {
	nb := len(zr)
	cur, prev = cur[:nb+1], prev[:nb+1]
	cur[0] = 0
	var run float64
	c, p := cur[1:lo+1], prev[1:lo+1]
	for k := range c {
		c[k] = p[k] + run
	}
	zs := zr[lo:hi]
	ex := excl[lo:hi]
	c, p = cur[lo+1:hi+1], prev[lo+1:hi+1]
	ex, c, p = ex[:len(zs)], c[:len(zs)], p[:len(zs)]
	for k, v := range zs {
		if ex[k] {
			run++ // a busy bin reads as noise to the box tests
		} else {
			// Clipped: a strong line cannot light up a wide box alone.
			run += float64(min(v, zClip))
		}
		c[k] = p[k] + run
	}
	c, p = cur[hi+1:], prev[hi+1:]
	p = p[:len(c)]
	for k := range c {
		c[k] = p[k] + run
	}
}

// hotCells appends to hot the bins k in [lo, hi), excl left out, of one
// frame whose 5×5 neighbourhood (cut at the band's and the grid's edges)
// sums over level per cell. a and b are the integral image's rows at the
// neighbourhood's first and past-last frame, rows frames apart. Away from
// the band's edges the neighbourhood is always 5 bins wide, and that loop
// has no clamps and no bounds checks.
//
//go:noinline
func hotCells(hot []int32, a, b []float64, excl []bool, lo, hi, rows int, level float64) []int32 {
	const hr = 2
	edge := func(k int) {
		if excl[k] {
			return
		}
		k0, k1 := max(lo, k-hr), min(hi, k+hr+1)
		s := b[k1] - b[k0] - a[k1] + a[k0]
		if s > level*float64(rows*(k1-k0)) {
			hot = append(hot, int32(k))
		}
	}
	e1 := min(lo+hr, hi)
	e2 := max(e1, hi-hr)
	for k := lo; k < e1; k++ {
		edge(k)
	}
	if e2 > e1 {
		inner := level * float64(rows*(2*hr+1))
		ex := excl[e1:e2]
		am, ap := a[e1-hr:e2-hr], a[e1+hr+1:e2+hr+1] // a[k0], a[k1]
		bm, bp := b[e1-hr:e2-hr], b[e1+hr+1:e2+hr+1]
		am, ap, bm, bp = am[:len(ex)], ap[:len(ex)], bm[:len(ex)], bp[:len(ex)]
		for i := range ex {
			if ex[i] {
				continue
			}
			if s := bp[i] - bm[i] - ap[i] + am[i]; s > inner {
				hot = append(hot, int32(e1+i))
			}
		}
	}
	for k := e2; k < hi; k++ {
		edge(k)
	}
	return hot
}

// seedBox is a template's box test as Process runs it on one grid.
type seedBox struct {
	ct, ck int // the centre cell's offset from the box's first frame and bin
	tw, fw int
	thr    float64 // threshold on the box sum
}

// rowBox is a seedBox centred on one frame: a and b are the integral
// image's rows at its first and past-last frame.
type rowBox struct {
	a, b   []float64
	ck, fw int
	thr    float64
}

// seedsAt reports whether any of a frame's boxes centred on bin k and
// lying within the bins [lo, hi) sums over its threshold. A box is a
// difference of two column sums of the integral image.
func seedsAt(boxes []rowBox, lo, hi, k int) bool {
	for i := range boxes {
		bx := &boxes[i]
		k0 := k - bx.ck
		if k0 < lo || k0+bx.fw > hi {
			continue
		}
		if (bx.b[k0+bx.fw]-bx.a[k0+bx.fw])-(bx.b[k0]-bx.a[k0]) > bx.thr {
			return true
		}
	}
	return false
}

// leakageDB: a burst this much weaker than a co-timed burst within 20 MHz,
// and inside its time span, is taken for that transmission's out-of-band
// products (LTE ACLR is ~30 dB) and dropped.
const leakageDB = 20

// dropLeakage removes, among out[first:], bursts that are the leakage of a
// stronger co-timed burst.
func dropLeakage(out []Burst, first int) []Burst {
	bs := out[first:]
	keep := bs[:0]
	for i, b := range bs {
		leak := false
		for j, s := range bs {
			if j != i && !s.Shape.Clutter() && s.SNRdB-b.SNRdB >= leakageDB &&
				b.Start >= s.Start-1e-4 && b.End <= s.End+1e-4 && math.Abs(s.Centre()-b.Centre()) <= 20e6 {
				leak = true
				break
			}
		}
		if !leak {
			keep = append(keep, b)
		}
	}
	return out[:first+len(keep)]
}

// maxBridge is the widest busy run (bins) that bursts are seen through.
const maxBridge = 5

// bridgeLines looks through narrow lines — busy runs and lines learned
// into the floor (the DC spike, a spur, a CW carrier: a few bins at most) —
// by giving their bins, frame by frame, the mean of the bins on either
// side: under a line the floor is the line, so a burst crossing it would
// read as two halves. A burst centred on a line is then one
// region, not two halves; the line itself is still reported by busyRuns.
// It returns the bins the tests must still leave out: the wide busy runs.
func (d *Detector) bridgeLines(z []float32, nf, nb, lo, hi int, busy, lines []bool) []bool {
	excl := d.excl[:nb]
	copy(excl, busy)
	for k := lo; k < hi; k++ {
		if !busy[k] && !lines[k] {
			continue
		}
		kB := k
		for kB+1 < hi && (busy[kB+1] || lines[kB+1]) {
			kB++
		}
		if kB-k+1 <= maxBridge && k > lo && kB < hi-1 {
			for t := 0; t < nf; t++ {
				zr := z[t*nb:]
				v := (zr[k-1] + zr[kB+1]) / 2
				for j := k; j <= kB; j++ {
					zr[j] = v
				}
			}
			for j := k; j <= kB; j++ {
				excl[j] = false
			}
		}
		k = kB
	}
	return excl
}

// commonMode removes wideband level changes shared by every bin of a
// frame (gain steps, the dongle's own fluctuations: ±1–2 dB over a
// millisecond in real RTL-SDR noise), which would otherwise light up the
// wide boxes. Each frame's truncated mean (signals far above it drop out)
// is taken in cmBands sub-bands of the searched span, each averaged over
// ±0.25 ms, and the common level is the lowest of them: a gain change
// lifts every sub-band, while a weak wide signal (a 6-RB subframe covers
// half the span, each cell only ~1.3× the floor, so truncation cannot drop
// it) lifts only those it covers, and the whole-span mean divided about
// 45 % of its excess away (bench detect: 2–3 dB of the 6-RB/PRACH gap).
// Only rises are removed, at most 3 dB.
func (d *Detector) commonMode(z []float32, nf, nb, lo, hi int, busy []bool) {
	busy = busy[lo:hi]
	width := hi - lo
	if width < cmBands*16 {
		return
	}
	row := func(t int) []float32 { return z[t*nb+lo : t*nb+hi] }
	// Sub-band j covers [edge(j), edge(j+1)) of the searched span.
	edge := func(j int) int { return j * width / cmBands }
	cs, cn := d.cmSum[:cmBands*nf], d.cmN[:cmBands*nf]
	t := 0
	for ; t+4 <= nf; t += 4 {
		// Four frames at a time: four independent sums, each in bin order
		// as below. Nothing is written to z before the last return, so
		// testing the counts after both passes returns exactly where the
		// one-frame loop would.
		r0, r1, r2, r3 := row(t), row(t+1), row(t+2), row(t+3)
		one := float32(truncCut * 1.0)
		s1, n1 := sumUnder4(r0, r1, r2, r3, busy, [4]float32{one, one, one, one})
		var cut [4]float32
		for j := range cut {
			if n1[j] < 16 {
				return
			}
			cut[j] = float32(truncCut * (s1[j] / float64(n1[j]) / truncMeanFactor))
		}
		for b := range cmBands {
			e0, e1 := edge(b), edge(b+1)
			s2, n2 := sumUnder4(r0[e0:e1], r1[e0:e1], r2[e0:e1], r3[e0:e1], busy[e0:e1], cut)
			for j := range 4 {
				cs[(t+j)*cmBands+b], cn[(t+j)*cmBands+b] = s2[j], float64(n2[j])
			}
		}
	}
	for ; t < nf; t++ {
		zr := row(t)
		s, n := sumUnder(zr, busy, float32(truncCut))
		if n < 16 {
			return
		}
		cut := float32(truncCut * (s / float64(n) / truncMeanFactor))
		for b := range cmBands {
			e0, e1 := edge(b), edge(b+1)
			s2, n2 := sumUnder(zr[e0:e1], busy[e0:e1], cut)
			cs[t*cmBands+b], cn[t*cmBands+b] = s2, float64(n2)
		}
	}
	w := max(2, int(math.Round(0.25e-3/d.step)))
	var run, runN [cmBands]float64
	a, b := 0, 0
	for t := 0; t < nf; t++ {
		for b < nf && b <= t+w {
			for j := range cmBands {
				run[j] += cs[b*cmBands+j]
				runN[j] += cn[b*cmBands+j]
			}
			b++
		}
		for a < t-w {
			for j := range cmBands {
				run[j] -= cs[a*cmBands+j]
				runN[j] -= cn[a*cmBands+j]
			}
			a++
		}
		// Sub-bands standing out from the lowest by more than cmOutlier
		// standard deviations hold a signal: the level comes from the rest.
		qmin, looks := math.Inf(1), math.Inf(1)
		for j := range cmBands {
			if runN[j] >= 16 { // a sub-band nearly all busy says nothing
				qmin = math.Min(qmin, run[j]/runN[j])
				looks = math.Min(looks, runN[j]*d.looksPerCell)
			}
		}
		if math.IsInf(qmin, 1) {
			continue
		}
		cutQ := qmin * (1 + cmOutlier/math.Sqrt(looks))
		var sel [cmBands]bool
		for j := range cmBands {
			sel[j] = runN[j] >= 16 && run[j]/runN[j] <= cutQ
		}
		// The mean over the window of each frame's truncated mean over the
		// kept sub-bands (with none left out: the whole span's, as before).
		var lvl float64
		for u := a; u < b; u++ {
			var su, nu float64
			for j := range cmBands {
				if sel[j] {
					su += cs[u*cmBands+j]
					nu += cn[u*cmBands+j]
				}
			}
			if nu > 0 {
				lvl += su / nu
			}
		}
		lvl /= float64(b-a) * truncMeanFactor
		c := float32(math.Min(2, lvl))
		if !(c > 1) {
			continue
		}
		zr := z[t*nb+lo : t*nb+hi]
		for k := range zr {
			zr[k] /= c
		}
	}
}

// cmBands is the number of sub-bands commonMode compares, and cmOutlier
// how many standard deviations over the lowest a sub-band's level must
// stand to be left out of the common level.
const (
	cmBands   = 4
	cmOutlier = 3
)

// sumUnder returns the sum and the count of the values of zr under cut,
// leaving out the busy bins. It is a function of its own so that the
// compiler keeps its loop in registers (inlined into commonMode, the
// index and count were spilled to the stack on every element).
//
//go:noinline
func sumUnder(zr []float32, busy []bool, cut float32) (float64, int) {
	busy = busy[:len(zr)]
	var s float64
	n := 0
	for k, v := range zr {
		if v < cut && !busy[k] {
			s += float64(v)
			n++
		}
	}
	return s, n
}

// sumUnder4 is sumUnder of four frames at once, each with its own cut.
//
//go:noinline
func sumUnder4(r0, r1, r2, r3 []float32, busy []bool, cut [4]float32) (s [4]float64, n [4]int) {
	c0, c1, c2, c3 := cut[0], cut[1], cut[2], cut[3]
	var s0, s1, s2, s3 float64
	var n0, n1, n2, n3 int
	m := len(busy)
	r0, r1, r2, r3 = r0[:m], r1[:m], r2[:m], r3[:m]
	for k, b := range busy {
		if b {
			continue
		}
		if v := r0[k]; v < c0 {
			s0 += float64(v)
			n0++
		}
		if v := r1[k]; v < c1 {
			s1 += float64(v)
			n1++
		}
		if v := r2[k]; v < c2 {
			s2 += float64(v)
			n2++
		}
		if v := r3[k]; v < c3 {
			s3 += float64(v)
			n3++
		}
	}
	return [4]float64{s0, s1, s2, s3}, [4]int{n0, n1, n2, n3}
}

// busyRuns reports runs of busy bins as bursts that last the whole grid:
// narrow ones are spurs and carriers, wide ones continuous uplink.
func (d *Detector) busyRuns(g *dsp.Grid, fr Frame, lo, hi int, busy []bool, out []Burst) ([]Burst, int) {
	added := 0
	for k := lo; k < hi; k++ {
		if !busy[k] || added >= d.cfg.MaxBursts {
			continue
		}
		kB := k
		for kB+1 < hi && busy[kB+1] {
			kB++
		}
		var ex, pw float64
		for t := 0; t < g.Frames; t++ {
			for j := k; j <= kB; j++ {
				ex += float64(d.z[t*g.Bins+j]) - 1
				pw += float64(g.P[t*g.Bins+j])
			}
		}
		cells := float64(g.Frames * (kB - k + 1))
		b := Burst{
			Start:        fr.T0,
			End:          fr.T0 + float64(g.Frames-1)*d.step + d.frameLen,
			FreqLo:       fr.Centre + g.FreqOffset(k) - d.binHz/2,
			FreqHi:       fr.Centre + g.FreqOffset(kB) + d.binHz/2,
			SNRdB:        10 * math.Log10(math.Max(ex/cells, 1e-3)),
			PowerDBFS:    10 * math.Log10(pw/float64(g.Frames)/float64(g.Bins)),
			InstFraction: 1,
			Continued:    fr.Continues,
			Truncated:    true,
		}
		switch bw := b.Bandwidth(); {
		case bw < 80e3: // a strong line's window sidelobes stay busy a few bins out
			b.Shape = ShapeNarrow
		case bw < 330e3:
			b.Shape = ShapeContinuous
		case bw >= 3e6:
			b.Shape = ShapeWide
		default:
			b.Shape = ShapeSubframe
		}
		out = append(out, b)
		added++
		k = kB
	}
	return out, added
}

// verify rejects grown regions whose mean power could be noise: the region
// was selected for being hot, so this is a looser test (Pfa 1e-6)
// that removes noise blobs seeded by a box triggered by energy elsewhere.
func (d *Detector) verify(c component, nb int, floorLooks float64) bool {
	looks := float64(c.cells) * d.looksPerCell
	return c.sum/float64(c.cells) > d.thrs.threshold(looks, floorLooks, 1e-6)
}

// components grows 4-connected regions of hot cells from seed cells.
func (d *Detector) components(nf, nb int) {
	label := d.label[:nf*nb]
	z := d.z
	d.comps = d.comps[:0]
	for _, seed := range d.seeds {
		i := int(seed)
		if label[i] != -2 {
			continue // grown into an earlier seed's region
		}
		id := int32(len(d.comps) + 1)
		t, k := i/nb, i%nb
		c := component{t0: t, t1: t + 1, k0: k, k1: k + 1}
		stack := append(d.stack[:0], int32(i))
		label[i] = id
		for len(stack) > 0 {
			j := int(stack[len(stack)-1])
			stack = stack[:len(stack)-1]
			c.cells++
			c.sum += float64(z[j])
			// 32-bit division: the cell indices fit (they are int32), and
			// it is several times faster than the 64-bit one.
			tt, kk := int(uint32(j)/uint32(nb)), int(uint32(j)%uint32(nb))
			c.t0, c.t1 = min(c.t0, tt), max(c.t1, tt+1)
			c.k0, c.k1 = min(c.k0, kk), max(c.k1, kk+1)
			// The neighbours in the order up, down, left, right: the order
			// they are popped in is the order c.sum adds them.
			if jj := j - nb; tt > 0 && label[jj] < 0 {
				label[jj] = id
				stack = append(stack, int32(jj))
			}
			if jj := j + nb; tt+1 < nf && label[jj] < 0 {
				label[jj] = id
				stack = append(stack, int32(jj))
			}
			if jj := j - 1; kk > 0 && label[jj] < 0 {
				label[jj] = id
				stack = append(stack, int32(jj))
			}
			if jj := j + 1; kk+1 < nb && label[jj] < 0 {
				label[jj] = id
				stack = append(stack, int32(jj))
			}
		}
		d.stack = stack
		if len(d.comps) == cap(d.comps) {
			return
		}
		d.comps = append(d.comps, c)
	}
}

// measure finds a component's half-power extent in frequency and time and
// the features the classifier needs.
// measure appends the burst of component c to out, measured around the
// peak of its frequency profile. (Splitting a component at dips of its
// profile would part two phones on neighbouring channels, but an SC-FDMA
// spectrum averaged over a millisecond dips to half as often by chance.)
func (d *Detector) measure(g *dsp.Grid, c component, fr Frame, out []Burst) []Burst {
	fp := d.prof[:g.Bins]
	excessProfile(fp, d.z, g.Bins, c.t0, c.t1, c.k0, c.k1, true)
	kA, kB, _, _ := halfPowerRun(fp, d.smooth, c.k0, c.k1)
	b, ok := Burst{}, false
	if kB >= kA {
		b, ok = d.measureBand(g, c, fr, kA, kB, c.k0, c.k1, halfPowerRun)
	}
	if !ok || b.Shape == ShapeNarrow {
		// A weak burst's profiles are noisy: the run around the peak stops
		// at the first chance dip and leaves a sliver too narrow or too
		// short to name, although a matched box test found it. Measure it
		// again as the span with the most excess over the half level,
		// which steps over dips. A real line stays narrow either way.
		excessProfile(fp, d.z, g.Bins, c.t0, c.t1, c.k0, c.k1, true)
		if kA, kB, _, _ := excessRun(fp, d.smooth, c.k0, c.k1); kB >= kA {
			// The span found must itself pass a box test at the operating
			// Pfa: a noise blob that a box grazed (real RTL-SDR noise has
			// them) measures near 0 dB and stays dropped.
			if r, rok := d.measureBand(g, c, fr, kA, kB, c.k0, c.k1, excessRun); rok && d.passes(r) {
				b, ok = r, true
			}
		}
	}
	if !ok {
		// Both crossings can still fall short on a weak GSM burst: GMSK's
		// rounded spectrum crosses its half level with a shallow slope,
		// so noise moves the crossing far in (bench detect: at 1.5 dB
		// in-band, half the missed bursts were measured 60–80 kHz wide,
		// "none"). The equivalent width (area over top level) is a sum,
		// which noise cannot cut short; a line is ~1.5 bins wide by it
		// too, so it stays narrow. Only a region no measurement could name
		// (a line measured narrow stays clutter), channel-sized (on the
		// corpus's RTL-SDR noise, wider ones were noise next to a strong
		// burst) and holding its channel (a weak chirp's piece, whose
		// centroid marches across most of its band, is not a GSM burst:
		// GMSK's wanders < 15 % of it) is taken this way.
		excessProfile(fp, d.z, g.Bins, c.t0, c.t1, c.k0, c.k1, true)
		if kA, kB, _, _ := equivRun(fp, d.smooth, c.k0, c.k1); kB >= kA {
			if r, rok := d.measureBand(g, c, fr, kA, kB, c.k0, c.k1, equivRun); rok && r.Bandwidth() < gsmMaxBW && r.Sweep < 0.4*r.Bandwidth() && d.passes(r) {
				b, ok = r, true
			}
		}
	}
	if ok {
		out = append(out, b)
	}
	return out
}

// passes reports whether burst b is a single burst whose measured box (its mean power over the
// floor, SNR + 1) clears the threshold of a box of its size at the
// detector's per-test Pfa.
func (d *Detector) passes(b Burst) bool {
	// Only single handset bursts are rescued (up to a PRACH or a 6-RB
	// subframe): a wide or long region the first measure could not name
	// is structure of the receiver, not a weak phone.
	if b.Bandwidth() > 1.2e6 || b.Duration() > 1.5e-3 {
		return false
	}
	cells := math.Max(1, b.Duration()/d.step) * math.Max(1, b.Bandwidth()/d.binHz)
	return 1+math.Pow(10, b.SNRdB/10) > ratioThreshold(cells*d.looksPerCell, d.floorLooks, d.pfa)
}

// runFinder finds a burst's extent along one profile (halfPowerRun or
// excessRun).
type runFinder func(p, sm []float64, a0, a1 int) (int, int, float64, float64)

// measureBand measures the burst of component c whose band is about
// [r0, r1], searching its exact edges within [w0, w1).
func (d *Detector) measureBand(g *dsp.Grid, c component, fr Frame, r0, r1, w0, w1 int, run runFinder) (Burst, bool) {
	nb := g.Bins
	z := d.z
	fp := d.prof[:nb]
	// Time profile over the band.
	tp := d.prof2[:g.Frames]
	excessProfile(tp, z, nb, r0, r1+1, c.t0, c.t1, false)
	tA, tB, tLo, tHi := run(tp, d.smooth, c.t0, c.t1)
	if tB < tA {
		return Burst{}, false
	}
	// Refine the band over the burst's own frames.
	excessProfile(fp, z, nb, tA, tB+1, w0, w1, true)
	kA, kB, kLo, kHi := run(fp, d.smooth, w0, w1)
	if kB < kA || tB < tA {
		return Burst{}, false
	}
	var ex, pw float64
	for t := tA; t <= tB; t++ {
		row := g.P[t*nb:]
		zr := z[t*nb:]
		for k := kA; k <= kB; k++ {
			ex += float64(zr[k]) - 1
			pw += float64(row[k])
		}
	}
	nt := float64(tB - tA + 1)
	nk := float64(kB - kA + 1)
	snr := ex / (nt * nk)
	if snr <= 0 {
		return Burst{}, false
	}
	// Per frame: the excess power's centroid and spread in frequency. A
	// chirp is a narrow line whose centroid moves steadily (each frame
	// fills a small share of the band, and the centroid follows time);
	// GMSK and SC-FDMA fill their band in every frame.
	var sw, sk, sk2, spread, n float64
	var st, stt, sc, scc, stc float64 // centroid against frame index
	for t := tA; t <= tB; t++ {
		zr := z[t*nb:]
		var w0, w1, w2 float64
		for k := kA; k <= kB; k++ {
			if e := float64(zr[k]) - 1; e > 0 {
				fk := float64(k)
				w0, w1, w2 = w0+e, w1+e*fk, w2+e*fk*fk
			}
		}
		if w0 > 0 {
			c := w1 / w0
			spread += math.Sqrt(math.Max(0, w2/w0-c*c))
			n++
			ft := float64(t)
			st, stt, sc, scc, stc = st+ft, stt+ft*ft, sc+c, scc+c*c, stc+ft*c
		}
		sw, sk, sk2 = sw+w0, sk+w1, sk2+w2
	}
	inst, sweep, r2 := 1.0, 0.0, 0.0
	if n > 2 && sw > 0 {
		m := sk / sw
		if all := math.Sqrt(math.Max(0, sk2/sw-m*m)); all > 0 {
			inst = spread / n / all
		}
		vt, vc := stt/n-(st/n)*(st/n), scc/n-(sc/n)*(sc/n)
		if vt > 0 && vc > 0 {
			cov := stc/n - st/n*sc/n
			r2 = cov * cov / (vt * vc)
			// How far (Hz) the fitted line carries the centroid across the burst.
			sweep = math.Abs(cov/vt) * float64(tB-tA) * d.binHz
		}
	}
	b := Burst{
		// Frames t count from frame starts; a frame represents its centre.
		// A frame stands for its centre; the half-power crossings put the
		// edges between frames and between bins.
		Start:        fr.T0 + tLo*d.step + d.frameLen/2,
		End:          fr.T0 + tHi*d.step + d.frameLen/2,
		FreqLo:       fr.Centre + (kLo-float64(g.Bins/2))*d.binHz,
		FreqHi:       fr.Centre + (kHi-float64(g.Bins/2))*d.binHz,
		SNRdB:        10 * math.Log10(snr),
		PowerDBFS:    10 * math.Log10(pw/nt/float64(nb)),
		InstFraction: inst,
		Sweep:        sweep,
		SweepFit:     r2,
		Continued:    fr.Continues && c.t0 == 0,
		Truncated:    c.t1 == g.Frames,
	}
	b.Shape = classifyShape(b.Bandwidth(), b.Duration(), inst, sweep, r2, b.Truncated)
	if b.Shape == ShapeNone {
		return Burst{}, false
	}
	return b, true
}

// excessProfile writes, for each index i in [a0,a1) of the profiled axis, the
// mean of z−1 over [b0,b1) of the other axis. byBin profiles over bins
// (averaging frames b0..b1); otherwise over frames (averaging bins).
func excessProfile(p []float64, z []float32, nb, b0, b1, a0, a1 int, byBin bool) {
	n := float64(b1 - b0)
	for i := a0; i < a1; i++ {
		var s float64
		for j := b0; j < b1; j++ {
			if byBin {
				s += float64(z[j*nb+i])
			} else {
				s += float64(z[i*nb+j])
			}
		}
		p[i] = s/n - 1
	}
}

// halfPowerRun returns the contiguous run around the profile's peak (of a
// three-point smoothed copy) where it stays above half its typical top
// level: the mean of the highest third of the smoothed values inside the
// component. Referring to one peak would let a random high cell of a flat
// SC-FDMA spectrum cut the band at the first dip. It also returns the
// fractional positions where the profile crosses that half level, linearly
// interpolated: with a symmetric window a frame (or bin) holds half of a
// burst's power exactly when its centre sits on the burst's edge, so the
// crossings are the edges, to a fraction of a frame step.
func halfPowerRun(p, sm []float64, a0, a1 int) (int, int, float64, float64) {
	smoothProfile(p, sm, a0, a1)
	peak, pi := math.Inf(-1), a0
	for i := a0; i < a1; i++ {
		if sm[i] > peak {
			peak, pi = sm[i], i
		}
	}
	if peak <= 0 {
		return a0, a0 - 1, 0, 0
	}
	half := topLevel(sm, a0, a1) / 2
	l, h := pi, pi
	for l > a0 && sm[l-1] > half {
		l--
	}
	for h < a1-1 && sm[h+1] > half {
		h++
	}
	lf, hf := float64(l)-0.5, float64(h)+0.5
	if l > a0 && sm[l] > sm[l-1] {
		lf = float64(l-1) + (half-sm[l-1])/(sm[l]-sm[l-1])
	}
	if h < a1-1 && sm[h] > sm[h+1] {
		hf = float64(h) + (sm[h]-half)/(sm[h]-sm[h+1])
	}
	return l, h, lf, hf
}

// excessRun returns the run of the (three-point smoothed) profile with the
// largest total excess over half its typical top level, and its
// fractional edges like halfPowerRun: the maximum-sum segment of
// sm − half, which steps over short dips that noise puts in a weak burst.
func excessRun(p, sm []float64, a0, a1 int) (int, int, float64, float64) {
	smoothProfile(p, sm, a0, a1)
	half := topLevel(sm, a0, a1) / 2
	if half <= 0 {
		return a0, a0 - 1, 0, 0
	}
	best, l, h := math.Inf(-1), a0, a0-1
	var run float64
	start := a0
	for i := a0; i < a1; i++ {
		if run <= 0 {
			run, start = 0, i
		}
		run += sm[i] - half
		if run > best {
			best, l, h = run, start, i
		}
	}
	if h < l {
		return a0, a0 - 1, 0, 0
	}
	lf, hf := float64(l)-0.5, float64(h)+0.5
	if l > a0 && sm[l] > sm[l-1] && sm[l-1] < half {
		lf = float64(l-1) + (half-sm[l-1])/(sm[l]-sm[l-1])
	}
	if h < a1-1 && sm[h] > sm[h+1] && sm[h+1] < half {
		hf = float64(h) + (sm[h]-half)/(sm[h]-sm[h+1])
	}
	return l, h, lf, hf
}

// equivRun returns a profile's extent as its equivalent width: the total
// excess over [a0, a1) divided by its top level, centred on the excess's
// centroid, with the fractional edges and the whole indices inside them.
// The top level is topLevel of the three-point smoothed copy; but a line
// in a wider region fills less than the third topLevel averages, so when
// the excess is no wider than a line's (lineBins) against the mean of the
// three highest smoothed values, that is the width.
func equivRun(p, sm []float64, a0, a1 int) (int, int, float64, float64) {
	smoothProfile(p, sm, a0, a1)
	top := topLevel(sm, a0, a1)
	var s, m float64
	for i := a0; i < a1; i++ {
		s += p[i]
		m += p[i] * float64(i)
	}
	if top <= 0 || s <= 0 {
		return a0, a0 - 1, 0, 0
	}
	c, w := m/s, s/top
	if wl := s / top3(sm, a0, a1); wl < lineBins {
		w = wl
	}
	lf := math.Max(float64(a0)-0.5, c-w/2)
	hf := math.Min(float64(a1)-0.5, c+w/2)
	l, h := int(math.Ceil(lf)), int(math.Floor(hf))
	if h < l { // narrower than a bin: the bin holding the centroid
		l = int(math.Round(math.Max(float64(a0), math.Min(float64(a1-1), c))))
		h = l
	}
	return l, h, lf, hf
}

// lineBins: a line's excess, through the window's main lobe and the
// three-point smoothing, is narrower than this many bins (~40 kHz).
const lineBins = 4

// top3 is the mean of the three highest values of sm[a0:a1] (of all of
// them when fewer).
func top3(sm []float64, a0, a1 int) float64 {
	var v [3]float64
	for i := range v {
		v[i] = math.Inf(-1)
	}
	for i := a0; i < a1; i++ {
		x := sm[i]
		switch {
		case x > v[0]:
			v[0], v[1], v[2] = x, v[0], v[1]
		case x > v[1]:
			v[1], v[2] = x, v[1]
		case x > v[2]:
			v[2] = x
		}
	}
	n := min(3, a1-a0)
	if n <= 0 {
		return 0
	}
	var s float64
	for _, x := range v[:n] {
		s += x
	}
	return s / float64(n)
}

// smoothProfile writes the three-point moving average of p[a0:a1] to sm.
func smoothProfile(p, sm []float64, a0, a1 int) {
	for i := a0; i < a1; i++ {
		s, n := p[i], 1.0
		if i > a0 {
			s += p[i-1]
			n++
		}
		if i < a1-1 {
			s += p[i+1]
			n++
		}
		sm[i] = s / n
	}
}

// topLevel is the mean of the highest third of sm[a0:a1], found by
// bisecting on the level: a burst's typical strength, steadier than its
// single highest bin.
func topLevel(sm []float64, a0, a1 int) float64 {
	peak := math.Inf(-1)
	for i := a0; i < a1; i++ {
		peak = math.Max(peak, sm[i])
	}
	if peak <= 0 {
		return 0
	}
	lo, hi := 0.0, peak
	for it := 0; it < 20; it++ {
		mid := (lo + hi) / 2
		n := 0
		for i := a0; i < a1; i++ {
			if sm[i] >= mid {
				n++
			}
		}
		if 3*n > a1-a0 {
			lo = mid
		} else {
			hi = mid
		}
	}
	var top float64
	n := 0
	for i := a0; i < a1; i++ {
		if sm[i] >= lo {
			top += sm[i]
			n++
		}
	}
	return top / float64(n)
}
