package sim

import (
	"fmt"
	"math"
	"time"
)

// Event kinds.
const (
	// EventAntennaCut: from At (to Until) every signal from outside the
	// receiver — phones, downlink, clutter, jammers — is LossDB weaker, as
	// when the antenna cable is cut or the antenna shielded. The receiver's
	// own thermal noise, DC offset and spurs stay: on an RTL-SDR the floor
	// hardly moves, what vanishes is the ambient it always heard.
	EventAntennaCut = "antenna-cut"
	// EventJammer: from At (to Until) a wideband noise source covers
	// [LowHz, HighHz] and lifts the floor there RiseDB above the
	// receiver's thermal noise.
	EventJammer = "jammer"
)

// Defaults used when the corresponding Event field is zero.
const (
	DefaultCutLossDB = 40.0
	DefaultJamRiseDB = 20.0
)

// The R820T's tuning range, which bounds frequencies in a scene.
const (
	tunerMinHz = 24e6
	tunerMaxHz = 1766e6
)

// Event changes the scene from At on, until Until (0: to the end).
type Event struct {
	Kind  string        `yaml:"kind"`
	At    time.Duration `yaml:"at"`
	Until time.Duration `yaml:"until"`
	// LossDB (antenna-cut) attenuates every external signal; 0 means
	// DefaultCutLossDB.
	LossDB float64 `yaml:"loss_db"`
	// LowHz, HighHz (jammer) is the jammed span; RiseDB the floor rise over
	// thermal noise, 0 meaning DefaultJamRiseDB.
	LowHz  float64 `yaml:"low_hz"`
	HighHz float64 `yaml:"high_hz"`
	RiseDB float64 `yaml:"rise_db"`
}

func (e *Event) lossDB() float64 {
	if e.LossDB > 0 {
		return e.LossDB
	}
	return DefaultCutLossDB
}

func (e *Event) riseDB() float64 {
	if e.RiseDB > 0 {
		return e.RiseDB
	}
	return DefaultJamRiseDB
}

// active reports whether t lies in [At, Until).
func (e *Event) active(t time.Duration) bool {
	return t >= e.At && (e.Until == 0 || t < e.Until)
}

func (e *Event) validate(i int) []error {
	w := fmt.Sprintf("events[%d] (%s)", i, e.Kind)
	var errs []error
	if e.At < 0 || e.Until < 0 {
		errs = append(errs, fmt.Errorf("%s: negative time", w))
	}
	if e.Until != 0 && e.Until <= e.At {
		errs = append(errs, fmt.Errorf("%s: until (%v) must be after at (%v)", w, e.Until, e.At))
	}
	switch e.Kind {
	case EventAntennaCut:
		if e.LossDB < 0 || e.LossDB > 120 {
			errs = append(errs, fmt.Errorf("%s: loss_db %g outside 0…120", w, e.LossDB))
		}
	case EventJammer:
		if !(e.LowHz >= tunerMinHz && e.HighHz > e.LowHz && e.HighHz <= tunerMaxHz) {
			errs = append(errs, fmt.Errorf("%s: low_hz %g, high_hz %g: not a span within 24–1766 MHz", w, e.LowHz, e.HighHz))
		}
		if e.RiseDB < 0 || e.RiseDB > 80 {
			errs = append(errs, fmt.Errorf("%s: rise_db %g outside 0…80", w, e.RiseDB))
		}
	default:
		errs = append(errs, fmt.Errorf("%s: unknown kind %q (want %s or %s)", w, e.Kind, EventAntennaCut, EventJammer))
	}
	return errs
}

// cutGain is the amplitude factor of external signals at absolute sample n.
func (s *Simulator) cutGain(n int64) float64 {
	t := s.timeOf(n)
	g := 1.0
	for i := range s.sc.Events {
		e := &s.sc.Events[i]
		if e.Kind == EventAntennaCut && e.active(t) {
			g *= math.Pow(10, -e.lossDB()/20)
		}
	}
	return g
}

// hasCut reports whether any antenna-cut event overlaps samples [n0, n1).
func (s *Simulator) hasCut(n0, n1 int64) bool {
	t0, t1 := s.timeOf(n0), s.timeOf(n1)
	for i := range s.sc.Events {
		e := &s.sc.Events[i]
		if e.Kind == EventAntennaCut && t1 > e.At && (e.Until == 0 || t0 < e.Until) {
			return true
		}
	}
	return false
}
