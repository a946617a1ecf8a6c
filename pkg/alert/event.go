// Package alert turns handset emissions and sensor conditions into alert
// events and delivers them to sinks: Standard Webhooks signed webhooks and
// Prometheus Alertmanager.
//
// The flow is Gate (zone's SNR/power gates, M-of-K persistence) →
// Allowlist (schedules that suppress, each suppression to the AuditLog) →
// Engine (pure state machine: emissions in, events out; TamperDetector does
// the same for sweeps' level statistics) → Dispatcher (per-sink queues
// mirrored in the durable pkg/outbox, retries with backoff, metrics
// callbacks) → Sink (one delivery attempt, classified as success,
// retryable or permanent).
package alert

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/cellwatch/cellwatch/pkg/detect"
)

// EventType is the "type" field of an event (design.md §5).
type EventType string

// The event types.
const (
	TypeFiring   EventType = "detection.firing"
	TypeResolved EventType = "detection.resolved"
	TypeTamper   EventType = "sensor.tamper"
	TypeHealth   EventType = "sensor.health"
)

// Severity is the "severity" field of an event.
type Severity string

// The two severity steps staff know from TSCM monitors (design.md §5).
const (
	// SeverityRisk: something transmitted in the zone.
	SeverityRisk Severity = "risk"
	// SeverityThreat: sustained or repeated activity (a call, or activity
	// again within the window).
	SeverityThreat Severity = "threat"
)

// Event is one alert notification: the webhook's JSON body, and what the
// later outbox stores.
//
// Every event has its own ID, stable across delivery retries (it is the
// Standard Webhooks webhook-id and the receiver's idempotency key). The
// events of one alert — firing (risk), escalation (firing, threat) and
// resolved — carry the same AlertID so that a receiver can correlate them.
//
// Severity is kept on resolved events: it says which alert level ended.
//
// Detection events carry the emission fields of design.md §4 (see
// EmissionInfo); sensor.* events leave Emission nil and the fields are
// omitted from the JSON.
type Event struct {
	ID       string    `json:"id"`
	Type     EventType `json:"type"`
	Severity Severity  `json:"severity,omitempty"`
	Site     string    `json:"site"`
	Sensor   string    `json:"sensor"`
	Zone     string    `json:"zone"`
	// AlertID groups the events of one alert (not in design.md §5's list;
	// an addition for correlation). Empty for sensor.* events.
	AlertID string `json:"alert_id,omitempty"`

	*EmissionInfo // inlined in the JSON; nil for sensor.* events

	// Sensor events (sensor.tamper, sensor.health) say what is wrong and
	// whether it started or ended; the fields are omitted for detections.
	Condition Condition `json:"condition,omitempty"`
	Status    Status    `json:"status,omitempty"`
	Source    string    `json:"source,omitempty"` // the receiver concerned
	Bands     []string  `json:"bands,omitempty"`
	Detail    string    `json:"detail,omitempty"`

	FirstSeen Time `json:"first_seen,omitzero"`
	LastSeen  Time `json:"last_seen,omitzero"`
	// At is when the event was raised (for a resolution: when the alert
	// ended), independent of when it is delivered.
	At Time `json:"at,omitzero"`
}

// Condition is what a sensor event reports.
type Condition string

// The sensor conditions.
const (
	// CondBlind (sensor.tamper): the ambient signals the sensor always hears
	// have vanished together: antenna cut, disconnected or shielded.
	CondBlind Condition = "blind"
	// CondJamming (sensor.tamper): the noise floor rose across a band.
	CondJamming Condition = "jamming"
	// CondReceiverDown (sensor.health): a receiver delivers no samples.
	CondReceiverDown Condition = "receiver_down"
	// CondClipping (sensor.health): persistent overload of the converter.
	CondClipping Condition = "clipping"
)

// Status of a sensor event.
type Status string

// Sensor event statuses.
const (
	StatusFiring   Status = "firing"
	StatusResolved Status = "resolved"
)

// EmissionInfo is the core of the emission record (design.md §4) as an alert
// reports it. For an alert that aggregates several emissions, Bursts is the
// sum over all of them and the other fields are those of the emission with
// the strongest SNR.
type EmissionInfo struct {
	FreqHz      float64     `json:"freq_hz"`
	BandwidthHz float64     `json:"bandwidth_hz"`
	Tech        detect.Tech `json:"tech"`
	Band        string      `json:"band"`
	Bursts      int         `json:"bursts"`
	SNRdB       float64     `json:"snr_db"`
	PowerDBFS   float64     `json:"power_dbfs"`
	// PowerDBm is the power at the antenna port, present when the receiver
	// is calibrated (design.md §4).
	PowerDBm *float64 `json:"power_dbm,omitempty"`
}

func emissionInfo(e detect.Emission) EmissionInfo {
	return EmissionInfo{
		FreqHz:      e.FreqHz,
		BandwidthHz: e.BandwidthHz,
		Tech:        e.Tech,
		Band:        e.Band,
		Bursts:      e.Bursts,
		SNRdB:       e.SNRdB,
		PowerDBFS:   e.PowerDBFS,
		PowerDBm:    dBm(e),
	}
}

func dBm(e detect.Emission) *float64 {
	if !e.HasDBm {
		return nil
	}
	v := e.PowerDBm
	return &v
}

// clone returns a copy of ev that shares nothing mutable with it.
func (ev *Event) clone() *Event {
	c := *ev
	if ev.EmissionInfo != nil {
		ei := *ev.EmissionInfo
		if ei.PowerDBm != nil {
			v := *ei.PowerDBm
			ei.PowerDBm = &v
		}
		c.EmissionInfo = &ei
	}
	c.Bands = append([]string(nil), ev.Bands...)
	return &c
}

// TimeLayout is how event times are written: RFC 3339, UTC, milliseconds.
const TimeLayout = "2006-01-02T15:04:05.000Z07:00"

// Time is a time.Time that marshals as RFC 3339 in UTC with millisecond
// precision ("2026-03-01T12:00:00.250Z"). It unmarshals any RFC 3339 time.
type Time struct{ time.Time }

// NewTime returns t truncated to the millisecond and in UTC, so that a
// marshal/unmarshal round trip gives back an equal value.
func NewTime(t time.Time) Time {
	if t.IsZero() {
		return Time{}
	}
	return Time{t.UTC().Truncate(time.Millisecond)}
}

// MarshalJSON implements json.Marshaler.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	b := make([]byte, 0, len(TimeLayout)+2)
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, TimeLayout)
	return append(b, '"'), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = Time{}
		return nil
	}
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return fmt.Errorf("alert: time must be a JSON string, got %.40s", b)
	}
	v, err := time.Parse(time.RFC3339Nano, string(b[1:len(b)-1]))
	if err != nil {
		return fmt.Errorf("alert: %w", err)
	}
	*t = NewTime(v)
	return nil
}

// NewID returns a random UUIDv4 (RFC 9562) from crypto/rand. Event IDs never
// contain '.', as the Standard Webhooks signature scheme requires.
func NewID() string {
	var u [16]byte
	_, _ = rand.Read(u[:])  // never fails since Go 1.24 (it crashes the program instead)
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // variant 10
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:], u[10:])
	return string(s[:])
}
