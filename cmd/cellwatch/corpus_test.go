package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/cellwatch/cellwatch/pkg/bands"
	"github.com/cellwatch/cellwatch/pkg/detect"
	"github.com/cellwatch/cellwatch/pkg/dsp"
	"github.com/cellwatch/cellwatch/pkg/iq"
)

// corpus is ../shared/data: real recordings whose AGPL licence keeps them
// out of this repository. scripts/test.sh sets CELLWATCH_CORPUS.
func corpus(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("CELLWATCH_CORPUS")
	if dir == "" {
		t.Skip("CELLWATCH_CORPUS is not set: the corpus of real recordings (../shared/data) is not available; scripts/test.sh sets it")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("CELLWATCH_CORPUS: %v", err)
	}
	return dir
}

// TestCorpusNoHandset: noise and base-station recordings hold no handset:
// continuous carriers, and carriers in a downlink band. The TDD recordings (tdlte-b39-rtlsdr, lte-hackrf …home2) are left out:
// their uplink subframes may carry real phones.
func TestCorpusNoHandset(t *testing.T) {
	dir := corpus(t)
	files := []struct {
		path  string
		flags []string
		known string // a genuine detector limitation, see issue 3
	}{
		{path: "lte-b20-rtlsdr/f826_s1.92_bw1.2_0.08s_rtlsdr.bin"}, // RTL-SDR noise in the B20 duplex gap
		{path: "lte-b20-rtlsdr/f796_s1.92_bw1.2_0.08s_rtlsdr.bin"},
		{path: "lte-b20-rtlsdr/f801_s1.92_bw1.2_0.08s_rtlsdr.bin"},
		{path: "lte-b20-rtlsdr/f806_s1.92_bw1.2_0.08s_rtlsdr.bin"},
		{path: "lte-b20-rtlsdr/f811_s1.92_bw1.2_0.08s_rtlsdr.bin"},
		{path: "lte-b20-rtlsdr/f816_s1.92_bw1.2_0.08s_rtlsdr.bin"},
		{path: "lte-b20-rtlsdr/f821_s1.92_bw1.2_0.08s_rtlsdr.bin"},
		{path: "lte-b3-rtlsdr/f1815.3_s1.92_bw1.2_0.08s_rtlsdr.bin"},
		{path: "lte-b3-rtlsdr/f1815_s1.92_from_dimitri_rtlsdr.bin"},
		{path: "lte-b3-rtlsdr/f1860_s1.92_g0_1s_rtlsdr.bin"},
		{path: "lte-hackrf-20mhz/f796_s19.2_bw20_0.08s_hackrf.bin", flags: []string{"--format=cs8"}}, // all of B20's downlink
		{path: "gsmsp-dl-2007/GSMSP_20070204_robert_dbsrx_937MHz_16.cfile", flags: []string{"--sample-rate=4e6"}},
		{path: "gsmsp-dl-2007/GSMSP_20070204_robert_dbsrx_941MHz_16.cfile", flags: []string{"--sample-rate=4e6"}},
		{path: "gsmsp-dl-2007/GSMSP_20070204_robert_dbsrx_941.0MHz_128.cfile", flags: []string{"--sample-rate=5e5"}},
		{path: "gsmsp-dl-2007/GSMSP_20070204_robert_dbsrx_953.6MHz_64.cfile", flags: []string{"--sample-rate=1e6"}},
		{path: "gsmsp-dl-2007/GSMSP_20070204_robert_dbsrx_953.6MHz_128.cfile", flags: []string{"--sample-rate=5e5"}},
		// srsRAN's LTE downlink captures, 5 and 10 ms, frequency not stated.
		// Played at a B20 downlink tune the band plan rejects them; with no
		// tune only the signal itself can.
		{path: "srsran-lte-captures/signal.1.92M.amar.dat", flags: []string{"--format=cf32", "--sample-rate=1.92e6", "--center-freq=806e6"}},
		{path: "srsran-lte-captures/signal.1.92M.dat", flags: []string{"--format=cf32", "--sample-rate=1.92e6", "--center-freq=806e6"}},
		{path: "srsran-lte-captures/signal.1.92M.amar.dat", flags: []string{"--format=cf32", "--sample-rate=1.92e6"},
			known: "a 1.4 MHz downlink whose PDSCH load changes per 1 ms subframe (subframes 0, 2, 5 loaded, 11 dB over the rest), heard for 10 ms with no tune to place it in a downlink band, is an uplink subframe to an energy detector (lte, 0.005–0.0061 s)"},
		{path: "srsran-lte-captures/signal.1.92M.dat", flags: []string{"--format=cf32", "--sample-rate=1.92e6"},
			known: "5 ms of a downlink whose load drops by 9 dB after 2 ms, with no tune to place it in a downlink band, reads as a 2 ms uplink burst (lte, 0–0.0021 s); the floor has 3 ms to learn from"},
	}
	for _, f := range files {
		name := filepath.Base(f.path)
		if f.known != "" {
			name += "/no-tune"
		}
		t.Run(name, func(t *testing.T) {
			recs, stderr, rc := replayJSON(t, append(f.flags, filepath.Join(dir, f.path))...)
			if rc != 0 {
				t.Fatalf("exit %d: %s", rc, stderr)
			}
			if f.known != "" {
				if len(recs) == 0 {
					t.Fatalf("known limitation no longer shows: remove it (%s)", f.known)
				}
				t.Skipf("known: %s, see issue 3; got %+v", f.known, recs)
			}
			wantNone(t, recs)
		})
	}
}

// TestCorpusLTEUplink: the full UE captures are LTE, burst for burst.
func TestCorpusLTEUplink(t *testing.T) {
	dir := corpus(t)
	for _, name := range []string{"bintest_uplinkPHY_real_samples2.infile", "bintest_uplinkPHY_real_samples3.infile"} {
		t.Run(name, func(t *testing.T) {
			recs, stderr, rc := replayJSON(t, "--format=cs16", "--sample-rate="+strconv.Itoa(30720000), filepath.Join(dir, "otp4lteu-lte-uplink", name))
			if rc != 0 {
				t.Fatalf("exit %d: %s", rc, stderr)
			}
			wantOnly("lte")(t, recs)
		})
	}
}

// The mixes: real handset captures made by other radios, resampled,
// added to a real RTL-SDR background and quantised to 8 bits, so that the
// detector sees them as a dongle next to the phone would deliver them.
//
// They run at the background's own 1.92 MS/s rather than the daemon's
// default 2.4 MS/s. At 1.92 MS/s the background is the dongle's bytes
// untouched (a mix with no signal re-encodes to the identical file), with
// its own filter shape and quantisation. Resampled to 2.4 MS/s it would be
// empty between ±0.96 and ±1.2 MHz, a third of which lies inside the span
// the daemon searches: bins with no noise at all, which no dongle delivers.
// 1.92 MS/s is a rate librtlsdr and the daemon accept; the detector's boxes
// are set in seconds and hertz, not bins.
const (
	mixRate   = 1.92e6
	mixNoise  = "lte-b20-rtlsdr/f826_s1.92_bw1.2_0.08s_rtlsdr.bin" // 80 ms, B20 duplex gap: receiver noise only
	mixOffset = 20e-3                                              // the signal starts here: 20 ms of floor first
	// The whole searched span is 90 % of the recorded one (replay's crop).
	mixCrop = 0.1
)

// corpusSignal is one uplink capture and where the mix puts it.
type corpusSignal struct {
	name   string // golden files are corpus-NAME-SNRdB.jsonl
	path   string
	format iq.Format
	rate   float64
	// selectHz is the frequency of the capture moved to 0 Hz before
	// resampling: which 1.92 MHz of a wide capture the dongle sees.
	selectHz float64
	// placeHz is the offset from the tune the signal is moved to after
	// resampling: the phone's channel in the dongle's span.
	placeHz float64
	tune    float64 // RF tune of the mix (an uplink band of the EU plan)
	tech    string  // what the detector must call it
	bursts  int     // bursts in the window (counted by hand on its spectra), checks the truth extraction
}

var corpusSignals = []corpusSignal{
	// One GSM traffic channel, 4 bursts a TDMA frame apart, put on ARFCN 37
	// (897.4 MHz, B8) with the dongle tuned 400 kHz below.
	{name: "gsm-ul", path: "enclustra-gsm-ul/iq-ul-4bursts.cf64", format: iq.CF32, rate: 13e6 / 12,
		placeHz: 400e3, tune: 897.0e6, tech: "gsm", bursts: 4},
	// The OTP4LTE-U UE: a 10 MHz carrier. At its centre the first subframe
	// pair (a 6 RB allocation); 3.85 MHz up, the later pairs' allocations.
	{name: "lte-ul-samples2-centre", path: "otp4lteu-lte-uplink/bintest_uplinkPHY_real_samples2.infile", format: iq.CS16, rate: 30.72e6,
		tune: 847e6, tech: "lte", bursts: 1},
	{name: "lte-ul-samples2-edge", path: "otp4lteu-lte-uplink/bintest_uplinkPHY_real_samples2.infile", format: iq.CS16, rate: 30.72e6,
		selectHz: 3.85e6, tune: 847e6, tech: "lte", bursts: 3},
	{name: "lte-ul-samples3-centre", path: "otp4lteu-lte-uplink/bintest_uplinkPHY_real_samples3.infile", format: iq.CS16, rate: 30.72e6,
		tune: 847e6, tech: "lte", bursts: 1},
	{name: "lte-ul-samples3-edge", path: "otp4lteu-lte-uplink/bintest_uplinkPHY_real_samples3.infile", format: iq.CS16, rate: 30.72e6,
		selectHz: 3.85e6, tune: 847e6, tech: "lte", bursts: 2},
	// A format-0 PRACH preamble, 839 × 1.25 kHz.
	{name: "lte-prach", path: "otp4lteu-lte-uplink/test_PRACHcapture.derived.cs16", format: iq.CS16, rate: 30.72e6,
		tune: 847e6, tech: "lte", bursts: 1},
	// LTE-V2X sidelink UEs: SC-FDMA 1 ms subframes, wider than the span.
	{name: "sidelink-qc9150", path: "srsran-lte-captures/signal_sidelink_qc9150_f5.92e9_s15.36e6_50prb_20offset.dat", format: iq.CF32, rate: 15.36e6,
		tune: 847e6, tech: "lte", bursts: 1},
	{name: "sidelink-huawei", path: "srsran-lte-captures/signal_sidelink_huawei_s11.52e6_50prb_10prb_offset_with_retx.dat", format: iq.CF32, rate: 11.52e6,
		tune: 847e6, tech: "lte", bursts: 2},
}

// corpusSNRs are the in-band SNRs of the mixes: strong (at 20 dB the widest
// SC-FDMA bursts just start to clip the 8-bit ADC over this background, on
// < 1 % of their samples), 10 dB, and near the detection threshold.
var corpusSNRs = []float64{20, 10, 5}

// nearThreshold is the SNR at which misses are expected and counted, not
// failed: single-shot Pd there is what issue 3's benchmark measures.
const nearThreshold = 5

// truthBurst is a burst of a clean capture, measured on its own envelope.
type truthBurst struct {
	start, end float64 // s in the mix
	// lo, hi: its occupied band, the bins within 10 dB of its spectral peak
	// (Hz offsets from the tune); bw3 and bw10 its −3 dB and −10 dB extents.
	lo, hi    float64
	bw3, bw10 float64
}

// preparedSignal is a capture resampled, placed, gated and measured.
type preparedSignal struct {
	x      []complex64 // at mixRate, gated to its bursts
	truth  []truthBurst
	sigPSD []float64 // mean burst power per grid bin
	gsm    bool
}

// corpusMixes prepares the background and the signals once per test binary.
type corpusMixes struct {
	noise    []complex64 // f826 decoded
	noisePSD []float64
	signals  map[string]*preparedSignal
}

var (
	mixesOnce sync.Once
	mixes     *corpusMixes
	mixesErr  error
)

func loadMixes(t *testing.T, dir string) *corpusMixes {
	t.Helper()
	if testing.Short() {
		// Under -race (scripts/test.sh's -short pass) resampling and
		// detecting the mixes takes a minute; the full pass runs them.
		t.Skip("-short: the corpus mixes run in the full (non -short) pass")
	}
	mixesOnce.Do(func() { mixes, mixesErr = prepareMixes(dir) })
	if mixesErr != nil {
		t.Fatal(mixesErr)
	}
	return mixes
}

func readIQ(path string, f iq.Format) ([]complex64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := dsp.NewConverter(f)
	if err != nil {
		return nil, err
	}
	x := make([]complex64, len(b)/f.BytesPerSample())
	c.Convert(x, b)
	return x, nil
}

// mixGrid is the detector's own time-frequency view at the mix rate.
func mixGrid(x []complex64) (*dsp.Grid, *dsp.STFT, error) {
	st, err := dsp.NewSTFT(dsp.FFTSizeFor(mixRate), mixRate, len(x))
	if err != nil {
		return nil, nil, err
	}
	g := st.NewGrid()
	st.Compute(g, x)
	return g, st, nil
}

// meanPSD averages the grid rows whose frames lie inside [a, b) samples.
func meanPSD(g *dsp.Grid, st *dsp.STFT, a, b int) []float64 {
	psd := make([]float64, g.Bins)
	n := 0
	for t := 0; t < g.Frames; t++ {
		if s := t * st.Hop(); s >= a && s+st.Size() <= b {
			for k, v := range g.Row(t) {
				psd[k] += float64(v)
			}
			n++
		}
	}
	for k := range psd {
		psd[k] /= float64(max(n, 1))
	}
	return psd
}

func prepareMixes(dir string) (*corpusMixes, error) {
	m := &corpusMixes{signals: map[string]*preparedSignal{}}
	var err error
	if m.noise, err = readIQ(filepath.Join(dir, mixNoise), iq.CU8); err != nil {
		return nil, err
	}
	g, st, err := mixGrid(m.noise)
	if err != nil {
		return nil, err
	}
	m.noisePSD = meanPSD(g, st, 0, len(m.noise))
	for _, s := range corpusSignals {
		p, err := prepareSignal(dir, s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		m.signals[s.name] = p
	}
	return m, nil
}

func prepareSignal(dir string, s corpusSignal) (*preparedSignal, error) {
	raw, err := readIQ(filepath.Join(dir, s.path), s.format)
	if err != nil {
		return nil, err
	}
	iq.Shift(raw, -s.selectHz, s.rate)
	r, err := iq.NewResampler(s.rate, mixRate)
	if err != nil {
		return nil, err
	}
	x := r.Resample(raw)
	iq.Shift(x, s.placeHz, mixRate)
	spans := onSpans(x)
	if len(spans) != s.bursts {
		return nil, fmt.Errorf("the clean capture shows %d bursts in the window, want %d: %v", len(spans), s.bursts, spans)
	}
	// Only the bursts go into the mix (with 20 µs ramps): between them the
	// capture holds its own recorder's noise, which is not what a dongle
	// beside the phone would add to its floor.
	iq.Gate(x, spans, int(math.Round(20e-6*mixRate)))
	g, st, err := mixGrid(x)
	if err != nil {
		return nil, err
	}
	p := &preparedSignal{x: x, sigPSD: make([]float64, g.Bins), gsm: s.tech == "gsm"}
	edge := int(math.Round(mixCrop / 2 * float64(g.Bins)))
	off := int(mixOffset * mixRate)
	var on int
	for _, sp := range spans {
		psd := meanPSD(g, st, sp.Start, sp.End)
		for k, v := range psd {
			p.sigPSD[k] += v * float64(sp.End-sp.Start)
		}
		on += sp.End - sp.Start
		lo, hi, bw3, bw10 := occupied(psd, g, edge)
		p.truth = append(p.truth, truthBurst{
			start: float64(sp.Start+off) / mixRate, end: float64(sp.End+off) / mixRate,
			lo: lo, hi: hi, bw3: bw3, bw10: bw10,
		})
	}
	for k := range p.sigPSD {
		p.sigPSD[k] /= float64(on)
	}
	return p, nil
}

// onSpans finds a clean capture's bursts from its envelope in 25 µs blocks:
// on where the block power is above the geometric mean of the floor (10th
// percentile) and the peak, gaps under 125 µs bridged (SC-FDMA symbols dip),
// runs under 125 µs dropped. A capture less than 20 dB above its own floor
// everywhere is on throughout (the PRACH capture is one preamble, no gap).
func onSpans(x []complex64) []iq.Span {
	const blk = 48 // 25 µs at 1.92 MS/s
	const minRun = 5 * blk
	nb := len(x) / blk
	p := make([]float64, nb)
	for i := range p {
		for _, v := range x[i*blk : (i+1)*blk] {
			p[i] += float64(real(v)*real(v) + imag(v)*imag(v))
		}
	}
	s := append([]float64(nil), p...)
	sort.Float64s(s)
	floor, peak := s[nb/10], s[nb-1]
	if peak < 100*floor {
		return []iq.Span{{Start: 0, End: len(x)}}
	}
	thr := math.Sqrt(floor * peak)
	var runs []iq.Span
	for i := 0; i < nb; i++ {
		if p[i] < thr {
			continue
		}
		j := i
		for j < nb && p[j] >= thr {
			j++
		}
		a, b := i*blk, j*blk
		if j == nb {
			b = len(x)
		}
		if n := len(runs); n > 0 && a-runs[n-1].End < minRun {
			runs[n-1].End = b
		} else {
			runs = append(runs, iq.Span{Start: a, End: b})
		}
		i = j
	}
	out := runs[:0]
	for _, r := range runs {
		if r.End-r.Start >= minRun {
			out = append(out, r)
		}
	}
	return out
}

// occupied measures a burst's band inside the searched span: the bins within
// 10 dB of the peak (lo…hi, Hz from the tune), and the extents of the bins
// within 3 dB and 10 dB of the peak.
func occupied(psd []float64, g *dsp.Grid, edge int) (lo, hi, bw3, bw10 float64) {
	var peak float64
	for k := edge; k < g.Bins-edge; k++ {
		peak = math.Max(peak, psd[k])
	}
	extent := func(frac float64) (int, int) {
		a, b := -1, -1
		for k := edge; k < g.Bins-edge; k++ {
			if psd[k] >= frac*peak {
				if a < 0 {
					a = k
				}
				b = k
			}
		}
		return a, b
	}
	a3, b3 := extent(0.5)
	a10, b10 := extent(0.1)
	bin := g.BinHz
	return g.FreqOffset(a10) - bin/2, g.FreqOffset(b10) + bin/2, float64(b3-a3+1) * bin, float64(b10-a10+1) * bin
}

// gainFor scales a signal to an in-band SNR: its mean burst power over the
// background's power, both summed over the bins within 10 dB of the
// signal's spectral peak (the band a matched energy detector integrates).
func (m *corpusMixes) gainFor(p *preparedSignal, snrDB float64) float64 {
	var peak float64
	for _, v := range p.sigPSD {
		peak = math.Max(peak, v)
	}
	var s, n float64
	for k, v := range p.sigPSD {
		if v >= peak/10 {
			s += v
			n += m.noisePSD[k]
		}
	}
	return math.Sqrt(math.Pow(10, snrDB/10) * n / s)
}

// writeMix mixes p into the background at snrDB and writes a cu8 SigMF
// recording; it returns its metadata path and the cu8 bytes.
func (m *corpusMixes) writeMix(t *testing.T, s corpusSignal, p *preparedSignal, snrDB float64) (string, []byte, int) {
	t.Helper()
	x := append([]complex64(nil), m.noise...)
	if err := iq.AddScaled(x, p.x, int(mixOffset*mixRate), m.gainFor(p, snrDB)); err != nil {
		t.Fatal(err)
	}
	b, clipped := iq.EncodeCU8(x)
	// SC-FDMA peaks of a strong phone clip the 8-bit ADC now and then, as
	// they would in a dongle; more than 1 % of the burst samples would
	// make the SNR label a lie.
	if on := spanSamples(p); clipped > 0 {
		t.Logf("%d of %d burst components clipped at %g dB", clipped, 2*on, snrDB)
		if clipped*100 > 2*on {
			t.Fatalf("%d of %d burst components clipped at %g dB: too strong for this background", clipped, 2*on, snrDB)
		}
	}
	base := filepath.Join(t.TempDir(), fmt.Sprintf("corpus-%s-%gdB", s.name, snrDB))
	meta := &iq.SigMF{
		Global: iq.SigMFGlobal{Datatype: "cu8", SampleRate: mixRate,
			Description: fmt.Sprintf("%s (%s) resampled to %g S/s at %g dB in-band SNR into %s", s.name, s.path, mixRate, snrDB, mixNoise)},
		Captures: []iq.SigMFCapture{{Frequency: s.tune}},
	}
	if err := iq.WriteSigMF(base, meta, b); err != nil {
		t.Fatal(err)
	}
	return base + iq.SigMFMetaExt, b, clipped
}

// spanSamples counts the samples inside a signal's bursts.
func spanSamples(p *preparedSignal) int {
	var n float64
	for _, tb := range p.truth {
		n += (tb.end - tb.start) * mixRate
	}
	return int(n)
}

// mixBursts runs the detection core over a mix as replay does for a
// recording shorter than one chunk (one grid, the same crop), and returns
// the handset bursts: what the tracker is given, before grouping.
func mixBursts(t *testing.T, b []byte, tune float64) []detect.Burst {
	t.Helper()
	conv, err := dsp.NewConverter(iq.CU8)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]complex64, len(b)/2)
	conv.Convert(x, b)
	g, st, err := mixGrid(x)
	if err != nil {
		t.Fatal(err)
	}
	det, err := detect.NewDetector(detect.Config{
		SampleRate: mixRate, FFTSize: st.Size(), FrameHop: st.Hop(), Window: st.Window(),
		MaxFrames: g.Frames, FalseAlarmsPerDay: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	edge := int(math.Round(mixCrop / 2 * float64(g.Bins)))
	all := det.Process(det.NewState(), g, detect.Frame{Centre: tune, Lo: edge, Hi: g.Bins - edge, DeferFrom: g.Frames}, nil)
	var out []detect.Burst
	for _, bu := range all {
		if !bu.Shape.Clutter() {
			out = append(out, bu)
		}
	}
	return out
}

// corpusScore is what one mix scored, for the table in the log.
type corpusScore struct {
	signal  string
	snr     float64
	found   int
	truth   int
	clipped int
	stray   int // handset bursts that are none of the capture's
	emitted string
}

// knownLimits are the checks the detector fails on these mixes today, each a
// genuine detector limitation (see issue 3); the key is NAME/SNRdB/check.
// Every other check of every mix asserts.
var knownLimits = map[string]string{
	"lte-ul-samples2-centre/20dB/bandwidth": "a flat 6 RB (1.04 MHz) allocation at 20 dB is measured as its lower half (~515 kHz); at 10 and 5 dB the full width is found",
	"lte-ul-samples3-centre/20dB/bandwidth": "a flat 6 RB (1.04 MHz) allocation at 20 dB is measured as its lower half (~515 kHz); at 10 and 5 dB the full width is found",
	"lte-ul-samples2-edge/20dB/bandwidth":   "a flat ~1.4 MHz (8 RB) allocation is measured as 150–700 kHz pieces",
	"lte-ul-samples2-edge/10dB/bandwidth":   "a flat ~1.4 MHz (8 RB) allocation is measured as 150–700 kHz pieces",
	"lte-ul-samples3-edge/20dB/bandwidth":   "a flat ~1.4 MHz (8 RB) allocation is measured as 350–700 kHz pieces",
	"lte-ul-samples3-edge/10dB/bandwidth":   "a flat ~1.4 MHz (8 RB) allocation is measured as 200–400 kHz pieces",
	"sidelink-huawei/20dB/bandwidth":        "of two bursts that fill the whole span, the first is measured as a 336 kHz piece at its lower edge",
	"sidelink-huawei/10dB/bandwidth":        "a burst that fills the whole span is measured as a ~200 kHz piece at one edge",
	"lte-ul-samples2-edge/20dB/emissions":   "a strong (20 dB) wideband burst in the look brings false handset emissions at 0–5 dB SNR elsewhere in the recording; the noise alone has none",
	"sidelink-qc9150/20dB/emissions":        "a strong (20 dB) wideband burst in the look brings false handset emissions at 0–5 dB SNR elsewhere in the recording; the noise alone has none",
	"sidelink-huawei/20dB/emissions":        "a strong (20 dB) wideband burst in the look brings false handset emissions at 0–5 dB SNR elsewhere in the recording; the noise alone has none",
}

// problems collects what a check finds wrong, so that a known limitation
// can be told apart from a new failure.
type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

// report fails the test with the problems found, unless key is a known
// limitation: then it skips, naming it. A known limitation that no longer
// shows fails too, so that the list is kept true.
func (p problems) report(t *testing.T, key string) {
	t.Helper()
	why, known := knownLimits[key]
	switch {
	case known && len(p) > 0:
		t.Skipf("known: %s, see issue 3 (%s)", why, strings.Join(p, "; "))
	case known:
		t.Errorf("knownLimits[%q] no longer shows: remove it (%s)", key, why)
	}
	for _, m := range p {
		t.Error(m)
	}
}

// TestCorpusMixedUplink: every uplink capture, mixed into the RTL-SDR
// noise at each SNR, is found burst for burst at the right time, with the
// right bandwidth, as the right technology in the right band, and nothing
// else is reported. Near the threshold misses are counted, not failed.
func TestCorpusMixedUplink(t *testing.T) {
	dir := corpus(t)
	m := loadMixes(t, dir)
	var scores []corpusScore
	for _, s := range corpusSignals {
		p := m.signals[s.name]
		for _, snr := range corpusSNRs {
			name := fmt.Sprintf("%s/%gdB", s.name, snr)
			t.Run(name, func(t *testing.T) {
				path, b, clipped := m.writeMix(t, s, p, snr)
				sc := corpusScore{signal: s.name, snr: snr, truth: len(p.truth), clipped: clipped}
				bursts := mixBursts(t, b, s.tune)
				recs, stderr, rc := replayJSON(t, path)
				if rc != 0 {
					t.Fatalf("replay exit %d: %s", rc, stderr)
				}
				var found []coverage
				t.Run("bursts", func(t *testing.T) { found = checkBursts(t, s, p, snr, bursts) })
				t.Run("bandwidth", func(t *testing.T) {
					if snr <= nearThreshold {
						t.Skipf("near the threshold only part of a burst's band clears it: bandwidth is checked above %d dB", nearThreshold)
					}
					checkBandwidth(p, found).report(t, name+"/bandwidth")
				})
				t.Run("emissions", func(t *testing.T) {
					for _, r := range recs {
						t.Logf("emission %+v", r)
					}
					checkEmissions(t, s, p, snr, recs).report(t, name+"/emissions")
				})
				for _, c := range found {
					if c.ok {
						sc.found++
					}
				}
				sc.stray = strayBursts(s, p, bursts)
				var em []string
				for _, r := range recs {
					em = append(em, fmt.Sprintf("%s×%d", r.Tech, r.Bursts))
				}
				sc.emitted = strings.Join(em, " ")
				scores = append(scores, sc)
				golden(t, "corpus-"+s.name+"-"+strconv.FormatFloat(snr, 'g', -1, 64)+"dB", recs)
			})
		}
	}
	// The Pd table issue 3 asks for, per capture and SNR.
	var tab strings.Builder
	fmt.Fprintf(&tab, "%-24s %5s %5s %6s %5s %7s  %s\n", "capture", "SNR", "found", "bursts", "stray", "clipped", "emissions (tech×bursts)")
	for _, sc := range scores {
		fmt.Fprintf(&tab, "%-24s %3gdB %5d %6d %5d %7d  %s\n", sc.signal, sc.snr, sc.found, sc.truth, sc.stray, sc.clipped, sc.emitted)
	}
	t.Logf("real uplink captures mixed into RTL-SDR noise at %g MS/s:\n%s", mixRate/1e6, tab.String())
}

// Tolerances: one STFT frame in time (the detector's time resolution);
// in bandwidth two bins for GSM, one resource block (180 kHz, the unit LTE
// allocates in) for SC-FDMA.
var (
	mixFrame = float64(dsp.FFTSizeFor(mixRate)) / mixRate
	mixBin   = mixRate / float64(dsp.FFTSizeFor(mixRate))
)

// coverage is what the detector's handset bursts make of one truth burst.
type coverage struct {
	ok         bool
	start, end float64 // s
	lo, hi     float64 // Hz from the tune
}

// checkBursts: each truth burst is covered by handset bursts that start and
// end with it to within a frame.
func checkBursts(t *testing.T, s corpusSignal, p *preparedSignal, snr float64, bursts []detect.Burst) []coverage {
	for _, bu := range bursts {
		t.Logf("burst %.5f–%.5f s  %+.1f kHz  bw %.0f kHz  SNR %.1f dB  %v", bu.Start, bu.End, (bu.Centre()-s.tune)/1e3, bu.Bandwidth()/1e3, bu.SNRdB, bu.Shape)
	}
	out := make([]coverage, len(p.truth))
	for i, tb := range p.truth {
		t.Logf("truth %.5f–%.5f s  %+.0f…%+.0f kHz  −3 dB %.0f kHz  −10 dB %.0f kHz", tb.start, tb.end, tb.lo/1e3, tb.hi/1e3, tb.bw3/1e3, tb.bw10/1e3)
		c := coverage{start: math.Inf(1), end: math.Inf(-1), lo: math.Inf(1), hi: math.Inf(-1)}
		for _, bu := range bursts {
			if bu.End <= tb.start || bu.Start >= tb.end || bu.FreqHi-s.tune <= tb.lo || bu.FreqLo-s.tune >= tb.hi {
				continue
			}
			c.start, c.end = math.Min(c.start, bu.Start), math.Max(c.end, bu.End)
			c.lo, c.hi = math.Min(c.lo, bu.FreqLo-s.tune), math.Max(c.hi, bu.FreqHi-s.tune)
		}
		switch {
		case math.IsInf(c.start, 0):
			if snr > nearThreshold {
				t.Errorf("burst %d (%.4f–%.4f s, %.0f…%.0f kHz) missed", i, tb.start, tb.end, tb.lo/1e3, tb.hi/1e3)
			}
		case math.Abs(c.start-tb.start) > mixFrame || math.Abs(c.end-tb.end) > mixFrame:
			t.Errorf("burst %d found at %.5f–%.5f s, truth %.5f–%.5f s (± one %.0f µs frame)", i, c.start, c.end, tb.start, tb.end, mixFrame*1e6)
		default:
			c.ok = true
		}
		out[i] = c
	}
	return out
}

// strayBursts counts handset bursts that overlap none of the capture's
// bursts: burst-level false alarms (the tracker may still drop them).
func strayBursts(s corpusSignal, p *preparedSignal, bursts []detect.Burst) int {
	n := 0
	for _, bu := range bursts {
		stray := true
		for _, tb := range p.truth {
			if bu.End > tb.start && bu.Start < tb.end && bu.FreqHi-s.tune > tb.lo && bu.FreqLo-s.tune < tb.hi {
				stray = false
			}
		}
		if stray {
			n++
		}
	}
	return n
}

// checkBandwidth: the width the detector measures for each burst found lies
// between the clean burst's −3 dB and −10 dB extents, within the tolerance.
func checkBandwidth(p *preparedSignal, found []coverage) problems {
	var bad problems
	tol := 180e3
	if p.gsm {
		tol = 2 * mixBin
	}
	for i, c := range found {
		if !c.ok {
			continue
		}
		tb := p.truth[i]
		if bw := c.hi - c.lo; bw < tb.bw3-tol || bw > tb.bw10+tol {
			bad.add("burst %d measured %.0f kHz wide (%.0f…%.0f kHz), want %.0f–%.0f kHz (the clean burst's −3 and −10 dB widths ± %.0f kHz)",
				i, bw/1e3, c.lo/1e3, c.hi/1e3, (tb.bw3-tol)/1e3, (tb.bw10+tol)/1e3, tol/1e3)
		}
	}
	return bad
}

// checkEmissions: through the CLI, every handset emission is one of the
// capture's, of the right technology in the right band, and (above the
// threshold) every burst is in one.
func checkEmissions(t *testing.T, s corpusSignal, p *preparedSignal, snr float64, recs []emissionRecord) problems {
	var bad problems
	plan, err := bands.PlanByName("eu")
	if err != nil {
		t.Fatal(err)
	}
	band, ok := plan.BandAt(s.tune)
	if !ok {
		t.Fatalf("the mix's tune %g Hz is in no EU uplink band", s.tune)
	}
	covered := make([]bool, len(p.truth))
	for _, r := range recs {
		var hit bool
		for i, tb := range p.truth {
			f := float64(r.FreqHz) - s.tune
			if r.StartS < tb.end+mixFrame && r.EndS > tb.start-mixFrame && f >= tb.lo && f <= tb.hi {
				hit, covered[i] = true, true
			}
		}
		if !hit {
			bad.add("emission %+v matches none of the capture's bursts: a false alarm", r)
			continue
		}
		// Nothing before the first burst or after the last joins an emission.
		if first, last := p.truth[0].start, p.truth[len(p.truth)-1].end; r.StartS < first-mixFrame || r.EndS > last+mixFrame {
			bad.add("emission %+v runs outside the capture's bursts (%.4f–%.4f s): false bursts joined it", r, first, last)
		}
		if r.Tech != s.tech {
			bad.add("emission %+v: tech %q, want %q", r, r.Tech, s.tech)
		}
		if r.Band != band.Name {
			bad.add("emission %+v: band %q, want %q", r, r.Band, band.Name)
		}
	}
	if snr <= nearThreshold {
		return bad
	}
	for i, c := range covered {
		if !c {
			bad.add("burst %d (%.4f–%.4f s) is in no emission", i, p.truth[i].start, p.truth[i].end)
		}
	}
	// GSM: one traffic channel is one emission spanning all its bursts.
	if s.tech == "gsm" {
		if len(recs) != 1 || recs[0].Bursts != len(p.truth) {
			bad.add("want one GSM emission of %d bursts, got %+v", len(p.truth), recs)
			return bad
		}
		want := p.truth[len(p.truth)-1].end - p.truth[0].start
		if d := recs[0].EndS - recs[0].StartS; math.Abs(d-want) > 2*mixFrame {
			bad.add("the GSM emission lasts %.4f s, its bursts span %.4f s", d, want)
		}
	}
	return bad
}

// TestCorpusMixedNoiseOnly: the background itself, through the same
// mixing path with no signal, re-encodes to the dongle's own bytes and
// holds no handset.
func TestCorpusMixedNoiseOnly(t *testing.T) {
	dir := corpus(t)
	m := loadMixes(t, dir)
	orig, err := os.ReadFile(filepath.Join(dir, mixNoise))
	if err != nil {
		t.Fatal(err)
	}
	b, clipped := iq.EncodeCU8(m.noise)
	if clipped != 0 || string(b) != string(orig) {
		t.Fatalf("decoding and re-encoding the background changed it (%d clipped)", clipped)
	}
	for _, tune := range []float64{897.0e6, 847e6} {
		base := filepath.Join(t.TempDir(), "noise")
		meta := &iq.SigMF{Global: iq.SigMFGlobal{Datatype: "cu8", SampleRate: mixRate}, Captures: []iq.SigMFCapture{{Frequency: tune}}}
		if err := iq.WriteSigMF(base, meta, b); err != nil {
			t.Fatal(err)
		}
		recs, stderr, rc := replayJSON(t, base+iq.SigMFMetaExt)
		if rc != 0 {
			t.Fatalf("exit %d: %s", rc, stderr)
		}
		if len(recs) != 0 {
			t.Errorf("RTL-SDR noise tuned to %g MHz: want no handset, got %+v", tune/1e6, recs)
		}
		if got := mixBursts(t, b, tune); len(got) != 0 {
			t.Errorf("RTL-SDR noise tuned to %g MHz: want no handset burst, got %+v", tune/1e6, got)
		}
	}
}
