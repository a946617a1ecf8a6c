package sim

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/cellwatch/cellwatch/pkg/detect"
)

func mustNew(t testing.TB, sc *Scene) *Simulator {
	t.Helper()
	s, err := New(sc, fs)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func builtin(t testing.TB, name string) *Scene {
	t.Helper()
	sc, err := Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// drive runs a fixed sequence of tunes and odd-sized reads.
func drive(s *Simulator, chunk int) []byte {
	var out []byte
	for _, step := range []struct {
		f float64
		n int
	}{{898.0e6, 700_001}, {847.5e6, 2_400_000}, {892.0e6, 123_457}, {1745e6, 600_000}} {
		s.Tune(step.f)
		for left := step.n; left > 0; {
			n := min(left, chunk)
			b := make([]byte, 2*n)
			s.Generate(b)
			out = append(out, b...)
			left -= n
		}
	}
	return out
}

func TestDeterminism(t *testing.T) {
	a := drive(mustNew(t, builtin(t, "corridor-small")), 1<<20)
	b := drive(mustNew(t, builtin(t, "corridor-small")), 1<<20)
	if !bytes.Equal(a, b) {
		t.Fatal("same scene, seed and calls gave different bytes")
	}
	// The stream does not depend on how it is cut into Generate calls.
	c := drive(mustNew(t, builtin(t, "corridor-small")), 4099)
	if !bytes.Equal(a, c) {
		t.Fatal("different read sizes gave different bytes")
	}
	sc := builtin(t, "corridor-small")
	sc.Seed = 2
	d := drive(mustNew(t, sc), 1<<20)
	if bytes.Equal(a, d) {
		t.Fatal("different seeds gave the same bytes")
	}
}

func TestTruthIndependentOfTuning(t *testing.T) {
	a := mustNew(t, builtin(t, "corridor-small"))
	b := mustNew(t, builtin(t, "corridor-small"))
	drive(a, 1<<20)
	b.Tune(100e6)
	run(b, a.Now())
	if ta, tb := a.Truth(), b.Truth(); !slices.Equal(ta, tb) || len(ta) == 0 {
		t.Fatalf("truth depends on tuning: %d vs %d records", len(ta), len(tb))
	}
	fresh := mustNew(t, builtin(t, "corridor-small"))
	if !slices.Equal(a.TruthBetween(0, 20*time.Second), fresh.TruthBetween(0, 20*time.Second)) {
		t.Fatal("pre-scheduled truth differs from truth after running")
	}
	for _, r := range a.Truth() {
		if r.Start >= a.Now() {
			t.Fatalf("Truth() returned %v starting after Now %v", r, a.Now())
		}
	}
}

func gsmScene(snr float64) (*Scene, Phone) {
	sc := quietScene()
	p := phoneAtSNR(sc, Phone{ID: "g", Tech: detect.GSM, FreqHz: 898e6,
		Schedule: []Activity{{Kind: Call, Duration: 10 * time.Second}}}, snr)
	sc.Phones = []Phone{p}
	return sc, p
}

// edges returns the rising and falling threshold crossings (s) of the
// wideband power of x (smoothed over 11 samples), x starting at t0.
func edges(x []complex128, t0 time.Duration, thr float64) (rise, fall []float64) {
	const w = 11
	on := false
	var acc float64
	for i, v := range x {
		acc += real(v)*real(v) + imag(v)*imag(v)
		if i >= w {
			u := x[i-w]
			acc -= real(u)*real(u) + imag(u)*imag(u)
		}
		if i < w {
			continue
		}
		t := t0.Seconds() + (float64(i)-w/2)/fs
		if p := acc / w; !on && p > thr {
			on = true
			rise = append(rise, t)
		} else if on && p < thr {
			on = false
			fall = append(fall, t)
		}
	}
	return
}

func TestGSMBurstTiming(t *testing.T) {
	sc, p := gsmScene(35)
	s := mustNew(t, sc)
	s.Tune(p.FreqHz + 400e3)
	from, to := 2*time.Second, 2200*time.Millisecond
	run(s, from)
	x := run(s, to)
	amp2 := s.lin(p.TxPowerDBm - sc.PathLossDB(p.X, p.Y, p.FreqHz))
	rise, fall := edges(x, from, amp2/4+2*s.sigma*s.sigma)
	if len(rise) < 40 {
		t.Fatalf("only %d bursts in 200 ms of call", len(rise))
	}
	var periods []float64
	for i := range len(fall) {
		if fall[i] < rise[i] {
			t.Fatal("edges out of order")
		}
		if w := (fall[i] - rise[i]) * 1e6; math.Abs(w-576.9) > 10 {
			t.Errorf("burst %d: on for %.1f µs, want 576.9 ± 10", i, w)
		}
		if i > 0 {
			periods = append(periods, (rise[i]-rise[i-1])*1e6)
		}
	}
	if m := median(periods); math.Abs(m-4615.4) > 5 {
		t.Errorf("median burst period %.1f µs, want 4615.4", m)
	}
	for _, d := range periods {
		if math.Abs(d-4615.4) > 10 && math.Abs(d-2*4615.4) > 10 { // idle frame of the 26-multiframe
			t.Errorf("burst period %.1f µs, want 4615.4 (or twice, at the idle frame)", d)
		}
	}
	duty := 0.0
	for i := range fall {
		duty += fall[i] - rise[i]
	}
	duty /= (to - from).Seconds()
	t.Logf("%d bursts, median period %.1f µs, duty %.3f", len(rise), median(periods), duty)
	if duty < 0.115 || duty > 0.125 {
		t.Errorf("duty %.3f, want ≈ 1/8 less the idle frames (0.120)", duty)
	}
	// the measured bursts are where truth says
	tr := s.TruthBetween(from, to)
	k := 0
	for _, r := range tr {
		if r.Start >= from && r.End <= to {
			if k >= len(rise) || math.Abs(rise[k]-r.Start.Seconds()) > 10e-6 {
				t.Fatalf("truth burst %v has no measured burst", r)
			}
			k++
		}
	}
}

func TestGSMRACH(t *testing.T) {
	sc, p := gsmScene(35)
	s := mustNew(t, sc)
	s.Tune(p.FreqHz)
	x := run(s, 10*time.Millisecond)
	amp2 := s.lin(p.TxPowerDBm - sc.PathLossDB(p.X, p.Y, p.FreqHz))
	rise, fall := edges(x, 0, amp2/4+2*s.sigma*s.sigma)
	tr := s.TruthBetween(0, 10*time.Millisecond)
	if len(tr) != 1 || tr[0].Kind != KindGSMRACH || len(rise) != 1 || len(fall) != 1 {
		t.Fatalf("want one RACH burst, truth %v, measured %d", tr, len(rise))
	}
	if w := (fall[0] - rise[0]) * 1e6; math.Abs(w-88/gsmBitRate*1e6) > 10 {
		t.Errorf("RACH on for %.1f µs, want 324.9", w)
	}
}

func TestGSMSpectrum(t *testing.T) {
	sc, p := gsmScene(35)
	s := mustNew(t, sc)
	const off = -400e3
	s.Tune(p.FreqHz - off)
	from, to := 2*time.Second, 2500*time.Millisecond
	run(s, from)
	x := run(s, to)
	const nfft = 240 // 10 kHz bins, as the daemon sees it (domain.md §2.1)
	psd := make([]float64, nfft)
	for _, r := range s.TruthBetween(from, to) {
		i, j := int((r.Start-from+20*time.Microsecond).Seconds()*fs), int((r.End-from-20*time.Microsecond).Seconds()*fs)
		if i < 0 || j > len(x) {
			continue
		}
		for k, v := range welch(x[i:j], nfft) {
			psd[k] += v
		}
	}
	sm := make([]float64, nfft) // 3-bin moving average
	for i := range sm {
		for j := max(0, i-1); j <= min(nfft-1, i+1); j++ {
			sm[i] += psd[j] / 3
		}
	}
	c := nfft/2 + int(math.Round(off/fs*nfft))
	peak := slices.Max(sm[c-5 : c+5])
	w := widthAbove(sm, c, peak/2)
	// 99 % occupied bandwidth, noise floor (median of the far bins) removed
	floor := median(psd[c+60 : c+110])
	var total float64
	for k := c - 50; k <= c+50; k++ {
		total += psd[k] - floor
	}
	k, acc := 0, psd[c]-floor
	for ; acc < 0.99*total; k++ {
		acc += psd[c-k-1] + psd[c+k+1] - 2*floor
	}
	obw := float64(2*k+1) * fs / nfft
	t.Logf("GSM −3 dB width %.0f kHz, 99 %% power in %.0f kHz", w/1e3, obw/1e3)
	// GMSK BT 0.3 at 270.833 kbit/s: −3 dB ≈ ±0.2·R = 110 kHz (+ the 10 kHz
	// RBW), 99 % power in 0.92·R = 249 kHz (Murota & Hirade 1981).
	if w < 100e3 || w > 150e3 {
		t.Errorf("GSM −3 dB width %.0f kHz, want 100–150", w/1e3)
	}
	if obw < 220e3 || obw > 280e3 {
		t.Errorf("GSM 99 %% bandwidth %.0f kHz, want ≈ 250", obw/1e3)
	}
	// −30 dB or more at ±400 kHz (mask: −60 dB)
	if r := sm[c+int(math.Round(400e3/fs*nfft))] / peak; db(r) > -30 {
		t.Errorf("GSM at +400 kHz only %.1f dB below peak", db(r))
	}
}

func lteScene(bw, snr float64, acts ...Activity) (*Scene, Phone) {
	sc := quietScene()
	p := phoneAtSNR(sc, Phone{ID: "l", Tech: detect.LTE, FreqHz: 847e6, BandwidthHz: bw, Schedule: acts}, snr)
	sc.Phones = []Phone{p}
	return sc, p
}

// isolated reports whether no other record of tr overlaps [r.Start−g, r.End+g).
func isolated(tr []TruthRecord, r TruthRecord, g time.Duration) bool {
	for _, o := range tr {
		if o != r && o.Start < r.End+g && o.End > r.Start-g {
			return false
		}
	}
	return true
}

// onTime measures how long the wideband power of x exceeds thr, in 10 µs
// windows, from the first to the last window above.
func onTime(x []complex128, thr float64) time.Duration {
	const w = 24
	first, last := -1, -1
	for i := 0; i+w <= len(x); i += w {
		if meanPower(x[i:i+w]) > thr {
			if first < 0 {
				first = i
			}
			last = i + w
		}
	}
	return time.Duration(float64(last-first) / fs * 1e9)
}

func TestLTESubframe(t *testing.T) {
	sc, _ := lteScene(10e6, 25, Activity{Kind: Data, Duration: 3 * time.Second})
	s := mustNew(t, sc)
	tr := s.TruthBetween(0, 3*time.Second)
	checked := map[float64]bool{}
	for _, r := range tr {
		if r.Kind != KindLTESubframe || r.BandwidthHz < 3*180e3 || checked[r.BandwidthHz] || !isolated(tr, r, time.Millisecond) || r.Start < s.Now() {
			continue
		}
		checked[r.BandwidthHz] = true
		if r.End-r.Start != time.Millisecond {
			t.Errorf("subframe lasts %v", r.End-r.Start)
		}
		nrb := math.Round(r.BandwidthHz / 180e3)
		if rem := math.Mod(r.FreqHz-847e6-nrb*90e3+4.5e6, 180e3); math.Abs(rem) > 1 && math.Abs(rem-180e3) > 1 {
			t.Errorf("allocation %v not on the RB grid", r)
		}
		s.Tune(r.FreqHz)
		run(s, r.Start-300*time.Microsecond)
		x := run(s, r.End+300*time.Microsecond)
		body := x[int(300e-6*fs) : len(x)-int(300e-6*fs)]
		psd := welch(body, 240)
		in := psd[120-int(r.BandwidthHz/2/10e3)+2 : 120+int(r.BandwidthHz/2/10e3)-2]
		lvl := median(in)
		w := widthAbove(psd, 120, lvl/2)
		var dev float64
		for _, v := range in {
			dev = max(dev, math.Abs(db(v/lvl)))
		}
		d := onTime(x, 10*2*s.sigma*s.sigma)
		t.Logf("%2.0f RB: −3 dB width %.0f kHz (want %.0f), in-band ripple ±%.1f dB, on %v", nrb, w/1e3, r.BandwidthHz/1e3, dev, d)
		if math.Abs(w-r.BandwidthHz) > 30e3 {
			t.Errorf("%v RB: width %.0f kHz, want %.0f", nrb, w/1e3, r.BandwidthHz/1e3)
		}
		if dev > 4 {
			t.Errorf("%v RB: in-band ripple ±%.1f dB, want flat", nrb, dev)
		}
		if d < 980*time.Microsecond || d > 1020*time.Microsecond {
			t.Errorf("%v RB: on for %v, want 1 ms", nrb, d)
		}
	}
	if len(checked) < 3 {
		t.Fatalf("only %d allocation sizes checked", len(checked))
	}
}

func TestPRACH(t *testing.T) {
	sc, _ := lteScene(10e6, 25, Activity{Kind: SMS, Start: 5 * time.Millisecond})
	s := mustNew(t, sc)
	r := s.TruthBetween(0, 10*time.Millisecond)[0]
	if r.Kind != KindPRACH || r.Start != 5*time.Millisecond {
		t.Fatalf("first record %v, want PRACH at 5 ms", r)
	}
	s.Tune(r.FreqHz)
	x := run(s, r.Start+2*time.Millisecond)
	body := x[int(r.Start.Seconds()*fs):int(r.End.Seconds()*fs)]
	psd := welch(body, 240)
	lvl := median(psd[120-40 : 120+40])
	w := widthAbove(psd, 120, lvl/2)
	d := onTime(x, 10*2*s.sigma*s.sigma)
	t.Logf("PRACH −3 dB width %.0f kHz, on %v", w/1e3, d)
	if math.Abs(w-1048.75e3) > 30e3 {
		t.Errorf("PRACH width %.0f kHz, want 1049", w/1e3)
	}
	if math.Abs((d - (r.End - r.Start)).Seconds()) > 20e-6 {
		t.Errorf("PRACH on for %v, want %v", d, r.End-r.Start)
	}
}

func TestPUCCHAlternatesEdges(t *testing.T) {
	sc, p := lteScene(1.4e6, 25, Activity{Kind: Data, Duration: 50 * time.Millisecond})
	s := mustNew(t, sc)
	s.Tune(p.FreqHz)
	tr := s.TruthBetween(200*time.Millisecond, 700*time.Millisecond)
	x := run(s, 700*time.Millisecond)
	lo := [2]float64{-540e3, -360e3}
	hi := [2]float64{360e3, 540e3}
	pairs := 0
	for i, r := range tr {
		if r.Kind != KindPUCCH || r.Start < 200*time.Millisecond {
			continue
		}
		if r.End-r.Start != 500*time.Microsecond || r.BandwidthHz != 180e3 {
			t.Fatalf("PUCCH record %v", r)
		}
		seg := x[int(r.Start.Seconds()*fs)+10 : int(r.End.Seconds()*fs)-10]
		pl, ph := bandPower(seg, lo[0], lo[1]), bandPower(seg, hi[0], hi[1])
		low := r.FreqHz < p.FreqHz
		if low && db(pl/ph) < 10 || !low && db(ph/pl) < 10 {
			t.Errorf("PUCCH slot at %v (%s edge): low %.1f dB vs high %.1f dB", r.Start, map[bool]string{true: "low", false: "high"}[low], db(pl), db(ph))
		}
		if r.Start%time.Millisecond == 0 {
			if i+1 >= len(tr) || tr[i+1].Kind != KindPUCCH || tr[i+1].Start != r.Start+500*time.Microsecond || (tr[i+1].FreqHz < p.FreqHz) == low {
				t.Errorf("PUCCH slot at %v not followed by the other edge", r.Start)
			}
			pairs++
		}
	}
	if pairs < 10 {
		t.Fatalf("only %d PUCCH subframes in 500 ms of tail", pairs)
	}
}

func TestNoiseFloor(t *testing.T) {
	for _, fsDBm := range []float64{-82, DefaultFullScaleDBm} {
		sc := builtin(t, "noise-only")
		sc.Sensor.FullScaleDBm = fsDBm
		s := mustNew(t, sc)
		x := run(s, time.Second)
		got := meanPower(x)
		q := 2 * math.Pow(1/127.5, 2) / 12 // uniform quantisation noise, I and Q
		want := s.lin(s.NoiseDBm(fs))
		t.Logf("full scale %g dBm: noise %.2f dBFS (%.2f LSB rms per rail), kTB·NF %.2f dBFS, + quantisation %.2f dBFS",
			fsDBm, db(got), math.Sqrt(got/2)*127.5, db(want), db(want+q))
		if d := db(got) - db(want+q); math.Abs(d) > 0.5 {
			t.Errorf("full scale %g dBm: noise floor off by %.2f dB", fsDBm, d)
		}
	}
}

func TestSpurAndDC(t *testing.T) {
	for _, on := range []bool{false, true} {
		sc := builtin(t, "noise-only")
		sc.Spurs, sc.DCOffset = on, on
		s := mustNew(t, sc)
		s.Tune(892.0e6)
		psd := welch(run(s, 100*time.Millisecond), 2400) // 1 kHz bins
		floor := median(psd)
		spur := db(psd[1200+800] / floor)
		dc := db(psd[1200] / floor)
		t.Logf("spurs %v: 892.8 MHz bin %.1f dB, DC bin %.1f dB above the floor", on, spur, dc)
		if on && (spur < 20 || dc < 20) || !on && (spur > 10 || dc > 10) {
			t.Errorf("spurs/DC %v: spur %.1f dB, DC %.1f dB", on, spur, dc)
		}
	}
}

func TestTruthMatchesSchedule(t *testing.T) {
	s := mustNew(t, builtin(t, "corridor-small"))
	tr := s.TruthBetween(0, 20*time.Second)
	by := map[string][]TruthRecord{}
	for _, r := range tr {
		by[r.Emitter] = append(by[r.Emitter], r)
	}
	if n := len(by["lte-b28-idle"]); n != 0 {
		t.Errorf("idle phone transmitted %d times", n)
	}
	// GSM call: RACH first, then bursts on the TDMA grid; TCH after ~1.5 s.
	g := by["gsm-b8-1"]
	if g[0].Kind != KindGSMRACH || g[0].Start < 300*time.Millisecond || g[0].Start > 300*time.Millisecond+2*seconds(gsmFrame) {
		t.Errorf("GSM starts with %v", g[0])
	}
	tch := 0
	for i, r := range g {
		if r.FreqHz != 898e6 || r.Cell != "B2-cell-13" || r.Zone != "B2-cells-11-14" || r.Tech != detect.GSM {
			t.Fatalf("GSM record %v", r)
		}
		if i > 0 && r.Kind != KindGSMBurst {
			t.Fatalf("GSM record %d is %s", i, r.Kind)
		}
		slots := (r.Start - g[0].Start).Seconds() / gsmFrame
		if math.Abs(slots-math.Round(slots)) > 1e-4 {
			t.Fatalf("GSM burst at %v off the TDMA grid", r.Start)
		}
		if r.Start >= 2*time.Second && r.Start < 3*time.Second {
			tch++
		}
	}
	if want := 1.0 / gsmFrame * 25 / 26; math.Abs(float64(tch)-want) > 2 {
		t.Errorf("%d TCH bursts in 1 s, want %.1f", tch, want)
	}
	// LTE B20: a session every 6 s from 1.2 s, each opened by PRACH, silent
	// between its 3 s tail and the next.
	l := by["lte-b20-1"]
	var prach []time.Duration
	for i, r := range l {
		switch r.Kind {
		case KindPRACH:
			prach = append(prach, r.Start)
		case KindPUCCH:
			if math.Abs(math.Abs(r.FreqHz-847e6)-(4.5e6-90e3)) > 1 { // 50 RB occupy ±4.5 MHz
				t.Errorf("PUCCH not at a carrier edge: %v", r)
			}
		case KindLTESubframe:
			if r.FreqHz-r.BandwidthHz/2 < 842.5e6+180e3-1 || r.FreqHz+r.BandwidthHz/2 > 851.5e6-180e3+1 {
				t.Errorf("PUSCH outside the carrier's PUSCH region: %v", r)
			}
		default:
			t.Errorf("LTE record kind %s", r.Kind)
		}
		if i > 0 && r.Start < l[i-1].End {
			t.Errorf("LTE transmissions overlap: %v, %v", l[i-1], r)
		}
		if ph := (r.Start - 1200*time.Millisecond) % (6 * time.Second); ph > 4500*time.Millisecond {
			t.Errorf("B20 transmits in its idle gap: %v", r)
		}
	}
	if !slices.Equal(prach, []time.Duration{1200 * time.Millisecond, 7200 * time.Millisecond, 13200 * time.Millisecond, 19200 * time.Millisecond}) {
		t.Errorf("B20 PRACH at %v", prach)
	}
	if b3 := by["lte-b3-1"]; b3[0].Kind != KindPRACH || b3[0].Start != 3*time.Second {
		t.Errorf("B3 starts with %v", b3[0])
	}
	if c := by["lora-868.1"]; len(c) != 2 || c[0].Tech != detect.Clutter || c[0].Start != 2*time.Second {
		t.Errorf("chirps %v", c)
	}
	acts := s.ActivitiesBetween(0, 20*time.Second)
	n := 0
	for _, a := range acts {
		if a.Emitter == "lte-b20-1" {
			n++
			if a.Start != 1200*time.Millisecond+time.Duration(a.Occurrence)*6*time.Second || a.End > a.Start+4500*time.Millisecond || a.Bursts < 100 {
				t.Errorf("B20 activity %+v", a)
			}
		}
	}
	if n != 4 {
		t.Errorf("%d B20 activities in 20 s, want 4", n)
	}
}

func TestDemoSNRAndNoClipping(t *testing.T) {
	s := mustNew(t, builtin(t, "corridor-small"))
	for _, e := range s.Emitters() {
		t.Logf("%-13s %-7s %-11s rx %6.1f dBm  SNR %5.1f dB in %3.0f kHz", e.ID, e.Tech, e.Cell, e.RxPowerDBm, e.SNRdB, e.SNRBandwidthHz/1e3)
		if e.Tech != detect.Clutter && e.ID != "lte-b28-idle" && (e.SNRdB < 10 || e.SNRdB > 40) {
			t.Errorf("%s: SNR %.1f dB outside 10–40", e.ID, e.SNRdB)
		}
	}
	clipped, total := 0, 0
	for _, step := range []struct {
		f  float64
		to time.Duration
	}{{898e6, 1200 * time.Millisecond}, {847e6, 2 * time.Second}, {868.1e6, 2200 * time.Millisecond},
		{847.5e6, 2700 * time.Millisecond}, {898e6, 3 * time.Second}, {1745e6, 5 * time.Second}} {
		s.Tune(step.f)
		for _, v := range run(s, step.to) {
			if math.Abs(real(v)) >= 1 || math.Abs(imag(v)) >= 1 {
				clipped++
			}
			total++
		}
	}
	t.Logf("%d of %d samples at full scale", clipped, total)
	if clipped > 0 {
		t.Errorf("%d samples clipped in the demo", clipped)
	}
}

func TestWriteTruthJSON(t *testing.T) {
	s := mustNew(t, builtin(t, "corridor-small"))
	run(s, 1500*time.Millisecond)
	var buf bytes.Buffer
	if err := s.WriteTruthJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Scene    string `json:"scene"`
		Emitters []struct {
			ID    string  `json:"id"`
			SNRdB float64 `json:"snr_db"`
		} `json:"emitters"`
		Activities []struct {
			Emitter string `json:"emitter"`
			Kind    string `json:"kind"`
		} `json:"activities"`
		Tx []struct {
			Kind   string  `json:"kind"`
			StartS float64 `json:"start_s"`
			EndS   float64 `json:"end_s"`
		} `json:"transmissions"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Scene != "corridor-small" || len(doc.Emitters) != 5 || len(doc.Activities) != 2 || len(doc.Tx) != len(s.Truth()) {
		t.Fatalf("truth document: scene %q, %d emitters, %d activities, %d transmissions", doc.Scene, len(doc.Emitters), len(doc.Activities), len(doc.Tx))
	}
	if doc.Tx[0].Kind != KindGSMRACH || math.Abs(doc.Tx[0].StartS-0.3023) > 1e-3 {
		t.Errorf("first transmission %+v", doc.Tx[0])
	}
}

func TestValidate(t *testing.T) {
	bad := []Phone{
		{ID: "a", Tech: detect.Tech("wimax"), FreqHz: 900e6},
		{ID: "b", Tech: detect.LTE, FreqHz: 847e6, BandwidthHz: 7e6},
		{ID: "c", Tech: detect.GSM, FreqHz: 898e6, Schedule: []Activity{{Kind: Data}}},
		{ID: "d", Tech: detect.GSM, FreqHz: 898e6, Schedule: []Activity{{Kind: Call, Duration: time.Minute, Every: time.Second}}},
		{ID: "e", Tech: detect.GSM, FreqHz: 898e6, Cell: "nowhere"},
	}
	for _, p := range bad {
		if _, err := New(quietScene(p), fs); err == nil {
			t.Errorf("phone %q accepted", p.ID)
		}
	}
	if _, err := New(quietScene(), 2.048e6); err != nil {
		t.Errorf("2.048 MS/s: %v", err)
	}
	if _, err := Builtin("nope"); err == nil {
		t.Error("unknown builtin accepted")
	}
}

// benchScene has a GSM call and an LTE B8 data session in one 2.4 MHz span.
func benchScene() *Scene {
	sc, _ := Builtin("corridor-small")
	sc.Phones = []Phone{sc.Phones[0], {ID: "lte-b8", Tech: detect.LTE, X: 8, Y: -2, TxPowerDBm: 0, FreqHz: 900e6, BandwidthHz: 5e6,
		Schedule: []Activity{{Kind: Data, Duration: 10 * time.Minute}}}}
	return sc
}

func benchGenerate(b *testing.B, sc *Scene, tune float64) {
	s := mustNew(b, sc)
	s.Tune(tune)
	buf := make([]byte, 2*65536)
	s.Generate(make([]byte, 2*int(2*fs))) // into the call
	b.SetBytes(int64(len(buf)))
	b.ResetTimer()
	for range b.N {
		s.Generate(buf)
	}
	ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N*len(buf)/2)
	b.ReportMetric(ns, "ns/sample")
	b.ReportMetric(ns*fs/1e9*100, "%core@2.4MS/s")
}

func BenchmarkGenerateNoise(b *testing.B)       { benchGenerate(b, builtin(b, "noise-only"), 898e6) }
func BenchmarkGenerateGSMCall(b *testing.B)     { benchGenerate(b, builtin(b, "corridor-small"), 898.4e6) }
func BenchmarkGenerateCallAndData(b *testing.B) { benchGenerate(b, benchScene(), 898.9e6) }

func TestOtherSampleRates(t *testing.T) {
	for _, rate := range []float64{2.048e6, 1.024e6, 2.56e6} {
		sc := builtin(t, "corridor-small")
		s, err := New(sc, rate)
		if err != nil {
			t.Fatalf("%g S/s: %v", rate, err)
		}
		s.Tune(847.3e6)
		b := make([]byte, 2*int(2*rate)) // 2 s: PRACH, PUSCH and PUCCH of lte-b20-1
		s.Generate(b)
		var p float64
		for _, v := range cu8(b[2*int(1.2*rate):]) {
			p += real(v)*real(v) + imag(v)*imag(v)
		}
		p /= 0.8 * rate
		if want := s.lin(s.NoiseDBm(rate)); db(p/want) < 1 {
			t.Errorf("%g S/s: LTE session raised the mean power by only %.2f dB", rate, db(p/want))
		}
	}
}

func BenchmarkGenerateLive(b *testing.B) { benchGenerate(b, builtin(b, "corridor-live"), 898.4e6) }
