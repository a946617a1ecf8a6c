package sim

import (
	"bytes"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/cellwatch/cellwatch/pkg/detect"
)

// noisePower is the thermal plus quantisation noise of a plain sensor (FS 1).
func noisePower(s *Simulator) float64 {
	return s.lin(s.NoiseDBm(s.fs)) + 2*math.Pow(1/127.5, 2)/12
}

// burstDBm measures the received power (dBm) of x, noise removed.
func burstDBm(s *Simulator, x []complex128) float64 {
	return db(meanPower(x)-noisePower(s)) + s.fsDBm
}

// samplesOf returns the samples of x (starting at stream time t0) within [a, b).
func samplesOf(x []complex128, t0, a, b time.Duration) []complex128 {
	i := int((a - t0).Seconds() * fs)
	j := int((b - t0).Seconds() * fs)
	return x[max(i, 0):min(j, len(x))]
}

func TestGSMHoppingAndPowerControl(t *testing.T) {
	hop := []float64{897.4e6, 897.8e6, 898.2e6, 898.6e6}
	sc := quietScene()
	p := Phone{ID: "g", Tech: detect.GSM, X: 10, FreqHz: 898e6, TxPowerDBm: 9, PowerControl: true, HopFreqsHz: hop,
		Schedule: []Activity{{Kind: Call, Start: 10 * time.Millisecond, Duration: 10 * time.Second}}}
	// 33 dBm arrives at −80 dBm: well inside the 8-bit range.
	p.ExtraLossDB = 33 + 80 - sc.PathLossDB(p.X, p.Y, p.FreqHz)
	sc.Phones = []Phone{p}
	s := mustNew(t, sc)
	pl := sc.PathLossDB(p.X, p.Y, p.FreqHz) + p.ExtraLossDB
	s.Tune(898e6)
	tr := s.TruthBetween(0, 3*time.Second)
	x := run(s, 3*time.Second)

	// Access burst at MS_TXPWR_MAX_CCH on the BCCH channel.
	if r := tr[0]; r.Kind != KindGSMRACH || r.FreqHz != 898e6 || math.Abs(r.PowerDBm-(33-pl)) > 1e-9 {
		t.Errorf("RACH %+v, want 33 dBm − %.1f dB on 898 MHz", r, pl)
	}
	var first, last *TruthRecord
	used := map[float64]int{}
	prevFN := int64(-1)
	for i := 1; i < len(tr); i++ {
		r := &tr[i]
		fn := int64(math.Round((r.Start.Seconds() - tr[0].Start.Seconds()) / gsmFrame))
		used[r.FreqHz]++
		// cyclic hopping: consecutive frames step one place through the list
		if prevFN >= 0 && fn == prevFN+1 {
			a, b := indexOf(hop, tr[i-1].FreqHz), indexOf(hop, r.FreqHz)
			if a < 0 || b != (a+1)%len(hop) {
				t.Fatalf("frame %d on %.1f MHz after %.1f MHz: not the next of the hopping list", fn, r.FreqHz/1e6, tr[i-1].FreqHz/1e6)
			}
		}
		prevFN = fn
		if first == nil {
			first = r
		}
		last = r
	}
	for _, f := range hop {
		if used[f] < 20 {
			t.Errorf("hopping list channel %.1f MHz used %d times", f/1e6, used[f])
		}
	}
	// Dedicated channel: starts at 33 dBm, ends at the target after 2 dB / 60 ms.
	if d := first.PowerDBm + pl; math.Abs(d-33) > 1e-9 {
		t.Errorf("first SDCCH burst at %.1f dBm, want 33", d)
	}
	if d := last.PowerDBm + pl; math.Abs(d-9) > 1e-9 {
		t.Errorf("power-controlled burst at %.1f dBm, want 9", d)
	}
	// The rendered bursts carry those powers, each on its own channel.
	for _, r := range []TruthRecord{tr[0], *first, *last} {
		seg := samplesOf(x, 0, r.Start+20*time.Microsecond, r.End-20*time.Microsecond)
		psd := welch(seg, 240)
		k := 120 + int(math.Round((r.FreqHz-898e6)/10e3))
		got := burstDBm(s, seg)
		t.Logf("%s at %v on %.1f MHz: %.1f dBm measured, %.1f dBm truth", r.Kind, r.Start, r.FreqHz/1e6, got, r.PowerDBm)
		if math.Abs(got-r.PowerDBm) > 0.5 {
			t.Errorf("%s at %v: %.1f dBm, truth %.1f", r.Kind, r.Start, got, r.PowerDBm)
		}
		if peak := argmax(psd); math.Abs(float64(peak-k)) > 6 {
			t.Errorf("%s at %v: spectrum peak at bin %d, want %d (%.1f MHz)", r.Kind, r.Start, peak, k, r.FreqHz/1e6)
		}
	}
}

func indexOf(v []float64, x float64) int {
	for i, y := range v {
		if y == x {
			return i
		}
	}
	return -1
}

func argmax(v []float64) int {
	k := 0
	for i, x := range v {
		if x > v[k] {
			k = i
		}
	}
	return k
}

func TestSRS(t *testing.T) {
	sc, p := lteScene(3e6, 20, Activity{Kind: KeepAlive, Start: 5 * time.Millisecond})
	sc.Phones[0].SRSPeriod = 10 * time.Millisecond
	s := mustNew(t, sc)
	s.Tune(p.FreqHz)
	tr := s.TruthBetween(0, 3*time.Second)
	var srs []TruthRecord
	for _, r := range tr {
		if r.Kind == KindSRS {
			srs = append(srs, r)
		}
	}
	if len(srs) < 100 {
		t.Fatalf("%d SRS in 3 s of connected tail, want ≈ 1 per 10 ms", len(srs))
	}
	for i := 1; i < len(srs); i++ {
		if d := srs[i].Start - srs[i-1].Start; d%(10*time.Millisecond) != 0 {
			t.Fatalf("SRS %v after %v: not on the 10 ms period", srs[i].Start, srs[i-1].Start)
		}
	}
	r := srs[len(srs)/2]
	if d := r.End - r.Start; math.Abs(d.Seconds()-71.35e-6) > 0.1e-6 || r.Start%time.Millisecond != 1000*time.Microsecond-seconds(2192*lteTs) {
		t.Errorf("SRS %v…%v: want the last 71.35 µs of a subframe", r.Start, r.End)
	}
	if lo, hi := r.FreqHz-r.BandwidthHz/2, r.FreqHz+r.BandwidthHz/2; r.BandwidthHz != 12*180e3 || lo < p.FreqHz-6.5*180e3-1 || hi > p.FreqHz+6.5*180e3+1 {
		t.Errorf("SRS over %.0f kHz at %.3f MHz, want 12 RB inside the PUSCH region of a 15-RB carrier", r.BandwidthHz/1e3, r.FreqHz/1e6)
	}
	x := run(s, r.End+time.Millisecond)
	seg := samplesOf(x, 0, r.Start+3*time.Microsecond, r.End-3*time.Microsecond)
	got := burstDBm(s, seg)
	d := onTime(samplesOf(x, 0, r.Start-200*time.Microsecond, r.End+200*time.Microsecond), 10*2*s.sigma*s.sigma)
	t.Logf("SRS: %.1f dBm measured, truth %.1f; on %v", got, r.PowerDBm, d)
	if math.Abs(got-r.PowerDBm) > 1 {
		t.Errorf("SRS power %.1f dBm, truth %.1f", got, r.PowerDBm)
	}
	if math.Abs(d.Seconds()-71.35e-6) > 12e-6 {
		t.Errorf("SRS on for %v, want 71 µs", d)
	}
}

func TestUMTS(t *testing.T) {
	sc := quietScene()
	p := phoneAtSNR(sc, Phone{ID: "u", Tech: detect.UMTS, FreqHz: 907.6e6,
		Schedule: []Activity{{Kind: Call, Start: 10 * time.Millisecond, Duration: 2 * time.Second}}}, 0)
	p.TxPowerDBm += 10*math.Log10(3.84e6/180e3) + 10 // 10 dB over the noise in 3.84 MHz
	sc.Phones = []Phone{p}
	s := mustNew(t, sc)
	tr := s.TruthBetween(0, 20*time.Second)
	pre, frames, tail := 0, 0, 0
	for _, r := range tr {
		switch r.Kind {
		case KindUMTSPRACH:
			pre++
			if d := r.End - r.Start; math.Abs(d.Seconds()-4096/3.84e6) > 1e-6 {
				t.Errorf("preamble lasts %v, want 1.067 ms", d)
			}
		case KindUMTSFrame:
			frames++
			if r.Start%umtsFrame != 0 || r.End-r.Start != umtsFrame {
				t.Errorf("frame %v…%v off the 10 ms grid", r.Start, r.End)
			}
			if r.Start >= 2*time.Second+umtsSetup {
				tail++
			}
		default:
			t.Errorf("UMTS record kind %s", r.Kind)
		}
	}
	// 1–3 preambles; continuous frames from set-up to the end of the call
	// and through the 10 s inactivity tail.
	if pre < 1 || pre > 3 || frames < 1190 || tail < 990 {
		t.Errorf("%d preambles, %d frames (%d in the tail)", pre, frames, tail)
	}
	for i := 1; i < len(tr); i++ {
		if tr[i].Kind == KindUMTSFrame && tr[i-1].Kind == KindUMTSFrame && tr[i].Start != tr[i-1].End {
			t.Fatalf("gap between frames at %v", tr[i-1].End)
		}
	}
	// Spectrum: tuned 1.5 MHz above the centre, the capture holds the flat
	// top's upper part and the raised-cosine roll-off, whose −3 dB point is
	// Rc/2 = 1.92 MHz from the centre.
	s.Tune(p.FreqHz + 1.5e6)
	x := run(s, 1200*time.Millisecond)
	psd := welch(samplesOf(x, 0, 900*time.Millisecond, 1200*time.Millisecond), 240)
	noise := median(psd[225:235]) // 2.7 MHz from the centre: beyond the roll-off
	flat := median(psd[10:90]) - noise
	k := 60
	for k < 239 && psd[k+1]-noise > flat/2 {
		k++
	}
	edge := float64(k-120)*10e3 + 1.5e6
	t.Logf("UMTS: flat top %.1f dB over the noise, −3 dB edge %.2f MHz from the centre", db(flat/noise), edge/1e6)
	if math.Abs(edge-1.92e6) > 0.05e6 {
		t.Errorf("UMTS spectrum edge %.2f MHz from the centre, want 1.92 (3.84 Mcps, RRC 0.22)", edge/1e6)
	}
	// Power at the centre tune: 2.4 of the 3.84 MHz of the flat top.
	s2 := mustNew(t, sc)
	s2.Tune(p.FreqHz)
	y := run(s2, 700*time.Millisecond)
	var want float64
	for _, r := range s2.TruthBetween(300*time.Millisecond, 700*time.Millisecond) {
		want += math.Pow(10, r.PowerDBm/10) / 40
	}
	got := burstDBm(s2, samplesOf(y, 0, 300*time.Millisecond, 700*time.Millisecond))
	want = db(want) + 10*math.Log10(2.4e6/3.84e6)
	t.Logf("UMTS in the capture: %.2f dBm, want %.2f", got, want)
	if math.Abs(got-want) > 0.5 {
		t.Errorf("UMTS in the capture %.2f dBm, want %.2f", got, want)
	}
}

func TestNRCarrier(t *testing.T) {
	sc := quietScene()
	p := phoneAtSNR(sc, Phone{ID: "n", Tech: detect.NR, FreqHz: 708e6, BandwidthHz: 10e6,
		Schedule: []Activity{{Kind: Data, Start: 5 * time.Millisecond, Duration: 200 * time.Millisecond}}}, 20)
	sc.Phones = []Phone{p}
	s := mustNew(t, sc)
	for _, r := range s.TruthBetween(0, 3*time.Second) {
		if r.Tech != detect.NR {
			t.Fatalf("record %v", r)
		}
		lo, hi := r.FreqHz-r.BandwidthHz/2, r.FreqHz+r.BandwidthHz/2
		if lo < 708e6-52*90e3-1 || hi > 708e6+52*90e3+1 {
			t.Errorf("%s %v outside the 52 RB of a 10 MHz NR carrier", r.Kind, r)
		}
		if r.Kind == KindPUCCH {
			in := (52*90e3 - 90e3 - math.Abs(r.FreqHz-708e6)) / 180e3 // RBs in from the edge
			if in < -1e-6 || in > 3+1e-6 || math.Abs(in-math.Round(in)) > 1e-6 {
				t.Errorf("NR PUCCH %v is %.2f RBs in from the edge, want 0–3", r, in)
			}
		}
	}
}

func TestTetra(t *testing.T) {
	sc := quietScene()
	sc.Tetras = []Tetra{{Name: "t", FreqHz: 385.5125e6, Slot: 2, Start: 0, Duration: 500 * time.Millisecond, RxPowerDBm: -90}}
	s := mustNew(t, sc)
	s.Tune(385.5125e6)
	tr := s.TruthBetween(0, time.Second)
	if len(tr) < 8 || len(tr) > 9 {
		t.Fatalf("%d TETRA bursts in a 500 ms talk spurt, want 8–9 (one per 56.67 ms frame)", len(tr))
	}
	for i, r := range tr {
		if r.Kind != KindTetra || r.Tech != detect.Clutter || math.Abs((r.End-r.Start).Seconds()-231/18e3) > 1e-6 {
			t.Errorf("record %v", r)
		}
		if i > 0 && math.Abs((r.Start-tr[i-1].Start).Seconds()-4*255/18e3) > 1e-6 {
			t.Errorf("burst period %v, want 56.67 ms", r.Start-tr[i-1].Start)
		}
	}
	x := run(s, time.Second)
	r := tr[3]
	seg := samplesOf(x, 0, r.Start+time.Millisecond, r.End-time.Millisecond)
	got := burstDBm(s, seg)
	var all []complex128
	for _, b := range tr[:8] {
		all = append(all, samplesOf(x, 0, b.Start+time.Millisecond, b.End-time.Millisecond)...)
	}
	psd := welch(all, 2400) // 1 kHz bins
	w := widthAbove(psd, 1200, median(psd[1196:1205])/2)
	// the level between bursts is the noise
	gap := burstDBm(s, samplesOf(x, 0, r.End+time.Millisecond, tr[4].Start-time.Millisecond))
	t.Logf("TETRA burst %.1f dBm (truth %.1f), −3 dB width %.1f kHz, between bursts %.1f dBm", got, r.PowerDBm, w/1e3, gap)
	if math.Abs(got-r.PowerDBm) > 0.5 {
		t.Errorf("TETRA power %.1f dBm, want %.1f", got, r.PowerDBm)
	}
	if w < 14e3 || w > 22e3 {
		t.Errorf("TETRA −3 dB width %.1f kHz, want ≈ 18 (RRC 0.35 at 18 ksym/s)", w/1e3)
	}
	if gap > r.PowerDBm-20 {
		t.Errorf("TETRA between bursts %.1f dBm: not off", gap)
	}
}

func TestCarriers(t *testing.T) {
	for _, c := range []struct {
		kind      string
		bw        float64
		tune      float64 // relative to the carrier centre
		edge      float64 // expected −3 dB edge (relative to the centre), 0 = none
		inCapture float64 // fraction of the power inside the capture
	}{
		{CarrierLTEDL, 10e6, 4.5e6, 4.5e6, 0.5 * 2.4 / 9},
		{CarrierGSMDL, 0, 0, 80e3, 1},
		{CarrierCW, 0, 0, 0, 1},
		{CarrierLTEDL, 1.4e6, 0, 540e3, 1},
	} {
		sc := quietScene()
		sc.Carriers = []Carrier{{Name: "c", Kind: c.kind, FreqHz: 806e6, BandwidthHz: c.bw, RxPowerDBm: -85}}
		s := mustNew(t, sc)
		s.Tune(806e6 + c.tune)
		x := run(s, 300*time.Millisecond)
		got := burstDBm(s, x)
		want := -85 + 10*math.Log10(c.inCapture)
		t.Logf("%s %g: %.2f dBm in the capture, want %.2f", c.kind, c.bw, got, want)
		if math.Abs(got-want) > 0.6 {
			t.Errorf("%s %g: %.2f dBm in the capture, want %.2f", c.kind, c.bw, got, want)
		}
		if c.edge == 0 {
			continue
		}
		psd := welch(x, 240)
		ref, k := median(psd[125:130]), 125 // right of the empty DC subcarrier
		if c.tune != 0 {
			ref, k = median(psd[5:60]), 60
		}
		for k < 239 && psd[k+1] > ref/2 {
			k++
		}
		e := float64(k-120)*10e3 + c.tune
		if math.Abs(e-c.edge) > 25e3 {
			t.Errorf("%s %g: −3 dB edge at %.0f kHz from the centre, want %.0f", c.kind, c.bw, e/1e3, c.edge/1e3)
		}
	}
}

func TestReceiverImpairments(t *testing.T) {
	t.Run("gain and noise figure", func(t *testing.T) {
		for _, g := range []float64{49.6, 40.2, 20.7, 8.7} {
			sc := builtin(t, "noise-only")
			sc.Sensor.GainDB = g
			sc.Carriers = []Carrier{{Name: "off", Kind: CarrierCW, FreqHz: 100e6, RxPowerDBm: -150}} // the full chain
			s := mustNew(t, sc)
			x := run(s, 300*time.Millisecond)
			var m complex128
			for _, v := range x {
				m += v / complex(float64(len(x)), 0)
			}
			// variance: the offset-binary bytes' half-LSB bias is DC, not noise
			nf := db(meanPower(x)-real(m)*real(m)-imag(m)*imag(m)) + s.fsDBm + 174 - 10*math.Log10(fs)
			want := 10 * math.Log10(math.Pow(10, 0.6)+(1e3-1)/math.Pow(10, g/10))
			t.Logf("gain %4.1f dB: full scale %.1f dBm, measured NF %.1f dB (model %.1f, + quantisation)", g, s.fsDBm, nf, want)
			// Below ~35 dB the thermal noise is under 1 LSB and the 8-bit
			// quantiser sets the floor: the NF only gets worse than Friis.
			if nf < want-0.3 || g >= 40 && nf > want+0.6 {
				t.Errorf("gain %.1f dB: NF %.1f dB, want %.1f", g, nf, want)
			}
		}
	})
	t.Run("IQ imbalance image", func(t *testing.T) {
		sc := quietScene()
		sc.Sensor.IQGainDB, sc.Sensor.IQPhaseDeg = 0.3, 2
		sc.Carriers = []Carrier{{Name: "cw", Kind: CarrierCW, FreqHz: 806.3e6, RxPowerDBm: -80}}
		s := mustNew(t, sc)
		s.Tune(806e6)
		psd := welch(run(s, 300*time.Millisecond), 2400)
		irr := db(psd[1200+300] / psd[1200-300])
		t.Logf("image rejection %.1f dB (model %.1f)", irr, s.IQImageRejectionDB())
		if math.Abs(irr-s.IQImageRejectionDB()) > 1 || irr < 25 || irr > 40 {
			t.Errorf("image rejection %.1f dB, model %.1f", irr, s.IQImageRejectionDB())
		}
	})
	t.Run("edge droop", func(t *testing.T) {
		sc := quietScene()
		sc.Sensor.EdgeDroop = true
		sc.Sensor.FullScaleDBm = -80 // noise well above the LSB
		s := mustNew(t, sc)
		psd := welch(run(s, 500*time.Millisecond), 240)
		lvl := func(f float64) float64 {
			k := 120 + int(f/10e3)
			return db((psd[k-1] + psd[k] + psd[k+1]) / 3 / median(psd[100:140]))
		}
		t.Logf("noise at ±720 kHz %.2f/%.2f dB, ±960 kHz %.2f/%.2f dB, ±1.08 MHz %.2f/%.2f dB", lvl(-720e3), lvl(720e3), lvl(-960e3), lvl(960e3), lvl(-1080e3), lvl(1080e3))
		for _, c := range []struct{ f, lo, hi float64 }{{720e3, -0.4, 0.4}, {960e3, -3.5, -1.5}, {1080e3, -8.5, -5}} {
			for _, f := range []float64{-c.f, c.f} {
				if l := lvl(f); l < c.lo || l > c.hi {
					t.Errorf("droop at %.0f kHz: %.2f dB, want %g…%g", f/1e3, l, c.lo, c.hi)
				}
			}
		}
	})
	t.Run("settling after a retune", func(t *testing.T) {
		sc := quietScene()
		sc.Sensor.SettleTau = 300 * time.Microsecond
		sc.Carriers = []Carrier{{Name: "cw", Kind: CarrierCW, FreqHz: 806.2e6, RxPowerDBm: -80}}
		s := mustNew(t, sc)
		s.Tune(806e6)
		run(s, 10*time.Millisecond)
		s.Tune(806.1e6)
		x := run(s, 20*time.Millisecond)
		// the DC step decays: mean of the first 100 µs vs after 3 ms
		mean := func(a, b time.Duration) float64 {
			var m complex128
			seg := samplesOf(x, 10*time.Millisecond, 10*time.Millisecond+a, 10*time.Millisecond+b)
			for _, v := range seg {
				m += v
			}
			return db(math.Pow(real(m)/float64(len(seg)), 2) + math.Pow(imag(m)/float64(len(seg)), 2))
		}
		early, settled := mean(0, 50*time.Microsecond), mean(3*time.Millisecond, 10*time.Millisecond)
		t.Logf("DC: %.1f dBFS in the first 50 µs after the retune, %.1f dBFS after 3 ms", early, settled)
		if early < -23 || settled > -35 {
			t.Errorf("retune transient: DC %.1f dBFS early, %.1f dBFS settled", early, settled)
		}
	})
	t.Run("8-bit clipping", func(t *testing.T) {
		sc, p := gsmScene(60) // −54 dBm: 13 dB over full scale
		s := mustNew(t, sc)
		s.Tune(p.FreqHz)
		x := run(s, 2*time.Second)
		clipped := 0
		for _, v := range x {
			if math.Abs(real(v)) >= 1 || math.Abs(imag(v)) >= 1 {
				clipped++
			}
		}
		t.Logf("%d of %d samples at full scale", clipped, len(x))
		if clipped < len(x)/100 {
			t.Errorf("a %.0f dBm signal over a %.0f dBm full scale clipped only %d samples", p.TxPowerDBm-sc.PathLossDB(p.X, p.Y, p.FreqHz), s.fsDBm, clipped)
		}
	})
}

func TestBehaviour(t *testing.T) {
	sc := quietScene(
		Phone{ID: "ka", Tech: detect.LTE, X: 5, FreqHz: 847e6, BandwidthHz: 10e6, TxPowerDBm: -10,
			Schedule: []Activity{{Kind: KeepAlive, Start: time.Second, Every: 30 * time.Second}}},
		Phone{ID: "tau", Tech: detect.LTE, X: 5, FreqHz: 837e6, BandwidthHz: 10e6, TxPowerDBm: -10,
			Schedule: []Activity{{Kind: Update, Start: 2 * time.Second, Every: 54 * time.Minute}}},
		Phone{ID: "lu", Tech: detect.GSM, X: 5, FreqHz: 898e6, TxPowerDBm: 10,
			Schedule: []Activity{{Kind: Update, Start: 3 * time.Second, Every: 30 * time.Minute}}},
		Phone{ID: "idle", Tech: detect.LTE, X: 5, FreqHz: 857e6, BandwidthHz: 10e6},
	)
	s := mustNew(t, sc)
	acts := s.ActivitiesBetween(0, 2*time.Minute)
	by := map[string][]ActivityRecord{}
	for _, a := range acts {
		by[a.Emitter] = append(by[a.Emitter], a)
	}
	if len(by["idle"]) != 0 {
		t.Errorf("idle phone active: %v", by["idle"])
	}
	if n := len(by["ka"]); n != 4 {
		t.Errorf("%d keep-alives in 2 min at 30 s, want 4", n)
	}
	for _, a := range append(by["ka"], by["tau"]...) {
		// a short exchange, then the ~10 s connected tail (domain.md §3)
		if d := a.End - a.Start; d < 9*time.Second || d > 11*time.Second {
			t.Errorf("%s %s occurrence %d lasts %v, want ≈ 10 s of tail", a.Emitter, a.Kind, a.Occurrence, d)
		}
	}
	if len(by["tau"]) != 1 || len(by["lu"]) != 1 {
		t.Errorf("periodic updates: %d TAU, %d LU in 2 min, want 1 each", len(by["tau"]), len(by["lu"]))
	}
	tr := s.TruthBetween(0, 2*time.Minute)
	var kaPUSCH, luBursts int
	for _, r := range tr {
		if r.Emitter == "ka" && r.Kind == KindLTESubframe && r.Start < 2*time.Second {
			kaPUSCH++
		}
		if r.Emitter == "lu" {
			luBursts++
		}
	}
	if kaPUSCH < 2 || kaPUSCH > 4 {
		t.Errorf("keep-alive sent %d PUSCH subframes (Msg3 + 1–3), want 2–4", kaPUSCH)
	}
	if luBursts != 1+3*4 {
		t.Errorf("GSM location update: %d bursts, want RACH + 3 × 4 SDCCH", luBursts)
	}
}

func TestMultiSensorTruth(t *testing.T) {
	sc, err := LoadFile("../../configs/scenes/block-large.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var first []float64
	for i, se := range sc.SensorList() {
		if i == 2 || i > 3 {
			continue // A1, A2 (the phone's zone) and B1 are enough
		}
		one, err := sc.ForSensor(se.Name)
		if err != nil {
			t.Fatal(err)
		}
		s := mustNew(t, one)
		var rec TruthRecord
		for _, r := range s.TruthBetween(0, 10*time.Second) {
			if r.Emitter == "a-lte-data" && r.Kind == KindPRACH {
				rec = r
				break
			}
		}
		p := s.PowerAtSensors(rec)
		if math.Abs(p[i]-rec.PowerDBm) > 1e-9 {
			t.Errorf("sensor %s: its own truth %.2f dBm, PowerAtSensors %.2f", se.Name, rec.PowerDBm, p[i])
		}
		if first == nil {
			first = p
		}
		for j := range p {
			if math.Abs(p[j]-first[j]) > 1e-9 {
				t.Fatalf("sensor %s: PowerAtSensors %v, sensor 0 said %v", se.Name, p, first)
			}
		}
		// The rendered preamble at this sensor has the truth's power where
		// it is neither clipped nor buried.
		s.Tune(rec.FreqHz)
		x := run(s, rec.End+time.Millisecond)
		body := samplesOf(x, 0, rec.Start+110*time.Microsecond, rec.End-10*time.Microsecond)
		quiet := samplesOf(x, 0, rec.Start-3*time.Millisecond, rec.Start-time.Millisecond)
		got := db(meanPower(body)-meanPower(quiet)) + s.fsDBm
		t.Logf("sensor %s (zone %s): PRACH of a phone in zone A2: %.1f dBm measured, %.1f dBm truth (full scale %.1f)", se.Name, se.Zone, got, rec.PowerDBm, s.fsDBm)
		if rec.PowerDBm < s.fsDBm-12 && rec.PowerDBm > s.NoiseDBm(1.05e6)+3 && math.Abs(got-rec.PowerDBm) > 1 {
			t.Errorf("sensor %s: PRACH %.1f dBm, truth %.1f", se.Name, got, rec.PowerDBm)
		}
	}
	// the phone is heard best by its own zone's sensor
	best := 0
	for j := range first {
		if first[j] > first[best] {
			best = j
		}
	}
	if sc.SensorList()[best].Zone != "A2" {
		t.Errorf("a-lte-data (zone A2) is loudest at sensor %s", sc.SensorList()[best].Name)
	}
}

func indexOfSensor(sc *Scene, name string) int {
	for i, se := range sc.SensorList() {
		if se.Name == name {
			return i
		}
	}
	return -1
}

func TestChainDeterminism(t *testing.T) {
	// corridor-live with both tamper events inside the driven 1.6 s
	sc := liveWith(Event{Kind: EventJammer, At: 300 * time.Millisecond, Until: 1200 * time.Millisecond, LowHz: 840e6, HighHz: 900e6},
		Event{Kind: EventAntennaCut, At: time.Second})
	a := drive(mustNew(t, sc), 1<<20)
	b := drive(mustNew(t, sc), 3001)
	if !bytes.Equal(a, b) {
		t.Error("different read sizes gave different bytes")
	}
	other := *sc
	other.Seed++
	if bytes.Equal(a, drive(mustNew(t, &other), 1<<20)) {
		t.Error("different seeds gave the same bytes")
	}
}

func TestSensorsHaveTheirOwnNoise(t *testing.T) {
	sc, err := LoadFile("../../configs/scenes/block-large.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var streams [][]complex128
	for _, se := range sc.SensorList()[:2] {
		one, _ := sc.ForSensor(se.Name)
		s := mustNew(t, one)
		s.Tune(100e6)              // nothing on the air
		run(s, 5*time.Millisecond) // past the retune transient
		x := run(s, 25*time.Millisecond)
		var m complex128
		for _, v := range x {
			m += v / complex(float64(len(x)), 0)
		}
		for i := range x {
			x[i] -= m // the DC offsets and the bytes' half-LSB bias
		}
		streams = append(streams, x)
	}
	var c complex128
	for i := range streams[0] {
		c += streams[0][i] * complex(real(streams[1][i]), -imag(streams[1][i]))
	}
	rho := math.Sqrt(real(c)*real(c)+imag(c)*imag(c)) / float64(len(streams[0])) / math.Sqrt(meanPower(streams[0])*meanPower(streams[1]))
	t.Logf("correlation of two sensors' noise: %.3f", rho)
	if rho > 0.05 {
		t.Errorf("two sensors' noise correlates %.2f", rho)
	}
}

// TestPathLossMatchesDomain checks the log-distance model with exponent 2
// against the free-space table of domain.md §4.1, and a wall's loss.
func TestPathLossMatchesDomain(t *testing.T) {
	sc := &Scene{PathLossExponent: 2, Walls: []Wall{{X1: 2, Y1: -5, X2: 2, Y2: 5, LossDB: 15}}}
	se := Sensor{}
	table := map[float64][]float64{ // f MHz: 1, 3, 10, 30, 300 m
		700: {29.4, 38.9, 49.4, 58.9, 78.9}, 900: {31.5, 41.1, 51.5, 61.1, 81.1}, 1750: {37.3, 46.9, 57.3, 66.9, 86.9},
	}
	for f, want := range table {
		for i, d := range []float64{1, 3, 10, 30, 300} {
			got := sc.PathLossAtDB(se, 0, d, f*1e6)
			if math.Abs(got-want[i]) > 0.06 {
				t.Errorf("%g MHz, %g m: %.2f dB, domain.md says %.1f", f, d, got, want[i])
			}
		}
	}
	// 3 m through one 15 dB wall at 900 MHz: domain.md §4.2's ~56 dB.
	if got := sc.PathLossAtDB(se, 3, 0, 900e6); math.Abs(got-56.1) > 0.1 {
		t.Errorf("3 m + wall at 900 MHz: %.1f dB, want 56.1", got)
	}
}

func TestChirpPacket(t *testing.T) {
	sc := quietScene()
	sc.Chirpers = []Chirper{{Name: "lora", FreqHz: 868.1e6, SF: 7, Symbols: 20, Start: 10 * time.Millisecond, Period: time.Second, RxPowerDBm: -100}}
	s := mustNew(t, sc)
	s.Tune(868.1e6)
	tr := s.TruthBetween(0, time.Second)
	if len(tr) != 1 {
		t.Fatalf("truth %v", tr)
	}
	r := tr[0]
	if want := (8 + 2.25 + 20) * 128 / 125e3; math.Abs((r.End-r.Start).Seconds()-want) > 1e-6 {
		t.Errorf("packet lasts %v, want %.2f ms", r.End-r.Start, want*1e3)
	}
	x := run(s, 100*time.Millisecond)
	body := samplesOf(x, 0, r.Start, r.End)
	psd := welch(body, 240)
	w := widthAbove(psd, 120, median(psd[110:130])/2)
	got := burstDBm(s, body)
	t.Logf("chirp: %.1f dBm (truth %.1f), −3 dB width %.0f kHz, %v", got, r.PowerDBm, w/1e3, r.End-r.Start)
	if math.Abs(got-r.PowerDBm) > 0.5 || math.Abs(w-125e3) > 20e3 {
		t.Errorf("chirp %.1f dBm over %.0f kHz, want %.1f dBm over 125 kHz", got, w/1e3, r.PowerDBm)
	}
}

func TestGSMDTX(t *testing.T) {
	sc, p := gsmScene(30)
	sc.Phones[0].DTX = true
	sc.Phones[0].Schedule[0].Duration = 70 * time.Second
	s := mustNew(t, sc)
	tr := s.TruthBetween(2*time.Second, 62*time.Second)
	// Bursts per 480 ms window (104 frames): ~100 while talking, 12 in a pause.
	counts := map[int64]int{}
	for _, r := range tr {
		counts[int64((r.Start.Seconds())/(104*gsmFrame))]++
	}
	var talk, pause, other int
	for w, n := range counts {
		if t0 := float64(w) * 104 * gsmFrame; t0 < 2.5 || t0 > 61 {
			continue // partial windows
		}
		switch {
		case n >= 96:
			talk++
		case n == 12:
			pause++
		default:
			other++
		}
	}
	frac := float64(len(tr)) / (60 / gsmFrame * 25 / 26)
	t.Logf("DTX: %d bursts in 60 s (%.0f %% of full rate); 480 ms windows: %d talking, %d silent, %d mixed", len(tr), 100*frac, talk, pause, other)
	if pause < 10 || talk < 5 || frac < 0.3 || frac > 0.6 {
		t.Errorf("DTX: %d talking and %d silent windows, %.0f %% of the bursts of full rate", talk, pause, 100*frac)
	}
	for _, r := range tr {
		if r.FreqHz != p.FreqHz || r.Kind != KindGSMBurst {
			t.Fatalf("record %v", r)
		}
	}
}

func TestLargeGrants(t *testing.T) {
	sc, _ := lteScene(10e6, 10, Activity{Kind: Data, Duration: 5 * time.Second})
	sc.Phones[0].MaxRBs = 48
	s := mustNew(t, sc)
	sizes := map[int]bool{}
	for _, r := range s.TruthBetween(0, 5*time.Second) {
		if r.Kind != KindLTESubframe {
			continue
		}
		n := int(math.Round(r.BandwidthHz / 180e3))
		if n > 48 || smooth235(n) != 1 {
			t.Errorf("grant of %d RB", n)
		}
		sizes[n] = true
	}
	if !sizes[48] || !sizes[45] || len(sizes) < 20 {
		t.Errorf("grant sizes %v: want the 2^a·3^b·5^c sizes up to 48", sizes)
	}
}

func TestShadowing(t *testing.T) {
	sc := quietScene()
	sc.Sensors = []Sensor{{Name: "a", X: 0}, {Name: "b", X: 20}}
	sc.Sensor = sc.Sensors[0]
	for i := range 200 {
		sc.Phones = append(sc.Phones, Phone{ID: fmt.Sprintf("p%d", i), Tech: detect.LTE, X: 10, Y: 5, FreqHz: 847e6, BandwidthHz: 10e6})
	}
	sc.ShadowingDB = 4
	s := mustNew(t, sc)
	var d []float64
	for _, e := range s.Emitters() {
		// both links are 11.2 m: the difference is the shadowing alone
		d = append(d, e.PerSensor[0].PathLossDB-e.PerSensor[1].PathLossDB)
		if e.PathLossDB != e.PerSensor[0].PathLossDB {
			t.Fatalf("%s: rendered path loss %.2f, link to a %.2f", e.ID, e.PathLossDB, e.PerSensor[0].PathLossDB)
		}
	}
	var m, v float64
	for _, x := range d {
		m += x / float64(len(d))
	}
	for _, x := range d {
		v += (x - m) * (x - m) / float64(len(d)-1)
	}
	sd := math.Sqrt(v / 2) // the difference of two independent N(0, σ)
	t.Logf("shadowing: mean link difference %.2f dB, σ %.2f dB (want 0, 4)", m, sd)
	if math.Abs(m) > 1 || math.Abs(sd-4) > 0.6 {
		t.Errorf("shadowing σ %.2f dB, mean %.2f dB; want 4 and 0", sd, m)
	}
	again := mustNew(t, sc)
	if again.Emitters()[7].PerSensor[1].PathLossDB != s.Emitters()[7].PerSensor[1].PathLossDB {
		t.Error("shadowing is not fixed by the seed")
	}
}
