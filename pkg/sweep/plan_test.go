package sweep

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/cellwatch/cellwatch/pkg/bands"
)

// checkHopPlan asserts the planner's invariants for plan p under config c
// (defaults already applied in hp.Config) and returns the hop count per band.
func checkHopPlan(t *testing.T, p bands.Plan, hp HopPlan) map[string]int {
	t.Helper()
	c := hp.Config
	span := c.Usable * c.SampleRate
	half := span / 2
	perBand := map[string][]Hop{}
	for i, h := range hp.Hops {
		if h.Index != i {
			t.Errorf("hop %d has Index %d", i, h.Index)
		}
		perBand[h.Band] = append(perBand[h.Band], h)
		// The slice lies inside the hop's usable passband, exactly.
		if h.CenterHz-h.LowHz > half || h.HighHz-h.CenterHz > half {
			t.Errorf("hop %d (%s): slice %.1f–%.1f Hz not within ±%.1f Hz of centre %.1f Hz",
				i, h.Band, h.LowHz, h.HighHz, half, h.CenterHz)
		}
		// The DC spike is off every 100 kHz raster point (and so every GSM channel).
		if d := math.Abs(math.Remainder(h.CenterHz, 100e3)); d < c.DCGuardHz/2 {
			t.Errorf("hop %d (%s): centre %.1f Hz only %.1f Hz from the 100 kHz raster", i, h.Band, h.CenterHz, d)
		}
		if h.CenterHz != math.Trunc(h.CenterHz) {
			t.Errorf("hop %d: centre %v Hz is not a whole number of Hz", i, h.CenterHz)
		}
		if h.CenterHz < c.Tuner.MinHz || h.CenterHz > c.Tuner.MaxHz {
			t.Errorf("hop %d: centre %v Hz outside the tuner", i, h.CenterHz)
		}
	}

	counts := map[string]int{}
	for _, b := range p.Bands {
		reach, reachable := c.Tuner.Reachable(b)
		hops := perBand[b.Name]
		counts[b.Name] = len(hops)
		if !reachable {
			if len(hops) != 0 {
				t.Errorf("%s is unreachable but has %d hops", b.Name, len(hops))
			}
			continue
		}
		if len(hops) == 0 {
			t.Errorf("%s: reachable %v has no hops", b.Name, reach)
			continue
		}
		// Contiguous, non-overlapping, equal and ≤ span.
		if hops[0].LowHz != reach.LowHz || hops[len(hops)-1].HighHz != reach.HighHz {
			t.Errorf("%s: hops cover %v–%v, reachable part is %v", b.Name, hops[0].LowHz, hops[len(hops)-1].HighHz, reach)
		}
		w := reach.Width() / float64(len(hops))
		for i, h := range hops {
			if i > 0 && h.LowHz != hops[i-1].HighHz {
				t.Errorf("%s: gap or overlap between hops %d and %d: %v vs %v", b.Name, hops[i-1].Index, h.Index, hops[i-1].HighHz, h.LowHz)
			}
			if math.Abs(h.HighHz-h.LowHz-w) > 1e-6 {
				t.Errorf("%s: hop %d width %v, want %v", b.Name, h.Index, h.HighHz-h.LowHz, w)
			}
			if h.HighHz-h.LowHz > span {
				t.Errorf("%s: hop %d width %v > usable %v", b.Name, h.Index, h.HighHz-h.LowHz, span)
			}
		}
		// Every reachable Hz (sampled every 1 kHz, plus the edges) is owned by
		// exactly one hop. Other bands' hops lie in their own reachable parts,
		// which do not overlap this one (the plan validates), so counting this
		// band's hops suffices.
		for f := reach.LowHz; f <= reach.HighHz; f += 1e3 {
			if n := owners(hops, f); n != 1 {
				t.Fatalf("%s: %.0f Hz owned by %d hops", b.Name, f, n)
			}
		}
		if n := owners(hops, reach.HighHz); n != 1 {
			t.Errorf("%s: top edge %.0f Hz owned by %d hops", b.Name, reach.HighHz, n)
		}
		// Minimal: one hop fewer cannot satisfy the rules.
		if n := len(hops) - 1; n > 0 && feasible(reach, n, c) {
			t.Errorf("%s: %d hops would do, plan uses %d", b.Name, n, len(hops))
		}
	}
	return counts
}

// owners counts the hops of one band whose slice holds f: [LowHz, HighHz),
// and HighHz too for the top hop.
func owners(hops []Hop, f float64) int {
	n := 0
	for i, h := range hops {
		if f >= h.LowHz && (f < h.HighHz || i == len(hops)-1 && f == h.HighHz) {
			n++
		}
	}
	return n
}

// feasible reports, independently of the planner, whether n equal slices of
// r can each get a centre satisfying the passband and raster rules.
func feasible(r bands.Range, n int, c HopPlanConfig) bool {
	span := c.Usable * c.SampleRate
	w := r.Width() / float64(n)
	if w > span {
		return false
	}
	for i := 0; i < n; i++ {
		lo := r.LowHz + w*float64(i)
		a, b := lo+w-span/2, lo+span/2 // allowed centres
		// Infeasible when [a, b] sits inside one forbidden interval around a raster point.
		rp := math.Round((a+b)/2/100e3) * 100e3
		if a > rp-c.DCGuardHz/2 && b < rp+c.DCGuardHz/2 {
			return false
		}
	}
	return true
}

func TestHopPlanEU(t *testing.T) {
	hp, err := NewHopPlan(bands.EU, HopPlanConfig{SampleRate: 2.4e6})
	if err != nil {
		t.Fatal(err)
	}
	if hp.Config.Usable != 0.8 || hp.Config.DCGuardHz != 50e3 || hp.Config.Tuner != bands.R820T {
		t.Errorf("defaults not applied: %+v", hp.Config)
	}
	counts := checkHopPlan(t, bands.EU, hp)
	want := map[string]int{"B28": 24, "B20": 16, "B8": 19, "B3": 30}
	for b, n := range want {
		if counts[b] != n {
			t.Errorf("%s: %d hops, want %d", b, counts[b], n)
		}
	}
	if len(hp.Hops) != 89 {
		t.Errorf("EU at 2.4 MS/s: %d hops, want 89", len(hp.Hops))
	}
	if len(hp.Blind) != 1 || hp.Blind[0] != (bands.Range{LowHz: 1766e6, HighHz: 1785e6, Band: "B3"}) {
		t.Errorf("EU blind = %v, want B3 1766–1785 MHz", hp.Blind)
	}
}

func TestHopPlanNA(t *testing.T) {
	hp, err := NewHopPlan(bands.NA, HopPlanConfig{SampleRate: 2.4e6})
	if err != nil {
		t.Fatal(err)
	}
	counts := checkHopPlan(t, bands.NA, hp)
	// B12 (17 MHz) needs 10 hops, not 9: 9 slices of 1.889 MHz leave only
	// ±15.6 kHz to move a centre, and the middle one falls on 707.5 MHz.
	want := map[string]int{"B71": 19, "B12": 10, "B13": 6, "B14": 6, "B5": 14, "B66": 30}
	for b, n := range want {
		if counts[b] != n {
			t.Errorf("%s: %d hops, want %d", b, counts[b], n)
		}
	}
	if len(hp.Blind) != 1 || hp.Blind[0] != (bands.Range{LowHz: 1766e6, HighHz: 1780e6, Band: "B66"}) {
		t.Errorf("NA blind = %v, want B66 1766–1780 MHz", hp.Blind)
	}
}

// The invariants hold across the rates and settings people will use.
func TestHopPlanInvariants(t *testing.T) {
	for _, p := range []bands.Plan{bands.EU, bands.NA} {
		for _, c := range []HopPlanConfig{
			{SampleRate: 2.048e6},
			{SampleRate: 1.024e6},
			{SampleRate: 3.2e6},
			{SampleRate: 2.4e6, Usable: 1},
			{SampleRate: 2.4e6, Usable: 0.5},
			{SampleRate: 2.4e6, DCGuardHz: 100e3},
			{SampleRate: 2.4e6, DCGuardHz: 10e3},
			{SampleRate: 250e3, Usable: 0.9},
			{SampleRate: 2.4e6, Tuner: bands.Tuner{Name: "E4000", MinHz: 52e6, MaxHz: 2200e6}},
		} {
			hp, err := NewHopPlan(p, c)
			if err != nil {
				t.Errorf("%s %+v: %v", p.Name, c, err)
				continue
			}
			checkHopPlan(t, p, hp)
		}
	}
}

func TestHopPlanUnreachableBandSkipped(t *testing.T) {
	tuner := bands.Tuner{Name: "low", MinHz: 700e6, MaxHz: 1000e6}
	hp, err := NewHopPlan(bands.NA, HopPlanConfig{SampleRate: 2.4e6, Tuner: tuner})
	if err != nil {
		t.Fatal(err)
	}
	checkHopPlan(t, bands.NA, hp)
	want := []bands.Range{
		{LowHz: 663e6, HighHz: 698e6, Band: "B71"},   // wholly below
		{LowHz: 699e6, HighHz: 700e6, Band: "B12"},   // partly
		{LowHz: 1710e6, HighHz: 1780e6, Band: "B66"}, // wholly above
	}
	if len(hp.Blind) != len(want) {
		t.Fatalf("blind = %v, want %v", hp.Blind, want)
	}
	for i := range want {
		if hp.Blind[i] != want[i] {
			t.Errorf("blind[%d] = %v, want %v", i, hp.Blind[i], want[i])
		}
	}
	var names []string
	for _, b := range hp.Bands {
		names = append(names, b.Name)
	}
	if got := strings.Join(names, ","); got != "B12,B13,B14,B5" {
		t.Errorf("planned bands %s, want B12,B13,B14,B5", got)
	}
}

func TestHopPlanBadConfig(t *testing.T) {
	overlap := bands.Plan{Name: "x", Bands: []bands.Band{bands.EU.Bands[3], bands.NA.Bands[5]}}
	for _, tc := range []struct {
		name string
		p    bands.Plan
		c    HopPlanConfig
		want string
	}{
		{"no rate", bands.EU, HopPlanConfig{}, "sample rate"},
		{"negative rate", bands.EU, HopPlanConfig{SampleRate: -2.4e6}, "sample rate"},
		{"NaN rate", bands.EU, HopPlanConfig{SampleRate: math.NaN()}, "sample rate"},
		{"Inf rate", bands.EU, HopPlanConfig{SampleRate: math.Inf(1)}, "sample rate"},
		{"usable > 1", bands.EU, HopPlanConfig{SampleRate: 2.4e6, Usable: 1.2}, "usable fraction"},
		{"usable < 0", bands.EU, HopPlanConfig{SampleRate: 2.4e6, Usable: -0.5}, "usable fraction"},
		{"usable NaN", bands.EU, HopPlanConfig{SampleRate: 2.4e6, Usable: math.NaN()}, "usable fraction"},
		{"guard < 0", bands.EU, HopPlanConfig{SampleRate: 2.4e6, DCGuardHz: -1}, "DC guard"},
		{"guard > raster", bands.EU, HopPlanConfig{SampleRate: 2.4e6, DCGuardHz: 150e3}, "DC guard"},
		{"tuner inverted", bands.EU, HopPlanConfig{SampleRate: 2.4e6, Tuner: bands.Tuner{Name: "t", MinHz: 2e9, MaxHz: 1e9}}, "tuner"},
		{"guard eats passband", bands.EU, HopPlanConfig{SampleRate: 60e3, DCGuardHz: 50e3}, "must exceed the DC guard"},
		{"empty plan", bands.Plan{Name: "none"}, HopPlanConfig{SampleRate: 2.4e6}, "no bands"},
		{"overlapping bands", overlap, HopPlanConfig{SampleRate: 2.4e6}, "overlap"},
	} {
		_, err := NewHopPlan(tc.p, tc.c)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
	// All problems are reported at once.
	_, err := NewHopPlan(bands.EU, HopPlanConfig{SampleRate: -1, Usable: 2})
	if err == nil || !strings.Contains(err.Error(), "sample rate") || !strings.Contains(err.Error(), "usable") {
		t.Errorf("err = %v, want both problems", err)
	}
}

func TestWriteTable(t *testing.T) {
	hp, err := NewHopPlan(bands.EU, HopPlanConfig{SampleRate: 2.4e6})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	prio := []bands.Range{{LowHz: 832e6, HighHz: 833.2e6}}
	if err := hp.WriteTable(&buf, 6*time.Millisecond, 5*time.Millisecond, prio); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"plan eu: sample rate 2.400 MS/s, usable 80% (1.920 MHz)",
		"B28  UL 703.000–748.000 MHz  [lte,nr]  swept 703.000–748.000 MHz: 24 hops of 1.8750 MHz",
		"B3  UL 1710.000–1785.000 MHz  [gsm,lte,nr]  swept 1710.000–1766.000 MHz: 30 hops",
		"703.9500  703.0000 –  704.8750",
		"1765.0500  1764.1333 –  1766.0000",
		"blind (tuner cannot reach):\n  B3 1766.000–1785.000 MHz\n",
		"total: 89 hops; each visit settles 5ms then integrates 6ms: 54.5% of the time integrating",
		// 89 hops + 1 priority hop twice = 90 visits × 11 ms.
		"one dongle: 90 visits per pass of 990ms, worst revisit 990ms",
		"two dongles: passes of 495ms and 495ms, worst revisit 495ms",
		"832.9500  832.0000 –  833.8750               50.0             495ms      253ms            2\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if err := hp.WriteTable(failWriter{}, time.Millisecond, 0, nil); err == nil {
		t.Error("WriteTable to a failing writer returned nil")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }
