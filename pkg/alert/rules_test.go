package alert

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellwatch/cellwatch/pkg/detect"
)

func ev(e detect.Emission) Evidence { return Evidence{E: e, First: t0, Last: t0} }

func TestGateSNRAndPower(t *testing.T) {
	p := -70.0
	g := NewGate(GateConfig{MinSNRdB: 12, MinPowerDBm: &p})
	loud := gsm(5, 20)
	loud.PowerDBm, loud.HasDBm = -60, true
	far := loud
	far.PowerDBm = -85
	weak := loud
	weak.SNRdB = 8
	uncal := gsm(5, 20) // no dBm: the power gate cannot apply, it passes
	clutter := loud
	clutter.Tech = detect.Clutter
	for _, c := range []struct {
		name string
		e    detect.Emission
		want bool
	}{{"loud", loud, true}, {"far", far, false}, {"weak", weak, false}, {"uncalibrated", uncal, true}, {"clutter", clutter, false}} {
		if got := g.Passes(c.e); got != c.want {
			t.Errorf("%s: Passes = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestGatePersistenceMofK(t *testing.T) {
	g := NewGate(GateConfig{M: 2, K: 3})
	if out := g.Evidence(ev(gsm(1, 20))); out != nil {
		t.Fatalf("1 of 3 sweeps released %v", out)
	}
	if out := g.Evidence(ev(gsm(2, 20))); out != nil {
		t.Fatalf("a second emission in the same sweep released %v", out)
	}
	g.EndSweep()
	out := g.Evidence(ev(gsm(3, 20)))
	if len(out) != 3 || out[0].E.Bursts != 1 || out[2].E.Bursts != 3 {
		t.Fatalf("2 of 3 sweeps: released %+v, want the 3 emissions in order", out)
	}
	// Persistence is met while the window holds 2 sweeps with evidence.
	g.EndSweep()
	if out := g.Evidence(ev(gsm(4, 20))); len(out) != 1 {
		t.Fatalf("still persistent: released %v", out)
	}
	// Three empty sweeps: back to holding, and held evidence expires.
	g.EndSweep()
	g.EndSweep()
	g.EndSweep()
	if out := g.Evidence(ev(gsm(5, 20))); out != nil {
		t.Fatalf("after quiet sweeps released %v", out)
	}
	g.EndSweep()
	g.EndSweep()
	g.EndSweep()
	if out := g.Evidence(ev(gsm(6, 20))); out != nil {
		t.Fatalf("released %v", out)
	}
	g.EndSweep()
	if out := g.Evidence(ev(gsm(7, 20))); len(out) != 2 || out[0].E.Bursts != 6 {
		t.Fatalf("held evidence older than K sweeps must be forgotten: %+v", out)
	}
}

func TestAllowRuleSchedule(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		paris = time.FixedZone("CET", 3600)
	}
	office := AllowRule{Name: "office", Zones: []string{"staff"}, Days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
		From: 7 * time.Hour, To: 19 * time.Hour, Reason: "staff phones", Loc: paris}
	night := AllowRule{Name: "night", Zones: []string{"yard"}, From: 22 * time.Hour, To: 6 * time.Hour,
		Days: []time.Weekday{time.Friday}, Techs: []detect.Tech{detect.LTE}, Bands: []string{"B20"}, Reason: "x", Loc: paris}
	// 2026-03-02 is a Monday.
	local := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, paris) }
	for _, c := range []struct {
		r          *AllowRule
		zone, band string
		tech       detect.Tech
		at         time.Time
		want       bool
	}{
		{&office, "staff", "B8", detect.GSM, local(2, 10, 0), true},
		{&office, "staff", "B8", detect.GSM, local(2, 6, 59), false},
		{&office, "staff", "B8", detect.GSM, local(2, 19, 0), false}, // to is exclusive
		{&office, "staff", "B8", detect.GSM, local(1, 10, 0), false}, // Sunday
		{&office, "cells", "B8", detect.GSM, local(2, 10, 0), false}, // other zone
		{&office, "staff", "B8", detect.GSM, local(2, 10, 0).UTC(), true},
		{&night, "yard", "B20", detect.LTE, local(6, 23, 0), true},  // Friday night
		{&night, "yard", "B20", detect.LTE, local(7, 5, 59), true},  // Saturday morning: Friday's window
		{&night, "yard", "B20", detect.LTE, local(7, 23, 0), false}, // Saturday night
		{&night, "yard", "B20", detect.GSM, local(6, 23, 0), false}, // tech
		{&night, "yard", "B8", detect.LTE, local(6, 23, 0), false},  // band
		{&night, "yard", "B20", detect.LTE, local(6, 12, 0), false}, // midday
	} {
		if got := c.r.Matches(c.zone, c.band, c.tech, c.at); got != c.want {
			t.Errorf("%s %s %s %s at %v: %v, want %v", c.r.Name, c.zone, c.band, c.tech, c.at, got, c.want)
		}
	}
	al := Allowlist{office, night}
	if r := al.Match("yard", "B20", detect.LTE, local(6, 23, 0)); r == nil || r.Name != "night" {
		t.Errorf("Match = %v", r)
	}
}

func TestAuditLogAppends(t *testing.T) {
	dir := t.TempDir()
	rule := &AllowRule{Name: "office", Reason: "staff phones"}
	for range 2 {
		l, err := OpenAuditLog(dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Suppressed(t0, rule, testEvent("e1")); err != nil {
			t.Fatal(err)
		}
		l.Close()
	}
	f, err := os.Open(filepath.Join(dir, AuditFileName))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r AuditRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %d: %v", n, err)
		}
		if r.Rule != "office" || r.Reason != "staff phones" || r.Action != "suppressed" || r.Event == nil || r.Event.ID != "e1" {
			t.Fatalf("record %+v", r)
		}
		n++
	}
	if n != 2 {
		t.Fatalf("%d lines, want 2 (reopening appends)", n)
	}
}

// hopsOf gives 8 hops, 4 per band: in each band two hear only noise (the
// strongest noise cell 20 dB over the median floor) and two a steady
// downlink carrier 40 dB over it.
func hopsOf(floor, noisePeak, carrierPeak float64) []HopLevel {
	var hs []HopLevel
	for i, b := range []string{"B8", "B8", "B8", "B8", "B20", "B20", "B20", "B20"} {
		p := noisePeak
		if i%4 >= 2 {
			p = carrierPeak
		}
		hs = append(hs, HopLevel{Hop: i, Band: b, FloorDBm: floor, PeakDBm: p})
	}
	return hs
}

func normal() []HopLevel { return hopsOf(-100, -80, -60) }

func newTamper(t *testing.T) *TamperDetector {
	t.Helper()
	td, err := NewTamperDetector(TamperConfig{Site: "s", Sensor: "n", Zone: "z", Sweeps: 1, JamRiseDB: 10, BlindDropDB: 6,
		ClipRatio: 0.01, DownAfter: 10 * time.Second, LearnSweeps: 3, NewID: seqIDs()})
	if err != nil {
		t.Fatal(err)
	}
	return td
}

func TestTamperJammingAndBlind(t *testing.T) {
	td := newTamper(t)
	for i := range 3 {
		none(t, td.Sweep(at(float64(i)), "sim0", normal()))
	}
	if n, learned := td.ReferenceHops("sim0"); n != 4 || !learned {
		t.Fatalf("reference hops %d (want the 4 carrier hops), learned %v", n, learned)
	}
	none(t, td.Sweep(at(3), "sim0", hopsOf(-99, -78, -59)))

	// A phone on one B8 hop is neither jamming nor anything else.
	ph := normal()
	ph[0].PeakDBm = -40
	none(t, td.Sweep(at(3.5), "sim0", ph))

	// A jammer on B8: the dwell's level rises 12 dB on every B8 hop at once
	// (the learned floor follows later); B20 is untouched.
	jam := normal()
	for i := range 4 {
		jam[i].PeakDBm += 12
	}
	e := one(t, td.Sweep(at(4), "sim0", jam))
	if e.Type != TypeTamper || e.Condition != CondJamming || e.Status != StatusFiring || strings.Join(e.Bands, ",") != "B8" {
		t.Fatalf("jamming event %+v", e)
	}
	// Later the learned floor has risen too: still jammed, no new event.
	for i := range 4 {
		jam[i].FloorDBm += 12
	}
	none(t, td.Sweep(at(4.5), "sim0", jam))
	// It resolves after 3 clean sweeps.
	none(t, td.Sweep(at(5), "sim0", normal()))
	none(t, td.Sweep(at(6), "sim0", normal()))
	if e := one(t, td.Sweep(at(7), "sim0", normal())); e.Status != StatusResolved || e.Condition != CondJamming {
		t.Fatalf("resolution %+v", e)
	}

	// Antenna cut: the floor barely moves (the dongle's own noise), the
	// steady carriers vanish into it.
	e = one(t, td.Sweep(at(8), "sim0", hopsOf(-101, -81, -81)))
	if e.Type != TypeTamper || e.Condition != CondBlind || strings.Join(e.Bands, ",") != "B20,B8" {
		t.Fatalf("blind event %+v", e)
	}
	if m := td.ActiveBands(CondBlind); !m["B8"] || !m["B20"] {
		t.Fatalf("blind bands %v", m)
	}
	if s := td.Snapshot(at(9)); len(s) != 1 || s[0].Condition != CondBlind || s[0].ID == e.ID {
		t.Fatalf("snapshot %+v", s)
	}
	// A phone near the cut antenna does not make the sensor sighted again.
	ph = hopsOf(-101, -81, -81)
	ph[2].PeakDBm = -50
	none(t, td.Sweep(at(9), "sim0", ph))
	if !td.Active("sim0", CondBlind) {
		t.Fatal("blind resolved by one hop")
	}
}

// With no steady carrier in its hops, blindness cannot be judged by the
// ambient; one carrier going off the air is not blindness.
func TestTamperNoReferencesNoBlind(t *testing.T) {
	td := newTamper(t)
	for i := range 3 {
		td.Sweep(at(float64(i)), "sim0", hopsOf(-100, -80, -80))
	}
	if n, _ := td.ReferenceHops("sim0"); n != 0 {
		t.Fatalf("reference hops %d", n)
	}
	none(t, td.Sweep(at(4), "sim0", hopsOf(-100, -80, -80)))
}

func TestTamperClippingAndReceiverDown(t *testing.T) {
	td := newTamper(t)
	for i := range 3 {
		td.Sweep(at(float64(i)), "d0", normal())
	}
	h := normal()
	h[0].Clipped, h[1].Clipped = 0.05, 0.05
	if e := one(t, td.Sweep(at(3), "d0", h)); e.Type != TypeHealth || e.Condition != CondClipping {
		t.Fatalf("clipping %+v", e)
	}
	none(t, td.Receiver(at(0), "d0", false))
	none(t, td.Receiver(at(9.9), "d0", false))
	e := one(t, td.Receiver(at(10), "d0", false))
	if e.Type != TypeHealth || e.Condition != CondReceiverDown || e.Status != StatusFiring || !e.FirstSeen.Equal(at(0)) {
		t.Fatalf("down %+v", e)
	}
	if e := one(t, td.Receiver(at(11), "d0", true)); e.Status != StatusResolved {
		t.Fatalf("up %+v", e)
	}
}

// The Alertmanager sink posts the §5 labels, ends a superseded label set
// (escalation), and sends endsAt in the past on resolve.
func TestAlertmanagerPayload(t *testing.T) {
	var mu sync.Mutex
	var posts [][]PostableAlert
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v2/alerts" || r.Method != http.MethodPost {
			http.Error(w, "wrong endpoint", 404)
			return
		}
		var b []PostableAlert
		data, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(data, &b); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		mu.Lock()
		posts = append(posts, b)
		mu.Unlock()
	}))
	defer srv.Close()
	am, err := NewAlertmanager(AlertmanagerConfig{URL: srv.URL, Resend: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	am.now = func() time.Time { return at(100) }
	en := newTestEngine(t)
	evs := en.Observe(at(1), gsm(5, 20), at(0), at(1))
	evs = append(evs, en.Observe(at(50), gsm(5, 20), at(49), at(50))...)
	evs = append(evs, en.Observe(at(100), gsm(5, 20), at(99), at(125))...) // sustained 125 s: threat
	evs = append(evs, en.Tick(at(200))...)
	if len(evs) != 3 {
		t.Fatalf("%d events", len(evs))
	}
	for i := range evs {
		if _, err := am.Notify(t.Context(), &evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]string{"alertname": AlertnameDetection, "site": "fresnes", "sensor": "b2-corridor-1", "zone": "B2-cells-10-14",
		"band": "B8", "tech": "gsm", "severity": "risk"}
	if len(posts) != 3 || len(posts[0]) != 1 {
		t.Fatalf("posts %+v", posts)
	}
	for k, v := range want {
		if posts[0][0].Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, posts[0][0].Labels[k], v)
		}
	}
	if posts[0][0].EndsAt != at(100).Add(4*time.Minute).UTC().Format(time.RFC3339Nano) || posts[0][0].StartsAt != at(0).UTC().Format(time.RFC3339Nano) {
		t.Errorf("firing startsAt %s endsAt %s", posts[0][0].StartsAt, posts[0][0].EndsAt)
	}
	if len(posts[1]) != 2 || posts[1][0].Labels["severity"] != "threat" || posts[1][1].Labels["severity"] != "risk" ||
		posts[1][1].EndsAt != at(100).UTC().Format(time.RFC3339Nano) {
		t.Errorf("escalation must fire threat and end risk: %+v", posts[1])
	}
	if len(posts[2]) != 1 || posts[2][0].Labels["severity"] != "threat" || posts[2][0].EndsAt != at(100).UTC().Format(time.RFC3339Nano) {
		t.Errorf("resolution %+v (endsAt must not be in the future)", posts[2])
	}
}

// A webhook with ca_file trusts exactly that CA.
func TestWebhookCAFile(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	with := newTestWebhook(t, srv.URL, func(c *WebhookConfig) { c.CAFile = ca })
	if _, err := with.Notify(t.Context(), testEvent(NewID())); err != nil {
		t.Fatalf("with the CA: %v", err)
	}
	without := newTestWebhook(t, srv.URL, nil)
	retry, err := without.Notify(t.Context(), testEvent(NewID()))
	var ce *tls.CertificateVerificationError
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("without the CA: retry %v, err %v (%T)", retry, err, ce)
	}
	if _, err := NewWebhook(WebhookConfig{URL: srv.URL, SecretFile: writeFile(t, testSecretFile), CAFile: writeFile(t, "not pem")}); err == nil {
		t.Fatal("a CA file without PEM was accepted")
	}
}
