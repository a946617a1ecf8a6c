package evaluate

import (
	"math"
	"strings"
	"testing"
)

// Garwood intervals from χ² tables (e.g. Ulm 1990): 95 % two-sided.
func TestPoissonInterval(t *testing.T) {
	for _, c := range []struct {
		k      int
		lo, hi float64
	}{{0, 0, 3.6889}, {1, 0.0253, 5.5716}, {10, 4.7954, 18.3904}} {
		lo, hi := PoissonInterval(c.k, 0.95)
		if math.Abs(lo-c.lo) > 2e-3 || math.Abs(hi-c.hi) > 2e-3 {
			t.Errorf("PoissonInterval(%d) = [%.4f, %.4f], want [%.4f, %.4f]", c.k, lo, hi, c.lo, c.hi)
		}
	}
}

func TestBudgetRowFill(t *testing.T) {
	b := BudgetFalseAlarms{Budget: 1000, Expected: 20, False: 10}
	b.fill(2) // two sensor-hours
	if math.Abs(b.ExpectedPerDay-240) > 1e-9 || math.Abs(b.PerDay-120) > 1e-9 {
		t.Errorf("per day: model %g, counted %g; want 240, 120", b.ExpectedPerDay, b.PerDay)
	}
	if math.Abs(b.PerDayLo-4.7954*12) > 1e-2 || math.Abs(b.PerDayHi-18.3904*12) > 1e-2 {
		t.Errorf("per-day interval [%g, %g], want [57.5, 220.7]", b.PerDayLo, b.PerDayHi)
	}
}

// rowsFor builds budget rows over h sensor-hours whose model expects
// `model` false detections per sensor-day per unit of budget.
func rowsFor(h, model float64, counts map[float64]int) []BudgetFalseAlarms {
	var rows []BudgetFalseAlarms
	for _, b := range []float64{1e4, 1e3, 1e2, 1} {
		r := BudgetFalseAlarms{Budget: b, Expected: b * model * h / 24, False: counts[b]}
		r.fill(h)
		rows = append(rows, r)
	}
	return rows
}

func hasShortfall(s []string, part string) bool {
	for _, l := range s {
		if strings.Contains(l, part) {
			return true
		}
	}
	return false
}

func TestExtrapolateCalibratedModel(t *testing.T) {
	// Model 0.5/day per unit budget over 2 h: expects 416.67, 41.667,
	// 4.1667 and 0.0417 (operating) false detections.
	rows := rowsFor(2, 0.5, map[float64]int{1e4: 200, 1e3: 21, 1e2: 2})
	x, ok := Extrapolate(rows, 1, 2)
	if !ok {
		t.Fatal("no extrapolation")
	}
	// Point estimate from 10³ (smallest budget with ≥ 10 events), the
	// model's excess over the operating budget's expectation.
	if want := 21 / (41.6667 - 0.041667); x.FromBudget != 1e3 || math.Abs(x.Ratio-want) > 1e-4 || math.Abs(rows[1].Ratio-want) > 1e-4 {
		t.Errorf("from budget %g ratio %g (row %g), want 1000, %g", x.FromBudget, x.Ratio, rows[1].Ratio, want)
	}
	if math.Abs(x.ExpectedPerDay-0.5) > 1e-9 || math.Abs(x.PerDay-x.Ratio*0.5) > 1e-12 {
		t.Errorf("model %g/day, extrapolated %g", x.ExpectedPerDay, x.PerDay)
	}
	// The bound is the widest: 10² with 2 events, χ²₀.₉₅(6)/2 = 6.296.
	if want := 6.2958 / (4.16667 - 0.041667); math.Abs(x.RatioU95-want) > 2e-3 {
		t.Errorf("ratio bound %g, want %g (set by the budget with fewest events)", x.RatioU95, want)
	}
	if math.Abs(x.PerDayU95-x.RatioU95*0.5) > 1e-12 {
		t.Errorf("per-day bound %g, want %g", x.PerDayU95, x.RatioU95*0.5)
	}
	if x.Floor != 0 || math.Abs(x.FloorPerDayU95-36) > 0.1 {
		t.Errorf("floor %d, bound %g; want 0, 36/day (3.0 events in 2 h)", x.Floor, x.FloorPerDayU95)
	}
	fa := FalseAlarms{SensorHours: 2, Budgets: rows, Extrapolated: &x}
	if s := falseAlarmShortfalls(fa); len(s) != 0 {
		t.Errorf("shortfalls %q: the bound %.2f/day is within the bar, and no floor", s, x.PerDayU95)
	}
	// Twice the model's rate everywhere: 1.0/day point, bound over the bar.
	rows = rowsFor(2, 0.5, map[float64]int{1e4: 833, 1e3: 83, 1e2: 8})
	x, _ = Extrapolate(rows, 1, 2)
	fa = FalseAlarms{SensorHours: 2, Budgets: rows, Extrapolated: &x}
	if s := falseAlarmShortfalls(fa); len(s) != 1 || !hasShortfall(s, "calibrated threshold model") {
		t.Errorf("shortfalls %q: want the bound %.2f/day over the bar", s, x.PerDayU95)
	}
}

func TestExtrapolateRisingRatio(t *testing.T) {
	// Ratio 0.24 at 10⁴, 0.48 at 10³: ×2 per decade, so three decades on
	// the 0.24/day point becomes 1.9/day.
	rows := rowsFor(2, 0.5, map[float64]int{1e4: 100, 1e3: 20, 1e2: 2})
	x, _ := Extrapolate(rows, 1, 2)
	r4, r3 := 100/(416.667-0.041667), 20/(41.6667-0.041667)
	if want := r3 / r4; math.Abs(x.RisePerDecade-want) > 1e-3 {
		t.Errorf("rise %g per decade, want %g", x.RisePerDecade, want)
	}
	if want := r3 * 0.5 * math.Pow(r3/r4, 3); math.Abs(x.TrendPerDay-want) > 1e-3 {
		t.Errorf("trend %g/day, want %g", x.TrendPerDay, want)
	}
	fa := FalseAlarms{SensorHours: 2, Budgets: rows, Extrapolated: &x}
	if s := falseAlarmShortfalls(fa); !hasShortfall(s, "kept rising") {
		t.Errorf("shortfalls %q do not name the rising ratio", s)
	}
}

func TestExtrapolateFloorIsAShortfall(t *testing.T) {
	// The same 3 false detections at every budget: clutter the threshold
	// does not remove. No excess anywhere: the model is not blamed.
	rows := rowsFor(1, 0.01, map[float64]int{1e4: 3, 1e3: 3, 1e2: 3, 1: 3})
	rows[3].OnClutter = 3
	x, ok := Extrapolate(rows, 1, 1)
	if !ok {
		t.Fatal("no extrapolation")
	}
	if x.Floor != 3 || x.FloorOnClutter != 3 || math.Abs(x.FloorPerDay-72) > 1e-9 {
		t.Errorf("floor %d (%d on clutter, %g/day), want 3 (3, 72/day)", x.Floor, x.FloorOnClutter, x.FloorPerDay)
	}
	if x.FromBudget != 1e4 || x.Ratio != 0 || rows[0].Excess != 0 {
		t.Errorf("from budget %g ratio %g excess %d, want 10000, 0, 0", x.FromBudget, x.Ratio, rows[0].Excess)
	}
	fa := FalseAlarms{SensorHours: 1, False: 3, PerDay: 72, Budgets: rows, Extrapolated: &x}
	if s := falseAlarmShortfalls(fa); !hasShortfall(s, "do not fall with the threshold") {
		t.Errorf("shortfalls %q do not name the floor", s)
	}
}

func TestExtrapolateNeedsACalibrationBudget(t *testing.T) {
	rows := rowsFor(1, 0.5, nil)[3:] // the operating budget alone
	if _, ok := Extrapolate(rows, 1, 1); ok {
		t.Error("extrapolated without a budget above the operating one")
	}
}

func TestCauseSource(t *testing.T) {
	for in, want := range map[string]string{
		"cw-903.1-4": "cw-903.1", "image of cw-741.25-12": "image of cw-741.25", "cw-725.6": "cw-725.6",
		"lora-3": "lora-3", "image of lora-3": "image of lora-3", "noise": "noise", "dc": "dc",
	} {
		if got := causeSource(in); got != want {
			t.Errorf("causeSource(%q) = %q, want %q", in, got, want)
		}
	}
	if got := causeList(map[string]int{"dc": 2, "cw-903.1": 20, "noise": 2}); got != "cw-903.1 20, dc 2, noise 2" {
		t.Errorf("causeList = %q", got)
	}
}
