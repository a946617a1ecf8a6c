package server

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cellwatch/cellwatch/pkg/metrics"
)

func newTestServer(t *testing.T, c Config) *httptest.Server {
	t.Helper()
	c.Registry = metrics.New(metrics.Build{}).Registry
	c.TelemetryPath = "/metrics"
	c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	ts := httptest.NewServer(New(c).Handler())
	t.Cleanup(ts.Close)
	return ts
}

func do(t *testing.T, method, u string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return r.StatusCode, string(b)
}

type emissionsReply struct {
	Status string `json:"status"`
	Data   struct {
		Emissions []Emission `json:"emissions"`
	} `json:"data"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
}

func TestEmissionsAPI(t *testing.T) {
	log := NewEmissionLog(4)
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	dbm := -61.5
	// Six emissions into a ring of four: the first two are gone.
	for i, e := range []struct{ zone, band, tech string }{
		{"a", "B8", "gsm"}, {"a", "B8", "gsm"}, {"a", "B20", "lte"}, {"b", "B8", "gsm"}, {"b", "B3", "lte"}, {"a", "B8", "gsm"},
	} {
		log.Add(Emission{FirstSeen: t0.Add(time.Duration(i) * time.Minute), LastSeen: t0.Add(time.Duration(i)*time.Minute + 10*time.Second),
			Zone: e.zone, Band: e.band, Tech: e.tech, Bursts: i, PowerDBm: &dbm})
	}
	ts := newTestServer(t, Config{Emissions: log})
	get := func(q string) (int, emissionsReply) {
		t.Helper()
		code, body := do(t, "GET", ts.URL+"/api/v1/emissions"+q)
		var r emissionsReply
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			t.Fatalf("%s: %v: %s", q, err, body)
		}
		return code, r
	}
	bursts := func(r emissionsReply) []int {
		var out []int
		for _, e := range r.Data.Emissions {
			out = append(out, e.Bursts)
		}
		return out
	}
	for _, c := range []struct {
		q    string
		want []int
	}{
		{"", []int{5, 4, 3, 2}}, // newest first, the ring keeps four
		{"?zone=a", []int{5, 2}},
		{"?band=B8&tech=gsm", []int{5, 3}},
		{"?tech=lte", []int{4, 2}},
		{"?limit=1", []int{5}},
		{"?since=" + url.QueryEscape(t0.Add(4*time.Minute).Format(time.RFC3339)), []int{5, 4}},
		// last_seen of #3 is 3m10s: still inside since=3m05s
		{"?since=" + url.QueryEscape(t0.Add(3*time.Minute+5*time.Second).Format(time.RFC3339)), []int{5, 4, 3}},
		{"?until=" + url.QueryEscape(t0.Add(4*time.Minute).Format(time.RFC3339)), []int{3, 2}},
		{"?since=1795608120&until=1795608240", []int{3, 2}}, // Unix seconds: 12:02 to 12:04
		{"?zone=nowhere", nil},
	} {
		code, r := get(c.q)
		if code != 200 || r.Status != "success" {
			t.Errorf("%s: %d %+v", c.q, code, r)
			continue
		}
		if got := bursts(r); !equalInts(got, c.want) {
			t.Errorf("%s: emissions %v, want %v", c.q, got, c.want)
		}
	}
	_, body := do(t, "GET", ts.URL+"/api/v1/emissions?limit=1")
	if !strings.Contains(body, `"first_seen":"2026-11-25T12:05:00Z"`) || !strings.Contains(body, `"power_dbm":-61.5`) ||
		!strings.Contains(body, `"emissions":[{`) {
		t.Errorf("record form: %s", body)
	}
	if _, body := do(t, "GET", ts.URL+"/api/v1/emissions?zone=nowhere"); !strings.Contains(body, `"emissions":[]`) {
		t.Errorf("no match must be an empty list, not null: %s", body)
	}
	for q, want := range map[string]string{
		"?limit=0":         `limit="0"`,
		"?limit=abc":       `limit="abc"`,
		"?limit=100000":    `limit="100000"`,
		"?since=yesterday": `since="yesterday"`,
		"?until=-5m":       `until="-5m"`,
		"?zone=a&zone=b":   `"zone" is given 2 times`,
		"?zoen=a":          `unknown query parameter "zoen"`,
		"?since=2026-11-25T13:00:00Z&until=2026-11-25T12:00:00Z": "is not before until",
	} {
		code, r := get(q)
		if code != 400 || r.Status != "error" || r.ErrorType != "bad_data" || !strings.Contains(r.Error, want) {
			t.Errorf("%s: %d %+v, want 400 naming %s", q, code, r, want)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSpectrumAPI(t *testing.T) {
	sp := NewSpectrum()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	sp.Update(HopLevel{Device: "d0", Band: "B8", LowHz: 882e6, HighHz: 884e6, Unit: "dBm", Floor: Level(-100), Peak: Level(-60), Time: now})
	sp.Update(HopLevel{Device: "d0", Band: "B8", LowHz: 880e6, HighHz: 882e6, Unit: "dBm", Floor: Level(-101), Peak: Level(-90), Time: now})
	sp.Update(HopLevel{Device: "d1", Band: "B20", LowHz: 832e6, HighHz: 834e6, Unit: "dBm", Floor: Level(-99), Peak: Level(negInf()), Time: now,
		Bins: &HopBins{FirstHz: 832.005e6, StepHz: 10e3, Floor: Levels{-99.04, -98.96}, Peak: Levels{negInf(), -71.25}}})
	// A newer visit of the same hop replaces the old one.
	sp.Update(HopLevel{Device: "d0", Band: "B8", LowHz: 882e6, HighHz: 884e6, Unit: "dBm", Floor: Level(-100), Peak: Level(-55), Time: now.Add(time.Second)})
	ts := newTestServer(t, Config{Spectrum: sp})
	var r struct {
		Status string `json:"status"`
		Data   struct {
			Hops []HopLevel `json:"hops"`
		} `json:"data"`
	}
	code, body := do(t, "GET", ts.URL+"/api/v1/spectrum")
	if err := json.Unmarshal([]byte(body), &r); err != nil || code != 200 {
		t.Fatalf("%d %v: %s", code, err, body)
	}
	if len(r.Data.Hops) != 3 || r.Data.Hops[0].LowHz != 880e6 || r.Data.Hops[1].LowHz != 882e6 || *r.Data.Hops[1].Peak != -55 || r.Data.Hops[2].Device != "d1" {
		t.Errorf("hops not in device, frequency order or not replaced: %s", body)
	}
	if r.Data.Hops[2].Peak != nil || !strings.Contains(body, `"peak":null`) {
		t.Errorf("−Inf must be null in JSON: %s", body)
	}
	if _, body := do(t, "GET", ts.URL+"/api/v1/spectrum?band=B20"); strings.Count(body, `"device"`) != 1 {
		t.Errorf("band filter: %s", body)
	}
	if strings.Contains(body, `"bins"`) {
		t.Errorf("bins sent without resolution=bin: %s", body)
	}
	if _, body := do(t, "GET", ts.URL+"/api/v1/spectrum?band=B20&resolution=bin"); !strings.Contains(body,
		`"bins":{"first_hz":832005000,"step_hz":10000,"floor":[-99,-99],"peak":[null,-71.3]}`) {
		t.Errorf("resolution=bin: %s", body)
	}
	if code, body := do(t, "GET", ts.URL+"/api/v1/spectrum?resolution=fine"); code != 400 || !strings.Contains(body, `resolution \"fine\"`) {
		t.Errorf("bad resolution: %d %s", code, body)
	}
	if code, body := do(t, "GET", ts.URL+"/api/v1/spectrum?bnad=B20"); code != 400 || !strings.Contains(body, `unknown query parameter \"bnad\"`) {
		t.Errorf("bad parameter: %d %s", code, body)
	}
}

func negInf() float64 { var z float64; return -1 / z }

func TestReloadEndpoint(t *testing.T) {
	var calls int
	var next error
	ts := newTestServer(t, Config{Reload: func() error { calls++; return next }})
	if code, body := do(t, "POST", ts.URL+"/-/reload"); code != 200 || !strings.Contains(body, "reloaded") {
		t.Errorf("good reload: %d %s", code, body)
	}
	next = errors.New("detect.dwell: 1ms is too short")
	if code, body := do(t, "POST", ts.URL+"/-/reload"); code != 500 || !strings.Contains(body, "detect.dwell: 1ms is too short") {
		t.Errorf("bad reload: %d %s", code, body)
	}
	if code, _ := do(t, "GET", ts.URL+"/-/reload"); code != 405 {
		t.Errorf("GET /-/reload: %d, want 405 (reload is POST only)", code)
	}
	if calls != 2 {
		t.Errorf("reload called %d times, want 2", calls)
	}
	noFile := newTestServer(t, Config{})
	if code, body := do(t, "POST", noFile.URL+"/-/reload"); code != 500 || !strings.Contains(body, "nothing to reload") {
		t.Errorf("reload without a file: %d %s", code, body)
	}
}
