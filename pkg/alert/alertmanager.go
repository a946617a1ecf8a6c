package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// AlertmanagerConfig configures an Alertmanager sink: one replica.
type AlertmanagerConfig struct {
	// Name is the sink's name; default "alertmanager-<host>".
	Name string
	// URL is the replica's base URL (http://127.0.0.1:9093); the sink
	// POSTs to URL + "/api/v2/alerts".
	URL string
	// Timeout bounds each attempt; default 5s.
	Timeout time.Duration
	// Resend is how often the daemon re-sends active alerts; a firing
	// alert's endsAt is 4×Resend ahead, so that Alertmanager resolves it on
	// its own if the daemon dies (as Prometheus does). Required, > 0.
	Resend time.Duration
	// CAFile: as WebhookConfig.CAFile.
	CAFile string
	Client *http.Client // nil: one built from CAFile
}

// Alertmanager is a Sink that pushes events to Prometheus Alertmanager's
// API v2 (POST /api/v2/alerts), mapping them onto its alert model so that
// its routing, grouping, silences and HA de-duplication work unchanged:
//
//   - labels (identity): alertname (CellphoneDetected, CellwatchSensorTamper,
//     CellwatchSensorHealth), site, sensor, zone, band, tech, severity
//     (risk or threat; threat for tamper, warning for health), and for
//     sensor events condition and source;
//   - annotations: summary, description, alert_id, event_id and the
//     emission's figures;
//   - startsAt = first_seen; endsAt = now + 4×Resend while firing, the
//     event's time once resolved.
//
// An alert's labels can change while it is active (escalation from risk to
// threat; a stronger emission on another band): the previous label set is
// then ended in the same POST. That memory is in-process: after a restart
// a superseded label set expires by its endsAt instead. Safe for
// concurrent use.
type Alertmanager struct {
	name     string
	url      string
	redacted string
	timeout  time.Duration
	resend   time.Duration
	client   *http.Client
	now      func() time.Time

	mu     sync.Mutex
	posted map[string]map[string]string // alert key → labels last posted
}

// NewAlertmanager validates cfg.
func NewAlertmanager(cfg AlertmanagerConfig) (*Alertmanager, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("alert: alertmanager %q: url does not parse", cfg.Name)
	}
	name := cfg.Name
	if name == "" {
		name = "alertmanager-" + u.Host
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("alert: alertmanager %q: url %s: need an http or https URL with a host", name, redactURL(u))
	}
	if cfg.Resend <= 0 {
		return nil, fmt.Errorf("alert: alertmanager %q: resend must be > 0", name)
	}
	api := u.JoinPath("api", "v2", "alerts")
	a := &Alertmanager{
		name: name, url: api.String(), redacted: redactURL(api),
		timeout: cfg.Timeout, resend: cfg.Resend, client: cfg.Client, now: time.Now,
		posted: map[string]map[string]string{},
	}
	if a.timeout <= 0 {
		a.timeout = DefaultWebhookTimeout
	}
	if a.client == nil {
		if a.client, err = newHTTPClient(cfg.CAFile); err != nil {
			return nil, fmt.Errorf("alert: alertmanager %q: %w", name, err)
		}
	}
	return a, nil
}

// Name implements Sink.
func (a *Alertmanager) Name() string { return a.name }

// String describes the sink.
func (a *Alertmanager) String() string {
	return fmt.Sprintf("alertmanager %q (%s)", a.name, a.redacted)
}

// LogValue keeps slog from printing internals.
func (a *Alertmanager) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", a.name), slog.String("url", a.redacted))
}

// PostableAlert is one alert of Alertmanager's API v2 POST body.
type PostableAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     string            `json:"startsAt,omitempty"`
	EndsAt       string            `json:"endsAt,omitempty"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// Notify implements Sink: one POST of the event's alert (plus the end of
// its previous label set when that changed). Classified as webhooks are.
func (a *Alertmanager) Notify(ctx context.Context, ev *Event) (retry bool, err error) {
	now := a.now()
	key, labels, resolved := AlertmanagerLabels(ev)
	pa := PostableAlert{Labels: labels, Annotations: annotations(ev)}
	if !ev.FirstSeen.IsZero() {
		pa.StartsAt = ev.FirstSeen.UTC().Format(time.RFC3339Nano)
	}
	if resolved {
		end := ev.At.Time
		if end.IsZero() || end.After(now) {
			end = now
		}
		pa.EndsAt = end.UTC().Format(time.RFC3339Nano)
	} else {
		pa.EndsAt = now.Add(4 * a.resend).UTC().Format(time.RFC3339Nano)
	}
	body := []PostableAlert{pa}
	a.mu.Lock()
	prev, had := a.posted[key]
	a.mu.Unlock()
	if had && !maps.Equal(prev, labels) {
		body = append(body, PostableAlert{Labels: prev, StartsAt: pa.StartsAt, EndsAt: now.UTC().Format(time.RFC3339Nano)})
	}
	data, err := json.Marshal(body)
	if err != nil {
		return false, fmt.Errorf("alertmanager %q: encoding event %s: %w", a.name, ev.ID, err)
	}
	ctx, cancel := context.WithTimeoutCause(ctx, a.timeout,
		fmt.Errorf("alertmanager timeout reached (%s): %w", a.timeout, context.DeadlineExceeded))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.url, bytes.NewReader(data))
	if err != nil {
		return false, fmt.Errorf("alertmanager %q: building request for %s: %v", a.name, a.redacted, unwrapURLError(err))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			err = context.Cause(ctx)
		} else {
			err = unwrapURLError(err)
		}
		return true, fmt.Errorf("alertmanager %q: POST %s: %w", a.name, a.redacted, err)
	}
	defer drain(resp)
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		a.mu.Lock()
		if resolved {
			delete(a.posted, key)
		} else {
			a.posted[key] = labels
		}
		a.mu.Unlock()
		return false, nil
	}
	retry = resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
	kind := "permanent failure"
	if retry {
		kind = "retryable failure"
	}
	return retry, fmt.Errorf("alertmanager %q: POST %s: %s (%s)%s", a.name, a.redacted, resp.Status, kind, readSnippet(resp.Body))
}

// Alert names in Alertmanager.
const (
	AlertnameDetection = "CellphoneDetected"
	AlertnameTamper    = "CellwatchSensorTamper"
	AlertnameHealth    = "CellwatchSensorHealth"
)

// AlertmanagerLabels returns the key that identifies ev's alert across its
// events, its Alertmanager labels, and whether the event ends the alert.
func AlertmanagerLabels(ev *Event) (key string, labels map[string]string, resolved bool) {
	labels = map[string]string{"site": ev.Site, "sensor": ev.Sensor, "zone": ev.Zone}
	switch ev.Type {
	case TypeTamper, TypeHealth:
		labels["alertname"] = AlertnameHealth
		labels["severity"] = "warning"
		if ev.Type == TypeTamper {
			labels["alertname"] = AlertnameTamper
			labels["severity"] = string(SeverityThreat)
		}
		labels["condition"] = string(ev.Condition)
		labels["source"] = ev.Source
		labels["band"] = "all"
		if len(ev.Bands) > 0 && ev.Condition != CondBlind { // blind: every band (Bands names the vanished references)
			labels["band"] = strings.Join(ev.Bands, ",")
		}
		labels["tech"] = "none"
		return string(ev.Type) + "/" + string(ev.Condition) + "/" + ev.Source, labels, ev.Status == StatusResolved
	}
	labels["alertname"] = AlertnameDetection
	labels["severity"] = string(ev.Severity)
	labels["band"], labels["tech"] = "none", "none"
	if ev.EmissionInfo != nil {
		if ev.Band != "" {
			labels["band"] = ev.Band
		}
		if ev.Tech != "" {
			labels["tech"] = string(ev.Tech)
		}
	}
	return "detection/" + ev.AlertID, labels, ev.Type == TypeResolved
}

func annotations(ev *Event) map[string]string {
	m := map[string]string{"event_id": ev.ID}
	if ev.AlertID != "" {
		m["alert_id"] = ev.AlertID
	}
	if ev.EmissionInfo != nil {
		e := ev.EmissionInfo
		m["summary"] = fmt.Sprintf("Handset transmission in zone %s (%s %s)", ev.Zone, e.Tech, e.Band)
		m["description"] = fmt.Sprintf("%s uplink at %.3f MHz, %d bursts, SNR %.1f dB, first seen %s, last seen %s",
			e.Tech, e.FreqHz/1e6, e.Bursts, e.SNRdB, ev.FirstSeen.UTC().Format(TimeLayout), ev.LastSeen.UTC().Format(TimeLayout))
		m["freq_hz"] = strconv.FormatFloat(e.FreqHz, 'f', 0, 64)
		m["snr_db"] = strconv.FormatFloat(e.SNRdB, 'f', 1, 64)
		if e.PowerDBm != nil {
			m["power_dbm"] = strconv.FormatFloat(*e.PowerDBm, 'f', 1, 64)
		}
	} else {
		m["summary"] = fmt.Sprintf("Sensor %s: %s (%s)", ev.Sensor, ev.Condition, ev.Source)
		m["description"] = ev.Detail
	}
	return m
}
