package sim

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const scenesDir = "../../configs/scenes"

func TestSceneFileMatchesBuiltin(t *testing.T) {
	got, err := LoadFile(filepath.Join(scenesDir, "corridor-small.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if want := builtin(t, "corridor-small"); !reflect.DeepEqual(got, want) {
		t.Errorf("configs/scenes/corridor-small.yaml differs from the built-in scene:\n got %+v\nwant %+v", got, want)
	}
}

func TestSceneFilesLoad(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(scenesDir, "*.yaml"))
	if len(files) < 3 {
		t.Fatalf("only %d scene files in %s", len(files), scenesDir)
	}
	for _, f := range files {
		sc, err := Load(f)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		for _, se := range sc.SensorList() {
			one, err := sc.ForSensor(se.Name)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := New(one, fs); err != nil {
				t.Errorf("%s sensor %s: %v", f, se.Name, err)
			}
		}
		t.Logf("%s: %q, %d sensors, %d phones, %d carriers, %d events", filepath.Base(f), sc.Name, len(sc.SensorList()), len(sc.Phones), len(sc.Carriers), len(sc.Events))
	}
}

func TestSceneYAMLErrors(t *testing.T) {
	base, err := os.ReadFile(filepath.Join(scenesDir, "corridor-small.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, from, to, want string }{
		{"unknown key", "    tx_power_dbm: 13\n", "    tx_power_dbm: 13\n    tx_pwr: 3\n", `line 65: unknown key "tx_pwr" in a phones entry`},
		{"wrong type", "freq_hz: 898.0e6", "freq_hz: 898MHz", `line 65: phones[0].freq_hz: "898MHz" is not a number`},
		{"bad duration", "start: 300ms", "start: 300", `phones[0].schedule[0].start: "300" is not a duration such as 300ms or 10s`},
		{"bad tech", "tech: gsm", "tech: gsn", `phones[0] ("gsm-b8-1"): tech "gsn" not simulated`},
		{"bad kind", "kind: call", "kind: cal", `phones[0] ("gsm-b8-1").schedule[0]: unknown kind "cal"`},
		{"bad bandwidth", "bandwidth_hz: 10e6\n    inactivity", "bandwidth_hz: 7e6\n    inactivity", `phones[1] ("lte-b20-1"): LTE bandwidth_hz 7e+06`},
		{"no sensors", "sensors:\n", "old_sensors:\n", `unknown key "old_sensors" in the scene`},
		{"unknown cell", "x: 12\n", "x: 12\n    cell: B2-cell-99\n", `unknown cell "B2-cell-99"`},
		{"bad gain", "full_scale_dbm: -67", "gain_db: 60", "gain_db 60 outside"},
		{"bad event", "# events: {kind: antenna-cut", "events: [{kind: antena-cut, at: 1s}]\n# ", `events[0] (antena-cut): unknown kind "antena-cut"`},
		{"bad jammer", "# events: {kind: antenna-cut", "events: [{kind: jammer, at: 1s, low_hz: 900e6, high_hz: 880e6}]\n# ", `events[0] (jammer): low_hz 9e+08, high_hz 8.8e+08`},
		{"bad carrier", "# carriers:", "carriers: [{name: x, kind: lte-ul, freq_hz: 806e6}]\n# ", `carriers[0] ("x"): unknown kind "lte-ul"`},
	}
	dir := t.TempDir()
	for _, c := range cases {
		if !strings.Contains(string(base), c.from) {
			t.Fatalf("%s: %q not in the base file", c.name, c.from)
		}
		path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".yaml")
		if err := os.WriteFile(path, []byte(strings.Replace(string(base), c.from, c.to, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadFile(path)
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), path+": ") {
			t.Errorf("%s: error %q, want it to start with the file and contain %q", c.name, err, c.want)
		}
	}
	if _, err := Load("no-such-scene"); err == nil || !strings.Contains(err.Error(), "corridor-small") {
		t.Errorf("unknown name: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: %v", err)
	}
}
