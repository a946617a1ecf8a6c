// Package server serves cellwatch's HTTP endpoints: /metrics, the health
// and readiness probes, the reload trigger, the JSON API (recent emissions,
// latest spectrum) and a landing page. It only reads what the daemon
// publishes (an EmissionLog, a Spectrum); the one thing it calls back is
// the reload function.
package server

import (
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Config wires the server to the daemon.
type Config struct {
	Registry      *prometheus.Registry
	TelemetryPath string // where metrics are served, e.g. /metrics
	Logger        *slog.Logger
	Emissions     *EmissionLog // nil: an empty log
	Spectrum      *Spectrum    // nil: an empty spectrum
	// Reload re-reads the configuration and applies it, returning why it
	// was rejected. nil: POST /-/reload answers that there is no file.
	Reload func() error
}

// Server holds the handlers; the caller owns the listener.
type Server struct {
	mux       *http.ServeMux
	ready     atomic.Bool
	emissions *EmissionLog
	spectrum  *Spectrum
	reload    func() error
	log       *slog.Logger
}

// New builds the handlers.
func New(c Config) *Server {
	s := &Server{mux: http.NewServeMux(), emissions: c.Emissions, spectrum: c.Spectrum, reload: c.Reload, log: c.Logger}
	if s.emissions == nil {
		s.emissions = NewEmissionLog(1)
	}
	if s.spectrum == nil {
		s.spectrum = NewSpectrum()
	}
	s.mux.Handle("GET "+c.TelemetryPath, promhttp.HandlerFor(c.Registry, promhttp.HandlerOpts{
		Registry:          c.Registry,
		ErrorLog:          slog.NewLogLogger(c.Logger.Handler(), slog.LevelError),
		EnableOpenMetrics: true,
	}))
	s.mux.HandleFunc("GET /-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "cellwatch is healthy.")
	})
	s.mux.HandleFunc("GET /-/ready", func(w http.ResponseWriter, _ *http.Request) {
		if !s.ready.Load() {
			http.Error(w, "cellwatch is not ready: the first sweep has not completed.", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "cellwatch is ready.")
	})
	s.mux.HandleFunc("POST /-/reload", s.serveReload)
	s.mux.HandleFunc("GET /api/v1/emissions", s.serveEmissions)
	s.mux.HandleFunc("GET /api/v1/spectrum", s.serveSpectrum)
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		p := html.EscapeString(c.TelemetryPath)
		fmt.Fprintf(w, `<!doctype html><html><head><title>cellwatch</title></head><body>
<h1>cellwatch</h1><p>Uplink monitor for contraband phones.</p>
<ul>
<li><a href="%s">Metrics</a> (Prometheus)</li>
<li><a href="/api/v1/emissions">Recent emissions</a> (JSON; filter with ?zone=, band=, tech=, since=, until=, limit=)</li>
<li><a href="/api/v1/spectrum">Latest sweep</a> (JSON: floor and peak of every hop; filter with ?device=, band=)</li>
<li><a href="/-/healthy">Health</a></li>
<li><a href="/-/ready">Readiness</a></li>
</ul>
<p>POST /-/reload re-reads the configuration file (as SIGHUP does).</p>
</body></html>
`, p)
	})
	return s
}

// SetReady flips the readiness probe (ready once the first sweep completed).
func (s *Server) SetReady(ok bool) { s.ready.Store(ok) }

// Handler is the root handler.
func (s *Server) Handler() http.Handler { return s.mux }

// serveReload answers 200 when the configuration was reloaded and 500 with
// the reason when it was rejected (the running one is kept), as
// Prometheus's own /-/reload does.
func (s *Server) serveReload(w http.ResponseWriter, _ *http.Request) {
	if s.reload == nil {
		http.Error(w, "cellwatch runs without a configuration file: nothing to reload.", http.StatusInternalServerError)
		return
	}
	if err := s.reload(); err != nil {
		http.Error(w, "configuration rejected, the running one is kept:\n"+err.Error(), http.StatusInternalServerError)
		return
	}
	fmt.Fprintln(w, "configuration reloaded.")
}
