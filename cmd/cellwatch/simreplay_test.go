package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cellwatch/cellwatch/pkg/config"
	"github.com/cellwatch/cellwatch/pkg/detect"
	"github.com/cellwatch/cellwatch/pkg/iq"
	"github.com/cellwatch/cellwatch/pkg/sim"
	"github.com/cellwatch/cellwatch/pkg/source"
)

// These tests replay cu8 recordings made by the simulator the way an
// RTL-SDR makes them (2.4 MS/s, 8 bits, thermal noise, DC offset, spurs):
// one GSM burst or one LTE subframe at moderate SNR spliced into noise, and
// noise with spurs and chirps.

const simFS = 2.4e6

// record generates d of cu8 at tune f.
func record(t *testing.T, sc *sim.Scene, f float64, d time.Duration) ([]byte, *sim.Simulator) {
	t.Helper()
	s, err := sim.New(sc, simFS)
	if err != nil {
		t.Fatal(err)
	}
	s.Tune(f)
	buf := make([]byte, 2*int(d.Seconds()*simFS))
	s.Generate(buf)
	return buf, s
}

// quietScene is a sensor in an empty room with the RTL's impairments.
func quietScene(seed int64) *sim.Scene {
	sc, _ := sim.Builtin("noise-only")
	sc.Seed = seed
	sc.Spurs, sc.DCOffset = true, true
	return sc
}

// phoneAtSNR puts one phone 5 m from the sensor with the power that gives
// snr dB in-channel (GSM: 200 kHz; LTE: per RB over 180 kHz).
func phoneAtSNR(sc *sim.Scene, p sim.Phone, snr float64) *sim.Scene {
	p.X, p.Y = sc.Sensor.X+5, sc.Sensor.Y
	s, _ := sim.New(sc, simFS)
	bw := 200e3
	if p.Tech == detect.LTE {
		bw = 180e3
	}
	p.TxPowerDBm = s.NoiseDBm(bw) + snr + sc.PathLossDB(p.X, p.Y, p.FreqHz)
	sc.Phones = append(sc.Phones, p)
	return sc
}

func writeCU8(t *testing.T, name string, data []byte, f float64) string {
	t.Helper()
	base := filepath.Join(t.TempDir(), name)
	meta := &iq.SigMF{Global: iq.SigMFGlobal{Datatype: "cu8", SampleRate: simFS, Version: iq.SigMFVersion},
		Captures: []iq.SigMFCapture{{Frequency: f}}}
	if err := iq.WriteSigMF(base, meta, data); err != nil {
		t.Fatal(err)
	}
	return base + iq.SigMFMetaExt
}

// splice copies rec's samples over [t0, t1) into bg.
func splice(bg, rec []byte, t0, t1 time.Duration) {
	a, b := 2*int(t0.Seconds()*simFS), 2*int(t1.Seconds()*simFS)
	copy(bg[a:b], rec[a:b])
}

func TestSimSingleBursts(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates and replays 20 recordings")
	}
	cases := []struct {
		name  string
		phone sim.Phone
		kind  string
		tech  string
	}{
		{"gsm-burst", sim.Phone{ID: "g", Tech: detect.GSM, FreqHz: 882.4e6,
			Schedule: []sim.Activity{{Kind: sim.Call, Start: 50 * time.Millisecond, Duration: 10 * time.Second}}}, sim.KindGSMBurst, "gsm"},
		{"lte-subframe", sim.Phone{ID: "l", Tech: detect.LTE, FreqHz: 847e6, BandwidthHz: 1.4e6,
			Schedule: []sim.Activity{{Kind: sim.Data, Start: 50 * time.Millisecond, Duration: 10 * time.Second}}}, sim.KindLTESubframe, "lte"},
	}
	for _, c := range cases {
		for _, snr := range []float64{3, 5, 8, 12, 20} {
			t.Run(fmt.Sprintf("%s-%.0fdB", c.name, snr), func(t *testing.T) {
				const dur = 1500 * time.Millisecond
				tune := c.phone.FreqHz + 250e3 // DC off the channel, as the hop plan does
				sc := phoneAtSNR(quietScene(3), c.phone, snr)
				rec, s := record(t, sc, tune, dur)
				bg, _ := record(t, quietScene(4), tune, dur)
				// One transmission of the wanted kind, well inside the file.
				var pick *sim.TruthRecord
				for _, r := range s.TruthBetween(time.Second, dur-100*time.Millisecond) {
					if r.Kind == c.kind {
						pick = &r
						break
					}
				}
				if pick == nil {
					t.Fatalf("no %s in the truth", c.kind)
				}
				splice(bg, rec, pick.Start-20*time.Microsecond, pick.End+20*time.Microsecond)
				recs, stderr, rc := replayJSON(t, writeCU8(t, c.name, bg, tune))
				if rc != 0 {
					t.Fatalf("exit %d: %s", rc, stderr)
				}
				if len(recs) != 1 {
					t.Fatalf("want exactly the one %s, got %+v (truth %+v)", c.kind, recs, *pick)
				}
				r := recs[0]
				if r.Tech != c.tech || r.Bursts != 1 || r.Band == "" {
					t.Errorf("got %+v, want one %s burst in a band", r, c.tech)
				}
				if math.Abs(r.StartS-pick.Start.Seconds()) > 1e-4 || math.Abs(r.EndS-pick.End.Seconds()) > 1e-4 {
					t.Errorf("times %.4f–%.4f, truth %.4f–%.4f", r.StartS, r.EndS, pick.Start.Seconds(), pick.End.Seconds())
				}
				// Centre within 30 kHz, or a quarter of a wide allocation,
				// whose measured band narrows as its edges sink into noise.
				if math.Abs(float64(r.FreqHz)-pick.FreqHz) > max(30e3, pick.BandwidthHz/4) {
					t.Errorf("freq %d, truth %.0f", r.FreqHz, pick.FreqHz)
				}
			})
		}
	}
}

func TestSimClutterIsSilent(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates and replays 6 recordings")
	}
	for _, rx := range []float64{-95, -105, -110} {
		// Next to the 864.0 MHz spur, in the SRD band where LoRa lives.
		t.Run(fmt.Sprintf("srd-chirps-at-%.0fdBm", rx), func(t *testing.T) { clutterIsSilent(t, rx, 864.25e6) })
		// The same chirps inside B20's uplink next to its 835.2 MHz spur:
		// no band rule helps there, the chirp features must.
		t.Run(fmt.Sprintf("uplink-chirps-at-%.0fdBm", rx), func(t *testing.T) { clutterIsSilent(t, rx, 835.45e6) })
	}
}

func clutterIsSilent(t *testing.T, rx, tune float64) {
	// LoRa-like chirps (SF7 and SF9, 125 kHz; noise in 125 kHz is about
	// −117 dBm) either side of the tune, a spur, and the DC offset.
	sc := quietScene(5)
	sc.Chirpers = []sim.Chirper{
		{Name: "lora-sf7", FreqHz: tune + 450e3, SF: 7, Symbols: 30, Start: 100 * time.Millisecond, Period: 300 * time.Millisecond, RxPowerDBm: rx},
		{Name: "lora-sf9", FreqHz: tune - 550e3, SF: 9, Symbols: 20, Start: 200 * time.Millisecond, Period: 700 * time.Millisecond, RxPowerDBm: rx - 5},
	}
	data, s := record(t, sc, tune, 3*time.Second)
	if n := len(s.TruthBetween(0, 3*time.Second)); n == 0 {
		t.Fatal("no chirps in the truth")
	}
	path := writeCU8(t, "clutter", data, tune)
	recs, stderr, rc := replayJSON(t, path)
	if rc != 0 {
		t.Fatalf("exit %d: %s", rc, stderr)
	}
	if len(recs) != 0 {
		t.Errorf("clutter reported as handsets: %+v", recs)
	}
	all, _, _ := replayJSON(t, "--all", path)
	var chirp bool
	for _, r := range all {
		chirp = chirp || r.Reason == "chirp"
	}
	if !chirp {
		t.Errorf("--all shows no chirp: %+v", all)
	}
}

// TestSimCommandMultiSensor records a scene file with several sensors: one
// recording per sensor, named after it, and one truth with the zone of every
// emitter and the power of every transmission at every sensor. The
// recording of the sensor next to a phone replays a detection of it.
func TestSimCommandMultiSensor(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates 6 sensors for 2.5 s")
	}
	dir := t.TempDir()
	var out, errb bytes.Buffer
	rc := run([]string{"sim", "--scene=../../configs/scenes/block-large.yaml", "--out=" + dir, "--duration=2500ms", "--freq=837e6"}, &out, &errb)
	if rc != 0 {
		t.Fatalf("exit %d: %s", rc, errb.String())
	}
	sc, err := sim.LoadFile("../../configs/scenes/block-large.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, se := range sc.SensorList() {
		meta := filepath.Join(dir, "block-large_"+se.Name+"_837M_2.4M.sigmf-meta")
		if !strings.Contains(out.String(), meta) {
			t.Errorf("no recording %s in\n%s", meta, out.String())
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "block-large.truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Sensors []struct {
			Name, Zone string
		} `json:"sensors"`
		Emitters []struct {
			ID        string `json:"id"`
			Zone      string `json:"zone"`
			PerSensor []struct {
				Sensor     string  `json:"sensor"`
				RxPowerDBm float64 `json:"rx_power_dbm"`
			} `json:"per_sensor"`
		} `json:"emitters"`
		Tx []struct {
			Emitter string    `json:"emitter"`
			Kind    string    `json:"kind"`
			Zone    string    `json:"zone"`
			Powers  []float64 `json:"sensor_power_dbm"`
			StartS  float64   `json:"start_s"`
		} `json:"transmissions"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Sensors) != 6 {
		t.Fatalf("truth lists %d sensors, want 6", len(doc.Sensors))
	}
	zones := map[string]string{}
	for _, e := range doc.Emitters {
		zones[e.ID] = e.Zone
		if len(e.PerSensor) != 6 {
			t.Errorf("emitter %s: %d per-sensor links", e.ID, len(e.PerSensor))
		}
	}
	if zones["a-lte-data"] != "A2" || zones["b-gsm-sms"] != "B1" {
		t.Errorf("zones %v", zones)
	}
	var prach int
	for _, r := range doc.Tx {
		if len(r.Powers) != 6 || r.Zone != zones[r.Emitter] {
			t.Fatalf("transmission %+v: want a power per sensor and the emitter's zone", r)
		}
		if r.Emitter == "a-lte-data" && r.Kind == sim.KindPRACH {
			prach++
			// loudest at the zone's own sensor (a-corridor-2, index 1)
			for i, p := range r.Powers {
				if i != 1 && p >= r.Powers[1] {
					t.Errorf("PRACH of a phone in A2 louder at %s than at a-corridor-2: %v", doc.Sensors[i].Name, r.Powers)
				}
			}
		}
	}
	if prach == 0 {
		t.Fatal("no PRACH of a-lte-data in 2.5 s")
	}
	recs, stderr, rc := replayJSON(t, filepath.Join(dir, "block-large_a-corridor-2_837M_2.4M.sigmf-meta"))
	if rc != 0 {
		t.Fatalf("replay: exit %d: %s", rc, stderr)
	}
	var lte bool
	for _, r := range recs {
		lte = lte || r.Tech == "lte" && math.Abs(float64(r.FreqHz)-837e6) < 5e6
	}
	if !lte {
		t.Errorf("a-corridor-2's recording replays no LTE at 837 MHz: %+v", recs)
	}
}

func TestSimCommandBadScene(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: x\nsensors: [{name: s, gain_db: 70}]\nphones: [{id: p, tech: gsm, freq_hz: 898e6, colour: red}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--scene=" + bad}, bad + `: line 3: unknown key "colour" in a phones entry`},
		{[]string{"--scene=no-such-scene"}, `no built-in scene "no-such-scene"`},
		{[]string{"--scene=../../configs/scenes/block-large.yaml", "--sensor=nope"}, `--sensor: sim: scene "block-large" has no sensor "nope"`},
	} {
		var out, errb bytes.Buffer
		rc := run(append([]string{"sim", "--out=" + dir}, c.args...), &out, &errb)
		if rc != exitError || !strings.Contains(errb.String(), c.want) || strings.Count(strings.TrimSpace(errb.String()), "\n") > 0 {
			t.Errorf("sim %v: exit %d, stderr %q; want exit %d and one line with %q", c.args, rc, errb.String(), exitError, c.want)
		}
	}
}

// TestSimSourceSceneFile opens a daemon sim source on a scene file and one
// of its sensors, as `scene:` and `scene_sensor:` in the configuration do.
func TestSimSourceSceneFile(t *testing.T) {
	src, err := openSource(context.Background(), 0, config.Source{Name: "sim0", Kind: config.KindSim,
		Scene: "../../configs/scenes/block-large.yaml", SceneSensor: "b-corridor-2", SampleRate: simFS})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	s, ok := src.(*source.Sim)
	if !ok {
		t.Fatalf("source is %T", src)
	}
	if se := s.Simulator().Scene().Sensor; se.Name != "b-corridor-2" || se.Zone != "B2" {
		t.Errorf("rendering sensor %q in zone %q, want b-corridor-2 in B2", se.Name, se.Zone)
	}
	_, err = openSource(context.Background(), 0, config.Source{Name: "sim0", Kind: config.KindSim,
		Scene: "../../configs/scenes/block-large.yaml", SceneSensor: "c-corridor-9", SampleRate: simFS})
	if err == nil || !strings.Contains(err.Error(), `sources[0].scene_sensor: sim: scene "block-large" has no sensor "c-corridor-9"`) {
		t.Errorf("unknown sensor: %v", err)
	}
	_, err = openSource(context.Background(), 0, config.Source{Name: "sim0", Kind: config.KindSim, Scene: "nowhere.yaml", SampleRate: simFS})
	if err == nil || !strings.Contains(err.Error(), "sources[0].scene: open nowhere.yaml") {
		t.Errorf("missing scene file: %v", err)
	}
}

// A UMTS call is wider than the capture and continuous: replayed, it is
// one UMTS emission and its power swings (once the floor has learned part
// of it) are UMTS too, never LTE; an LTE phone's data in the same band is
// LTE.
func TestSimUMTSCallIsUMTS(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates and replays 8 s of a UMTS call")
	}
	const dur = 8 * time.Second
	for _, c := range []struct {
		phone sim.Phone
		tech  string
	}{
		{sim.Phone{ID: "u", Tech: detect.UMTS, FreqHz: 907.6e6,
			Schedule: []sim.Activity{{Kind: sim.Call, Start: 2 * time.Second, Duration: 5 * time.Second}}}, "umts"},
		{sim.Phone{ID: "l", Tech: detect.LTE, FreqHz: 907.5e6, BandwidthHz: 5e6,
			Schedule: []sim.Activity{{Kind: sim.Data, Start: 2 * time.Second, Duration: 5 * time.Second}}}, "lte"},
	} {
		t.Run(c.tech, func(t *testing.T) {
			sc := phoneAtSNR(quietScene(5), c.phone, 15)
			rec, _ := record(t, sc, 907.65e6, dur)
			recs, stderr, rc := replayJSON(t, writeCU8(t, c.tech, rec, 907.65e6))
			if rc != 0 {
				t.Fatalf("exit %d: %s", rc, stderr)
			}
			got := map[string]int{}
			for _, r := range recs {
				got[r.Tech]++
			}
			if got[c.tech] == 0 || len(got) != 1 {
				t.Errorf("emissions by technology %v, want only %s: %+v", got, c.tech, recs)
			}
		})
	}
}
