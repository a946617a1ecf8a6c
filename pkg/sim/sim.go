package sim

import (
	"cmp"
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/cellwatch/cellwatch/pkg/detect"
	"gonum.org/v1/gonum/dsp/fourier"
)

// Simulator renders a Scene as the cu8 stream of its sensor. Its methods are
// safe for concurrent use (a web handler may read truth while a reader runs
// Generate), but the stream itself is one sequence: Tune and Generate calls
// are applied in the order they are made.
type Simulator struct {
	mu sync.Mutex

	sc       *Scene
	fs       float64
	tune     float64
	tuneGen  int
	n        int64 // samples generated so far
	fsDBm    float64
	sigma    float64 // noise std per rail, full scale = 1
	noise    *rand.Rand
	dc       complex128
	spurAmp  float64
	emitters []*emitter
	lte      lteSynth
	segs     map[segKey]*segment
	free     [][]complex128
	buf      []complex128

	rx        rxState
	wides     []*wideSource     // downlink carriers, their intermodulation and jammers
	imCWs     []IntermodProduct // products of CW carriers (CW themselves)
	wideTones []complex128
	wideW     []float64
}

// emitter is a phone or chirper with its activity streams.
type emitter struct {
	idx        int
	id         string
	tech       detect.Tech
	cell, zone string
	freqHz     float64 // carrier / channel centre
	halfBW     float64 // half the widest occupied band, for quick visibility tests
	phone      *Phone
	chirper    *Chirper
	tetra      *Tetra
	pp         *phonePlan
	planner    planner
	streams    []*stream
	info       EmitterInfo
}

type segKey struct {
	emitter, stream, occ, tx int
}

// segment is one transmission rendered at the current tune.
type segment struct {
	n0      int64 // absolute index of data[0]
	data    []complex128
	tuneGen int
}

// genBlock bounds the working buffer of Generate (complex samples).
const genBlock = 1 << 14

// New prepares a simulator for sc at sampleRate (complex samples per
// second). It copies the scene; later changes to sc have no effect. The
// simulator starts tuned to the first phone's frequency (or 900 MHz).
func New(sc *Scene, sampleRate float64) (*Simulator, error) {
	if sc == nil {
		return nil, fmt.Errorf("sim: nil scene")
	}
	if !(sampleRate >= 1e5 && sampleRate <= 20e6) {
		return nil, fmt.Errorf("sim: sample rate %g outside 100 kS/s … 20 MS/s", sampleRate)
	}
	if err := sc.Validate(); err != nil {
		return nil, fmt.Errorf("sim: scene %q: %w", sc.Name, err)
	}
	cp := *sc
	cp.Phones = slices.Clone(sc.Phones)
	for i := range cp.Phones {
		cp.Phones[i].Schedule = slices.Clone(sc.Phones[i].Schedule)
	}
	cp.Chirpers = slices.Clone(sc.Chirpers)
	cp.Cells = slices.Clone(sc.Cells)
	cp.Walls = slices.Clone(sc.Walls)
	cp.Carriers = slices.Clone(sc.Carriers)
	cp.Tetras = slices.Clone(sc.Tetras)
	cp.Events = slices.Clone(sc.Events)
	cp.Sensors = slices.Clone(sc.Sensors)
	for i := range cp.Phones {
		cp.Phones[i].HopFreqsHz = slices.Clone(sc.Phones[i].HopFreqsHz)
	}
	s := &Simulator{
		sc:    &cp,
		fs:    sampleRate,
		tune:  900e6,
		fsDBm: cp.Sensor.fullScale(),
		noise: rngFor(cp.Seed, "\x00noise"+cp.receiverKey()),
		segs:  map[segKey]*segment{},
		buf:   make([]complex128, genBlock),
	}
	var err error
	if s.lte.grid, err = newGrid(sampleRate, 15e3); err != nil {
		return nil, err
	}
	if s.lte.prach, err = newGrid(sampleRate, 1250); err != nil {
		return nil, err
	}
	s.lte.dft = map[int]*fourier.CmplxFFT{}
	s.lte.tones = make([]complex128, 1200)

	noiseDBm := s.NoiseDBm(sampleRate)
	s.sigma = math.Sqrt(s.lin(noiseDBm) / 2)
	if cp.DCOffset {
		lvl := cp.DCOffsetDBFS
		if lvl == 0 {
			lvl = DefaultDCOffsetDBFS
		}
		s.dc = cmplx.Rect(math.Pow(10, lvl/20), 2*math.Pi*rngFor(cp.Seed, "\x00dc"+cp.receiverKey()).Float64())
	}
	if cp.Spurs {
		lvl := cp.SpurDBm
		if lvl == 0 {
			lvl = DefaultSpurDBm
		}
		s.spurAmp = math.Sqrt(s.lin(lvl))
	}
	for i := range cp.Phones {
		p := &cp.Phones[i]
		e := &emitter{idx: len(s.emitters), id: p.ID, tech: p.Tech, freqHz: p.FreqHz, phone: p}
		if c, ok := cp.cellAt(p.Cell, p.X, p.Y); ok {
			e.cell, e.zone = c.Name, c.Zone
		}
		pl := cp.PathLossDB(p.X, p.Y, p.FreqHz) + p.ExtraLossDB + cp.shadowDB(p.ID, cp.Sensor.Name)
		e.pp = newPhonePlan(cp.Seed, p, pl)
		e.planner = e.pp
		e.halfBW = 150e3
		switch p.Tech {
		case detect.LTE, detect.NR:
			e.halfBW = p.BandwidthHz / 2
		case detect.UMTS:
			e.halfBW = 2.5e6
		case detect.GSM:
			for _, f := range p.HopFreqsHz {
				e.halfBW = max(e.halfBW, math.Abs(f-p.FreqHz)+150e3)
			}
		}
		for j, a := range p.Schedule {
			e.streams = append(e.streams, &stream{act: a, idx: j})
		}
		e.info = s.phoneInfo(e, pl)
		s.fillLinks(e)
		s.emitters = append(s.emitters, e)
	}
	for i := range cp.Chirpers {
		c := &cp.Chirpers[i]
		bw, _, _ := chirpParams(c)
		e := &emitter{idx: len(s.emitters), id: c.Name, tech: detect.Clutter, freqHz: c.FreqHz, halfBW: bw / 2, chirper: c, planner: chirpPlan{c}}
		e.streams = []*stream{{act: Activity{Kind: "chirp", Start: c.Start, Every: c.Period}}}
		e.info = EmitterInfo{ID: c.Name, Tech: detect.Clutter, FreqHz: c.FreqHz, BandwidthHz: bw,
			RxPowerDBm: c.RxPowerDBm, SNRdB: c.RxPowerDBm - s.NoiseDBm(bw), SNRBandwidthHz: bw}
		s.fillLinks(e)
		s.emitters = append(s.emitters, e)
	}
	for i := range cp.Tetras {
		c := &cp.Tetras[i]
		e := &emitter{idx: len(s.emitters), id: c.Name, tech: detect.Clutter, freqHz: c.FreqHz, halfBW: tetraBW / 2, tetra: c, planner: tetraPlan{c}}
		e.streams = []*stream{{act: Activity{Kind: "tetra", Start: c.Start, Duration: c.Duration, Every: c.Every}}}
		e.info = EmitterInfo{ID: c.Name, Tech: detect.Clutter, FreqHz: c.FreqHz, BandwidthHz: tetraBW,
			RxPowerDBm: c.RxPowerDBm, SNRdB: c.RxPowerDBm - s.NoiseDBm(tetraBW), SNRBandwidthHz: tetraBW}
		s.fillLinks(e)
		s.emitters = append(s.emitters, e)
	}
	for i := range cp.Carriers {
		if c := &cp.Carriers[i]; c.Kind != CarrierCW {
			s.wides = append(s.wides, carrierSource(c))
		}
	}
	var ims []IntermodProduct
	for _, p := range cp.IntermodProducts() {
		if p.BandwidthHz > 0 {
			ims = append(ims, p)
		} else {
			s.imCWs = append(s.imCWs, p)
		}
	}
	s.wides = append(s.wides, intermodSources(ims)...)
	for i := range cp.Events {
		if e := &cp.Events[i]; e.Kind == EventJammer {
			s.wides = append(s.wides, s.jamSource(i, e))
		}
	}
	if len(cp.Phones) > 0 {
		s.tune = cp.Phones[0].FreqHz
	}
	s.initRx()
	return s, nil
}

// lin converts dBm to linear power relative to full scale.
func (s *Simulator) lin(dBm float64) float64 { return math.Pow(10, (dBm-s.fsDBm)/10) }

// NoiseDBm is the receiver's thermal noise (kTB·NF) in bandwidthHz.
func (s *Simulator) NoiseDBm(bandwidthHz float64) float64 {
	return -174 + s.sc.Sensor.noiseFigure() + 10*math.Log10(bandwidthHz)
}

// FullScaleDBm is the input power of a complex sample of power 1.0
// ((b−127.5)/127.5 per rail), so dBm = dBFS + FullScaleDBm.
func (s *Simulator) FullScaleDBm() float64 { return s.fsDBm }

// SampleRate is the rate given to New.
func (s *Simulator) SampleRate() float64 { return s.fs }

// Scene returns the simulator's copy of the scene; do not modify it.
func (s *Simulator) Scene() *Scene { return s.sc }

// Tune retunes the receiver; the next generated sample is received at freqHz.
func (s *Simulator) Tune(freqHz float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if freqHz != s.tune {
		s.tune = freqHz
		s.tuneGen++
		if s.rx.on {
			s.retuned()
		}
	}
}

// TuneHz is the current centre frequency.
func (s *Simulator) TuneHz() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tune
}

// Now is the stream time: samples generated so far / sample rate.
func (s *Simulator) Now() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}

func (s *Simulator) now() time.Duration { return s.timeOf(s.n) }

func (s *Simulator) timeOf(n int64) time.Duration {
	return time.Duration(math.Round(float64(n) / s.fs * 1e9))
}

// Generate fills dst with whole cu8 samples (I, Q offset-binary bytes)
// received at the current tune, advances the stream by len(dst)/2 samples
// and returns the number of bytes written (len(dst) rounded down to even).
// The samples depend only on the scene, the seed and the tune of each
// sample, not on how the stream is cut into Generate calls.
func (s *Simulator) Generate(dst []byte) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	total := len(dst) / 2
	for done := 0; done < total; {
		n := min(total-done, genBlock)
		s.block(dst[2*done:2*(done+n)], n)
		done += n
	}
	s.evict()
	return 2 * total
}

func (s *Simulator) block(dst []byte, n int) {
	if s.rx.on {
		s.blockChain(dst, n)
		return
	}
	buf := s.buf[:n]
	n0 := s.n
	sig := s.sigma
	for i := range buf {
		buf[i] = complex(sig*s.noise.NormFloat64(), sig*s.noise.NormFloat64()) + s.dc
	}
	s.addSpurs(buf, n0)
	s.addEmitters(buf, n0)
	for i, v := range buf {
		dst[2*i] = quantise(real(v))
		dst[2*i+1] = quantise(imag(v))
	}
	s.n += int64(n)
}

// quantise maps full scale ±1 to the RTL's offset-binary byte.
func quantise(x float64) byte {
	v := x*127.5 + 127.5
	if v <= 0 {
		return 0
	}
	if v >= 255 {
		return 255
	}
	return byte(v + 0.5)
}

// Spurs returns the RTL reference harmonics (Hz) within [lo, hi].
func Spurs(lo, hi float64) []float64 {
	var f []float64
	for k := math.Ceil(lo / SpurSpacingHz); k*SpurSpacingHz <= hi; k++ {
		f = append(f, k*SpurSpacingHz)
	}
	return f
}

// addSpurs adds the 28.8 MHz harmonics inside the tuned span. The phase is
// exact at every 1024th absolute sample and rotated in between, so the
// result does not depend on block boundaries.
func (s *Simulator) addSpurs(buf []complex128, n0 int64) {
	if s.spurAmp == 0 {
		return
	}
	for _, f := range Spurs(s.tune-s.fs/2, s.tune+s.fs/2) {
		df := f - s.tune
		step := cmplx.Exp(complex(0, 2*math.Pi*df/s.fs))
		exact := func(n int64) complex128 {
			cyc := df * float64(n) / s.fs
			return cmplx.Rect(s.spurAmp, 2*math.Pi*(cyc-math.Floor(cyc)))
		}
		base := n0 - n0%1024
		ph := exact(base)
		for n := base; n < n0; n++ {
			ph *= step
		}
		for i := range buf {
			if n := n0 + int64(i); n%1024 == 0 {
				ph = exact(n)
			}
			buf[i] += ph
			ph *= step
		}
	}
}

// visible reports whether [f-half, f+half] overlaps the tuned span.
func (s *Simulator) visible(f, half float64) bool {
	return f+half > s.tune-s.fs/2 && f-half < s.tune+s.fs/2
}

func (s *Simulator) addEmitters(buf []complex128, n0 int64) {
	n1 := n0 + int64(len(buf))
	t0, t1 := s.timeOf(n0), s.timeOf(n1)
	const margin = 250 * time.Microsecond // GSM ramps, TETRA pulse tails, rounding
	for _, e := range s.emitters {
		for si, st := range e.streams {
			s.expand(e, st, t1+margin)
			if !s.visible(e.freqHz, e.halfBW) {
				continue
			}
			for st.live < len(st.occs) && st.occs[st.live].end+margin <= t0 {
				st.live++
			}
			for _, o := range st.occs[st.live:] {
				if o.start-margin >= t1 {
					break
				}
				txs := s.txsOf(e, st, o)
				i, _ := slices.BinarySearchFunc(txs, t0-margin, func(t tx, d time.Duration) int {
					return cmp.Compare(t.end, d)
				})
				for ; i < len(txs) && txs[i].start-margin < t1; i++ {
					t := &txs[i]
					if !s.visible(t.freqHz, t.bwHz/2+50e3) {
						continue
					}
					seg := s.segment(e, si, o.index, i, t)
					lo, hi := max(n0, seg.n0), min(n1, seg.n0+int64(len(seg.data)))
					for n := lo; n < hi; n++ {
						buf[n-n0] += seg.data[n-seg.n0]
					}
				}
			}
		}
	}
}

// expand makes sure every occurrence of st starting before t is known.
func (s *Simulator) expand(e *emitter, st *stream, t time.Duration) {
	for !st.done {
		i := len(st.occs)
		start := st.startOf(i)
		if start >= t {
			return
		}
		o := &occurrence{index: i}
		o.txs = e.planner.plan(st, i)
		o.nTx = len(o.txs)
		if o.nTx > 0 {
			o.start, o.end = o.txs[0].start, o.txs[0].end
			for _, x := range o.txs {
				o.end = max(o.end, x.end)
			}
		} else {
			o.start, o.end = start, start
		}
		st.occs = append(st.occs, o)
		if st.act.Every == 0 {
			st.done = true
		}
	}
}

// txsOf returns an occurrence's transmissions, re-planning trimmed ones.
func (s *Simulator) txsOf(e *emitter, st *stream, o *occurrence) []tx {
	if o.txs == nil && o.nTx > 0 {
		o.txs = e.planner.plan(st, o.index)
	}
	return o.txs
}

// segment returns transmission i of an occurrence rendered at the current tune.
func (s *Simulator) segment(e *emitter, si, occ, i int, t *tx) *segment {
	key := segKey{e.idx, si, occ, i}
	if sg, ok := s.segs[key]; ok && sg.tuneGen == s.tuneGen {
		return sg
	}
	pre, post := 0.0, 0.0
	switch t.kind {
	case kGSMNormal, kGSMAccess:
		pre, post = gsmRampSecs/2, gsmRampSecs/2
	case kTetra:
		pre, post = tetraSpan/tetraSymRate, tetraSpan/tetraSymRate
	}
	a := int64(math.Ceil((t.start.Seconds() - pre) * s.fs))
	b := int64(math.Ceil((t.end.Seconds() + post) * s.fs))
	sg := s.segs[key]
	if sg == nil {
		sg = &segment{}
		s.segs[key] = sg
	} else {
		s.free = append(s.free, sg.data)
	}
	sg.n0, sg.tuneGen = a, s.tuneGen
	sg.data = s.alloc(int(b - a))
	r := rngFor(s.sc.Seed, e.id, 0xb17, uint64(si), uint64(occ), uint64(i))
	amp := math.Sqrt(s.lin(t.powerDBm))
	df := e.freqHz - s.tune
	switch t.kind {
	case kGSMNormal, kGSMAccess:
		n := gsmNormalLen
		if t.kind == kGSMAccess {
			n = gsmAccessLen
		}
		renderGSM(sg.data, a, s.fs, t.start.Seconds(), n, gsmBits(t.kind, r), t.freqHz-s.tune, amp)
	case kPUSCH, kPUCCH:
		s.lte.renderRB(sg.data, a, t, df, e.pp.nRB, amp, r)
	case kPRACH:
		s.lte.renderPRACH(sg.data, a, t, df, e.pp.nRB, amp, r)
	case kChirp:
		renderChirp(sg.data, a, s.fs, t.start.Seconds(), e.chirper, df, amp, r)
	case kTetra:
		renderTetra(sg.data, a, s.fs, t.start.Seconds(), t.end.Seconds(), df, amp, r)
	case kSRS:
		s.lte.renderSRS(sg.data, a, t, df, e.pp.nRB, amp, r)
	case kUMTS:
		s.renderUMTS(sg.data, a, t, e)
	}
	return sg
}

func (s *Simulator) alloc(n int) []complex128 {
	for i, b := range s.free {
		if cap(b) >= n {
			s.free[i] = s.free[len(s.free)-1]
			s.free = s.free[:len(s.free)-1]
			b = b[:n]
			clear(b)
			return b
		}
	}
	return make([]complex128, n)
}

// evict drops segments that ended and transmissions of occurrences long past.
func (s *Simulator) evict() {
	for k, sg := range s.segs {
		if sg.n0+int64(len(sg.data)) <= s.n {
			s.free = append(s.free, sg.data)
			delete(s.segs, k)
		}
	}
	if len(s.free) > 64 {
		s.free = s.free[len(s.free)-64:]
	}
	old := s.now() - 2*time.Second
	for _, e := range s.emitters {
		for _, st := range e.streams {
			for ; st.kept < len(st.occs) && st.occs[st.kept].end < old; st.kept++ {
				st.occs[st.kept].txs = nil
			}
		}
	}
}
