package evaluate

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// BudgetFalseAlarms is the false-detection count of one stream swept with
// the detector set to one false-alarm budget, next to what the detector's
// threshold model predicts for that budget.
type BudgetFalseAlarms struct {
	Budget float64 `json:"budget_per_day"` // detect.false_alarms_per_day
	// Expected is the model's false bursts over the exposure: the budget
	// spread over the tests of each processed second, so budget/86400 ×
	// the searched share of each dwell's grid × its length, summed over the
	// dwells after warm-up (settle time and the hop edges are not tested).
	Expected       float64 `json:"expected"`
	ExpectedPerDay float64 `json:"expected_per_sensor_day"`
	False          int     `json:"false"`
	// OnClutter counts the false detections that overlap clutter (a
	// chirper, TETRA, a carrier, a spur or a hop-centre DC line): the
	// candidates for a floor that does not fall with the threshold.
	OnClutter int `json:"on_clutter"`
	// Causes counts the false detections by what lies under them
	// (falseCause, a keyed carrier's numbered intervals as one source).
	Causes map[string]int `json:"causes,omitempty"`
	// PerDay with its two-sided 95 % Poisson interval, per sensor-day.
	PerDay   float64 `json:"per_day"`
	PerDayLo float64 `json:"per_day_lo"`
	PerDayHi float64 `json:"per_day_hi"`
	// Excess is False minus the operating budget's count on the same
	// samples: the false detections the lower threshold let through, the
	// ones the model is about (a floor the threshold does not remove is in
	// every row alike). Ratio = Excess / (Expected − the operating
	// budget's Expected), with its two-sided 95 % interval: 1 means the
	// model is exact, below 1 conservative. Not set on the operating row.
	Excess  int     `json:"excess"`
	Ratio   float64 `json:"ratio"`
	RatioLo float64 `json:"ratio_lo"`
	RatioHi float64 `json:"ratio_hi"`
}

// FalseAlarmExtrapolation carries the calibrated threshold model to the
// operating budget, where direct counting cannot reach, and keeps apart
// the floor no threshold removes.
type FalseAlarmExtrapolation struct {
	Budget float64 `json:"budget_per_day"` // the operating budget
	// FromBudget is the budget whose ratio is the point estimate: the
	// smallest one with at least MinCalibrationEvents excess false
	// detections (else the largest budget).
	FromBudget float64 `json:"from_budget"`
	Ratio      float64 `json:"ratio"`
	// RatioU95 is the largest one-sided 95 % upper bound on the ratio over
	// the calibration budgets: if the model's tail grows worse toward
	// small budgets, the budget nearest the operating one (fewest events,
	// widest bound) sets it.
	RatioU95 float64 `json:"ratio_u95"`
	// ExpectedPerDay is the model's false detections per sensor-day at the
	// operating budget (below the budget: settle time and hop edges are
	// not tested).
	ExpectedPerDay float64 `json:"expected_per_sensor_day"`
	PerDay         float64 `json:"per_day"`     // Ratio × ExpectedPerDay
	PerDayU95      float64 `json:"per_day_u95"` // RatioU95 × ExpectedPerDay
	// RisePerDecade is how much the ratio grows per decade of smaller
	// budget, between the largest budget and FromBudget (both with enough
	// events; 0 otherwise or when it falls). TrendPerDay carries PerDay on
	// down at that rise: the figure if the model's tail kept worsening the
	// same way below the budgets measured.
	RisePerDecade float64 `json:"rise_per_decade"`
	TrendPerDay   float64 `json:"trend_per_day"`
	// Floor: false detections counted directly at the operating budget.
	// The model predicts almost none in the exposure, so they are a floor
	// that does not scale with the threshold (clutter mistaken for a
	// handset); its bound only falls with exposure.
	Floor          int     `json:"floor"`
	FloorOnClutter int     `json:"floor_on_clutter"`
	FloorPerDay    float64 `json:"floor_per_day"`
	FloorPerDayU95 float64 `json:"floor_per_day_u95"`
}

// MinCalibrationEvents is how many excess false detections a budget needs
// before its ratio is taken as the point estimate (±60 % at 95 % for 10).
const MinCalibrationEvents = 10

// PoissonInterval is the exact (Garwood) two-sided interval at level conf
// on the mean of a Poisson count k: [χ²_{α/2}(2k)/2, χ²_{1−α/2}(2k+2)/2].
func PoissonInterval(k int, conf float64) (lo, hi float64) {
	a := (1 - conf) / 2
	if k > 0 {
		lo = distuv.ChiSquared{K: float64(2 * k)}.Quantile(a) / 2
	}
	hi = distuv.ChiSquared{K: float64(2*k + 2)}.Quantile(1-a) / 2
	return lo, hi
}

// fill derives the rates from the counts over sensorHours.
func (b *BudgetFalseAlarms) fill(sensorHours float64) {
	day := 24 / sensorHours
	b.ExpectedPerDay = b.Expected * day
	lo, hi := PoissonInterval(b.False, 0.95)
	b.PerDay, b.PerDayLo, b.PerDayHi = float64(b.False)*day, lo*day, hi*day
}

// Extrapolate calibrates the threshold model on the budgets above the
// operating one — each row's excess over the operating count against the
// model's excess — sets those rows' ratios, and carries the model down to
// the operating budget, whose own count is the floor. It returns false
// when rows lack the operating budget or any budget above it.
func Extrapolate(rows []BudgetFalseAlarms, operating float64, sensorHours float64) (FalseAlarmExtrapolation, bool) {
	x := FalseAlarmExtrapolation{Budget: operating}
	var op *BudgetFalseAlarms
	for i := range rows {
		if rows[i].Budget == operating {
			op = &rows[i]
		}
	}
	if op == nil {
		return x, false
	}
	var from, top *BudgetFalseAlarms
	for i := range rows {
		r := &rows[i]
		exp := r.Expected - op.Expected
		if r.Budget <= operating || exp <= 0 {
			continue
		}
		r.Excess = max(0, r.False-op.False)
		lo, hi := PoissonInterval(r.Excess, 0.95)
		r.Ratio, r.RatioLo, r.RatioHi = float64(r.Excess)/exp, lo/exp, hi/exp
		x.RatioU95 = math.Max(x.RatioU95, PoissonUpper(r.Excess, 0.95)/exp)
		if top == nil || r.Budget > top.Budget {
			top = r
		}
		enough := r.Excess >= MinCalibrationEvents
		switch {
		case from == nil:
			from = r
		case enough && (from.Excess < MinCalibrationEvents || r.Budget < from.Budget):
			from = r
		case !enough && from.Excess < MinCalibrationEvents && r.Budget > from.Budget:
			from = r
		}
	}
	if from == nil {
		return x, false
	}
	x.FromBudget, x.Ratio = from.Budget, from.Ratio
	x.ExpectedPerDay = op.ExpectedPerDay
	x.PerDay = x.Ratio * x.ExpectedPerDay
	x.PerDayU95 = x.RatioU95 * x.ExpectedPerDay
	x.TrendPerDay = x.PerDay
	if from != top && from.Excess >= MinCalibrationEvents && top.Ratio > 0 && from.Ratio > top.Ratio {
		x.RisePerDecade = math.Pow(from.Ratio/top.Ratio, 1/math.Log10(top.Budget/from.Budget))
		x.TrendPerDay = x.PerDay * math.Pow(x.RisePerDecade, math.Log10(from.Budget/operating))
	}
	x.Floor, x.FloorOnClutter = op.False, op.OnClutter
	x.FloorPerDay = 24 * float64(op.False) / sensorHours
	x.FloorPerDayU95 = 24 * PoissonUpper(op.False, 0.95) / sensorHours
	return x, true
}
