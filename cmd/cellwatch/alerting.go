package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cellwatch/cellwatch/pkg/alert"
	"github.com/cellwatch/cellwatch/pkg/config"
	"github.com/cellwatch/cellwatch/pkg/detect"
	"github.com/cellwatch/cellwatch/pkg/outbox"
	"github.com/cellwatch/cellwatch/pkg/source"
	"github.com/cellwatch/cellwatch/pkg/sweep"
)

// alerting is the daemon's alert side: the zone's gate, allowlist and
// audit log, the tamper checks, and the durable outbox behind the sinks.
// Everything but hops is used under daemon.alertMu.
type alerting struct {
	gate       *alert.Gate
	allow      alert.Allowlist
	audit      *alert.AuditLog          // nil without an allowlist
	suppressed map[string]*alert.Engine // allow rule → its suppressed alerts
	tamper     *alert.TamperDetector
	store      *outbox.Outbox // nil: in-memory queues
	amSinks    []string       // Alertmanager sink names
	resend     time.Duration
	lastResend time.Time
	blindBands map[string]bool // bands with cellwatch_sensor_blind set

	refHops map[int]bool // hop indices of the reference looks; set before the sweeps start, read-only after

	hopMu sync.Mutex
	hops  map[string][]alert.HopLevel // receiver → hops of its current sweep
	span  map[string][2]float64       // receiver → stream times of its current sweep's first and last hop
}

// setupAlerts builds the engine, gates, allowlist, tamper checks, sinks and
// the dispatcher over the outbox. Called by newDaemon once the sources are
// open.
func (d *daemon) setupAlerts() error {
	cfg := d.cfg
	a := d.alerting()
	a.suppressed, a.hops, a.span = map[string]*alert.Engine{}, map[string][]alert.HopLevel{}, map[string][2]float64{}
	a.resend, a.blindBands = cfg.Alerts.Alertmanager.Resend, map[string]bool{}
	engineCfg := alert.EngineConfig{Site: cfg.Sensor.Site, Sensor: cfg.Sensor.ID, Zone: cfg.Sensor.Zone,
		Quiet: cfg.Alerts.Quiet, ThreatAfter: cfg.Alerts.ThreatAfter}
	var err error
	if d.engine, err = alert.NewEngine(engineCfg); err != nil {
		return fmt.Errorf("alerts: %w", err)
	}

	gc := gateConfig(cfg)
	a.gate = alert.NewGate(gc)
	if gc.MinPowerDBm != nil {
		for _, r := range d.rx {
			if math.IsNaN(r.fullDBm) {
				d.log.Warn("alerts.zones: min_power_dbm needs a calibrated receiver; this one's emissions pass the power gate unchecked",
					"source", r.cfg.Name, "zone", cfg.Sensor.Zone, "min_power_dbm", *gc.MinPowerDBm)
			}
		}
	}

	if err := d.setAllowlist(cfg); err != nil {
		return err
	}

	tc := cfg.Alerts.Tamper
	if len(tc.ReferenceMHz) == 0 && slices.ContainsFunc(d.rx, func(r *receiver) bool { return r.sweeper != nil }) {
		d.log.Info("alerts.tamper.reference_mhz is empty: a cut or shielded antenna shows only if the floor drops (boxes with an LNA); list the local downlink carriers to see it on any box")
	}
	if a.tamper, err = alert.NewTamperDetector(alert.TamperConfig{Site: cfg.Sensor.Site, Sensor: cfg.Sensor.ID, Zone: cfg.Sensor.Zone,
		Sweeps: tc.Sweeps, JamRiseDB: tc.JamRiseDB, BlindDropDB: tc.BlindDropDB, ClipRatio: tc.ClipRatio, DownAfter: tc.DownAfter}); err != nil {
		return fmt.Errorf("alerts.tamper: %w", err)
	}

	var sinks []alert.Sink
	for i, w := range cfg.Alerts.Webhooks {
		sev := make([]alert.Severity, len(w.Severities))
		for j, s := range w.Severities {
			sev[j] = alert.Severity(s)
		}
		typ := make([]alert.EventType, len(w.Types))
		for j, t := range w.Types {
			typ[j] = alert.EventType(t)
		}
		hook, err := alert.NewWebhook(alert.WebhookConfig{Name: w.Name, URL: w.URL, SecretFile: w.SecretFile, Timeout: w.Timeout,
			Version: version, CAFile: w.CAFile, Zones: w.Zones, Severities: sev, Types: typ})
		if err != nil {
			return fmt.Errorf("alerts.webhooks[%d]: %w", i, err)
		}
		sinks = append(sinks, hook)
	}
	am := cfg.Alerts.Alertmanager
	for i, u := range am.URLs {
		s, err := alert.NewAlertmanager(alert.AlertmanagerConfig{URL: u, Timeout: am.Timeout, Resend: am.Resend, CAFile: am.CAFile})
		if err != nil {
			return fmt.Errorf("alerts.alertmanager.urls[%d]: %w", i, err)
		}
		sinks = append(sinks, s)
		a.amSinks = append(a.amSinks, s.Name())
	}
	if len(sinks) == 0 {
		return nil
	}
	if cfg.Storage.Dir != "" {
		if a.store, err = outbox.Open(cfg.Storage.Dir); err != nil {
			return fmt.Errorf("storage.dir: %w", err)
		}
		d.log.Info("alert outbox on disk", "path", a.store.Path())
	} else {
		d.log.Warn("storage.dir is not set: alert deliveries queue in memory only and are lost if the process dies; set storage.dir for a durable outbox")
	}
	d.dispatch, err = alert.NewDispatcher(alert.DispatcherConfig{Sinks: sinks, Store: a.store,
		Logger: d.log.With("component", "alerts"), Observer: (*deliveryObserver)(d.m)})
	if err != nil {
		if a.store != nil {
			a.store.Close()
		}
		return fmt.Errorf("alerts: %w", err)
	}
	return nil
}

// gateConfig is the gate of the sensor's zone (alerts.zones), or a gate
// that passes everything on first evidence.
func gateConfig(cfg *config.Config) alert.GateConfig {
	gc := alert.GateConfig{M: 1, K: 1}
	for _, z := range cfg.Alerts.Zones {
		if z.Zone == cfg.Sensor.Zone {
			gc = alert.GateConfig{MinSNRdB: z.MinSNRdB, MinPowerDBm: z.MinPowerDBm, M: z.Persistence.M, K: z.Persistence.K}
		}
	}
	return gc
}

// setAllowlist installs cfg's allowlist, at start and on a reload (under
// alertMu then). A rule keeps the alerts it is suppressing across a reload
// when its name stays; the audit log opens with the first rule. The
// allowlist and its audit log live in storage.dir, which only a restart
// changes, so a reload that brings the first rule needs it set already.
func (d *daemon) setAllowlist(cfg *config.Config) error {
	a := d.al
	engineCfg := alert.EngineConfig{Site: d.cfg.Sensor.Site, Sensor: d.cfg.Sensor.ID, Zone: d.cfg.Sensor.Zone,
		Quiet: d.cfg.Alerts.Quiet, ThreatAfter: d.cfg.Alerts.ThreatAfter}
	var rules []alert.AllowRule
	suppressed := map[string]*alert.Engine{}
	for _, ar := range cfg.Alerts.Allowlist {
		rule := alert.AllowRule{Name: ar.Name, Zones: ar.Zones, Bands: ar.Bands, Reason: ar.Reason}
		for _, day := range ar.Days {
			rule.Days = append(rule.Days, time.Weekday(slices.Index(config.Weekdays, day)))
		}
		if ar.From != "" {
			rule.From, _ = config.ParseClock(ar.From) // validated
			rule.To, _ = config.ParseClock(ar.To)
			if rule.To == 24*time.Hour && rule.From == 0 {
				rule.To = 0 // 00:00–24:00 is all day
			}
		}
		for _, t := range ar.Techs {
			rule.Techs = append(rule.Techs, detect.Tech(t))
		}
		rules = append(rules, rule)
		if e, ok := a.suppressed[ar.Name]; ok {
			suppressed[ar.Name] = e
			continue
		}
		e, err := alert.NewEngine(engineCfg)
		if err != nil {
			return fmt.Errorf("alerts: %w", err)
		}
		suppressed[ar.Name] = e
	}
	if len(rules) > 0 && a.audit == nil {
		if d.cfg.Storage.Dir == "" {
			return errors.New("alerts.allowlist: the running daemon has no storage.dir for the audit log; set storage.dir and restart")
		}
		audit, err := alert.OpenAuditLog(d.cfg.Storage.Dir)
		if err != nil {
			return fmt.Errorf("storage.dir: %w", err)
		}
		a.audit = audit
	}
	a.allow, a.suppressed = rules, suppressed
	return nil
}

// alerting returns d.al, creating it (openSources adds reference hops to
// it before setupAlerts runs).
func (d *daemon) alerting() *alerting {
	if d.al == nil {
		d.al = &alerting{refHops: map[int]bool{}}
	}
	return d.al
}

// referenceLookWidth is the slice of a reference look: a carrier's centre.
const referenceLookWidth = 1e6

// addReferenceHops appends to every sweeping receiver's hops one look at
// each alerts.tamper.reference_mhz carrier, with hop indices from next on.
// Their levels feed the tamper checks only (emissions there are downlink
// clutter).
func (d *daemon) addReferenceHops(shares [][]sweep.Hop, next int) error {
	a := d.alerting()
	for k, mhz := range d.cfg.Alerts.Tamper.ReferenceMHz {
		f := math.Round(mhz * 1e6)
		b, ok := d.plan.DownlinkAt(f)
		if _, ul := d.plan.BandAt(f); !ok || ul {
			return fmt.Errorf("alerts.tamper.reference_mhz[%d]: %v MHz is not in a downlink band of plan %s (a reference must be a base station, never where phones transmit)",
				k, mhz, d.cfg.Plan)
		}
		h := sweep.Hop{Index: next + k, Band: fmt.Sprintf("%s-dl-%gMHz", b.Name, mhz), CenterHz: f,
			LowHz: f - referenceLookWidth/2, HighHz: f + referenceLookWidth/2}
		a.refHops[h.Index] = true
		for i := range shares {
			// Clip: a share may be a window on the plan's hops, which
			// appending in place would overwrite.
			shares[i] = append(slices.Clip(shares[i]), h)
		}
	}
	return nil
}

// referenceHop reports whether hop index is a reference look.
func (d *daemon) referenceHop(index int) bool { return d.al != nil && d.al.refHops[index] }

// closeAlerts closes the outbox and the audit log; the dispatcher must be
// closed first.
func (d *daemon) closeAlerts() {
	if d.al == nil {
		return
	}
	if d.al.store != nil {
		if err := d.al.store.Close(); err != nil {
			d.log.Error("closing the outbox", "err", err)
		}
	}
	if d.al.audit != nil {
		if err := d.al.audit.Close(); err != nil {
			d.log.Error("closing the audit log", "err", err)
		}
	}
}

// alertEvidence passes an emission (after warm-up) through the zone's gate
// and persistence, then the allowlist, to the alert engine.
func (d *daemon) alertEvidence(e detect.Emission, first, last time.Time) {
	d.alertEvents(func() []alert.Event {
		a := d.al
		if !a.gate.Passes(e) {
			return nil
		}
		now := time.Now()
		var evs []alert.Event
		for _, ev := range a.gate.Evidence(alert.Evidence{E: e, First: first, Last: last}) {
			rule := a.allow.Match(d.cfg.Sensor.Zone, ev.E.Band, ev.E.Tech, ev.First)
			if rule == nil {
				evs = append(evs, d.engine.Observe(now, ev.E, ev.First, ev.Last)...)
				continue
			}
			// Allowed: the alert runs its course out of sight; its firing
			// events (start, escalation) go to the audit log instead.
			for _, sev := range a.suppressed[rule.Name].Observe(now, ev.E, ev.First, ev.Last) {
				if sev.Type != alert.TypeFiring {
					continue
				}
				if err := a.audit.Suppressed(now, rule, &sev); err != nil {
					d.log.Error("alert suppressed by the allowlist but not audited", "rule", rule.Name, "id", sev.ID, "err", err)
				}
				d.log.Info("alert suppressed by allowlist", "rule", rule.Name, "reason", rule.Reason, "id", sev.ID,
					"severity", sev.Severity, "band", ev.E.Band, "tech", ev.E.Tech)
			}
		}
		return evs
	})
}

// raise prints the events and queues them for delivery; under alertMu.
func (d *daemon) raise(evs []alert.Event) {
	for i := range evs {
		ev := &evs[i]
		// Queued (written to the outbox) before it is printed: an ALERT
		// line means the event will be delivered.
		if d.dispatch != nil {
			if err := d.dispatch.Enqueue(ev); err != nil {
				d.log.Error("alert not durably queued", "id", ev.ID, "err", err)
			}
		}
		ts := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
		if ev.Condition != "" {
			d.println(fmt.Sprintf("%s ALERT %s condition=%s status=%s source=%s bands=%s zone=%s id=%s", ts, ev.Type, ev.Condition,
				ev.Status, ev.Source, strings.Join(ev.Bands, ","), ev.Zone, ev.ID))
		} else {
			d.println(fmt.Sprintf("%s ALERT %s severity=%s zone=%s id=%s", ts, ev.Type, ev.Severity, ev.Zone, ev.ID))
		}
	}
}

// tamperHop records a hop's levels for the sweep's tamper check.
func (d *daemon) tamperHop(r *receiver, h *sweep.HopReport) {
	if h.WarmingUp {
		return
	}
	a := d.al
	a.hopMu.Lock()
	if len(a.hops[r.cfg.Name]) == 0 {
		a.span[r.cfg.Name] = [2]float64{h.Start, h.Start}
	} else {
		a.span[r.cfg.Name] = [2]float64{a.span[r.cfg.Name][0], h.Start}
	}
	a.hops[r.cfg.Name] = append(a.hops[r.cfg.Name], alert.HopLevel{Hop: h.Hop.Index, Band: h.Hop.Band,
		FloorDBm: r.dBm(h.FloorDBFS), PeakDBm: r.dBm(h.PeakDBFS), Clipped: h.Clipped})
	a.hopMu.Unlock()
}

// tamperSweep runs the tamper checks over a completed sweep and closes the
// sweep for the persistence gate.
func (d *daemon) tamperSweep(r *receiver) {
	a := d.al
	a.hopMu.Lock()
	hops := a.hops[r.cfg.Name]
	span := a.span[r.cfg.Name]
	a.hops[r.cfg.Name] = nil
	a.hopMu.Unlock()
	d.alertEvents(func() []alert.Event {
		a.gate.EndSweep()
		if len(hops) == 0 {
			return nil
		}
		evs := a.tamper.Sweep(time.Now(), r.cfg.Name, hops)
		d.updateBlind()
		for _, ev := range evs {
			// The stream times tie the alert to the sweep that raised it.
			d.log.Info("sensor condition", "type", ev.Type, "condition", ev.Condition, "status", ev.Status, "source", r.cfg.Name,
				"bands", strings.Join(ev.Bands, ","), "detail", ev.Detail, "sweep_stream_start", span[0], "sweep_stream_end", span[1])
		}
		if d.log.Enabled(context.Background(), slog.LevelDebug) {
			refs, learned := a.tamper.ReferenceHops(r.cfg.Name)
			d.log.Debug("tamper check", "source", r.cfg.Name, "hops", len(hops), "reference_hops", refs, "learned", learned,
				"sweep_stream_start", span[0], "sweep_stream_end", span[1])
		}
		return evs
	})
}

// updateBlind sets cellwatch_sensor_blind{band}: 1 while a band is jammed,
// and for every band while the sensor is blind; under alertMu.
func (d *daemon) updateBlind() {
	a := d.al
	now := map[string]bool{}
	if len(a.tamper.ActiveBands(alert.CondBlind)) > 0 {
		for _, b := range d.hopBandsList() {
			now[b] = true
		}
	}
	for b := range a.tamper.ActiveBands(alert.CondJamming) {
		if !strings.Contains(b, "-dl-") { // reference looks are not bands
			now[b] = true
		}
	}
	for b := range now {
		d.m.SensorBlind.WithLabelValues(b).Set(1)
	}
	for b := range a.blindBands {
		if !now[b] {
			d.m.SensorBlind.WithLabelValues(b).Set(0)
		}
	}
	for _, b := range d.hopBandsList() {
		if !now[b] {
			d.m.SensorBlind.WithLabelValues(b).Set(0)
		}
	}
	a.blindBands = now
}

// hopBandsList is the plan's swept bands.
func (d *daemon) hopBandsList() []string {
	var out []string
	for _, b := range d.hopBands {
		if b != "" && !slices.Contains(out, b) {
			out = append(out, b)
		}
	}
	return out
}

// alertTick runs every second: alert resolution, receiver health, the
// persistence gate for fixed-tune receivers, and Alertmanager re-sends.
func (d *daemon) alertTick(now time.Time) {
	d.alertEvents(func() []alert.Event {
		a := d.al
		evs := d.engine.Tick(now)
		for _, en := range a.suppressed {
			en.Tick(now) // suppressed alerts end unseen
		}
		sweeping := false
		for _, r := range d.rx {
			sweeping = sweeping || r.sweeper != nil
			evs = append(evs, a.tamper.Receiver(now, r.cfg.Name, d.receiverUp(r))...)
		}
		if !sweeping {
			a.gate.EndSweep() // recordings have no sweeps: a look per second
		}
		return evs
	})
	d.resendActive(now)
}

// receiverUp reports whether r is delivering (not failed, link not down).
func (d *daemon) receiverUp(r *receiver) bool {
	r.healthMu.Lock()
	defer r.healthMu.Unlock()
	if r.failed {
		return false
	}
	if hs, ok := r.src.(source.Health); ok {
		return !hs.Health().Down
	}
	return true
}

// resendActive re-sends active alerts to every Alertmanager whose queue is
// empty, once per resend interval. A queue not yet drained is skipped: its
// pending events carry the state, and re-sends must not pile up in the
// outbox while Alertmanager is down.
func (d *daemon) resendActive(now time.Time) {
	a := d.al
	if len(a.amSinks) == 0 || d.dispatch == nil || now.Sub(a.lastResend) < a.resend {
		return
	}
	a.lastResend = now
	d.alertMu.Lock()
	defer d.alertMu.Unlock()
	var evs []alert.Event
	if ev, ok := d.engine.Snapshot(now); ok {
		evs = append(evs, ev)
	}
	evs = append(evs, a.tamper.Snapshot(now)...)
	for _, s := range a.amSinks {
		if d.dispatch.Pending(s) > 0 {
			continue
		}
		for i := range evs {
			if err := d.dispatch.EnqueueTo(&evs[i], s); err != nil && !errors.Is(err, alert.ErrClosed) {
				d.log.Error("alert re-send not durably queued", "sink", s, "id", evs[i].ID, "err", err)
			}
		}
	}
}
