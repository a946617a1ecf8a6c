package config

import (
	"strings"
	"testing"
	"time"
)

func TestAlertsKeysValidated(t *testing.T) {
	path := writeFile(t, `storage: {dir: ""}
alerts:
  webhooks:
    - {url: "http://a.example/h", secret_file: /dev/null, severities: [urgent], types: [detection.fired], ca_file: /no/such.pem}
    - {url: "http://a.example/other", secret_file: /dev/null}
  alertmanager: {urls: ["am:9093"], resend: 0s}
  zones:
    - {zone: corridor-demo, min_snr_db: -1, persistence: {m: 3, k: 2}}
    - {zone: corridor-demo}
  allowlist:
    - {name: office, zones: [], days: [monday], from: "7:00", reason: ""}
  tamper: {sweeps: 0, clip_ratio: 2}
`)
	_, err := Load(path, nil)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		`alerts.webhooks[1].name: "a.example" is already the name of alerts.webhooks[0]`,
		`alerts.webhooks[0].ca_file: "/no/such.pem" cannot be read`,
		`alerts.webhooks[0].severities: "urgent" is not a severity`,
		`alerts.webhooks[0].types: "detection.fired" is not an event type`,
		`alerts.alertmanager.urls[0]: "am:9093" is not an absolute http:// or https:// URL`,
		`alerts.alertmanager.resend: 0s must be at least 1s`,
		`alerts.zones[0].min_snr_db: -1 must not be negative`,
		`alerts.zones[0].persistence: m 3, k 2: want 1 ≤ m ≤ k ≤ 64`,
		`alerts.zones[1].zone: "corridor-demo" already has a rule, alerts.zones[0]`,
		`alerts.allowlist: needs storage.dir`,
		`alerts.allowlist[0].zones: must list at least one zone`,
		`alerts.allowlist[0].reason: must say why`,
		`alerts.allowlist[0].days: "monday" is not a day`,
		`alerts.allowlist[0]: from "7:00", to "": give both or neither`,
		`alerts.tamper.sweeps: 0 must be at least 1`,
		`alerts.tamper.clip_ratio: 2 must be between 0 and 1`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

func TestAlertsKeysValid(t *testing.T) {
	path := writeFile(t, `storage: {dir: /var/lib/cellwatch}
sources: [{name: sim0, kind: sim, scene: corridor-small}]
alerts:
  alertmanager: {urls: ["http://127.0.0.1:9093"]}
  zones:
    - {zone: corridor-demo, min_snr_db: 12, min_power_dbm: -75, persistence: {m: 2, k: 3}}
  allowlist:
    - {name: office, zones: [staff], days: [mon, fri], from: "22:00", to: "06:00", bands: [B8], techs: [gsm], reason: night shift}
`)
	c, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	z := c.Alerts.Zones[0]
	if z.MinPowerDBm == nil || *z.MinPowerDBm != -75 || z.Persistence != (Persistence{2, 3}) {
		t.Errorf("zone %+v", z)
	}
	if c.Alerts.Alertmanager.Resend != time.Minute || c.Alerts.Alertmanager.Timeout != 5*time.Second {
		t.Errorf("alertmanager defaults %+v", c.Alerts.Alertmanager)
	}
	if d, err := ParseClock("24:00"); err != nil || d != 24*time.Hour {
		t.Errorf("24:00 = %v, %v", d, err)
	}
	for _, bad := range []string{"24:01", "7:00", "07:60", "x"} {
		if _, err := ParseClock(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
