package evaluate

import (
	"math"
	"testing"
	"time"

	"github.com/cellwatch/cellwatch/pkg/bands"
	"github.com/cellwatch/cellwatch/pkg/sim"
)

// ClutterScene has what its comment claims, against the EU plan the
// bench sweeps.
func TestClutterSceneHasWhatItClaims(t *testing.T) {
	sc := ClutterScene(1)
	if _, err := sim.New(sc, 2.4e6); err != nil {
		t.Fatal(err)
	}
	sw, err := EUSweep(6*time.Millisecond, 5*time.Millisecond, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	sched, err := sw.schedule()
	if err != nil {
		t.Fatal(err)
	}
	captured := func(lo, hi float64) bool { // does any hop's 2.4 MHz capture reach [lo, hi]?
		for _, h := range sched.Hops {
			if h.CenterHz-1.2e6 < hi && h.CenterHz+1.2e6 > lo {
				return true
			}
		}
		return false
	}
	if !sc.Spurs || !sc.DCOffset || sc.Sensor.IQGainDB == 0 || sc.Sensor.IIP3DBm == 0 {
		t.Errorf("receiver lines: spurs %v, DC %v, IQ imbalance %g dB, IIP3 %g dBm: want all", sc.Spurs, sc.DCOffset, sc.Sensor.IQGainDB, sc.Sensor.IIP3DBm)
	}
	// Downlink in B20, B8 and B3 DL, none of it captured by a hop.
	dl := map[string]int{}
	var cwIn, keyed int
	for _, c := range sc.Carriers {
		if c.Kind == sim.CarrierCW {
			if _, ok := sw.Plan.BandAt(c.FreqHz); ok && captured(c.FreqHz, c.FreqHz) {
				cwIn++
				if c.Until != 0 {
					keyed++
				}
			}
			continue
		}
		for _, b := range sw.Plan.Bands {
			if d := b.Downlink(); c.FreqHz >= d.LowHz && c.FreqHz <= d.HighHz {
				dl[b.Name]++
			}
		}
		if captured(c.FreqHz-c.OccupiedHz()/2, c.FreqHz+c.OccupiedHz()/2) {
			t.Errorf("%s at %.1f MHz is captured by a hop: it should reach the uplink only through intermodulation", c.Name, c.FreqHz/1e6)
		}
	}
	for _, b := range []string{"B20", "B8", "B3"} {
		if dl[b] == 0 {
			t.Errorf("no downlink carrier in %s DL", b)
		}
	}
	if cwIn < 3 || keyed == 0 {
		t.Errorf("%d CW carriers in swept uplink bands (%d keyed): want ≥ 3, some keyed", cwIn, keyed)
	}
	// Intermodulation lifts the floor of B20, B8 and B28 uplink by 0.4 dB
	// or more somewhere (density ≥ a tenth of thermal).
	noise := math.Pow(10, (-174+6)/10.0)
	lifted := map[string]bool{}
	for _, p := range sc.IntermodProducts() {
		for f := p.FreqHz - p.BandwidthHz/2; f <= p.FreqHz+p.BandwidthHz/2; f += 100e3 {
			b, ok := sw.Plan.BandAt(f)
			if !ok || !captured(f, f) {
				continue
			}
			x := (f - p.FreqHz) / p.SigmaHz
			if d := math.Pow(10, p.RxPowerDBm/10) / (p.SigmaHz * math.Sqrt(2*math.Pi)) * math.Exp(-x*x/2); d >= noise/10 {
				lifted[b.Name] = true
			}
		}
	}
	for _, b := range []string{"B20", "B8", "B28"} {
		if !lifted[b] {
			t.Errorf("no intermodulation product lifts the %s uplink floor", b)
		}
	}
	// Chirps inside an uplink band and in the SRD band next to B20.
	var chirpUL, chirpSRD int
	for _, c := range sc.Chirpers {
		if _, ok := sw.Plan.BandAt(c.FreqHz); ok {
			chirpUL++
		} else if c.FreqHz >= 863e6 && c.FreqHz <= 870e6 {
			chirpSRD++
		}
	}
	if chirpUL == 0 || chirpSRD == 0 {
		t.Errorf("chirpers: %d in uplink bands, %d in SRD; want both", chirpUL, chirpSRD)
	}
	// Outside traffic only: every phone ≥ 100 m off, of several technologies.
	techs := map[string]bool{}
	for _, p := range sc.Phones {
		if d := math.Hypot(p.X-sc.Sensor.X, p.Y-sc.Sensor.Y); d < 100 {
			t.Errorf("phone %s %.0f m from the sensor: the scene has no handset inside", p.ID, d)
		}
		techs[string(p.Tech)] = true
	}
	if len(techs) < 4 {
		t.Errorf("outside traffic of %d technologies, want gsm, umts, lte and nr", len(techs))
	}
	// TETRA is left out because no hop reaches its bands.
	for _, r := range []bands.Range{{LowHz: 380e6, HighHz: 400e6}, {LowHz: 410e6, HighHz: 430e6}, {LowHz: 450e6, HighHz: 470e6}} {
		if captured(r.LowHz, r.HighHz) {
			t.Errorf("a hop captures TETRA's %g–%g MHz: the scene should have TETRA", r.LowHz/1e6, r.HighHz/1e6)
		}
	}
	if len(sc.Tetras) != 0 {
		t.Errorf("%d TETRA radios in a scene no hop hears them in", len(sc.Tetras))
	}
}
