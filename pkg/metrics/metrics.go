// Package metrics holds cellwatch's Prometheus metrics on a private
// registry (design.md §6): base units, bounded labels (device, band, zone,
// tech, severity, sink; never one series per bin or per detection).
package metrics

import (
	"runtime"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Build identifies the binary; set by the linker (-X) in release builds.
// A Revision left empty is taken from the VCS stamp the Go toolchain puts
// in binaries built inside a checkout (vcs.revision), so a plain `go build`
// still tells which commit it is.
type Build struct {
	Version, Revision string
}

// revisionFromBuildInfo is the commit the binary was built from, with
// "-dirty" when the tree had changes, or "" when the toolchain recorded none
// (go run, go test, builds outside a checkout).
func revisionFromBuildInfo() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var rev string
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev != "" && dirty {
		rev += "-dirty"
	}
	return rev
}

// Metrics are the collectors the daemon updates.
type Metrics struct {
	Registry *prometheus.Registry

	SDRUp            *prometheus.GaugeVec
	SamplesTotal     *prometheus.CounterVec
	DroppedTotal     *prometheus.CounterVec
	ReconnectsTotal  *prometheus.CounterVec
	RetunesTotal     *prometheus.CounterVec
	ClippedRatio     *prometheus.GaugeVec
	SweepDuration    *prometheus.HistogramVec
	NoiseFloor       *prometheus.GaugeVec
	PeakPower        *prometheus.GaugeVec
	Occupancy        *prometheus.GaugeVec
	DetectionsTotal  *prometheus.CounterVec
	BurstsTotal      *prometheus.CounterVec
	AlertsFiring     *prometheus.GaugeVec
	OutboxPending    *prometheus.GaugeVec
	Notifications    *prometheus.CounterVec
	DeliveryLatency  *prometheus.HistogramVec
	ConfigReloadOK   prometheus.Gauge
	ConfigReloadTime prometheus.Gauge
	SensorBlind      *prometheus.GaugeVec
}

// New registers every metric on a fresh registry, with Go and process
// collectors.
func New(b Build) *Metrics {
	if b.Revision == "" {
		b.Revision = revisionFromBuildInfo()
	}
	reg := prometheus.NewRegistry()
	f := func(c prometheus.Collector) { reg.MustRegister(c) }
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "cellwatch_build_info",
		Help:        "A metric with a constant '1' value labelled by the version, revision and Go version cellwatch was built from.",
		ConstLabels: prometheus.Labels{"version": orUnknown(b.Version), "revision": orUnknown(b.Revision), "goversion": runtime.Version()},
	})
	info.Set(1)
	f(info)
	m := &Metrics{
		Registry: reg,
		SDRUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "cellwatch_sdr_up",
			Help: "1 while the receiver (dongle, rtl_tcp server, simulator) delivers samples, 0 when it is lost.",
		}, []string{"device"}),
		SamplesTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cellwatch_sdr_samples_total",
			Help: "Complex samples read from the receiver, settle time included.",
		}, []string{"device"}),
		DroppedTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cellwatch_sdr_samples_dropped_total",
			Help: "Samples lost on the way from the receiver: short USB reads, gaps across rtl_tcp reconnections, and a live receiver's shortfall against its sample rate while a dwell is read.",
		}, []string{"device"}),
		ReconnectsTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cellwatch_sdr_reconnects_total",
			Help: "Times the receiver was reconnected or reopened after failing (stall, disconnect, unplug).",
		}, []string{"device"}),
		RetunesTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cellwatch_sdr_retunes_total",
			Help: "Frequency changes made by the sweep.",
		}, []string{"device"}),
		ClippedRatio: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "cellwatch_sdr_clipped_ratio",
			Help: "Share of 8-bit sample values at 0 or 255 in the last dwell; more than a trace means the gain is too high (overload).",
		}, []string{"device"}),
		SweepDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cellwatch_sweep_duration_seconds",
			Help:    "Time one pass over all of a receiver's hops takes: the revisit time of every channel.",
			Buckets: []float64{0.25, 0.5, 1, 2, 3, 4, 5, 7.5, 10, 15, 30},
		}, []string{"device"}),
		NoiseFloor: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "cellwatch_band_noise_floor_dbm",
			Help: "Median learned noise floor across the band's hops, as power in a 200 kHz channel at the antenna port (dBm; dB full scale when the receiver has no calibration).",
		}, []string{"band"}),
		PeakPower: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "cellwatch_band_peak_power_dbm",
			Help: "Strongest short-time power seen in the band during the last sweep, per 200 kHz (dBm, or dBFS without calibration).",
		}, []string{"band"}),
		Occupancy: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "cellwatch_band_occupancy_ratio",
			Help: "Share of the band's bandwidth covered by detected bursts during the last sweep.",
		}, []string{"band"}),
		DetectionsTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cellwatch_detections_total",
			Help: "Handset emissions detected (a burst or a run of bursts on one channel).",
		}, []string{"zone", "band", "tech"}),
		BurstsTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cellwatch_bursts_total",
			Help: "Handset bursts (GSM bursts, LTE subframes and slots) counted in detected emissions.",
		}, []string{"zone", "band", "tech"}),
		AlertsFiring: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "cellwatch_alerts_firing",
			Help: "Alerts currently firing, by zone and severity (risk: something transmitted; threat: sustained or repeated).",
		}, []string{"zone", "severity"}),
		OutboxPending: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "cellwatch_outbox_pending",
			Help: "Alert events waiting to be delivered to a sink.",
		}, []string{"sink"}),
		Notifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cellwatch_notifications_total",
			Help: "Delivery attempts of alert events by sink and result (success, retry, failed, dropped).",
		}, []string{"sink", "result"}),
		DeliveryLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cellwatch_notification_latency_seconds",
			Help:    "Time from an alert event being raised to its sink acknowledging it.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600},
		}, []string{"sink"}),
		ConfigReloadOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "cellwatch_config_last_reload_successful",
			Help: "1 if the last configuration reload (SIGHUP or POST /-/reload) succeeded, 0 if the file was rejected and the running configuration kept.",
		}),
		ConfigReloadTime: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "cellwatch_config_last_reload_success_timestamp_seconds",
			Help: "Unix time of the last successful configuration load (start-up or reload).",
		}),
		SensorBlind: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "cellwatch_sensor_blind",
			Help: "1 while the sensor cannot see phones in the band: its noise floor collapsed (antenna cut, receiver dead) or was lifted by jamming; 0 when it watches normally.",
		}, []string{"band"}),
	}
	for _, c := range []prometheus.Collector{m.SDRUp, m.SamplesTotal, m.DroppedTotal, m.ReconnectsTotal, m.RetunesTotal, m.ClippedRatio, m.SweepDuration,
		m.NoiseFloor, m.PeakPower, m.Occupancy, m.DetectionsTotal, m.BurstsTotal, m.AlertsFiring, m.OutboxPending,
		m.Notifications, m.DeliveryLatency, m.ConfigReloadOK, m.ConfigReloadTime, m.SensorBlind} {
		f(c)
	}
	return m
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
