package alert

import (
	"errors"
	"sync"
	"time"

	"github.com/cellwatch/cellwatch/pkg/detect"
)

// EngineConfig configures an Engine for one sensor watching one zone.
type EngineConfig struct {
	Site, Sensor, Zone string
	// Quiet: an alert resolves once this long has passed since its last
	// evidence (last_seen) with no new emission. Required, > 0.
	Quiet time.Duration
	// ThreatAfter escalates risk → threat when either
	//   - the alert's activity is sustained this long (last_seen − first_seen
	//     ≥ ThreatAfter; with gaps shorter than Quiet this also covers
	//     repeated activity within one alert), or
	//   - a new alert starts within ThreatAfter of the previous alert's
	//     resolution (its last_seen + Quiet): activity again within the window.
	// Required, > 0.
	ThreatAfter time.Duration
	// NewID makes event and alert ids; nil means NewID (random UUIDv4).
	// Tests set it to get deterministic ids.
	NewID func() string
}

// Alert is the state of the zone's active alert.
type Alert struct {
	ID        string // AlertID of its events
	Severity  Severity
	FirstSeen time.Time // earliest evidence
	LastSeen  time.Time // latest evidence
	// Emission aggregates the evidence: Bursts summed, the other fields
	// from the emission with the strongest SNR.
	Emission EmissionInfo
}

// FiringKey is a label set of the cellwatch_alerts_firing gauge.
type FiringKey struct {
	Zone     string
	Severity Severity
}

// Engine turns emissions into alert events for one sensor and zone.
//
// There is at most one active alert at a time. The first evidence fires it
// (detection.firing, severity risk — or threat straight away when the first
// evidence already meets an escalation rule); escalation to threat emits a
// second detection.firing event with severity threat and a new id; Quiet
// after the last evidence it resolves (detection.resolved, new id, severity
// of the alert as it ended). Every event of one alert shares its AlertID.
//
// The Engine is pure: no goroutines, no clock reads, no I/O — time comes in
// through the calls. It is safe for concurrent use (Firing may be read from a
// metrics goroutine).
type Engine struct {
	cfg EngineConfig

	mu     sync.Mutex
	active *Alert
	// prevResolved is when the most recently resolved alert ended — its
	// last_seen + Quiet, whenever Tick noticed — or zero: the start of the
	// repeat window.
	prevResolved time.Time
}

// NewEngine validates cfg and returns an Engine with no active alert.
func NewEngine(cfg EngineConfig) (*Engine, error) {
	var errs []error
	if cfg.Zone == "" {
		errs = append(errs, errors.New("alert: engine: zone is required"))
	}
	if cfg.Quiet <= 0 {
		errs = append(errs, errors.New("alert: engine: quiet must be > 0"))
	}
	if cfg.ThreatAfter <= 0 {
		errs = append(errs, errors.New("alert: engine: threat_after must be > 0"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.NewID == nil {
		cfg.NewID = NewID
	}
	return &Engine{cfg: cfg}, nil
}

// Observe feeds one emission seen between firstSeen and lastSeen (wall-clock
// times) and returns the events it causes, oldest first: possibly the
// resolution of an alert whose Quiet had already passed at now, then a firing
// or escalation. Clutter is ignored. A zero lastSeen means now; a zero
// firstSeen, or one after lastSeen, means lastSeen.
func (en *Engine) Observe(now time.Time, e detect.Emission, firstSeen, lastSeen time.Time) []Event {
	if e.Tech == detect.Clutter {
		return nil
	}
	if lastSeen.IsZero() {
		lastSeen = now
	}
	if firstSeen.IsZero() || firstSeen.After(lastSeen) {
		firstSeen = lastSeen
	}

	en.mu.Lock()
	defer en.mu.Unlock()

	// Resolve first exactly as Tick(now) would, so that the outcome does
	// not depend on how often Tick is called.
	evs := en.resolve(now, nil)

	a := en.active
	if a == nil {
		a = &Alert{
			ID:        en.cfg.NewID(),
			Severity:  SeverityRisk,
			FirstSeen: firstSeen,
			LastSeen:  lastSeen,
			Emission:  emissionInfo(e),
		}
		if en.sustained(a) || en.repeated(a) {
			a.Severity = SeverityThreat
		}
		en.active = a
		return append(evs, en.event(TypeFiring, a, now))
	}

	if firstSeen.Before(a.FirstSeen) {
		a.FirstSeen = firstSeen
	}
	if lastSeen.After(a.LastSeen) {
		a.LastSeen = lastSeen
	}
	bursts := a.Emission.Bursts + e.Bursts
	if e.SNRdB > a.Emission.SNRdB {
		a.Emission = emissionInfo(e)
	}
	a.Emission.Bursts = bursts

	if a.Severity == SeverityRisk && en.sustained(a) {
		a.Severity = SeverityThreat
		evs = append(evs, en.event(TypeFiring, a, now))
	}
	return evs
}

// Tick returns the resolution of the active alert if Quiet has passed since
// its last evidence, else nothing.
func (en *Engine) Tick(now time.Time) []Event {
	en.mu.Lock()
	defer en.mu.Unlock()
	return en.resolve(now, nil)
}

// Active returns a copy of the active alert, if any (for re-sending active
// alerts to Alertmanager, or showing them on the API).
func (en *Engine) Active() (Alert, bool) {
	en.mu.Lock()
	defer en.mu.Unlock()
	if en.active == nil {
		return Alert{}, false
	}
	return *en.active, true
}

// Firing returns the number of firing alerts per (zone, severity), for the
// cellwatch_alerts_firing gauge. Both severities of the zone are always
// present (0 or 1) so that a gauge drops back to 0.
func (en *Engine) Firing() map[FiringKey]int {
	en.mu.Lock()
	defer en.mu.Unlock()
	m := map[FiringKey]int{
		{en.cfg.Zone, SeverityRisk}:   0,
		{en.cfg.Zone, SeverityThreat}: 0,
	}
	if en.active != nil {
		m[FiringKey{en.cfg.Zone, en.active.Severity}] = 1
	}
	return m
}

func (en *Engine) resolve(now time.Time, evs []Event) []Event {
	a := en.active
	if a == nil || now.Sub(a.LastSeen) < en.cfg.Quiet {
		return evs
	}
	en.active = nil
	en.prevResolved = a.LastSeen.Add(en.cfg.Quiet)
	return append(evs, en.event(TypeResolved, a, en.prevResolved))
}

func (en *Engine) sustained(a *Alert) bool {
	return a.LastSeen.Sub(a.FirstSeen) >= en.cfg.ThreatAfter
}

func (en *Engine) repeated(a *Alert) bool {
	return !en.prevResolved.IsZero() && a.FirstSeen.Sub(en.prevResolved) <= en.cfg.ThreatAfter
}

func (en *Engine) event(t EventType, a *Alert, at time.Time) Event {
	ei := a.Emission
	return Event{
		ID:           en.cfg.NewID(),
		Type:         t,
		Severity:     a.Severity,
		Site:         en.cfg.Site,
		Sensor:       en.cfg.Sensor,
		Zone:         en.cfg.Zone,
		AlertID:      a.ID,
		EmissionInfo: &ei,
		FirstSeen:    NewTime(a.FirstSeen),
		LastSeen:     NewTime(a.LastSeen),
		At:           NewTime(at),
	}
}

// Snapshot returns the active alert as a detection.firing event with a new
// id, for re-sending to Alertmanager while it is active; false when none.
func (en *Engine) Snapshot(now time.Time) (Event, bool) {
	en.mu.Lock()
	defer en.mu.Unlock()
	if en.active == nil {
		return Event{}, false
	}
	return en.event(TypeFiring, en.active, now), true
}
