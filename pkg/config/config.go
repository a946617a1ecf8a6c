// Package config loads, checks and prints the cellwatch configuration: a YAML
// file read with viper, overridden by CELLWATCH_* environment variables, with
// unknown keys rejected and every value validated before the daemon uses it.
//
// Load builds a fresh viper instance on every call, so it is safe to call
// again on SIGHUP; publish the result (e.g. through an atomic.Pointer) only
// once it has loaded and validated. Config values are plain data: do not
// mutate a *Config after publishing it.
package config

import "time"

// Config is the whole daemon configuration. Keys are the snake_case names in
// the mapstructure tags; configs/cellwatch.yaml documents each one.
type Config struct {
	Sensor  Sensor   `mapstructure:"sensor"`
	Plan    string   `mapstructure:"plan"`
	Sources []Source `mapstructure:"sources"`
	Storage Storage  `mapstructure:"storage"`
	Detect  Detect   `mapstructure:"detect"`
	Alerts  Alerts   `mapstructure:"alerts"`
	Web     Web      `mapstructure:"web"`
	Log     Log      `mapstructure:"log"`
}

// Sensor identifies this installation in alerts and metrics.
type Sensor struct {
	Site string `mapstructure:"site"`
	ID   string `mapstructure:"id"`
	Zone string `mapstructure:"zone"`
}

// Source kinds.
const (
	KindSim    = "sim"
	KindFile   = "file"
	KindRTLSDR = "rtlsdr"
	KindRTLTCP = "rtltcp"
)

// Source is one receiver: a dongle, an rtl_tcp server, a recording or the
// simulator.
type Source struct {
	Name       string   `mapstructure:"name"`
	Kind       string   `mapstructure:"kind"`
	Serial     string   `mapstructure:"serial"`      // rtlsdr: dongle serial (EEPROM)
	Address    string   `mapstructure:"address"`     // rtltcp: host:port
	Path       string   `mapstructure:"path"`        // file: recording or .sigmf-meta
	Format     string   `mapstructure:"format"`      // cu8, cs8, cs16, cf32; "" = from metadata
	SampleRate float64  `mapstructure:"sample_rate"` // complex samples per second
	CenterFreq float64  `mapstructure:"center_freq"` // Hz; 0 = sweep the bands (or from metadata)
	GainDB     float64  `mapstructure:"gain_db"`     // tuner gain, dB
	PPM        int      `mapstructure:"ppm"`         // crystal correction, parts per million
	BiasTee    bool     `mapstructure:"bias_tee"`    // rtlsdr: 4.5 V on the antenna port for an LNA
	Bands      []string `mapstructure:"bands"`       // band names of the plan; empty = all
	Scene      string   `mapstructure:"scene"`       // sim: scene name or file
	Seed       int64    `mapstructure:"seed"`        // sim: random seed
	Realtime   bool     `mapstructure:"realtime"`    // sim, file: pace samples at sample_rate

	// SceneSensor (sim): which sensor of a multi-sensor scene this source
	// is; "" = the scene's first.
	SceneSensor string `mapstructure:"scene_sensor"`
}

// Storage is where the durable state lives (webhook outbox, audit log).
type Storage struct {
	Dir string `mapstructure:"dir"`
}

// Detect tunes the sweep and the detector.
type Detect struct {
	FalseAlarmsPerDay float64       `mapstructure:"false_alarms_per_day"`
	Settle            time.Duration `mapstructure:"settle"`
	Dwell             time.Duration `mapstructure:"dwell"`
	Warmup            time.Duration `mapstructure:"warmup"`
	// Priority lists frequency ranges visited twice per pass: the PUCCH
	// edges and PRACH region of the local LTE/NR carriers, where a phone
	// waking up transmits first.
	Priority []FreqRange `mapstructure:"priority"`
}

// FreqRange is a span of frequencies in MHz, From < To.
type FreqRange struct {
	FromMHz float64 `mapstructure:"from_mhz"`
	ToMHz   float64 `mapstructure:"to_mhz"`
}

// Alerts configures alert life cycle and delivery.
type Alerts struct {
	Webhooks     []Webhook     `mapstructure:"webhooks"`
	Alertmanager Alertmanager  `mapstructure:"alertmanager"` // see alerts.go
	Zones        []ZoneRule    `mapstructure:"zones"`
	Allowlist    []AllowRule   `mapstructure:"allowlist"`
	Tamper       Tamper        `mapstructure:"tamper"`
	Quiet        time.Duration `mapstructure:"quiet"`
	ThreatAfter  time.Duration `mapstructure:"threat_after"`
}

// Webhook is one control-room endpoint.
type Webhook struct {
	Name       string        `mapstructure:"name"` // sink name in logs, metrics and the outbox; "" = the URL's host
	URL        string        `mapstructure:"url"`
	SecretFile string        `mapstructure:"secret_file"`
	Timeout    time.Duration `mapstructure:"timeout"`
	CAFile     string        `mapstructure:"ca_file"` // PEM CA bundle for https; "" = system roots
	// Filters; empty = all.
	Zones      []string `mapstructure:"zones"`
	Severities []string `mapstructure:"severities"`
	Types      []string `mapstructure:"types"`
}

// Web configures the HTTP server (metrics, health, API).
type Web struct {
	ListenAddress string `mapstructure:"listen_address"`
	TelemetryPath string `mapstructure:"telemetry_path"`
	// ConfigFile is an exporter-toolkit web configuration (TLS, basic
	// auth); "" serves plain HTTP to everyone.
	ConfigFile string `mapstructure:"config_file"`
}

// Log configures the logger.
type Log struct {
	Level  string `mapstructure:"level"`
	Format string `mapstructure:"format"`
}

// Defaults applied to list items whose key is absent from the file (viper
// can only default keys outside lists).
const (
	// DefaultSampleRate applies to rtlsdr, rtltcp and sim sources.
	DefaultSampleRate = 2_400_000
	// DefaultWebhookTimeout applies to each webhook.
	DefaultWebhookTimeout = 5 * time.Second
)

// Default returns the built-in demo configuration: one simulated corridor on
// the EU plan. Its scalar values are also the defaults Load applies to keys
// a file leaves out; its sources are used only when there is no file.
func Default() *Config {
	return &Config{
		Sensor: Sensor{Site: "demo", ID: "sim-sensor-1", Zone: "corridor-demo"},
		Plan:   "eu",
		Sources: []Source{{
			Name:       "sim0",
			Kind:       KindSim,
			Scene:      "corridor-small",
			Seed:       1,
			SampleRate: DefaultSampleRate,
			Realtime:   true,
		}},
		Detect: Detect{
			FalseAlarmsPerDay: 1,
			Settle:            5 * time.Millisecond,
			Dwell:             6 * time.Millisecond,
			Warmup:            30 * time.Second,
		},
		Alerts: Alerts{
			Quiet:        60 * time.Second,
			ThreatAfter:  30 * time.Second,
			Alertmanager: Alertmanager{Timeout: 5 * time.Second, Resend: time.Minute},
			Tamper:       Tamper{Sweeps: 1, JamRiseDB: 6, BlindDropDB: 6, ClipRatio: 0.01, DownAfter: 10 * time.Second},
		},
		Web: Web{ListenAddress: ":9818", TelemetryPath: "/metrics"},
		Log: Log{Level: "info", Format: "logfmt"},
	}
}

// PlanBands returns the band names a plan contains, and whether the plan is
// known. It is a variable so that the daemon can wire it to pkg/bands; the
// default is a local table of the uplink bands cellwatch watches.
var PlanBands = func(plan string) ([]string, bool) {
	b, ok := localPlans[plan]
	return b, ok
}

var localPlans = map[string][]string{
	"eu": {"B28", "B20", "B8", "B3"},
	"na": {"B71", "B12", "B13", "B14", "B5", "B66"},
}
