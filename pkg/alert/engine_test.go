package alert

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cellwatch/cellwatch/pkg/detect"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

func seqIDs() func() string {
	n := 0
	return func() string { n++; return fmt.Sprintf("id-%d", n) }
}

func newTestEngine(t *testing.T) *Engine {
	t.Helper()
	en, err := NewEngine(EngineConfig{
		Site: "fresnes", Sensor: "b2-corridor-1", Zone: "B2-cells-10-14",
		Quiet: 60 * time.Second, ThreatAfter: 120 * time.Second,
		NewID: seqIDs(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return en
}

func gsm(bursts int, snr float64) detect.Emission {
	return detect.Emission{FreqHz: 882e6, BandwidthHz: 200e3, Tech: detect.GSM, Band: "B8",
		Bursts: bursts, SNRdB: snr, PowerDBFS: -40}
}

func lte(bursts int, snr float64) detect.Emission {
	return detect.Emission{FreqHz: 842.5e6, BandwidthHz: 1.08e6, Tech: detect.LTE, Band: "B20",
		Bursts: bursts, SNRdB: snr, PowerDBFS: -35}
}

func one(t *testing.T, evs []Event) Event {
	t.Helper()
	if len(evs) != 1 {
		t.Fatalf("got %d events, want 1: %+v", len(evs), evs)
	}
	return evs[0]
}

func none(t *testing.T, evs []Event) {
	t.Helper()
	if len(evs) != 0 {
		t.Fatalf("got %d events, want none: %+v", len(evs), evs)
	}
}

func wantFiring(t *testing.T, en *Engine, risk, threat int) {
	t.Helper()
	got := en.Firing()
	want := map[FiringKey]int{
		{"B2-cells-10-14", SeverityRisk}:   risk,
		{"B2-cells-10-14", SeverityThreat}: threat,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Firing() = %v, want %v", got, want)
	}
}

func TestEngineFiringEscalationResolved(t *testing.T) {
	en := newTestEngine(t)
	wantFiring(t, en, 0, 0)
	none(t, en.Tick(at(0)))

	// First evidence: firing, risk.
	fire := one(t, en.Observe(at(1), gsm(10, 12), at(0), at(1)))
	if fire.Type != TypeFiring || fire.Severity != SeverityRisk || fire.ID != "id-2" || fire.AlertID != "id-1" {
		t.Fatalf("firing event = %+v", fire)
	}
	if fire.Site != "fresnes" || fire.Sensor != "b2-corridor-1" || fire.Zone != "B2-cells-10-14" {
		t.Fatalf("identity fields = %+v", fire)
	}
	if fire.Bursts != 10 || fire.Tech != detect.GSM || !fire.FirstSeen.Equal(at(0)) || !fire.LastSeen.Equal(at(1)) {
		t.Fatalf("emission fields = %+v %v %v", *fire.EmissionInfo, fire.FirstSeen, fire.LastSeen)
	}
	wantFiring(t, en, 1, 0)

	// More evidence aggregates silently: bursts summed, strongest kept.
	none(t, en.Observe(at(31), lte(5, 20), at(30), at(31)))
	none(t, en.Observe(at(41), gsm(7, 9), at(40), at(41)))
	a, ok := en.Active()
	if !ok || a.Emission.Bursts != 22 || a.Emission.Tech != detect.LTE || a.Emission.SNRdB != 20 ||
		a.Emission.Band != "B20" || !a.LastSeen.Equal(at(41)) || !a.FirstSeen.Equal(at(0)) {
		t.Fatalf("active alert = %+v", a)
	}

	// Quiet counts from the last evidence: 59 s later nothing; new evidence resets it.
	none(t, en.Tick(at(100)))
	none(t, en.Observe(at(100), gsm(1, 10), at(99), at(100)))
	none(t, en.Tick(at(159)))

	// Sustained ≥ ThreatAfter (120 s since first_seen): escalation, new id, same alert.
	esc := one(t, en.Observe(at(121), gsm(3, 11), at(120), at(121)))
	if esc.Type != TypeFiring || esc.Severity != SeverityThreat || esc.ID == fire.ID || esc.AlertID != fire.AlertID {
		t.Fatalf("escalation event = %+v", esc)
	}
	if esc.Bursts != 26 || !esc.FirstSeen.Equal(at(0)) || !esc.LastSeen.Equal(at(121)) {
		t.Fatalf("escalation aggregate = %+v", *esc.EmissionInfo)
	}
	wantFiring(t, en, 0, 1)
	// No second escalation.
	none(t, en.Observe(at(150), gsm(1, 10), at(150), at(150)))

	// Resolved Quiet after the last evidence (150 s): not at 209 s, at 210 s.
	none(t, en.Tick(at(209.999)))
	res := one(t, en.Tick(at(210)))
	if res.Type != TypeResolved || res.Severity != SeverityThreat || res.AlertID != fire.AlertID ||
		res.ID == fire.ID || res.ID == esc.ID || res.Bursts != 27 || !res.LastSeen.Equal(at(150)) {
		t.Fatalf("resolved event = %+v %+v", res, *res.EmissionInfo)
	}
	wantFiring(t, en, 0, 0)
	if _, ok := en.Active(); ok {
		t.Fatal("alert still active after resolution")
	}
	none(t, en.Tick(at(1000)))
}

func TestEngineIgnoresClutter(t *testing.T) {
	en := newTestEngine(t)
	spur := detect.Emission{FreqHz: 892.8e6, Tech: detect.Clutter, Bursts: 100, SNRdB: 30, Reason: "narrow persistent line"}
	none(t, en.Observe(at(1), spur, at(0), at(1)))
	wantFiring(t, en, 0, 0)

	// Clutter does not extend an active alert either.
	one(t, en.Observe(at(1), gsm(1, 10), at(1), at(1)))
	none(t, en.Observe(at(50), spur, at(50), at(50)))
	if a, _ := en.Active(); a.Emission.Bursts != 1 || !a.LastSeen.Equal(at(1)) {
		t.Fatalf("clutter changed the alert: %+v", a)
	}
	one(t, en.Tick(at(61)))
}

func TestEngineRepeatWithinWindowIsThreat(t *testing.T) {
	en := newTestEngine(t) // Quiet 60 s, ThreatAfter 120 s
	one(t, en.Observe(at(0), gsm(2, 10), at(0), at(0)))
	one(t, en.Tick(at(75))) // noticed late: the window still starts at 60 s

	// Activity again 120 s after the previous alert ended (last_seen 0 +
	// Quiet 60 s): within the window, threat at once.
	ev := one(t, en.Observe(at(180), gsm(2, 10), at(180), at(180)))
	if ev.Type != TypeFiring || ev.Severity != SeverityThreat {
		t.Fatalf("repeat within window = %+v", ev)
	}
	one(t, en.Tick(at(240)))

	// 121 s after that one ended (180 + 60): outside the window, risk.
	ev = one(t, en.Observe(at(361), gsm(2, 10), at(361), at(361)))
	if ev.Severity != SeverityRisk {
		t.Fatalf("repeat outside window = %+v", ev)
	}
}

func TestEngineObserveResolvesStaleAlertFirst(t *testing.T) {
	en := newTestEngine(t)
	first := one(t, en.Observe(at(0), gsm(2, 10), at(0), at(0)))
	// No Tick in between: Observe resolves the old alert before firing a new one.
	evs := en.Observe(at(300), lte(1, 10), at(300), at(300))
	if len(evs) != 2 || evs[0].Type != TypeResolved || evs[0].AlertID != first.AlertID ||
		evs[1].Type != TypeFiring || evs[1].AlertID == first.AlertID || evs[1].Severity != SeverityRisk {
		t.Fatalf("events = %+v", evs)
	}
}

func TestEngineLongFirstEvidenceIsThreatAtOnce(t *testing.T) {
	en := newTestEngine(t)
	// One 3-minute emission (a call) reported as a single episode.
	ev := one(t, en.Observe(at(180), gsm(4000, 15), at(0), at(180)))
	if ev.Type != TypeFiring || ev.Severity != SeverityThreat {
		t.Fatalf("event = %+v", ev)
	}
	wantFiring(t, en, 0, 1)
}

func TestEngineDefaultsTimes(t *testing.T) {
	en := newTestEngine(t)
	ev := one(t, en.Observe(at(5), gsm(1, 10), time.Time{}, time.Time{}))
	if !ev.FirstSeen.Equal(at(5)) || !ev.LastSeen.Equal(at(5)) {
		t.Fatalf("zero times: first %v last %v", ev.FirstSeen, ev.LastSeen)
	}
}

func TestEngineRandomIDs(t *testing.T) {
	en, err := NewEngine(EngineConfig{Zone: "z", Quiet: time.Minute, ThreatAfter: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ev := one(t, en.Observe(at(0), gsm(1, 10), at(0), at(0)))
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if !uuid.MatchString(ev.ID) || !uuid.MatchString(ev.AlertID) || ev.ID == ev.AlertID {
		t.Fatalf("ids %q %q", ev.ID, ev.AlertID)
	}
}

func TestNewEngineValidates(t *testing.T) {
	_, err := NewEngine(EngineConfig{})
	if err == nil {
		t.Fatal("want error")
	}
	for _, s := range []string{"zone", "quiet", "threat_after"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %s", err, s)
		}
	}
}

func TestEventJSON(t *testing.T) {
	en := newTestEngine(t)
	ev := one(t, en.Observe(at(1.25), gsm(40, 14.8), at(0.2), at(1.2509)))
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"id-2","type":"detection.firing","severity":"risk","site":"fresnes","sensor":"b2-corridor-1",` +
		`"zone":"B2-cells-10-14","alert_id":"id-1","freq_hz":882000000,"bandwidth_hz":200000,"tech":"gsm",` +
		`"band":"B8","bursts":40,"snr_db":14.8,"power_dbfs":-40,` +
		`"first_seen":"2026-03-01T12:00:00.200Z","last_seen":"2026-03-01T12:00:01.250Z","at":"2026-03-01T12:00:01.250Z"}`
	if string(b) != want {
		t.Fatalf("JSON\n got %s\nwant %s", b, want)
	}
	var back Event
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	b2, _ := json.Marshal(back)
	if string(b2) != want {
		t.Fatalf("round trip\n got %s\nwant %s", b2, want)
	}

	// A sensor event has no emission fields; non-UTC times are written in UTC.
	paris := time.FixedZone("CET", 3600)
	tamper := Event{ID: "x", Type: TypeTamper, Site: "s", Sensor: "n", Zone: "z",
		FirstSeen: NewTime(time.Date(2026, 3, 1, 13, 0, 0, 0, paris))}
	b, _ = json.Marshal(tamper)
	if want := `{"id":"x","type":"sensor.tamper","site":"s","sensor":"n","zone":"z","first_seen":"2026-03-01T12:00:00.000Z"}`; string(b) != want {
		t.Fatalf("tamper JSON\n got %s\nwant %s", b, want)
	}
}
