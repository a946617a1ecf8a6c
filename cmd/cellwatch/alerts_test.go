package main

// Integration tests of the alert path with real components over loopback:
// the daemon (in process, or the real binary built by the test), the
// simulator, a webhook receiver that verifies Standard Webhooks signatures
// on its own, and Debian's prometheus-alertmanager when installed.

import (
	"bufio"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cellwatch/cellwatch/pkg/alert"
	"github.com/cellwatch/cellwatch/pkg/outbox"
	"github.com/cellwatch/cellwatch/pkg/sim"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// cellwatchBinary builds the daemon once per test run.
func cellwatchBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "cellwatch-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "cellwatch")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// newWhsec writes a fresh Standard Webhooks secret file and returns its
// path and content ("whsec_<base64>").
func newWhsec(t *testing.T, dir string) (path, secret string) {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	secret = "whsec_" + base64.StdEncoding.EncodeToString(key)
	path = filepath.Join(dir, "hook.key")
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, secret
}

// startHookReceiver starts a receiver answering 200 on loopback and writes
// a fresh whsec_ secret for it.
func startHookReceiver(t *testing.T, dir string) (keyFile, secret string, rcv *hookReceiver, srv *httptest.Server) {
	t.Helper()
	keyFile, secret = newWhsec(t, dir)
	rcv = &hookReceiver{secret: secret, status: http.StatusOK}
	srv = httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	return keyFile, secret, rcv, srv
}

// swVerify checks a Standard Webhooks signature from the spec alone (not
// with pkg/alert): HMAC-SHA256 keyed with the base64-decoded part of the
// whsec_ secret, over "id.timestamp.body", base64 in a "v1,<sig>" entry of
// the space-separated header.
func swVerify(secret, id, ts string, body []byte, header string) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	want := base64.StdEncoding.EncodeToString(m.Sum(nil))
	for _, s := range strings.Split(header, " ") {
		if v, sig, ok := strings.Cut(s, ","); ok && v == "v1" && hmac.Equal([]byte(sig), []byte(want)) {
			return true
		}
	}
	return false
}

// delivery is one POST the receiver got.
type delivery struct {
	id     string
	body   []byte
	status int
	at     time.Time
	valid  bool
}

// hookReceiver answers with status() and records every POST.
type hookReceiver struct {
	secret string
	mu     sync.Mutex
	status int
	got    []delivery
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	id := r.Header.Get("webhook-id")
	valid := swVerify(h.secret, id, r.Header.Get("webhook-timestamp"), body, r.Header.Get("webhook-signature"))
	h.mu.Lock()
	st := h.status
	if !valid {
		st = http.StatusUnauthorized
	}
	h.got = append(h.got, delivery{id: id, body: body, status: st, at: time.Now(), valid: valid})
	h.mu.Unlock()
	w.WriteHeader(st)
}

func (h *hookReceiver) setStatus(s int) {
	h.mu.Lock()
	h.status = s
	h.mu.Unlock()
}

func (h *hookReceiver) deliveries() []delivery {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.got)
}

var alertLine = regexp.MustCompile(`ALERT (\S+) .* id=(\S+)`)

// alertIDs returns the ids of the ALERT lines in out.
func alertIDs(out string) []string {
	var ids []string
	for _, m := range alertLine.FindAllStringSubmatch(out, -1) {
		ids = append(ids, m[2])
	}
	return ids
}

func writeConfig(t *testing.T, dir, body string) string {
	t.Helper()
	p := filepath.Join(dir, "cellwatch.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func startDaemon(t *testing.T, cfgFile string, args ...string) (*exec.Cmd, *syncBuffer, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(cellwatchBinary(t), append([]string{"run", "--config.file=" + cfgFile}, args...)...)
	var out, errb syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd, &out, &errb
}

func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The receiver is down (503) while the daemon raises alerts; the daemon is
// killed with SIGKILL mid-delivery and restarted on the same storage.dir;
// the receiver comes back. Every event either run printed arrives, each
// signature verifies independently, ids are unique per event and stable
// across retries, and no event is acknowledged twice.
func TestAlertsSurviveSIGKILLAndReceiverOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs the real-time simulator for ~15 s")
	}
	dir := t.TempDir()
	keyFile, secret := newWhsec(t, dir)
	rcv := &hookReceiver{secret: secret, status: http.StatusServiceUnavailable}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	cfg := writeConfig(t, dir, fmt.Sprintf(`sensor: {site: test-site, id: s1, zone: B2-cells}
plan: eu
sources:
  - {name: sim0, kind: sim, scene: corridor-small, seed: 3, realtime: true, bands: [B8, B20]}
storage: {dir: %q}
detect: {warmup: 0s}
alerts:
  quiet: 2s
  threat_after: 2s
  webhooks: [{name: control-room, url: %q, secret_file: %q, timeout: 2s}]
web: {listen_address: "127.0.0.1:0"}
`, filepath.Join(dir, "state"), srv.URL+"/hook", keyFile))

	// Run 1: alerts are raised, every POST gets 503; then SIGKILL.
	cmd, out1, err1 := startDaemon(t, cfg)
	waitFor(t, 30*time.Second, "two alerts raised and refused", func() bool {
		return len(alertIDs(out1.String())) >= 2 && len(rcv.deliveries()) >= 2
	})
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	ids1 := alertIDs(out1.String())
	for _, d := range rcv.deliveries() {
		if d.status/100 == 2 {
			t.Fatalf("run 1 got a 2xx with the receiver down: %+v", d)
		}
	}
	// Every event run 1 printed is on disk, pending.
	var list syncBuffer
	lc := exec.Command(cellwatchBinary(t), "outbox", filepath.Join(dir, "state"))
	lc.Stdout, lc.Stderr = &list, &list
	if err := lc.Run(); err != nil {
		t.Fatalf("cellwatch outbox: %v\n%s", err, list.String())
	}
	for _, id := range ids1 {
		if !strings.Contains(list.String(), `"sink":"control-room"`) || !strings.Contains(list.String(), `"id":"`+id+`"`) {
			t.Errorf("event %s printed by run 1 is not pending in the outbox after SIGKILL:\n%s", id, list.String())
		}
	}

	// Run 2 on the same storage: the receiver stays down a little longer,
	// then answers 200.
	cmd, out2, err2 := startDaemon(t, cfg)
	time.Sleep(1500 * time.Millisecond)
	rcv.setStatus(http.StatusOK)
	ok := func(id string) bool {
		for _, d := range rcv.deliveries() {
			if d.id == id && d.status == http.StatusOK {
				return true
			}
		}
		return false
	}
	waitFor(t, 40*time.Second, "run 1's events delivered by run 2", func() bool {
		for _, id := range ids1 {
			if !ok(id) {
				return false
			}
		}
		return true
	})
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("run 2 did not stop cleanly: %v\n%s", err, err2.String())
	}
	ids2 := alertIDs(out2.String())
	all := append(slices.Clone(ids1), ids2...)
	t.Logf("run 1 raised %d events (killed), run 2 raised %d; %d POSTs in all", len(ids1), len(ids2), len(rcv.deliveries()))

	bodies := map[string][]byte{}
	acked := map[string]int{}
	for _, d := range rcv.deliveries() {
		if !d.valid {
			t.Errorf("POST %s: signature does not verify (Standard Webhooks, checked independently)", d.id)
		}
		if prev, seen := bodies[d.id]; seen && string(prev) != string(d.body) {
			t.Errorf("id %s: body changed between attempts", d.id)
		}
		bodies[d.id] = d.body
		var ev alert.Event
		if err := json.Unmarshal(d.body, &ev); err != nil || ev.ID != d.id {
			t.Errorf("POST %s: body %s (%v): its id must be the webhook-id", d.id, d.body, err)
		}
		if d.status == http.StatusOK {
			acked[d.id]++
		}
	}
	for _, id := range all {
		if acked[id] == 0 {
			t.Errorf("event %s was raised but never delivered", id)
		}
	}
	for id, n := range acked {
		if n > 1 {
			t.Errorf("event %s acknowledged %d times (nothing crashed after its 2xx)", id, n)
		}
		if !slices.Contains(all, id) {
			t.Errorf("delivered event %s was never printed as raised", id)
		}
	}
	seenBody := map[string]string{}
	for id, b := range bodies {
		if other, dup := seenBody[string(b)]; dup {
			t.Errorf("events %s and %s have the same body: ids must be per event", id, other)
		}
		seenBody[string(b)] = id
	}
	if len(ids1) == 0 || len(ids2) == 0 {
		t.Errorf("want events from both runs, got %d and %d", len(ids1), len(ids2))
	}
	for name, logs := range map[string]string{"run 1 stderr": err1.String(), "run 2 stderr": err2.String(), "run 1 stdout": out1.String(), "run 2 stdout": out2.String()} {
		if strings.Contains(logs, secret) || strings.Contains(logs, strings.TrimPrefix(secret, "whsec_")) {
			t.Errorf("%s contains the webhook secret", name)
		}
	}
}

// From the hop that saw the first burst (the alert's first_seen, the wall
// time of that burst's samples) to the receiver answering 2xx: < 1 s.
func TestAlertLatencyUnderOneSecond(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs the real-time simulator")
	}
	dir := t.TempDir()
	keyFile, secret, rcv, srv := startHookReceiver(t, dir)
	cfg := writeConfig(t, dir, fmt.Sprintf(`sensor: {site: test-site, id: s1, zone: B2-cells}
plan: eu
sources:
  - {name: sim0, kind: sim, scene: corridor-small, seed: 5, realtime: true, bands: [B8]}
storage: {dir: %q}
detect: {warmup: 0s}
alerts:
  webhooks: [{url: %q, secret_file: %q}]
web: {listen_address: "127.0.0.1:0"}
`, dir, srv.URL, keyFile))
	var out, errb syncBuffer
	if rc := run([]string{"run", "--config.file=" + cfg, "--run.duration=4s"}, &out, &errb); rc != 0 {
		t.Fatalf("exit %d: %s", rc, errb.String())
	}
	var first *delivery
	var ev alert.Event
	for _, d := range rcv.deliveries() {
		if err := json.Unmarshal(d.body, &ev); err == nil && ev.Type == alert.TypeFiring && d.status == 200 {
			first = &d
			break
		}
	}
	if first == nil {
		t.Fatalf("no detection.firing delivered; stdout:\n%s\nstderr:\n%s", out.String(), errb.String())
	}
	latency := first.at.Sub(ev.FirstSeen.Time)
	t.Logf("first burst %s → webhook 2xx %s: latency %v", ev.FirstSeen.Format(alert.TimeLayout), first.at.UTC().Format(alert.TimeLayout), latency)
	if latency <= 0 || latency >= time.Second {
		t.Fatalf("latency from first burst to 2xx = %v, want < 1s (and > 0)", latency)
	}
	if strings.Contains(errb.String(), secret) || strings.Contains(errb.String(), strings.TrimPrefix(secret, "whsec_")) {
		t.Error("logs contain the webhook secret")
	}
}

// An allowlist rule covering the zone now suppresses the alert and writes
// one audit line naming the rule; one whose window is elsewhere in the day
// does not.
func TestAllowlistSuppressesAndAudits(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs the simulator for seconds")
	}
	now := time.Now()
	clock := func(d time.Duration) string { return now.Add(d).Format("15:04") }
	for _, tc := range []struct {
		name      string
		from, to  string
		suppress  bool
		wantAudit int
	}{
		{"inside window", clock(-time.Hour), clock(time.Hour), true, 1},
		{"outside window", clock(2 * time.Hour), clock(3 * time.Hour), false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			keyFile, _, rcv, srv := startHookReceiver(t, dir)
			state := filepath.Join(dir, "state")
			cfg := writeConfig(t, dir, fmt.Sprintf(`sensor: {site: test-site, id: s1, zone: staff-office}
plan: eu
sources:
  - {name: sim0, kind: sim, scene: corridor-small, seed: 7, realtime: false, bands: [B8]}
storage: {dir: %q}
detect: {warmup: 0s}
alerts:
  webhooks: [{url: %q, secret_file: %q}]
  allowlist:
    - {name: office-hours, zones: [staff-office], from: %q, to: %q, reason: staff phones during the day}
web: {listen_address: "127.0.0.1:0"}
`, state, srv.URL, keyFile, tc.from, tc.to))
			var out, errb syncBuffer
			if rc := run([]string{"run", "--config.file=" + cfg, "--run.duration=5s"}, &out, &errb); rc != 0 {
				t.Fatalf("exit %d: %s", rc, errb.String())
			}
			if !strings.Contains(out.String(), " DETECT ") {
				t.Fatalf("the phone was not detected at all; stdout:\n%s", out.String())
			}
			var lines []alert.AuditRecord
			if f, err := os.Open(filepath.Join(state, alert.AuditFileName)); err == nil {
				sc := bufio.NewScanner(f)
				for sc.Scan() {
					var r alert.AuditRecord
					if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
						t.Fatalf("audit line %q: %v", sc.Text(), err)
					}
					lines = append(lines, r)
				}
				f.Close()
			}
			if len(lines) != tc.wantAudit {
				t.Fatalf("%d audit lines, want %d: %+v", len(lines), tc.wantAudit, lines)
			}
			delivered := len(rcv.deliveries())
			if tc.suppress {
				if delivered != 0 || strings.Contains(out.String(), " ALERT ") {
					t.Fatalf("suppressed, yet %d webhooks and stdout:\n%s", delivered, out.String())
				}
				r := lines[0]
				if r.Rule != "office-hours" || r.Reason != "staff phones during the day" || r.Action != "suppressed" || r.Event == nil ||
					r.Event.Type != alert.TypeFiring || r.Event.Zone != "staff-office" {
					t.Fatalf("audit record %+v", r)
				}
			} else if delivered == 0 || !strings.Contains(out.String(), "ALERT detection.firing") {
				t.Fatalf("outside the window the alert must go out; %d webhooks, stdout:\n%s", delivered, out.String())
			}
		})
	}
}

// The simulator's tamper scenes raise the matching sensor.tamper alert
// from the sweep in progress when the tamper starts (sim.TamperAt) or the
// next one:
//   - jammer: a wideband jammer over 880–960 MHz → jamming on B8;
//   - antenna-cut: every external signal −40 dB, the dongle's own noise
//     and spurs stay → blind, seen on the reference looks at the downlink
//     carriers the corridor always hears (alerts.tamper.reference_mhz).
func TestTamperScenesRaiseAlertWithinOneSweep(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: simulates ~50 s of air per scene")
	}
	for _, tc := range []struct {
		scene, condition string
		bands            string // of the event; "" = not checked
	}{
		{"jammer", "jamming", "B8"},
		{"antenna-cut", "blind", ""},
	} {
		t.Run(tc.scene, func(t *testing.T) {
			dir := t.TempDir()
			cfg := writeConfig(t, dir, fmt.Sprintf(`sensor: {site: test-site, id: s1, zone: B2-cells}
plan: eu
sources:
  - {name: sim0, kind: sim, scene: %s, seed: 1, realtime: false}
detect: {warmup: 0s}
alerts:
  tamper: {reference_mhz: [763, 806, 947.5, 952.6, 935.2]}
web: {listen_address: "127.0.0.1:0"}
`, tc.scene))
			cmd, out, errb := startDaemon(t, cfg, "--log.format=json")
			var line map[string]any
			waitFor(t, 4*time.Minute, "the "+tc.condition+" alert", func() bool {
				for _, l := range strings.Split(errb.String(), "\n") {
					if strings.Contains(l, `"msg":"sensor condition"`) && strings.Contains(l, `"status":"firing"`) {
						_ = json.Unmarshal([]byte(l), &line)
						return true
					}
				}
				return false
			})
			_ = cmd.Process.Signal(syscall.SIGTERM)
			_ = cmd.Wait()
			start, _ := line["sweep_stream_start"].(float64)
			end, _ := line["sweep_stream_end"].(float64)
			onset := sim.TamperAt.Seconds()
			pass := end - start
			t.Logf("%s from %.3f s; %v raised by the sweep %.3f–%.3f s (stream time)", tc.scene, onset, line["condition"], start, end)
			if line["condition"] != tc.condition || line["type"] != string(alert.TypeTamper) || (tc.bands != "" && line["bands"] != tc.bands) {
				t.Fatalf("first condition raised: %v, want %s on %q", line, tc.condition, tc.bands)
			}
			if end < onset {
				t.Fatalf("raised by a sweep that ended at %.3f s, before the tamper at %.3f s", end, onset)
			}
			if start > onset+pass+0.1 {
				t.Fatalf("raised by the sweep starting %.3f s: more than one sweep (%.3f s) after the tamper at %.3f s", start, pass, onset)
			}
			if !strings.Contains(out.String(), "ALERT sensor.tamper condition="+tc.condition+" status=firing") {
				t.Errorf("no ALERT line on stdout:\n%s", out.String())
			}
		})
	}
}

// A real Alertmanager (Debian prometheus-alertmanager) on loopback lists
// the alert with the design.md §5 labels while it is active, and as
// resolved after it ends.
func TestAlertmanagerListsAndResolves(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs the real-time simulator")
	}
	amBin, err := exec.LookPath("prometheus-alertmanager")
	if err != nil {
		if amBin, err = exec.LookPath("alertmanager"); err != nil {
			t.Skip("prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager; scripts/test.sh does it as root)")
		}
	}
	dir := t.TempDir()
	amCfg := filepath.Join(dir, "am.yml")
	if err := os.WriteFile(amCfg, []byte("route: {receiver: none}\nreceivers: [{name: none}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	amAddr := freeAddr(t)
	am := exec.Command(amBin, "--config.file="+amCfg, "--storage.path="+filepath.Join(dir, "am-data"),
		"--web.listen-address="+amAddr, "--cluster.listen-address=")
	var amLog syncBuffer
	am.Stdout, am.Stderr = &amLog, &amLog
	if err := am.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = am.Process.Kill(); _ = am.Wait() }()
	waitFor(t, 20*time.Second, "alertmanager ready", func() bool {
		r, err := http.Get("http://" + amAddr + "/-/ready")
		if err != nil {
			return false
		}
		r.Body.Close()
		return r.StatusCode == 200
	})

	// One phone: a 4 s GSM call from 0.3 s, then silence.
	scene := filepath.Join(dir, "call.yaml")
	if err := os.WriteFile(scene, []byte(`name: short-call
seed: 1
sensors: [{name: s1, zone: B2-cells, x: 1, y: 1.5, noise_figure_db: 6, full_scale_dbm: -67}]
phones:
  - {id: gsm-1, tech: gsm, x: 4, y: 1.5, tx_power_dbm: 5, freq_hz: 898000000,
     schedule: [{kind: call, start: 300ms, duration: 4s, every: 1h}]}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, dir, fmt.Sprintf(`sensor: {site: test-site, id: s1, zone: B2-cells}
plan: eu
sources:
  - {name: sim0, kind: sim, scene: %q, seed: 1, realtime: true, bands: [B8]}
storage: {dir: %q}
detect: {warmup: 0s}
alerts:
  quiet: 2s
  threat_after: 60s
  alertmanager: {urls: [%q], resend: 1s}
web: {listen_address: "127.0.0.1:0"}
`, scene, filepath.Join(dir, "state"), "http://"+amAddr))
	cmd, out, errb := startDaemon(t, cfg)

	type amAlert struct {
		Labels map[string]string `json:"labels"`
		EndsAt time.Time         `json:"endsAt"`
		Status struct {
			State string `json:"state"`
		} `json:"status"`
	}
	list := func() []amAlert {
		r, err := http.Get("http://" + amAddr + "/api/v2/alerts")
		if err != nil {
			return nil
		}
		defer r.Body.Close()
		var as []amAlert
		_ = json.NewDecoder(r.Body).Decode(&as)
		return as
	}
	var active amAlert
	waitFor(t, 20*time.Second, "the alert active in Alertmanager", func() bool {
		for _, a := range list() {
			if a.Labels["alertname"] == alert.AlertnameDetection && a.Status.State == "active" {
				active = a
				return true
			}
		}
		return false
	})
	want := map[string]string{"site": "test-site", "sensor": "s1", "zone": "B2-cells", "band": "B8", "tech": "gsm", "severity": "risk"}
	for k, v := range want {
		if active.Labels[k] != v {
			t.Errorf("label %s = %q, want %q (labels %v)", k, active.Labels[k], v, active.Labels)
		}
	}
	// The call ends at 4.3 s, quiet is 2 s: resolved by ~7 s.
	waitFor(t, 25*time.Second, "the alert resolved in Alertmanager", func() bool {
		for _, a := range list() {
			if a.Labels["alertname"] == alert.AlertnameDetection && a.Status.State == "active" && a.EndsAt.After(time.Now()) {
				return false
			}
		}
		return strings.Contains(out.String(), "ALERT detection.resolved")
	})
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("daemon: %v\n%s", err, errb.String())
	}
	if strings.Contains(errb.String(), "level=ERROR") {
		t.Errorf("daemon logged errors:\n%s", errb.String())
	}
}

// A reference look must be a base station's downlink, never an uplink band.
func TestReferenceLookMustBeDownlink(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, `sources: [{name: sim0, kind: sim, scene: corridor-small}]
alerts:
  tamper: {reference_mhz: [947.5, 900]}
web: {listen_address: "127.0.0.1:0"}
`)
	var out, errb syncBuffer
	rc := run([]string{"run", "--config.file=" + cfg, "--run.duration=1s"}, &out, &errb)
	want := "alerts.tamper.reference_mhz[1]: 900 MHz is not in a downlink band of plan eu"
	if rc != exitError || !strings.Contains(errb.String(), want) {
		t.Fatalf("exit %d, stderr %q; want exit %d and %q", rc, errb.String(), exitError, want)
	}
}

// Without storage.dir, deliveries are in memory, and the daemon says so.
func TestNoStorageDirWarns(t *testing.T) {
	dir := t.TempDir()
	keyFile, _ := newWhsec(t, dir)
	cfg := writeConfig(t, dir, fmt.Sprintf(`sources: [{name: sim0, kind: sim, scene: noise-only, realtime: false, bands: [B8]}]
alerts:
  webhooks: [{url: "http://127.0.0.1:1/hook", secret_file: %q}]
web: {listen_address: "127.0.0.1:0"}
`, keyFile))
	var out, errb syncBuffer
	if rc := run([]string{"run", "--config.file=" + cfg, "--run.duration=500ms"}, &out, &errb); rc != 0 {
		t.Fatalf("exit %d: %s", rc, errb.String())
	}
	if !strings.Contains(errb.String(), "storage.dir is not set: alert deliveries queue in memory only") {
		t.Fatalf("no warning about the in-memory queue:\n%s", errb.String())
	}
}

// A receiver that stops delivering (its rtl_tcp server killed) raises
// sensor.health receiver_down after alerts.tamper.down_after, and the alert
// resolves once the server is back.
func TestReceiverDownRaisesHealth(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon against an rtl_tcp server for 15 s")
	}
	srvAddr, webAddr := freeAddr(t), freeAddr(t)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, fmt.Sprintf(`sensor: {site: s, id: s1, zone: z}
sources:
  - {name: tcp0, kind: rtltcp, address: %q, sample_rate: 2400000, bands: [B8]}
alerts:
  tamper: {down_after: 1s}
web: {listen_address: %q}
`, srvAddr, webAddr))
	srv := serveSim(t, srvAddr)
	var out, errb syncBuffer
	done := make(chan int)
	go func() { done <- run([]string{"run", "--config.file=" + cfg, "--run.duration=15s"}, &out, &errb) }()
	waitReady(t, webAddr, 10*time.Second)
	srv.Close()
	down := time.Now()
	waitFor(t, 8*time.Second, "receiver_down firing", func() bool {
		return strings.Contains(out.String(), "ALERT sensor.health condition=receiver_down status=firing source=tcp0")
	})
	t.Logf("receiver_down raised %v after the server was killed (down_after 1s)", time.Since(down).Round(10*time.Millisecond))
	serveSim(t, srvAddr)
	waitFor(t, 8*time.Second, "receiver_down resolved", func() bool {
		return strings.Contains(out.String(), "ALERT sensor.health condition=receiver_down status=resolved source=tcp0")
	})
	if rc := <-done; rc != 0 {
		t.Fatalf("exit %d: %s", rc, errb.String())
	}
}

// cellwatch outbox lists pending and failed records as JSON lines.
func TestOutboxCommand(t *testing.T) {
	dir := t.TempDir()
	o, err := outbox.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := o.Add([]string{"hook", "am"}, []byte(`{"id":"e1"}`), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Fail("hook", recs[0].Seq, 2, "422 Unprocessable Entity", time.Now(), 10); err != nil {
		t.Fatal(err)
	}
	o.Close()
	var out, errb syncBuffer
	if rc := run([]string{"outbox", dir}, &out, &errb); rc != 0 || strings.Count(out.String(), "\n") != 1 ||
		!strings.Contains(out.String(), `"sink":"am"`) || !strings.Contains(out.String(), `"event":{"id":"e1"}`) {
		t.Fatalf("pending: exit %d, stdout %q, stderr %q", rc, out.String(), errb.String())
	}
	out, errb = syncBuffer{}, syncBuffer{}
	if rc := run([]string{"outbox", "--failed", dir}, &out, &errb); rc != 0 || strings.Count(out.String(), "\n") != 1 ||
		!strings.Contains(out.String(), `"sink":"hook"`) || !strings.Contains(out.String(), `"reason":"422 Unprocessable Entity"`) {
		t.Fatalf("failed: exit %d, stdout %q, stderr %q", rc, out.String(), errb.String())
	}
	if rc := run([]string{"outbox", filepath.Join(dir, "nope")}, &out, &errb); rc != exitError {
		t.Fatalf("missing outbox: exit %d", rc)
	}
}

// A reload applies the allowlist live: while the rule covers now the
// phone's alert is suppressed and audited; once a reload removes the rule,
// the same phone raises the alert without a restart.
func TestReloadAppliesAllowlist(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs the real-time simulator for seconds")
	}
	dir := t.TempDir()
	keyFile, secret, rcv, srv := startHookReceiver(t, dir)
	state := filepath.Join(dir, "state")
	addr := freeAddr(t)
	conf := func(allow string) string {
		return fmt.Sprintf(`sensor: {site: test-site, id: s1, zone: staff-office}
plan: eu
sources:
  - {name: sim0, kind: sim, scene: corridor-small, seed: 7, realtime: true, bands: [B8]}
storage: {dir: %q}
detect: {warmup: 0s}
alerts:
  webhooks: [{url: %q, secret_file: %q}]
%s
web: {listen_address: %q}
`, state, srv.URL, keyFile, allow, addr)
	}
	cfg := writeConfig(t, dir, conf(`  allowlist:
    - {name: all-day, zones: [staff-office], reason: test phones}`))
	var out, errb syncBuffer
	done := make(chan int)
	go func() { done <- run([]string{"run", "--config.file=" + cfg, "--run.duration=14s"}, &out, &errb) }()
	waitReady(t, addr, 10*time.Second)
	audit := filepath.Join(state, alert.AuditFileName)
	deadline := time.Now().Add(6 * time.Second)
	for {
		if b, err := os.ReadFile(audit); err == nil && len(b) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no audit line within 6 s while the rule covers now; stdout:\n%s\nstderr:\n%s", out.String(), errb.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if strings.Contains(out.String(), " ALERT ") || len(rcv.deliveries()) != 0 {
		t.Fatalf("alert sent while the allowlist covers the zone:\n%s", out.String())
	}
	if err := os.WriteFile(cfg, []byte(conf("")), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := http.Post("http://"+addr+"/-/reload", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != 200 {
		t.Fatalf("reload: %d %s", r.StatusCode, body)
	}
	if rc := <-done; rc != 0 {
		t.Fatalf("exit %d: %s", rc, errb.String())
	}
	if !strings.Contains(out.String(), "ALERT detection.firing") || len(rcv.deliveries()) == 0 {
		t.Fatalf("after the reload removed the rule, no alert; stdout:\n%s\nstderr:\n%s", out.String(), errb.String())
	}
	if !strings.Contains(errb.String(), "applied=[alerts.allowlist]") {
		t.Errorf("the reload did not report applying alerts.allowlist:\n%s", errb.String())
	}
	if strings.Contains(errb.String(), secret) {
		t.Error("logs contain the webhook secret")
	}
}
