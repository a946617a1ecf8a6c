package config

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

const example = "../../configs/cellwatch.yaml"

func TestLoadBadConfigs(t *testing.T) {
	tests := []struct {
		file string
		want string // the whole error, one problem per line
	}{
		{"invalid-typo-key.yml", `testdata/invalid-typo-key.yml: unknown key "sensr"`},
		{"invalid-nested-key.yml", `testdata/invalid-nested-key.yml: unknown key "detect.dwel"`},
		{"invalid-list-item-key.yml", `testdata/invalid-list-item-key.yml: unknown key "sources[0].serail"`},
		{"invalid-yaml-syntax.yml", `testdata/invalid-yaml-syntax.yml:4: mapping values are not allowed in this context`},
		{"invalid-plan.yml", `testdata/invalid-plan.yml: plan: "eu2" is not a known band plan (want eu or na)`},
		{"invalid-negative-duration.yml", `testdata/invalid-negative-duration.yml: detect.settle: -5ms must not be negative`},
		{"invalid-short-dwell.yml", `testdata/invalid-short-dwell.yml: detect.dwell: 2ms is too short: at least 5ms (one GSM TDMA frame is 4.615ms)`},
		{"invalid-duration-syntax.yml", `testdata/invalid-duration-syntax.yml: detect.settle: 5 has no unit (write it like 25ms, 30s, 1m)
testdata/invalid-duration-syntax.yml: detect.dwell: "fast" is not a duration (like 25ms, 30s, 1m)`},
		{"invalid-type.yml", `testdata/invalid-type.yml: sources[0].sample_rate: cannot parse "fast" as float64
testdata/invalid-type.yml: sources[0].seed: 1.5 is not a whole number`},
		{"invalid-sample-rate.yml", `testdata/invalid-sample-rate.yml: sources[0].sample_rate: 3300000 Hz is not a rate librtlsdr accepts (225001–300000 Hz or 900001–3200000 Hz)`},
		{"invalid-center-freq.yml", `testdata/invalid-center-freq.yml: sources[0].center_freq: 2400000000 Hz is outside the tuner's range 24–1766 MHz`},
		{"invalid-band.yml", `testdata/invalid-band.yml: sources[0].bands: "B7" is not a band of plan eu (want one of B28, B20, B8, B3)`},
		{"invalid-duplicate-names.yml", `testdata/invalid-duplicate-names.yml: sources[1].name: "dongle0" is already the name of sources[0]`},
		{"invalid-webhook-url.yml", `testdata/invalid-webhook-url.yml: alerts.webhooks[0].url: "control-room.example/hooks" is not an absolute http:// or https:// URL`},
		{"invalid-secret-file.yml", `testdata/invalid-secret-file.yml: alerts.webhooks[0].secret_file: "testdata/no-such.key" cannot be read: no such file or directory
testdata/invalid-secret-file.yml: alerts.webhooks[0].timeout: 0s must be greater than 0`},
		{"invalid-rtltcp-address.yml", `testdata/invalid-rtltcp-address.yml: sources[0].address: "127.0.0.1" is not host:port`},
		{"invalid-no-sources.yml", `testdata/invalid-no-sources.yml: sources: at least one source is required`},
		{"invalid-many.yml", `testdata/invalid-many.yml: sources[0].name: must not be empty
testdata/invalid-many.yml: sources[0].kind: "radio" is not a source kind (want sim, file, rtlsdr or rtltcp)
testdata/invalid-many.yml: sources[1].path: must be set for a file source
testdata/invalid-many.yml: detect.false_alarms_per_day: 0 must be greater than 0
testdata/invalid-many.yml: web.listen_address: "9818" is not host:port
testdata/invalid-many.yml: web.telemetry_path: "metrics" must be a path below / (such as /metrics)
testdata/invalid-many.yml: log.level: "verbose" is not a level (want debug, info, warn or error)
testdata/invalid-many.yml: log.format: "text" is not a format (want logfmt or json)`},
		{"invalid-priority.yml", `testdata/invalid-priority.yml: unknown key "detect.priority[1].note"`},
		{"invalid-priority-range.yml", `testdata/invalid-priority-range.yml: detect.priority[1]: from_mhz 833.2, to_mhz 832: want 0 < from_mhz < to_mhz`},
		{"missing.yml", `open testdata/missing.yml: no such file or directory`},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			c, err := Load(filepath.Join("testdata", tt.file), nil)
			if err == nil {
				t.Fatalf("Load succeeded, want error:\n%s\ngot config %+v", tt.want, c)
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n%s\nwant:\n%s", err, tt.want)
			}
		})
	}
	// Every invalid fixture has its case.
	files, _ := filepath.Glob("testdata/invalid-*.yml")
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("%s has no case in TestLoadBadConfigs", f)
		}
	}
}

func TestDefaultIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatal(err)
	}
}

// The documented example is the built-in demo: every key present, every
// value the default.
func TestExampleMatchesDefault(t *testing.T) {
	c, err := Load(example, nil)
	if err != nil {
		t.Fatal(err)
	}
	def := Default()
	got, want := reflect.ValueOf(c).Elem(), reflect.ValueOf(def).Elem()
	for _, l := range leaves {
		if g, w := got.FieldByIndex(l.index).Interface(), want.FieldByIndex(l.index).Interface(); g != w {
			t.Errorf("%s: example has %v, Default() has %v", l.key, g, w)
		}
	}
	if !reflect.DeepEqual(c.Sources, def.Sources) {
		t.Errorf("sources: example has %+v, Default() has %+v", c.Sources, def.Sources)
	}
	if len(c.Alerts.Webhooks) != 0 {
		t.Errorf("alerts.webhooks: example has %+v, want none", c.Alerts.Webhooks)
	}

	// Every scalar key is written out in the file, not merely defaulted.
	data, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	for _, l := range leaves {
		m, parts := raw, strings.Split(l.key, ".")
		for _, p := range parts[:len(parts)-1] {
			m, _ = m[p].(map[string]any)
		}
		if _, ok := m[parts[len(parts)-1]]; !ok {
			t.Errorf("%s is not in %s", l.key, example)
		}
	}
	// Every list-item key is documented (the rtlsdr, rtltcp, file and
	// webhook examples are commented out).
	for _, typ := range []reflect.Type{reflect.TypeFor[Source](), reflect.TypeFor[Webhook]()} {
		for i := range typ.NumField() {
			if tag := typ.Field(i).Tag.Get("mapstructure"); !strings.Contains(string(data), tag+":") {
				t.Errorf("%s.%s is not documented in %s", typ.Name(), tag, example)
			}
		}
	}
}

func TestValidSensorConfig(t *testing.T) {
	c, err := Load("testdata/valid-sensor.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Sources[1]; got.SampleRate != DefaultSampleRate || got.Address != "127.0.0.1:1234" {
		t.Errorf("rtltcp source without sample_rate: got %+v, want sample_rate %v", got, float64(DefaultSampleRate))
	}
	if got := c.Sources[2].SampleRate; got != 0 {
		t.Errorf("file source sample_rate = %v, want 0 (from the recording)", got)
	}
	if got := c.Alerts.Webhooks[0].Timeout; got != DefaultWebhookTimeout {
		t.Errorf("webhook timeout = %v, want the default %v", got, DefaultWebhookTimeout)
	}
	if c.Sensor.Site != "fresnes" || c.Detect.Dwell != 6*time.Millisecond {
		t.Errorf("got sensor %+v, dwell %v", c.Sensor, c.Detect.Dwell)
	}
}

func TestExplicitZeroIsNotDefaulted(t *testing.T) {
	path := writeFile(t, `
storage: {dir: /var/lib/cellwatch}
sources: [{name: d, kind: rtltcp, address: "host:1234", sample_rate: 0}]
`)
	_, err := Load(path, nil)
	want := path + `: sources[0].sample_rate: 0 Hz is not a rate librtlsdr accepts (225001–300000 Hz or 900001–3200000 Hz)`
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}

func TestEnvOverrides(t *testing.T) {
	env := []string{
		"PATH=/usr/bin",
		"CELLWATCH_DETECT_DWELL=40ms",                 // absent from the file
		"CELLWATCH_WEB_LISTEN_ADDRESS=127.0.0.1:9100", // absent from the file
		"CELLWATCH_SENSOR_SITE=poissy",                // present in the file
		"CELLWATCH_LOG_LEVEL=",                        // empty: unset
	}
	c, err := Load("testdata/valid-sensor.yml", env)
	if err != nil {
		t.Fatal(err)
	}
	if c.Detect.Dwell != 40*time.Millisecond || c.Web.ListenAddress != "127.0.0.1:9100" || c.Sensor.Site != "poissy" || c.Log.Level != "info" {
		t.Errorf("got dwell %v, listen %q, site %q, level %q", c.Detect.Dwell, c.Web.ListenAddress, c.Sensor.Site, c.Log.Level)
	}

	// A fresh viper per call: nothing carries over to the next load.
	c, err = Load("testdata/valid-sensor.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Detect.Dwell != 6*time.Millisecond || c.Sensor.Site != "fresnes" {
		t.Errorf("second load kept env values: dwell %v, site %q", c.Detect.Dwell, c.Sensor.Site)
	}

	// Without a file: the demo, with env applied.
	c, err = Load("", []string{"CELLWATCH_PLAN=na", "CELLWATCH_DETECT_FALSE_ALARMS_PER_DAY=0.5"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Plan != "na" || c.Detect.FalseAlarmsPerDay != 0.5 || !reflect.DeepEqual(c.Sources, Default().Sources) {
		t.Errorf("got plan %q, false alarms %v, sources %+v", c.Plan, c.Detect.FalseAlarmsPerDay, c.Sources)
	}
}

func TestEnvErrors(t *testing.T) {
	_, err := Load("testdata/valid-sensor.yml", []string{
		"CELLWATCH_DETECT_DWEL=40ms",
		"CELLWATCH_DETECT_SETTLE=soon",
		"CELLWATCH_SOURCES_0_GAIN_DB=20",
	})
	want := `environment variable CELLWATCH_DETECT_DWEL matches no configuration key
environment variable CELLWATCH_DETECT_SETTLE="soon": not a duration (like 25ms, 30s, 1m)
environment variable CELLWATCH_SOURCES_0_GAIN_DB matches no configuration key`
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}

	// Values from env are validated like the file's.
	_, err = Load("", []string{"CELLWATCH_LOG_FORMAT=text"})
	want = `log.format: "text" is not a format (want logfmt or json)`
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}

func TestEnvNamesAreUnique(t *testing.T) {
	seen := map[string]string{}
	for _, l := range leaves {
		if k, dup := seen[l.env]; dup {
			t.Errorf("%s and %s both map to %s", k, l.key, l.env)
		}
		seen[l.env] = l.key
	}
	if seen["CELLWATCH_WEB_LISTEN_ADDRESS"] != "web.listen_address" {
		t.Errorf("leaves: %v", seen)
	}
}

func TestSecretFile(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "hook.key")
	if err := os.WriteFile(secret, []byte("s3cr3t-value"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := Default()
	c.Storage.Dir = t.TempDir()
	c.Alerts.Webhooks = []Webhook{{URL: "https://user:pw@control-room.example/h", SecretFile: secret, Timeout: time.Second}}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	// Problems name the file, never its content; URL passwords are redacted.
	c.Alerts.Webhooks[0].SecretFile = filepath.Dir(secret)
	c.Alerts.Webhooks[0].URL = "ftp://user:pw@control-room.example/h"
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate accepted a directory as secret file and an ftp URL")
	}
	for _, leak := range []string{"s3cr3t", ":pw@"} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("error leaks %q: %v", leak, err)
		}
	}
	if !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("error = %v, want it to say the secret file is a directory", err)
	}
}

func TestWriteYAMLRoundTrip(t *testing.T) {
	for _, path := range []string{example, "testdata/valid-sensor.yml"} {
		c, err := Load(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := c.WriteYAML(&buf); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"dwell: 6ms\n", "quiet: 1m\n", "sample_rate: 2400000\n", "listen_address: :9818\n"} {
			if !strings.Contains(buf.String(), s) {
				t.Errorf("%s: output lacks %q:\n%s", path, s, buf.String())
			}
		}
		// What it writes loads back to the same config (compared as YAML:
		// an absent list loads as nil, a written one as empty).
		again, err := Load(writeFile(t, buf.String()), nil)
		if err != nil {
			t.Fatalf("%s: output does not load: %v\n%s", path, err, buf.String())
		}
		var buf2 bytes.Buffer
		if err := again.WriteYAML(&buf2); err != nil {
			t.Fatal(err)
		}
		if buf.String() != buf2.String() {
			t.Errorf("%s: round trip changed the config:\n%s\n%s", path, buf.String(), buf2.String())
		}
	}
}

func TestPlanBandsIsUsed(t *testing.T) {
	saved := PlanBands
	t.Cleanup(func() { PlanBands = saved })
	PlanBands = func(plan string) ([]string, bool) { return []string{"B1"}, plan == "eu" }
	c := Default()
	c.Sources[0].Bands = []string{"B1"}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cellwatch.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestNonConfigEnvIgnored(t *testing.T) {
	if _, err := Load("", []string{"CELLWATCH_CORPUS=/data"}); err != nil {
		t.Errorf("CELLWATCH_CORPUS belongs to the test suite, not the config: %v", err)
	}
	if _, err := Load("", []string{"CELLWATCH_CORPSE=/data"}); err == nil {
		t.Error("an unknown CELLWATCH_ variable was accepted")
	}
}

func TestYAMLStructureErrorsOneLineEach(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"list.yml": "- a\n- b\n",
		"dup.yml":  "plan: eu\nplan: na\n",
	} {
		p := dir + "/" + name
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(p, nil)
		if err == nil || strings.Count(err.Error(), "\n") != 0 || !strings.HasPrefix(err.Error(), p+":") {
			t.Errorf("%s: want one line starting with the file, got %q", name, err)
		}
	}
}
