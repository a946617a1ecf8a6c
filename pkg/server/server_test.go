package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cellwatch/cellwatch/pkg/metrics"
)

func TestEndpoints(t *testing.T) {
	m := metrics.New(metrics.Build{Version: "1.2.3", Revision: "abc"})
	s := New(Config{Registry: m.Registry, TelemetryPath: "/metrics", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	get := func(path string) (int, string) {
		t.Helper()
		r, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return r.StatusCode, string(b)
	}
	if code, _ := get("/-/healthy"); code != 200 {
		t.Errorf("healthy: %d", code)
	}
	if code, _ := get("/-/ready"); code != 503 {
		t.Errorf("ready before the first sweep: %d, want 503", code)
	}
	s.SetReady(true)
	if code, _ := get("/-/ready"); code != 200 {
		t.Errorf("ready after: %d", code)
	}
	code, body := get("/metrics")
	if code != 200 || !strings.Contains(body, `cellwatch_build_info{goversion="`) || !strings.Contains(body, `revision="abc",version="1.2.3"} 1`) {
		t.Errorf("metrics %d:\n%s", code, body)
	}
	if code, body := get("/"); code != 200 || !strings.Contains(body, `href="/metrics"`) {
		t.Errorf("landing page %d: %s", code, body)
	}
	if code, _ := get("/nope"); code != 404 {
		t.Errorf("unknown path: %d", code)
	}
}
