package sim

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/cellwatch/cellwatch/pkg/detect"
)

// txKind is what one transmission is; its String is the truth Kind.
type txKind uint8

const (
	kGSMNormal txKind = iota // GSM normal burst (TCH or SDCCH)
	kGSMAccess               // GSM RACH access burst
	kPUSCH                   // LTE PUSCH subframe (two slots, same allocation)
	kPUCCH                   // LTE PUCCH, one slot on one edge RB
	kPRACH                   // LTE PRACH preamble format 0
	kChirp                   // LoRa-like packet
	kTetra                   // TETRA uplink burst (clutter)
	kSRS                     // LTE/NR sounding reference symbol
	kUMTS                    // UMTS DPCH radio frame (10 ms)
	kUMTSPRACH               // UMTS PRACH preamble (4096 chips)
)

// Truth record kinds.
const (
	KindGSMBurst    = "gsm-burst"
	KindGSMRACH     = "gsm-rach"
	KindLTESubframe = "lte-subframe"
	KindPUCCH       = "pucch"
	KindPRACH       = "prach"
	KindChirp       = "chirp"
	KindTetra       = "tetra-burst"
	KindSRS         = "srs"
	KindUMTSFrame   = "umts-frame"
	KindUMTSPRACH   = "umts-prach"
)

func (k txKind) String() string {
	return [...]string{KindGSMBurst, KindGSMRACH, KindLTESubframe, KindPUCCH, KindPRACH, KindChirp,
		KindTetra, KindSRS, KindUMTSFrame, KindUMTSPRACH}[k]
}

// tx is one transmission: a GSM burst, an LTE slot or subframe, a PRACH
// preamble or a chirp packet. Times are from the start of the stream.
type tx struct {
	kind       txKind
	start, end time.Duration // nominal on-air interval (GSM: half-amplitude points)
	freqHz     float64       // centre of the occupied band
	bwHz       float64       // occupied width
	powerDBm   float64       // received at the sensor
	rb, nRB    int           // LTE: first RB and count (PUCCH: the RB of this slot)
}

// Timing constants.
const (
	gsmBitRate   = 1625e3 / 6
	gsmFrame     = 60.0 / 13 * 1e-3 // s, TDMA frame
	gsmSlot      = gsmFrame / 8     // s, 156.25 bits
	gsmNormalLen = 156.25           // bits between the half-amplitude points
	gsmAccessLen = 88.0
	gsm51MF      = 51 * gsmFrame
	lteSubframe  = time.Millisecond
	lteSlot      = lteSubframe / 2
	lteTs        = 1 / 30.72e6 // s, LTE basic time unit
	prachCPTs    = 3168
	prachSeqTs   = 24576
	lteMaxAlloc  = 12 // RBs: largest PUSCH allocation drawn (v1: keeps the demo unclipped)
)

func seconds(s float64) time.Duration { return time.Duration(math.Round(s * 1e9)) }

// occurrence is one run of an activity (or a chirper's packet).
type occurrence struct {
	index      int
	start, end time.Duration // first tx start, last tx end
	txs        []tx          // nil once trimmed; plan() rebuilds it identically
	nTx        int
}

// stream is one activity of one emitter, expanded lazily into occurrences.
type stream struct {
	act  Activity
	idx  int // position in the phone's schedule
	occs []*occurrence
	done bool // a one-shot activity already expanded
	live int  // occs[:live] ended before the current block
	kept int  // occs[:kept] have had their transmissions dropped
}

// startOf is when occurrence i starts.
func (st *stream) startOf(i int) time.Duration { return st.act.Start + time.Duration(i)*st.act.Every }

// planner builds the transmissions of one occurrence; it is a pure function
// of the scene, the seed and (emitter, activity, occurrence).
type planner interface {
	plan(st *stream, occ int) []tx
}

// rngFor returns a generator seeded from the scene seed and the given parts.
func rngFor(seed int64, id string, parts ...uint64) *rand.Rand {
	h := uint64(1469598103934665603)
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= 1099511628211
	}
	a := splitmix(uint64(seed) ^ splitmix(h))
	for _, p := range parts {
		a = splitmix(a ^ p)
	}
	return rand.New(rand.NewPCG(a, splitmix(a^0x5851f42d4c957f2d)))
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// phonePlan plans a phone's activities.
type phonePlan struct {
	seed     int64
	p        *Phone
	rxDB     float64 // received power = TX − rxDB (path loss)
	nRB      int     // LTE carrier RBs
	tn       int     // GSM timeslot
	pucch    int     // LTE PUCCH resource: 0 = low edge in slot 0, 1 = high edge in slot 0
	srP      int     // LTE PUCCH period (subframes)
	srOff    int     // LTE PUCCH offset (subframes)
	maio     int     // GSM mobile allocation index offset
	srsOff   int     // LTE SRS offset (subframes)
	pucchOff int     // NR: PUCCH RBs in from the carrier edges
}

func newPhonePlan(seed int64, p *Phone, pathLossDB float64) *phonePlan {
	pp := &phonePlan{seed: seed, p: p, rxDB: pathLossDB, nRB: lteRBs(p.BandwidthHz)}
	r := rngFor(seed, p.ID, 0xfeed)
	pp.tn = r.IntN(8)
	pp.pucch = r.IntN(2)
	pp.srP = []int{5, 10, 10, 20}[r.IntN(4)]
	pp.srOff = r.IntN(pp.srP)
	if n := len(p.HopFreqsHz); n > 0 {
		pp.maio = rngFor(seed, p.ID, 0x3a10).IntN(n)
	}
	if p.SRSPeriod > 0 {
		pp.srsOff = rngFor(seed, p.ID, 0x5e5).IntN(int(p.SRSPeriod / time.Millisecond))
	}
	if p.Tech == detect.NR {
		// NR places PUCCH by configuration, not at the very edges (§2):
		// here 0–3 RBs in, hopping between the two sides per slot.
		pp.nRB = nrRBs(p.BandwidthHz)
		pp.pucchOff = rngFor(seed, p.ID, 0x9c).IntN(4)
	}
	return pp
}

func (pp *phonePlan) plan(st *stream, occ int) []tx {
	r := rngFor(pp.seed, pp.p.ID, uint64(st.idx), uint64(occ))
	t0 := st.startOf(occ)
	if pp.p.Tech == detect.GSM {
		return pp.planGSM(st.act, t0)
	}
	if pp.p.Tech == detect.UMTS {
		return pp.planUMTS(r, st, occ)
	}
	var next time.Duration = -1
	connected := false
	if st.act.Every > 0 {
		next = st.startOf(occ + 1)
		connected = occ > 0 && pp.lteActiveLen(st.act)+pp.tail() > st.act.Every
	}
	return pp.planLTE(r, st.act, t0, next, connected)
}

// --- GSM ---

// gsmMaxCCH is MS_TXPWR_MAX_CCH: the power of access bursts and of the
// start of a dedicated channel (class 4 at 900 MHz, class 1 at 1800 MHz).
func gsmMaxCCH(freqHz float64) float64 {
	if freqHz > 1e9 {
		return 30
	}
	return 33
}

// gsmPCStepFrames is how often power control may step 2 dB: every 60 ms
// (13 TDMA frames; TS 45.008 §4.7).
const gsmPCStepFrames = 13

// gsmBurst makes the burst of TDMA frame fn; ded0 is the first frame of the
// dedicated channel (power control counts from it).
func (pp *phonePlan) gsmBurst(kind txKind, fn, ded0 int64) tx {
	start := float64(fn)*gsmFrame + float64(pp.tn)*gsmSlot
	n := gsmNormalLen
	if kind == kGSMAccess {
		n = gsmAccessLen
	}
	f, p := pp.p.FreqHz, pp.p.TxPowerDBm
	if hop := pp.p.HopFreqsHz; kind == kGSMNormal && len(hop) > 0 {
		f = hop[(fn+int64(pp.maio))%int64(len(hop))]
	}
	if pp.p.PowerControl {
		max := gsmMaxCCH(pp.p.FreqHz)
		if kind == kGSMAccess {
			p = max
		} else {
			p = math.Max(p, max-2*float64((fn-ded0)/gsmPCStepFrames))
		}
	}
	return tx{
		kind: kind, start: seconds(start), end: seconds(start + n/gsmBitRate),
		freqHz: f, bwHz: 200e3, powerDBm: p - pp.rxDB,
	}
}

func (pp *phonePlan) planGSM(a Activity, t0 time.Duration) []tx {
	fn := int64(math.Ceil(t0.Seconds()/gsmFrame - 1e-6)) // first frame at or after Start
	// SDCCH: 4 consecutive frames per 51-multiframe, from the second
	// 51-multiframe boundary after the RACH (immediate assignment).
	mfs := int64(3)
	if a.Kind == SMS {
		mfs = 11
	}
	// Sized for the whole occurrence at once: a call's traffic bursts are
	// most of a long call's plan, and growing the slice by doubling would
	// leave as much again in garbage (the demo's 10-minute call: 8 MB).
	n := 1 + 4*mfs
	if a.Kind == Call {
		n += int64(a.Duration.Seconds()/gsmFrame) + 1
	}
	txs := make([]tx, 0, n)
	txs = append(txs, pp.gsmBurst(kGSMAccess, fn, fn))
	sd := (fn/51 + 2) * 51
	for m := int64(0); m < mfs; m++ {
		for k := int64(0); k < 4; k++ {
			txs = append(txs, pp.gsmBurst(kGSMNormal, sd+m*51+6+k, sd))
		}
	}
	if a.Kind == Call {
		// TCH/F: every frame of the 26-multiframe but the idle one (25).
		first := (sd + mfs*51 + 25) / 26 * 26
		last := int64(math.Floor((t0 + a.Duration).Seconds() / gsmFrame))
		speech := pp.dtxSpeech(t0, first, last)
		for f := first; f <= last; f++ {
			if f%26 != 25 && speech(f) {
				txs = append(txs, pp.gsmBurst(kGSMNormal, f, sd))
			}
		}
	}
	return txs
}

// Conversational speech (ITU-T P.59): talk spurts of 1.0 s and pauses of
// 1.6 s on average, exponentially distributed.
const (
	dtxTalkMean  = 1.004
	dtxPauseMean = 1.587
)

// dtxSpeech says whether TCH frame f carries a burst. Without DTX every
// one does; with it, pauses keep only the SACCH burst of each 26-multiframe
// (frame 12) and the SID frames 52–59 of each 104-frame cycle (TS 45.008
// §8.3), about 12 bursts in 480 ms (domain.md §2).
func (pp *phonePlan) dtxSpeech(t0 time.Duration, first, last int64) func(int64) bool {
	if !pp.p.DTX {
		return func(int64) bool { return true }
	}
	r := rngFor(pp.seed, pp.p.ID, 0xd7, uint64(t0))
	var edges []int64 // frames where the state flips, talking first
	for f := float64(first); f <= float64(last); {
		mean := dtxTalkMean
		if len(edges)%2 == 1 {
			mean = dtxPauseMean
		}
		f += math.Max(1, r.ExpFloat64()*mean/gsmFrame)
		edges = append(edges, int64(f))
	}
	return func(f int64) bool {
		i, _ := slices.BinarySearch(edges, f+1)
		return i%2 == 0 || f%26 == 12 || f%104 >= 52 && f%104 <= 59
	}
}

// --- LTE ---

func (pp *phonePlan) tail() time.Duration {
	if pp.p.InactivityTimer > 0 {
		return pp.p.InactivityTimer
	}
	return DefaultInactivityTimer
}

// lteActiveLen is how long an LTE activity sends data (before its tail).
func (pp *phonePlan) lteActiveLen(a Activity) time.Duration {
	switch a.Kind {
	case SMS:
		return 250 * time.Millisecond
	case Update:
		return 150 * time.Millisecond
	case KeepAlive:
		return 100 * time.Millisecond
	}
	return a.Duration
}

// rbTx makes an LTE transmission on nRB RBs from rb (PUSCH or PUCCH).
func (pp *phonePlan) rbTx(kind txKind, start time.Duration, rb, n int) tx {
	d := lteSubframe
	if kind == kPUCCH {
		d = lteSlot
	}
	p := math.Min(MaxPowerDBm, pp.p.TxPowerDBm+10*math.Log10(float64(n)))
	return tx{
		kind: kind, start: start, end: start + d,
		freqHz: pp.p.FreqHz + float64(12*rb+6*n-6*pp.nRB)*15e3, bwHz: float64(n) * 180e3,
		powerDBm: p - pp.rxDB, rb: rb, nRB: n,
	}
}

// srsTx is the sounding reference symbol of the subframe starting at sf0:
// comb-2 over the PUSCH region rounded down to 4 RBs (36.211 §5.5.3).
func (pp *phonePlan) srsTx(sf0 time.Duration) tx {
	st, _ := lteSymbol(6)
	start := sf0 + lteSlot + seconds(float64(st)*lteTs)
	n := (pp.nRB - 2) / 4 * 4
	rb := (pp.nRB - n) / 2
	p := math.Min(MaxPowerDBm, pp.p.TxPowerDBm+10*math.Log10(float64(n)))
	return tx{kind: kSRS, start: start, end: start + seconds(2192*lteTs),
		freqHz: pp.p.FreqHz + float64(12*rb+6*n-6*pp.nRB)*15e3, bwHz: float64(n) * 180e3,
		powerDBm: p - pp.rxDB, rb: rb, nRB: n}
}

// prachRB is the first RB of the PRACH block (prach-FrequencyOffset).
func (pp *phonePlan) prachRB() int { return min(2, pp.nRB-6) }

func (pp *phonePlan) planLTE(r *rand.Rand, a Activity, t0, next time.Duration, connected bool) []tx {
	sf := int64((t0 + lteSubframe - 1) / lteSubframe) // first subframe at or after Start
	at := func(s int64) time.Duration { return time.Duration(s) * lteSubframe }
	busy := map[int64]bool{}
	var txs []tx
	pusch := func(s int64, n int) {
		if busy[s] {
			return
		}
		busy[s] = true
		rb := 1 + r.IntN(pp.nRB-1-n)
		txs = append(txs, pp.rbTx(kPUSCH, at(s), rb, n))
	}
	if !connected {
		p := math.Min(MaxPowerDBm, pp.p.TxPowerDBm+10*math.Log10(6))
		rb := pp.prachRB()
		txs = append(txs, tx{
			kind: kPRACH, start: at(sf), end: at(sf) + seconds((prachCPTs+prachSeqTs)*lteTs),
			freqHz: pp.p.FreqHz + float64(12*rb-6*pp.nRB)*15e3 + 540e3, bwHz: 839 * 1250,
			powerDBm: p - pp.rxDB, rb: rb, nRB: 6,
		})
		busy[sf], busy[sf+1] = true, true
		sf += 6 // RAR window, then Msg3
		pusch(sf, min(2, pp.nRB-2))
		sf += 4
	}
	maxN := min(lteMaxAlloc, pp.nRB-2)
	sizes := []int{1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 15, 16, 18, 20, 24, 25}
	if pp.p.MaxRBs > 0 {
		// all 2^a·3^b·5^c sizes up to the phone's largest grant
		maxN = min(pp.p.MaxRBs, pp.nRB-2)
		sizes = sizes[:0:0]
		for n := 1; n <= maxN; n++ {
			if m := smooth235(n); m == 1 {
				sizes = append(sizes, n)
			}
		}
	}
	alloc := func() int {
		for {
			if n := sizes[r.IntN(len(sizes))]; n <= maxN {
				return n
			}
		}
	}
	dataEnd := at(sf) + pp.lteActiveLen(a)
	if a.Kind == Data || a.Kind == Call {
		dataEnd = t0 + a.Duration
	}
	stop := func(s int64) bool { return at(s) >= dataEnd || next >= 0 && at(s) >= next }
	switch a.Kind {
	case Data:
		for s := sf; !stop(s); {
			for k, n := int64(0), int64(1+r.IntN(4)); k < n && !stop(s+k); k++ {
				pusch(s+k, alloc())
			}
			s += int64(5 + r.IntN(36))
		}
	case SMS:
		for k, n := 0, 3+r.IntN(4); k < n; k++ {
			s := sf + int64(r.IntN(240))
			if !stop(s) {
				pusch(s, alloc())
			}
		}
	case Call:
		for s := sf; !stop(s); s += 20 {
			pusch(s, 2+r.IntN(3))
		}
	case Update, KeepAlive:
		// TAU request / app keep-alive: a few small uplink subframes.
		span := int64(pp.lteActiveLen(a) / lteSubframe)
		for k, n := 0, 1+r.IntN(3); k < n; k++ {
			if s := sf + r.Int64N(span); !stop(s) {
				pusch(s, 1+r.IntN(min(4, maxN)))
			}
		}
	}
	// PUCCH (SR/CQI) every srP subframes from connection until the tail ends.
	tailEnd := dataEnd + pp.tail()
	if next >= 0 && tailEnd > next {
		tailEnd = next
	}
	lo, hi := pp.pucchOff, pp.nRB-1-pp.pucchOff
	if pp.pucch == 1 {
		lo, hi = hi, lo
	}
	s := sf + int64((pp.srOff-int(sf%int64(pp.srP))+pp.srP)%pp.srP)
	for ; at(s)+lteSubframe <= tailEnd; s += int64(pp.srP) {
		if !busy[s] {
			txs = append(txs, pp.rbTx(kPUCCH, at(s), lo, 1), pp.rbTx(kPUCCH, at(s)+lteSlot, hi, 1))
			busy[s] = true
		}
	}
	// SRS: the last SC-FDMA symbol of subframes on the SRS period, in
	// subframes without PUSCH or PUCCH (where it would shorten them).
	if p := int64(pp.p.SRSPeriod / time.Millisecond); p > 0 {
		s := sf + (int64(pp.srsOff)-sf%p+p)%p
		for ; at(s)+lteSubframe <= tailEnd; s += p {
			if !busy[s] {
				txs = append(txs, pp.srsTx(at(s)))
			}
		}
	}
	sortTx(txs)
	return txs
}

// smooth235 divides n by 2, 3 and 5 as long as it can: 1 means n is a
// valid DFT-spread size (36.211 §5.3.3).
func smooth235(n int) int {
	for _, p := range []int{2, 3, 5} {
		for n%p == 0 {
			n /= p
		}
	}
	return n
}

func sortTx(txs []tx) {
	slices.SortStableFunc(txs, func(a, b tx) int { return cmp.Compare(a.start, b.start) })
}

// --- chirper ---

type chirpPlan struct {
	c *Chirper
}

func chirpParams(c *Chirper) (bw float64, sf, syms int) {
	bw, sf, syms = c.BandwidthHz, c.SF, c.Symbols
	if bw == 0 {
		bw = 125e3
	}
	if sf == 0 {
		sf = 7
	}
	if syms == 0 {
		syms = 20
	}
	return
}

func chirpPacketLen(c *Chirper) time.Duration {
	bw, sf, syms := chirpParams(c)
	return seconds((8 + 2.25 + float64(syms)) * float64(int(1)<<sf) / bw)
}

func (cp chirpPlan) plan(st *stream, occ int) []tx {
	bw, _, _ := chirpParams(cp.c)
	t0 := st.startOf(occ)
	return []tx{{kind: kChirp, start: t0, end: t0 + chirpPacketLen(cp.c), freqHz: cp.c.FreqHz, bwHz: bw, powerDBm: cp.c.RxPowerDBm}}
}
