package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellwatch/cellwatch/pkg/alert"
	"github.com/cellwatch/cellwatch/pkg/detect"
)

// syncBuffer is a bytes.Buffer safe for the daemon's writer and the test's reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitReady(t *testing.T, addr string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if r, err := http.Get("http://" + addr + "/-/ready"); err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s not ready within %v", addr, within)
}

func get(t *testing.T, url string) string {
	t.Helper()
	r, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	if r.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, r.StatusCode, b)
	}
	return string(b)
}

// TestDemoDetectsWithinTenSeconds runs the README's command: the built-in
// simulated corridor in real time. It must print handset detections within
// 10 s and serve the metrics of the first slice.
func TestDemoDetectsWithinTenSeconds(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real-time demo for 10 s")
	}
	addr := freeAddr(t)
	var out, errb syncBuffer
	done := make(chan int)
	start := time.Now()
	go func() { done <- run([]string{"--run.duration=10s", "--web.listen-address=" + addr}, &out, &errb) }()
	waitReady(t, addr, 10*time.Second)
	// Counters with labels appear with the first detection, after a pass
	// of warm-up: scrape until they do, within the 10 s.
	names := []string{"cellwatch_build_info", "cellwatch_sdr_samples_total", "cellwatch_sweep_duration_seconds",
		"cellwatch_band_noise_floor_dbm", "cellwatch_detections_total", "cellwatch_bursts_total", "cellwatch_alerts_firing"}
	var missing []string
	for {
		metrics := get(t, "http://"+addr+"/metrics")
		missing = missing[:0]
		for _, name := range names {
			if !strings.Contains(metrics, "\n"+name) {
				missing = append(missing, name)
			}
		}
		if len(missing) == 0 || time.Since(start) > 9*time.Second {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, name := range missing {
		t.Errorf("/metrics lacks %s %v after start", name, time.Since(start).Round(time.Millisecond))
	}
	checkAPI(t, "http://"+addr)
	if rc := <-done; rc != 0 {
		t.Fatalf("exit %d after %v: %s", rc, time.Since(start), errb.String())
	}
	if el := time.Since(start); el > 13*time.Second {
		t.Errorf("--run.duration=10s took %v to stop", el)
	}
	lines := out.String()
	for _, tech := range []string{"tech=gsm", "tech=lte"} {
		if !strings.Contains(lines, tech) {
			t.Errorf("no %s detection in 10 s of the demo:\n%s", tech, lines)
		}
	}
	if strings.Contains(lines, "tech=clutter") {
		t.Errorf("clutter printed as a detection:\n%s", lines)
	}
}

// TestDaemonWebhook runs the daemon on the simulator as fast as it goes,
// with a signed webhook to a receiver on loopback.
func TestDaemonWebhook(t *testing.T) {
	dir := t.TempDir()
	secret := []byte("0123456789abcdef0123456789abcdef")
	keyFile := filepath.Join(dir, "hook.key")
	if err := os.WriteFile(keyFile, secret, 0o600); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var events []alert.Event
	var bad []string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if err := alert.Verify(secret, r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), body, r.Header.Get("webhook-signature")); err != nil {
			bad = append(bad, err.Error())
			w.WriteHeader(400)
			return
		}
		var ev alert.Event
		if err := json.Unmarshal(body, &ev); err != nil {
			bad = append(bad, err.Error())
			w.WriteHeader(400)
			return
		}
		events = append(events, ev)
	}))
	defer recv.Close()
	addr := freeAddr(t)
	cfg := fmt.Sprintf(`sensor: {site: test-site, id: s1, zone: B2-cells}
plan: eu
sources:
  - {name: sim0, kind: sim, scene: corridor-small, seed: 7, sample_rate: 2400000, realtime: false, bands: [B8]}
detect: {warmup: 0s}
alerts:
  webhooks: [{url: %q, secret_file: %q}]
web: {listen_address: %q}
`, recv.URL+"/hook", keyFile, addr)
	cfgFile := filepath.Join(dir, "cellwatch.yaml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb syncBuffer
	if rc := run([]string{"run", "--config.file=" + cfgFile, "--run.duration=8s"}, &out, &errb); rc != 0 {
		t.Fatalf("exit %d: %s", rc, errb.String())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bad) > 0 {
		t.Fatalf("receiver rejected deliveries: %v", bad)
	}
	if len(events) == 0 {
		t.Fatalf("no webhook delivered; stdout:\n%s\nstderr:\n%s", out.String(), errb.String())
	}
	ev := events[0]
	if ev.Type != alert.TypeFiring || ev.Site != "test-site" || ev.Sensor != "s1" || ev.Zone != "B2-cells" || ev.EmissionInfo == nil || ev.FirstSeen.IsZero() {
		t.Fatalf("first event %+v", ev)
	}
	if ev.Tech != detect.GSM || ev.Band != "B8" || ev.PowerDBm == nil {
		t.Errorf("want the B8 GSM call with a calibrated power, got %+v", *ev.EmissionInfo)
	}
	if ev.FirstSeen.After(time.Now()) || ev.LastSeen.Before(ev.FirstSeen.Time) {
		t.Errorf("first_seen %v, last_seen %v: times must be past and ordered", ev.FirstSeen, ev.LastSeen)
	}
	seen := map[string]bool{}
	for _, e := range events {
		if seen[e.ID] {
			t.Errorf("event id %s delivered twice", e.ID)
		}
		seen[e.ID] = true
	}
}

// checkAPI reads the demo's recent emissions and its B8 spectrum bin by bin:
// the GSM call at 898.0 MHz is in both.
func checkAPI(t *testing.T, base string) {
	t.Helper()
	var em struct {
		Data struct {
			Emissions []struct {
				Zone   string  `json:"zone"`
				Tech   string  `json:"tech"`
				FreqHz float64 `json:"freq_hz"`
			} `json:"emissions"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(get(t, base+"/api/v1/emissions?zone=corridor-demo")), &em); err != nil {
		t.Fatal(err)
	}
	if len(em.Data.Emissions) == 0 || em.Data.Emissions[0].Zone != "corridor-demo" {
		t.Errorf("/api/v1/emissions: %+v", em.Data.Emissions)
	}
	var sp struct {
		Data struct {
			Hops []struct {
				LowHz  float64  `json:"low_hz"`
				HighHz float64  `json:"high_hz"`
				Floor  *float64 `json:"floor"`
				Bins   *struct {
					FirstHz float64    `json:"first_hz"`
					StepHz  float64    `json:"step_hz"`
					Floor   []*float64 `json:"floor"`
					Peak    []*float64 `json:"peak"`
				} `json:"bins"`
			} `json:"hops"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(get(t, base+"/api/v1/spectrum?band=B8&resolution=bin")), &sp); err != nil {
		t.Fatal(err)
	}
	// Plumbing: every hop carries ~10 kHz bins over its slice, and the
	// median of its floor bins is the hop's floor. (Whether the call shows
	// in the latest dwell depends on its DTX; pkg/sweep's TestHopReportBins
	// checks the bins find it.)
	if len(sp.Data.Hops) != 19 {
		t.Fatalf("B8 spectrum: %d hops, want 19", len(sp.Data.Hops))
	}
	for _, h := range sp.Data.Hops {
		b := h.Bins
		if b == nil || b.StepHz < 5e3 || b.StepHz > 15e3 || len(b.Floor) != len(b.Peak) || float64(len(b.Floor))*b.StepHz < h.HighHz-h.LowHz-b.StepHz ||
			b.FirstHz > h.LowHz || b.FirstHz < h.LowHz-b.StepHz {
			t.Fatalf("hop %.3f–%.3f MHz: bins %+v", h.LowHz/1e6, h.HighHz/1e6, b)
		}
		var fl []float64
		for _, v := range b.Floor {
			if v == nil {
				t.Fatalf("hop %.3f MHz: a floor bin is null", h.LowHz/1e6)
			}
			fl = append(fl, *v)
		}
		slices.Sort(fl)
		if h.Floor == nil || math.Abs(fl[len(fl)/2]-*h.Floor) > 0.1 {
			t.Errorf("hop %.3f MHz: median floor bin %.1f, hop floor %v", h.LowHz/1e6, fl[len(fl)/2], h.Floor)
		}
	}
}
