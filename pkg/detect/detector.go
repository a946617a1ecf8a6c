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
	z         []float32 // normalised power
	integ     []float64 // integral image rows, a ring of integRingRows×(bins+1)
	label     []int32   // 0 cold, -1 hot, -2 seed, >0 component id
	excl      []bool    // bins the box tests leave out (wide busy runs)
	stack     []int32
	bridges   [][2]int32 // bridgeLines: the runs it bridges, first and last bin
	prof      []float64
	prof2     []float64
	smooth    []float64
	comps     []component
	boxes     []seedBox
	hot       []int32 // one frame's hot bins
	rowBoxes  []rowBox
	seedTests []seedTest // rowBoxes for markSeedsAsm
	seeds     []int32    // seed cells, in index order
	cmSum     []float64  // commonMode: per frame and sub-band, truncated sums
	cmN       []float64  // and their counts
	cmT       []float32  // commonMode (AVX2): eight frames, bin-major
	cmC       []float32  // commonMode (AVX2): each frame's divisor, 0 for none (divideFrame)
	cmQ       []float64  // commonMode: each frame's mean over the chosen sub-bands
	cmQSel    []int8     // and the choice it was computed for (bits), −1 for none yet
	keep      []int32    // AVX2 kernels: −1 for the bins summed, 0 for excluded ones
	thrs      thresholdCache
	asm       bool   // run the AVX2 kernels (haveAVX2)
	dropped   []bool // dropWhere's decisions, one per burst of a grid
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
	f := NewNoiseFloor(d.cfg.FFTSize, d.cfg.MaxFrames)
	f.asm = d.asm
	return &State{Floor: f}
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
	d.integ = make([]float64, integRingRows(d.templates)*(nb+1))
	d.label = make([]int32, nf*nb)
	d.excl = make([]bool, nb)
	d.stack = make([]int32, 0, nf*nb)
	d.bridges = make([][2]int32, 0, nb)
	d.prof = make([]float64, max(nf, nb))
	d.prof2 = make([]float64, max(nf, nb))
	d.smooth = make([]float64, max(nf, nb))
	d.comps = make([]component, 0, maxComponents)
	d.boxes = make([]seedBox, 0, len(d.templates))
	d.hot = make([]int32, 0, nb)
	d.rowBoxes = make([]rowBox, 0, len(d.templates))
	d.seedTests = make([]seedTest, len(d.templates))
	d.seeds = make([]int32, 0, nf*nb)
	d.cmSum = make([]float64, cmBands*nf)
	d.cmN = make([]float64, cmBands*nf)
	d.cmT = make([]float32, 16*nb)
	d.keep = make([]int32, nb)
	d.cmQ = make([]float64, nf)
	d.cmC = make([]float32, nf)
	d.cmQSel = make([]int8, nf)
	d.thrs = newThresholdCache()
	d.dropped = make([]bool, 2*cfg.MaxBursts)
	d.asm = haveAVX2()
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
	var excl []bool
	cmFrom := 0 // frames whose common-mode sums are done, −1 to leave z as it is
	if t := 0; d.asm && hi-lo >= cmBands*16 {
		excl = d.bridgeRuns(nb, lo, hi, busy, st.Floor.Line)
		cmFrom = d.prepareAVX2(z, g.P, nf, nb, lo, hi, level, excl)
	} else {
		if d.asm && hi-lo >= 8 {
			normaliseAVX2(&z[lo], &g.P[lo], nb, nf, &level[lo], hi-lo)
			t = nf
		}
		for ; t < nf; t++ {
			normalise(z[t*nb+lo:t*nb+hi], g.P[t*nb+lo:t*nb+hi], level[lo:hi])
		}
		excl = d.bridgeLines(z, nf, nb, lo, hi, busy, st.Floor.Line)
	}
	d.commonMode(z, nf, nb, lo, hi, excl, cmFrom)
	floorLooks := st.Floor.Looks()
	d.floorLooks = floorLooks
	zClip := float32(minClip)
	for i := range d.templates {
		tp := &d.templates[i]
		tp.thr = d.thrs.threshold(tp.looks, floorLooks, d.pfa)
		zClip = max(zClip, float32(2*tp.thr))
	}
	// Integral image: row t, integ[k] = Σ z over frames < t, bins < k. Only
	// the rows the tests of the frames being marked read are kept, in a
	// ring (slot (t−1) mod the ring's rows, so rows 4m+1…4m+4 are
	// contiguous), small enough to stay in cache; the whole image of a long
	// grid would be megabytes written and read back.
	w := nb + 1
	integ := d.integ
	ringMask := len(integ)/w - 1
	row := func(t int) []float64 { s := (t - 1) & ringMask; return integ[s*w : (s+1)*w] }
	clear(row(0))
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
	// markSeedsAsm's boxes: what is the same for every frame.
	tests := d.seedTests[:len(boxes)]
	for i, bx := range boxes {
		tests[i] = seedTest{ck: bx.ck, fw: bx.fw, thr: bx.thr, kmax: hi - bx.fw + bx.ck}
	}
	mark := func(t int) {
		t0, t1 := max(0, t-hr), min(nf, t+hr+1)
		d.hot = hotCells(d.hot[:0], row(t0), row(t1), excl, lo, hi, t1-t0, hotLevel, d.asm)
		lr := label[t*nb : (t+1)*nb]
		clear(lr)
		if len(d.hot) == 0 {
			return
		}
		if d.asm && len(tests) > 0 && cap(seeds)-len(seeds) >= len(d.hot) {
			// The boxes centred on frame t: their rows, field by field (a
			// struct copied whole here stalled on store forwarding); a box
			// reaching out of the grid gets an empty range of centres.
			for i := range tests {
				bx, e := &boxes[i], &tests[i]
				e.kmin = lo + bx.ck
				t0 := t - bx.ct
				if t0 < 0 || t0+bx.tw > nf {
					e.kmin, t0 = math.MaxInt, 1
				}
				e.a, e.b = ((t0-1)&ringMask)*w, ((t0+bx.tw-1)&ringMask)*w
			}
			n := markSeedsAsm(&d.hot[0], len(d.hot), &tests[0], len(tests), lo, hi, &lr[0], &seeds[len(seeds):cap(seeds)][0], t*nb, &integ[0])
			seeds = seeds[:len(seeds)+n]
			return
		}
		// The boxes centred on frame t: their rows of the integral image.
		rb := d.rowBoxes[:0]
		for _, bx := range boxes {
			if t0 := t - bx.ct; t0 >= 0 && t0+bx.tw <= nf {
				rb = append(rb, rowBox{a: row(t0), b: row(t0 + bx.tw), ck: bx.ck, fw: bx.fw, thr: bx.thr})
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
	// are written, before the ring overwrites them.
	next := 0
	t := 1
	if d.asm && hi-lo >= 4 {
		// Four rows at a time, t−1 a multiple of 4: contiguous in the ring.
		keep := d.keep[:nb]
		for k := lo; k < hi; k++ {
			keep[k] = -1
			if excl[k] {
				keep[k] = 0
			}
		}
		for ; t+3 <= nf; t += 4 {
			for f := t - 1; f < t+3; f++ {
				d.divideFrame(z, f, nb, lo, hi)
			}
			s := (t - 1) & ringMask
			integrateRows4(integ[s*w:(s+4)*w], row(t-1), z[(t-1)*nb:(t+3)*nb], excl, keep, lo, hi, zClip)
			for ; next+ahead <= t+3; next++ {
				mark(next)
			}
		}
	}
	for ; t <= nf; t++ {
		if d.asm {
			d.divideFrame(z, t-1, nb, lo, hi)
		}
		integrateRow(row(t), row(t-1), z[(t-1)*nb:t*nb], excl, lo, hi, zClip)
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
	out = d.dropWhere(out, first, isLeakage)
	return d.dropArtefacts(g, fr, st.Floor.Line, out, first)
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
	integrateRowFrom(cur, prev, zr, excl, lo, hi, run, zClip)
}

// integrateRowFrom is integrateRow from bin from of the band [lo, hi) on,
// with the row's sum over the bins before it, run.
func integrateRowFrom(cur, prev []float64, zr []float32, excl []bool, from, hi int, run float64, zClip float32) {
	nb := len(zr)
	cur, prev = cur[:nb+1], prev[:nb+1]
	zs := zr[from:hi]
	ex := excl[from:hi]
	c, p := cur[from+1:hi+1], prev[from+1:hi+1]
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

// integrateRows4 is integrateRow of four consecutive frames z[0:4·nb],
// into the four integral rows cur (nb+1 elements each) after prev: the
// band's bins in whole blocks of four in assembly (keep is −1 where excl
// is false), the rest in Go from the runs it leaves.
func integrateRows4(cur, prev []float64, z []float32, excl []bool, keep []int32, lo, hi int, zClip float32) {
	nb := len(excl)
	w := nb + 1
	var run [4]float64
	n4 := (hi - lo) &^ 3
	integrate4AVX2(&cur[lo+1], w, &prev[lo+1], &z[lo], nb, &keep[lo], n4, zClip, &run)
	for f := range 4 {
		c := cur[f*w : (f+1)*w]
		p := prev
		if f > 0 {
			p = cur[(f-1)*w : f*w]
		}
		c[0] = 0
		for k := 1; k <= lo; k++ {
			c[k] = p[k] + 0
		}
		integrateRowFrom(c, p, z[f*nb:(f+1)*nb], excl, lo+n4, hi, run[f], zClip)
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
func hotCells(hot []int32, a, b []float64, excl []bool, lo, hi, rows int, level float64, asm bool) []int32 {
	const hr = 2
	// (The edges were a closure appending to hot; captured, hot lived in
	// memory for the whole function.)
	edge := func(hot []int32, k int) []int32 {
		return hotEdge(hot, a, b, excl, lo, hi, rows, level, k)
	}
	e1 := min(lo+hr, hi)
	e2 := max(e1, hi-hr)
	for k := lo; k < e1; k++ {
		hot = edge(hot, k)
	}
	if e2 > e1 {
		inner := level * float64(rows*(2*hr+1))
		ex := excl[e1:e2]
		am, ap := a[e1-hr:e2-hr], a[e1+hr+1:e2+hr+1] // a[k0], a[k1]
		bm, bp := b[e1-hr:e2-hr], b[e1+hr+1:e2+hr+1]
		am, ap, bm, bp = am[:len(ex)], ap[:len(ex)], bm[:len(ex)], bp[:len(ex)]
		i := 0
		if n4 := len(ex) &^ 3; asm && n4 > 0 && cap(hot)-len(hot) >= n4 {
			c := hotCellsAVX2(&hot[len(hot):cap(hot)][0], &am[0], &ap[0], &bm[0], &bp[0], &ex[0], n4, inner, e1)
			hot = hot[:len(hot)+c]
			i = n4
		}
		for ; i < len(ex); i++ {
			if ex[i] {
				continue
			}
			if s := bp[i] - bm[i] - ap[i] + am[i]; s > inner {
				hot = append(hot, int32(e1+i))
			}
		}
	}
	for k := e2; k < hi; k++ {
		hot = edge(hot, k)
	}
	return hot
}

// hotEdge is hotCells for a bin k within hr of the band's edges, where the
// neighbourhood is cut at the edge.
func hotEdge(hot []int32, a, b []float64, excl []bool, lo, hi, rows int, level float64, k int) []int32 {
	const hr = 2
	if excl[k] {
		return hot
	}
	k0, k1 := max(lo, k-hr), min(hi, k+hr+1)
	s := b[k1] - b[k0] - a[k1] + a[k0]
	if s > level*float64(rows*(k1-k0)) {
		hot = append(hot, int32(k))
	}
	return hot
}

// integRingRows is the number of integral-image rows Process keeps: a
// power of two over the span of rows marking one frame reads (the hot
// map's 5×5 box and every template's box around it) plus the rows
// integrated ahead of it (up to four at a time).
func integRingRows(templates []template) int {
	const hr = 2
	back, ahead := hr, hr+1
	for _, tp := range templates {
		back, ahead = max(back, tp.tw/2), max(ahead, tp.tw-tp.tw/2)
	}
	n := 1
	for n < back+ahead+1+4 {
		n *= 2
	}
	return n
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

// seedTest is a rowBox as markSeedsAsm reads it: its rows as offsets in
// the integral image's ring (no pointers: filling it per frame needs no
// write barriers), the centre offset, width and threshold, and the bins
// kmin…kmax it may be centred on inside the band. The field order and
// sizes are the assembly's offsets.
type seedTest struct {
	a, b       int
	ck, fw     int
	thr        float64
	kmin, kmax int
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

// isLeakage reports whether bs[i] is the out-of-band leakage of a much
// stronger co-timed burst.
func isLeakage(bs []Burst, i int) bool {
	b := bs[i]
	for j, s := range bs {
		if j != i && !s.Shape.Clutter() && s.SNRdB-b.SNRdB >= leakageDB &&
			b.Start >= s.Start-1e-4 && b.End <= s.End+1e-4 && math.Abs(s.Centre()-b.Centre()) <= 20e6 {
			return true
		}
	}
	return false
}

// dropWhere removes, among out[first:], the bursts drop names. Every
// decision is taken on the whole list before any burst is removed, so one
// decision never sees another's result.
func (d *Detector) dropWhere(out []Burst, first int, drop func(bs []Burst, i int) bool) []Burst {
	bs := out[first:]
	if cap(d.dropped) < len(bs) {
		d.dropped = make([]bool, len(bs))
	}
	m := d.dropped[:len(bs)]
	for i := range bs {
		m[i] = drop(bs, i)
	}
	keep := bs[:0]
	for i, b := range bs {
		if !m[i] {
			keep = append(keep, b)
		}
	}
	return out[:first+len(keep)]
}

// imageDB: the dongle's I/Q imbalance mirrors every signal about the tune
// frequency, 25–40 dB down on an RTL-SDR. A burst at least this much
// weaker than a co-timed burst at its mirror frequency is that burst's
// image — of a chirp too, whose image is too weak to look like one.
const imageDB = 15

// A weak narrow burst centred on a line learned into the floor (a spur, a
// CW carrier, the DC spike; lineNearBins at most from it) is the line's
// skirt standing out while the floor is still learning it — a carrier just
// keyed on —, not a handset: GSM and LTE channels sit on rasters that hop
// centres avoid, and a phone on a carrier's frequency is far stronger.
const (
	lineNearBins  = 2.5
	lineSkirtSNR  = 6     // dB
	lineSkirtMaxW = 200e3 // Hz
)

// dropArtefacts removes, among out[first:], handset-shaped bursts that are
// the receiver's own artefacts: images, and skirts of learned lines.
func (d *Detector) dropArtefacts(g *dsp.Grid, fr Frame, lines []bool, out []Burst, first int) []Burst {
	return d.dropWhere(out, first, func(bs []Burst, i int) bool {
		return !bs[i].Shape.Clutter() && (d.isImage(bs, i, fr) || d.onLine(g, fr, lines, bs[i]))
	})
}

// isImage reports whether bs[i] mirrors a much stronger co-timed burst.
func (d *Detector) isImage(bs []Burst, i int, fr Frame) bool {
	b := bs[i]
	for j, s := range bs {
		if j == i || s.SNRdB-b.SNRdB < imageDB || b.Start >= s.End || b.End <= s.Start {
			continue
		}
		mirror := 2*fr.Centre - s.Centre()
		if math.Abs(b.Centre()-mirror) <= math.Max(s.Bandwidth(), b.Bandwidth())/2+d.binHz {
			return true
		}
	}
	return false
}

// onLine reports whether b is a weak narrow burst centred on a learned line.
func (d *Detector) onLine(g *dsp.Grid, fr Frame, lines []bool, b Burst) bool {
	if b.SNRdB >= lineSkirtSNR || b.Bandwidth() >= lineSkirtMaxW {
		return false
	}
	c := (b.Centre()-fr.Centre)/d.binHz + float64(g.Bins/2)
	for k := max(0, int(c-lineNearBins)); k <= min(g.Bins-1, int(c+lineNearBins)+1); k++ {
		if lines[k] && math.Abs(float64(k)-c) <= lineNearBins {
			return true
		}
	}
	return false
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
	excl := d.bridgeRuns(nb, lo, hi, busy, lines)
	d.bridgeFrames(z, 0, nf, nb)
	return excl
}

// bridgeRuns finds the runs bridgeLines bridges (d.bridges) and returns
// the bins the tests must still leave out.
func (d *Detector) bridgeRuns(nb, lo, hi int, busy, lines []bool) []bool {
	excl := d.excl[:nb]
	copy(excl, busy)
	runs := d.bridges[:0]
	for k := lo; k < hi; k++ {
		if !busy[k] && !lines[k] {
			continue
		}
		kB := k
		for kB+1 < hi && (busy[kB+1] || lines[kB+1]) {
			kB++
		}
		if kB-k+1 <= maxBridge && k > lo && kB < hi-1 {
			runs = append(runs, [2]int32{int32(k), int32(kB)})
			for j := k; j <= kB; j++ {
				excl[j] = false
			}
		}
		k = kB
	}
	d.bridges = runs
	return excl
}

// bridgeFrames bridges the lines bridgeRuns found in frames [t0, t1) of z,
// frame by frame. The order of the runs does not matter: a run reads the
// bins either side of it, which no run writes (runs are maximal, so they
// are at least a bin apart).
func (d *Detector) bridgeFrames(z []float32, t0, t1, nb int) {
	if len(d.bridges) == 0 {
		return
	}
	for t := t0; t < t1; t++ {
		zr := z[t*nb : (t+1)*nb]
		for _, r := range d.bridges {
			k, kB := int(r[0]), int(r[1])
			v := (zr[k-1] + zr[kB+1]) / 2
			for j := k; j <= kB; j++ {
				zr[j] = v
			}
		}
	}
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
//
// The per-frame sums of frames before from are done already (prepareAVX2);
// from < 0 says a frame had too few bins under the cut, and z stays as it is.
func (d *Detector) commonMode(z []float32, nf, nb, lo, hi int, busy []bool, from int) {
	busy = busy[lo:hi]
	width := hi - lo
	if width < cmBands*16 || from < 0 {
		return
	}
	row := func(t int) []float32 { return z[t*nb+lo : t*nb+hi] }
	// Sub-band j covers [edge(j), edge(j+1)) of the searched span.
	edge := func(j int) int { return j * width / cmBands }
	cs, cn := d.cmSum[:cmBands*nf], d.cmN[:cmBands*nf]
	t := from
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
	q, qSel := d.cmQ[:nf], d.cmQSel[:nf]
	for i := range qSel {
		qSel[i] = -1 // not computed yet
	}
	var run, runN [cmBands]float64
	sqrtOf, sqrtLooks := math.NaN(), math.NaN()
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
		// (The builtin min is math.Min, inlined; each ratio and the square
		// root, which changes only with the counts, are computed once.)
		qmin, looks := math.Inf(1), math.Inf(1)
		var ratio [cmBands]float64
		for j := range cmBands {
			if runN[j] >= 16 { // a sub-band nearly all busy says nothing
				ratio[j] = run[j] / runN[j]
				qmin = min(qmin, ratio[j])
				looks = min(looks, runN[j]*d.looksPerCell)
			}
		}
		if math.IsInf(qmin, 1) {
			continue
		}
		if looks != sqrtOf {
			sqrtOf, sqrtLooks = looks, math.Sqrt(looks)
		}
		cutQ := qmin * (1 + cmOutlier/sqrtLooks)
		var sel [cmBands]bool
		for j := range cmBands {
			sel[j] = runN[j] >= 16 && ratio[j] <= cutQ
		}
		// The mean over the window of each frame's truncated mean over the
		// kept sub-bands (with none left out: the whole span's, as before).
		// Each frame's mean is computed once per choice of sub-bands, not
		// once per window holding it; a frame with none adds +0 (lvl, a sum
		// of non-negative means, is never −0, so that changes nothing).
		var selBits int8
		for j := range cmBands {
			if sel[j] {
				selBits |= 1 << j
			}
		}
		var lvl float64
		for u := a; u < b; u++ {
			if qSel[u] != selBits {
				var su, nu float64
				for j := range cmBands {
					if sel[j] {
						su += cs[u*cmBands+j]
						nu += cn[u*cmBands+j]
					}
				}
				qSel[u], q[u] = selBits, 0
				if nu > 0 {
					q[u] = su / nu
				}
			}
			lvl += q[u]
		}
		lvl /= float64(b-a) * truncMeanFactor
		c := float32(math.Min(2, lvl))
		if !(c > 1) {
			continue
		}
		if d.asm {
			// Divided just before the frame is integrated, while it is in
			// cache (divideFrame).
			d.cmC[t] = c
			continue
		}
		zr := z[t*nb+lo : t*nb+hi]
		for k := range zr {
			zr[k] /= c
		}
	}
}

// divideFrame divides frame t of z by the common level commonMode left for
// it in cmC (0: none), and clears it.
func (d *Detector) divideFrame(z []float32, t, nb, lo, hi int) {
	c := d.cmC[t]
	if c == 0 {
		return
	}
	d.cmC[t] = 0
	zr := z[t*nb+lo : t*nb+hi]
	if n8 := len(zr) &^ 7; n8 > 0 {
		divideAVX2(&zr[0], n8, c)
		zr = zr[n8:]
	}
	for k := range zr {
		zr[k] /= c
	}
}

// prepareAVX2 normalises the grid (normalise), bridges its lines
// (bridgeFrames, after bridgeRuns) and computes commonMode's per-frame sums,
// eight frames at a time while they are in cache, with the AVX2 kernels:
// the eight frames are transposed so that a vector holds one bin of each,
// and every frame's sums still take the bins in order. It returns the
// number of frames summed (commonMode does the rest), or −1 where
// commonMode returns without changing z. Needs hi−lo ≥ cmBands·16.
func (d *Detector) prepareAVX2(z, p []float32, nf, nb, lo, hi int, level []float32, excl []bool) int {
	width := hi - lo
	edge := func(j int) int { return j * width / cmBands }
	keep := d.keep[lo:hi]
	for k, b := range excl[lo:hi] {
		keep[k] = -1
		if b {
			keep[k] = 0
		}
	}
	cs, cn := d.cmSum[:cmBands*nf], d.cmN[:cmBands*nf]
	one := float32(truncCut * 1.0)
	cut1 := [8]float32{one, one, one, one, one, one, one, one}
	n4 := width &^ 3
	// transpose writes frames t…t+7 to zt, bin-major.
	transpose := func(zt []float32, t int) {
		transpose8AVX2(&zt[0], &z[t*nb+lo], nb, n4)
		for k := n4; k < width; k++ {
			for f := range 8 {
				zt[8*k+f] = z[(t+f)*nb+lo+k]
			}
		}
	}
	// cuts turns the sums under the first cut into each frame's cut, or
	// reports a frame with too few bins under it.
	cuts := func(s *[8]float64, n *[8]int32) (cut [8]float32, ok bool) {
		for j := range cut {
			if n[j] < 16 {
				return cut, false
			}
			cut[j] = float32(truncCut * (s[j] / float64(n[j]) / truncMeanFactor))
		}
		return cut, true
	}
	zt0, zt1 := d.cmT[:8*width], d.cmT[8*width:16*width]
	var s0, s1 [8]float64
	var n0, n1 [8]int32
	summed := 0
	nf8 := nf &^ 7
	for t := 0; t < nf8; {
		// Sixteen frames at a time (four float64 chains), eight for the last.
		step := 8
		if t+16 <= nf8 {
			step = 16
		}
		normaliseAVX2(&z[t*nb+lo], &p[t*nb+lo], nb, step, &level[lo], width)
		d.bridgeFrames(z, t, t+step, nb)
		if summed < t { // a frame had too few bins under the cut
			t += step
			continue
		}
		if step == 16 {
			transpose(zt0, t)
			transpose(zt1, t+8)
			sumUnder16AVX2(&zt0[0], &zt1[0], &keep[0], &cut1, &cut1, width, &s0, &s1, &n0, &n1)
			cut0, ok0 := cuts(&s0, &n0)
			cut1b, ok1 := cuts(&s1, &n1)
			if !ok0 || !ok1 {
				t += step
				continue
			}
			for b := range cmBands {
				e0, e1 := edge(b), edge(b+1)
				sumUnder16AVX2(&zt0[8*e0], &zt1[8*e0], &keep[e0], &cut0, &cut1b, e1-e0, &s0, &s1, &n0, &n1)
				for j := range 8 {
					cs[(t+j)*cmBands+b], cn[(t+j)*cmBands+b] = s0[j], float64(n0[j])
					cs[(t+8+j)*cmBands+b], cn[(t+8+j)*cmBands+b] = s1[j], float64(n1[j])
				}
			}
		} else {
			transpose(zt0, t)
			sumUnder8AVX2(&zt0[0], &keep[0], &cut1, width, &s0, &n0)
			cut, ok := cuts(&s0, &n0)
			if !ok {
				t += step
				continue
			}
			for b := range cmBands {
				e0, e1 := edge(b), edge(b+1)
				sumUnder8AVX2(&zt0[8*e0], &keep[e0], &cut, e1-e0, &s0, &n0)
				for j := range 8 {
					cs[(t+j)*cmBands+b], cn[(t+j)*cmBands+b] = s0[j], float64(n0[j])
				}
			}
		}
		t += step
		summed = t
	}
	if nf8 < nf {
		normaliseAVX2(&z[nf8*nb+lo], &p[nf8*nb+lo], nb, nf-nf8, &level[lo], width)
		d.bridgeFrames(z, nf8, nf, nb)
	}
	if summed < nf8 {
		return -1
	}
	return nf8
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
		case bw >= 3e6 || fillsSpan(bw, d.searchedHz(g, fr)):
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

// searchedHz is the width of the bins Process searches in g.
func (d *Detector) searchedHz(g *dsp.Grid, fr Frame) float64 {
	lo, hi := max(fr.Lo, 0), fr.Hi
	if hi <= 0 || hi > g.Bins {
		hi = g.Bins
	}
	return float64(hi-lo) * d.binHz
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
	if b.Shape == ShapeSubframe && (tA <= 1 && tB >= g.Frames-2 || b.Duration() >= wideMinDur) && fillsSpan(b.Bandwidth(), d.searchedHz(g, fr)) {
		b.Shape = ShapeWide
	}
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
