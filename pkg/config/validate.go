package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/exporter-toolkit/web"

	"github.com/cellwatch/cellwatch/pkg/iq"
	"github.com/cellwatch/cellwatch/pkg/source"
)

// Limits of the RTL-SDR hardware and of librtlsdr (v0.6.0), which sources
// that talk to a dongle (or imitate one) must respect.
const (
	// maxDwell bounds detect.dwell.
	maxDwell = time.Second
	// maxFileRate bounds recordings' sample rates (LTE's 30.72 MS/s, twice).
	maxFileRate = 61.44e6
	// The ranges source.RTLRateValid accepts, for the message; 2.4 MS/s is
	// the highest rate that drops no samples.
	minLowRate, maxLowRate   = 225_001, 300_000
	minHighRate, maxHighRate = 900_001, 3_200_000
	// The R820T/R828D tuner reaches 24–1766 MHz.
	minTunerHz, maxTunerHz = 24e6, 1766e6
	// rtlsdr_get_tuner_gains of the R820T tops out at 49.6 dB.
	maxGainDB = 49.6
	maxPPM    = 1000
	// One GSM TDMA frame (4.615 ms) must fit in a dwell, or a phone in a
	// call can be missed between bursts.
	minDwell = 5 * time.Millisecond
)

// Validate checks every value and reports all problems at once: the joined
// errors print one per line, each naming the key and the offending value.
// It reads nothing but the webhooks' secret files (to check that they are
// readable; their content never appears in an error).
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{key}, args...)...))
	}

	for _, f := range []struct{ key, val string }{
		{"sensor.site", c.Sensor.Site}, {"sensor.id", c.Sensor.ID}, {"sensor.zone", c.Sensor.Zone},
	} {
		if strings.TrimSpace(f.val) == "" {
			bad(f.key, "must not be empty (it names this sensor in alerts and metrics)")
		}
	}

	planBands, planOK := PlanBands(c.Plan)
	if !planOK {
		bad("plan", "%q is not a known band plan (want eu or na)", c.Plan)
	}

	errs = append(errs, c.validateSources(planBands, planOK)...)

	if f := c.Detect.FalseAlarmsPerDay; !(f > 0) {
		bad("detect.false_alarms_per_day", "%v must be greater than 0", f)
	}
	if d := c.Detect.Settle; d < 0 {
		bad("detect.settle", "%v must not be negative", d)
	}
	if d := c.Detect.Dwell; d < minDwell {
		bad("detect.dwell", "%v is too short: at least %v (one GSM TDMA frame is 4.615ms)", d, minDwell)
	} else if d > maxDwell {
		bad("detect.dwell", "%v is too long: at most %v (a dwell is held in memory, and longer dwells stretch the revisit time)", d, maxDwell)
	}
	if d := c.Detect.Warmup; d < 0 {
		bad("detect.warmup", "%v must not be negative", d)
	}
	for i, r := range c.Detect.Priority {
		key := "detect.priority[" + strconv.Itoa(i) + "]"
		if !(r.FromMHz > 0 && r.ToMHz > r.FromMHz) || math.IsInf(r.ToMHz, 0) {
			bad(key, "from_mhz %v, to_mhz %v: want 0 < from_mhz < to_mhz", r.FromMHz, r.ToMHz)
		}
	}

	for i, w := range c.Alerts.Webhooks {
		key := "alerts.webhooks[" + strconv.Itoa(i) + "]"
		if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			shown := w.URL
			if err == nil {
				shown = u.Redacted()
			}
			bad(key+".url", "%q is not an absolute http:// or https:// URL", shown)
		}
		if w.SecretFile == "" {
			bad(key+".secret_file", "is required: webhooks are always signed (Standard Webhooks)")
		} else {
			if f, err := os.Open(w.SecretFile); err != nil {
				bad(key+".secret_file", "%q cannot be read: %v", w.SecretFile, errors.Unwrap(err))
			} else {
				if st, err := f.Stat(); err == nil && st.IsDir() {
					bad(key+".secret_file", "%q is a directory, not a file", w.SecretFile)
				}
				f.Close()
			}
		}
		if w.Timeout <= 0 {
			bad(key+".timeout", "%v must be greater than 0", w.Timeout)
		}
	}
	errs = append(errs, c.validateAlerts(planBands)...)
	if d := c.Alerts.Quiet; d <= 0 {
		bad("alerts.quiet", "%v must be greater than 0", d)
	}
	if d := c.Alerts.ThreatAfter; d <= 0 {
		bad("alerts.threat_after", "%v must be greater than 0", d)
	}

	if err := checkHostPort(c.Web.ListenAddress, false); err != nil {
		bad("web.listen_address", "%q %v", c.Web.ListenAddress, err)
	}
	switch p := c.Web.TelemetryPath; {
	case !strings.HasPrefix(p, "/") || p == "/":
		bad("web.telemetry_path", "%q must be a path below / (such as /metrics)", p)
	case strings.HasPrefix(p, "/-/"):
		bad("web.telemetry_path", "%q is reserved for the health, readiness and reload endpoints", p)
	case strings.ContainsAny(p, "{}?# \t"):
		bad("web.telemetry_path", "%q must be a plain path (no {, }, ?, # or spaces)", p)
	}
	if c.Web.ConfigFile != "" {
		if err := web.Validate(c.Web.ConfigFile); err != nil {
			bad("web.config_file", "%q: %v", c.Web.ConfigFile, err)
		}
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "%q is not a level (want debug, info, warn or error)", c.Log.Level)
	}
	switch c.Log.Format {
	case "logfmt", "json":
	default:
		bad("log.format", "%q is not a format (want logfmt or json)", c.Log.Format)
	}
	return errors.Join(errs...)
}

func (c *Config) validateSources(planBands []string, planOK bool) []error {
	var errs []error
	if len(c.Sources) == 0 {
		return []error{errors.New("sources: at least one source is required")}
	}
	names := map[string]int{}
	serials := map[string]int{}
	addresses := map[string]int{}
	dongles := 0
	for _, s := range c.Sources {
		if s.Kind == KindRTLSDR {
			dongles++
		}
	}
	for i, s := range c.Sources {
		key := "sources[" + strconv.Itoa(i) + "]"
		bad := func(field, format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s.%s: "+format, append([]any{key, field}, args...)...))
		}
		if strings.TrimSpace(s.Name) == "" {
			bad("name", "must not be empty")
		} else if j, dup := firstUse(names, s.Name, i); dup {
			bad("name", "%q is already the name of sources[%d]", s.Name, j)
		}

		dongleLike := false
		switch s.Kind {
		case KindRTLSDR, KindRTLTCP, KindSim:
			dongleLike = true
		case KindFile:
		default:
			bad("kind", "%q is not a source kind (want sim, file, rtlsdr or rtltcp)", s.Kind)
		}

		if dongleLike {
			if r := s.SampleRate; !source.RTLRateValid(r) {
				bad("sample_rate", "%s Hz is not a rate librtlsdr accepts (%d–%d Hz or %d–%d Hz)",
					fmtHz(r), minLowRate, maxLowRate, minHighRate, maxHighRate)
			}
			if f := s.CenterFreq; f != 0 && (f < minTunerHz || f > maxTunerHz) {
				bad("center_freq", "%s Hz is outside the tuner's range %g–%g MHz", fmtHz(f), minTunerHz/1e6, maxTunerHz/1e6)
			}
		} else {
			if s.SampleRate < 0 || s.SampleRate > maxFileRate {
				bad("sample_rate", "%s Hz must be between 0 (take it from the recording) and %g MS/s", fmtHz(s.SampleRate), maxFileRate/1e6)
			}
			if s.CenterFreq < 0 {
				bad("center_freq", "%s Hz must not be negative (0 takes it from the recording)", fmtHz(s.CenterFreq))
			}
		}
		if g := s.GainDB; g < 0 || g > maxGainDB {
			bad("gain_db", "%g dB is outside the tuner's range 0–%g dB", g, maxGainDB)
		}
		if p := s.PPM; p < -maxPPM || p > maxPPM {
			bad("ppm", "%d is outside −%d..%d", p, maxPPM, maxPPM)
		}
		if s.Format != "" {
			if f, err := iq.ParseFormat(s.Format); err != nil {
				bad("format", "%q is not a sample format (want cu8, cs8, cs16 or cf32)", s.Format)
			} else if (s.Kind == KindRTLSDR || s.Kind == KindRTLTCP) && f != iq.CU8 {
				bad("format", "%q: a dongle delivers cu8 only", s.Format)
			}
		}
		for j, b := range s.Bands {
			switch {
			case slices.Index(s.Bands, b) < j:
				bad("bands", "%q is listed twice", b)
			case planOK && !slices.Contains(planBands, b):
				bad("bands", "%q is not a band of plan %s (want one of %s)", b, c.Plan, strings.Join(planBands, ", "))
			}
		}

		switch s.Kind {
		case KindFile:
			if s.Path == "" {
				bad("path", "must be set for a file source")
			}
		case KindRTLTCP:
			if err := checkHostPort(s.Address, true); err != nil {
				bad("address", "%q %v", s.Address, err)
			} else if j, dup := firstUse(addresses, s.Address, i); dup {
				bad("address", "%q is already used by sources[%d] (rtl_tcp serves one client)", s.Address, j)
			}
		case KindRTLSDR:
			if s.Serial == "" && dongles > 1 {
				bad("serial", "must be set when there is more than one rtlsdr source")
			} else if s.Serial != "" {
				if j, dup := firstUse(serials, s.Serial, i); dup {
					bad("serial", "%q is already used by sources[%d]", s.Serial, j)
				}
			}
		case KindSim:
			if s.Scene == "" {
				bad("scene", "must be set for a sim source (a scene name or file)")
			}
		}
	}
	return errs
}

// checkHostPort accepts "host:port" with a numeric port. An address to
// listen on may leave the host empty (all interfaces) and use port 0 (any);
// an address to dial may not.
func checkHostPort(addr string, dial bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("is not host:port")
	}
	if dial && host == "" {
		return errors.New("has no host (want host:port)")
	}
	minPort := 0
	if dial {
		minPort = 1
	}
	if n, err := strconv.Atoi(port); err != nil || n < minPort || n > 65535 {
		return fmt.Errorf("has no valid port (want host:port, port %d–65535)", minPort)
	}
	return nil
}

// fmtHz prints a frequency or rate without an exponent: 2400000000, not 2.4e+09.
func fmtHz(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// firstUse records that item i of a list uses v, and reports the earlier
// item that already did (keys that must be unique: names, addresses).
func firstUse(seen map[string]int, v string, i int) (int, bool) {
	j, dup := seen[v]
	if !dup {
		seen[v] = i
	}
	return j, dup
}
