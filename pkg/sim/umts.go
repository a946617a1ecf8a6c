package sim

import (
	"math"
	"math/rand/v2"
	"time"
)

// UMTS uplink (TS 25.211/25.214; domain.md §2, §3): a phone that needs the
// network sends PRACH preambles of 4096 chips (1.07 ms) on the access-slot
// grid (5120 chips), ramping 1 dB each until acquired, then, once RRC puts
// it in CELL_DCH, a continuous DPCCH/DPDCH: 10 ms radio frames whose power
// the 1500 Hz inner loop keeps wandering by about ±1 dB. After its data it
// stays in CELL_DCH for the inactivity timer with DPCCH only (~6 dB less).
const (
	umtsFrame       = 10 * time.Millisecond
	umtsAccessSlot  = 5120 / umtsChipRate // s
	umtsPreamble    = 4096 / umtsChipRate // s
	umtsSetup       = 200 * time.Millisecond
	umtsTailDropDB  = 6
	umtsRampStepDB  = 1
	umtsPreambleGap = 3 // access slots between preambles
)

func (pp *phonePlan) umtsActiveLen(a Activity) time.Duration {
	switch a.Kind {
	case SMS:
		return 2 * time.Second
	case Update:
		return time.Second
	case KeepAlive:
		return 500 * time.Millisecond
	}
	return a.Duration
}

func (pp *phonePlan) planUMTS(r *rand.Rand, st *stream, occ int) []tx {
	a := st.act
	t0 := st.startOf(occ)
	var next time.Duration = -1
	connected := false
	if a.Every > 0 {
		next = st.startOf(occ + 1)
		connected = occ > 0 && umtsSetup+pp.umtsActiveLen(a)+pp.tail() > a.Every
	}
	var txs []tx
	dch := t0
	if !connected {
		n := 1 + r.IntN(3)
		as := math.Ceil(t0.Seconds() / umtsAccessSlot)
		for i := range n {
			s := (as + float64(i*umtsPreambleGap)) * umtsAccessSlot
			txs = append(txs, tx{kind: kUMTSPRACH, start: seconds(s), end: seconds(s + umtsPreamble),
				freqHz: pp.p.FreqHz, bwHz: 5e6, powerDBm: pp.p.TxPowerDBm - float64(n-1-i)*umtsRampStepDB - pp.rxDB})
		}
		dch = t0 + umtsSetup
	}
	dataEnd := dch + pp.umtsActiveLen(a)
	end := dataEnd + pp.tail()
	if next >= 0 && end > next {
		end = next
	}
	for f := (dch + umtsFrame - 1) / umtsFrame; (f+1)*umtsFrame <= end; f++ {
		p := pp.p.TxPowerDBm + math.Max(-3, math.Min(3, r.NormFloat64()))
		if f*umtsFrame >= dataEnd {
			p -= umtsTailDropDB
		}
		txs = append(txs, tx{kind: kUMTS, start: f * umtsFrame, end: (f + 1) * umtsFrame,
			freqHz: pp.p.FreqHz, bwHz: 5e6, powerDBm: math.Min(p, umtsMaxPowerDBm) - pp.rxDB})
	}
	return txs
}

// umtsMaxPowerDBm is power class 3 (TS 25.101 §6.2).
const umtsMaxPowerDBm = 24.0

// renderUMTS adds a UMTS frame or preamble: band-limited noise with the
// WCDMA raised-cosine spectrum, continuous across frames of one emitter.
func (s *Simulator) renderUMTS(seg []complex128, n0 int64, t *tx, e *emitter) {
	h := (1 + umtsRollOff) * umtsChipRate / 2
	src := &wideSource{id: e.id, fc: t.freqHz, lo: -h, hi: h, shape: shapeRC,
		toneDBm: t.powerDBm - 10*math.Log10(umtsChipRate/15e3), from: t.start, till: t.end}
	s.addWide(seg, n0, src)
}
