package config

import (
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Alertmanager is the direct push to Prometheus Alertmanager's
// /api/v2/alerts. Every URL is one Alertmanager replica: push to all of an
// HA cluster's replicas (they de-duplicate), never through a load balancer.
type Alertmanager struct {
	URLs    []string      `mapstructure:"urls"`    // base URLs, e.g. http://127.0.0.1:9093
	Timeout time.Duration `mapstructure:"timeout"` // per-request timeout
	// Resend is how often an active alert is pushed again; Alertmanager
	// wants 30 s–3 min, and an alert not re-sent expires after 4×Resend.
	Resend time.Duration `mapstructure:"resend"`
	CAFile string        `mapstructure:"ca_file"` // PEM CA bundle for https URLs; "" = system roots
}

// ZoneRule holds the gates an emission must pass to raise an alert in a
// zone. The rule whose zone is sensor.zone applies; without one, every
// emission the detector reports passes (persistence 1 of 1).
type ZoneRule struct {
	Zone     string  `mapstructure:"zone"`
	MinSNRdB float64 `mapstructure:"min_snr_db"`
	// MinPowerDBm gates on received power at the antenna port (a phone in
	// this block is loud, one on the road outside is not). It needs a
	// calibrated receiver; nil: no power gate.
	MinPowerDBm *float64    `mapstructure:"min_power_dbm"`
	Persistence Persistence `mapstructure:"persistence"`
}

// Persistence: an alert needs evidence in M of the last K sweeps.
// 0 means 1.
type Persistence struct {
	M int `mapstructure:"m"`
	K int `mapstructure:"k"`
}

// AllowRule suppresses alerts in some zones at some times: a staff office
// during the working day. Never by phone identity (cellwatch has none).
type AllowRule struct {
	Name   string   `mapstructure:"name"`   // names the rule in the audit log
	Zones  []string `mapstructure:"zones"`  // required
	Days   []string `mapstructure:"days"`   // mon … sun; empty = every day
	From   string   `mapstructure:"from"`   // "HH:MM" local time; with to, both or neither
	To     string   `mapstructure:"to"`     // "HH:MM", exclusive; before from = past midnight
	Bands  []string `mapstructure:"bands"`  // empty = any band
	Techs  []string `mapstructure:"techs"`  // gsm, lte, umts, nr; empty = any
	Reason string   `mapstructure:"reason"` // required: why this is allowed
}

// Tamper tunes the tamper and health checks. Each condition must hold for
// Sweeps consecutive sweeps before it raises an alert, and clear for as
// many before it resolves.
type Tamper struct {
	Sweeps int `mapstructure:"sweeps"`
	// JamRiseDB: a band's noise floor this far above its learned baseline
	// on most of its hops is jamming.
	JamRiseDB float64 `mapstructure:"jam_rise_db"`
	// BlindDropDB: the ambient signals the sensor always hears (the
	// strongest cell of each hop above its floor, learned per hop) this far
	// below their baseline on most hops, together, is a blinded sensor.
	BlindDropDB float64 `mapstructure:"blind_drop_db"`
	// ClipRatio: a share of samples at the converter's rails above this is
	// overload.
	ClipRatio float64 `mapstructure:"clip_ratio"`
	// DownAfter: a receiver down this long raises sensor.health.
	DownAfter time.Duration `mapstructure:"down_after"`
	// ReferenceMHz lists steady downlink carriers the sensor hears (the
	// strongest local base stations, found at commissioning): each sweeping
	// receiver looks at each once per pass, and their vanishing together is
	// how a cut or shielded antenna shows. Must lie in a downlink band.
	ReferenceMHz []float64 `mapstructure:"reference_mhz"`
}

// Weekdays as allow rules spell them.
var Weekdays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// Techs an allow rule may name.
var allowTechs = []string{"gsm", "umts", "lte", "nr"}

// ParseClock parses "HH:MM" into the time since midnight.
func ParseClock(s string) (time.Duration, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || len(h) != 2 || len(m) != 2 || err1 != nil || err2 != nil || hh < 0 || hh > 24 || mm < 0 || mm > 59 || hh == 24 && mm != 0 {
		return 0, fmt.Errorf("%q is not a time of day HH:MM (00:00–24:00)", s)
	}
	return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, nil
}

func (c *Config) validateAlerts(planBands []string) []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{key}, args...)...))
	}
	names := map[string]int{}
	for i, w := range c.Alerts.Webhooks {
		key := "alerts.webhooks[" + strconv.Itoa(i) + "]"
		name := w.Name
		if name == "" {
			if u, err := url.Parse(w.URL); err == nil {
				name = u.Host
			}
		}
		if j, dup := firstUse(names, name, i); dup && name != "" {
			bad(key+".name", "%q is already the name of alerts.webhooks[%d] (names key the outbox: give each webhook its own)", name, j)
		}
		checkFile(bad, key+".ca_file", w.CAFile)
		for _, z := range w.Zones {
			if strings.TrimSpace(z) == "" {
				bad(key+".zones", "has an empty zone")
			}
		}
		for _, s := range w.Severities {
			if s != "risk" && s != "threat" {
				bad(key+".severities", "%q is not a severity (want risk or threat)", s)
			}
		}
		for _, t := range w.Types {
			switch t {
			case "detection.firing", "detection.resolved", "sensor.tamper", "sensor.health":
			default:
				bad(key+".types", "%q is not an event type (want detection.firing, detection.resolved, sensor.tamper or sensor.health)", t)
			}
		}
	}

	am := c.Alerts.Alertmanager
	for i, u := range am.URLs {
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			shown := u
			if err == nil {
				shown = pu.Redacted()
			}
			bad("alerts.alertmanager.urls["+strconv.Itoa(i)+"]", "%q is not an absolute http:// or https:// URL", shown)
		}
	}
	if am.Timeout <= 0 {
		bad("alerts.alertmanager.timeout", "%v must be greater than 0", am.Timeout)
	}
	if am.Resend < time.Second {
		bad("alerts.alertmanager.resend", "%v must be at least 1s (Alertmanager wants 30s–3m)", am.Resend)
	}
	checkFile(bad, "alerts.alertmanager.ca_file", am.CAFile)

	zones := map[string]int{}
	for i, z := range c.Alerts.Zones {
		key := "alerts.zones[" + strconv.Itoa(i) + "]"
		if strings.TrimSpace(z.Zone) == "" {
			bad(key+".zone", "must not be empty")
		} else if j, dup := firstUse(zones, z.Zone, i); dup {
			bad(key+".zone", "%q already has a rule, alerts.zones[%d]", z.Zone, j)
		}
		if z.MinSNRdB < 0 {
			bad(key+".min_snr_db", "%v must not be negative", z.MinSNRdB)
		}
		if p := z.MinPowerDBm; p != nil && (*p < -150 || *p > 20) {
			bad(key+".min_power_dbm", "%v dBm is outside −150..20 dBm", *p)
		}
		m, k := z.Persistence.M, z.Persistence.K
		if m < 0 || k < 0 || max(m, 1) > max(k, 1) || k > 64 {
			bad(key+".persistence", "m %d, k %d: want 1 ≤ m ≤ k ≤ 64 (0 means 1)", m, k)
		}
	}

	if len(c.Alerts.Allowlist) > 0 && c.Storage.Dir == "" {
		bad("alerts.allowlist", "needs storage.dir: every suppressed alert is written to the audit log there")
	}
	rules := map[string]int{}
	for i, r := range c.Alerts.Allowlist {
		key := "alerts.allowlist[" + strconv.Itoa(i) + "]"
		if strings.TrimSpace(r.Name) == "" {
			bad(key+".name", "must not be empty (it names the rule in the audit log)")
		} else if j, dup := firstUse(rules, r.Name, i); dup {
			bad(key+".name", "%q is already the name of alerts.allowlist[%d]", r.Name, j)
		}
		if len(r.Zones) == 0 {
			bad(key+".zones", "must list at least one zone")
		}
		if strings.TrimSpace(r.Reason) == "" {
			bad(key+".reason", "must say why this is allowed (it goes into the audit log)")
		}
		for _, d := range r.Days {
			if !slices.Contains(Weekdays, d) {
				bad(key+".days", "%q is not a day (want %s)", d, strings.Join(Weekdays, ", "))
			}
		}
		if (r.From == "") != (r.To == "") {
			bad(key, "from %q, to %q: give both or neither", r.From, r.To)
		} else if r.From != "" {
			f, err1 := ParseClock(r.From)
			t, err2 := ParseClock(r.To)
			if err1 != nil {
				bad(key+".from", "%v", err1)
			}
			if err2 != nil {
				bad(key+".to", "%v", err2)
			}
			if err1 == nil && err2 == nil && f == t {
				bad(key, "from and to are both %s: an empty window (leave both out for all day)", r.From)
			}
		}
		for _, b := range r.Bands {
			if planBands != nil && !slices.Contains(planBands, b) {
				bad(key+".bands", "%q is not a band of plan %s (want one of %s)", b, c.Plan, strings.Join(planBands, ", "))
			}
		}
		for _, t := range r.Techs {
			if !slices.Contains(allowTechs, t) {
				bad(key+".techs", "%q is not a technology (want %s)", t, strings.Join(allowTechs, ", "))
			}
		}
	}

	tp := c.Alerts.Tamper
	if tp.Sweeps < 1 {
		bad("alerts.tamper.sweeps", "%d must be at least 1", tp.Sweeps)
	}
	if !(tp.JamRiseDB > 0) {
		bad("alerts.tamper.jam_rise_db", "%v must be greater than 0", tp.JamRiseDB)
	}
	if !(tp.BlindDropDB > 0) {
		bad("alerts.tamper.blind_drop_db", "%v must be greater than 0", tp.BlindDropDB)
	}
	if !(tp.ClipRatio > 0 && tp.ClipRatio < 1) {
		bad("alerts.tamper.clip_ratio", "%v must be between 0 and 1", tp.ClipRatio)
	}
	if tp.DownAfter <= 0 {
		bad("alerts.tamper.down_after", "%v must be greater than 0", tp.DownAfter)
	}
	for i, f := range tp.ReferenceMHz {
		if f*1e6 < minTunerHz || f*1e6 > maxTunerHz || slices.Index(tp.ReferenceMHz, f) < i {
			bad("alerts.tamper.reference_mhz["+strconv.Itoa(i)+"]", "%v MHz is outside the tuner's range %g–%g MHz or listed twice", f, minTunerHz/1e6, maxTunerHz/1e6)
		}
	}
	return errs
}

// checkFile reports an optional file that is set but unreadable.
func checkFile(bad func(key, format string, args ...any), key, path string) {
	if path == "" {
		return
	}
	f, err := os.Open(path)
	if err != nil {
		bad(key, "%q cannot be read: %v", path, unwrapPath(err))
		return
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		bad(key, "%q is a directory, not a file", path)
	}
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
