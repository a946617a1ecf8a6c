package evaluate

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/cellwatch/cellwatch/pkg/sim"
)

func det(sensor, zone string, start, end, lo, hi, level float64) SensorDetection {
	return SensorDetection{Sensor: sensor, Zone: zone, Start: start, End: end, LoHz: lo, HiHz: hi, LevelDB: level}
}

func decideOK(t *testing.T, dets []SensorDetection) []SiteEmission {
	t.Helper()
	out, err := DecideZones(dets, DefaultZoneMatch)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The loudest box names the zone; a lone detection keeps its box's zone;
// the margin is the winner over the runner-up.
func TestDecideZonesStrongestWins(t *testing.T) {
	dets := []SensorDetection{
		det("s1", "A1", 1.000, 1.001, 891.3e6, 891.5e6, -70),
		det("s2", "A2", 1.0002, 1.0008, 891.32e6, 891.48e6, -52), // same burst, louder
		det("s3", "B1", 1.000, 1.001, 891.3e6, 891.5e6, -75),
		det("s3", "B1", 2.000, 2.001, 1745e6, 1746e6, -90), // heard by s3 only
	}
	out := decideOK(t, dets)
	if len(out) != 2 {
		t.Fatalf("%d site emissions, want 2: %+v", len(out), out)
	}
	e := out[0]
	if e.Zone != "A2" || e.Sensor != "s2" || e.Sensors != 3 || math.Abs(e.MarginDB-18) > 1e-9 || e.LevelDB != -52 {
		t.Errorf("first emission %+v, want zone A2 from s2, 3 sensors, margin 18 dB", e)
	}
	if e.Start != 1.000 || e.End != 1.001 || e.LoHz != 891.3e6 || e.HiHz != 891.5e6 || len(e.Members) != 3 {
		t.Errorf("first emission span/members %+v", e)
	}
	if l := out[1]; l.Zone != "B1" || l.Sensors != 1 || !math.IsInf(l.MarginDB, 1) || len(l.Members) != 1 || l.Members[0] != 3 {
		t.Errorf("lone emission %+v, want B1 from one sensor with margin +Inf", l)
	}
}

// Adjacent channels, a barely touching band, or a gap longer than the
// slack keep transmissions apart; a gap within the slack does not.
func TestDecideZonesMatching(t *testing.T) {
	for _, c := range []struct {
		name string
		b    SensorDetection
		want int
	}{
		{"same channel", det("s2", "Z2", 0, 1e-3, 900.0e6, 900.2e6, -60), 1},
		{"adjacent GSM channel", det("s2", "Z2", 0, 1e-3, 900.2e6, 900.4e6, -60), 2},
		{"a quarter of the band overlaps", det("s2", "Z2", 0, 1e-3, 900.15e6, 900.35e6, -60), 2},
		{"narrow inside a wide one", det("s2", "Z2", 0, 1e-3, 895e6, 905e6, -60), 1},
		{"gap of 0.5 ms", det("s2", "Z2", 1.5e-3, 2.5e-3, 900.0e6, 900.2e6, -60), 1},
		{"gap of 5 ms", det("s2", "Z2", 6e-3, 7e-3, 900.0e6, 900.2e6, -60), 2},
	} {
		a := det("s1", "Z1", 0, 1e-3, 900.0e6, 900.2e6, -70)
		if got := len(decideOK(t, []SensorDetection{a, c.b})); got != c.want {
			t.Errorf("%s: %d site emissions, want %d", c.name, got, c.want)
		}
	}
}

// Two detections of one box are not the same transmission because they
// overlap; a long detection at another box can still join them.
func TestDecideZonesSameSensorAndTransitive(t *testing.T) {
	a1 := det("s1", "Z1", 0, 2e-3, 900.0e6, 900.2e6, -50)
	a2 := det("s1", "Z1", 1e-3, 3e-3, 900.0e6, 900.2e6, -55)
	if out := decideOK(t, []SensorDetection{a1, a2}); len(out) != 2 {
		t.Errorf("one sensor's overlapping detections: %d site emissions, want 2", len(out))
	}
	b1 := det("s2", "Z2", 0, 0.5e-3, 900.0e6, 900.2e6, -60)
	b2 := det("s2", "Z2", 30e-3, 31e-3, 900.0e6, 900.2e6, -40)
	long := det("s1", "Z1", 0, 31e-3, 900.0e6, 900.2e6, -50)
	out := decideOK(t, []SensorDetection{b1, long, b2})
	if len(out) != 1 {
		t.Fatalf("%d site emissions, want the long detection to join both: %+v", len(out), out)
	}
	// Each box's level is its loudest member's: s2 reached −40 dBm.
	if e := out[0]; e.Zone != "Z2" || e.Sensors != 2 || math.Abs(e.MarginDB-10) > 1e-9 || len(e.Members) != 3 {
		t.Errorf("%+v, want Z2 by 10 dB over 2 sensors, 3 members", e)
	}
}

// The decision does not depend on the order detections arrive in; ties go
// to the lexically first sensor.
func TestDecideZonesDeterministic(t *testing.T) {
	tie := decideOK(t, []SensorDetection{
		det("s9", "Z9", 0, 1e-3, 900e6, 900.2e6, -60),
		det("s1", "Z1", 0, 1e-3, 900e6, 900.2e6, -60),
	})
	if len(tie) != 1 || tie[0].Sensor != "s1" || tie[0].MarginDB != 0 {
		t.Errorf("tie: %+v, want s1 with margin 0", tie)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var dets []SensorDetection
	for i := range 200 {
		f := 900e6 + float64(rng.IntN(5))*200e3
		t0 := float64(rng.IntN(50)) * 4.6e-3
		s := rng.IntN(4)
		dets = append(dets, det([]string{"a", "b", "c", "d"}[s], []string{"A", "B", "C", "D"}[s], t0, t0+577e-6, f, f+200e3, -100+60*rng.Float64()+float64(i)*1e-6))
	}
	zones := func(ds []SensorDetection) map[[2]float64]string {
		m := map[[2]float64]string{}
		for _, e := range decideOK(t, ds) {
			m[[2]float64{e.Start, e.LoHz}] += e.Zone
		}
		return m
	}
	want := zones(dets)
	rng.Shuffle(len(dets), func(i, j int) { dets[i], dets[j] = dets[j], dets[i] })
	got := zones(dets)
	if len(got) != len(want) {
		t.Fatalf("%d site emissions after shuffling, %d before", len(got), len(want))
	}
	for k, z := range want {
		if got[k] != z {
			t.Errorf("emission at %.4f s %.1f MHz: zone %q after shuffling, %q before", k[0], k[1]/1e6, got[k], z)
		}
	}
}

func TestDecideZonesRejectsBadInput(t *testing.T) {
	for _, c := range []struct {
		d    SensorDetection
		want string
	}{
		{det("", "Z", 0, 1, 1, 2, -50), "detection 0: detection at 0.000000 s: empty sensor name"},
		{det("s1", "Z", 2, 1, 1, 2, -50), `sensor "s1": detection ends (1 s) before it starts (2 s)`},
		{det("s1", "Z", 0, 1, 3, 2, -50), `sensor "s1": detection band 3…2 Hz is inverted`},
		{det("s1", "Z", 0, 1, 1, 2, math.NaN()), `sensor "s1": detection level NaN dB is not a number`},
	} {
		if _, err := DecideZones([]SensorDetection{c.d}, DefaultZoneMatch); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.d, err, c.want)
		}
	}
	if _, err := DecideZones(nil, ZoneMatch{SlackS: -1}); err == nil || !strings.Contains(err.Error(), "slack -1 s") {
		t.Errorf("negative slack: error %v", err)
	}
}

func TestMeasureZonesNeedsSeveralSensors(t *testing.T) {
	sc, err := sim.Builtin("corridor-small")
	if err != nil {
		t.Fatal(err)
	}
	sw, err := EUSweep(6*time.Millisecond, 5*time.Millisecond, time.Second, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := MeasureZones(sc, sw, time.Second); err == nil || !strings.Contains(err.Error(), `scene "corridor-small" has 1 sensor(s)`) {
		t.Errorf("error %v, want one naming the single-sensor scene", err)
	}
}
