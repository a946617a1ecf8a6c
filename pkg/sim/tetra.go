package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// TETRA air interface (ETSI EN 300 392-2; domain.md §6): π/4-DQPSK at
// 18 ksymbol/s, root-raised-cosine α = 0.35 in a 25 kHz channel, 4-slot
// TDMA with 255-symbol (14.17 ms) slots and 56.67 ms frames. A handset
// sends one burst in its slot of every frame while it talks.
const (
	tetraSymRate = 18e3
	tetraRollOff = 0.35
	tetraBW      = 25e3
	tetraSlot    = 255 / tetraSymRate
	tetraFrame   = 4 * tetraSlot
	tetraBurst   = 231 // symbols of an uplink normal burst
	tetraRamp    = 17  // symbols of ramp and guard before it
	tetraSpan    = 4   // RRC pulse truncated to ±4 symbols
)

// Tetra is a TETRA handset (clutter: public safety radio, 380–400 MHz in
// Europe): during each talk spurt of Duration it sends one burst in its Slot
// of every TDMA frame. Every > 0 repeats the spurt.
type Tetra struct {
	Name       string        `yaml:"name"`
	FreqHz     float64       `yaml:"freq_hz"`
	Slot       int           `yaml:"slot"` // 0…3
	Start      time.Duration `yaml:"start"`
	Duration   time.Duration `yaml:"duration"`
	Every      time.Duration `yaml:"every"`
	RxPowerDBm float64       `yaml:"rx_power_dbm"` // received at every sensor
}

func (c *Tetra) validate(i int) []error {
	w := fmt.Sprintf("tetras[%d] (%q)", i, c.Name)
	var errs []error
	if c.Name == "" {
		errs = append(errs, fmt.Errorf("tetras[%d]: empty name", i))
	}
	if !(c.FreqHz >= tunerMinHz && c.FreqHz <= tunerMaxHz) {
		errs = append(errs, fmt.Errorf("%s: freq_hz %g outside 24–1766 MHz", w, c.FreqHz))
	}
	if c.Slot < 0 || c.Slot > 3 {
		errs = append(errs, fmt.Errorf("%s: slot %d outside 0…3", w, c.Slot))
	}
	if c.Duration <= 0 || c.Start < 0 || c.Every < 0 || c.Every > 0 && c.Every <= c.Duration {
		errs = append(errs, fmt.Errorf("%s: start %v, duration %v, every %v: want duration > 0 and every 0 or > duration", w, c.Start, c.Duration, c.Every))
	}
	return errs
}

type tetraPlan struct{ c *Tetra }

func (tp tetraPlan) plan(st *stream, occ int) []tx {
	t0 := st.startOf(occ).Seconds()
	end := t0 + tp.c.Duration.Seconds()
	var txs []tx
	for f := math.Ceil(t0 / tetraFrame); ; f++ {
		a := f*tetraFrame + float64(tp.c.Slot)*tetraSlot + tetraRamp/tetraSymRate
		if a >= end {
			break
		}
		txs = append(txs, tx{kind: kTetra, start: seconds(a), end: seconds(a + tetraBurst/tetraSymRate),
			freqHz: tp.c.FreqHz, bwHz: tetraBW, powerDBm: tp.c.RxPowerDBm})
	}
	return txs
}

// rrc is the root-raised-cosine impulse response (unit symbol period) at t.
func rrc(t, a float64) float64 {
	switch {
	case math.Abs(t) < 1e-9:
		return 1 - a + 4*a/math.Pi
	case math.Abs(math.Abs(t)-1/(4*a)) < 1e-9:
		return a / math.Sqrt2 * ((1+2/math.Pi)*math.Sin(math.Pi/(4*a)) + (1-2/math.Pi)*math.Cos(math.Pi/(4*a)))
	}
	return (math.Sin(math.Pi*t*(1-a)) + 4*a*t*math.Cos(math.Pi*t*(1+a))) / (math.Pi * t * (1 - 16*a*a*t*t))
}

// rrcEnergy normalises the truncated pulse to unit energy per symbol.
var rrcEnergy = func() float64 {
	var e float64
	const steps = 256
	for i := -tetraSpan * steps; i <= tetraSpan*steps; i++ {
		v := rrc(float64(i)/steps, tetraRollOff)
		e += v * v / steps
	}
	return e
}()

// renderTetra adds a π/4-DQPSK burst on [t0, t1) (s, absolute) to seg.
func renderTetra(seg []complex128, n0 int64, fs, t0, t1, df, amp float64, r *rand.Rand) {
	nSym := int(math.Round((t1 - t0) * tetraSymRate))
	sym := make([]complex128, nSym)
	ph := 2 * math.Pi * r.Float64()
	for i := range sym {
		ph += math.Pi/4 + math.Pi/2*float64(r.IntN(4))
		sym[i] = complex(math.Cos(ph), math.Sin(ph))
	}
	g := amp / math.Sqrt(rrcEnergy)
	cyc := df * float64(n0) / fs
	base := 2 * math.Pi * (cyc - math.Floor(cyc))
	for m := range seg {
		t := (float64(n0+int64(m))/fs - t0) * tetraSymRate // in symbols
		if t < -tetraSpan || t > float64(nSym)+tetraSpan {
			continue
		}
		var v complex128
		for k := max(0, int(math.Ceil(t-tetraSpan))); k <= min(nSym-1, int(math.Floor(t+tetraSpan))); k++ {
			v += sym[k] * complex(rrc(t-float64(k), tetraRollOff), 0)
		}
		s, c := math.Sincos(base + 2*math.Pi*df*float64(m)/fs)
		seg[m] += v * complex(g*c, g*s)
	}
}
