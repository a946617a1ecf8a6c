package metrics

import (
	"strings"
	"testing"
)

// Every metric has HELP text, the cellwatch_ prefix and base-unit or
// _total/_ratio/_info suffixes where they apply (design.md §6).
func TestNamesAndHelp(t *testing.T) {
	m := New(Build{})
	m.SDRUp.WithLabelValues("d").Set(1)
	m.SamplesTotal.WithLabelValues("d").Add(1)
	m.DroppedTotal.WithLabelValues("d").Add(0)
	m.ReconnectsTotal.WithLabelValues("d").Add(0)
	m.RetunesTotal.WithLabelValues("d").Add(0)
	m.ClippedRatio.WithLabelValues("d").Set(0)
	m.SweepDuration.WithLabelValues("d").Observe(1)
	m.NoiseFloor.WithLabelValues("B8").Set(-100)
	m.PeakPower.WithLabelValues("B8").Set(-50)
	m.Occupancy.WithLabelValues("B8").Set(0)
	m.DetectionsTotal.WithLabelValues("z", "B8", "gsm").Inc()
	m.BurstsTotal.WithLabelValues("z", "B8", "gsm").Inc()
	m.AlertsFiring.WithLabelValues("z", "risk").Set(0)
	m.OutboxPending.WithLabelValues("s").Set(0)
	m.Notifications.WithLabelValues("s", "success").Inc()
	m.DeliveryLatency.WithLabelValues("s").Observe(0.1)
	m.SensorBlind.WithLabelValues("B8").Set(0)
	fams, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range fams {
		name := f.GetName()
		seen[name] = true
		if !strings.HasPrefix(name, "cellwatch_") {
			continue // go_ and process_ collectors
		}
		if len(f.GetHelp()) < 20 {
			t.Errorf("%s: HELP %q says too little", name, f.GetHelp())
		}
		if f.GetType().String() == "COUNTER" && !strings.HasSuffix(name, "_total") {
			t.Errorf("%s: a counter must end in _total", name)
		}
	}
	for _, want := range []string{"cellwatch_build_info", "cellwatch_sdr_samples_total", "cellwatch_sweep_duration_seconds",
		"cellwatch_band_noise_floor_dbm", "cellwatch_detections_total", "cellwatch_bursts_total", "cellwatch_alerts_firing",
		"cellwatch_sdr_up", "cellwatch_sdr_samples_dropped_total", "cellwatch_sdr_reconnects_total", "cellwatch_sdr_retunes_total",
		"cellwatch_sdr_clipped_ratio", "cellwatch_sensor_blind", "cellwatch_config_last_reload_successful",
		"cellwatch_config_last_reload_success_timestamp_seconds", "go_goroutines", "process_cpu_seconds_total"} {
		if !seen[want] {
			t.Errorf("%s not exported", want)
		}
	}
}

// The linker's revision wins; without one, build_info still carries a
// revision label (the VCS stamp, or "unknown" under go test, which has none).
func TestBuildInfoRevision(t *testing.T) {
	label := func(m *Metrics) string {
		fams, err := m.Registry.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fams {
			if f.GetName() == "cellwatch_build_info" {
				for _, l := range f.GetMetric()[0].GetLabel() {
					if l.GetName() == "revision" {
						return l.GetValue()
					}
				}
			}
		}
		t.Fatal("cellwatch_build_info has no revision label")
		return ""
	}
	if got := label(New(Build{Version: "1.0.0", Revision: "abc123"})); got != "abc123" {
		t.Errorf("revision %q, want the linker's abc123", got)
	}
	want := revisionFromBuildInfo()
	if want == "" {
		want = "unknown"
	}
	if got := label(New(Build{})); got != want {
		t.Errorf("revision %q, want %q from the build info", got, want)
	}
}
