package evaluate

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cellwatch/cellwatch/pkg/sim"
)

// The quick benchmark runs every stage end to end and its numbers hold
// together: Pd rises with SNR, the ideal detector is never beaten by more
// than chance, the false-alarm bound follows the count, plots are PNGs.
func TestQuickBench(t *testing.T) {
	if testing.Short() {
		t.Skip("the quick detection benchmark simulates ~1 minute of signal; -short skips it")
	}
	sw, err := EUSweep(6*time.Millisecond, 5*time.Millisecond, time.Second, 1)
	if err != nil {
		t.Fatal(err)
	}
	zsc, err := sim.LoadFile("../../configs/scenes/block-large.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r, err := RunBench(BenchConfig{Sweep: sw, Seed: 3, Quick: true, ZoneScene: zsc})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Curves) != 4 {
		t.Fatalf("%d Pd curves, want 4", len(r.Curves))
	}
	for _, c := range r.Curves {
		first, last := c.Points[0], c.Points[len(c.Points)-1]
		if last.PD < first.PD {
			t.Errorf("%s: Pd falls from %.2f at %.1f dB to %.2f at %.1f dB", c.Signal, first.PD, first.SNRdB, last.PD, last.SNRdB)
		}
		if last.PD < 0.5 {
			t.Errorf("%s: Pd %.2f at %.1f dB, 6 dB above where the ideal detector has 0.9", c.Signal, last.PD, last.SNRdB)
		}
		for _, p := range c.Points {
			if p.Hi < p.IdealPD-0.05 && p.PD > p.IdealPD {
				t.Errorf("%s at %.1f dB: Pd %.2f beats the ideal detector's %.2f", c.Signal, p.SNRdB, p.PD, p.IdealPD)
			}
		}
		if math.Abs(c.PFA-r.PFA) > 0 || !(c.PFA > 0 && c.PFA < 1e-6) {
			t.Errorf("%s: per-test Pfa %g (report %g)", c.Signal, c.PFA, r.PFA)
		}
	}
	fa := r.FalseAlarms
	if fa.SensorHours <= 0 || fa.Dwells == 0 {
		t.Errorf("false alarms measured over %.4f h, %d dwells", fa.SensorHours, fa.Dwells)
	}
	if want := 24 * PoissonUpper(fa.False, 0.95) / fa.SensorHours; math.Abs(fa.PerDayUpper-want) > 1e-9 {
		t.Errorf("upper bound %g, want %g", fa.PerDayUpper, want)
	}
	// One row per budget, largest first, the operating one last; all swept
	// the same samples, so the model's expectation scales with the budget.
	if n := len(fa.Budgets); n != 1+len(CalibrationBudgets(1)) || fa.Extrapolated == nil {
		t.Fatalf("%d budget rows, extrapolation %v", n, fa.Extrapolated)
	}
	op := fa.Budgets[len(fa.Budgets)-1]
	if op.Budget != r.FalseAlarmsPerDay || op.False != fa.False || !(op.Expected > 0) {
		t.Errorf("operating row %+v, want budget %g and the top-level count %d", op, r.FalseAlarmsPerDay, fa.False)
	}
	for i, b := range fa.Budgets[:len(fa.Budgets)-1] {
		if b.Budget <= fa.Budgets[i+1].Budget {
			t.Errorf("budget rows out of order: %g before %g", b.Budget, fa.Budgets[i+1].Budget)
		}
		if got := b.Expected / op.Expected; math.Abs(got-b.Budget/op.Budget) > 1e-6*got {
			t.Errorf("budget %g: model %g, %g × the operating one's", b.Budget, b.Expected, got)
		}
	}
	if r.Confusion.Total == 0 || r.Confusion.HandsetTotal == 0 {
		t.Errorf("confusion matrix scored no emission: %+v", r.Confusion)
	}
	for i, ic := range []Intercept{r.Intercept, r.InterceptTwo} {
		// A caught event had a transmission overlap a dwell: the schedule's
		// ceiling bounds what the detector catches.
		if ic.Events == 0 || ic.Receivers != i+1 || ic.P > ic.Heard || ic.Heard > ic.Timing {
			t.Errorf("intercept with %d receivers: %+v", i+1, ic)
		}
	}
	// Six zones: guessing gets one in six; the strongest sensor should get
	// nearly all, and heard-by-one-sensor emissions are part of the count.
	if z := r.Zone; z.Sensors != 6 || z.Emissions < 10 || z.Accuracy < 0.8 || z.Lo > z.Accuracy || z.Hi < z.Accuracy ||
		z.SingleSensor > z.Emissions || z.Right != int(math.Round(z.Accuracy*float64(z.Emissions))) {
		t.Errorf("zone accuracy %+v", z)
	}
	var buf bytes.Buffer
	if err := r.WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"GSM normal burst", "false detections", "technology confusion", "signalling event", "zone accuracy"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, buf.String())
		}
	}
	dir := t.TempDir()
	files, err := WritePlots(r, dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
			t.Errorf("%s is not a PNG (%v)", filepath.Base(f), err)
		}
	}
}

func TestPoissonUpper(t *testing.T) {
	// Classical values: 0 events ⇒ 2.996, 1 ⇒ 4.744, 10 ⇒ 17.0 (95 %, one-sided).
	for _, c := range []struct {
		k    int
		want float64
	}{{0, 2.9957}, {1, 4.7439}, {10, 16.962}} {
		if got := PoissonUpper(c.k, 0.95); math.Abs(got-c.want) > 2e-3 {
			t.Errorf("PoissonUpper(%d) = %.4f, want %.4f", c.k, got, c.want)
		}
	}
}

func TestWilsonAndInterpolation(t *testing.T) {
	lo, hi := wilson(90, 100)
	if math.Abs(lo-0.8256) > 1e-3 || math.Abs(hi-0.9448) > 1e-3 {
		t.Errorf("Wilson(90/100) = [%.4f, %.4f], want [0.8256, 0.9448]", lo, hi)
	}
	pts := []PDPoint{{SNRdB: 0, PD: 0.5}, {SNRdB: 2, PD: 0.8}, {SNRdB: 4, PD: 1}}
	if x := interpolate90(pts); math.Abs(x-3) > 1e-12 {
		t.Errorf("Pd 0.9 crossing at %v dB, want 3", x)
	}
	if x := interpolate90(pts[:2]); !math.IsNaN(x) {
		t.Errorf("unbracketed crossing = %v, want NaN", x)
	}
}

// Refinement adds its trials to the two points that bracket Pd 0.9 and to
// no other, and the pooled points stay consistent.
func TestRefineCrossingPoolsTrials(t *testing.T) {
	var sig Signal
	for _, s := range Signals() {
		if s.Name == "gsm-burst" {
			sig = s
		}
	}
	// A GSM burst is never found at −6 dB and always at 8 dB (ideal
	// detector: Pd 0.9 at −0.3 dB; this one within ~2 dB of it).
	cfg := PDConfig{SNRsDB: []float64{-6, 8, 9}, Trials: 10, RefineTrials: 15, Seed: 5, FalseAlarmsPerDay: 1,
		Dwell: 6 * time.Millisecond, Settle: 5 * time.Millisecond, SampleRate: 2.4e6}
	c, err := MeasurePD(sig, cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := c.Points
	if p[0].PD >= 0.9 || p[1].PD < 0.9 {
		t.Fatalf("Pd %.2f at −6 dB and %.2f at 8 dB: the test needs them to bracket 0.9", p[0].PD, p[1].PD)
	}
	for i, want := range []int{25, 25, 10} {
		if p[i].Trials < want || p[i].Trials > want+2 { // a dwell may hold a trial more than asked
			t.Errorf("point %d (%.1f dB): %d trials, want %d", i, p[i].SNRdB, p[i].Trials, want)
		}
		if lo, hi := wilson(p[i].Detected, p[i].Trials); p[i].PD != float64(p[i].Detected)/float64(p[i].Trials) || p[i].Lo != lo || p[i].Hi != hi {
			t.Errorf("point %d: Pd %v [%v, %v] does not follow from %d of %d", i, p[i].PD, p[i].Lo, p[i].Hi, p[i].Detected, p[i].Trials)
		}
	}
	if math.Abs(p[0].SNRdB+6) > 0.5 || math.Abs(p[1].SNRdB-8) > 0.5 {
		t.Errorf("pooled SNRs %.2f and %.2f dB, want about −6 and 8", p[0].SNRdB, p[1].SNRdB)
	}
}
