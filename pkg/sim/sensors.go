package sim

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// SensorList returns every sensor of the scene: Sensors, or Sensor alone.
func (sc *Scene) SensorList() []Sensor {
	if len(sc.Sensors) > 0 {
		return sc.Sensors
	}
	return []Sensor{sc.Sensor}
}

// ForSensor returns a copy of the scene rendered at the named sensor ("" is
// the first). Emitters, their schedules and the truth are the same for every
// sensor; only the path losses and the receiver differ.
func (sc *Scene) ForSensor(name string) (*Scene, error) {
	list := sc.SensorList()
	i := 0
	if name != "" {
		i = slices.IndexFunc(list, func(s Sensor) bool { return s.Name == name })
		if i < 0 {
			var names []string
			for _, s := range list {
				names = append(names, s.Name)
			}
			return nil, fmt.Errorf("sim: scene %q has no sensor %q (have %v)", sc.Name, name, names)
		}
	}
	cp := *sc
	cp.Sensor = list[i]
	return &cp, nil
}

// receiverKey tells the receivers of a multi-sensor scene apart, so that
// each has its own noise, DC offset and retune transients (one-sensor
// scenes keep the key, and the bytes, they always had).
func (sc *Scene) receiverKey() string {
	if len(sc.Sensors) == 0 {
		return ""
	}
	return "/" + sc.Sensor.Name
}

// shadowDB is the fixed shadowing of the link from a phone to a sensor.
func (sc *Scene) shadowDB(phone, sensor string) float64 {
	if sc.ShadowingDB == 0 {
		return 0
	}
	return sc.ShadowingDB * rngFor(sc.Seed, "\x00shadow/"+phone+"/"+sensor).NormFloat64()
}

// PathLossAtDB is the loss (dB) from (x, y) to sensor se at freqHz: free
// space at 1 m, log-distance beyond (exponent PathLossExponent), plus every
// wall the straight path crosses (domain.md §4.1).
func (sc *Scene) PathLossAtDB(se Sensor, x, y, freqHz float64) float64 {
	d := math.Hypot(x-se.X, y-se.Y)
	if d < 1 {
		d = 1
	}
	fspl1m := 20*math.Log10(freqHz/1e6) - 27.55
	loss := fspl1m + 10*sc.exponent()*math.Log10(d)
	for _, w := range sc.Walls {
		if segmentsCross(x, y, se.X, se.Y, w.X1, w.Y1, w.X2, w.Y2) {
			loss += w.LossDB
		}
	}
	return loss
}

func (sc *Scene) validateSensors() []error {
	var errs []error
	seen := map[string]bool{}
	check := func(where string, se *Sensor) {
		if se.GainDB < 0 || se.GainDB > MaxGainDB {
			errs = append(errs, fmt.Errorf("%s: gain_db %g outside 0…%g", where, se.GainDB, MaxGainDB))
		}
		if se.NoiseFigureDB < 0 || se.NoiseFigureDB > 40 {
			errs = append(errs, fmt.Errorf("%s: noise_figure_db %g outside 0…40", where, se.NoiseFigureDB))
		}
		if math.Abs(se.IQGainDB) > 3 || math.Abs(se.IQPhaseDeg) > 20 {
			errs = append(errs, fmt.Errorf("%s: IQ imbalance %g dB / %g° beyond ±3 dB / ±20°", where, se.IQGainDB, se.IQPhaseDeg))
		}
		if se.IIP3DBm != 0 && (se.IIP3DBm < -40 || se.IIP3DBm > 30) {
			errs = append(errs, fmt.Errorf("%s: iip3_dbm %g outside −40…30 (0: linear)", where, se.IIP3DBm))
		}
		if se.SettleTau < 0 || se.SettleTau > 10*time.Millisecond {
			errs = append(errs, fmt.Errorf("%s: settle_tau %v outside 0…10ms", where, se.SettleTau))
		}
	}
	if len(sc.Sensors) == 0 {
		check(fmt.Sprintf("sensor %q", sc.Sensor.Name), &sc.Sensor)
	}
	for i := range sc.Sensors {
		se := &sc.Sensors[i]
		where := fmt.Sprintf("sensors[%d] (%q)", i, se.Name)
		if se.Name == "" {
			errs = append(errs, fmt.Errorf("sensors[%d]: empty name in a multi-sensor scene", i))
		}
		if seen[se.Name] {
			errs = append(errs, fmt.Errorf("%s: duplicate name", where))
		}
		seen[se.Name] = true
		check(where, se)
	}
	return errs
}
